/**
 * @fileoverview `snnc compile <model> --target <name|file.json>`: the whole pipeline, then network.snnb,
 * report.json / .md / .html, the generated emulator and reference.json.gz written atomically into DIR.
 */
import { basename, dirname, extname, join } from "node:path";
import type { Argv } from "yargs";
import { compileModel, type CompileRequest } from "../compile.ts";
import { DEFAULT_CONVERT_OPTIONS, defaultPercentile, METHODS, type Method, normalisationOf } from "../convert/methods.ts";
import { fail } from "../diagnostics.ts";
import { generateEmulator } from "../emulator-gen/generate.ts";
import { renderHtml } from "../report/html.ts";
import { joules, renderMarkdown, seconds } from "../report/markdown.ts";
import type { CommandSpec } from "./main.ts";
import { writeAtomically } from "./output.ts";

export interface CompileArgs {
  workers?: number;
  model: string;
  target: string;
  out?: string;
  method: string;
  timesteps: number;
  calibration?: string;
  samples: number;
  "calibration-samples": number;
  "verify-samples": number;
  chips?: number;
  seed: number;
  percentile?: number;
  "per-channel": boolean;
  reset: string;
  readout: string;
  encoding: string;
  maxpool: string;
  pooling?: string;
  "mt-levels": number;
  "tfjs-check": boolean;
  emulator: boolean;
  "dump-ir"?: string;
}

export function defaultOutDir(model: string, target: string): string {
  const base = basename(model, extname(model));
  const name = base === "model" ? basename(dirname(model)) : base;
  return join("build", `${name}-${basename(target, ".json")}`);
}

