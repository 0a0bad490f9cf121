/**
 * @fileoverview network.snnb reader (binary-parser for the header, the section table and fixed records; typed
 * array views for bulk data). Never imports compiler/ or backends/: everything the emulator needs is in the
 * file. Every failure is a coded error with the byte offset: SNNC501 not an snnc binary, SNNC502 version,
 * SNNC503 checksum, SNNC504 truncated or malformed (a count or offset pointing outside its section), SNNC506
 * a field out of its range and SNNC507 a field asking for work beyond runtime/limits.ts (ranges.ts).
 */
import { Parser } from "binary-parser";
import { RuntimeError } from "../errors.ts";
import { crc32 } from "./crc32.ts";
import { readCompute } from "./compute.ts";
import { checkMeta, checkRanges } from "./ranges.ts";
import {
  BLOCK_BYTES, CORE_BYTES, ENERGY_KEYS, FAMILY_LOIHI, FAMILY_SPINNAKER, fourccName, GRADED_PACKET_KEYS, GRADED_TRAILER_BYTES, GROUP_BYTES, HEADER_BYTES, MAGIC, NEURON_BYTES,
  POP_TABLE_BYTES, PROFILE_BYTES, ROUTE_ENTRY_BYTES, SECTION, SECTION_ENTRY_BYTES, SECTION_ORDER, TIMING_KEYS, VERSION_MAJOR,
  decodeNeuronKind, decodeNeuronModel, decodeReset, type NeuronKind, type NeuronModelName, type ResetRule,
} from "./spec.ts";
import type { CoreNeurons, DecodedBinary, LoihiCoreSynapses, Profile, SpinnakerCoreSynapses } from "./decoded.ts";

const headerParser = new Parser().endianness("little")
  .uint32("magic").uint16("major").uint16("minor").uint8("family").uint8("neuronModel").uint16("pad0")
  .uint32("sections").uint32("fileLength").skip(12).string("targetName", { length: 16, stripNull: true, encoding: "ascii" })
  .uint32("flags").uint32("tableCrc").skip(4).uint32("crc");

const sectionParser = new Parser().endianness("little").uint32("id").uint32("offset").uint32("length").uint32("crc");

/** A profile record as stored: the neuron model, kind and reset as their codes (spec.ts). */
type RawProfile = Omit<Profile, "model" | "kind" | "reset"> & { model: number; kind: number; reset: number };

const profileParser = new Parser().endianness("little")
  .uint8("model").uint8("kind").uint8("reset").uint8("stateBits")
  .uint8("compartments").uint8("mtLevels").uint8("mtRelu").uint8("decayBits")
  .int32("threshold").uint16("du").uint16("dv").int32("mtNegThreshold")
  .uint16("mtNegPayload").uint8("posShift").uint8("negShift");

/** Bounds-checked reading inside one section; offsets in errors are absolute file offsets. */
export class Cursor {
  pos: number;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array, private readonly start: number, private readonly end: number, private readonly section: string) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new RuntimeError("SNNC504", `section ${this.section}: ${what} needs ${n} bytes, ${this.end - this.pos} left`, this.pos, "the binary is truncated or corrupt; recompile");
    }
  }
  u8(): number { this.need(1, "a u8"); return this.view.getUint8(this.pos++); }
  u16(): number { this.need(2, "a u16"); const x = this.view.getUint16(this.pos, true); this.pos += 2; return x; }
  u32(): number { this.need(4, "a u32"); const x = this.view.getUint32(this.pos, true); this.pos += 4; return x; }
  i32(): number { this.need(4, "an i32"); const x = this.view.getInt32(this.pos, true); this.pos += 4; return x; }
  f64(): number { this.need(8, "an f64"); const x = this.view.getFloat64(this.pos, true); this.pos += 8; return x; }
  remaining(): number { return this.end - this.pos; }
  /** `n` records of `size` bytes, copied out (aligned for typed-array views). */
  take(n: number, size: number, what: string): Uint8Array {
    if (!Number.isInteger(n) || n < 0 || n > 1e9) throw new RuntimeError("SNNC504", `section ${this.section}: bad ${what} count ${n}`, this.pos);
    this.need(n * size, `${n} ${what}`);
    const out = this.bytes.slice(this.pos, this.pos + n * size);
    this.pos += n * size;
    return out;
  }
  parse<T>(p: Parser, size: number, what: string): T {
    this.need(size, what);
    const v = p.parse(this.bytes.subarray(this.pos, this.pos + size)) as T;
    this.pos += size;
    return v;
  }
  align(n: number): void {
    this.pos = Math.min(this.end, this.start + Math.ceil((this.pos - this.start) / n) * n);
  }
  check(cond: boolean, message: string): void {
    if (!cond) throw new RuntimeError("SNNC504", `section ${this.section}: ${message}`, this.pos, "the binary is corrupt; recompile");
  }
}

