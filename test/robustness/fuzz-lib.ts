/**
 * @fileoverview Binary fuzzing of network.snnb, shared by test/robustness/fuzz.test.ts (a few thousand mutants
 * on every CI run) and bench/fuzz.ts (the long mode: SNNC_FUZZ_N mutants, 100,000 by default).
 *
 * Seeds: small real binaries (a conv stack on Loihi, a random recurrent network on SpiNNaker) built by the
 * back end. Each mutant is one of: byte flips inside a section, a random u8/u16/u32/f64 written at a random
 * field offset of a section, a META JSON value replaced by a hostile one (wrong type, -1, 1e9, 1e999,
 * a 100 kB string, deep nesting, a missing key), or a truncated / extended section. Every CRC (sections,
 * table, header) is recomputed after the mutation, so the mutant reaches the structural and range checks
 * instead of stopping at SNNC503. Each mutant goes through decode → loadNetwork → a short emulate → the
 * JSON `snnc inspect --json` builds and its stringification. Only CodedErrors may escape; anything else is
 * an internal error, returned with the mutant's description.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectCommand } from "../../compiler/cli/inspect.ts";
import { runCommand } from "../../compiler/cli/run.ts";
import { writeNpy } from "../../compiler/data/npy.ts";
import type { CommandIo } from "../../compiler/cli/main.ts";
import { Progress } from "../../compiler/cli/progress.ts";
import { loadTarget } from "../../compiler/target/load.ts";
import { CodedError } from "../../runtime/errors.ts";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate } from "../../runtime/emulator/run.ts";
import { crc32 } from "../../runtime/format/crc32.ts";
import { xorshift32 } from "../../runtime/input.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { fourcc, HEADER_BYTES, SECTION_ENTRY_BYTES, TABLE_CRC_OFFSET } from "../../runtime/format/spec.ts";
import { runBackEnd } from "../../compiler/pipeline.ts";
import { convStack, randomNetwork } from "../../compiler/ir/synthetic.ts";

/** Steps a mutant is emulated for at most (the binary's own T when smaller): bounds the work per mutant. */
export const FUZZ_STEPS = 8;

/** Seeded uniform numbers in [0, 1): the runtime's own xorshift32 (runtime/input.ts), scaled. */
export function seededRand(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 4294967296;
}

/** The seed binaries: one per family, small enough to emulate in about a millisecond. */
export function seedBinaries(): { name: string; bytes: Uint8Array }[] {
  const tiny = loadTarget("tiny");
  const tinySpinn = loadTarget("tiny-spinnaker");
  return [
    { name: "conv-loihi", bytes: runBackEnd(convStack(tiny, 4, 4, 1, 2, 1, 3), tiny, 6).binary },
    { name: "random-spinnaker", bytes: runBackEnd(randomNetwork(tinySpinn, 40, 4, 5).q, tinySpinn, 6).binary },
  ];
}

interface Section {
  id: number;
  data: Uint8Array;
}

export function splitSections(bytes: Uint8Array): { head: Uint8Array; sections: Section[] } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = v.getUint32(12, true);
  const sections: Section[] = [];
  for (let i = 0; i < n; i++) {
    const at = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    const offset = v.getUint32(at + 4, true);
    const length = v.getUint32(at + 8, true);
    sections.push({ id: v.getUint32(at, true), data: bytes.slice(offset, offset + length) });
  }
  return { head: bytes.slice(0, HEADER_BYTES), sections };
}

/** Reassembles a file (8-byte aligned sections) and recomputes every checksum. */
export function assemble(head: Uint8Array, sections: readonly Section[]): Uint8Array {
  const tableEnd = HEADER_BYTES + SECTION_ENTRY_BYTES * sections.length;
  const align = (x: number) => Math.ceil(x / 8) * 8;
  let pos = align(tableEnd);
  const offsets = sections.map((s) => {
    const o = pos;
    pos = align(pos + s.data.length);
    return o;
  });
  const out = new Uint8Array(pos);
  out.set(head.subarray(0, HEADER_BYTES), 0);
  const v = new DataView(out.buffer);
  v.setUint32(12, sections.length, true);
  v.setUint32(16, out.length, true);
  sections.forEach((s, i) => {
    const at = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    out.set(s.data, offsets[i] as number);
    v.setUint32(at, s.id, true);
    v.setUint32(at + 4, offsets[i] as number, true);
    v.setUint32(at + 8, s.data.length, true);
    v.setUint32(at + 12, crc32(s.data), true);
  });
  v.setUint32(TABLE_CRC_OFFSET, crc32(out, HEADER_BYTES, tableEnd), true);
  v.setUint32(60, crc32(out, 0, 60), true);
  return out;
}