function positive(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw fail("SNNC003", `--${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

export const compileCommand: CommandSpec<CompileArgs> = {
  command: "compile <model>",
  describe: "compile a trained ANN into a spiking network placed on a target chip",
  builder: (y: Argv) => y
    .positional("model", { type: "string", describe: "TF.js model.json, Keras .h5, Keras 3 .keras or ONNX .onnx", demandOption: true })
    .option("target", { alias: "t", type: "string", demandOption: true, describe: "target name (snnc targets) or a target .json file" })
    .option("out", { alias: "o", type: "string", describe: "output directory (default build/<model>-<target>)" })
    .option("method", { alias: "m", type: "string", choices: [...METHODS], default: "ecc", describe: "conversion method" })
    .option("timesteps", { alias: "T", type: "number", default: 32, describe: "timesteps the input is presented" })
    .option("calibration", { type: "string", describe: "data for calibration and evaluation (IDX/.gz or .npy); examples default to their shipped sample" })
    .option("samples", { type: "number", default: 1000, describe: "samples for accuracy and run statistics" })
    .option("calibration-samples", { type: "number", default: 256, describe: "samples for activation statistics" })
    .option("verify-samples", { type: "number", default: 8, describe: "samples compared spike for spike with the reference model" })
    .option("chips", { type: "number", describe: "size of the system in chips (default: the target's)" })
    .option("seed", { type: "number", default: 1, describe: "seed of placement annealing and Poisson input" })
    .option("percentile", { type: "number", describe: "normalisation percentile of activations (default: ecc picks the best of per-layer error search, p99.9 and max on calibration data; ttrbr tunes)" })
    .option("per-channel", { type: "boolean", default: false, describe: "per-channel thresholds" })
    .option("reset", { type: "string", choices: ["subtract", "zero"], default: "subtract", describe: "neuron reset" })
    .option("readout", { type: "string", choices: ["membrane", "spikes"], default: "membrane", describe: "last layer: accumulated membrane or spike count" })
    .option("encoding", { type: "string", choices: ["current", "poisson"], default: "current", describe: "input encoding" })
    .option("maxpool", { type: "string", choices: ["average", "gate"], default: "average", describe: "max pooling: converted to average pooling (with a warning; every target), or a spiking max gate (float SNN only: no target has the neuron, SNNC303)" })
    .option("pooling", { type: "string", choices: ["spiking", "fold"], describe: "average pooling: its own spiking layer, or folded into the next Conv/Dense (default: spiking for ecc/ttrbr, fold for rnl/qcfs/mt)" })
    .option("mt-levels", { type: "number", default: 8, describe: "levels per sign of multi-threshold neurons (method mt)" })
    .option("tfjs-check", { type: "boolean", default: true, describe: "check the import against tfjs predict" })
    .option("emulator", { type: "boolean", default: true, describe: "generate emulator/emulator.ts and .js" })
    .option("workers", { type: "number", describe: "threads for emulating large batches (default: all cores from 64 samples on; 1 = single thread)" })
    .option("dump-ir", { type: "string", describe: "write the IR after each pass into this directory" })
    .example("snnc compile examples/fashion-mnist/cnn/model.json --target loihi -o build/cnn-loihi", "the main example")
    .example("snnc compile model.h5 -t spinnaker --calibration data/ --method ttrbr -T 64", "a Keras model on SpiNNaker") as unknown as Argv<CompileArgs>,
  run: async (a, io) => {
    const method = a.method as Method;
    const request: CompileRequest = {
      ...DEFAULT_CONVERT_OPTIONS,
      model: a.model,
      target: a.target,
      method,
      timesteps: positive("timesteps", a.timesteps),
      samples: positive("samples", a.samples),
      calibrationSamples: positive("calibration-samples", a["calibration-samples"]),
      verifySamples: positive("verify-samples", a["verify-samples"], 0),
      seed: a.seed,
      perChannel: a["per-channel"],
      reset: a.reset as "subtract" | "zero",
      readout: a.readout as "membrane" | "spikes",
      encoding: a.encoding as "current" | "poisson",
      maxPool: a.maxpool as "gate" | "average",
      mtLevels: positive("mt-levels", a["mt-levels"]),
      tfjsCheck: a["tfjs-check"],
      ...(a.calibration !== undefined ? { data: a.calibration } : {}),
      ...(a.chips !== undefined ? { chips: positive("chips", a.chips) } : {}),
      ...(a.workers !== undefined ? { workers: positive("workers", a.workers) } : {}),
      ...(a.percentile !== undefined ? { percentile: a.percentile } : {}),
      ...(a["dump-ir"] !== undefined ? { dumpIr: a["dump-ir"] } : {}),
      ...(a.pooling !== undefined ? { pooling: a.pooling as "spiking" | "fold" } : {}),
    };
    if (request.percentile !== undefined && !(request.percentile > 0 && request.percentile <= 100)) throw fail("SNNC003", "--percentile must be in (0, 100]");
    const outDir = a.out ?? defaultOutDir(a.model, a.target);
    const tasks = new Map<string, ReturnType<typeof io.progress.task>>();
    const outcome = await compileModel(request, {
      warn: io.warn,
      progress: (stage, done, total) => {
        let t = tasks.get(stage);
        if (!t) {
          t = io.progress.task(stage, total);
          tasks.set(stage, t);
        }
        t.tick(0);
        if (done >= total) tasks.delete(stage);
      },
      stage: (name, seconds, note) => {
        if (!io.quiet) process.stderr.write(`  ${name.padEnd(12)} ${seconds.toFixed(2).padStart(7)} s${note ? `  ${note}` : ""}\n`);
      },
    });
    const report = outcome.report;
    const files = new Map<string, Uint8Array | string>();
    files.set("report.json", `${JSON.stringify(report, null, 2)}\n`);
    files.set("report.md", renderMarkdown(report));
    files.set("report.html", renderHtml(report));
    files.set("reference.json.gz", outcome.reference);
    if (report.verification.bitExact) {
      files.set("network.snnb", outcome.binary);
      if (a.emulator) {
        const t0 = performance.now();
        const gen = generateEmulator(outcome.binary);
        files.set("emulator/emulator.ts", gen.ts);
        files.set("emulator/emulator.js", gen.js);
        files.set("emulator/package.json", gen.packageJson);
        if (!io.quiet) process.stderr.write(`  ${"emulator-gen".padEnd(12)} ${((performance.now() - t0) / 1000).toFixed(2).padStart(7)} s  ${gen.lines} lines, type-checked\n`);
      }
    }
    const written = writeAtomically(outDir, files);
    const mismatch = report.verification.firstMismatch;
    if (!report.verification.bitExact && mismatch) {
      throw fail("SNNC601", `the emulator diverges from the reference model at sample ${mismatch.sample}, step ${mismatch.timestep}, neuron ${mismatch.neuron} (expected ${mismatch.expected}, got ${mismatch.got}); network.snnb was not written`,
        { layer: mismatch.layer, core: String(mismatch.core) }, "this is a compiler bug: please report it with the model and target; report.json has the details");
    }
    const acc = report.accuracy;
    const text = [
      `compiled ${a.model} for ${report.targetInfo.title} → ${outDir}`,
      `  method ${method} (${method === "rnl" || method === "qcfs" ? "thresholds from the model's trained activation layers" : method !== "mt" && normalisationOf(request) === "auto" ? "thresholds: the best of error search, p99.9 and max on calibration data" : method !== "mt" && normalisationOf(request) === "search" ? "thresholds of least conversion error" : `percentile ${request.percentile ?? defaultPercentile(method)}`}), T = ${report.timesteps}; ${report.network.neurons} neurons, ${report.network.synapses} synapses`,
      `  mapping: ${report.mapping.cores} cores on ${report.mapping.chips} chip(s); ${report.mapping.avgHops.toFixed(2)} hops/spike; ${report.mapping.routingEntries.total} routing entries`,
      acc ? `  accuracy: ANN ${(acc.ann * 100).toFixed(2)}% → SNN ${(acc.snn * 100).toFixed(2)}% on ${acc.samples} samples` : "  accuracy: no labelled data",
      `  per inference: ${report.run.spikesPerInference.toFixed(0)} spikes, ${report.run.synapticOpsPerInference.toFixed(0)} synaptic ops, ${joules(report.energy.snnJoulesPerInference)} on the target (ANN ${joules(report.energy.annJoulesPerInference)} at 45 nm), ${seconds(report.latency.secondsPerInference)}`,
      `  verification: ${report.verification.bitExact ? "bit-exact" : "MISMATCH"} (emulator vs reference model, ${report.verification.samples} samples, ${report.verification.comparedSpikes} spikes)`,
      `  wrote ${written.map((f) => f.slice(f.lastIndexOf(basename(outDir)))).join(", ")}`,
    ].join("\n");
    return { json: { outDir, files: written, report }, text };
  },
};
