/**
 * @fileoverview Exact per-core resource accounting under the target's cost model.
 *
 * For a set of blocks on one core: compartments (× compartments per neuron), fan-in axons (distinct source
 * neurons reaching any compartment of the core; + the self axons of the two-compartment soft reset),
 * synapse memory, synapse count, neuron profiles (one per population, two with the soft reset) and synapse
 * formats (one per incoming projection, + the self-synapse format). Synapse memory:
 *   loihi-words (after nengo-loihi's bits_per_axon): per axon, each run of consecutive target compartments
 *     is cut in groups of ≤ maxGroupSynapses; a group costs headerBits + indexBits (its first compartment)
 *     + n · (weightBits + delayBits if the projection's delay > 1); the axon's total is rounded up to words.
 *   row-words (sPyNNaker): per (source block, core) one master population table entry and a row region of
 *     (block neurons) × (rowHeaderWords + the block's longest row) words: rows are found by key index ×
 *     row length, so every neuron of the block has a slot of the longest row's size.
 * Fan-out axons are counted in `accountPartition` (they depend on where the targets live): Loihi sends one
 * axon message per (source neuron, destination core); multicast targets count one key per neuron.
 */
import type { Block, CoreResources } from "../ir/mapped.ts";
import type { QPopulation, QuantisedSnn } from "../ir/quantised.ts";
import type { Target } from "../target/schema.ts";
import { visitAxons } from "./axons.ts";

export interface CostContext {
  readonly q: QuantisedSnn;
  readonly target: Target;
  /** Compartments per neuron of each population (2 for the two-compartment soft reset). */
  readonly compartments: Int32Array;
  /** Per population: block id of each neuron (−1 before the population is partitioned). */
  readonly neuronBlock: readonly Int32Array[];
  /** Scratch per source population: stamp and per-axon accumulators (reset through `touched`). */
  readonly stamp: readonly Int32Array[];
  readonly axonUnits: readonly Float64Array[];
  /** Neurons of each block created so far (SpiNNaker rows are laid out per source block). */
  readonly blockSizes: number[];
}

export function newCostContext(q: QuantisedSnn, target: Target): CostContext {
  return {
    q, target, compartments: compartmentsPerNeuron(q),
    neuronBlock: q.populations.map((p) => new Int32Array(p.size).fill(-1)),
    stamp: q.populations.map((p) => new Int32Array(p.size)),
    axonUnits: q.populations.map((p) => new Float64Array(p.size)),
    blockSizes: [],
  };
}

let stampCounter = 0;

export interface CoreAccount {
  readonly resources: Omit<CoreResources, "fanOutAxons">;
  /** Distinct source neurons per source population (for fan-out and traffic). */
  readonly axonSources: readonly { readonly pop: number; readonly neurons: Int32Array }[];
}

