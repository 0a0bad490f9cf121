/**
 * @fileoverview Range checks of every decoded field of network.snnb, run by `decodeBinary` before it returns,
 * so that `run`, `verify`, `inspect` and the emulator never see an unchecked value. The reader's structural
 * checks (counts and offsets inside their sections) and META keys of the wrong type or shape (a population
 * shape that is not [h, w, c] of positive integers, a sha256 that is not 64 hex digits) are SNNC504; a
 * section field that is well placed but out of its range (an enum code no writer emits, a NaN cost, a block
 * outside its population) is SNNC506, and a field that asks for more work or memory than runtime/limits.ts
 * allows (timesteps, neurons) is SNNC507. Every check names the field.
 *
 * Code tables come from spec.ts (NEURON_MODEL_CODES, ...); limits from runtime/limits.ts.
 */
import { RuntimeError } from "../errors.ts";
import { checkJsonDepth, LIMITS } from "../limits.ts";
import type { BlockRecord, DecodedBinary, Meta } from "./decoded.ts";
import { ENCODING_CODES, GRADE_CODES, GRADED_PACKET_KEYS, NEURON_KIND_CODES, NEURON_MODEL_CODES, SIGN_CODES } from "./spec.ts";

/** Longest string field of META (names, titles, notes). */
const META_STRING_MAX = 4096;
/** Readout pipeline depth the emulator runs after the T input steps. */
const READOUT_DEPTH_MAX = 4096;

const ENCODINGS: readonly number[] = Object.values(ENCODING_CODES);
const MODEL_CODES: readonly number[] = Object.values(NEURON_MODEL_CODES);
const KIND_CODES: readonly number[] = Object.values(NEURON_KIND_CODES);
const SIGNS: readonly number[] = Object.values(SIGN_CODES);

function bad(message: string, byte?: number): RuntimeError {
  return new RuntimeError("SNNC506", message, byte, "the binary is corrupt (or was not written by snnc); recompile");
}

function tooMuch(message: string, byte?: number): RuntimeError {
  return new RuntimeError("SNNC507", message, byte, "the binary is corrupt; recompile");
}

function isInt(x: unknown, min: number, max: number): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= min && x <= max;
}

function isStr(x: unknown): x is string {
  return typeof x === "string" && x.length <= META_STRING_MAX;
}

/** META as parsed JSON → the typed Meta, every key checked: a missing or ill-typed key is SNNC504 (malformed,
 * as before format checks were split), a value beyond the runtime's limits SNNC507; at the section's offset. */
export function checkMeta(meta: unknown, offset: number): Meta {
  const fail = (what: string) => new RuntimeError("SNNC504", `metadata ${what}`, offset, "the binary is corrupt (or was not written by snnc); recompile");
  checkJsonDepth(meta, { byte: offset }, "SNNC504", 8);
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw fail("is not a JSON object");
  const m = meta as Record<string, unknown>;
  for (const k of ["snncVersion", "method"]) if (!isStr(m[k])) throw fail(`key "${k}" is missing or not a string of at most ${META_STRING_MAX} characters`);
  if (!isInt(m.timesteps, 1, LIMITS.timesteps.max)) {
    if (typeof m.timesteps === "number" && Number.isInteger(m.timesteps) && m.timesteps > LIMITS.timesteps.max) {
      throw tooMuch(`metadata timesteps ${m.timesteps} exceeds the limit of ${LIMITS.timesteps.max}`, offset);
    }
    throw fail(`key "timesteps" must be an integer from 1 to ${LIMITS.timesteps.max}`);
  }
  if (!isInt(m.classes, 1, LIMITS.neurons.max)) throw fail(`key "classes" must be a positive integer`);
  const model = m.model as Record<string, unknown> | null;
  if (typeof model !== "object" || model === null || Array.isArray(model) || !isStr(model.name) || typeof model.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(model.sha256)) {
    throw fail(`key "model" must be { name, sha256 (64 hex digits) }`);
  }
  const target = m.target as Record<string, unknown> | null;
  if (typeof target !== "object" || target === null || Array.isArray(target) || !["name", "title", "family", "neuronModel"].every((k) => isStr(target[k]))) {
    throw fail(`key "target" must be { name, title, family, neuronModel } (strings)`);
  }
  if (!Array.isArray(m.inputShape) || m.inputShape.length < 1 || m.inputShape.length > 4 || !m.inputShape.every((x) => isInt(x, 1, LIMITS.tensorElements.max))) {
    throw fail(`key "inputShape" must be a list of 1 to 4 positive integers`);
  }
  let inputSize = 1;
  for (const d of m.inputShape as number[]) inputSize *= d;
  if (inputSize > LIMITS.tensorElements.max) throw tooMuch(`metadata inputShape has ${inputSize} elements, more than ${LIMITS.tensorElements.max}`, offset);
  if (!Array.isArray(m.energyNotes) || !m.energyNotes.every(isStr)) throw fail(`key "energyNotes" must be a list of strings`);
  if (!Array.isArray(m.populations) || m.populations.length < 1 || m.populations.length > 65536) throw fail(`key "populations" must be a list of 1 to 65536 populations`);
  m.populations.forEach((p: unknown, i: number) => {
    const q = p as Record<string, unknown> | null;
    const ok = typeof q === "object" && q !== null && !Array.isArray(q) && isStr(q.name) && Array.isArray(q.shape) && q.shape.length === 3
      && q.shape.every((x) => isInt(x, 1, 65536)) && isInt(q.depth, 0, 65535) && isInt(q.kind, 0, 255) && KIND_CODES.includes(q.kind as number)
      && isInt(q.compartments, 0, LIMITS.neurons.max);
    if (!ok) throw fail(`population ${i} must be { name, shape: [h, w, c] (1 … 65536 each), depth, kind (a neuron kind code), compartments }`);
    const [h, w, c] = (q as { shape: number[] }).shape as [number, number, number];
    if (h * w * c > LIMITS.neurons.max) throw tooMuch(`metadata population ${i} has ${h * w * c} neurons, more than ${LIMITS.neurons.max}`, offset);
  });
  return meta as Meta;
}

