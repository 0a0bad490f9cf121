/**
 * @fileoverview Float SNN simulator: time-stepped, batched, event-driven, over typed arrays. Measures the
 * accuracy a converted network reaches at T timesteps (before quantisation) and records per-population spike
 * counts for the ANN-vs-SNN diagnostics.
 *
 * Semantics: ir/snn.ts. Each step: every population sums the spikes its projections deliver (sent `delay`
 * steps ago), adds its bias, updates its neurons and emits spikes. One run of T_max + D steps yields the
 * readout of every T ≤ T_max at once: the scores for T are the readout after step D + T - 1, because nothing
 * upstream depends on T (the input is constant and the pre-charge does not depend on T).
 */
import type { Population, Projection, SnnGraph } from "../ir/snn.ts";
import { xorshift32 } from "../../runtime/input.ts";
import { type ComputeState, computeInput, computeState, computeUpdate } from "./compute-node.ts";
import { scatterProjection, type SpikeSlot } from "./scatter.ts";
import { type Arena, floatSession, slotBytes } from "./float-kernels.ts";
import { gate } from "./max-pool-gate.ts";
import { multiThresholdUpdate } from "./multi-threshold.ts";

export interface FloatSimOptions {
  /** Readout checkpoints (timesteps T); the run lasts max(T) + readoutDepth steps. */
  readonly timesteps: readonly number[];
  readonly batchSize?: number;
  /** Keep per-neuron spike counts (inside each population's window of max(T) steps) for diagnostics. */
  readonly recordCounts?: boolean;
  /** The window the counts cover, in steps from each population's first (default max(T)). */
  readonly countWindow?: number;
  /** Track the largest |v| (before reset) and |input + bias| per population (for quantisation ranges). */
  readonly recordRanges?: boolean;
  /** Only simulate populations up to this id (converted ANNs' populations are in topological order; a
   * recurrent NIR graph's are not): for layer-wise tuning of converted ANNs. */
  readonly stopAfter?: number;
  readonly onBatch?: (done: number) => void;
  /** Input frames per sample (event data [N, T, ...]): frame t at step t, nothing after the last. */
  readonly frames?: number;
  /** Global index of the first sample (Poisson seeds follow it, so a batch cut into pieces gives the same
   * spikes as one run). */
  readonly sampleOffset?: number;
  /** Run compute nodes in fixed point (runtime/compute.ts): their inputs rounded to s16.15 each step, their
   * payloads the fixed-point ones. Measures what the integer compute nodes cost in accuracy. */
  readonly fixedCompute?: boolean;
}

export interface FloatSimResult {
  /** Scores [count, classes] per checkpoint T. */
  readonly scores: ReadonlyMap<number, Float32Array>;
  readonly classes: number;
  /** Per population: spike counts [count, size] inside its window (recordCounts), else null. */
  readonly counts: readonly (Float32Array | null)[];
  /** Per population: total spikes over all samples and all steps of the run. */
  readonly totalSpikes: Float64Array;
  /** Synaptic events (spike × fan-out target) over all samples and steps. */
  readonly synapticEvents: number;
  /**
   * ECMT's operation count (its SOPMonitor), over all samples, for each checkpoint T: the operations of every
   * population in the steps that T's readout depends on (before its window and its window's first T steps),
   * events through weighted layers (dense, conv, depthwise, pooling; not the one-to-one links into and out of
   * compute nodes) plus, for each matmul compute node, the three partial products x·y, x·S_R, S_L·y with
   * nonzero factors (compute.ts matmulSops).
   */
  readonly ecmtOpsAt: ReadonlyMap<number, number>;
  /** The part of ecmtOpsAt delivered by the input population's projections (graded input: multiply-accumulates
   * of a pixel payload by a weight, charged E_MAC under the seed's convention). */
  readonly inputOpsAt: ReadonlyMap<number, number>;
  /** Per population: largest |v| before reset and largest |input + bias| in one step (recordRanges); for an
   * ECMT compute node, maxAbsV is its largest |payload| (ANN units: quantise picks its payload format from it). */
  readonly maxAbsV: Float64Array;
  readonly maxAbsInput: Float64Array;
}

