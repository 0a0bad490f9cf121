/**
 * @fileoverview The parts of network.snnb both backend families write the same way: the system (SYST),
 * neuron parameters (NEUR), input and output maps (INPM, OUTM), the cost tables (COST) and the metadata
 * (META). Layouts: docs/binary-format.md and runtime/format/spec.ts.
 *
 * Core layout: a core's neurons are its blocks' neurons in block order, each block in box order (y, x, c).
 * With the two-compartment soft reset every neuron also has a soma compartment; the binary stores neurons
 * and the profile says how many compartments each has.
 */
import { fail } from "../compiler/diagnostics.ts";
import type { Box, RoutedSnn } from "../compiler/ir/mapped.ts";
import type { QPopulation } from "../compiler/ir/quantised.ts";
import type { Constant, Target } from "../compiler/target/schema.ts";
import { ENCODING_CODES, ENERGY_KEYS, GRADE_CODES, NEURON_KIND_CODES, NEURON_MODEL_CODES, RESET_CODES, TIMING_KEYS } from "../runtime/format/spec.ts";
import { ByteWriter } from "../runtime/format/writer.ts";

export interface Metadata {
  readonly snncVersion: string;
  readonly modelName: string;
  readonly modelHash: string;
  readonly method: string;
  readonly timesteps: number;
}

export interface CoreLayout {
  readonly core: number;
  /** Population and neuron index of each of the core's neurons. */
  readonly pop: Int32Array;
  readonly neuron: Int32Array;
  readonly blocks: readonly { readonly pop: number; readonly box: Box; readonly first: number }[];
}

/** Where every neuron of every population lives: core and index on the core. */
export interface NeuronLocator {
  readonly core: readonly Int32Array[];
  readonly local: readonly Int32Array[];
}

export function layoutCores(r: RoutedSnn): { layouts: CoreLayout[]; locator: NeuronLocator } {
  const q = r.q;
  const core = q.populations.map((p) => new Int32Array(p.size).fill(-1));
  const local = q.populations.map((p) => new Int32Array(p.size).fill(-1));
  const layouts = r.cores.map((c) => {
    const n = c.blocks.reduce((a, b) => a + (r.blocks[b]?.size ?? 0), 0);
    const pop = new Int32Array(n);
    const neuron = new Int32Array(n);
    const blocks: CoreLayout["blocks"][number][] = [];
    let k = 0;
    for (const bi of c.blocks) {
      const b = r.blocks[bi];
      if (!b) continue;
      const p = q.populations[b.pop] as QPopulation;
      const [, w, ch] = p.shape;
      blocks.push({ pop: b.pop, box: b.box, first: k });
      for (let y = b.box.y0; y < b.box.y1; y++) {
        for (let x = b.box.x0; x < b.box.x1; x++) {
          for (let z = b.box.c0; z < b.box.c1; z++) {
            const s = (y * w + x) * ch + z;
            pop[k] = b.pop;
            neuron[k] = s;
            (core[b.pop] as Int32Array)[s] = c.id;
            (local[b.pop] as Int32Array)[s] = k;
            k++;
          }
        }
      }
    }
    return { core: c.id, pop, neuron, blocks };
  });
  return { layouts, locator: { core, local } };
}

export function systemSection(r: RoutedSnn, target: Target, chipsX: number, chipsY: number, layouts: readonly CoreLayout[]): Uint8Array {
  const w = new ByteWriter();
  const layout = target.system.coreLayout;
  w.u16(chipsX).u16(chipsY).u8(target.system.chips.kind === "hex-torus" ? 1 : 0);
  w.u8(layout.kind === "mesh2d" ? layout.tilesX : 1).u8(layout.kind === "mesh2d" ? layout.tilesY : 1).u8(layout.kind === "mesh2d" ? layout.coresPerTile : 0);
  w.u16(target.system.usableCoresPerChip.value).u16(r.chipsUsed);
  w.u8(target.routing.kind === "multicast-keymask" ? target.routing.coresPerRouteBit ?? 1 : 1).u8(target.neuron.stepInputBits?.value ?? 0).u16(0);
  w.u32(r.cores.length);
  r.placement.forEach((loc, i) => {
    w.u16(loc.chipX).u16(loc.chipY).u16(loc.index).u16(loc.tileX).u16(loc.tileY).u16(layouts[i]?.pop.length ?? 0).u32(0);
  });
  return w.finish();
}

/** Profile of a population on a core (runtime/format/spec.ts PROFILE_BYTES). */
function writeProfile(w: ByteWriter, p: QPopulation, compartments: number): void {
  const a = p.params;
  const fixedShifts = p.inputs[0];
  w.u8(NEURON_MODEL_CODES[a.model]).u8(NEURON_KIND_CODES[a.kind]).u8(RESET_CODES[a.reset]).u8(a.stateBits);
  w.u8(compartments).u8(a.mtLevels).u8(a.mtRelu).u8(a.decayBits);
  w.i32(a.threshold);
  w.u16(a.du).u16(a.dv);
  w.i32(a.mtNegThreshold);
  w.u16(a.mtNegPayload).u8(fixedShifts?.posShift ?? 0).u8(fixedShifts?.negShift ?? 0);
}