export function decodeBinary(bytes: Uint8Array): DecodedBinary {
  if (bytes.length < HEADER_BYTES) throw new RuntimeError("SNNC504", `file has ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`, bytes.length);
  const h = headerParser.parse(bytes.subarray(0, HEADER_BYTES)) as {
    magic: number; major: number; minor: number; family: number; neuronModel: number; sections: number; fileLength: number; targetName: string; flags: number; tableCrc: number; crc: number;
  };
  if (h.magic !== MAGIC) throw new RuntimeError("SNNC501", "not an snnc placement binary (bad magic)", 0, "give a network.snnb written by snnc compile");
  if (h.major !== VERSION_MAJOR) throw new RuntimeError("SNNC502", `format version ${h.major}.${h.minor} is not supported (this runtime reads ${VERSION_MAJOR}.x)`, 4, "recompile with this snnc");
  if (crc32(bytes, 0, 60) !== h.crc) throw new RuntimeError("SNNC503", "header checksum mismatch", 60, "the file is corrupt; recompile");
  if (h.fileLength !== bytes.length) throw new RuntimeError("SNNC504", `file is ${bytes.length} bytes, header says ${h.fileLength}`, Math.min(bytes.length, h.fileLength), "the file is truncated or has extra bytes");
  if (h.family !== FAMILY_LOIHI && h.family !== FAMILY_SPINNAKER) throw new RuntimeError("SNNC504", `unknown target family ${h.family}`, 8);
  const tableEnd = HEADER_BYTES + SECTION_ENTRY_BYTES * h.sections;
  if (h.sections > 64 || tableEnd > bytes.length) throw new RuntimeError("SNNC504", `section table of ${h.sections} entries does not fit the file`, HEADER_BYTES);
  // Format 1.1 seals the section table (1.0 files have zeros there and are read without this check).
  if (h.minor >= 1 && crc32(bytes, HEADER_BYTES, tableEnd) !== h.tableCrc) throw new RuntimeError("SNNC503", "section table checksum mismatch", HEADER_BYTES, "the file is corrupt; recompile");
  const sections = new Map<number, { offset: number; length: number }>();
  for (let i = 0; i < h.sections; i++) {
    const at = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    const s = sectionParser.parse(bytes.subarray(at, at + SECTION_ENTRY_BYTES)) as { id: number; offset: number; length: number; crc: number };
    if (s.offset < tableEnd || s.offset + s.length > bytes.length) {
      throw new RuntimeError("SNNC504", `section ${fourccName(s.id)} [${s.offset}, ${s.offset + s.length}) lies outside the file`, at + 4);
    }
    if (crc32(bytes, s.offset, s.offset + s.length) !== s.crc) {
      throw new RuntimeError("SNNC503", `section ${fourccName(s.id)} checksum mismatch`, s.offset, "the file is corrupt; recompile");
    }
    sections.set(s.id, { offset: s.offset, length: s.length });
  }
  const cursor = (name: (typeof SECTION_ORDER)[number]): Cursor => {
    const s = sections.get(SECTION[name]);
    if (!s) throw new RuntimeError("SNNC504", `section ${name} is missing`, HEADER_BYTES);
    return new Cursor(bytes, s.offset, s.offset + s.length, name);
  };
  const system = readSystem(cursor("SYST"));
  const cores = readNeurons(cursor("NEUR"), system.cores.length);
  const loihi = h.family === FAMILY_LOIHI;
  const synapses = loihi ? { kind: "loihi" as const, cores: readLoihiSynapses(cursor("SYNS"), cores) } : { kind: "spinnaker" as const, cores: readSpinnakerSynapses(cursor("SYNS"), cores) };
  const routing = loihi ? readLoihiRouting(cursor("ROUT"), cores) : readSpinnakerRouting(cursor("ROUT"), cores);
  const input = readMap(cursor("INPM"), cores, true);
  const output = readMap(cursor("OUTM"), cores, false);
  const cost = readCost(cursor("COST"));
  const metaCursor = cursor("META");
  const metaBytes = metaCursor.take(sections.get(SECTION.META)?.length ?? 0, 1, "metadata bytes");
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder().decode(metaBytes));
  } catch {
    throw new RuntimeError("SNNC504", "metadata is not JSON", sections.get(SECTION.META)?.offset ?? 0);
  }
  const checkedMeta = checkMeta(meta, sections.get(SECTION.META)?.offset ?? 0);
  const cmpt = sections.get(SECTION.CMPT);
  const compute = cmpt ? readCompute(new Cursor(bytes, cmpt.offset, cmpt.offset + cmpt.length, "CMPT"), checkedMeta, system) : null;
  const decoded = {
    header: { family: h.family, neuronModel: h.neuronModel, targetName: h.targetName, version: `${h.major}.${h.minor}`, flags: h.flags },
    system, cores, synapses, routing, input: input as DecodedBinary["input"], output: output as DecodedBinary["output"], cost, meta: checkedMeta, compute,
  };
  // Every field in range before anyone uses it (runtime/format/ranges.ts).
  const offsets = Object.fromEntries(SECTION_ORDER.map((n) => [n, sections.get(SECTION[n])?.offset ?? 0]));
  checkRanges(decoded, checkedMeta, offsets);
  return decoded;
}