export interface PopState {
  readonly pop: Population;
  readonly v: Float32Array;
  readonly current: Float32Array;
  /** Ring of emitted spikes, one slot per step of history needed by the longest outgoing delay. */
  readonly ring: SpikeSlot[];
  /** maxGate: accumulated input spike counts per source neuron. */
  readonly gateCounts: Float32Array | null;
  /** maxGate: this step's payload per source neuron (scratch). */
  readonly gateScratch: Float32Array | null;
  /** Multi-threshold ReLU neurons: cumulative output E (v holds the cumulative input S). */
  readonly emitted: Float32Array | null;
  readonly counts: Float32Array | null;
  /** Leaky populations (NIR): the synaptic current i (ir/snn.ts Leak). */
  readonly syn: Float32Array | null;
  /** Compute nodes: accumulated inputs and cumulative output (compute.ts). */
  readonly compute: ComputeState | null;
}

/** A population's state for a batch of B samples, with a ring of `ringLen` spike slots; the membranes,
 * currents and spike slots in `arena` when given (float-kernels.ts's stateBytes is their size), and the spike
 * counts too, zeroed (the caller adds them to its `counts` at the batch's end: countsDone). */
export function popState(p: Population, pops: readonly Population[], B: number, ringLen: number, counts: Float32Array | null, fixedCompute: boolean, arena: Arena | null = null): PopState {
  const f32 = (n: number): Float32Array => (arena ? arena.f32(n) : new Float32Array(n));
  const i32 = (n: number): Int32Array => (arena ? arena.i32(n) : new Int32Array(n));
  const v = f32(B * p.size);
  const C = p.shape[2];
  for (let b = 0; b < B; b++) {
    let c = 0;
    for (let j = 0; j < p.size; j++) {
      v[b * p.size + j] = p.vInit[c] as number;
      if (++c === C) c = 0;
    }
  }
  return {
    pop: p, v, current: f32(B * p.size),
    ring: Array.from({ length: ringLen }, () => ({ idx: i32(B * p.size), val: f32(B * p.size), n: i32(B), stride: p.size })),
    gateCounts: p.neuron.kind === "maxGate" ? new Float32Array(B * (pops[p.inputs[0]?.source ?? 0] as Population).size) : null,
    gateScratch: p.neuron.kind === "maxGate" ? new Float32Array((pops[p.inputs[0]?.source ?? 0] as Population).size) : null,
    emitted: p.neuron.kind === "mt" && p.neuron.relu ? new Float32Array(B * p.size) : null,
    counts: counts && arena ? arena.f32(B * p.size) : counts,
    syn: p.leak ? new Float32Array(B * p.size) : null,
    compute: computeState(p, B, fixedCompute),
  };
}

