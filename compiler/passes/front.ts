/**
 * @fileoverview The front passes: import → tfjs-check → convert → measure → quantise.
 *
 *   request ─import─▶ AnnGraph + data ─tfjs-check─▶ (interpreter vs tfjs) ─convert─▶ SnnGraph (float)
 *     ─measure─▶ activity ─quantise─▶ QuantisedSnn
 *
 * `import` is the one pass that reads user files (model, weight shards, data): everything after it works on
 * bytes in memory. `tfjs-check` awaits tfjs on those bytes. `convert` decides pooling (fold or spiking) from
 * whether the folded layer fits a core (map/pooling.ts); with `auto` normalisation its float SNN trials run on
 * worker threads when there are enough samples (async; the same result). `measure` runs the float SNN on
 * calibration samples: the value ranges quantise needs and the firing rates that weigh placement traffic (with
 * `auto` normalisation the chosen network's trial already recorded them on the same samples: reused).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { availableParallelism } from "node:os";
import { convert, type ConversionResult, convertWith } from "../convert/index.ts";
import { AUTO_SAMPLES, RANGE_SAMPLES } from "../convert/select.ts";
import { simulateMany } from "../simulate/parallel.ts";
import { type Dataset, loadDataset } from "../data/dataset.ts";
import { defaultData } from "../data/resolve.ts";
import { fail, type Warning } from "../diagnostics.ts";
import { importModel } from "../import/index.ts";
import { type FlatNir, flattenNir } from "../import/nir/flatten.ts";
import { isNirFile, importNir, nirInputShape, nirTimeStep } from "../import/nir/index.ts";
import { lowerNir, type NirLowering } from "../import/nir/lower.ts";
import type { NirDocument } from "../import/nir/types.ts";
import { planComputeNodes } from "../map/compute.ts";
import type { AnnGraph } from "../ir/ann.ts";
import type { SnnGraph } from "../ir/snn.ts";
import { choosePooling } from "../map/pooling.ts";
import type { Pass } from "../pass.ts";
import { quantise, type QuantiseResult } from "../quantise/index.ts";
import type { CompileRequest } from "../request.ts";
import { simulateFloat } from "../simulate/float-snn.ts";
import { checkWithTfjs, type TfjsCheck } from "../tfjs/check.ts";
import { SNNC_VERSION } from "../version.ts";

/** What the binary's META section says about the model (backends/common.ts Metadata, less the method). */
export interface ModelMeta {
  readonly snncVersion: string;
  readonly modelName: string;
  readonly modelHash: string;
}

/**
 * What `import` read: an ANN (graph, checked against tfjs/onnxruntime, then converted) or a NIR graph (a
 * spiking network: checked at the NIR level, then discretised). The two branches meet at `conversion.snn`.
 */
export interface Imported {
  /** Exactly one of the two is set (the pass list's state cannot carry a union: see PassList.then). */
  readonly graph: AnnGraph | null;
  readonly nir: NirDocument | null;
  readonly data: Dataset;
  /** Where the data came from and why (report). */
  readonly dataSource: string;
  readonly meta: ModelMeta;
}

