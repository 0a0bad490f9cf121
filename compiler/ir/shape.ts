/**
 * @fileoverview Shape inference for AnnGraph ops and the spatial-window geometry shared by the float
 * interpreter, conversion and the integer models.
 *
 * Window rules are TensorFlow's: `valid` gives out = floor((in - dil*(k-1) - 1) / stride) + 1; `same` gives
 * out = ceil(in / stride) with total padding max((out-1)*stride + dil*(k-1) + 1 - in, 0), the smaller half
 * before (top/left).
 */
import { fail } from "../diagnostics.ts";
import type { WindowWalk } from "../../runtime/window.ts";
import { type AnnOp, type Padding, type Shape, shapeSize } from "./ann.ts";

export interface Window1d {
  readonly out: number;
  /** Padding before the first element (top or left). */
  readonly padBefore: number;
}

export function window1d(inSize: number, k: number, stride: number, dilation: number, padding: Padding): Window1d {
  const span = dilation * (k - 1) + 1;
  if (padding === "valid") {
    return { out: Math.floor((inSize - span) / stride) + 1, padBefore: 0 };
  }
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + span - inSize, 0);
  return { out, padBefore: Math.floor(total / 2) };
}

/** Geometry of a 2-D windowed op on an NHWC tensor. */
export interface Window2d extends WindowWalk {
  readonly outH: number;
  readonly outW: number;
}

export function window2d(
  inShape: Shape,
  kernel: readonly [number, number],
  strides: readonly [number, number],
  dilation: readonly [number, number],
  padding: Padding,
): Window2d {
  const [inH = 0, inW = 0] = inShape;
  const y = window1d(inH, kernel[0], strides[0], dilation[0], padding);
  const x = window1d(inW, kernel[1], strides[1], dilation[1], padding);
  return {
    inH, inW, outH: y.out, outW: x.out,
    kh: kernel[0], kw: kernel[1], sh: strides[0], sw: strides[1], dh: dilation[0], dw: dilation[1],
    padTop: y.padBefore, padLeft: x.padBefore,
  };
}

function requireRank(shape: Shape, rank: number, what: string, layer: string): void {
  if (shape.length !== rank) {
    throw fail("SNNC112", `${what} needs a rank-${rank} input (per sample), got [${shape.join(", ")}]`, { layer });
  }
}