export function simulateFloat(snn: SnnGraph, images: Float32Array, count: number, options: FloatSimOptions): FloatSimResult {
  const tMax = Math.max(...options.timesteps);
  const D = snn.readoutDepth;
  const steps = tMax + D;
  const countWindow = options.countWindow ?? tMax;
  const batchSize = options.batchSize ?? 64;
  const pops = snn.populations;
  const out = pops[snn.output] as Population;
  const classes = out.size;
  const inputPop = pops[snn.input.population] as Population;
  const per = inputPop.size;
  const frames = options.frames ?? 1;
  if (images.length < count * per * frames) throw new Error(`internal: ${count} samples of ${per * frames} values need ${count * per * frames} values, got ${images.length}`);
  const scores = new Map(options.timesteps.map((t) => [t, new Float32Array(count * classes)]));
  const counts = pops.map((p) => (options.recordCounts ? new Float32Array(count * p.size) : null));
  const totalSpikes = new Float64Array(pops.length);
  const maxAbsV = new Float64Array(pops.length);
  const maxAbsInput = new Float64Array(pops.length);
  const ranges = options.recordRanges === true;
  let synapticEvents = 0;
  // operations by the receiving population's local step t − depth (offset by D: pre-window steps)
  const opsByLocal = new Float64Array(steps + D + 1);
  const inputByLocal = new Float64Array(steps + D + 1);
  let ecmtOps = 0;
  const maxDelayFrom = pops.map(() => 1);
  for (const p of pops) for (const pr of p.inputs) maxDelayFrom[pr.source] = Math.max(maxDelayFrom[pr.source] as number, pr.delay);
  const checkpointAt = new Map(options.timesteps.map((t) => [D + t - 1, t]));
  const ringLens = maxDelayFrom.map((d) => d + 1);
  // The input kernel reads the batch's pixels from the arena (single frames, current encoding).
  const kernelInput = frames === 1 && snn.input.encoding === "current";
  const arena = floatSession(pops, ringLens, Math.min(batchSize, count), biasOrZero, kernelInput ? slotBytes(Math.min(batchSize, count) * per) : 0, options.recordCounts === true);
  const constants = arena?.mark() ?? 0;

  for (let start = 0; start < count; start += batchSize) {
    const B = Math.min(batchSize, count - start);
    arena?.release(constants);
    const states: PopState[] = pops.map((p, i) =>
      popState(p, pops, B, ringLens[i] as number, counts[i] ? (counts[i] as Float32Array).subarray(start * p.size, (start + B) * p.size) : null, options.fixedCompute === true, arena));
    const input = images.subarray(start * per * frames, (start + B) * per * frames);
    const frame = frames > 1 ? new Float32Array(B * per) : null;
    let pixels = frame ?? input;
    if (arena && kernelInput) {
      pixels = arena.f32(B * per);
      pixels.set(input);
    }
    const rngs = Array.from({ length: B }, (_, b) => xorshift32(snn.input.seed + (options.sampleOffset ?? 0) + start + b));
    const readoutCounts = out.neuron.kind === "countReadout" ? new Float32Array(B * classes) : null;
    for (let t = 0; t < steps; t++) {
      if (frame) {
        frame.fill(0);
        if (t < frames) for (let b = 0; b < B; b++) frame.set(input.subarray((b * frames + t) * per, (b * frames + t + 1) * per), b * per);
        pixels = frame;
      }
      for (const st of states) {
        const p = st.pop;
        if (options.stopAfter !== undefined && p.id > options.stopAfter) break;
        const slot = st.ring[t % st.ring.length] as SpikeSlot;
        slot.n.fill(0);
        // A projection's spikes of step t − delay, and the accounting of the events it delivers.
        const spikesAt = (pr: Projection): SpikeSlot => {
          const src = states[pr.source] as PopState;
          return src.ring[(t - pr.delay) % src.ring.length] as SpikeSlot;
        };
        const delivered = (pr: Projection, ev: number): void => {
          synapticEvents += ev;
          if (pr.conn.kind !== "oneToOne") ecmtOps += ev;
          if (pr.source === inputPop.id) inputByLocal[t - p.depth + D] = (inputByLocal[t - p.depth + D] as number) + ev;
        };
        if (p.id === inputPop.id) {
          // the kernel's rule is integrate-and-fire; multi-threshold inputs take emitInput's
          const kernelPixels = arena !== null && p.neuron.kind !== "mt" && arena.owns(pixels);
          if (arena && kernelPixels && arena.owns(st.v) && arena.owns(slot.idx)) {
            arena.k.emitCurrent(st.v.byteOffset, pixels.byteOffset, snn.input.gain, p.size, B, slot.idx.byteOffset, slot.val.byteOffset, slot.n.byteOffset,
              p.neuron.kind === "if" && p.neuron.reset === "zero" ? 1 : 0, ranges ? 1 : 0, maxAbsV[p.id] as number, maxAbsInput[p.id] as number);
            if (ranges) {
              maxAbsV[p.id] = arena.k.lastRangeV();
              maxAbsInput[p.id] = arena.k.lastRangeInput();
            }
          } else emitInput(st, pixels, B, snn, rngs, slot);
          if (ranges && !kernelPixels) {
            const gain = snn.input.gain;
            let mi = maxAbsInput[p.id] as number;
            let mv = maxAbsV[p.id] as number;
            for (let i = 0; i < B * p.size; i++) {
              mi = Math.max(mi, Math.abs((pixels[i] as number) * gain));
              mv = Math.max(mv, Math.abs(st.v[i] as number) + Math.abs((pixels[i] as number) * gain));
            }
            maxAbsInput[p.id] = mi;
            maxAbsV[p.id] = mv;
          }
        } else if (p.neuron.kind === "maxGate") {
          gate(st, states, t, B, slot);
        } else if (st.compute) {
          computeInput(p, pops, st.current, st.compute, B, t, (_k, pr) => spikesAt(pr), delivered);
          ecmtOps += computeUpdate(p, st.current, st.compute, B, slot, t);
          if (ranges) {
            let m = maxAbsV[p.id] as number;
            for (let b = 0; b < B; b++) for (let k = 0; k < (slot.n[b] as number); k++) m = Math.max(m, Math.abs(slot.val[b * p.size + k] as number));
            maxAbsV[p.id] = m;
          }
          opsByLocal[t - p.depth + D] = (opsByLocal[t - p.depth + D] as number) + ecmtOps;
          ecmtOps = 0;
        } else {
          st.current.fill(0);
          for (const pr of p.inputs) {
            if (t - pr.delay < 0) continue;
            delivered(pr, scatterProjection(pr.conn, spikesAt(pr), st.current, B, (pops[pr.source] as Population).size, p.size, arena));
          }
          if (p.leak) leak(st, p.leak.vKeep, p.leak.iKeep, B);
          opsByLocal[t - p.depth + D] = (opsByLocal[t - p.depth + D] as number) + ecmtOps;
          ecmtOps = 0;
          if (ranges) trackRanges(st, B, maxAbsV, maxAbsInput, arena);
          update(st, B, slot, t, readoutCounts, arena);
        }
        // Bookkeeping: spikes in the population's own window.
        let emitted = 0;
        for (let b = 0; b < B; b++) emitted += slot.n[b] as number;
        totalSpikes[p.id] = (totalSpikes[p.id] as number) + emitted;
        if (st.counts && t >= p.depth && t < p.depth + countWindow) countSpikes(st.counts, slot, B, p.size, arena);
      }
      const T = checkpointAt.get(t);
      if (T !== undefined) {
        const dst = scores.get(T) as Float32Array;
        const src = readoutCounts ?? (states[snn.output] as PopState).v;
        dst.set(src.subarray(0, B * classes), start * classes);
      }
    }
    states.forEach((st, i) => countsDone(st, counts[i] ?? null, start));
    options.onBatch?.(start + B);
  }
  const ecmtOpsAt = new Map(options.timesteps.map((T) => [T, opsByLocal.subarray(0, D + T).reduce((a, v) => a + v, 0)]));
  const inputOpsAt = new Map(options.timesteps.map((T) => [T, inputByLocal.subarray(0, D + T).reduce((a, v) => a + v, 0)]));
  return { scores, classes, counts, totalSpikes, synapticEvents, ecmtOpsAt, inputOpsAt, maxAbsV, maxAbsInput };
}