export function neuronSection(r: RoutedSnn, layouts: readonly CoreLayout[]): Uint8Array {
  const q = r.q;
  // Block records hold a layer's coordinates (height, width, channels) as u16.
  for (const p of q.populations) {
    const big = p.shape.findIndex((d) => d > 0xffff);
    if (big >= 0) {
      throw fail("SNNC405", `layer "${p.name}" has ${p.shape[big]} ${["rows", "columns", "channels"][big]} (shape ${p.shape.join("×")}); the placement binary stores layer coordinates in 16 bits (at most 65535)`,
        { layer: p.name }, "give the layer a 2-D or 3-D shape (e.g. reshape a flat layer of n units to [1, n / 1000, 1000])");
    }
  }
  const w = new ByteWriter();
  w.u32(layouts.length);
  for (const L of layouts) {
    const pops = [...new Set(L.blocks.map((b) => b.pop))];
    w.u16(pops.length).u16(L.blocks.length).u32(L.pop.length);
    for (const pid of pops) writeProfile(w, q.populations[pid] as QPopulation, r.compartments[pid] as number);
    for (const b of L.blocks) w.u16(b.pop).u16(b.box.y0).u16(b.box.y1).u16(b.box.x0).u16(b.box.x1).u16(b.box.c0).u16(b.box.c1).u16(b.first);
    for (let k = 0; k < L.pop.length; k++) {
      const p = q.populations[L.pop[k] as number] as QPopulation;
      const c = (L.neuron[k] as number) % p.shape[2];
      w.u8(pops.indexOf(p.id)).u8(p.biasExponent[c] as number).u16(0).i32(p.biasMantissa[c] as number).i32(p.params.vInit[c] as number);
    }
  }
  return w.finish();
}

function mapSection(pop: QPopulation, locator: NeuronLocator, head: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter();
  head(w);
  w.u32(pop.size);
  const core = locator.core[pop.id] as Int32Array;
  const local = locator.local[pop.id] as Int32Array;
  for (let i = 0; i < pop.size; i++) w.u16(core[i] as number).u16(local[i] as number);
  return w.finish();
}

export function inputSection(r: RoutedSnn, locator: NeuronLocator): Uint8Array {
  const inp = r.q.input;
  const pop = r.q.populations[inp.population] as QPopulation;
  return mapSection(pop, locator, (w) => {
    w.u8(ENCODING_CODES[inp.encoding]).u8(inp.biasMantissaBits).u8(inp.biasExponentMax).u8(inp.encoding === "graded" ? inp.payloadBits : 0).u32(inp.seed);
    w.f64(inp.gainScaled).f64(inp.gain);
  });
}

export function outputSection(r: RoutedSnn, locator: NeuronLocator): Uint8Array {
  const pop = r.q.populations[r.q.output] as QPopulation;
  return mapSection(pop, locator, (w) => {
    w.u8(NEURON_KIND_CODES[pop.params.kind]).u8(0).u16(r.q.readoutDepth).u32(pop.id);
  });
}

function writeConstants(w: ByteWriter, consts: readonly Constant[]): void {
  for (const c of consts) w.f64(c.value);
  for (const c of consts) w.u8(GRADE_CODES.indexOf(c.grade));
}

export function costSection(target: Target): Uint8Array {
  const w = new ByteWriter();
  writeConstants(w, TIMING_KEYS.map((k) => target.timing[k]));
  writeConstants(w, ENERGY_KEYS.map((k) => target.energy[k]));
  // The graded-packet trailer (GRADED_PACKET_KEYS): SpiNNaker's payload packets and software mt neurons.
  const g = target.neuron.gradedSpikes;
  if (g.supported && g.packet) {
    w.u8(g.packet.bits.value).u8(g.payloadBits?.value ?? 0).u16(0);
    writeConstants(w, [g.mtNeuronUpdateSeconds ?? target.timing.neuronUpdateActiveSeconds, g.packet.joules, g.packet.hopJoules]);
  }
  return w.finish();
}

export function metaSection(r: RoutedSnn, target: Target, meta: Metadata): Uint8Array {
  const q = r.q;
  const json = {
    snncVersion: meta.snncVersion,
    model: { name: meta.modelName, sha256: meta.modelHash },
    method: meta.method,
    timesteps: meta.timesteps,
    target: { name: target.name, title: target.title, family: target.family, neuronModel: target.neuron.model },
    inputShape: q.inputShape,
    classes: q.populations[q.output]?.size ?? 0,
    populations: q.populations.map((p) => ({ name: p.name, shape: p.shape, depth: p.depth, kind: NEURON_KIND_CODES[p.params.kind], compartments: r.compartments[p.id] })),
    energyNotes: target.energy.notes,
  };
  return new TextEncoder().encode(JSON.stringify(json));
}
