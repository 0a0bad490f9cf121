/**
 * @fileoverview Spike traffic between cores: for every (source core, destination core) pair, the axons it
 * carries (distinct source neurons with a synapse on the destination) and the expected spikes per step
 * (axons × the source population's firing rate, measured on calibration data; 1 spike per axon per step
 * when no rates are given, i.e. traffic proportional to connectivity).
 */
import type { Block, PartitionedSnn, Traffic } from "../ir/mapped.ts";
import type { QPopulation } from "../ir/quantised.ts";
import { visitAxons } from "./axons.ts";

export function estimateTraffic(p: PartitionedSnn, ratePerNeuron: readonly number[] | null): Traffic {
  const q = p.q;
  // neuron → core, per population
  const neuronCore = q.populations.map((pop) => new Int32Array(pop.size));
  for (const b of p.blocks) {
    const pop = q.populations[b.pop] as QPopulation;
    const nc = neuronCore[b.pop] as Int32Array;
    const [, w, c] = pop.shape;
    const core = p.blockCore[b.id] as number;
    for (let y = b.box.y0; y < b.box.y1; y++) for (let x = b.box.x0; x < b.box.x1; x++) for (let k = b.box.c0; k < b.box.c1; k++) nc[(y * w + x) * c + k] = core;
  }
  const pairs = new Map<number, { axons: number; spikes: number }>();
  const stamp = q.populations.map((pop) => new Int32Array(pop.size).fill(-1));
  const nCores = p.cores.length;
  for (const core of p.cores) {
    for (const bi of core.blocks) {
      const b = p.blocks[bi] as Block;
      const dst = q.populations[b.pop] as QPopulation;
      for (const pr of dst.inputs) {
        const src = q.populations[pr.source] as QPopulation;
        const st = stamp[pr.source] as Int32Array;
        const nc = neuronCore[pr.source] as Int32Array;
        const rate = ratePerNeuron ? (ratePerNeuron[pr.source] ?? 0) : 1;
        visitAxons(pr.conn, b.box, dst, src, (s) => {
          if (st[s] === core.id) return;
          st[s] = core.id;
          const key = (nc[s] as number) * nCores + core.id;
          const e = pairs.get(key) ?? { axons: 0, spikes: 0 };
          e.axons += 1;
          e.spikes += rate;
          pairs.set(key, e);
        });
      }
    }
  }
  const keys = [...pairs.keys()].sort((a, b) => a - b);
  const out: Traffic = {
    src: new Int32Array(keys.length), dst: new Int32Array(keys.length), spikesPerStep: new Float64Array(keys.length), axons: new Int32Array(keys.length),
  };
  keys.forEach((k, i) => {
    const e = pairs.get(k) as { axons: number; spikes: number };
    (out.src as Int32Array)[i] = Math.floor(k / nCores);
    (out.dst as Int32Array)[i] = k % nCores;
    (out.spikesPerStep as Float64Array)[i] = e.spikes;
    (out.axons as Int32Array)[i] = e.axons;
  });
  return out;
}
