/**
 * @fileoverview The float SNN simulator's compute nodes (ir/snn.ts `compute`): per-population state (the
 * accumulated inputs S and the cumulative output E for a batch) and one step — accumulate this step's input,
 * then from the window's first step on emit the expectation-compensated output as graded payloads (zeros are
 * not sent). In float (simulate/compute.ts) or, with `fixedCompute`, in the processors' fixed point
 * (runtime/compute.ts: inputs rounded to s16.15, S and E integers).
 */
import type { Population, Projection } from "../ir/snn.ts";
import { clampAccum, ecFixedMatmulStep, ecFixedStep, ONE, PAYLOAD_S16_15, type PayloadFormat, payloadFormat } from "../../runtime/compute.ts";
import { type FixedComputeNode, quantiseComputeNode } from "../quantise/compute.ts";
import { ecMatmulStep, ecUnaryStep, matmulSizes, matmulSops } from "./compute.ts";
import { scatterProjection, type SpikeSlot } from "./scatter.ts";

export interface ComputeState {
  /** Accumulated input S [B, size] (single-operand ops) or operands S_L [B, left] and S_R [B, right] (matmul). */
  readonly S: Float64Array;
  readonly SR: Float64Array | null;
  /** This step's operand inputs (matmul). */
  readonly IL: Float32Array | null;
  readonly IR: Float32Array | null;
  /** Cumulative output E [B, size]. */
  readonly E: Float64Array;
  readonly payload: Float64Array;
  readonly scratchA: Float64Array;
  readonly scratchB: Float64Array;
  /** `fixedCompute`: the node in fixed point (runtime/compute.ts); S and E then hold s16.15 integers. */
  readonly fixed: FixedComputeNode | null;
  /** Its payload format (s16.15 in 32 bits) and the ANN value of one payload unit. */
  readonly format: PayloadFormat;
  readonly unit: number;
}

export function computeState(p: Population, B: number, fixedCompute: boolean): ComputeState | null {
  if (p.neuron.kind !== "compute") return null;
  const op = p.neuron.op;
  const n = p.size;
  const fixed = fixedCompute ? quantiseComputeNode(p.neuron) : null;
  const format = fixed ? payloadFormat(fixed.payloadShift, fixed.payloadBits) : PAYLOAD_S16_15;
  const base = { E: new Float64Array(B * n), payload: new Float64Array(n), scratchA: new Float64Array(n), scratchB: new Float64Array(n), fixed, format, unit: 2 ** format.shift / ONE };
  if (op.kind !== "matmul") return { ...base, S: new Float64Array(B * n), SR: null, IL: null, IR: null };
  const sz = matmulSizes(op);
  return { ...base, S: new Float64Array(B * sz.left), SR: new Float64Array(B * sz.right), IL: new Float32Array(B * sz.left), IR: new Float32Array(B * sz.right) };
}

/**
 * A compute node's input of step t, before computeUpdate: `current` (and a matmul's operands IL and IR) cleared,
 * then the spikes projection k sent at step t − delay (`spikesOf(k, pr)`; none before step 0) delivered into
 * the operand it feeds. `delivered` is told each projection's synaptic events. Used by simulateFloat
 * (float-snn.ts) and the layer-wise simulator (float-layers.ts), so both deliver a compute node's input alike.
 */
export function computeInput(p: Population, pops: readonly Population[], current: Float32Array, cs: ComputeState, B: number, t: number, spikesOf: (k: number, pr: Projection) => SpikeSlot, delivered?: (pr: Projection, events: number) => void): void {
  current.fill(0);
  cs.IL?.fill(0);
  cs.IR?.fill(0);
  p.inputs.forEach((pr, k) => {
    if (t - pr.delay < 0) return;
    const dst = pr.operand === "left" ? cs.IL : pr.operand === "right" ? cs.IR : current;
    if (!dst) throw new Error(`internal: operand projection into ${p.name}`);
    const events = scatterProjection(pr.conn, spikesOf(k, pr), dst, B, (pops[pr.source] as Population).size, dst.length / B);
    delivered?.(pr, events);
  });
}