export interface Activity {
  readonly maxAbsV: Float64Array;
  readonly maxAbsInput: Float64Array;
  /** Spikes per neuron per step, per population. */
  readonly rates: number[];
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

export function loadData(req: { model: string; data?: string }, inputShape: readonly number[], limit?: number, events = false): { data: Dataset; why: string } {
  const choice = req.data ? { path: req.data, why: "given with --calibration/--data" } : defaultData(req.model);
  if (!choice) {
    throw fail("SNNC153", "this model needs data for calibration", { file: req.model },
      "give --calibration DATA (IDX files, optionally .gz, or x.npy + y.npy) with inputs of the model's shape");
  }
  return { data: loadDataset(choice.path, { inputShape, events, ...(limit !== undefined ? { limit } : {}) }), why: `${choice.why}: ${choice.path}` };
}

export const importPass: Pass<{ request: CompileRequest }, Imported> = {
  name: "import",
  summary: "model file and weights to AnnGraph; the data for calibration and evaluation",
  effect: "reads",
  run: async ({ request }, ctx): Promise<Imported> => {
    const modelName = basename(request.model) === "model.json" ? `${basename(dirname(request.model))}/model.json` : basename(request.model);
    if (isNirFile(request.model)) {
      const nir = await importNir(request.model);
      const { data, why } = loadData(request, nirInputShape(nir.graph, request.model), undefined, true);
      for (const w of data.warnings ?? []) ctx.warn(w);
      return { graph: null, nir, data, dataSource: why, meta: { snncVersion: SNNC_VERSION, modelName, modelHash: modelHash(request.model) } };
    }
    const graph = await importModel(request.model);
    const inputNode = graph.nodes.find((n) => n.name === graph.inputs[0]);
    const { data, why } = loadData(request, inputNode?.shape ?? []);
    for (const w of data.warnings ?? []) ctx.warn(w);
    return { graph, nir: null, data, dataSource: why, meta: { snncVersion: SNNC_VERSION, modelName, modelHash: modelHash(request.model) } };
  },
  dump: (o) => ({ graph: o.graph ?? o.nir, data: { count: o.data.count, sampleShape: o.data.sampleShape, labelled: o.data.labels !== null }, meta: o.meta }),
  note: (o) => `${o.graph ? `${o.graph.nodes.length} layers` : `NIR ${o.nir?.version}, ${o.nir?.graph.nodes.size} nodes`}; data: ${o.dataSource} (${o.data.count} samples)`,
};

export const tfjsCheckPass: Pass<{ request: CompileRequest } & Imported, { tfjs: TfjsCheck | null; nirChecked: FlatNir | null }> = {
  name: "tfjs-check",
  summary: "ANN: the importer's interpreter against tfjs predict on 16 samples (skipped with --no-tfjs-check); NIR: the graph check (subgraphs, edges, shapes, loops)",
  effect: "async",
  run: async (s, ctx) => {
    // A NIR graph has no interpreter to compare: its check is structural (import/nir/flatten.ts).
    if (s.nir) return { tfjs: null, nirChecked: flattenNir(s.nir.graph, s.request.model) };
    return { tfjs: await annCheck(s.request, annOf(s), s.data, ctx.warn), nirChecked: null };
  },
  dump: ({ tfjs, nirChecked }) => (nirChecked ? { nir: { nodes: [...nirChecked.nodes.keys()], edges: nirChecked.edges, shapes: nirChecked.shapes } } : { tfjs }),
  note: ({ tfjs, nirChecked }) => (nirChecked ? `NIR graph: ${nirChecked.nodes.size} leaf nodes, ${nirChecked.edges.length} edges, shapes agree`
    : tfjs === null ? "skipped" : tfjs.checked ? `max |interpreter − tfjs| = ${tfjs.maxAbsDiff.toExponential(2)}` : tfjs.note),
};

async function annCheck(request: CompileRequest, graph: AnnGraph, data: Dataset, warn: (w: Warning) => void): Promise<TfjsCheck | null> {
  {
    const ctx = { warn };
    if (!request.tfjsCheck) return null;
    // ONNX models are checked against onnxruntime (wasm), the others against tfjs predict.
    const tfjs = graph.format === "onnx"
      ? await (await import("../onnxruntime/check.ts")).checkWithOnnxRuntime(graph, request.model, data, 16)
      : await checkWithTfjs(graph, request.model, data, 16);
    if (tfjs.checked && tfjs.maxAbsDiff > 1e-3) {
      ctx.warn({ code: "SNNC-W101", message: `the interpreter and tfjs differ by up to ${tfjs.maxAbsDiff.toExponential(2)} on this model` });
    }
    return tfjs;
  }
}

/** The ANN of an ANN import (internal error for a NIR one: the callers branch on `nir` first). */
export function annOf(s: Pick<Imported, "graph">): AnnGraph {
  if (!s.graph) throw new Error("internal: an ANN stage reached with a NIR graph");
  return s.graph;
}

/** convert's result: an ANN's conversion, or a NIR graph's discretisation; both give the float SNN. */
export type Conversion = ConversionResult | NirLowering;

export const convertPass: Pass<{ request: CompileRequest; nirChecked: FlatNir | null } & Imported, { conversion: Conversion; request: CompileRequest }> = {
  name: "convert",
  summary: "ANN to float SNN: pooling choice, calibration, thresholds, normalised weights, delays; NIR: discretisation with dt",
  effect: "async",
  run: async (s, ctx) => {
    const request = s.request;
    if (s.nir) {
      const dt = nirTimeStep(s.nirChecked as FlatNir, request.dt, request.model, ctx.warn);
      const lowering = lowerNir(s.nirChecked as FlatNir, dt, s.meta.modelName, request.model, ctx.warn);
      return { conversion: lowering, request };
    }
    const graph = annOf(s);
    const data = s.data;
    const choice = choosePooling(graph, ctx.target, request);
    if (choice.warning) ctx.warn(choice.warning);
    // The request as compiled: the report states the pooling actually used.
    const used: CompileRequest = request.pooling === choice.pooling ? request : { ...request, pooling: choice.pooling };
    const convertCtx = {
      calibration: data, calibrationSamples: request.calibrationSamples, warn: ctx.warn,
      onProgress: (stage: string, done: number, total: number) => ctx.progress(stage, done, total),
    };
    // `auto` normalisation's float SNN trials over worker threads when there are enough of them (same result).
    const threads = Math.min(availableParallelism(), request.workers ?? Number.POSITIVE_INFINITY);
    const conversion = threads > 1 && Math.min(request.calibrationSamples, data.count, AUTO_SAMPLES) >= 64
      ? await convertWith(graph, used, convertCtx, (snns, images, n, t, ranges) => simulateMany(snns, images, n, t, threads, ranges))
      : convert(graph, used, convertCtx);
    return { conversion, request: used };
  },
  dump: (o) => o.conversion.snn,
};

export const measurePass: Pass<{ request: CompileRequest; conversion: Conversion } & Imported, { activity: Activity }> = {
  name: "measure",
  summary: "float SNN on calibration samples: state ranges and firing rates",
  effect: "pure",
  run: ({ request, conversion, data }) => {
    const snn: SnnGraph = conversion.snn;
    const n = Math.min(RANGE_SAMPLES, data.count);
    // `auto` normalisation's trial of the chosen network recorded these on the same samples at the same T.
    const recorded = "normalisation" in conversion ? conversion.normalisation?.ranges : undefined;
    const sim = recorded && recorded.samples === n ? recorded
      : simulateFloat(snn, data.images, n, { timesteps: [request.timesteps], recordRanges: true, ...(data.frames ? { frames: data.frames } : {}) });
    const steps = request.timesteps + snn.readoutDepth;
    const rates = snn.populations.map((p) => (sim.totalSpikes[p.id] ?? 0) / Math.max(1, n * steps * p.size));
    return { activity: { maxAbsV: sim.maxAbsV, maxAbsInput: sim.maxAbsInput, rates } };
  },
};

export const quantisePass: Pass<{ conversion: Conversion; activity: Activity }, { quantised: QuantiseResult }> = {
  name: "quantise",
  summary: "weights, biases and thresholds to the target's fixed point",
  effect: "pure",
  run: ({ conversion, activity }, ctx) => {
    // ECMT compute nodes must fit the target's processor cores (SNNC410/411 naming the layer) before anything
    // is quantised; the count of processors (SNNC411) is the place pass's, on the system it sizes.
    planComputeNodes(conversion.snn, ctx.target, Number.MAX_SAFE_INTEGER, activity.rates);
    const quantised = quantise(conversion.snn, ctx.target, activity, ctx.warn);
    return { quantised };
  },
  dump: (o) => ({ network: o.quantised.q, layers: o.quantised.layers }),
};
