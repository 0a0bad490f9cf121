/**
 * @fileoverview Reference integer simulator of a QuantisedSnn: the golden model. No mapping, no routing: the
 * structured projections deliver integer effective weights (mantissa << shift, times the graded payload) and
 * every population steps with the target's integer neuron model from runtime/neuron.ts. The emulator, which
 * runs from the placement binary alone, must reproduce its spikes exactly.
 *
 * Input (runtime/input.ts, shared with the emulator): current → the input neurons' biases; Poisson → spikes
 * from xorshift32; graded → every step each nonzero pixel payload, delivered with the projections' payloadShift.
 * Timing as ir/snn.ts: the run lasts T + readoutDepth steps; scores are the readout's v (or its spike count
 * inside the window) at the end. `onSpikes` sees every population's spikes at every step (verify, traces).
 * ECMT compute populations step in fixed point (simulate/int-compute.ts, runtime/compute.ts); projections with
 * a payloadShift (out of compute nodes) add, per target and step, their exact sum Σ payload · weight divided by
 * 2^payloadShift and rounded half away from zero (ir/quantised.ts, payload scaling).
 */
import { gradedPayload, inputBias, poissonThreshold, xorshift32 } from "../../runtime/input.ts";
import { type IntState, newIntState, stepPopulation } from "../../runtime/neuron.ts";
import type { QConnectivity, QPopulation, QProjection, QuantisedSnn } from "../ir/quantised.ts";
import { windowTaps } from "../ir/shape.ts";
import { shiftRound } from "../../runtime/compute.ts";
import { type IntComputeState, newIntComputeState, stepCompute } from "./int-compute.ts";

export interface IntSimOptions {
  readonly timesteps: number;
  readonly batchSize?: number;
  /** Called after each population's update at each step, per sample. */
  readonly onSpikes?: (t: number, pop: number, sample: number, idx: Int32Array, payload: Int32Array, count: number) => void;
  readonly onBatch?: (done: number) => void;
  /** Global index of the first sample (Poisson seeds follow it when a batch is split into shards). */
  readonly sampleOffset?: number;
  /** Input frames per sample (event input, as the emulator's `frames`): step t < frames takes frame t. */
  readonly frames?: number;
}

export interface IntSimResult {
  /** Scores [count, classes]: readout v, or spike counts in the window for a count readout. */
  readonly scores: Float64Array;
  readonly classes: number;
  /** Spikes per population over all samples and steps. */
  readonly spikes: Float64Array;
  /** Synaptic events delivered (spike × target). */
  readonly synapticEvents: number;
}

interface Ring {
  readonly idx: Int32Array;
  readonly payload: Int32Array;
  readonly count: Int32Array;
}

/** Effective integer weights of a projection (mantissa · 2^shift), as float64 (exact up to 2^53). */
export function effectiveWeights(pr: QProjection): Float64Array | null {
  const c = pr.conn;
  const src = c.kind === "dense" || c.kind === "oneToOne" || c.kind === "sparse" ? c.weights : c.kind === "conv" || c.kind === "depthwise" ? c.kernel : c.kind === "avgPool" ? c.table : null;
  if (!src) return null;
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const m = src[i] as number;
    out[i] = m * 2 ** (m < 0 ? pr.negShift : pr.posShift);
  }
  return out;
}

