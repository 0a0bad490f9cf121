/**
 * @fileoverview Float kernels of the reference interpreter for the transformer operators (token sequences).
 *
 * Input tensors are row-major [batch, tokens, features] Float32Arrays (per sample [tokens, features], as
 * ir/ann.ts states). Semantics are Keras': LayerNormalization over the last axis with the biased variance;
 * MultiHeadAttention scales the query by 1/√keyDim before Q·Kᵀ, softmax over the key axis; softmax subtracts the
 * row maximum. Sums run in float64 and each op's result is rounded to float32 once, so the interpreter is at
 * least as exact as tfjs' float32 kernels.
 */
import type { ClassTokenOp, LayerNormOp, MultiHeadAttentionOp, PositionEmbeddingOp } from "../ir/ann.ts";

/** y = (x − mean) / √(var + ε) · γ + β over the last axis (`features` values per row). */
export function layerNorm(op: LayerNormOp, x: Float32Array, features: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += features) {
    let mean = 0;
    for (let j = 0; j < features; j++) mean += x[r + j] as number;
    mean /= features;
    let v = 0;
    for (let j = 0; j < features; j++) {
      const d = (x[r + j] as number) - mean;
      v += d * d;
    }
    const inv = 1 / Math.sqrt(v / features + op.epsilon);
    for (let j = 0; j < features; j++) {
      const g = op.gamma ? (op.gamma[j] as number) : 1;
      const b = op.beta ? (op.beta[j] as number) : 0;
      out[r + j] = ((x[r + j] as number) - mean) * inv * g + b;
    }
  }
  return out;
}

/** Softmax over the last axis of a float64 row, in place. */
function softmaxRow(row: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < row.length; j++) max = Math.max(max, row[j] as number);
  let sum = 0;
  for (let j = 0; j < row.length; j++) {
    const e = Math.exp((row[j] as number) - max);
    row[j] = e;
    sum += e;
  }
  for (let j = 0; j < row.length; j++) row[j] = (row[j] as number) / sum;
}

/** x [rows, f] · kernel [f, cols] + bias, in float64, rows × cols. */
function project(x: Float32Array, base: number, rows: number, f: number, kernel: Float32Array, bias: Float32Array | null, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let t = 0; t < rows; t++) {
    const o = t * cols;
    if (bias) for (let c = 0; c < cols; c++) out[o + c] = bias[c] as number;
    for (let i = 0; i < f; i++) {
      const xi = x[base + t * f + i] as number;
      if (xi === 0) continue;
      const w = i * cols;
      for (let c = 0; c < cols; c++) out[o + c] = (out[o + c] as number) + xi * (kernel[w + c] as number);
    }
  }
  return out;
}

/**
 * Self-attention of ir/ann.ts' MultiHeadAttentionOp on [batch, tokens, features]. The [f, heads, d] kernels are
 * used as [f, heads·d] matrices (row-major, so head h owns columns h·d … h·d + d − 1).
 */
export function multiHeadAttention(op: MultiHeadAttentionOp, x: Float32Array, batch: number, tokens: number, features: number): Float32Array {
  const { heads: h, keyDim: dk, valueDim: dv, outDim } = op;
  const out = new Float32Array(batch * tokens * outDim);
  const scale = 1 / Math.sqrt(dk);
  const row = new Float64Array(tokens);
  const ctx = new Float64Array(tokens * h * dv);
  for (let n = 0; n < batch; n++) {
    const base = n * tokens * features;
    const q = project(x, base, tokens, features, op.queryKernel, op.queryBias, h * dk);
    const k = project(x, base, tokens, features, op.keyKernel, op.keyBias, h * dk);
    const v = project(x, base, tokens, features, op.valueKernel, op.valueBias, h * dv);
    ctx.fill(0);
    for (let head = 0; head < h; head++) {
      for (let i = 0; i < tokens; i++) {
        for (let j = 0; j < tokens; j++) {
          let s = 0;
          for (let d = 0; d < dk; d++) s += (q[i * h * dk + head * dk + d] as number) * scale * (k[j * h * dk + head * dk + d] as number);
          row[j] = s;
        }
        softmaxRow(row);
        for (let j = 0; j < tokens; j++) {
          const a = row[j] as number;
          for (let d = 0; d < dv; d++) {
            const c = i * h * dv + head * dv + d;
            ctx[c] = (ctx[c] as number) + a * (v[j * h * dv + head * dv + d] as number);
          }
        }
      }
    }
    // Output projection: [tokens, heads·dv] · [heads·dv, outDim] (the [heads, dv, outDim] kernel, row-major).
    for (let t = 0; t < tokens; t++) {
      const o = (n * tokens + t) * outDim;
      for (let c = 0; c < outDim; c++) {
        let s = op.outputBias ? (op.outputBias[c] as number) : 0;
        for (let i = 0; i < h * dv; i++) s += (ctx[t * h * dv + i] as number) * (op.outputKernel[i * outDim + c] as number);
        out[o + c] = s;
      }
    }
  }
  return out;
}

export function positionEmbedding(op: PositionEmbeddingOp, x: Float32Array): Float32Array {
  const per = op.table.length;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] as number) + (op.table[i % per] as number);
  return out;
}

export function classToken(op: ClassTokenOp, x: Float32Array, batch: number, tokens: number, features: number): Float32Array {
  const out = new Float32Array(batch * (tokens + 1) * features);
  for (let n = 0; n < batch; n++) {
    out.set(op.token, n * (tokens + 1) * features);
    out.set(x.subarray(n * tokens * features, (n + 1) * tokens * features), (n * (tokens + 1) + 1) * features);
  }
  return out;
}

/** Mean over the token axis: [batch, tokens, f] → [batch, f]. */
export function globalAvgPool1d(x: Float32Array, batch: number, tokens: number, features: number): Float32Array {
  const out = new Float32Array(batch * features);
  const acc = new Float64Array(features);
  for (let n = 0; n < batch; n++) {
    acc.fill(0);
    for (let t = 0; t < tokens; t++) {
      const b = (n * tokens + t) * features;
      for (let f = 0; f < features; f++) acc[f] = (acc[f] as number) + (x[b + f] as number);
    }
    for (let f = 0; f < features; f++) out[n * features + f] = (acc[f] as number) / tokens;
  }
  return out;
}

export function tokenSlice(x: Float32Array, batch: number, tokens: number, features: number, index: number): Float32Array {
  const out = new Float32Array(batch * features);
  for (let n = 0; n < batch; n++) out.set(x.subarray((n * tokens + index) * features, (n * tokens + index + 1) * features), n * features);
  return out;
}
