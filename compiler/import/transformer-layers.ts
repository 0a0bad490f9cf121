/**
 * @fileoverview Keras layer specs → AnnGraph ops for the layers of a Vision Transformer (issue 13).
 *
 * Input: a `LayerSpec`, its input shapes and its weights; output: the op, as layers.ts' `buildLayer` returns it.
 * Classes (Keras' names; the three custom layers are documented in compiler/tfjs/vit-layers.ts, which defines
 * them for tfjs training with the same config and weights):
 *   LayerNormalization       axis −1 only; epsilon (Keras default 1e-3), center/scale → beta/gamma [F];
 *                            rms_scaling refused.
 *   MultiHeadAttention       self-attention only: one input tensor used as query, value and key. Weights in
 *                            Keras' layout (query|key|value/kernel [F,H,D], …/bias [H,D],
 *                            attention_output/kernel [H,Dv,O], attention_output/bias [O]). Anything else —
 *                            cross-attention, attention_mask, use_causal_mask, return_attention_scores,
 *                            attention_axes other than the token axis, or another attention class (relative
 *                            position, talking heads …) — is SNNC122 "unsupported attention variant".
 *   GlobalAveragePooling1D   channels_last, keepdims false.
 *   AddPositionEmbedding     weight embeddings [T,F] (vit-keras' AddPositionEmbs, pos_embedding [1,T,F], too).
 *   ClassToken               weight cls [1,1,F].
 *   TokenSlice               config index (default 0).
 * Mismatched dimensions (a weight whose shape does not fit the input) are SNNC105 naming the layer; a
 * transformer layer on an input of the wrong rank SNNC123.
 */
import { truncateText } from "../../runtime/limits.ts";
import { fail } from "../diagnostics.ts";
import type { AnnOp } from "../ir/ann.ts";
import { boolOption, type Ctx, intOption, loc, takeWeight, unsupported } from "./layer-options.ts";
import type { LayerResult, WeightSource } from "./layers.ts";
import { type Json, type LayerSpec, kwargTensorNames } from "./topology.ts";

export const TRANSFORMER_CLASSES = [
  "LayerNormalization", "MultiHeadAttention", "GlobalAveragePooling1D", "AddPositionEmbedding", "ClassToken", "TokenSlice",
] as const;

const ALIASES: Record<string, string> = { GlobalAvgPool1D: "GlobalAveragePooling1D", AddPositionEmbs: "AddPositionEmbedding" };

/** Attention layers of other kinds, refused as attention variants rather than as unknown classes. */
const OTHER_ATTENTION = /attention/i;

function variant(ctx: Ctx, what: string, path?: string): never {
  throw fail("SNNC122", `unsupported attention variant: ${what}`, { layer: ctx.layer, file: ctx.file, path: path ?? ctx.path },
    "snnc imports Keras MultiHeadAttention as self-attention: mha(x, x) with no mask, default attention_axes");
}

function needRank(x: readonly number[], rank: number, what: string, ctx: Ctx): void {
  if (x.length !== rank) {
    throw fail("SNNC123", `${what} needs a rank-${rank} input per sample (${rank === 2 ? "[tokens, features]" : "[features]"}), got [${x.join(", ")}]`, loc(ctx),
      "reshape the patch embedding to [tokens, features] before the transformer layers");
  }
}

/** The class name without a registration package (`Custom>ClassToken` → `ClassToken`). */
export function transformerClass(className: string): string | null {
  const bare = className.includes(">") ? className.slice(className.lastIndexOf(">") + 1) : className;
  const cls = ALIASES[bare] ?? bare;
  if ((TRANSFORMER_CLASSES as readonly string[]).includes(cls)) return cls;
  return OTHER_ATTENTION.test(cls) ? "otherAttention" : null;
}

/** Builds the op of a transformer layer; `cls` is what `transformerClass` returned. */
export function buildTransformerLayer(spec: LayerSpec, cls: string, inShapes: readonly (readonly number[])[], weights: WeightSource): LayerResult {
  const ctx: Ctx = { layer: spec.name, path: spec.path, file: weights.file };
  const c = spec.config;
  const x = inShapes[0] ?? [];
  const f = x[x.length - 1] ?? 0;
  const op = (o: AnnOp): LayerResult => ({ kind: "op", op: o });
  switch (cls) {
    case "LayerNormalization": {
      const axisRaw = c["axis"] ?? -1;
      const axis = Array.isArray(axisRaw) && axisRaw.length === 1 ? axisRaw[0] : axisRaw;
      if (axis !== -1 && axis !== x.length) unsupported(ctx, "axis", axisRaw, "the last (feature) axis, -1");
      if (c["rms_scaling"] === true) unsupported(ctx, "rms_scaling", true, "false");
      const epsilon = typeof c["epsilon"] === "number" ? c["epsilon"] : 1e-3;
      if (!Number.isFinite(epsilon) || epsilon <= 0) unsupported(ctx, "epsilon", c["epsilon"], "a finite positive number");
      const scale = boolOption(c, "scale", true);
      const center = boolOption(c, "center", true);
      const ws = weights.layerWeights(spec, [...(scale ? ["gamma"] : []), ...(center ? ["beta"] : [])]);
      return op({ kind: "layerNorm", epsilon, gamma: scale ? takeWeight(ws, "gamma", [f], ctx) : null, beta: center ? takeWeight(ws, "beta", [f], ctx) : null });
    }
    case "MultiHeadAttention":
      return attention(spec, ctx, x, weights);
    case "otherAttention":
      return variant(ctx, `layer class "${truncateText(spec.className)}" (relative-position, talking-heads and other attention layers are not supported)`);
    case "GlobalAveragePooling1D": {
      const df = c["data_format"];
      if (df !== undefined && df !== null && df !== "channels_last") unsupported(ctx, "data_format", df, '"channels_last"');
      if (c["keepdims"] === true) unsupported(ctx, "keepdims", true, "false");
      needRank(x, 2, "GlobalAveragePooling1D", ctx);
      return op({ kind: "globalAvgPool1d" });
    }
    case "AddPositionEmbedding": {
      needRank(x, 2, "AddPositionEmbedding", ctx);
      const vitKeras = spec.className.endsWith("AddPositionEmbs");
      const name = vitKeras ? "pos_embedding" : "embeddings";
      const ws = weights.layerWeights(spec, [name]);
      const table = takeWeight(ws, name, vitKeras ? [1, x[0] ?? 0, f] : [x[0] ?? 0, f], ctx) as Float32Array;
      return op({ kind: "positionEmbedding", table });
    }
    case "ClassToken": {
      needRank(x, 2, "ClassToken", ctx);
      const ws = weights.layerWeights(spec, ["cls"]);
      return op({ kind: "classToken", token: takeWeight(ws, "cls", [1, 1, f], ctx) as Float32Array });
    }
    case "TokenSlice": {
      needRank(x, 2, "TokenSlice", ctx);
      const index = intOption(c, "index", ctx, 0);
      if (index >= (x[0] ?? 0)) unsupported(ctx, "index", index, `a token index below ${x[0]}`);
      return op({ kind: "tokenSlice", index });
    }
    default:
      throw new Error(`internal: ${cls} is not a transformer class`);
  }
}