export function simulateInt(q: QuantisedSnn, images: Float32Array, count: number, options: IntSimOptions): IntSimResult {
  const T = options.timesteps;
  const steps = T + q.readoutDepth;
  const pops = q.populations;
  const out = pops[q.output] as QPopulation;
  const classes = out.size;
  const inPop = pops[q.input.population] as QPopulation;
  const per = inPop.size;
  const batchSize = options.batchSize ?? 32;
  const scores = new Float64Array(count * classes);
  const spikes = new Float64Array(pops.length);
  let synapticEvents = 0;
  const weights = pops.map((p) => p.inputs.map(effectiveWeights));
  const ringLen = pops.map(() => 2);
  for (const p of pops) for (const pr of p.inputs) ringLen[pr.source] = Math.max(ringLen[pr.source] as number, pr.delay + 1);

  for (let start = 0; start < count; start += batchSize) {
    const B = Math.min(batchSize, count - start);
    const states: IntState[] = pops.map((p) => newIntState(p.params, B));
    const rings: Ring[][] = pops.map((p, i) => Array.from({ length: ringLen[i] as number }, () => ({ idx: new Int32Array(B * p.size), payload: new Int32Array(B * p.size), count: new Int32Array(B) })));
    const q64 = pops.map((p) => new Float64Array(B * p.size));
    const computes: (IntComputeState | null)[] = pops.map((p) => newIntComputeState(p, B));
    const scratch = new Float64Array(B * Math.max(...pops.map((p, i) => Math.max(p.size, (computes[i]?.inL.length ?? 0) / B, (computes[i]?.inR?.length ?? 0) / B))));
    const frames = options.frames ?? 1;
    const input = images.subarray(start * per * frames, (start + B) * per * frames);
    // Input: current encoding → per-neuron bias; Poisson → spikes from xorshift32. Event input (frames > 1):
    // frame t at step t, nothing after the last frame.
    const pixelsAt = (f: number): Float32Array => {
      if (frames === 1) return input;
      const out = new Float32Array(B * per);
      if (f >= 0) for (let b = 0; b < B; b++) out.set(input.subarray((b * frames + f) * per, (b * frames + f + 1) * per), b * per);
      return out;
    };
    let inputBiases: Float64Array | null = null;
    let poisson: { thresholds: Float64Array; rngs: (() => number)[] } | null = null;
    let graded: Int32Array | null = null;
    const qin = q.input;
    const present = (pixels: Float32Array): void => {
      if (qin.encoding === "graded") {
        graded ??= new Int32Array(B * per);
        for (let i = 0; i < B * per; i++) graded[i] = gradedPayload(pixels[i] as number, qin.gainScaled, qin.payloadBits);
      } else if (qin.encoding === "current") {
        inputBiases ??= new Float64Array(B * per);
        for (let i = 0; i < B * per; i++) inputBiases[i] = inputBias(pixels[i] as number, q.input.gainScaled, q.input.biasMantissaBits, q.input.biasExponentMax);
      } else if (poisson) {
        for (let i = 0; i < B * per; i++) poisson.thresholds[i] = poissonThreshold(pixels[i] as number, q.input.gain);
      } else {
        poisson = { thresholds: Float64Array.from(pixels, (x) => poissonThreshold(x, q.input.gain)), rngs: Array.from({ length: B }, (_, b) => xorshift32(q.input.seed + (options.sampleOffset ?? 0) + start + b)) };
      }
    };
    present(pixelsAt(0));
    const readoutCounts = out.params.kind === "count-readout" ? new Float64Array(B * classes) : null;
    for (let t = 0; t < steps; t++) {
      if (frames > 1 && t > 0) present(pixelsAt(t < frames ? t : -1));
      for (const p of pops) {
        const ring = (rings[p.id] as Ring[])[t % (ringLen[p.id] as number)] as Ring;
        const cs = computes[p.id];
        if (p.id === inPop.id && poisson) {
          emitPoisson(p, poisson, B, ring);
        } else if (p.id === inPop.id && graded) {
          emitGraded(p, graded, B, ring);
        } else if (cs) {
          cs.inL.fill(0);
          cs.inR?.fill(0);
          p.inputs.forEach((pr, k) => {
            if (t - pr.delay < 0) return;
            const src = (rings[pr.source] as Ring[])[(t - pr.delay) % (ringLen[pr.source] as number)] as Ring;
            const dst = pr.operand === "right" ? cs.inR : cs.inL;
            if (!dst) throw new Error(`internal: operand projection into ${p.name}`);
            synapticEvents += deliverScaled(pr, (weights[p.id] as (Float64Array | null)[])[k] as Float64Array, src, dst, scratch, B, (pops[pr.source] as QPopulation).size, dst.length / B);
          });
          stepCompute(p, cs, B, t, ring.idx, ring.payload, ring.count);
        } else {
          const qp = q64[p.id] as Float64Array;
          qp.fill(0);
          p.inputs.forEach((pr, k) => {
            if (t - pr.delay < 0) return;
            const src = (rings[pr.source] as Ring[])[(t - pr.delay) % (ringLen[pr.source] as number)] as Ring;
            synapticEvents += deliverScaled(pr, (weights[p.id] as (Float64Array | null)[])[k] as Float64Array, src, qp, scratch, B, (pops[pr.source] as QPopulation).size, p.size);
          });
          if (p.params.reset === "two-compartment" && t > 0) {
            // NxTF soft reset: the neuron's self-synapse (weight −threshold, delay 1) subtracts last step's spike.
            const prev = (rings[p.id] as Ring[])[(t - 1) % (ringLen[p.id] as number)] as Ring;
            for (let b = 0; b < B; b++) {
              for (let k = 0; k < (prev.count[b] as number); k++) {
                const j = prev.idx[b * p.size + k] as number;
                qp[b * p.size + j] = (qp[b * p.size + j] as number) - p.params.threshold;
              }
              synapticEvents += prev.count[b] as number;
            }
          }
          stepPopulation(p.params, states[p.id] as IntState, qp, B, ring.idx, ring.payload, ring.count, p.size, p.id === inPop.id ? inputBiases : null);
        }
        for (let b = 0; b < B; b++) {
          const n = ring.count[b] as number;
          spikes[p.id] = (spikes[p.id] as number) + n;
          if (options.onSpikes) options.onSpikes(t, p.id, start + b, ring.idx.subarray(b * p.size, b * p.size + n), ring.payload.subarray(b * p.size, b * p.size + n), n);
          if (readoutCounts && p.id === out.id && t >= p.depth) {
            for (let k = 0; k < n; k++) {
              const j = ring.idx[b * p.size + k] as number;
              readoutCounts[b * classes + j] = (readoutCounts[b * classes + j] as number) + 1;
            }
          }
        }
      }
    }
    const final = readoutCounts ?? (states[out.id] as IntState).v;
    if (out.params.kind !== "readout" && !readoutCounts) throw new Error("internal: output population is neither a readout nor a count readout");
    scores.set(final.subarray(0, B * classes), start * classes);
    options.onBatch?.(start + B);
  }
  return { scores, classes, spikes, synapticEvents };
}