/** A step's spikes added to per-neuron counts [B, size] (float32 adds; the kernel's when all is in the arena). */
export function countSpikes(counts: Float32Array, slot: SpikeSlot, B: number, size: number, arena: Arena | null): void {
  if (arena && arena.owns(counts) && arena.owns(slot.idx) && arena.owns(slot.val) && arena.owns(slot.n)) {
    arena.k.addCounts(slot.idx.byteOffset, slot.val.byteOffset, slot.n.byteOffset, slot.stride, B, counts.byteOffset, size);
    return;
  }
  for (let b = 0; b < B; b++) {
    const base = b * slot.stride;
    for (let k = 0; k < (slot.n[b] as number); k++) {
      const j = slot.idx[base + k] as number;
      counts[b * size + j] = (counts[b * size + j] as number) + (slot.val[base + k] as number);
    }
  }
}

/** A batch's counts kept in the arena (popState) copied to `counts` at sample `start` (else already there). */
export function countsDone(st: PopState, counts: Float32Array | null, start: number): void {
  if (st.counts && counts && st.counts.buffer !== counts.buffer) counts.set(st.counts, start * st.pop.size);
}

/**
 * Leaky neurons (ir/snn.ts Leak): i ← iKeep·i + input, then v ← vKeep·v; the update that follows adds i
 * (left in `current`) and the bias, so v ← vKeep·v + i + bias as the Leak rule says.
 */
