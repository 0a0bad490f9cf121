/**
 * @fileoverview A converted network through the back end in tests, the shape the graded-spike and ECMT tests
 * share: quantise it for a target from its float simulation, run the back end, check the binary's emulator
 * bit-exact with the integer reference model, and run the binary in the runtime emulator or in the generated
 * standalone one. The checks are chai expectations: a test using them fails where they fail.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convert, type ConversionResult } from "../../compiler/convert/index.ts";
import { DEFAULT_CONVERT_OPTIONS } from "../../compiler/convert/methods.ts";
import { writeNpy } from "../../compiler/data/npy.ts";
import type { Dataset } from "../../compiler/data/dataset.ts";
import { generateEmulator } from "../../compiler/emulator-gen/generate.ts";
import type { QuantisedSnn } from "../../compiler/ir/quantised.ts";
import type { InputEncoding, SnnGraph } from "../../compiler/ir/snn.ts";
import { type BackEndState, runBackEnd } from "../../compiler/pipeline.ts";
import { quantise } from "../../compiler/quantise/index.ts";
import { type FloatSimResult, simulateFloat } from "../../compiler/simulate/float-snn.ts";
import type { Target } from "../../compiler/target/schema.ts";
import { type BitExactResult, verifyBitExact } from "../../compiler/verify/bitexact.ts";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate, type EmulateResult } from "../../runtime/emulator/run.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { tinyVit, tinyVitData } from "./tiny-vit.ts";

/** The tiny ViT (GELU approximated) converted with ecmt on `samples` random images, and its float simulation at
 * T with fixed-point compute nodes and ranges recorded (what quantise measures). */
export function tinyVitEcmt(samples: number, T: number, encoding: InputEncoding = "current"): { data: Dataset; conversion: ConversionResult; float: FloatSimResult } {
  const data = tinyVitData(samples);
  const conversion = convert(tinyVit({ approximateGelu: true }), { ...DEFAULT_CONVERT_OPTIONS, method: "ecmt", encoding }, { calibration: data, calibrationSamples: samples, warn: () => {} });
  const float = simulateFloat(conversion.snn, data.images, data.count, { timesteps: [T], fixedCompute: true, recordRanges: true });
  return { data, conversion, float };
}

/** `snn` quantised for `target` (ranges from `float`) and taken through the back end at T timesteps. */
export function backEnd(snn: SnnGraph, float: FloatSimResult, target: Target, T: number): { q: QuantisedSnn; back: BackEndState } {
  const { q } = quantise(snn, target, float, () => {});
  return { q, back: runBackEnd(q, target, T) };
}

/** A verification (verifyBitExact's, or a compile report's) found no mismatch on spikes that were compared. */
export function expectBitExact(v: Pick<BitExactResult, "bitExact" | "comparedSpikes" | "firstMismatch">): void {
  expect(v.firstMismatch).to.equal(null);
  expect(v.bitExact).to.equal(true);
  expect(v.comparedSpikes).to.be.greaterThan(0);
}

/** The binary's emulator against the integer reference model of `q` on the first `count` images. */
export function verifiedBitExact(q: QuantisedSnn, binary: Uint8Array, images: Float32Array, count: number, T: number): BitExactResult {
  const r = verifyBitExact(q, binary, images, count, T);
  expectBitExact(r);
  return r;
}

/** The runtime emulator on the decoded binary. */
export function emulateBinary(binary: Uint8Array, images: Float32Array, count: number, T: number): EmulateResult {
  return emulate(loadNetwork(decodeBinary(binary)), images, count, { timesteps: T });
}

/** A run's scores as one row per sample (the generated emulator's --json layout). */
export function scoreRows(run: Pick<EmulateResult, "scores" | "classes">, count: number): number[][] {
  return Array.from({ length: count }, (_, s) => Array.from(run.scores.subarray(s * run.classes, (s + 1) * run.classes)));
}

/**
 * The generated standalone emulator for `binary`, written with the binary to a temporary directory and run on
 * `images` (an .npy of `shape`) with `--json` and `args`; it must exit with status 0. Its JSON output.
 */
export function runGeneratedEmulator(binary: Uint8Array, images: Float32Array, shape: readonly number[], args: readonly string[] = []): { scores: number[][]; counters: Record<string, number> } {
  const dir = mkdtempSync(join(tmpdir(), "snnc-gen-emu-"));
  mkdirSync(join(dir, "emulator"));
  writeFileSync(join(dir, "network.snnb"), binary);
  const gen = generateEmulator(binary);
  writeFileSync(join(dir, "emulator", "emulator.js"), gen.js);
  writeFileSync(join(dir, "emulator", "package.json"), gen.packageJson);
  writeFileSync(join(dir, "x.npy"), writeNpy(shape, images));
  const r = spawnSync(process.execPath, [join(dir, "emulator", "emulator.js"), "--input", join(dir, "x.npy"), "--json", ...args], { encoding: "utf8", cwd: dir, timeout: 120_000 });
  expect(r.status, r.stderr).to.equal(0);
  return JSON.parse(r.stdout) as { scores: number[][]; counters: Record<string, number> };
}