function readSystem(c: Cursor): DecodedBinary["system"] {
  const chipsX = c.u16();
  const chipsY = c.u16();
  const torus = c.u8() === 1;
  const tilesX = c.u8();
  const tilesY = c.u8();
  const coresPerTile = c.u8();
  const coresPerChip = c.u16();
  const chipsUsed = c.u16();
  const coresPerRouteBit = c.u8();
  const stepInputBits = c.u8();
  c.u16();
  c.check(coresPerRouteBit >= 1, "cores per route bit is 0");
  const n = c.u32();
  const raw = c.take(n, CORE_BYTES, "core records");
  const v = new DataView(raw.buffer);
  const cores = Array.from({ length: n }, (_, i) => ({
    chipX: v.getUint16(i * 16, true), chipY: v.getUint16(i * 16 + 2, true), index: v.getUint16(i * 16 + 4, true),
    tileX: v.getUint16(i * 16 + 6, true), tileY: v.getUint16(i * 16 + 8, true), neurons: v.getUint16(i * 16 + 10, true),
  }));
  c.check(cores.every((k) => k.chipX < chipsX && k.chipY < chipsY), "a core lies outside the chip grid");
  return { chipsX, chipsY, torus, tilesX, tilesY, coresPerTile, coresPerChip, chipsUsed, coresPerRouteBit, stepInputBits, cores };
}