export function leak(st: PopState, vKeep: number, iKeep: number, B: number): void {
  const v = st.v;
  const I = st.current;
  const syn = st.syn as Float32Array;
  for (let k = 0; k < B * st.pop.size; k++) {
    const i = iKeep * (syn[k] as number) + (I[k] as number);
    syn[k] = i;
    I[k] = i;
    v[k] = vKeep * (v[k] as number);
  }
}

/** Before the update: the input this step and the membrane it will produce. */
function trackRanges(st: PopState, B: number, maxAbsV: Float64Array, maxAbsInput: Float64Array, arena: Arena | null): void {
  const p = st.pop;
  const C = p.shape[2];
  let mv = maxAbsV[p.id] as number;
  let mi = maxAbsInput[p.id] as number;
  const bias = biasOrZero(p);
  const kb = arena && arena.owns(st.v) && arena.owns(st.current) ? arena.constantOf(bias) : undefined;
  if (kb && arena) {
    arena.k.trackRanges(st.v.byteOffset, st.current.byteOffset, kb.byteOffset, C, B * p.size, mv, mi);
    maxAbsV[p.id] = arena.k.lastRangeV();
    maxAbsInput[p.id] = arena.k.lastRangeInput();
    return;
  }
  let c = 0;
  for (let i = 0; i < B * p.size; i++) {
    const input = (st.current[i] as number) + (bias[c] as number);
    if (++c === C) c = 0;
    const a = Math.abs(input);
    if (a > mi) mi = a;
    const v = Math.abs((st.v[i] as number) + input);
    if (v > mv) mv = v;
  }
  maxAbsV[p.id] = mv;
  maxAbsInput[p.id] = mi;
}

export function emitInput(st: PopState, pixels: Float32Array, B: number, snn: SnnGraph, rngs: (() => number)[], slot: SpikeSlot): void {
  const p = st.pop;
  const gain = snn.input.gain;
  const n = p.size;
  const encoding = snn.input.encoding;
  if (encoding === "current" && p.neuron.kind === "mt") {
    // Multi-threshold input neurons (ecmt, mt): the pixel current through the population's own rule, as the
    // integer model steps them (runtime/neuron.ts), not the integrate-and-fire rule below.
    const I = st.current;
    for (let i = 0; i < B * n; i++) I[i] = (pixels[i] as number) * gain;
    multiThresholdUpdate(st, biasOrZero(p), B, slot);
    return;
  }
  for (let b = 0; b < B; b++) {
    let k = 0;
    const base = b * n;
    if (encoding === "graded") {
      // One payload per nonzero pixel and step: its value in input thresholds (ir/snn.ts InputEncoding).
      for (let j = 0; j < n; j++) {
        const x = (pixels[base + j] as number) * gain;
        if (x !== 0) {
          slot.idx[base + k] = j;
          slot.val[base + k] = x;
          k++;
        }
      }
    } else if (encoding === "poisson") {
      const rng = rngs[b] as () => number;
      for (let j = 0; j < n; j++) {
        // Spike with probability min(pixel * gain, 1): compare a 32-bit draw against the scaled rate.
        const rate = Math.min(Math.max((pixels[base + j] as number) * gain, 0), 1);
        if (rng() < rate * 4294967296) {
          slot.idx[base + k] = j;
          slot.val[base + k] = 1;
          k++;
        }
      }
    } else {
      const v = st.v;
      for (let j = 0; j < n; j++) {
        let x = (v[base + j] as number) + (pixels[base + j] as number) * gain;
        if (x >= 1) {
          x = p.neuron.kind === "if" && p.neuron.reset === "zero" ? 0 : x - 1;
          slot.idx[base + k] = j;
          slot.val[base + k] = 1;
          k++;
        }
        v[base + j] = x;
      }
    }
    slot.n[b] = k;
  }
}

