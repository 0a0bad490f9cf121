/**
 * @fileoverview `compileModel`: the public compile API behind `snnc compile`. Loads the model and data (I/O
 * lives here, not in passes), checks the import against tfjs, runs the pass pipeline, then proves the
 * binary: the emulator, reading only network.snnb, must reproduce the reference integer model spike for
 * spike; it also measures accuracy, spikes, synaptic ops, energy and latency for the reports. Returns the
 * files to write; the CLI writes them atomically.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, dirname, join } from "node:path";
import { decodeBinary } from "../runtime/format/reader.ts";
import { loadNetwork } from "../runtime/emulator/network.ts";
import { emulateParallel, threadsFor } from "../runtime/emulator/parallel.ts";
import { layerDiagnostics } from "./convert/diagnostics.ts";
import { defaultPooling } from "./convert/methods.ts";
import { type Dataset, loadDataset, sliceDataset } from "./data/dataset.ts";
import { defaultData } from "./data/resolve.ts";
import { fail, isSnncError, type Warning } from "./diagnostics.ts";
import { importModel } from "./import/index.ts";
import type { AnnGraph } from "./ir/ann.ts";
import { serialize } from "./ir/serialize.ts";
import { predictClasses } from "./interp/ann-float.ts";
import { type CompileOptions, type PipelineResult, runPipeline } from "./pipeline.ts";
import { buildReport, type Report } from "./report/build.ts";
import { simulateFloat } from "./simulate/float-snn.ts";
import { simulateParallel } from "./simulate/parallel.ts";
import { loadTarget } from "./target/load.ts";
import type { Target } from "./target/schema.ts";
import { checkWithOnnxRuntime } from "./onnxruntime/check.ts";
import { checkWithTfjs, type TfjsCheck } from "./tfjs/check.ts";
import { verifyBitExact } from "./verify/bitexact.ts";
import { SNNC_VERSION } from "./version.ts";

export interface CompileRequest extends CompileOptions {
  readonly model: string;
  readonly target: string;
  /** Data for calibration and evaluation; default: see data/resolve.ts. */
  readonly data?: string;
  /** Samples for accuracy and run statistics. */
  readonly samples: number;
  /** Samples compared spike for spike with the reference model. */
  readonly verifySamples: number;
  readonly tfjsCheck: boolean;
  /** Threads for the emulator run on the evaluation samples (default: all cores, for 64 samples or more). */
  readonly workers?: number;
}

export interface CompileHooks {
  warn(w: Warning): void;
  progress(stage: string, done: number, total: number): void;
  stage(name: string, seconds: number, note?: string): void;
}

export interface CompileOutcome {
  readonly report: Report;
  readonly binary: Uint8Array;
  /** reference.json.gz: the ANN and the quantised reference model, for `snnc verify`. */
  readonly reference: Uint8Array;
  readonly pipeline: PipelineResult;
  readonly target: Target;
  readonly graph: AnnGraph;
}

/** sha256 of the model file and, for model.json, the weight shards it names. */
export function modelHash(path: string): string {
  const h = createHash("sha256");
  const bytes = readFileSync(path);
  h.update(bytes);
  if (path.endsWith(".json")) {
    try {
      const json = JSON.parse(bytes.toString("utf8")) as { weightsManifest?: { paths?: string[] }[] };
      for (const g of json.weightsManifest ?? []) for (const p of g.paths ?? []) h.update(readFileSync(join(dirname(path), p)));
    } catch {
      // the importer has already reported a bad model.json
    }
  }
  return h.digest("hex");
}

export function loadData(req: { model: string; data?: string }, inputShape: readonly number[], limit?: number): { data: Dataset; why: string } {
  const choice = req.data ? { path: req.data, why: "given with --calibration/--data" } : defaultData(req.model);
  if (!choice) {
    throw fail("SNNC153", "this model needs data for calibration", { file: req.model },
      "give --calibration DATA (IDX files, optionally .gz, or x.npy + y.npy) with inputs of the model's shape");
  }
  return { data: loadDataset(choice.path, { inputShape, ...(limit !== undefined ? { limit } : {}) }), why: `${choice.why}: ${choice.path}` };
}

export function accuracyOf(scores: ArrayLike<number>, classes: number, labels: Int32Array, count: number): number {
  let ok = 0;
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if ((scores[i * classes + j] as number) > (scores[i * classes + best] as number)) best = j;
    if (best === labels[i]) ok++;
  }
  return count > 0 ? ok / count : 0;
}