function readNeurons(c: Cursor, nCores: number): CoreNeurons[] {
  const n = c.u32();
  c.check(n === nCores, `${n} neuron tables for ${nCores} cores`);
  const out: CoreNeurons[] = [];
  for (let k = 0; k < n; k++) {
    const nProfiles = c.u16();
    const nBlocks = c.u16();
    const nNeurons = c.u32();
    c.check(nNeurons <= 65536, `core ${k} claims ${nNeurons} neurons`);
    const profiles: Profile[] = [];
    for (let p = 0; p < nProfiles; p++) {
      const raw = c.parse<RawProfile>(profileParser, PROFILE_BYTES, "a neuron profile");
      const model = decodeNeuronModel(raw.model);
      const kind = decodeNeuronKind(raw.kind);
      const reset = decodeReset(raw.reset);
      c.check(model !== null && kind !== null && reset !== null, `core ${k} profile ${p}: unknown neuron model ${raw.model}, kind ${raw.kind} or reset ${raw.reset}`);
      profiles.push({ ...raw, model: model as NeuronModelName, kind: kind as NeuronKind, reset: reset as ResetRule });
    }
    const rawBlocks = c.take(nBlocks, BLOCK_BYTES, "blocks");
    const bv = new DataView(rawBlocks.buffer);
    const blocks = Array.from({ length: nBlocks }, (_, i) => {
      const o = i * BLOCK_BYTES;
      return {
        pop: bv.getUint16(o, true), y0: bv.getUint16(o + 2, true), y1: bv.getUint16(o + 4, true), x0: bv.getUint16(o + 6, true),
        x1: bv.getUint16(o + 8, true), c0: bv.getUint16(o + 10, true), c1: bv.getUint16(o + 12, true), first: bv.getUint16(o + 14, true),
      };
    });
    const raw = c.take(nNeurons, NEURON_BYTES, "neurons");
    const v = new DataView(raw.buffer);
    const profile = new Uint8Array(nNeurons);
    const biasExponent = new Uint8Array(nNeurons);
    const biasMantissa = new Int32Array(nNeurons);
    const vInit = new Int32Array(nNeurons);
    for (let i = 0; i < nNeurons; i++) {
      profile[i] = v.getUint8(i * NEURON_BYTES);
      biasExponent[i] = v.getUint8(i * NEURON_BYTES + 1);
      biasMantissa[i] = v.getInt32(i * NEURON_BYTES + 4, true);
      vInit[i] = v.getInt32(i * NEURON_BYTES + 8, true);
      if ((profile[i] as number) >= nProfiles) throw new RuntimeError("SNNC504", `core ${k} neuron ${i} names profile ${profile[i]} of ${nProfiles}`, c.pos - raw.length + i * NEURON_BYTES);
    }
    for (const b of blocks) c.check(b.first <= nNeurons && b.y0 <= b.y1 && b.x0 <= b.x1 && b.c0 <= b.c1, `core ${k} has a malformed block`);
    out.push({ profiles, blocks, profile, biasExponent, biasMantissa, vInit });
  }
  return out;
}

function readLoihiSynapses(c: Cursor, cores: readonly CoreNeurons[]): LoihiCoreSynapses[] {
  const n = c.u32();
  c.check(n === cores.length, `${n} synapse tables for ${cores.length} cores`);
  const out: LoihiCoreSynapses[] = [];
  for (let k = 0; k < n; k++) {
    const nFormats = c.u16();
    const weightShift = c.u16();
    const nAxons = c.u32();
    const nGroups = c.u32();
    const nSynapses = c.u32();
    const fraw = c.take(nFormats, 4, "synapse formats");
    const formatExponent = new Int8Array(nFormats);
    const formatSign = new Uint8Array(nFormats);
    const formatDelay = new Uint8Array(nFormats);
    for (let f = 0; f < nFormats; f++) {
      formatExponent[f] = new Int8Array(fraw.buffer, f * 4, 1)[0] as number;
      formatSign[f] = fraw[f * 4 + 1] as number;
      formatDelay[f] = fraw[f * 4 + 2] as number;
    }
    const araw = new DataView(c.take(nAxons, 8, "axons").buffer);
    const axonFirstGroup = new Uint32Array(nAxons);
    const axonGroups = new Uint16Array(nAxons);
    for (let a = 0; a < nAxons; a++) {
      axonFirstGroup[a] = araw.getUint32(a * 8, true);
      axonGroups[a] = araw.getUint16(a * 8 + 4, true);
      c.check((axonFirstGroup[a] as number) + (axonGroups[a] as number) <= nGroups, `core ${k} axon ${a} points past its groups`);
    }
    const graw = c.take(nGroups, GROUP_BYTES, "synapse groups");
    const gv = new DataView(graw.buffer);
    const groupFirst = new Uint16Array(nGroups);
    const groupCount = new Uint8Array(nGroups);
    const groupFormat = new Uint8Array(nGroups);
    let total = 0;
    const neurons = cores[k]?.profile.length ?? 0;
    for (let g = 0; g < nGroups; g++) {
      groupFirst[g] = gv.getUint16(g * 4, true);
      groupCount[g] = gv.getUint8(g * 4 + 2);
      groupFormat[g] = gv.getUint8(g * 4 + 3);
      total += groupCount[g] as number;
      c.check((groupFormat[g] as number) < nFormats && (groupFirst[g] as number) + (groupCount[g] as number) <= neurons, `core ${k} group ${g} is malformed`);
    }
    c.check(total === nSynapses, `core ${k} groups hold ${total} synapses, header says ${nSynapses}`);
    const wraw = c.take(nSynapses, 2, "weights");
    const weights = new Int16Array(wraw.buffer, 0, nSynapses);
    c.align(4);
    out.push({ weightShift, formatExponent, formatSign, formatDelay, axonFirstGroup, axonGroups, groupFirst, groupCount, groupFormat, weights });
  }
  return out;
}