/** Output shape of `op` given its input shapes; throws SNNC112 naming `layer` when they do not fit. */
export function inferShape(op: AnnOp, inputs: readonly Shape[], layer: string): Shape {
  const first = inputs[0];
  if (op.kind !== "input" && first === undefined) throw fail("SNNC110", "layer has no input", { layer });
  const x = first ?? [];
  switch (op.kind) {
    case "input":
      return x;
    case "dense": {
      const inN = x[x.length - 1] ?? 0;
      if (op.kernel.length !== inN * op.units) {
        throw fail("SNNC105", `kernel has ${op.kernel.length} values, expected ${inN}x${op.units}`, { layer });
      }
      return [...x.slice(0, -1), op.units];
    }
    case "conv2d":
    case "depthwiseConv2d": {
      requireRank(x, 3, op.kind === "conv2d" ? "Conv2D" : "DepthwiseConv2D", layer);
      const w = window2d(x, op.kernelSize, op.strides, op.dilation, op.padding);
      if (w.outH < 1 || w.outW < 1) throw fail("SNNC112", `kernel larger than the input [${x.join(", ")}]`, { layer });
      const cin = x[2] ?? 0;
      const cout = op.kind === "conv2d" ? op.filters : cin * op.depthMultiplier;
      const expected = op.kernelSize[0] * op.kernelSize[1] * cin * (op.kind === "conv2d" ? op.filters : op.depthMultiplier);
      if (op.kernel.length !== expected) {
        throw fail("SNNC105", `kernel has ${op.kernel.length} values, expected ${expected}`, { layer });
      }
      return [w.outH, w.outW, cout];
    }
    case "batchNorm": {
      const c = x[x.length - 1] ?? 0;
      if (op.gamma.length !== c) throw fail("SNNC105", `has ${op.gamma.length} channels, input has ${c}`, { layer });
      return x;
    }
    case "activation":
    case "rateNorm":
    case "clipFloor":
      return x;
    case "avgPool":
    case "maxPool": {
      requireRank(x, 3, op.kind === "avgPool" ? "AveragePooling2D" : "MaxPooling2D", layer);
      const w = window2d(x, op.poolSize, op.strides, [1, 1], op.padding);
      if (w.outH < 1 || w.outW < 1) throw fail("SNNC112", `pool window larger than the input [${x.join(", ")}]`, { layer });
      return [w.outH, w.outW, x[2] ?? 0];
    }
    case "globalAvgPool":
      requireRank(x, 3, "GlobalAveragePooling2D", layer);
      return [x[2] ?? 0];
    case "flatten":
      return [shapeSize(x)];
    case "reshape": {
      const target = [...op.targetShape];
      const unknown = target.indexOf(-1);
      const known = target.reduce((a, d) => (d === -1 ? a : a * d), 1);
      if (unknown >= 0) target[unknown] = shapeSize(x) / known;
      if (shapeSize(target) !== shapeSize(x) || !target.every((d) => Number.isInteger(d) && d > 0)) {
        throw fail("SNNC112", `cannot reshape [${x.join(", ")}] to [${op.targetShape.join(", ")}]`, { layer });
      }
      return target;
    }
    case "zeroPad": {
      requireRank(x, 3, "ZeroPadding2D", layer);
      const [[t, b], [l, r]] = op.padding;
      return [(x[0] ?? 0) + t + b, (x[1] ?? 0) + l + r, x[2] ?? 0];
    }
    case "add": {
      if (inputs.length < 2) throw fail("SNNC112", "Add needs at least two inputs", { layer });
      for (const s of inputs) {
        if (s.length !== x.length || s.some((d, i) => d !== x[i])) {
          throw fail("SNNC112", `Add inputs differ in shape: ${inputs.map((s2) => `[${s2.join(", ")}]`).join(" vs ")}`, { layer });
        }
      }
      return x;
    }
    case "layerNorm": {
      const f = x[x.length - 1] ?? 0;
      if ((op.gamma && op.gamma.length !== f) || (op.beta && op.beta.length !== f)) {
        throw fail("SNNC105", `LayerNormalization has ${op.gamma?.length ?? op.beta?.length} features, input has ${f}`, { layer });
      }
      return x;
    }
    case "softmax":
      return x;
    case "multiHeadAttention": {
      requireRank(x, 2, "MultiHeadAttention", layer);
      const f = x[1] ?? 0;
      const hk = op.heads * op.keyDim;
      const hv = op.heads * op.valueDim;
      const want: [string, Float32Array | null, number][] = [
        ["query kernel", op.queryKernel, f * hk], ["key kernel", op.keyKernel, f * hk], ["value kernel", op.valueKernel, f * hv],
        ["output kernel", op.outputKernel, hv * op.outDim], ["query bias", op.queryBias, hk], ["key bias", op.keyBias, hk],
        ["value bias", op.valueBias, hv], ["output bias", op.outputBias, op.outDim],
      ];
      for (const [what, arr, n] of want) {
        if (arr && arr.length !== n) throw fail("SNNC105", `MultiHeadAttention ${what} has ${arr.length} values, expected ${n}`, { layer });
      }
      return [x[0] ?? 0, op.outDim];
    }
    case "positionEmbedding":
      requireRank(x, 2, "position embedding", layer);
      if (op.table.length !== shapeSize(x)) throw fail("SNNC105", `position table has ${op.table.length} values, expected ${shapeSize(x)}`, { layer });
      return x;
    case "classToken":
      requireRank(x, 2, "class token", layer);
      if (op.token.length !== (x[1] ?? 0)) throw fail("SNNC105", `class token has ${op.token.length} values, expected ${x[1]}`, { layer });
      return [(x[0] ?? 0) + 1, x[1] ?? 0];
    case "globalAvgPool1d":
      requireRank(x, 2, "GlobalAveragePooling1D", layer);
      return [x[1] ?? 0];
    case "tokenSlice":
      requireRank(x, 2, "token slice", layer);
      if (!Number.isInteger(op.index) || op.index < 0 || op.index >= (x[0] ?? 0)) {
        throw fail("SNNC112", `token ${op.index} is outside a sequence of ${x[0]}`, { layer });
      }
      return [x[1] ?? 0];
    case "concat": {
      if (inputs.length < 2) throw fail("SNNC112", "Concatenate needs at least two inputs", { layer });
      const axis = op.axis;
      let total = 0;
      for (const s of inputs) {
        if (s.length !== x.length || s.some((d, i) => i !== axis && d !== x[i])) {
          throw fail("SNNC112", `Concatenate inputs differ off axis ${axis}: ${inputs.map((s2) => `[${s2.join(", ")}]`).join(" vs ")}`, { layer });
        }
        total += s[axis] ?? 0;
      }
      const out = [...x];
      out[axis] = total;
      return out;
    }
  }
}

// The window walks (in-bounds count, the output windows each input pixel reaches) live in the runtime, which the
// emulator shares: runtime/window.ts.
export { windowCount, type WindowTaps, windowTaps } from "../../runtime/window.ts";