export async function compileModel(req: CompileRequest, hooks: CompileHooks): Promise<CompileOutcome> {
  const target = loadTarget(req.target);
  let t0 = performance.now();
  const graph = await importModel(req.model);
  const inputNode = graph.nodes.find((n) => n.name === graph.inputs[0]);
  const { data, why } = loadData(req, inputNode?.shape ?? []);
  hooks.stage("import", (performance.now() - t0) / 1000, `${graph.nodes.length} layers; data: ${why} (${data.count} samples)`);
  let tfjs: TfjsCheck | null = null;
  if (req.tfjsCheck) {
    t0 = performance.now();
    tfjs = graph.format === "onnx" ? await checkWithOnnxRuntime(graph, req.model, data, 16) : await checkWithTfjs(graph, req.model, data, 16);
    hooks.stage("tfjs-check", (performance.now() - t0) / 1000, tfjs.checked ? `max |interpreter − tfjs| = ${tfjs.maxAbsDiff.toExponential(2)}` : tfjs.note);
    if (tfjs.checked && tfjs.maxAbsDiff > 1e-3) {
      hooks.warn({ code: "SNNC-W101", message: `the interpreter and tfjs differ by up to ${tfjs.maxAbsDiff.toExponential(2)} on this model` });
    }
  }
  const modelName = basename(req.model) === "model.json" ? `${basename(dirname(req.model))}/model.json` : basename(req.model);
  const meta = { snncVersion: SNNC_VERSION, modelName, modelHash: modelHash(req.model) };
  // `used`: the request as compiled (the report states its options).
  let used: CompileRequest = req;
  let pipeline: PipelineResult;
  try {
    pipeline = runPipeline(graph, target, data, req, meta, hooks);
  } catch (e) {
    // Folding average pooling into the next layer multiplies that layer's fan-in; where the folded layer no
    // longer fits a core and the user did not choose --pooling, keep the pooling as its own spiking layer.
    if (!(isSnncError(e) && e.code === "SNNC402" && req.pooling === undefined && defaultPooling(req.method) === "fold")) throw e;
    hooks.warn({ code: "SNNC-W203", message: `${e.message}; average pooling kept as its own spiking layer instead of folded (--pooling spiking)`, loc: e.loc });
    used = { ...req, pooling: "spiking" };
    pipeline = runPipeline(graph, target, data, used, meta, hooks);
  }
  const q = pipeline.quantised.q;
  const per = q.populations[q.input.population]?.size ?? 0;

  // Proof: the binary alone against the reference integer model.
  t0 = performance.now();
  const net = loadNetwork(decodeBinary(pipeline.binary));
  const nVerify = Math.min(req.verifySamples, data.count);
  const verification = verifyBitExact(q, pipeline.binary, data.images, nVerify, req.timesteps, net);
  hooks.stage("verify", (performance.now() - t0) / 1000, verification.bitExact
    ? `bit-exact on ${nVerify} samples (${verification.comparedSpikes} spikes)`
    : `MISMATCH at step ${verification.firstMismatch?.timestep} of layer ${verification.firstMismatch?.layer}`);

  // Accuracy and activity on the evaluation samples.
  t0 = performance.now();
  const evalSet = sliceDataset(data, 0, Math.min(req.samples, data.count));
  const raster: { t: number; pop: number; neuron: number }[] = [];
  const parallel = req.workers === undefined ? {} : { workers: req.workers };
  const threads = threadsFor(evalSet.count, parallel);
  const run = await emulateParallel(pipeline.binary, net, evalSet.images, evalSet.count, {
    timesteps: req.timesteps, recordCounts: true,
    onSpikes: (sample, t, idx, _payload, n) => {
      if (sample !== 0) return;
      for (let k = 0; k < n; k++) {
        const g = idx[k] as number;
        raster.push({ t, pop: net.popOf[g] as number, neuron: net.popIndex[g] as number });
      }
    },
  }, parallel);
  const labels = evalSet.labels;
  const annClasses = labels ? predictClasses(graph, evalSet.images, evalSet.count) : null;
  let annOk = 0;
  if (labels && annClasses) for (let i = 0; i < evalSet.count; i++) if (annClasses[i] === labels[i]) annOk++;
  hooks.stage("emulate", (performance.now() - t0) / 1000, `${evalSet.count} samples, ${(run.counters.synapticOps / run.emulationSeconds / 1e6).toFixed(0)} M synaptic events/s on ${threads} thread${threads > 1 ? "s" : ""}`);

  // Conversion quality: float SNN accuracy against timesteps, per-layer diagnostics.
  t0 = performance.now();
  const curveSamples = Math.min(100, evalSet.count);
  const curveTs = [...new Set([4, 8, 16, 32, 64, req.timesteps])].filter((t) => t <= Math.max(64, req.timesteps)).sort((a, b) => a - b);
  const curveThreads = Math.min(availableParallelism(), req.workers ?? Number.POSITIVE_INFINITY, Math.floor(curveSamples / 16));
  const curveImages = evalSet.images.subarray(0, curveSamples * per);
  const floatScores = !labels ? null
    : curveThreads > 1 ? (await simulateParallel(pipeline.conversion.snn, curveImages, curveSamples, curveTs, curveThreads)).scores
    : simulateFloat(pipeline.conversion.snn, curveImages, curveSamples, { timesteps: curveTs }).scores;
  const classes = pipeline.conversion.snn.populations[pipeline.conversion.snn.output]?.size ?? 0;
  const curve = floatScores && labels ? curveTs.map((t) => ({ timesteps: t, accuracy: accuracyOf(floatScores.get(t) as Float32Array, classes, labels, curveSamples) })) : [];
  let curveAnn: number | null = null;
  if (labels && annClasses) {
    let ok = 0;
    for (let i = 0; i < curveSamples; i++) if (annClasses[i] === labels[i]) ok++;
    curveAnn = ok / Math.max(1, curveSamples);
  }
  const diagnostics = layerDiagnostics(graph, pipeline.conversion.snn, evalSet.images, 64, req.timesteps);
  hooks.stage("diagnostics", (performance.now() - t0) / 1000, diagnostics.worst ? `largest per-layer error: ${diagnostics.worst}` : "");

  const report = buildReport({
    request: used, target, graph, pipeline, verification, run, evalCount: evalSet.count,
    accuracy: labels ? { ann: annOk / evalSet.count, snn: accuracyOf(run.scores, run.classes, labels, evalSet.count), samples: evalSet.count } : null,
    curve: { samples: curveSamples, ann: curveAnn, points: curve }, diagnostics, raster, tfjs, dataSource: why,
  });
  return { report, binary: pipeline.binary, reference: serialize({ graph, quantised: q, timesteps: req.timesteps }), pipeline, target, graph };
}
