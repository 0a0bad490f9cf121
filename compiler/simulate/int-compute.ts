/**
 * @fileoverview The integer reference model's ECMT compute nodes (ir/quantised.ts `compute`): per-population
 * state for a batch and one step, with the fixed-point rules of runtime/compute.ts only (the one source the
 * emulator must share). Input: this step's inputs, already exact s16.15 integers (simulate/int-snn.ts delivers
 * them with the payload scaling of ir/quantised.ts). Output: the nonzero payloads (value · 2^(15 − the node's
 * payloadShift), saturated to its payloadBits), written into the population's spike ring (index, payload).
 * Per step, per sample: S ← clampAccum(S + input (+ offset in the window)) (S_L, S_R for a matmul); from the
 * window's first step τ = t − depth + 1 ≥ 1 on, the EC step (ecFixedStep / ecFixedMatmulStep) gives E and
 * the payloads (runtime/compute.ts: the cumulative output's gain since the last step, in the node's format).
 */
import { ecAccumulate, ecFixedMatmulStep, ecFixedStep, type FixedMatmul, type PayloadFormat, payloadFormat } from "../../runtime/compute.ts";
import type { QComputeNode, QPopulation } from "../ir/quantised.ts";

export interface IntComputeState {
  readonly node: QComputeNode;
  /** This step's inputs [B, left] (single-operand nodes: [B, size]) and, for a matmul, [B, right]. */
  readonly inL: Float64Array;
  readonly inR: Float64Array | null;
  /** Accumulated inputs S (or S_L) and S_R, cumulative output E [B, size]. */
  readonly S: Float64Array;
  readonly SR: Float64Array | null;
  readonly E: Float64Array;
  readonly payload: Float64Array;
  readonly mean: Float64Array;
  readonly fx: Float64Array;
  /** The node's payloads (value · 2^(15 − shift), saturated to the target's packets). */
  readonly format: PayloadFormat;
}

export function matmulOperandSizes(op: FixedMatmul): { left: number; right: number } {
  return { left: op.rows * op.heads * op.inner, right: op.rightTransposed ? op.cols * op.heads * op.inner : op.inner * op.heads * op.cols };
}

export function newIntComputeState(p: QPopulation, B: number): IntComputeState | null {
  const node = p.compute;
  if (!node) return null;
  const n = p.size;
  const base = { node, E: new Float64Array(B * n), payload: new Float64Array(n), mean: new Float64Array(n), fx: new Float64Array(n), format: payloadFormat(node.payloadShift, node.payloadBits) };
  if (node.kind === "unary") return { ...base, inL: new Float64Array(B * n), inR: null, S: new Float64Array(B * n), SR: null };
  const { left, right } = matmulOperandSizes(node.op);
  return { ...base, inL: new Float64Array(B * left), inR: new Float64Array(B * right), S: new Float64Array(B * left), SR: new Float64Array(B * right) };
}

/** One step of a compute population for a batch; the nonzero payloads go to (idx, payload, count) as spikes. */
export function stepCompute(p: QPopulation, cs: IntComputeState, B: number, t: number, idx: Int32Array, payloadOut: Int32Array, count: Int32Array): void {
  const n = p.size;
  const tau = t - p.depth + 1;
  const inWindow = tau >= 1;
  const node = cs.node;
  for (let b = 0; b < B; b++) {
    const E = cs.E.subarray(b * n, (b + 1) * n);
    if (node.kind === "unary") {
      const S = cs.S.subarray(b * n, (b + 1) * n);
      ecAccumulate(S, cs.inL.subarray(b * n, (b + 1) * n), node.offset, inWindow);
      if (inWindow) ecFixedStep(node.op, tau, S, E, cs.payload, cs.mean, cs.fx, cs.format);
    } else {
      const l = cs.S.length / B;
      const r = (cs.SR as Float64Array).length / B;
      const SL = cs.S.subarray(b * l, (b + 1) * l);
      const SR = (cs.SR as Float64Array).subarray(b * r, (b + 1) * r);
      ecAccumulate(SL, cs.inL.subarray(b * l, (b + 1) * l), null, inWindow);
      ecAccumulate(SR, (cs.inR as Float64Array).subarray(b * r, (b + 1) * r), null, inWindow);
      if (inWindow) ecFixedMatmulStep(node.op, tau, SL, SR, E, cs.payload, cs.format);
    }
    let k = 0;
    if (inWindow) {
      for (let j = 0; j < n; j++) {
        const v = cs.payload[j] as number;
        if (v !== 0) {
          idx[b * n + k] = j;
          payloadOut[b * n + k] = v;
          k++;
        }
      }
    }
    count[b] = k;
  }
}
