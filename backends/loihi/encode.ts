/**
 * @fileoverview Loihi-family backend: network.snnb with Loihi's own synapse and axon encoding.
 *
 * SYNS, per core: synapse formats (weight exponent, sign mode, delay), the input axon directory and, per
 * axon, synapse groups (first compartment, count ≤ maxGroupSynapses, format) over consecutive compartments,
 * with one 16-bit weight mantissa per synapse (effective weight = mantissa · 2^(weightShift + exponent)).
 * Axons are numbered by (source population, source neuron); with the two-compartment soft reset each
 * neuron's self axon (one synapse of weight −threshold, delay 1) follows.
 * ROUT, per core: each neuron's output axons as (destination core, destination axon), in CSR form.
 */
import type { RoutedSnn } from "../../compiler/ir/mapped.ts";
import type { QPopulation } from "../../compiler/ir/quantised.ts";
import { visitAxons } from "../../compiler/map/axons.ts";
import type { Target } from "../../compiler/target/schema.ts";
import { FAMILY_LOIHI, NEURON_MODEL_CODES } from "../../runtime/format/spec.ts";
import { assembleFile, ByteWriter, type SectionBytes } from "../../runtime/format/writer.ts";
import type { Backend } from "../backend.ts";
import { costSection, inputSection, layoutCores, type Metadata, metaSection, neuronSection, outputSection, systemSection } from "../common.ts";
import { runMantissas } from "../synapses.ts";

const SIGN_CODES = { excitatory: 0, inhibitory: 1, mixed: 2 } as const;

interface CoreAxons {
  /** Source (population, neuron) of each axon; self axons have population −1 and the local neuron. */
  readonly srcPop: Int32Array;
  readonly srcNeuron: Int32Array;
  readonly groupStart: Int32Array;
  readonly groups: number[];
  readonly weights: number[];
  readonly formats: { exp: number; sign: number; delay: number }[];
}

function buildCoreAxons(r: RoutedSnn, target: Target, coreId: number, layout: ReturnType<typeof layoutCores>["layouts"][number]): CoreAxons {
  const q = r.q;
  const maxGroup = target.core.synapseCost.kind === "loihi-words" ? target.core.synapseCost.maxGroupSynapses.value : 64;
  const formatIds = new Map<string, number>();
  const formats: CoreAxons["formats"] = [];
  const formatOf = (exp: number, sign: number, delay: number) => {
    const key = `${exp},${sign},${delay}`;
    let id = formatIds.get(key);
    if (id === undefined) {
      id = formats.length;
      formats.push({ exp, sign, delay });
      formatIds.set(key, id);
    }
    return id;
  };
  type Entry = { pop: number; neuron: number; groups: number[]; weights: number[] };
  const axons = new Map<number, Entry>();
  const scratch = new Int32Array(Math.max(1, ...layout.blocks.map((b) => (b.box.y1 - b.box.y0) * (b.box.x1 - b.box.x0) * (b.box.c1 - b.box.c0))));
  for (const b of layout.blocks) {
    const dst = q.populations[b.pop] as QPopulation;
    for (const pr of dst.inputs) {
      const src = q.populations[pr.source] as QPopulation;
      const fmt = formatOf(pr.weightExponent ?? 0, SIGN_CODES[pr.signMode], pr.delay);
      visitAxons(pr.conn, b.box, dst, src, (s, first, length) => {
        const key = pr.source * 2 ** 32 + s;
        let e = axons.get(key);
        if (!e) {
          e = { pop: pr.source, neuron: s, groups: [], weights: [] };
          axons.set(key, e);
        }
        runMantissas(pr.conn, src, dst, b.box, s, first, length, scratch);
        for (let g = 0; g < length; g += maxGroup) {
          const n = Math.min(maxGroup, length - g);
          e.groups.push(b.first + first + g, n, fmt);
          for (let j = 0; j < n; j++) e.weights.push(scratch[g + j] as number);
        }
      });
    }
  }
  const ordered = [...axons.keys()].sort((a, b) => a - b).map((k) => axons.get(k) as Entry);
  // Two-compartment soft reset: a self axon per neuron, one synapse of weight −threshold (mantissa × 2^(6+e)).
  for (const b of layout.blocks) {
    const p = q.populations[b.pop] as QPopulation;
    if (p.params.reset !== "two-compartment") continue;
    const shift = target.neuron.weightShift?.value ?? 6;
    const units = p.params.threshold / 2 ** shift; // = threshold mantissa × 2^thresholdShift / 2^shift
    const e = Math.max(0, Math.ceil(Math.log2(units / 255)));
    const fmt = formatOf(e, SIGN_CODES.inhibitory, 1);
    const count = (b.box.y1 - b.box.y0) * (b.box.x1 - b.box.x0) * (b.box.c1 - b.box.c0);
    for (let k = 0; k < count; k++) ordered.push({ pop: -1, neuron: b.first + k, groups: [b.first + k, 1, fmt], weights: [-units / 2 ** e] });
  }
  const groupStart = new Int32Array(ordered.length + 1);
  const groups: number[] = [];
  const weights: number[] = [];
  ordered.forEach((e, i) => {
    groupStart[i] = groups.length / 3;
    for (const x of e.groups) groups.push(x);
    for (const x of e.weights) weights.push(x);
  });
  groupStart[ordered.length] = groups.length / 3;
  void coreId;
  return { srcPop: Int32Array.from(ordered, (e) => e.pop), srcNeuron: Int32Array.from(ordered, (e) => e.neuron), groupStart, groups, weights, formats };
}

