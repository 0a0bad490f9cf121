/**
 * @fileoverview `snnc compile <model> --target <name|file.json>`: checks the output folder can be written, runs
 * the whole pipeline, then writes network.snnb, report.json / .md / .html, the generated emulator and
 * reference.json.gz atomically into DIR. The compiler, tfjs and ts-morph are imported only when a compile runs
 * (not for `compile --help`). Warns (SNNC-W010) when the SNN loses more than 2 points of accuracy to the ANN.
 */
import { basename, dirname, extname, join, resolve } from "node:path";
import type { Argv } from "yargs";
import type { CompileRequest } from "../compile.ts";
import { DEFAULT_CONVERT_OPTIONS, defaultPercentile, METHODS, type Method, normalisationOf } from "../convert/methods.ts";
import { checkLimit } from "../../runtime/limits.ts";
import { fail, type Warning } from "../diagnostics.ts";
import { INPUT_ENCODINGS, type InputEncoding } from "../ir/snn.ts";
import { isPassName, PASS_NAMES } from "../pass.ts";
import type { Report } from "../report/build.ts";
import { classNamesNear } from "./classes.ts";
import type { CommandSpec } from "./main.ts";
import { examples, integer, numberIn } from "./options.ts";
import { checkWritable, displayPath, writeAtomically } from "./output.ts";

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
  "emit-pynn": boolean;
  "bias-calibration": boolean;
  "dump-ir"?: string;
  "stop-after"?: string;
  dt?: number;
  "emit-nir": boolean;
}

export function defaultOutDir(model: string, target: string): string {
  const base = basename(model, extname(model));
  const name = base === "model" ? basename(dirname(model)) : base;
  return join("build", `${name}-${basename(target, ".json")}`);
}

/** Accuracy the SNN may lose against the ANN (on the compile's own samples) before SNNC-W010 warns. */
export const ACCURACY_LOSS_WARNING = 0.02;

/** SNNC-W010 when the compiled SNN is more than 2 points below the ANN, naming the likely fixes; else null. */
export function accuracyLossWarning(r: Pick<Report, "accuracy" | "method" | "timesteps">, percentile: number | undefined): Warning | null {
  const acc = r.accuracy;
  if (!acc || acc.ann - acc.snn <= ACCURACY_LOSS_WARNING) return null;
  const method = r.method as Method;
  const fixes: string[] = [];
  if ((method === "ecc" || method === "ttrbr") && (percentile ?? defaultPercentile(method)) >= 100) fixes.push("--percentile 99.9");
  if (method === "ecc") fixes.push("--method ttrbr");
  fixes.push(`more timesteps (-T ${r.timesteps * 2})`);
  return {
    code: "SNNC-W010",
    message: `the SNN's accuracy ${(acc.snn * 100).toFixed(2)}% is ${((acc.ann - acc.snn) * 100).toFixed(2)} points below the ANN's ${(acc.ann * 100).toFixed(2)}% on ${acc.samples} samples; likely fix: ${fixes.join(", or ")} (README: Conversion methods)`,
  };
}

/** A size option within runtime/limits.ts (the emulator refuses binaries beyond it). */
function limited(name: "timesteps", v: number): number {
  checkLimit(name, v, {}, `--${name}`);
  return v;
}

/** "method M (how its thresholds were chosen)": auto's choice of method and thresholds when it made them. */
export function methodLine(report: Pick<Report, "method" | "conversion">, request: Pick<CompileRequest, "method" | "percentile" | "normalisation">): string {
  const method = report.method as Method;
  const auto = report.conversion.normalisation;
  const chose = report.conversion.method;
  const others = chose ? chose.methods.filter((m) => m !== method) : [];
  if (chose && method === "mt" && auto) return `method mt (auto chose it over ${others.join(", ")}'s networks on ${auto.samples} calibration samples: closer to the ANN)`;
  const measured = chose && others.length ? `; ${others.join(", ")} measured, not kept` : "";
  const how = method === "rnl" || method === "qcfs" ? "thresholds from the model's trained activation layers"
    : method !== "mt" && normalisationOf(request) === "auto" ? `thresholds: auto chose ${auto?.chosen ?? "?"} on ${auto?.samples ?? "?"} calibration samples`
    : method !== "mt" && normalisationOf(request) === "search" ? "thresholds of least conversion error"
    : `percentile ${request.percentile ?? defaultPercentile(method)}`;
  return `method ${method} (${how}${measured})`;
}

