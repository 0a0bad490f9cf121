/**
 * @fileoverview SpiNNaker-family backend: network.snnb with sPyNNaker-style synaptic matrices and multicast
 * key/mask routing tables.
 *
 * SYNS, per core: the master population table (one entry per source block: key, mask, row offset, row
 * length in words, neurons) and the synaptic matrix: every neuron i of a source block has a row at
 * rowOffset + i × rowLength words, `[0, n, 0, w1 … wn, padding]` (plastic size, fixed count, plastic
 * control count, fixed synapse words), each word | weight 16 | delay − 1 4 | type 1 | index 11 | with
 * type 1 = inhibitory (the weight magnitude is shifted by the population's inhibitory left shift).
 * ROUT: per core, its blocks' keys (neuron i of a block sends key | i); per chip, the compressed routing
 * table (key, mask, route: bits 0–5 links E NE N W SW S, bit 6 + p core p).
 */
import type { Block, RoutedSnn } from "../../compiler/ir/mapped.ts";
import type { QPopulation } from "../../compiler/ir/quantised.ts";
import { intersect, receptiveBox, visitAxons } from "../../compiler/map/axons.ts";
import type { Target } from "../../compiler/target/schema.ts";
import { FAMILY_SPINNAKER, NEURON_MODEL_CODES, ROW_HEADER_WORDS, SYN_DELAY_SHIFT, SYN_INDEX_BITS, SYN_TYPE_SHIFT, SYN_WEIGHT_SHIFT } from "../../runtime/format/spec.ts";
import { assembleFile, ByteWriter, type SectionBytes } from "../../runtime/format/writer.ts";
import type { Backend } from "../backend.ts";
import { costSection, inputSection, layoutCores, type Metadata, metaSection, neuronSection, outputSection, systemSection } from "../common.ts";
import { runMantissas } from "../synapses.ts";

function localInBlock(b: Block, shape: readonly [number, number, number], s: number): number {
  const c = s % shape[2];
  const px = (s - c) / shape[2];
  const x = px % shape[1];
  const y = (px - x) / shape[1];
  const bw = b.box.x1 - b.box.x0;
  const bc = b.box.c1 - b.box.c0;
  return ((y - b.box.y0) * bw + (x - b.box.x0)) * bc + (c - b.box.c0);
}

function synapseWord(mantissa: number, delay: number, target: number): number {
  if (target >= 1 << SYN_INDEX_BITS) throw new Error(`internal: neuron index ${target} does not fit ${SYN_INDEX_BITS} bits`);
  if (delay < 1 || delay > 16) throw new Error(`internal: delay ${delay} does not fit 4 bits`);
  const inh = mantissa < 0 ? 1 : 0;
  return ((Math.abs(mantissa) << SYN_WEIGHT_SHIFT) | ((delay - 1) << SYN_DELAY_SHIFT) | (inh << SYN_TYPE_SHIFT) | target) >>> 0;
}

