/**
 * @fileoverview Float model of ECMT compute nodes (ir/snn.ts `compute`): the operators f and the Expectation
 * Compensation step, for one sample at a time, in float64.
 *
 * Input: a compute population's op, its accumulated input S(τ) (operand-wise for matmul) and its cumulative
 * output so far E(τ−1) = (τ−1)·f(S(τ−1)/(τ−1)). Output: the payload O(τ) = τ·f(S(τ)/τ) − E(τ−1), and E(τ).
 * This is ECMT's `exp_comp_neuron` (and, for matmul, `AtNeuron`, which computes the same difference
 * incrementally; test/convert/ecmt.test.ts pins the two together). Invariant: Σ_{τ'≤τ} O(τ') = τ·f(S(τ)/τ)
 * up to float rounding. No state lives here: callers own the arrays.
 */
import type { ComputeOp } from "../ir/snn.ts";
import { gelu, geluTanh } from "../interp/ops.ts";

/** Sizes of a matmul's operands and output. */
export function matmulSizes(op: Extract<ComputeOp, { kind: "matmul" }>): { left: number; right: number; out: number } {
  return {
    left: op.rows * op.heads * op.inner,
    right: op.rightTransposed ? op.cols * op.heads * op.inner : op.inner * op.heads * op.cols,
    out: op.rows * op.heads * op.cols,
  };
}

/** out[i] = f(x)[i] for the single-operand operators (x: one sample). */
export function applyUnaryOp(op: Exclude<ComputeOp, { kind: "matmul" }>, x: ArrayLike<number>, out: Float64Array): void {
  const n = out.length;
  switch (op.kind) {
    case "sum":
      for (let i = 0; i < n; i++) out[i] = x[i] as number;
      return;
    case "gelu": {
      const f = op.approximate ? geluTanh : gelu;
      for (let i = 0; i < n; i++) out[i] = f(x[i] as number);
      return;
    }
    case "softmax": {
      const g = op.groupSize;
      for (let s = 0; s < n; s += g) {
        let m = -Infinity;
        for (let i = s; i < s + g; i++) m = Math.max(m, x[i] as number);
        let sum = 0;
        for (let i = s; i < s + g; i++) {
          const e = Math.exp((x[i] as number) - m);
          out[i] = e;
          sum += e;
        }
        for (let i = s; i < s + g; i++) out[i] = (out[i] as number) / sum;
      }
      return;
    }
    case "layerNorm": {
      const F = op.features;
      for (let s = 0; s < n; s += F) {
        let mean = 0;
        for (let i = s; i < s + F; i++) mean += x[i] as number;
        mean /= F;
        let v = 0;
        for (let i = s; i < s + F; i++) v += ((x[i] as number) - mean) ** 2;
        const inv = 1 / Math.sqrt(v / F + op.epsilon);
        for (let f = 0; f < F; f++) {
          const g = op.gamma ? (op.gamma[f] as number) : 1;
          const b = op.beta ? (op.beta[f] as number) : 0;
          out[s + f] = ((x[s + f] as number) - mean) * inv * g + b;
        }
      }
      return;
    }
  }
}

/** out = scale · L·R per head (layouts: ir/snn.ts ComputeOp `matmul`). */
export function applyMatmul(op: Extract<ComputeOp, { kind: "matmul" }>, left: ArrayLike<number>, right: ArrayLike<number>, scale: number, out: Float64Array): void {
  const { heads: H, rows: M, inner: K, cols: N } = op;
  for (let m = 0; m < M; m++) {
    for (let h = 0; h < H; h++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        if (op.rightTransposed) {
          const lb = m * H * K + h * K;
          const rb = n * H * K + h * K;
          for (let k = 0; k < K; k++) acc += (left[lb + k] as number) * (right[rb + k] as number);
        } else {
          const lb = m * H * K + h * K;
          for (let k = 0; k < K; k++) acc += (left[lb + k] as number) * (right[k * H * N + h * N + n] as number);
        }
        out[m * H * N + h * N + n] = acc * scale;
      }
    }
  }
}

/**
 * One Expectation-Compensation step of a single-operand node for one sample: given S(τ) (sum of all inputs
 * so far) and E = (τ−1)·f(S(τ−1)/(τ−1)), writes O(τ) into `payload` and updates E to τ·f(S(τ)/τ).
 * `scratch` holds the mean input and f of it (two arrays of the node's size).
 */
export function ecUnaryStep(op: Exclude<ComputeOp, { kind: "matmul" }>, tau: number, S: ArrayLike<number>, E: Float64Array, payload: Float64Array, mean: Float64Array, fx: Float64Array): void {
  const n = E.length;
  for (let i = 0; i < n; i++) mean[i] = (S[i] as number) / tau;
  applyUnaryOp(op, mean, fx);
  for (let i = 0; i < n; i++) {
    const cum = tau * (fx[i] as number);
    payload[i] = cum - (E[i] as number);
    E[i] = cum;
  }
}

/** The matmul step: cumulative output S_L(τ)·S_R(τ)/τ, payload its increase over E. */
export function ecMatmulStep(op: Extract<ComputeOp, { kind: "matmul" }>, tau: number, SL: ArrayLike<number>, SR: ArrayLike<number>, E: Float64Array, payload: Float64Array, prod: Float64Array): void {
  applyMatmul(op, SL, SR, 1 / tau, prod);
  for (let i = 0; i < E.length; i++) {
    payload[i] = (prod[i] as number) - (E[i] as number);
    E[i] = prod[i] as number;
  }
}

/**
 * ECMT's count of a matmul node's operations in one step (its SOPMonitor for AtNeuron, cal_sop1_2): the
 * products with nonzero factors of x·y, x·S_R(τ) and S_L(τ)·y, where x, y are the step's operand inputs and
 * S_L(τ) = S_L + x, S_R(τ) = S_R + y the sums after this step's input (the forward hook sees them updated).
 */
export function matmulSops(op: Extract<ComputeOp, { kind: "matmul" }>, x: ArrayLike<number>, y: ArrayLike<number>, SL: ArrayLike<number>, SR: ArrayLike<number>): number {
  const { heads: H, rows: M, inner: K, cols: N } = op;
  let ops = 0;
  for (let m = 0; m < M; m++) {
    for (let h = 0; h < H; h++) {
      for (let k = 0; k < K; k++) {
        const li = m * H * K + h * K + k;
        const xNz = (x[li] as number) !== 0;
        const sNz = (SL[li] as number) + (x[li] as number) !== 0;
        if (!xNz && !sNz) continue;
        for (let n = 0; n < N; n++) {
          const ri = op.rightTransposed ? n * H * K + h * K + k : k * H * N + h * N + n;
          const yNz = (y[ri] as number) !== 0;
          const tNz = (SR[ri] as number) + (y[ri] as number) !== 0;
          if (xNz && yNz) ops++;
          if (xNz && tNz) ops++;
          if (sNz && yNz) ops++;
        }
      }
    }
  }
  return ops;
}
