/**
 * @fileoverview Keras layer specs → AnnGraph ops. One builder per supported Keras class.
 *
 * Input: a `LayerSpec` (class, config, inbound names) and the layer's weights from a `WeightSource`. Output:
 * the op(s) for the layer, or `identity` for layers that vanish at inference (Dropout). Every config option
 * that changes the maths is checked: an option snnc does not implement is SNNC108 naming the layer and the
 * option, never silently ignored. Weight shapes are checked against the config (SNNC105), values for NaN/Inf
 * (SNNC106).
 */
import { checkLimit, truncateText } from "../../runtime/limits.ts";
import { fail } from "../diagnostics.ts";
import type { AnnOp, Padding, Pair } from "../ir/ann.ts";
import { boolOption, type Ctx, intOption, loc, parseActivation, takeWeight, unsupported } from "./layer-options.ts";
import { buildTransformerLayer, TRANSFORMER_CLASSES, transformerClass } from "./transformer-layers.ts";
import type { JsonObject, LayerSpec } from "./topology.ts";

export { parseActivation };

export interface WeightTensor {
  /** Name in the file, for messages (`conv1/kernel`, `layers/conv1/vars/0`). */
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Where the weights of a layer come from. Sources keyed by name look variables up by suffix; sources that
 * store them positionally (Keras 3) take them in the listed order. */
export interface WeightSource {
  readonly file: string;
  layerWeights(layer: LayerSpec, suffixes: readonly string[]): Map<string, WeightTensor>;
}

export type LayerResult =
  /** `keepInputs`: indices of the inbound tensors the op reads (default all; MultiHeadAttention called as
   * mha(x, x) lists x twice and reads it once). */
  | { readonly kind: "op"; readonly op: AnnOp; readonly keepInputs?: readonly number[] }
  /** The layer is an identity at inference: its output is its input. */
  | { readonly kind: "identity" }
  /** The layer is two ops in a row (e.g. GlobalAveragePooling2D with keepdims = pool, then reshape). */
  | { readonly kind: "chain"; readonly ops: readonly [AnnOp, AnnOp] };

export const SUPPORTED_CLASSES = [
  "InputLayer", "Dense", "Conv2D", "DepthwiseConv2D", "BatchNormalization", "Activation", "ReLU", "Softmax",
  "AveragePooling2D", "MaxPooling2D", "GlobalAveragePooling2D", "Flatten", "Reshape", "Dropout",
  "SpatialDropout2D", "ZeroPadding2D", "Add", "Concatenate", "RateNorm", "QCFS", ...TRANSFORMER_CLASSES,
] as const;

const ALIASES: Record<string, string> = {
  Convolution2D: "Conv2D", AvgPool2D: "AveragePooling2D", MaxPool2D: "MaxPooling2D",
  GlobalAvgPool2D: "GlobalAveragePooling2D", Merge: "Add",
};

function pairOption(c: JsonObject, key: string, ctx: Ctx, fallback?: Pair): Pair {
  const v = c[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw fail("SNNC101", `option ${key} missing`, loc(ctx, key));
  }
  if (typeof v === "number" && Number.isInteger(v) && v > 0) {
    checkLimit("layerDimension", v, loc(ctx, key), `option ${key}`);
    return [v, v];
  }
  if (Array.isArray(v) && v.length === 2 && v.every((d) => typeof d === "number" && Number.isInteger(d) && d > 0)) {
    for (const d of v as number[]) checkLimit("layerDimension", d, loc(ctx, key), `option ${key}`);
    return [v[0] as number, v[1] as number];
  }
  return unsupported(ctx, key, v, "a positive integer or a pair of them");
}

function paddingOption(c: JsonObject, ctx: Ctx): Padding {
  const v = c["padding"] ?? "valid";
  if (v === "valid" || v === "same") return v;
  return unsupported(ctx, "padding", v, '"valid", "same"');
}

function channelsLast(c: JsonObject, ctx: Ctx): void {
  const v = c["data_format"];
  if (v !== undefined && v !== null && v !== "channels_last") unsupported(ctx, "data_format", v, '"channels_last" (NHWC)');
}

/** BatchNormalization divides by sqrt(variance + epsilon): a negative variance folds to NaN and a zero
 * denominator to infinity. Refused here, naming the layer and the channel, not at quantisation. */
function checkBatchNormVariance(variance: Float32Array, epsilon: number, ctx: Ctx): void {
  for (let i = 0; i < variance.length; i++) {
    const v = variance[i] as number;
    if (v < 0) {
      throw fail("SNNC117", `moving_variance of channel ${i} is ${v}, negative`, loc(ctx), "a variance is never negative: the model's statistics are corrupt; retrain or re-export it");
    }
    if (!(Math.sqrt(v + epsilon) > 0)) {
      throw fail("SNNC117", `channel ${i} has moving_variance + epsilon = 0 (a zero denominator)`, loc(ctx), "give the layer a positive epsilon (Keras' default is 0.001)");
    }
  }
}

/** Builds the op for one layer. `inShapes` are the per-sample shapes of its inputs. */
export function buildLayer(spec: LayerSpec, inShapes: readonly (readonly number[])[], weights: WeightSource): LayerResult {
  const ctx: Ctx = { layer: spec.name, path: spec.path, file: weights.file };
  const c = spec.config;
  const cls = ALIASES[spec.className] ?? spec.className;
  const x = inShapes[0] ?? [];
  const channels = x[x.length - 1] ?? 0;
  switch (cls) {
    case "InputLayer":
      return { kind: "op", op: { kind: "input" } };
    case "Dense": {
      const units = intOption(c, "units", ctx);
      if (units === 0) throw fail("SNNC121", "Dense layer has 0 units", loc(ctx, "units"), "a Dense layer needs at least one unit");
      const useBias = boolOption(c, "use_bias", true);
      const ws = weights.layerWeights(spec, useBias ? ["kernel", "bias"] : ["kernel"]);
      // Rank 1: a vector; rank 2: a token sequence [tokens, features], the kernel applied to every token.
      if (x.length !== 1 && x.length !== 2) {
        throw fail("SNNC112", `Dense on a rank-${x.length} input [${x.join(", ")}] is not supported`, loc(ctx), "add a Flatten layer before it");
      }
      return {
        kind: "op",
        op: {
          kind: "dense", units, activation: parseActivation(c["activation"], ctx),
          kernel: takeWeight(ws, "kernel", [channels, units], ctx) as Float32Array,
          bias: useBias ? takeWeight(ws, "bias", [units], ctx) : null,
        },
      };
    }
    case "Conv2D": {
      channelsLast(c, ctx);
      const groups = c["groups"];
      if (groups !== undefined && groups !== 1) unsupported(ctx, "groups", groups, "1");
      const filters = intOption(c, "filters", ctx);
      if (filters === 0) throw fail("SNNC121", "Conv2D layer has 0 filters", loc(ctx, "filters"), "a Conv2D layer needs at least one filter");
      const kernelSize = pairOption(c, "kernel_size", ctx);
      const useBias = boolOption(c, "use_bias", true);
      const ws = weights.layerWeights(spec, useBias ? ["kernel", "bias"] : ["kernel"]);
      const strides = pairOption(c, "strides", ctx, [1, 1]);
      const dilation = pairOption(c, "dilation_rate", ctx, [1, 1]);
      if ((strides[0] > 1 || strides[1] > 1) && (dilation[0] > 1 || dilation[1] > 1)) {
        unsupported(ctx, "dilation_rate", c["dilation_rate"] ?? null, "dilation 1 when strides > 1 (as Keras)");
      }
      return {
        kind: "op",
        op: {
          kind: "conv2d", filters, kernelSize, strides, dilation, padding: paddingOption(c, ctx),
          activation: parseActivation(c["activation"], ctx),
          kernel: takeWeight(ws, "kernel", [kernelSize[0], kernelSize[1], channels, filters], ctx) as Float32Array,
          bias: useBias ? takeWeight(ws, "bias", [filters], ctx) : null,
        },
      };
    }
    case "DepthwiseConv2D": {
      channelsLast(c, ctx);
      const kernelSize = pairOption(c, "kernel_size", ctx);
      const depthMultiplier = intOption(c, "depth_multiplier", ctx, 1);
      if (depthMultiplier === 0) throw fail("SNNC121", "DepthwiseConv2D layer has depth_multiplier 0", loc(ctx, "depth_multiplier"), "use a depth multiplier of at least 1");
      const useBias = boolOption(c, "use_bias", true);
      const ws = weights.layerWeights(spec, useBias ? ["depthwise_kernel", "bias"] : ["depthwise_kernel"]);
      return {
        kind: "op",
        op: {
          kind: "depthwiseConv2d", depthMultiplier, kernelSize,
          strides: pairOption(c, "strides", ctx, [1, 1]), dilation: pairOption(c, "dilation_rate", ctx, [1, 1]),
          padding: paddingOption(c, ctx), activation: parseActivation(c["activation"], ctx),
          kernel: takeWeight(ws, "depthwise_kernel", [kernelSize[0], kernelSize[1], channels, depthMultiplier], ctx) as Float32Array,
          bias: useBias ? takeWeight(ws, "bias", [channels * depthMultiplier], ctx) : null,
        },
      };
    }
    case "BatchNormalization": {
      const axisRaw = c["axis"] ?? -1;
      const axis = Array.isArray(axisRaw) && axisRaw.length === 1 ? axisRaw[0] : axisRaw;
      if (axis !== -1 && axis !== x.length) unsupported(ctx, "axis", axisRaw, "the last (channel) axis");
      const scale = boolOption(c, "scale", true);
      const center = boolOption(c, "center", true);
      const names = [...(scale ? ["gamma"] : []), ...(center ? ["beta"] : []), "moving_mean", "moving_variance"];
      const ws = weights.layerWeights(spec, names);
      const epsilon = typeof c["epsilon"] === "number" ? c["epsilon"] : 1e-3;
      if (!Number.isFinite(epsilon) || epsilon < 0) unsupported(ctx, "epsilon", c["epsilon"], "a finite non-negative number");
      const variance = takeWeight(ws, "moving_variance", [channels], ctx) as Float32Array;
      checkBatchNormVariance(variance, epsilon, ctx);
      return {
        kind: "op",
        op: {
          kind: "batchNorm", epsilon,
          gamma: scale ? (takeWeight(ws, "gamma", [channels], ctx) as Float32Array) : new Float32Array(channels).fill(1),
          beta: center ? (takeWeight(ws, "beta", [channels], ctx) as Float32Array) : new Float32Array(channels),
          mean: takeWeight(ws, "moving_mean", [channels], ctx) as Float32Array,
          variance,
        },
      };
    }
    case "Activation":
      return { kind: "op", op: { kind: "activation", activation: parseActivation(c["activation"], ctx) } };
    case "Softmax":
      // The last axis: -1, or its index counting the batch axis (tfjs' Softmax layer defaults to axis 1).
      if (c["axis"] !== undefined && c["axis"] !== -1 && c["axis"] !== x.length && !(Array.isArray(c["axis"]) && c["axis"].length === 1 && (c["axis"][0] === -1 || c["axis"][0] === x.length))) {
        unsupported(ctx, "axis", c["axis"], "-1 (the last axis)");
      }
      return { kind: "op", op: { kind: "activation", activation: "softmax" } };
    case "ReLU": {
      const slope = c["negative_slope"] ?? 0;
      const threshold = c["threshold"] ?? 0;
      const max = c["max_value"] ?? null;
      if (slope !== 0) unsupported(ctx, "negative_slope", slope, "0 (a leaky ReLU has no rate-coded equivalent)");
      if (threshold !== 0) unsupported(ctx, "threshold", threshold, "0");
      if (max !== null && max !== 6) unsupported(ctx, "max_value", max, "null or 6");
      return { kind: "op", op: { kind: "activation", activation: max === 6 ? "relu6" : "relu" } };
    }
    case "AveragePooling2D":
    case "MaxPooling2D": {
      channelsLast(c, ctx);
      const poolSize = pairOption(c, "pool_size", ctx, [2, 2]);
      return {
        kind: "op",
        op: { kind: cls === "AveragePooling2D" ? "avgPool" : "maxPool", poolSize, strides: pairOption(c, "strides", ctx, poolSize), padding: paddingOption(c, ctx) },
      };
    }
    case "GlobalAveragePooling2D":
      channelsLast(c, ctx);
      if (c["keepdims"] === true) return { kind: "chain", ops: [{ kind: "globalAvgPool" }, { kind: "reshape", targetShape: [1, 1, channels] }] };
      return { kind: "op", op: { kind: "globalAvgPool" } };
    case "Flatten":
      channelsLast(c, ctx);
      return { kind: "op", op: { kind: "flatten" } };
    case "Reshape": {
      const t = c["target_shape"];
      if (!Array.isArray(t) || !t.every((d) => typeof d === "number" && Number.isInteger(d) && (d > 0 || d === -1))) {
        return unsupported(ctx, "target_shape", t, "a list of positive sizes (one may be -1)");
      }
      for (const d of t as number[]) checkLimit("tensorElements", d, loc(ctx, "target_shape"), "Reshape dimension");
      return { kind: "op", op: { kind: "reshape", targetShape: t as number[] } };
    }
    case "Dropout":
    case "SpatialDropout2D":
      return { kind: "identity" };
    case "ZeroPadding2D": {
      channelsLast(c, ctx);
      const p = c["padding"] ?? 1;
      let pad: readonly [Pair, Pair] | null = null;
      if (typeof p === "number") pad = [[p, p], [p, p]];
      else if (Array.isArray(p) && p.length === 2 && p.every((d) => typeof d === "number")) pad = [[p[0] as number, p[0] as number], [p[1] as number, p[1] as number]];
      else if (Array.isArray(p) && p.length === 2 && p.every((d) => Array.isArray(d) && d.length === 2 && d.every((e) => typeof e === "number"))) {
        const [a, b] = p as number[][];
        pad = [[a?.[0] ?? 0, a?.[1] ?? 0], [b?.[0] ?? 0, b?.[1] ?? 0]];
      }
      if (pad === null || pad.flat().some((d) => !Number.isInteger(d) || d < 0)) return unsupported(ctx, "padding", p, "an int, [h, w] or [[top, bottom], [left, right]]");
      for (const d of pad.flat()) checkLimit("layerDimension", d, loc(ctx, "padding"), "ZeroPadding2D padding");
      return { kind: "op", op: { kind: "zeroPad", padding: pad } };
    }
    case "Add":
      return { kind: "op", op: { kind: "add" } };
    case "Concatenate": {
      const a = c["axis"] ?? -1;
      const rank = x.length;
      if (typeof a !== "number" || !Number.isInteger(a)) return unsupported(ctx, "axis", a, "an integer axis");
      // Keras counts the batch axis: axis 3 of [N, H, W, C] is our per-sample axis 2; -1 is the last.
      const axis = a < 0 ? rank + a : a - 1;
      if (axis < 0 || axis >= rank) return unsupported(ctx, "axis", a, `an axis of the rank-${rank} sample (or -1)`);
      return { kind: "op", op: { kind: "concat", axis } };
    }
    case "RateNorm": {
      // Trainable weights first (Keras/TF.js order): a positional (Keras 3) file holds scale, then running_max.
      const ws = weights.layerWeights(spec, ["scale", "running_max"]);
      const runningMax = takeWeight(ws, "running_max", [], ctx)?.[0] ?? 0;
      const scale = takeWeight(ws, "scale", [], ctx)?.[0] ?? 0;
      const eps = typeof c["epsilon"] === "number" ? c["epsilon"] : 1e-4;
      const theta = runningMax / (1 + Math.exp(-scale)) + eps;
      if (!(theta > 0) || !Number.isFinite(theta)) throw fail("SNNC106", `learned bound theta = ${theta} is not a positive finite number`, loc(ctx));
      return { kind: "op", op: { kind: "rateNorm", theta } };
    }
    case "QCFS": {
      const levels = intOption(c, "levels", ctx, 8);
      if (levels < 1) unsupported(ctx, "levels", levels, "a positive integer");
      const shift = typeof c["shift"] === "number" ? c["shift"] : 0.5;
      if (!Number.isFinite(shift)) unsupported(ctx, "shift", c["shift"], "a finite number");
      const ws = weights.layerWeights(spec, ["lambda"]);
      const lambda = takeWeight(ws, "lambda", [], ctx)?.[0] ?? 0;
      if (!(lambda > 0)) throw fail("SNNC106", `learned threshold lambda = ${lambda} is not positive`, loc(ctx));
      return { kind: "op", op: { kind: "clipFloor", levels, lambda, shift } };
    }
    default: {
      const transformer = transformerClass(spec.className);
      if (transformer !== null) return buildTransformerLayer(spec, transformer, inShapes, weights);
      throw fail("SNNC107", `unknown layer class "${truncateText(spec.className)}"`, loc(ctx), `supported: ${SUPPORTED_CLASSES.join(", ")}`);
    }
  }
}
