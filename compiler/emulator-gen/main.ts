/**
 * @fileoverview The standalone emulator's program: what `node emulator/emulator.js` runs. bundle.ts folds
 * this module and everything it imports (runtime/ and the input reader of `snnc run`) into one file, so the
 * rules, the decoder, the loaders and the input checks are the very code `snnc run` uses, not a copy.
 *
 * Contract: `--input x.npy [--timesteps T] [--binary FILE] [--json]`; `--help` prints the usage (exit 0); a
 * bad command line exits 2; a user error prints one `error SNNCnnn: …` line (+ hint) and exits 1, exactly
 * like `snnc run` (missing binary SNNC001, input of the wrong shape SNNC151, …); anything else exits 70.
 */
import { existsSync, readFileSync } from "node:fs";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate } from "../../runtime/emulator/run.ts";
import { crc32 } from "../../runtime/format/crc32.ts";
import type { DecodedBinary } from "../../runtime/format/decoded.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { loadInputs } from "../data/dataset.ts";
import { fail, formatDiagnostic, isSnncError } from "../diagnostics.ts";
import type { BuiltFor } from "./built-for.ts";

export const USAGE = "usage: node emulator/emulator.js --input x.npy [--timesteps T] [--binary network.snnb] [--json]";

export interface StandaloneIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

interface Args {
  readonly input: string;
  readonly binary: string;
  readonly timesteps: number | null;
  readonly json: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[], defaultBinary: string): Args | "help" {
  let input: string | null = null;
  let binary = defaultBinary;
  let timesteps: number | null = null;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--help" || a === "-h") return "help";
    else if (a === "--json") json = true;
    else if (a === "--input" || a === "-i") input = value();
    else if (a === "--binary") binary = value();
    else if (a === "--timesteps" || a === "-T") {
      const v = value();
      timesteps = Number(v);
      if (!/^\d+$/.test(v) || timesteps < 1) throw new UsageError(`--timesteps must be a positive integer, got ${v}`);
    } else throw new UsageError(`unknown argument ${a}`);
  }
  if (input === null) throw new UsageError("--input is required");
  return { input, binary, timesteps, json };
}

/** FNV-1a over every (step, neuron, payload) of every sample: two runs with equal hashes spiked alike. */
export function spikeHasher(): { readonly onSpikes: (sample: number, t: number, idx: Int32Array, payload: Int32Array, n: number) => void; readonly value: () => number } {
  let h = 2166136261;
  return {
    onSpikes: (sample, t, idx, payload, n) => {
      for (let j = 0; j < n; j++) {
        h = Math.imul(h ^ (sample * 7919 + t), 16777619) >>> 0;
        h = Math.imul(h ^ (idx[j] as number), 16777619) >>> 0;
        h = Math.imul(h ^ ((payload[j] as number) + 7), 16777619) >>> 0;
      }
    },
    value: () => h,
  };
}

/** The binary, decoded (coded errors SNNC50x), and checked to be the one this emulator was generated for. */
function readBinary(file: string, built: BuiltFor | null): DecodedBinary {
  if (!existsSync(file)) {
    throw fail("SNNC001", "not found", { file }, "the emulator reads the network.snnb of the folder it was generated in; give --binary FILE");
  }
  const bytes = new Uint8Array(readFileSync(file));
  const decoded = decodeBinary(bytes);
  if (built && (bytes.length !== built.fileLength || crc32(bytes, 0, 60) !== built.headerCrc)) {
    throw fail("SNNC530", `this emulator was generated for another network.snnb (${built.model} on ${built.target}, ${built.fileLength} bytes)`, { file },
      "regenerate it with snnc compile, or run this binary with snnc run");
  }
  return decoded;
}

/** Runs the standalone emulator; returns the exit code. */
export function standaloneMain(argv: readonly string[], defaultBinary: string, built: BuiltFor | null, io: StandaloneIo): number {
  let args: Args | "help";
  try {
    args = parseArgs(argv, defaultBinary);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`error: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (args === "help") {
    io.out(`${USAGE}\n${built ? `Emulates ${built.model} compiled for ${built.target} by snnc ${built.snncVersion}, spike for spike as snnc run.\n` : ""}`);
    return 0;
  }
  try {
    const decoded = readBinary(args.binary, built);
    const net = loadNetwork(decoded);
    const meta = decoded.meta;
    const inputs = loadInputs(args.input, meta.inputShape);
    const T = args.timesteps ?? meta.timesteps;
    const hash = spikeHasher();
    const result = emulate(net, inputs.images, inputs.count, { timesteps: T, recordCounts: true, onSpikes: hash.onSpikes });
    const classes = result.classes;
    const scores = Array.from({ length: inputs.count }, (_, s) => Array.from(result.scores.subarray(s * classes, (s + 1) * classes)));
    const prediction = scores.map((row) => row.reduce((best, x, c) => (x > (row[best] as number) ? c : best), 0));
    const layerSpikes = new Array<number>(meta.populations.length).fill(0);
    result.spikeCounts?.forEach((c, g) => {
      const p = net.popOf[g] as number;
      if (p >= 0) layerSpikes[p] = (layerSpikes[p] as number) + c;
    });
    const layers = Object.fromEntries(meta.populations.map((p, i) => [p.name, layerSpikes[i] as number]));
    if (args.json) {
      const c = result.counters;
      io.out(`${JSON.stringify({ prediction, scores, samples: inputs.count, timesteps: T, layerSpikes: layers, counters: { spikes: c.spikes, synapticOps: c.synapticOps, computeCycles: c.computeCycles, gradedPackets: c.gradedPackets }, spikeHash: hash.value() })}\n`);
    } else {
      io.out(`${prediction.map((p, s) => `sample ${s}: class ${p}  (scores ${(scores[s] ?? []).map((x) => x.toFixed(0)).join(" ")})`).join("\n")}\n`);
    }
    return 0;
  } catch (e) {
    if (!isSnncError(e)) throw e;
    io.err(`${formatDiagnostic(e)}\n`);
    return 1;
  }
}
