/**
 * @fileoverview The float SNN simulator's multi-threshold neurons (ir/snn.ts `mt`, ECMT): the firing rule
 * (mtFire) and one step of a population of them (multiThresholdUpdate, float-snn.ts's update for kind "mt").
 */
import type { PopState } from "./float-snn.ts";
import type { SpikeSlot } from "./scatter.ts";

/**
 * One step of multi-threshold neurons for a batch: x = v + I + bias (float64, then stored as float32); the
 * residue r (x, or with ReLU neurons max(x, 0) − the cumulative output E) fires mtFire(r) as a graded payload,
 * which is subtracted from v (or added to E). `bias` is the population's per-channel bias (biasOrZero).
 */
export function multiThresholdUpdate(st: PopState, bias: Float32Array, B: number, slot: SpikeSlot): void {
  const p = st.pop;
  const nm = p.neuron;
  if (nm.kind !== "mt") throw new Error(`internal: ${p.name} is not a multi-threshold population`);
  const n = p.size;
  const C = p.shape[2];
  const v = st.v;
  const I = st.current;
  const idx = slot.idx;
  const val = slot.val;
  const e = st.emitted;
  for (let b = 0; b < B; b++) {
    const base = b * n;
    let k = 0;
    let c = 0;
    for (let j = 0; j < n; j++) {
      let x = (v[base + j] as number) + (I[base + j] as number) + (bias[c] as number);
      if (++c === C) c = 0;
      const r = e ? Math.max(x, 0) - (e[base + j] as number) : x;
      const payload = mtFire(r, nm.levels, nm.negThreshold);
      if (payload !== 0) {
        if (e) e[base + j] = (e[base + j] as number) + payload;
        else x -= payload;
        idx[base + k] = j;
        val[base + k] = payload;
        k++;
      }
      v[base + j] = x;
    }
    slot.n[b] = k;
  }
}

/** ECMT multi-threshold rule: the largest level λ = 2^k (k < levels) with v ≥ λ - 1/2 fires (payload λ);
 * on the negative side λ = θn·2^k with -v ≥ λ - θn/2 (payload -λ). 0 = no spike. */
export function mtFire(v: number, levels: number, negThreshold: number): number {
  if (v >= 0.5) {
    let k = Math.min(levels - 1, Math.max(0, Math.floor(Math.log2(v + 0.5))));
    while (k > 0 && v < 2 ** k - 0.5) k--;
    while (k + 1 < levels && v >= 2 ** (k + 1) - 0.5) k++;
    return 2 ** k;
  }
  if (negThreshold > 0 && -v >= negThreshold / 2) {
    const u = -v / negThreshold;
    let k = Math.min(levels - 1, Math.max(0, Math.floor(Math.log2(u + 0.5))));
    while (k > 0 && u < 2 ** k - 0.5) k--;
    while (k + 1 < levels && u >= 2 ** (k + 1) - 0.5) k++;
    return -negThreshold * 2 ** k;
  }
  return 0;
}
