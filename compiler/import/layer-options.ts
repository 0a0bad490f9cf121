/**
 * @fileoverview Shared helpers of the layer builders (layers.ts, transformer-layers.ts): reading config options,
 * activations and weights with coded errors that name the layer and the JSON path.
 *
 * Input: one layer's config and its weight tensors. Output: checked values. Every option value snnc does not
 * implement is SNNC108; a weight of the wrong shape SNNC105, a missing one SNNC113, a non-finite one SNNC106.
 */
import { checkLimit, truncateText } from "../../runtime/limits.ts";
import { fail } from "../diagnostics.ts";
import type { Activation } from "../ir/ann.ts";
import type { WeightTensor } from "./layers.ts";
import { type Json, type JsonObject, isObject } from "./topology.ts";

export type Ctx = { readonly layer: string; readonly path: string; readonly file: string };

export function loc(ctx: Ctx, option?: string) {
  return { layer: ctx.layer, file: ctx.file, path: option ? `${ctx.path}.config.${option}` : ctx.path };
}

export function unsupported(ctx: Ctx, option: string, value: Json | undefined, supported: string): never {
  throw fail("SNNC108", `option ${option} = ${shownJson(value)} is not supported`, loc(ctx, option), `supported: ${supported}`);
}

/** A JSON value for a message: short, one line (values are depth-checked at load, so stringify is safe). */
export function shownJson(value: Json | undefined): string {
  if (value === undefined) return "undefined";
  if (typeof value === "string") return JSON.stringify(truncateText(value));
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return truncateText(JSON.stringify(value) ?? String(value));
}

export function intOption(c: JsonObject, key: string, ctx: Ctx, fallback?: number): number {
  const v = c[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw fail("SNNC101", `option ${key} missing`, loc(ctx, key));
  }
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) unsupported(ctx, key, v, "a non-negative integer");
  checkLimit("layerDimension", v, loc(ctx, key), `option ${key}`);
  return v;
}


export function boolOption(c: JsonObject, key: string, fallback: boolean): boolean {
  const v = c[key];
  return typeof v === "boolean" ? v : fallback;
}


export function parseActivation(v: Json | undefined, ctx: Ctx, key = "activation"): Activation {
  let name: Json | undefined = v ?? "linear";
  // Keras 3 may serialise an activation as {module, class_name: "function", config: "relu"}.
  if (isObject(name)) name = typeof name["config"] === "string" ? name["config"] : name["class_name"];
  if (name === null) name = "linear";
  switch (name) {
    case "linear": case "relu": case "relu6": case "softmax":
      return name;
    case "gelu":
      // Keras' gelu(x, approximate=False) is the default; a config object may carry approximate: true.
      return isObject(v) && isObject(v["config"]) && v["config"]["approximate"] === true ? "geluTanh" : "gelu";
    case "gelu_new": case "gelu_tanh": case "gelu_approximate":
      // tfjs' and Hugging Face's name of the tanh approximation.
      return "geluTanh";
    default:
      return unsupported(ctx, key, v, '"linear", "relu", "relu6", "softmax", "gelu", "gelu_new" (tanh GELU)');
  }
}

export function checkFinite(t: WeightTensor, ctx: Ctx): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i] ?? 0)) {
      throw fail("SNNC106", `weight ${truncateText(t.name)} has ${d[i]} at flat index ${i}`, loc(ctx), "retrain or fix the model: every weight must be a finite number");
    }
  }
}

export function takeWeight(ws: Map<string, WeightTensor>, suffix: string, shape: readonly number[], ctx: Ctx, required = true): Float32Array | null {
  const t = ws.get(suffix);
  if (!t) {
    if (!required) return null;
    throw fail("SNNC113", `weight "${suffix}" not found`, loc(ctx), "the weights manifest / weight file has no variable for this layer");
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const sameShape = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (!sameShape || t.data.length !== count) {
    throw fail("SNNC105", `weight ${truncateText(t.name)} has shape [${truncateText(t.shape.join(", "))}] (${t.data.length} values), the layer needs [${shape.join(", ")}]`, loc(ctx));
  }
  checkFinite(t, ctx);
  return t.data;
}