function inShape(b: BlockRecord, shape: readonly [number, number, number]): boolean {
  return b.y1 <= shape[0] && b.x1 <= shape[1] && b.c1 <= shape[2];
}

/** Cross-section and per-field range checks of a decoded binary (META already checked). */
export function checkRanges(d: Omit<DecodedBinary, "meta">, meta: Meta, offsets: Readonly<Record<string, number>>): void {
  const at = (s: string) => offsets[s];
  if (!MODEL_CODES.includes(d.header.neuronModel)) throw bad(`header neuron model code ${d.header.neuronModel} is not one of ${MODEL_CODES.join(", ")}`, 9);
  const sys = d.system;
  if (sys.chipsX < 1 || sys.chipsY < 1) throw bad(`system has a ${sys.chipsX}×${sys.chipsY} chip grid`, at("SYST"));
  if (sys.coresPerChip < 1) throw bad("system has 0 cores per chip", at("SYST"));
  if (sys.chipsUsed > sys.chipsX * sys.chipsY) throw bad(`system uses ${sys.chipsUsed} chips of a ${sys.chipsX}×${sys.chipsY} grid`, at("SYST"));
  if (sys.cores.length < 1) throw bad("system has no cores", at("SYST"));
  sys.cores.forEach((c, k) => {
    if (c.index >= sys.coresPerChip) throw bad(`core ${k} sits in slot ${c.index} of a ${sys.coresPerChip}-core chip`, at("SYST"));
  });
  let neurons = 0;
  d.cores.forEach((c, k) => {
    neurons += c.profile.length;
    c.profiles.forEach((p, i) => {
      const what = `core ${k} profile ${i}`;
      // model, kind and reset codes: decoded to names by the reader (an undefined code is SNNC504 there).
      if (p.stateBits < 8 || p.stateBits > 32) throw bad(`${what} has a ${p.stateBits}-bit state (8 to 32)`, at("NEUR"));
      if (p.compartments < 1 || p.compartments > 8) throw bad(`${what} has ${p.compartments} compartments (1 to 8)`, at("NEUR"));
      if (p.mtRelu > 1) throw bad(`${what} has ReLU compensation flag ${p.mtRelu}`, at("NEUR"));
      // Decays are fractions d / 2^decayBits (Loihi: 12 bits; fixed point: up to 15).
      const decayOne = 2 ** Math.max(12, p.decayBits);
      if (p.decayBits > 15 || p.du > decayOne || p.dv > decayOne) throw bad(`${what} has decays ${p.du}, ${p.dv} of ${p.decayBits} bits (at most 15 bits, at most 2^bits)`, at("NEUR"));
      if (p.posShift > 31 || p.negShift > 31) throw bad(`${what} has synapse shifts ${p.posShift}, ${p.negShift} (at most 31)`, at("NEUR"));
    });
    for (let i = 0; i < c.biasExponent.length; i++) {
      if ((c.biasExponent[i] as number) > 31) throw bad(`core ${k} neuron ${i} has bias exponent ${c.biasExponent[i]} (at most 31)`, at("NEUR"));
    }
    c.blocks.forEach((b, i) => {
      const pop = meta.populations[b.pop];
      if (!pop) throw bad(`core ${k} block ${i} names population ${b.pop}; the metadata has ${meta.populations.length}`, at("NEUR"));
      if (!inShape(b, pop.shape)) throw bad(`core ${k} block ${i} lies outside population ${b.pop}'s shape [${pop.shape.join(", ")}]`, at("NEUR"));
      const volume = (b.y1 - b.y0) * (b.x1 - b.x0) * (b.c1 - b.c0);
      if (b.first + volume > c.profile.length) throw bad(`core ${k} block ${i} runs past the core's ${c.profile.length} neurons`, at("NEUR"));
    });
  });
  if (neurons > LIMITS.neurons.max) throw tooMuch(`the binary holds ${neurons} neurons, more than ${LIMITS.neurons.max}`, at("NEUR"));
  if (d.synapses.kind === "loihi") {
    d.synapses.cores.forEach((s, k) => {
      if (s.weightShift > 64) throw bad(`core ${k} has weight shift ${s.weightShift} (at most 64)`, at("SYNS"));
      for (let f = 0; f < s.formatSign.length; f++) {
        if (!SIGNS.includes(s.formatSign[f] as number)) throw bad(`core ${k} synapse format ${f} has sign code ${s.formatSign[f]}`, at("SYNS"));
        const delay = s.formatDelay[f] as number;
        if (delay < 1 || delay > LIMITS.delaySteps.max) throw bad(`core ${k} synapse format ${f} has delay ${delay}`, at("SYNS"));
        const e = (s.formatExponent[f] as number) + s.weightShift;
        if (e < -64 || e > 64) throw bad(`core ${k} synapse format ${f} scales weights by 2^${e}`, at("SYNS"));
      }
    });
  }
  if (d.routing.kind === "spinnaker") {
    d.routing.tables.forEach((t, i) => {
      if (t.x >= sys.chipsX || t.y >= sys.chipsY) throw bad(`routing table ${i} is for chip (${t.x}, ${t.y}) outside the ${sys.chipsX}×${sys.chipsY} grid`, at("ROUT"));
    });
  }
  const inp = d.input;
  if (!ENCODINGS.includes(inp.encoding)) throw bad(`input encoding code ${inp.encoding} is not one of ${ENCODINGS.join(", ")}`, at("INPM"));
  if (!Number.isFinite(inp.gain) || !Number.isFinite(inp.gainScaled)) throw bad(`input gain ${inp.gain} / ${inp.gainScaled} is not finite`, at("INPM"));
  if (inp.encoding === ENCODING_CODES.graded ? inp.payloadBits < 2 || inp.payloadBits > 32 : inp.payloadBits !== 0) throw bad(`input payload width ${inp.payloadBits} bits for encoding ${inp.encoding}`, at("INPM"));
  if (inp.biasMantissaBits < 2 || inp.biasMantissaBits > 32 || inp.biasExponentMax > 31) throw bad(`input bias format ${inp.biasMantissaBits} bits, exponent ≤ ${inp.biasExponentMax}`, at("INPM"));
  let inputSize = 1;
  for (const x of meta.inputShape) inputSize *= x;
  if (inp.core.length !== inputSize) throw bad(`input map has ${inp.core.length} entries for an input of shape [${meta.inputShape.join(", ")}]`, at("INPM"));
  const out = d.output;
  if (!KIND_CODES.includes(out.kind)) throw bad(`output kind code ${out.kind}`, at("OUTM"));
  if (out.population >= meta.populations.length) throw bad(`output population ${out.population}; the metadata has ${meta.populations.length}`, at("OUTM"));
  if (out.core.length !== meta.classes) throw bad(`output map has ${out.core.length} entries for ${meta.classes} classes`, at("OUTM"));
  if (out.readoutDepth > READOUT_DEPTH_MAX) throw tooMuch(`readout depth ${out.readoutDepth} exceeds the limit of ${READOUT_DEPTH_MAX}`, at("OUTM"));
  for (const [k, v] of [...Object.entries(d.cost.timing), ...Object.entries(d.cost.energy)]) {
    if (!Number.isFinite(v) || v < 0) throw bad(`cost ${k} is ${v}, not a finite non-negative number`, at("COST"));
  }
  const graded = d.cost.graded;
  if (graded) {
    for (const k of GRADED_PACKET_KEYS) {
      if (!Number.isFinite(graded[k]) || graded[k] < 0) throw bad(`cost ${k} is ${graded[k]}, not a finite non-negative number`, at("COST"));
    }
    if (graded.payloadBits < 1 || graded.payloadBits > 32) throw bad(`graded payload width ${graded.payloadBits} is not 1 … 32 bits`, at("COST"));
  }
  for (const g of [...d.cost.timingGrades, ...d.cost.energyGrades, ...(graded?.grades ?? [])]) {
    if (g >= GRADE_CODES.length) throw bad(`cost grade code ${g} is not one of 0 … ${GRADE_CODES.length - 1}`, at("COST"));
  }
}