/** Graded input (runtime/input.ts): every nonzero payload is sent, every step. */
function emitGraded(p: QPopulation, payloads: Int32Array, B: number, ring: Ring): void {
  for (let b = 0; b < B; b++) {
    let k = 0;
    for (let j = 0; j < p.size; j++) {
      const pl = payloads[b * p.size + j] as number;
      if (pl === 0) continue;
      ring.idx[b * p.size + k] = j;
      ring.payload[b * p.size + k] = pl;
      k++;
    }
    ring.count[b] = k;
  }
}

function emitPoisson(p: QPopulation, poisson: { thresholds: Float64Array; rngs: (() => number)[] }, B: number, ring: Ring): void {
  for (let b = 0; b < B; b++) {
    const rng = poisson.rngs[b] as () => number;
    let k = 0;
    for (let j = 0; j < p.size; j++) {
      if (rng() < (poisson.thresholds[b * p.size + j] as number)) {
        ring.idx[b * p.size + k] = j;
        ring.payload[b * p.size + k] = 1;
        k++;
      }
    }
    ring.count[b] = k;
  }
}

/** deliver, then (payloadShift > 0) the projection's per-target sums divided by 2^payloadShift, rounded half
 * away from zero; the sums must be exact (below 2^53). */
function deliverScaled(pr: QProjection, w: Float64Array, src: Ring, q: Float64Array, scratch: Float64Array, B: number, srcSize: number, dstSize: number): number {
  const shift = pr.payloadShift ?? 0;
  if (shift === 0) return deliver(pr.conn, w, src, q, B, srcSize, dstSize);
  const s = scratch.subarray(0, B * dstSize);
  s.fill(0);
  const events = deliver(pr.conn, w, src, s, B, srcSize, dstSize);
  for (let i = 0; i < B * dstSize; i++) {
    const x = s[i] as number;
    if (x === 0) continue;
    if (Math.abs(x) >= 2 ** 53) throw new Error(`internal: input sum from ${pr.origin} exceeds 2^53 (not exact)`);
    q[i] = (q[i] as number) + shiftRound(x, shift);
  }
  return events;
}

/** Adds payload × effective weight of every synapse of every spike to the targets' input sums (one loop per
 * connectivity kind, so each stays monomorphic). */
