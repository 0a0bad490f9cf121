/**
 * @fileoverview The baseline snnc's partitioner is measured against: nengo-loihi's splitting rule
 * (builder/split_blocks.py): per layer, n_split = max(ceil(compartments / N), ceil(in_axons / A_in),
 * ceil(out_axons / A_out), ceil(synapse_bits / M)), then an equal sequential split, one block per core.
 * in_axons counts the distinct source neurons of the whole layer; out_axons one axon per neuron per
 * consumer layer; synapse bits nengo-loihi's sparse cost (bits_per_axon with compression 0): per axon,
 * n·(weight bits + index bits) plus a header per group of ≤ 64, rounded up to 64-bit words.
 */
import type { QPopulation, QuantisedSnn } from "../ir/quantised.ts";
import type { Target } from "../target/schema.ts";
import { receptiveBox, visitAxons } from "./axons.ts";

export interface NengoSplit {
  readonly layer: string;
  readonly cores: number;
  readonly bound: string;
}

export function nengoRuleCores(q: QuantisedSnn, target: Target): { total: number; layers: NengoSplit[] } {
  const c = target.core;
  const cost = c.synapseCost;
  const word = cost.kind === "loihi-words" ? cost.wordBits.value : 64;
  const header = cost.kind === "loihi-words" ? cost.headerBits.value : 10;
  const index = cost.kind === "loihi-words" ? cost.indexBits.value : 12;
  const group = cost.kind === "loihi-words" ? cost.maxGroupSynapses.value : 64;
  const wbits = target.neuron.weightBits.value;
  const consumers = q.populations.map(() => 0);
  for (const p of q.populations) for (const pr of p.inputs) consumers[pr.source] = (consumers[pr.source] as number) + 1;
  const layers = q.populations.map((p: QPopulation) => {
    const cpn = p.params.reset === "two-compartment" ? 2 : 1;
    const whole = { y0: 0, y1: p.shape[0], x0: 0, x1: p.shape[1], c0: 0, c1: p.shape[2] };
    let inAxons = 0;
    let bits = 0;
    for (const pr of p.inputs) {
      const src = q.populations[pr.source] as QPopulation;
      const rf = receptiveBox(pr.conn, whole, src);
      inAxons += (rf.y1 - rf.y0) * (rf.x1 - rf.x0) * (rf.c1 - rf.c0);
      const perAxon = new Float64Array(src.size);
      visitAxons(pr.conn, whole, p, src, (s, _first, length) => {
        perAxon[s] = (perAxon[s] as number) + length;
      });
      for (const n of perAxon) if (n > 0) bits += Math.ceil((n * (wbits + index) + Math.ceil(n / group) * header) / word) * word;
    }
    if (cpn > 1) {
      inAxons += p.size;
      bits += p.size * word;
    }
    const outAxons = p.size * (consumers[p.id] as number) + (cpn > 1 ? p.size : 0);
    const need = {
      compartments: Math.ceil((p.size * cpn) / c.neurons.value),
      "in-axons": Math.ceil(inAxons / c.fanInAxons.value),
      "out-axons": Math.ceil(outAxons / c.fanOutAxons.value),
      "synapse-bits": Math.ceil(bits / c.synapseMemoryBits.value),
    };
    const [bound, cores] = Object.entries(need).reduce((a, b) => (b[1] > a[1] ? b : a));
    return { layer: p.name, cores: Math.max(1, cores), bound };
  });
  return { total: layers.reduce((a, l) => a + l.cores, 0), layers };
}