function synapseSection(all: readonly CoreAxons[], weightShift: number): Uint8Array {
  const w = new ByteWriter();
  w.u32(all.length);
  for (const a of all) {
    const nAxons = a.srcPop.length;
    const nGroups = a.groups.length / 3;
    w.u16(a.formats.length).u16(weightShift).u32(nAxons).u32(nGroups).u32(a.weights.length);
    for (const f of a.formats) w.i8(f.exp).u8(f.sign).u8(f.delay).u8(0);
    for (let i = 0; i < nAxons; i++) w.u32(a.groupStart[i] as number).u16((a.groupStart[i + 1] as number) - (a.groupStart[i] as number)).u16(0);
    for (let g = 0; g < nGroups; g++) w.u16(a.groups[3 * g] as number).u8(a.groups[3 * g + 1] as number).u8(a.groups[3 * g + 2] as number);
    for (const x of a.weights) w.i16(x);
    w.align(4);
  }
  return w.finish();
}

function routingSection(r: RoutedSnn, all: readonly CoreAxons[], locator: ReturnType<typeof layoutCores>["locator"], neuronsPerCore: readonly number[]): Uint8Array {
  // Invert the axon tables: each neuron's list of (destination core, axon).
  const targets = neuronsPerCore.map((n) => Array.from({ length: n }, () => [] as number[]));
  all.forEach((a, dstCore) => {
    for (let k = 0; k < a.srcPop.length; k++) {
      const pop = a.srcPop[k] as number;
      const neuron = a.srcNeuron[k] as number;
      const srcCore = pop < 0 ? dstCore : ((locator.core[pop] as Int32Array)[neuron] as number);
      const srcLocal = pop < 0 ? neuron : ((locator.local[pop] as Int32Array)[neuron] as number);
      (targets[srcCore]?.[srcLocal] as number[]).push(dstCore, k);
    }
  });
  const w = new ByteWriter();
  w.u32(targets.length);
  for (const perNeuron of targets) {
    const entries = perNeuron.reduce((a, t) => a + t.length / 2, 0);
    w.u32(perNeuron.length).u32(entries);
    let off = 0;
    for (const t of perNeuron) {
      w.u32(off);
      off += t.length / 2;
    }
    w.u32(off);
    for (const t of perNeuron) for (let i = 0; i < t.length; i += 2) w.u16(t[i] as number).u16(t[i + 1] as number);
  }
  void r;
  return w.finish();
}

export const loihiBackend: Backend = {
  family: "loihi",
  encode(r: RoutedSnn, target: Target, meta: Metadata, extra: readonly SectionBytes[] = []): Uint8Array {
    const { layouts, locator } = layoutCores(r);
    const all = layouts.map((L) => buildCoreAxons(r, target, L.core, L));
    return assembleFile({ family: FAMILY_LOIHI, neuronModel: NEURON_MODEL_CODES[target.neuron.model], targetName: target.name, flags: 0 }, [
      { id: "SYST", bytes: systemSection(r, target, r.grid.chipsX, r.grid.chipsY, layouts) },
      { id: "NEUR", bytes: neuronSection(r, layouts) },
      { id: "SYNS", bytes: synapseSection(all, target.neuron.weightShift?.value ?? 6) },
      { id: "ROUT", bytes: routingSection(r, all, locator, layouts.map((L) => L.pop.length)) },
      { id: "INPM", bytes: inputSection(r, locator) },
      { id: "OUTM", bytes: outputSection(r, locator) },
      { id: "COST", bytes: costSection(target) },
      { id: "META", bytes: metaSection(r, target, meta) },
      ...extra,
    ]);
  },
};