function readSpinnakerSynapses(c: Cursor, cores: readonly CoreNeurons[]): SpinnakerCoreSynapses[] {
  const n = c.u32();
  c.check(n === cores.length, `${n} synapse tables for ${cores.length} cores`);
  const out: SpinnakerCoreSynapses[] = [];
  for (let k = 0; k < n; k++) {
    const nEntries = c.u32();
    const nWords = c.u32();
    const raw = new DataView(c.take(nEntries, POP_TABLE_BYTES, "population table entries").buffer);
    const key = new Uint32Array(nEntries);
    const mask = new Uint32Array(nEntries);
    const rowOffset = new Uint32Array(nEntries);
    const rowLength = new Uint16Array(nEntries);
    const neurons = new Uint16Array(nEntries);
    for (let e = 0; e < nEntries; e++) {
      key[e] = raw.getUint32(e * 16, true);
      mask[e] = raw.getUint32(e * 16 + 4, true);
      rowOffset[e] = raw.getUint32(e * 16 + 8, true);
      rowLength[e] = raw.getUint16(e * 16 + 12, true);
      neurons[e] = raw.getUint16(e * 16 + 14, true);
      c.check((rowOffset[e] as number) + (neurons[e] as number) * (rowLength[e] as number) <= nWords, `core ${k} population table entry ${e} points past the matrix`);
    }
    const words = new Uint32Array(c.take(nWords, 4, "synaptic words").buffer, 0, nWords);
    out.push({ key, mask, rowOffset, rowLength, neurons, words });
  }
  return out;
}

function readLoihiRouting(c: Cursor, cores: readonly CoreNeurons[]): DecodedBinary["routing"] {
  const n = c.u32();
  c.check(n === cores.length, `${n} axon maps for ${cores.length} cores`);
  const perCore = [];
  for (let k = 0; k < n; k++) {
    const neurons = c.u32();
    const entries = c.u32();
    c.check(neurons === (cores[k]?.profile.length ?? -1), `core ${k} axon map covers ${neurons} neurons`);
    const offsets = new Uint32Array(c.take(neurons + 1, 4, "axon map offsets").buffer, 0, neurons + 1);
    c.check(offsets[neurons] === entries, `core ${k} axon map offsets do not end at ${entries}`);
    for (let i = 0; i < neurons; i++) c.check((offsets[i] as number) <= (offsets[i + 1] as number), `core ${k} axon map offsets decrease`);
    const raw = new DataView(c.take(entries, 4, "output axons").buffer);
    const dstCore = new Uint16Array(entries);
    const dstAxon = new Uint16Array(entries);
    for (let e = 0; e < entries; e++) {
      dstCore[e] = raw.getUint16(e * 4, true);
      dstAxon[e] = raw.getUint16(e * 4 + 2, true);
      c.check((dstCore[e] as number) < n, `core ${k} sends to core ${dstCore[e]} of ${n}`);
    }
    perCore.push({ offsets, dstCore, dstAxon });
  }
  return { kind: "loihi", cores: perCore };
}

