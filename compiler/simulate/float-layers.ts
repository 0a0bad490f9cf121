/**
 * @fileoverview The float SNN simulator one population at a time (bias calibration's simulator): each
 * population runs over all samples and all steps of the run from its sources' recorded spike trains, and keeps
 * its own train for the populations that read it. A population can be run again with another description (bias,
 * initial membrane) before its consumers run; the populations before it are not simulated again.
 *
 * The arithmetic is simulateFloat's (float-snn.ts: the same state, delivery and update functions, in the same
 * order within a population and step; a population at step t reads its sources' spikes of step t − delay only),
 * so a population's counts and the readout's scores equal simulateFloat's for the same network, bit for bit.
 * Input: a converted ANN's SnnGraph (populations in topological order, every delay ≥ 1), images [count, ...] of
 * single frames. Not recorded here: ranges, synaptic events, ECMT operation counts.
 */
import type { Population, SnnGraph } from "../ir/snn.ts";
import { xorshift32 } from "../../runtime/input.ts";
import { computeInput, computeUpdate } from "./compute-node.ts";
import { biasOrZero, countSpikes, countsDone, emitInput, leak, popState, type PopState, update } from "./float-snn.ts";
import { gate } from "./max-pool-gate.ts";
import { scatterProjection, type SpikeSlot } from "./scatter.ts";
import { type Arena, floatSession, slotBytes } from "./float-kernels.ts";

export interface LayerRun {
  /** Spike counts [count, size] inside the population's window of T steps (null for the readout). */
  readonly counts: Float32Array | null;
  /** The readout's scores [count, classes] at T (null for other populations). */
  readonly scores: Float32Array | null;
}

/** Input values (samples × neurons × steps) a run keeps at most for a later run of the same population. */
export const INPUT_BUDGET = 64 * 2 ** 20;

/** One population's spikes of one step for one batch, stored compactly: stride = the most spikes of a sample. */
type Train = SpikeSlot[];

export class LayerwiseSim {
  private readonly steps: number;
  private readonly batches: { readonly start: number; readonly B: number }[] = [];
  /** Per population, per batch: its recorded spikes of every step (while a later population reads them). */
  private readonly trains = new Map<number, Train[]>();
  private readonly lastReader: number[];
  /** Per population: its recorded input per batch and step (run's recordInput). */
  private readonly inputs = new Map<number, { readonly inputs: Population["inputs"]; readonly steps: Float32Array[][] }>();

  constructor(private readonly snn: SnnGraph, private readonly images: Float32Array, private readonly count: number, private readonly T: number, batchSize = 64) {
    this.steps = T + snn.readoutDepth;
    for (let start = 0; start < count; start += batchSize) this.batches.push({ start, B: Math.min(batchSize, count - start) });
    this.lastReader = snn.populations.map(() => -1);
    for (const p of snn.populations) {
      for (const pr of p.inputs) {
        if (pr.source >= p.id || pr.delay < 1) throw new Error(`internal: ${p.name} reads population ${pr.source} out of topological order`);
        this.lastReader[pr.source] = Math.max(this.lastReader[pr.source] as number, p.id);
      }
    }
  }