const META_ID = fourcc("META");

const HOSTILE_VALUES: readonly (() => unknown)[] = [
  () => -1, () => 0, () => 1e9, () => 2 ** 32, () => 1.5, () => "x", () => null, () => true, () => [], () => ({}),
  () => [0, 0, 0], () => [1e9, 1e9, 1e9], () => "a".repeat(100_000), () => "__INF__", () => "__DEEP__", () => undefined,
];

/** Replaces a random value somewhere in the META JSON (or deletes it) and re-encodes the section. */
function mutateMeta(data: Uint8Array, rand: () => number): { data: Uint8Array; what: string } {
  const meta = JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>;
  // Collect (parent, key) slots iteratively.
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number; path: string }[] = [];
  const stack: { v: unknown; path: string }[] = [{ v: meta, path: "" }];
  while (stack.length > 0) {
    const { v, path } = stack.pop() as { v: unknown; path: string };
    if (typeof v !== "object" || v === null) continue;
    const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v);
    for (const [k, x] of entries) {
      slots.push({ parent: v as Record<string, unknown>, key: k, path: `${path}.${k}` });
      if (slots.length < 5000) stack.push({ v: x, path: `${path}.${k}` });
    }
  }
  const slot = slots[Math.floor(rand() * slots.length)];
  const value = (HOSTILE_VALUES[Math.floor(rand() * HOSTILE_VALUES.length)] as () => unknown)();
  if (!slot) return { data, what: "meta: no slot" };
  let shown = typeof value === "string" && value.length > 20 ? `"a"×${value.length}` : JSON.stringify(value);
  if (value === undefined) {
    if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
    else delete slot.parent[slot.key as string];
    shown = "(deleted)";
  } else if (value === "__DEEP__") {
    (slot.parent as Record<string | number, unknown>)[slot.key] = "__DEEP__";
  } else {
    (slot.parent as Record<string | number, unknown>)[slot.key] = value;
  }
  let text = JSON.stringify(meta);
  text = text.replace('"__INF__"', "1e999").replace('"__DEEP__"', "[".repeat(20_000) + "]".repeat(20_000));
  return { data: new TextEncoder().encode(text), what: `meta ${slot.path} = ${shown}` };
}

/** One mutant of `seed`, with a description. */
export function mutate(seed: Uint8Array, rand: () => number): { bytes: Uint8Array; what: string } {
  const { head, sections } = splitSections(seed);
  const pick = Math.floor(rand() * sections.length);
  const s = sections[pick] as Section;
  const name = String.fromCharCode(s.id & 0xff, (s.id >>> 8) & 0xff, (s.id >>> 16) & 0xff, (s.id >>> 24) & 0xff);
  const mode = Math.floor(rand() * 6);
  let what: string;
  const data = s.data.slice();
  const v = new DataView(data.buffer);
  const at = data.length > 0 ? Math.floor(rand() * data.length) : 0;
  switch (mode) {
    case 0: {
      const n = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < n && data.length > 0; k++) data[Math.floor(rand() * data.length)] = Math.floor(rand() * 256);
      what = `${name}: ${n} random bytes`;
      break;
    }
    case 1: {
      const width = [1, 2, 4, 8][Math.floor(rand() * 4)] as number;
      const aligned = Math.max(0, Math.min(data.length - width, at - (at % width)));
      const special = [0, 1, 0xff, 0xffff, 0xffffffff, 0x7fffffff, 65536, 64, 3][Math.floor(rand() * 9)] as number;
      const val = rand() < 0.5 ? special : Math.floor(rand() * 2 ** (8 * Math.min(width, 4)));
      if (data.length >= width) {
        if (width === 1) v.setUint8(aligned, val & 0xff);
        else if (width === 2) v.setUint16(aligned, val & 0xffff, true);
        else if (width === 4) v.setUint32(aligned, val >>> 0, true);
        else v.setFloat64(aligned, [NaN, Infinity, -Infinity, -1, 1e300, 0][Math.floor(rand() * 6)] as number, true);
      }
      what = `${name}: u${8 * width} at ${aligned} = ${width === 8 ? "special f64" : val}`;
      break;
    }
    case 2: {
      if (s.id === META_ID) {
        const m = mutateMeta(data, rand);
        sections[pick] = { id: s.id, data: m.data };
        return { bytes: assemble(head, sections), what: m.what };
      }
      data[at] = (data[at] ?? 0) ^ (1 << Math.floor(rand() * 8));
      what = `${name}: bit flip at ${at}`;
      break;
    }
    case 3: {
      sections[pick] = { id: s.id, data: data.slice(0, Math.floor(rand() * data.length)) };
      return { bytes: assemble(head, sections), what: `${name}: truncated` };
    }
    case 4: {
      const extra = new Uint8Array(1 + Math.floor(rand() * 64)).map(() => Math.floor(rand() * 256));
      const grown = new Uint8Array(data.length + extra.length);
      grown.set(data.subarray(0, at), 0);
      grown.set(extra, at);
      grown.set(data.subarray(at), at + extra.length);
      sections[pick] = { id: s.id, data: grown };
      return { bytes: assemble(head, sections), what: `${name}: ${extra.length} bytes inserted at ${at}` };
    }
    default: {
      // META mutated twice as often: it is JSON, the structure most likely to be trusted blindly.
      const meta = sections.findIndex((x) => x.id === META_ID);
      const m = mutateMeta((sections[meta] as Section).data, rand);
      sections[meta] = { id: META_ID, data: m.data };
      return { bytes: assemble(head, sections), what: m.what };
    }
  }
  sections[pick] = { id: s.id, data };
  return { bytes: assemble(head, sections), what };
}