function readSpinnakerRouting(c: Cursor, cores: readonly CoreNeurons[]): DecodedBinary["routing"] {
  const n = c.u32();
  c.check(n === cores.length, `${n} key tables for ${cores.length} cores`);
  const coreKeys = [];
  for (let k = 0; k < n; k++) {
    const blocks = c.u32();
    const raw = new DataView(c.take(blocks, 12, "key blocks").buffer);
    const first = new Uint16Array(blocks);
    const count = new Uint16Array(blocks);
    const key = new Uint32Array(blocks);
    const mask = new Uint32Array(blocks);
    for (let b = 0; b < blocks; b++) {
      first[b] = raw.getUint16(b * 12, true);
      count[b] = raw.getUint16(b * 12 + 2, true);
      key[b] = raw.getUint32(b * 12 + 4, true);
      mask[b] = raw.getUint32(b * 12 + 8, true);
    }
    coreKeys.push({ first, count, key, mask });
  }
  const nChips = c.u32();
  const tables = [];
  for (let t = 0; t < nChips; t++) {
    const x = c.u16();
    const y = c.u16();
    const entries = c.u32();
    const raw = new DataView(c.take(entries, ROUTE_ENTRY_BYTES, "routing entries").buffer);
    const keys = new Uint32Array(entries);
    const masks = new Uint32Array(entries);
    const routes = new Uint32Array(entries);
    for (let e = 0; e < entries; e++) {
      keys[e] = raw.getUint32(e * 12, true);
      masks[e] = raw.getUint32(e * 12 + 4, true);
      routes[e] = raw.getUint32(e * 12 + 8, true);
    }
    tables.push({ x, y, keys, masks, routes });
  }
  return { kind: "spinnaker", coreKeys, tables };
}

function readMap(c: Cursor, cores: readonly CoreNeurons[], input: boolean): DecodedBinary["input"] | DecodedBinary["output"] {
  let head: Record<string, number>;
  if (input) {
    head = { encoding: c.u8(), biasMantissaBits: c.u8(), biasExponentMax: c.u8(), payloadBits: c.u8(), seed: c.u32(), gainScaled: c.f64(), gain: c.f64() };
  } else {
    head = { kind: c.u8(), pad: c.u8(), readoutDepth: c.u16(), population: c.u32() };
  }
  const n = c.u32();
  const raw = new DataView(c.take(n, 4, "map entries").buffer);
  const core = new Uint16Array(n);
  const local = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    core[i] = raw.getUint16(i * 4, true);
    local[i] = raw.getUint16(i * 4 + 2, true);
    c.check((core[i] as number) < cores.length && (local[i] as number) < (cores[core[i] as number]?.profile.length ?? 0), `map entry ${i} names a missing neuron`);
  }
  return { ...head, core, local } as unknown as DecodedBinary["input"];
}

function readCost(c: Cursor): DecodedBinary["cost"] {
  const timing = TIMING_KEYS.map(() => c.f64());
  const timingGrades = TIMING_KEYS.map(() => c.u8());
  const energy = ENERGY_KEYS.map(() => c.f64());
  const energyGrades = ENERGY_KEYS.map(() => c.u8());
  // Optional trailer: graded spikes as packets of their own (spec.ts GRADED_PACKET_KEYS).
  let graded: DecodedBinary["cost"]["graded"] = null;
  if (c.remaining() > 0) {
    c.check(c.remaining() === GRADED_TRAILER_BYTES, `${c.remaining()} bytes after the energy grades: the graded-packet trailer has ${GRADED_TRAILER_BYTES}`);
    const packetBits = c.u8();
    const payloadBits = c.u8();
    c.u16();
    const values = GRADED_PACKET_KEYS.map(() => c.f64());
    const grades = GRADED_PACKET_KEYS.map(() => c.u8());
    graded = { packetBits, payloadBits, ...Object.fromEntries(GRADED_PACKET_KEYS.map((k, i) => [k, values[i] as number])), grades } as unknown as NonNullable<DecodedBinary["cost"]["graded"]>;
  }
  return {
    timing: Object.fromEntries(TIMING_KEYS.map((k, i) => [k, timing[i] as number])) as DecodedBinary["cost"]["timing"],
    energy: Object.fromEntries(ENERGY_KEYS.map((k, i) => [k, energy[i] as number])) as DecodedBinary["cost"]["energy"],
    timingGrades, energyGrades, graded,
  };
}