export const compileCommand: CommandSpec<CompileArgs> = {
  command: "compile <model>",
  describe: "compile a trained ANN into a spiking network placed on a target chip",
  builder: (y: Argv) => y
    .positional("model", { type: "string", describe: "TF.js model.json, Keras .h5, Keras 3 .keras, ONNX .onnx, or a NIR graph .nir (a spiking network)", demandOption: true })
    .option("target", { alias: "t", type: "string", demandOption: true, describe: "target name (snnc targets) or a target .json file" })
    .option("out", { alias: "o", type: "string", describe: "output directory (default build/<model>-<target>)" })
    .option("method", { alias: "m", type: "string", choices: [...METHODS], describe: "conversion method (default: ecc; on targets with graded spikes ecc's auto normalisation also measures mt and keeps it when it is closer to the ANN)" })
    .option("timesteps", { alias: "T", default: 32, requiresArg: true, coerce: integer("timesteps"), describe: "timesteps the input is presented (integer ≥ 1)" })
    .option("calibration", { type: "string", describe: "data for calibration and evaluation (IDX/.gz or .npy); examples default to their shipped sample" })
    .option("samples", { default: 1000, requiresArg: true, coerce: integer("samples"), describe: "samples for accuracy and run statistics" })
    .option("calibration-samples", { default: 256, requiresArg: true, coerce: integer("calibration-samples"), describe: "samples for activation statistics" })
    .option("verify-samples", { default: 8, requiresArg: true, coerce: integer("verify-samples", 0), describe: "samples compared spike for spike with the reference model" })
    .option("chips", { requiresArg: true, coerce: integer("chips"), describe: "size of the system in chips (default: the target's)" })
    .option("seed", { default: 1, requiresArg: true, coerce: integer("seed", 0), describe: "seed of placement annealing and Poisson input" })
    .option("percentile", { requiresArg: true, coerce: numberIn("percentile", 0, 100), describe: "normalisation percentile of activations, in (0, 100] (default: ecc picks the best of per-layer error search, p99.9 and max on calibration data; ttrbr tunes)" })
    .option("per-channel", { type: "boolean", default: false, describe: "per-channel thresholds" })
    .option("reset", { type: "string", choices: ["subtract", "zero"], default: "subtract", describe: "neuron reset" })
    .option("readout", { type: "string", choices: ["membrane", "spikes"], default: "membrane", describe: "last layer: accumulated membrane or spike count" })
    .option("encoding", { type: "string", choices: [...INPUT_ENCODINGS], default: "current", describe: "input coding: current (integrate-and-fire input neurons), poisson, or graded (each pixel sent every step as a graded payload; targets with graded spikes only)" })
    .option("maxpool", { type: "string", choices: ["average", "gate"], default: "average", describe: "max pooling: converted to average pooling (with a warning; every target), or a spiking max gate (float SNN only: no target has the neuron, SNNC303)" })
    .option("pooling", { type: "string", choices: ["spiking", "fold"], describe: "average pooling: its own spiking layer, or folded into the next Conv/Dense (default: spiking for ecc/ttrbr, fold for rnl/qcfs/mt)" })
    .option("mt-levels", { default: 8, requiresArg: true, coerce: integer("mt-levels"), describe: "levels per sign of multi-threshold neurons (method mt)" })
    .option("tfjs-check", { type: "boolean", default: true, describe: "check the import against tfjs predict" })
    .option("emulator", { type: "boolean", default: true, describe: "generate emulator/emulator.ts and .js" })
    .option("bias-calibration", { type: "boolean", default: true, describe: "ecc's auto normalisation also tries its best candidate with biases calibrated on the measured error (--no-bias-calibration: off)" })
    .option("emit-pynn", { type: "boolean", default: false, describe: "also write network_pynn.py (+ network_pynn/): a PyNN script of the network for SpiNNaker (sPyNNaker) or Brian 2 (docs/pynn.md)" })
    .option("workers", { requiresArg: true, coerce: integer("workers"), describe: "threads for emulating large batches (default: all cores from 64 samples on; 1 = single thread)" })
    .option("dump-ir", { type: "string", describe: "write the IR after each pass into this directory" })
    .option("dt", { requiresArg: true, coerce: numberIn("dt", 0, Number.MAX_VALUE), describe: "NIR graphs: the time step that discretises them, in the unit of their time constants (used when the file's metadata has no dt)" })
    .option("emit-nir", { type: "boolean", default: false, describe: "also write the compiled float SNN as network.nir (NIR's HDF5 layout)" })
    .option("stop-after", { type: "string", choices: [...PASS_NAMES], describe: "stop after this pass (with --dump-ir: the IR so far); writes no output files" })
    .epilogue(examples([
      ["snnc compile examples/fashion-mnist/cnn/model.json --target loihi -o build/cnn-loihi", "the main example"],
      ["snnc compile examples/fashion-mnist/resnet/model.json -t loihi --percentile 99.9", "the ResNet, with less accuracy loss"],
      ["snnc compile model.h5 -t spinnaker --calibration data/ --method ttrbr -T 64", "a Keras model on SpiNNaker"],
      ["snnc compile graph.nir -t loihi2 --dt 0.001 --calibration data/", "a spiking network trained elsewhere (NIR), discretised with dt = 1 ms"],
    ])) as unknown as Argv<CompileArgs>,
  run: async (a, io) => {
    const method = (a.method ?? "ecc") as Method;
    const request: CompileRequest = {
      ...DEFAULT_CONVERT_OPTIONS,
      model: a.model,
      target: a.target,
      method,
      timesteps: limited("timesteps", a.timesteps),
      samples: a.samples,
      calibrationSamples: a["calibration-samples"],
      verifySamples: a["verify-samples"],
      seed: a.seed,
      perChannel: a["per-channel"],
      reset: a.reset as "subtract" | "zero",
      readout: a.readout as "membrane" | "spikes",
      encoding: a.encoding as InputEncoding,
      maxPool: a.maxpool as "gate" | "average",
      mtLevels: a["mt-levels"],
      tfjsCheck: a["tfjs-check"],
      emulator: a.emulator,
      ...(a.calibration !== undefined ? { data: a.calibration } : {}),
      ...(a.chips !== undefined ? { chips: a.chips } : {}),
      ...(a.workers !== undefined ? { workers: a.workers } : {}),
      ...(a.percentile !== undefined ? { percentile: a.percentile } : {}),
      ...(a["bias-calibration"] === false ? { biasCalibration: false } : {}),
      ...(a.method === undefined ? { autoMethod: true } : {}),
      ...(a["dump-ir"] !== undefined ? { dumpIr: a["dump-ir"] } : {}),
      ...(a.dt !== undefined ? { dt: a.dt } : {}),
      ...(a["emit-nir"] ? { emitNir: true } : {}),
      ...(a.pooling !== undefined ? { pooling: a.pooling as "spiking" | "fold" } : {}),
      ...(a["stop-after"] !== undefined && isPassName(a["stop-after"]) ? { stopAfter: a["stop-after"] } : {}),
    };
    const outDir = a.out ?? defaultOutDir(a.model, a.target);
    checkWritable(outDir); // before any work: a bad -o fails now, not after the compile
    if (a["emit-pynn"]) {
      const [{ checkPynnRequest }, { loadTarget }] = await Promise.all([import("../pynn/emit.ts"), import("../target/load.ts")]);
      checkPynnRequest(loadTarget(a.target), request.encoding);
    }
    const { runCompile } = await import("../compile.ts");
    const tasks = new Map<string, ReturnType<typeof io.progress.task>>();
    const compiled = await runCompile(request, {
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
    if (!compiled.complete) {
      const dumped = request.dumpIr !== undefined ? `; the IR so far is in ${String(request.dumpIr)}` : "";
      return { json: { stoppedAfter: compiled.stoppedAfter, dumpIr: a["dump-ir"] ?? null }, text: `stopped after ${compiled.stoppedAfter}${dumped}; no files written` };
    }
    const outcome = compiled.outcome;
    const files = new Map<string, Uint8Array | string>();
    if (outcome.report.verification.bitExact) {
      files.set("network.snnb", outcome.binary);
      if (outcome.emulator) {
        files.set("emulator/emulator.ts", outcome.emulator.ts);
        files.set("emulator/emulator.js", outcome.emulator.js);
        files.set("emulator/package.json", outcome.emulator.packageJson);
      }
    }
    const classes = outcome.report.network.layers.at(-1)?.neurons ?? 0;
    // The report pass sees the timings of the passes before it; the file gets every stage's.
    const report: Report = { ...outcome.report, timings: outcome.pipeline.timings, classNames: classNamesNear(a.model, classes) };
    const [{ renderHtml }, { renderMarkdown, joules, seconds }] = await Promise.all([import("../report/html.ts"), import("../report/markdown.ts")]);
    files.set("report.json", `${JSON.stringify(report, null, 2)}\n`);
    files.set("report.md", renderMarkdown(report));
    files.set("report.html", renderHtml(report));
    files.set("reference.json.gz", outcome.reference);
    if (request.emitNir) {
      // The float SNN as NIR: a NIR graph keeps its own dt; a converted ANN has no time unit (dt = --dt or 1 ms).
      const [{ exportNir }, { writeNirBytes }] = await Promise.all([import("../import/nir/export.ts"), import("../import/nir/write.ts")]);
      const conversion = outcome.pipeline.conversion;
      const dt = "dt" in conversion ? conversion.dt : request.dt ?? 0.001;
      files.set("network.nir", await writeNirBytes(exportNir(conversion.snn, dt, io.warn)));
    }
    if (a["emit-pynn"]) {
      const { emitPynn } = await import("../pynn/emit.ts");
      const pynn = emitPynn(outcome.pipeline.quantised.q, outcome.target, { snncVersion: report.snncVersion, model: a.model, timesteps: report.timesteps });
      for (const [name, data] of pynn.files) files.set(name, data);
      for (const w of pynn.warnings) io.warn(w);
    }
    const written = writeAtomically(outDir, files);
    const mismatch = report.verification.firstMismatch;
    if (!report.verification.bitExact && mismatch) {
      throw fail("SNNC601", `the emulator diverges from the reference model at sample ${mismatch.sample}, step ${mismatch.timestep}, neuron ${mismatch.neuron} (expected ${mismatch.expected}, got ${mismatch.got}); network.snnb was not written`,
        { layer: mismatch.layer, core: String(mismatch.core) }, "this is a compiler bug: please report it with the model and target; report.json has the details");
    }
    const nir = report.method === "nir";
    const loss = nir ? null : accuracyLossWarning(report, request.percentile);
    if (loss) io.warn(loss);
    const acc = report.accuracy;
    const conversion = outcome.pipeline.conversion;
    const text = [
      `compiled ${a.model} for ${report.targetInfo.title} → ${displayPath(resolve(outDir))}`,
      nir ? `  NIR graph discretised with dt = ${"dt" in conversion ? conversion.dt : "?"} (forward Euler, docs/nir.md), T = ${report.timesteps}; ${report.network.neurons} neurons, ${report.network.synapses} synapses` : `  ${methodLine(report, request)}, T = ${report.timesteps}; ${report.network.neurons} neurons, ${report.network.synapses} synapses`,
      `  mapping: ${report.mapping.cores} cores on ${report.mapping.chips} chip(s); ${report.mapping.avgHops.toFixed(2)} hops/spike; ${report.mapping.routingEntries.total} routing entries`,
      acc ? `  accuracy: ${nir ? "float SNN" : "ANN"} ${(acc.ann * 100).toFixed(2)}% → ${nir ? "target" : "SNN"} ${(acc.snn * 100).toFixed(2)}% on ${acc.samples} samples` : "  accuracy: no labelled data",
      `  per inference: ${report.run.spikesPerInference.toFixed(0)} spikes, ${report.run.synapticOpsPerInference.toFixed(0)} synaptic ops, ${joules(report.energy.snnJoulesPerInference)} on the target (ANN ${joules(report.energy.annJoulesPerInference)} at 45 nm), ${seconds(report.latency.secondsPerInference)}`,
      ...(report.computeNodes ? [`  compute nodes: ${report.computeNodes.cyclesPerInference.toExponential(3)} processor cycles per inference; busiest ${report.computeNodes.processor} ${Math.round(report.computeNodes.busiestCyclesPerStep)} of ${report.computeNodes.budgetCyclesPerStep} cycles per step (mean over steps)`] : []),
      ...(report.energy.classes ? [`  energy by class: synaptic ops ${joules(report.energy.classes.synapticOps)}, neuron updates ${joules(report.energy.classes.neuronUpdates)}, compute-node ops ${joules(report.energy.classes.computeNodeOps)}, traffic ${joules(report.energy.classes.traffic)}, static ${joules(report.energy.classes.static)}`] : []),
      `  verification: ${report.verification.bitExact ? "bit-exact" : "MISMATCH"} (emulator vs reference model, ${report.verification.samples} samples, ${report.verification.comparedSpikes} spikes)`,
      `  wrote ${written.map(displayPath).join(", ")}`,
    ].join("\n");
    return { json: { outDir, files: written, report }, text };
  },
};