/** One step of an ECMT compute node (ir/snn.ts): accumulate the input, then from its window's first step on
 * emit the expectation-compensated output as graded payloads (zeros are not sent). */
export function computeUpdate(p: Population, current: Float32Array, cs: ComputeState, B: number, slot: SpikeSlot, t: number): number {
  let ops = 0;
  if (p.neuron.kind !== "compute") return 0;
  const { op, offset } = p.neuron;
  const n = p.size;
  const tau = t - p.depth + 1;
  const inWindow = tau >= 1;
  for (let b = 0; b < B; b++) {
    if (op.kind === "matmul") {
      const SL = cs.S;
      const SR = cs.SR as Float64Array;
      const IL = cs.IL as Float32Array;
      const IR = cs.IR as Float32Array;
      const l = IL.length / B;
      const r = IR.length / B;
      ops += matmulSops(op, IL.subarray(b * l, (b + 1) * l), IR.subarray(b * r, (b + 1) * r), SL.subarray(b * l, (b + 1) * l), SR.subarray(b * r, (b + 1) * r));
      const q = cs.fixed ? ONE : 1;
      for (let i = 0; i < l; i++) SL[b * l + i] = (SL[b * l + i] as number) + (q === 1 ? (IL[b * l + i] as number) : Math.round((IL[b * l + i] as number) * q));
      for (let i = 0; i < r; i++) SR[b * r + i] = (SR[b * r + i] as number) + (q === 1 ? (IR[b * r + i] as number) : Math.round((IR[b * r + i] as number) * q));
      if (inWindow && cs.fixed?.kind === "matmul") {
        ecFixedMatmulStep(cs.fixed.op, tau, SL.subarray(b * l, (b + 1) * l), SR.subarray(b * r, (b + 1) * r), cs.E.subarray(b * n, (b + 1) * n), cs.payload, cs.format);
        for (let j = 0; j < n; j++) cs.payload[j] = (cs.payload[j] as number) * cs.unit;
      } else if (inWindow) ecMatmulStep(op, tau, SL.subarray(b * l, (b + 1) * l), SR.subarray(b * r, (b + 1) * r), cs.E.subarray(b * n, (b + 1) * n), cs.payload, cs.scratchA);
    } else {
      const S = cs.S;
      const fx = cs.fixed?.kind === "unary" ? cs.fixed : null;
      if (fx) {
        for (let j = 0; j < n; j++) S[b * n + j] = clampAccum((S[b * n + j] as number) + Math.round((current[b * n + j] as number) * ONE) + (inWindow && fx.offset ? (fx.offset[j] as number) : 0));
        if (inWindow) {
          ecFixedStep(fx.op, tau, S.subarray(b * n, (b + 1) * n), cs.E.subarray(b * n, (b + 1) * n), cs.payload, cs.scratchA, cs.scratchB, cs.format);
          for (let j = 0; j < n; j++) cs.payload[j] = (cs.payload[j] as number) * cs.unit;
        }
      } else {
        for (let j = 0; j < n; j++) S[b * n + j] = (S[b * n + j] as number) + (current[b * n + j] as number) + (inWindow && offset ? (offset[j] as number) : 0);
        if (inWindow) ecUnaryStep(op, tau, S.subarray(b * n, (b + 1) * n), cs.E.subarray(b * n, (b + 1) * n), cs.payload, cs.scratchA, cs.scratchB);
      }
    }
    let k = 0;
    if (inWindow) {
      const base = b * n;
      for (let j = 0; j < n; j++) {
        const v = cs.payload[j] as number;
        if (v !== 0) {
          slot.idx[base + k] = j;
          slot.val[base + k] = v;
          k++;
        }
      }
    }
    slot.n[b] = k;
  }
  return ops;
}