export interface FuzzOutcome {
  readonly mutants: number;
  /** Outcome counts: "ok" (the mutant ran), or the coded error's code. */
  readonly codes: ReadonlyMap<string, number>;
  /** Mutants that threw something other than a CodedError. */
  readonly internal: readonly { what: string; error: string }[];
}

const quietIo: CommandIo = { progress: new Progress({ enabled: false, silent: true }), quiet: true, json: true, warn: () => {} };

/** Runs one mutant through everything `run` and `inspect` do. Throws whatever escapes. */
export async function exercise(bytes: Uint8Array, file: string, inputFile: string): Promise<void> {
  const decoded = decodeBinary(bytes);
  const net = loadNetwork(decoded);
  const per = net.input.neurons.length;
  const T = Math.min(decoded.meta.timesteps, FUZZ_STEPS);
  const images = new Float32Array(per).fill(0.5);
  emulate(net, images, 1, { timesteps: T, recordCounts: true });
  writeFileSync(file, bytes);
  const out = await inspectCommand.run({ file, json: true }, quietIo);
  JSON.stringify(out.json);
  void out.text.length;
  // `snnc run` on the same file: its own JSON and text (per-layer counts sized by META's shapes).
  writeFileSync(inputFile, writeNpy([1, ...decoded.meta.inputShape], images));
  const ran = await runCommand.run({ network: file, input: inputFile, timesteps: T, workers: 1 }, quietIo);
  JSON.stringify(ran.json);
}

export async function fuzz(n: number, seed = 1, onProgress?: (done: number) => void): Promise<FuzzOutcome> {
  const seeds = seedBinaries();
  const rand = seededRand(seed);
  const dir = mkdtempSync(join(tmpdir(), "snnc-fuzz-"));
  const file = join(dir, "network.snnb");
  const inputFile = join(dir, "x.npy");
  const codes = new Map<string, number>();
  const internal: { what: string; error: string }[] = [];
  try {
    for (const s of seeds) await exercise(s.bytes, file, inputFile); // the seeds themselves must pass
    for (let i = 0; i < n; i++) {
      const base = seeds[i % seeds.length] as { name: string; bytes: Uint8Array };
      const m = mutate(base.bytes, rand);
      try {
        await exercise(m.bytes, file, inputFile);
        codes.set("ok", (codes.get("ok") ?? 0) + 1);
      } catch (e) {
        if (e instanceof CodedError) codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        else internal.push({ what: `#${i} ${base.name} ${m.what}`, error: String((e as Error)?.stack ?? e).split("\n").slice(0, 3).join(" | ") });
      }
      if (onProgress && (i + 1) % 1000 === 0) onProgress(i + 1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { mutants: n, codes, internal };
}