/** bias[c] per channel, or zeros (adding +0 is what a missing bias adds). */
const zeroBias = new Map<number, Float32Array>();
export function biasOrZero(p: Population): Float32Array {
  if (p.bias) return p.bias;
  const C = p.shape[2];
  let z = zeroBias.get(C);
  if (!z) {
    z = new Float32Array(C);
    zeroBias.set(C, z);
  }
  return z;
}

/**
 * One step of a population's neurons: x = v + I + bias (float64, then stored as float32), fire, reset.
 * One loop per neuron kind, the channel index kept as a counter (no per-neuron switch or modulo); the
 * multi-threshold kind's in multi-threshold.ts.
 */
export function update(st: PopState, B: number, slot: SpikeSlot, t: number, readoutCounts: Float32Array | null, arena: Arena | null = null): void {
  const p = st.pop;
  const n = p.size;
  const C = p.shape[2];
  const v = st.v;
  const I = st.current;
  const bias = biasOrZero(p);
  const nm = p.neuron;
  const idx = slot.idx;
  const val = slot.val;
  switch (nm.kind) {
    case "if":
    case "countReadout": {
      const zero = nm.reset === "zero";
      const rc = readoutCounts && nm.kind === "countReadout" && t >= p.depth ? readoutCounts : null;
      const kb = !rc && arena && arena.owns(v) && arena.owns(I) && arena.owns(idx) && arena.owns(val) && arena.owns(slot.n) ? arena.constantOf(bias) : undefined;
      if (kb && arena) {
        arena.k.updateIf(v.byteOffset, I.byteOffset, kb.byteOffset, C, n, B, idx.byteOffset, val.byteOffset, slot.n.byteOffset, zero ? 1 : 0);
        return;
      }
      for (let b = 0; b < B; b++) {
        const base = b * n;
        let k = 0;
        let c = 0;
        for (let j = 0; j < n; j++) {
          let x = (v[base + j] as number) + (I[base + j] as number) + (bias[c] as number);
          if (++c === C) c = 0;
          if (x >= 1) {
            x = zero ? 0 : x - 1;
            idx[base + k] = j;
            val[base + k] = 1;
            k++;
            if (rc) rc[base + j] = (rc[base + j] as number) + 1;
          }
          v[base + j] = x;
        }
        slot.n[b] = k;
      }
      return;
    }
    case "mt":
      multiThresholdUpdate(st, bias, B, slot);
      return;
    case "compute":
      throw new Error(`internal: compute node ${p.name} in the neuron update`);
    case "readout":
    case "maxGate":
      for (let b = 0; b < B; b++) {
        const base = b * n;
        let c = 0;
        for (let j = 0; j < n; j++) {
          v[base + j] = (v[base + j] as number) + (I[base + j] as number) + (bias[c] as number);
          if (++c === C) c = 0;
        }
        slot.n[b] = 0;
      }
      return;
  }
}

/** Largest |v|, largest |input + bias| and spikes per population over some samples (simulateFloat's
 * recordRanges figures: the measure pass's). */
export interface RangeStats {
  readonly samples: number;
  readonly maxAbsV: Float64Array;
  readonly maxAbsInput: Float64Array;
  readonly totalSpikes: Float64Array;
}

/** One piece's simulation: scores at T, and the ranges when the piece lies below `cut`. */
export function simulatePiece(snn: SnnGraph, images: Float32Array, p: { start: number; n: number }, timesteps: number, cut: number): { scores: Float32Array; ranges: Omit<RangeStats, "samples"> | null } {
  const per = (snn.populations[snn.input.population] as Population).size;
  const record = p.start < cut;
  const sim = simulateFloat(snn, images.subarray(p.start * per, (p.start + p.n) * per), p.n, { timesteps: [timesteps], sampleOffset: p.start, recordRanges: record });
  return { scores: sim.scores.get(timesteps) as Float32Array, ranges: record ? { maxAbsV: sim.maxAbsV, maxAbsInput: sim.maxAbsInput, totalSpikes: sim.totalSpikes } : null };
}