function deliver(conn: QConnectivity, w: Float64Array, src: Ring, q: Float64Array, B: number, srcSize: number, dstSize: number): number {
  switch (conn.kind) {
    case "dense":
      return deliverDense(w, src, q, B, srcSize, dstSize);
    case "oneToOne": {
      let events = 0;
      for (let b = 0; b < B; b++) {
        const n = src.count[b] as number;
        const sb = b * srcSize;
        const ob = b * dstSize;
        for (let k = 0; k < n; k++) {
          const i = src.idx[sb + k] as number;
          q[ob + i] = (q[ob + i] as number) + (src.payload[sb + k] as number) * (w[i % w.length] as number);
        }
        events += n;
      }
      return events;
    }
    case "sparse": {
      let events = 0;
      for (let b = 0; b < B; b++) {
        const n = src.count[b] as number;
        const sb = b * srcSize;
        const ob = b * dstSize;
        for (let k = 0; k < n; k++) {
          const i = src.idx[sb + k] as number;
          const pl = src.payload[sb + k] as number;
          const e1 = conn.rowStart[i + 1] as number;
          for (let e = conn.rowStart[i] as number; e < e1; e++) q[ob + (conn.col[e] as number)] = (q[ob + (conn.col[e] as number)] as number) + pl * (w[e] as number);
          events += e1 - (conn.rowStart[i] as number);
        }
      }
      return events;
    }
    case "conv":
    case "depthwise":
    case "avgPool":
      return deliverWindows(conn, w, src, q, B, srcSize, dstSize);
    case "maxPool":
      return 0;
  }
}

function deliverDense(w: Float64Array, src: Ring, q: Float64Array, B: number, srcSize: number, dstSize: number): number {
  let events = 0;
  for (let b = 0; b < B; b++) {
    const n = src.count[b] as number;
    const sb = b * srcSize;
    const ob = b * dstSize;
    for (let k = 0; k < n; k++) {
      const row = (src.idx[sb + k] as number) * dstSize;
      const pl = src.payload[sb + k] as number;
      for (let j = 0; j < dstSize; j++) q[ob + j] = (q[ob + j] as number) + pl * (w[row + j] as number);
    }
    events += n * dstSize;
  }
  return events;
}

function deliverWindows(conn: Extract<QConnectivity, { kind: "conv" | "depthwise" | "avgPool" }>, w: Float64Array, src: Ring, q: Float64Array, B: number, srcSize: number, dstSize: number): number {
  const g = conn.geometry;
  const { start, out, tap, inBounds } = windowTaps(g);
  const inC = g.inC;
  const outC = g.outC;
  const window = g.kh * g.kw;
  const m = conn.kind === "depthwise" ? conn.multiplier : 1;
  let reached = 0;
  for (let b = 0; b < B; b++) {
    const n = src.count[b] as number;
    const sb = b * srcSize;
    const ob = b * dstSize;
    for (let k = 0; k < n; k++) {
      const i = src.idx[sb + k] as number;
      const pl = src.payload[sb + k] as number;
      const c = i % inC;
      const pix = (i - c) / inC;
      const e0 = start[pix] as number;
      const e1 = start[pix + 1] as number;
      reached += e1 - e0;
      if (conn.kind === "conv") {
        for (let e = e0; e < e1; e++) {
          const o = ob + (out[e] as number);
          const wb = ((tap[e] as number) * inC + c) * outC;
          for (let co = 0; co < outC; co++) q[o + co] = (q[o + co] as number) + pl * (w[wb + co] as number);
        }
      } else if (conn.kind === "depthwise") {
        for (let e = e0; e < e1; e++) {
          const o = ob + (out[e] as number) + c * m;
          const wb = ((tap[e] as number) * inC + c) * m;
          for (let j = 0; j < m; j++) q[o + j] = (q[o + j] as number) + pl * (w[wb + j] as number);
        }
      } else {
        for (let e = e0; e < e1; e++) {
          const o = ob + (out[e] as number) + c;
          q[o] = (q[o] as number) + pl * (w[c * (window + 1) + (inBounds[e] as number)] as number);
        }
      }
    }
  }
  return reached * (conn.kind === "conv" ? outC : m);
}