function optionalInt(c: Record<string, Json>, key: string, ctx: Ctx): number | null {
  const v = c[key];
  if (v === undefined || v === null) return null;
  // Keras 3 writes output_shape as a list of one size.
  const n = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) return unsupported(ctx, key, v, "a positive integer (one output axis)");
  return n;
}

function attention(spec: LayerSpec, ctx: Ctx, x: readonly number[], weights: WeightSource): LayerResult {
  const c = spec.config;
  // The call: one tensor as query, value and key; no mask; no attention scores returned.
  const kw = spec.callKwargs ?? {};
  const tensors = new Set([...spec.inbound, ...kwargTensorNames(kw, ["query", "value", "key"], loc(ctx))]);
  if (tensors.size > 1) variant(ctx, `cross-attention (query, value and key come from ${[...tensors].map((t) => `"${truncateText(t)}"`).join(", ")})`);
  const mask = kw["attention_mask"] ?? kw["query_mask"] ?? kw["value_mask"] ?? kw["key_mask"];
  if (mask !== undefined && mask !== null) variant(ctx, "an attention mask", `${ctx.path}.inbound_nodes`);
  if (kw["use_causal_mask"] === true) variant(ctx, "a causal mask (use_causal_mask)", `${ctx.path}.inbound_nodes`);
  if (kw["return_attention_scores"] === true) variant(ctx, "return_attention_scores", `${ctx.path}.inbound_nodes`);
  const axes = c["attention_axes"];
  const axesList = axes === undefined || axes === null ? null : Array.isArray(axes) ? axes : [axes];
  // The default attends over every axis between batch and features: for [batch, tokens, features] that is axis 1.
  if (axesList !== null && !(axesList.length === 1 && (axesList[0] === 1 || axesList[0] === -2))) {
    variant(ctx, `attention_axes ${truncateText(JSON.stringify(axes))}`, `${ctx.path}.config.attention_axes`);
  }
  for (const key of ["relative_position", "max_relative_position", "use_relative_position", "relative_attention"]) {
    if (c[key] !== undefined && c[key] !== null && c[key] !== false) variant(ctx, `option ${key}`, `${ctx.path}.config.${key}`);
  }
  needRank(x, 2, "MultiHeadAttention", ctx);
  const heads = intOption(c, "num_heads", ctx);
  const keyDim = intOption(c, "key_dim", ctx);
  if (heads < 1 || keyDim < 1) throw fail("SNNC121", "MultiHeadAttention has 0 heads or key_dim 0", loc(ctx), "give num_heads and key_dim positive values");
  const valueDim = optionalInt(c, "value_dim", ctx) ?? keyDim;
  const f = x[1] ?? 0;
  const outDim = optionalInt(c, "output_shape", ctx) ?? f;
  const useBias = boolOption(c, "use_bias", true);
  const names = ["query", "key", "value", "attention_output"].flatMap((p) => (useBias ? [`${p}/kernel`, `${p}/bias`] : [`${p}/kernel`]));
  const ws = weights.layerWeights(spec, names);
  const w = (name: string, shape: number[]) => takeWeight(ws, name, shape, ctx) as Float32Array;
  const b = (name: string, shape: number[]) => (useBias ? w(name, shape) : null);
  return {
    kind: "op",
    keepInputs: [0],
    op: {
      kind: "multiHeadAttention", heads, keyDim, valueDim, outDim,
      queryKernel: w("query/kernel", [f, heads, keyDim]), queryBias: b("query/bias", [heads, keyDim]),
      keyKernel: w("key/kernel", [f, heads, keyDim]), keyBias: b("key/bias", [heads, keyDim]),
      valueKernel: w("value/kernel", [f, heads, valueDim]), valueBias: b("value/bias", [heads, valueDim]),
      outputKernel: w("attention_output/kernel", [heads, valueDim, outDim]), outputBias: b("attention_output/bias", [outDim]),
    },
  };
}