  /**
   * Runs population `index` (described by `pop`, by default the network's) over the whole run. Its sources must
   * have run. With `keep`, its spikes are recorded for the populations after it (replacing an earlier run's).
   * With `recordInput`, a plain population's input of every step (the sum its projections deliver: it does not
   * depend on its own bias or membrane) is kept, within INPUT_BUDGET values, and a later run of the same
   * population (another bias, the same projections) adds it instead of delivering the spikes again.
   */
  run(index: number, keep: boolean, pop: Population = this.snn.populations[index] as Population, recordInput = false): LayerRun {
    const snn = this.snn;
    const pops = snn.populations;
    const T = this.T;
    const isOut = index === snn.output;
    const counts = isOut ? null : new Float32Array(this.count * pop.size);
    const scores = isOut ? new Float32Array(this.count * pop.size) : null;
    const sources = pop.inputs.map((pr) => {
      const train = this.trains.get(pr.source);
      if (!train) throw new Error(`internal: ${pop.name} runs before its source ${pr.source}`);
      return train;
    });
    const kept: Train[] = [];
    const plain = pop.id !== snn.input.population && pop.neuron.kind !== "maxGate" && pop.neuron.kind !== "compute" && !pop.leak;
    const replay = plain ? this.inputs.get(index) : undefined;
    if (replay && replay.inputs !== pop.inputs) throw new Error(`internal: ${pop.name} replayed with other projections`);
    const record = plain && recordInput && !replay && this.count * pop.size * this.steps <= INPUT_BUDGET ? { inputs: pop.inputs, steps: [] as Float32Array[][] } : null;
    const per = (pops[snn.input.population] as Population).size;
    // The kernels (float-kernels.ts) for a plain population's delivery and update: its state in the arena, and
    // each source's recorded spikes of a step copied into a scratch slot there before delivery.
    const most = this.batches.reduce((m, b) => Math.max(m, b.B), 0);
    const srcSizes = pop.inputs.map((pr) => (pops[pr.source] as Population).size);
    const arena: Arena | null = plain ? floatSession([pop], [1], most, biasOrZero, srcSizes.reduce((a, n) => a + 2 * slotBytes(most * n) + slotBytes(most), 0), counts !== null) : null;
    const constants = arena?.mark() ?? 0;
    for (const [bi, { start, B }] of this.batches.entries()) {
      arena?.release(constants);
      const st = popState(pop, pops, B, 1, counts ? counts.subarray(start * pop.size, (start + B) * pop.size) : null, false, arena);
      const scratch = arena ? srcSizes.map((n) => ({ idx: arena.i32(B * n), val: arena.f32(B * n), n: arena.i32(B) })) : null;
      const spikesOf = (k: number, s: SpikeSlot): SpikeSlot => {
        const into = scratch?.[k];
        if (!into) return s;
        into.idx.set(s.idx);
        into.val.set(s.val);
        into.n.set(s.n);
        return { ...into, stride: s.stride };
      };
      const slot = st.ring[0] as SpikeSlot;
      // gate() reads its source's slot of step t − delay at ring[(t − delay) % 1]: a one-slot view per source.
      const view: Pick<PopState, "pop" | "ring">[] = [];
      const train: Train = [];
      const readoutCounts = isOut && pop.neuron.kind === "countReadout" ? new Float32Array(B * pop.size) : null;
      const pixels = this.images.subarray(start * per, (start + B) * per);
      const rngs = pop.id === snn.input.population ? Array.from({ length: B }, (_, b) => xorshift32(snn.input.seed + start + b)) : [];
      for (let t = 0; t < this.steps; t++) {
        slot.n.fill(0);
        if (pop.id === snn.input.population) {
          emitInput(st, pixels, B, snn, rngs, slot);
        } else if (pop.neuron.kind === "maxGate") {
          const pr = pop.inputs[0];
          if (pr) view[pr.source] = { pop: pops[pr.source] as Population, ring: t - pr.delay >= 0 ? [(sources[0] as Train[])[bi]?.[t - pr.delay] as SpikeSlot] : [] };
          gate(st, view, t, B, slot);
        } else if (st.compute) {
          computeInput(pop, pops, st.current, st.compute, B, t, (k, pr) => (sources[k] as Train[])[bi]?.[t - pr.delay] as SpikeSlot);
          computeUpdate(pop, st.current, st.compute, B, slot, t);
        } else if (replay) {
          st.current.set(replay.steps[bi]?.[t] as Float32Array);
          update(st, B, slot, t, readoutCounts, arena);
        } else {
          st.current.fill(0);
          pop.inputs.forEach((pr, k) => {
            if (t - pr.delay < 0) return;
            scatterProjection(pr.conn, spikesOf(k, (sources[k] as Train[])[bi]?.[t - pr.delay] as SpikeSlot), st.current, B, (pops[pr.source] as Population).size, pop.size, arena);
          });
          if (record) ((record.steps[bi] ??= [])[t] = Float32Array.from(st.current));
          if (pop.leak) leak(st, pop.leak.vKeep, pop.leak.iKeep, B);
          update(st, B, slot, t, readoutCounts, arena);
        }
        if (st.counts && t >= pop.depth && t < pop.depth + T) countSpikes(st.counts, slot, B, pop.size, arena);
        if (scores && t === snn.readoutDepth + T - 1) scores.set((readoutCounts ?? st.v).subarray(0, B * pop.size), start * pop.size);
        if (keep) train.push(compact(slot, B));
      }
      countsDone(st, counts, start);
      kept.push(train);
    }
    if (keep) this.trains.set(index, kept);
    if (record) this.inputs.set(index, record);
    return { counts, scores };
  }

  /** Forgets the trains no population after `index` reads, and the recorded inputs up to `index`. */
  release(index: number): void {
    for (const id of [...this.trains.keys()]) if ((this.lastReader[id] as number) <= index) this.trains.delete(id);
    for (const id of [...this.inputs.keys()]) if (id <= index) this.inputs.delete(id);
  }
}

/** A copy of a step's spikes with stride = the most spikes of one sample (scatterProjection and gate read
 * sample b's k-th spike at b × stride + k). */
function compact(slot: SpikeSlot, B: number): SpikeSlot {
  let most = 0;
  for (let b = 0; b < B; b++) most = Math.max(most, slot.n[b] as number);
  const idx = new Int32Array(B * most);
  const val = new Float32Array(B * most);
  for (let b = 0; b < B; b++) {
    const k = slot.n[b] as number;
    idx.set(slot.idx.subarray(b * slot.stride, b * slot.stride + k), b * most);
    val.set(slot.val.subarray(b * slot.stride, b * slot.stride + k), b * most);
  }
  return { idx, val, n: Int32Array.from(slot.n), stride: most };
}