/** Resources of `blocks` sharing one core. */
export function accountCore(ctx: CostContext, blocks: readonly Block[]): CoreAccount {
  const { q, target } = ctx;
  const cost = target.core.synapseCost;
  const weightBits = target.neuron.weightBits.value;
  const stamp = ++stampCounter;
  let neurons = 0;
  let synapses = 0;
  let bits = 0;
  const formats = new Set<string>();
  const pops = new Set<number>();
  const sources = new Map<number, number[]>();
  let profiles = 0;
  let softNeurons = 0;
  for (const b of blocks) {
    const dst = q.populations[b.pop] as QPopulation;
    const cpn = ctx.compartments[b.pop] as number;
    neurons += b.size * cpn;
    if (cpn > 1) softNeurons += b.size;
    if (!pops.has(b.pop)) profiles += cpn;
    pops.add(b.pop);
    dst.inputs.forEach((pr, k) => {
      // Loihi: one synapse format per projection (weight exponent, sign mode, delay); SpiNNaker: the
      // synapse types (excitatory, inhibitory) a population's ring buffers use.
      if (cost.kind === "loihi-words") formats.add(`${b.pop}:${k}`);
      else {
        if (pr.signMode !== "inhibitory") formats.add(`${b.pop}:exc`);
        if (pr.signMode !== "excitatory") formats.add(`${b.pop}:inh`);
      }
      const src = q.populations[pr.source] as QPopulation;
      const st = ctx.stamp[pr.source] as Int32Array;
      const acc = ctx.axonUnits[pr.source] as Float64Array;
      const list = sources.get(pr.source) ?? [];
      sources.set(pr.source, list);
      const delayBits = pr.delay > 1 && cost.kind === "loihi-words" ? cost.delayBits.value : 0;
      visitAxons(pr.conn, b.box, dst, src, (s, _first, length) => {
        if (st[s] !== stamp) {
          st[s] = stamp;
          acc[s] = 0;
          list.push(s);
        }
        synapses += length;
        if (cost.kind === "loihi-words") {
          const g = cost.maxGroupSynapses.value;
          const groups = Math.ceil(length / g);
          acc[s] = (acc[s] as number) + groups * (cost.headerBits.value + cost.indexBits.value) + length * (weightBits + delayBits);
        } else {
          acc[s] = (acc[s] as number) + length;
        }
      });
    });
  }
  // Close the axons: round each to words (Loihi), or lay rows out per source block (SpiNNaker: every neuron of
  // a source block gets a row slot of the block's longest row, addressed as key index × row length).
  let fanIn = 0;
  const axonSources: { pop: number; neurons: Int32Array }[] = [];
  const rowBlocks = new Map<number, { pop: number; block: number; maxLength: number }>();
  for (const [pop, list] of sources) {
    const acc = ctx.axonUnits[pop] as Float64Array;
    fanIn += list.length;
    for (const s of list) {
      const units = acc[s] as number;
      if (cost.kind === "loihi-words") {
        const w = cost.wordBits.value;
        bits += Math.ceil(units / w) * w;
      } else {
        const block = (ctx.neuronBlock[pop] as Int32Array)[s] as number;
        const key = pop * 0x100000 + block;
        const e = rowBlocks.get(key) ?? { pop, block, maxLength: 0 };
        e.maxLength = Math.max(e.maxLength, units);
        rowBlocks.set(key, e);
      }
    }
    axonSources.push({ pop, neurons: Int32Array.from(list) });
  }
  if (cost.kind === "row-words") {
    for (const e of rowBlocks.values()) {
      const n = ctx.blockSizes[e.block] ?? 0;
      bits += (n * (cost.rowHeaderWords.value + e.maxLength) * cost.synapseWordBytes.value + cost.popTableEntryBytes.value) * 8;
    }
  }
  if (softNeurons > 0) {
    // NxTF soft reset: one self axon and one self synapse per neuron (its own group, rounded to a word).
    const sr = target.neuron.softReset;
    const extraAxons = (sr?.extraInAxonsPerNeuron.value ?? 1) * softNeurons;
    fanIn += extraAxons;
    synapses += (sr?.extraSynapsesPerNeuron.value ?? 1) * softNeurons;
    if (cost.kind === "loihi-words") {
      const w = cost.wordBits.value;
      bits += extraAxons * Math.ceil((cost.headerBits.value + cost.indexBits.value + weightBits) / w) * w;
    }
    formats.add("self");
  }
  return {
    resources: {
      neurons, fanInAxons: fanIn, synapseBits: bits, synapses,
      neuronProfiles: profiles, synapseFormats: formats.size,
    },
    axonSources,
  };
}

export interface Limits {
  readonly neurons: number;
  readonly fanInAxons: number;
  readonly fanOutAxons: number;
  readonly synapseBits: number;
  readonly neuronProfiles: number;
  readonly synapseFormats: number;
}

export function limitsOf(target: Target): Limits {
  const c = target.core;
  return {
    neurons: c.neurons.value, fanInAxons: c.fanInAxons.value, fanOutAxons: c.fanOutAxons.value,
    synapseBits: c.synapseMemoryBits.value, neuronProfiles: c.neuronProfiles.value, synapseFormats: c.synapseFormats.value,
  };
}

/** The first resource over its limit, or null. */
export function exceeded(r: Omit<CoreResources, "fanOutAxons"> & { fanOutAxons?: number }, l: Limits): keyof Limits | null {
  if (r.neurons > l.neurons) return "neurons";
  if (r.fanInAxons > l.fanInAxons) return "fanInAxons";
  if (r.synapseBits > l.synapseBits) return "synapseBits";
  if (r.neuronProfiles > l.neuronProfiles) return "neuronProfiles";
  if (r.synapseFormats > l.synapseFormats) return "synapseFormats";
  if (r.fanOutAxons !== undefined && r.fanOutAxons > l.fanOutAxons) return "fanOutAxons";
  return null;
}

/** 2 compartments for populations using the two-compartment soft reset, else 1. */
export function compartmentsPerNeuron(q: QuantisedSnn): Int32Array {
  return Int32Array.from(q.populations, (p) => (p.params.reset === "two-compartment" ? 2 : 1));
}
