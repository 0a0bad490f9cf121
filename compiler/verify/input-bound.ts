/**
 * @fileoverview Worst-case synaptic input per step against the chip's input accumulator. Stage: end of
 * quantise. Input: the QuantisedSnn and the target's `neuron.stepInputBits` (B; Loihi 1: 21). Output: one
 * SNNC-W310 warning per layer whose neurons can receive more than the accumulator holds in one step.
 *
 * Bound of neuron j's input q_j in one step (each source spikes at most once per step, with payload at most
 * P+ (positive) or P− (negative magnitude): 1 for binary spikes, 2^(levels−1)(·negPayload) for graded ones, the
 * largest payload / 2^payloadShift for graded input):
 *   q_j ≤ Σ_{w>0} w·P+ + Σ_{w<0} |w|·P−(source can send negative payloads)    (and the mirror for q_j ≥ …)
 * over every synapse into j (all delays, the two-compartment self-synapse −threshold included). Windowed
 * projections are bounded per output channel (the full kernel; padding only removes terms). The chip wraps q
 * to [−2^B, 2^B) (two's complement) — so do the emulator and the reference model (runtime/neuron.ts), so a
 * layer named here still verifies bit-exactly; the warning says the wrap can happen. docs/input-bound.md.
 */
import type { Warning } from "../diagnostics.ts";
import type { QConnectivity, QPopulation, QuantisedSnn } from "../ir/quantised.ts";

export interface InputBound {
  readonly layer: string;
  /** Largest and smallest input one step can bring to a neuron of the layer (state units). */
  readonly max: number;
  readonly min: number;
}

/** Largest positive and negative payload magnitudes a population's spikes carry (graded input: the largest
 * payload, already divided by the projection's payloadShift 2^F). */
function payloads(p: QPopulation, q: QuantisedSnn, shift: number): { pos: number; neg: number } {
  if (p.id === q.input.population && q.input.encoding === "graded") {
    const top = (2 ** (q.input.payloadBits - 1) - 1) / 2 ** shift;
    return { pos: top, neg: top };
  }
  const a = p.params;
  if (a.kind !== "mt") return { pos: 1, neg: 0 };
  const top = 2 ** Math.max(0, a.mtLevels - 1);
  return { pos: top, neg: a.mtNegThreshold > 0 || a.mtRelu === 1 ? top * a.mtNegPayload : 0 };
}

/** Per destination neuron (or per channel, `perChannel`): sums of positive and of negative effective weights. */
function sums(conn: QConnectivity, size: number, channels: number, posShift: number, negShift: number): { pos: Float64Array; neg: Float64Array; perChannel: boolean } {
  const eff = (m: number) => m * 2 ** (m >= 0 ? posShift : negShift);
  const add = (pos: Float64Array, neg: Float64Array, j: number, w: number) => {
    if (w > 0) pos[j] = (pos[j] as number) + w;
    else neg[j] = (neg[j] as number) + w;
  };
  switch (conn.kind) {
    case "dense": {
      const pos = new Float64Array(size);
      const neg = new Float64Array(size);
      for (let k = 0; k < conn.weights.length; k++) add(pos, neg, k % size, eff(conn.weights[k] as number));
      return { pos, neg, perChannel: false };
    }
    case "sparse": {
      const pos = new Float64Array(size);
      const neg = new Float64Array(size);
      for (let k = 0; k < conn.col.length; k++) add(pos, neg, conn.col[k] as number, eff(conn.weights[k] as number));
      return { pos, neg, perChannel: false };
    }
    case "conv":
    case "depthwise":
    case "oneToOne": {
      const pos = new Float64Array(channels);
      const neg = new Float64Array(channels);
      const w = conn.kind === "oneToOne" ? conn.weights : conn.kernel;
      // conv kernel [kh, kw, inC, outC]: channel k % outC; depthwise [kh, kw, inC, mult]: channel (k % (inC·mult));
      // oneToOne: one weight per channel.
      for (let k = 0; k < w.length; k++) add(pos, neg, k % channels, eff(w[k] as number));
      return { pos, neg, perChannel: true };
    }
    case "avgPool": {
      const pos = new Float64Array(channels);
      const neg = new Float64Array(channels);
      const n = conn.geometry.kh * conn.geometry.kw;
      for (let c = 0; c < channels; c++) {
        for (let count = 1; count <= n; count++) {
          const w = eff(conn.table[c * (n + 1) + count] as number) * count;
          pos[c] = Math.max(pos[c] as number, w);
          neg[c] = Math.min(neg[c] as number, w);
        }
      }
      return { pos, neg, perChannel: true };
    }
    case "maxPool":
      // The gate passes one input's spike per step with weight 1 of the gate's own scale: no accumulation.
      return { pos: new Float64Array(channels), neg: new Float64Array(channels), perChannel: true };
  }
}

/** Worst-case input bounds of every population that receives synapses. */
export function inputBounds(q: QuantisedSnn): InputBound[] {
  const out: InputBound[] = [];
  for (const p of q.populations) {
    const C = p.shape[2];
    const hi = new Float64Array(p.size);
    const lo = new Float64Array(p.size);
    for (const pr of p.inputs) {
      const src = q.populations[pr.source];
      if (!src) continue;
      const pay = payloads(src, q, pr.payloadShift ?? 0);
      const s = sums(pr.conn, p.size, C, pr.posShift, pr.negShift);
      for (let j = 0; j < p.size; j++) {
        const at = s.perChannel ? j % C : j;
        const pw = s.pos[at] as number;
        const nw = s.neg[at] as number;
        hi[j] = (hi[j] as number) + pw * pay.pos - nw * pay.neg;
        lo[j] = (lo[j] as number) + nw * pay.pos - pw * pay.neg;
      }
    }
    // Loihi 1's soft reset: the self-synapse brings −threshold the step after a spike.
    const self = p.params.reset === "two-compartment" ? p.params.threshold : 0;
    let max = 0;
    let min = 0;
    for (let j = 0; j < p.size; j++) {
      max = Math.max(max, hi[j] as number);
      min = Math.min(min, (lo[j] as number) - self);
    }
    if (p.inputs.length > 0 || self > 0) out.push({ layer: p.name, max, min });
  }
  return out;
}

/** SNNC-W310 for each layer whose worst-case step input leaves [−2^B, 2^B − 1]. */
export function checkInputBound(q: QuantisedSnn, bits: number | undefined, targetTitle: string, warn: (w: Warning) => void): void {
  if (bits === undefined) return;
  const limit = 2 ** bits;
  for (const b of inputBounds(q)) {
    if (b.max <= limit - 1 && b.min >= -limit) continue;
    warn({
      code: "SNNC-W310",
      message: `one step's synaptic input can reach ${b.max} / ${b.min} state units (every input spiking at once), beyond the ${bits}-bit (+ sign) input accumulator of ${targetTitle}; the chip wraps it, and so do the emulator and the reference model (docs/input-bound.md)`,
      loc: { layer: b.layer },
    });
  }
}