function synapseSection(r: RoutedSnn, layouts: ReturnType<typeof layoutCores>["layouts"]): Uint8Array {
  if (r.routing.kind !== "multicast") throw new Error("internal: SpiNNaker backend needs multicast routing");
  const routing = r.routing;
  const q = r.q;
  const w = new ByteWriter();
  w.u32(layouts.length);
  const scratch = new Int32Array(1 << SYN_INDEX_BITS);
  for (const L of layouts) {
    // rows[source block][index in block] = synaptic words
    const rows = new Map<number, Map<number, number[]>>();
    for (const b of L.blocks) {
      const dst = q.populations[b.pop] as QPopulation;
      for (const pr of dst.inputs) {
        const src = q.populations[pr.source] as QPopulation;
        const rf = receptiveBox(pr.conn, b.box, src);
        for (const sbi of r.popBlocks[pr.source] ?? []) {
          const sb = r.blocks[sbi] as Block;
          if (!intersect(rf, sb.box)) continue;
          const perBlock = rows.get(sb.id) ?? new Map<number, number[]>();
          rows.set(sb.id, perBlock);
          visitAxons(pr.conn, b.box, dst, src, (s, first, length) => {
            runMantissas(pr.conn, src, dst, b.box, s, first, length, scratch);
            const i = localInBlock(sb, src.shape, s);
            const row = perBlock.get(i) ?? [];
            perBlock.set(i, row);
            for (let j = 0; j < length; j++) {
              if ((scratch[j] as number) !== 0) row.push(synapseWord(scratch[j] as number, pr.delay, b.first + first + j));
            }
          }, sb.box);
        }
      }
    }
    const entries = [...rows.keys()].sort((a, b) => ((routing.blockKey[a] as number) - (routing.blockKey[b] as number)) || a - b);
    let words = 0;
    const layout = entries.map((sb) => {
      const perBlock = rows.get(sb) as Map<number, number[]>;
      let longest = 0;
      for (const row of perBlock.values()) longest = Math.max(longest, row.length);
      const rowLength = ROW_HEADER_WORDS + longest;
      const neurons = (r.blocks[sb] as Block).size;
      const at = words;
      words += neurons * rowLength;
      return { sb, rowLength, neurons, at };
    });
    w.u32(layout.length).u32(words);
    for (const e of layout) w.u32(routing.blockKey[e.sb] as number).u32(routing.blockMask[e.sb] as number).u32(e.at).u16(e.rowLength).u16(e.neurons);
    for (const e of layout) {
      const perBlock = rows.get(e.sb) as Map<number, number[]>;
      for (let i = 0; i < e.neurons; i++) {
        const row = perBlock.get(i) ?? [];
        w.u32(0).u32(row.length).u32(0);
        for (const x of row) w.u32(x);
        for (let pad = ROW_HEADER_WORDS + row.length; pad < e.rowLength; pad++) w.u32(0);
      }
    }
  }
  return w.finish();
}

function routingSection(r: RoutedSnn, layouts: ReturnType<typeof layoutCores>["layouts"]): Uint8Array {
  if (r.routing.kind !== "multicast") throw new Error("internal: SpiNNaker backend needs multicast routing");
  const routing = r.routing;
  const w = new ByteWriter();
  w.u32(layouts.length);
  layouts.forEach((L, k) => {
    const core = r.cores[k];
    const blocks = core ? core.blocks : [];
    w.u32(blocks.length);
    L.blocks.forEach((lb, i) => {
      const bi = blocks[i] as number;
      w.u16(lb.first).u16((r.blocks[bi] as Block).size).u32(routing.blockKey[bi] as number).u32(routing.blockMask[bi] as number);
    });
  });
  const tables = routing.tables.filter((t) => t.keys.length > 0);
  w.u32(tables.length);
  for (const t of tables) {
    w.u16(t.chipX).u16(t.chipY).u32(t.keys.length);
    for (let e = 0; e < t.keys.length; e++) w.u32(t.keys[e] as number).u32(t.masks[e] as number).u32(t.routes[e] as number);
  }
  return w.finish();
}

export const spinnakerBackend: Backend = {
  family: "spinnaker",
  encode(r: RoutedSnn, target: Target, meta: Metadata, extra: readonly SectionBytes[] = []): Uint8Array {
    const { layouts, locator } = layoutCores(r);
    return assembleFile({ family: FAMILY_SPINNAKER, neuronModel: NEURON_MODEL_CODES[target.neuron.model], targetName: target.name, flags: 1 }, [
      { id: "SYST", bytes: systemSection(r, target, r.grid.chipsX, r.grid.chipsY, layouts) },
      { id: "NEUR", bytes: neuronSection(r, layouts) },
      { id: "SYNS", bytes: synapseSection(r, layouts) },
      { id: "ROUT", bytes: routingSection(r, layouts) },
      { id: "INPM", bytes: inputSection(r, locator) },
      { id: "OUTM", bytes: outputSection(r, locator) },
      { id: "COST", bytes: costSection(target) },
      { id: "META", bytes: metaSection(r, target, meta) },
      ...extra,
    ]);
  },
};
