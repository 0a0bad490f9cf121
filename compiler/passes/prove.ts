/**
 * @fileoverview The proving passes: verify → evaluate → emulator-gen → report.
 *
 *   network.snnb ─verify─▶ bit-exact? ─evaluate─▶ accuracy, activity, curve, diagnostics
 *     ─emulator-gen─▶ standalone emulator ─report─▶ Report (+ reference.json.gz)
 *
 * `verify` is the proof: the emulator, reading only the binary, must reproduce the reference integer model
 * spike for spike. `evaluate` runs the emulator on the evaluation samples (worker threads from 64 samples
 * on: async, started first so that they run while this thread computes the ANN's accuracy, the float SNN's
 * accuracy against timesteps and the per-layer diagnostics; then this thread joins the emulation). `emulator-gen` runs only for a bit-exact binary
 * and when asked (`request.emulator`). `report` comes last: its pass timings cover every pass before it.
 */
import { availableParallelism } from "node:os";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { type EmuNetwork, loadNetwork } from "../../runtime/emulator/network.ts";
import { startEmulation } from "../../runtime/emulator/parallel.ts";
import type { EmulateResult } from "../../runtime/emulator/run.ts";
import { type Diagnostics, layerDiagnostics } from "../convert/diagnostics.ts";
import { sliceDataset } from "../data/dataset.ts";
import { generateEmulator, type GeneratedEmulator } from "../emulator-gen/generate.ts";
import { predictClasses } from "../interp/ann-float.ts";
import type { PartitionedSnn, RoutedSnn } from "../ir/mapped.ts";
import { serialize } from "../ir/serialize.ts";
import type { Pass, PassTiming } from "../pass.ts";
import type { QuantiseResult } from "../quantise/index.ts";
import type { SnnGraph } from "../ir/snn.ts";
import { buildReport, type Report } from "../report/build.ts";
import type { CompileRequest } from "../request.ts";
import { simulateFloat } from "../simulate/float-snn.ts";
import { simulateParallel } from "../simulate/parallel.ts";
import type { TfjsCheck } from "../tfjs/check.ts";
import { type BitExactResult, verifyBitExact } from "../verify/bitexact.ts";
import type { Placed } from "./back.ts";
import type { Activity, Conversion, Imported } from "./front.ts";

export function accuracyOf(scores: ArrayLike<number>, classes: number, labels: Int32Array, count: number): number {
  let ok = 0;
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if ((scores[i * classes + j] ?? 0) > (scores[i * classes + best] ?? 0)) best = j;
    if (best === labels[i]) ok++;
  }
  return count > 0 ? ok / count : 0;
}

export interface Verified {
  readonly verification: BitExactResult & { readonly samples: number };
  /** The emulator's network, loaded from the binary alone. */
  readonly net: EmuNetwork;
}

export interface Evaluation {
  readonly run: EmulateResult;
  readonly threads: number;
  readonly evalCount: number;
  readonly accuracy: Report["accuracy"];
  readonly curve: Report["conversion"]["accuracyVsTimesteps"];
  readonly diagnostics: Diagnostics;
  /** Spikes of the first sample: (step, population, neuron). */
  readonly raster: readonly { t: number; pop: number; neuron: number }[];
}

type ProveInput = { request: CompileRequest; quantised: QuantiseResult; binary: Uint8Array } & Imported;

export const verifyPass: Pass<ProveInput, Verified> = {
  name: "verify",
  summary: "the emulator on network.snnb alone against the reference integer model, spike for spike",
  effect: "pure",
  run: ({ request, quantised, binary, data }) => {
    const net = loadNetwork(decodeBinary(binary));
    const n = Math.min(request.verifySamples, data.count);
    const verification = verifyBitExact(quantised.q, binary, data.images, n, request.timesteps, net, 0, data.frames ?? 1);
    return { verification: { ...verification, samples: n }, net };
  },
  dump: (o) => o.verification,
  note: ({ verification: v }) => (v.bitExact
    ? `bit-exact on ${v.samples} samples (${v.comparedSpikes} spikes)`
    : `MISMATCH at step ${v.firstMismatch?.timestep} of layer ${v.firstMismatch?.layer}`),
};

export const evaluatePass: Pass<ProveInput & Verified & { conversion: Conversion }, { evaluation: Evaluation }> = {
  name: "evaluate",
  summary: "emulator on the evaluation samples (accuracy, spikes, synaptic ops); accuracy vs timesteps; per-layer diagnostics",
  effect: "async",
  run: async ({ request, graph, conversion, quantised, net, data }) => {
    const evalSet = sliceDataset(data, 0, Math.min(request.samples, data.count));
    const raster: { t: number; pop: number; neuron: number }[] = [];
    const parallel = request.workers === undefined ? {} : { workers: request.workers };
    // Event data: frames per sample (every simulator below presents frame t at step t).
    const frames = evalSet.frames ?? 1;
    // The emulator's workers start now; this thread runs the ANN, the curve and the diagnostics meanwhile and
    // then joins the emulation (runtime/emulator/parallel.ts), so both cores stay busy throughout.
    const job = startEmulation(net, evalSet.images, evalSet.count, {
      timesteps: request.timesteps, recordCounts: true, frames,
      onSpikes: (sample, t, idx, _payload, n) => {
        if (sample !== 0) return;
        for (let k = 0; k < n; k++) {
          const g = idx[k] ?? 0;
          raster.push({ t, pop: net.popOf[g] ?? 0, neuron: net.popIndex[g] ?? 0 });
        }
      },
    }, parallel);
    const threads = job.threads;
    const labels = evalSet.labels;
    // The reference: the ANN, or for a NIR graph the float SNN it describes (at the compile's T).
    const annClasses = !labels ? null : graph ? predictClasses(graph, evalSet.images, evalSet.count)
      : floatClasses(conversion.snn, evalSet.images, evalSet.count, request.timesteps, frames);
    const annCorrect = (n: number) => {
      let ok = 0;
      if (labels && annClasses) for (let i = 0; i < n; i++) if (annClasses[i] === labels[i]) ok++;
      return ok;
    };
    // Conversion quality: float SNN accuracy against timesteps.
    const snn = conversion.snn;
    const per = quantised.q.populations[quantised.q.input.population]?.size ?? 0;
    const curveSamples = Math.min(100, evalSet.count);
    const curveTs = [...new Set([4, 8, 16, 32, 64, request.timesteps])].filter((t) => t <= Math.max(64, request.timesteps)).sort((a, b) => a - b);
    // With the emulator's workers running, the curve stays on this thread (its workers would only compete).
    const curveThreads = threads > 1 ? 1 : Math.min(availableParallelism(), request.workers ?? Number.POSITIVE_INFINITY, Math.floor(curveSamples / 16));
    const curveImages = evalSet.images.subarray(0, curveSamples * per * frames);
    // On this thread, the curve's run also records the spike counts the diagnostics read (window of T steps).
    const curveOnThread = curveThreads > 1 && frames === 1 ? null : labels ? simulateFloat(snn, curveImages, curveSamples, { timesteps: curveTs, frames, recordCounts: graph !== null && frames === 1, countWindow: request.timesteps }) : null;
    const floatScores = !labels ? null
      : curveOnThread ? curveOnThread.scores
      : (await simulateParallel(snn, curveImages, curveSamples, curveTs, curveThreads)).scores;
    const classes = snn.populations[snn.output]?.size ?? 0;
    const points = floatScores && labels
      ? curveTs.map((t) => ({ timesteps: t, accuracy: accuracyOf(floatScores.get(t) ?? new Float32Array(0), classes, labels, curveSamples) }))
      : [];
    const diagnostics: Diagnostics = graph ? layerDiagnostics(graph, snn, evalSet.images, 64, request.timesteps, curveOnThread && curveSamples >= Math.min(64, evalSet.count) ? curveOnThread.counts : undefined)
      : { timesteps: request.timesteps, samples: 0, layers: [], worst: null };
    const run = await job.finish();
    return {
      evaluation: {
        run, threads, evalCount: evalSet.count, raster, diagnostics,
        accuracy: labels ? { ann: annCorrect(evalSet.count) / evalSet.count, snn: accuracyOf(run.scores, run.classes, labels, evalSet.count), samples: evalSet.count } : null,
        curve: { samples: curveSamples, ann: labels && annClasses ? annCorrect(curveSamples) / Math.max(1, curveSamples) : null, points },
      },
    };
  },
  dump: ({ evaluation: e }) => ({ accuracy: e.accuracy, curve: e.curve, diagnostics: e.diagnostics, counters: e.run.counters, scores: e.run.scores }),
  note: ({ evaluation: e }) => `${e.evalCount} samples, ${(e.run.counters.synapticOps / e.run.emulationSeconds / 1e6).toFixed(0)} M synaptic events/s on ${e.threads} thread${e.threads > 1 ? "s (wall time shared with the ANN, curve and diagnostics)" : ""}` +
    (e.diagnostics.worst ? `; largest per-layer error: ${e.diagnostics.worst}` : ""),
};

export const emulatorGenPass: Pass<{ request: CompileRequest; binary: Uint8Array } & Verified, { emulator: GeneratedEmulator | null }> = {
  name: "emulator-gen",
  summary: "the standalone emulator of this network (emulator/emulator.ts and .js), type-checked",
  effect: "pure",
  run: ({ request, binary, verification }) => ({ emulator: request.emulator === true && verification.bitExact ? generateEmulator(binary) : null }),
  dump: ({ emulator }) => (emulator ? { lines: emulator.lines, tsBytes: emulator.ts.length, jsBytes: emulator.js.length } : null),
  note: ({ emulator }) => (emulator ? `${emulator.lines} lines, type-checked` : "skipped"),
};

/** Classes the float SNN predicts after T steps (the reference of a NIR graph). */
function floatClasses(snn: SnnGraph, images: Float32Array, count: number, T: number, frames: number): Int32Array {
  const r = simulateFloat(snn, images, count, { timesteps: [T], frames });
  const scores = r.scores.get(T) as Float32Array;
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let j = 1; j < r.classes; j++) if ((scores[i * r.classes + j] as number) > (scores[i * r.classes + best] as number)) best = j;
    out[i] = best;
  }
  return out;
}

/** What the report reads: the whole state of a compile. */
export type ReportState = ProveInput & Verified & Placed & {
  conversion: Conversion; activity: Activity; partitioned: PartitionedSnn; routed: RoutedSnn; evaluation: Evaluation;
  tfjs: TfjsCheck | null; timings: readonly PassTiming[];
};

export const reportPass: Pass<ReportState, { report: Report; reference: Uint8Array }> = {
  name: "report",
  summary: "report.json's figures (the CLI renders .md and .html); reference.json.gz for `snnc verify`",
  effect: "pure",
  run: (s, ctx) => {
    const e = s.evaluation;
    const report = buildReport({
      request: s.request, target: ctx.target, graph: s.graph, pipeline: s, verification: s.verification, run: e.run, evalCount: e.evalCount,
      accuracy: e.accuracy, curve: e.curve, diagnostics: e.diagnostics, raster: e.raster, tfjs: s.tfjs, dataSource: s.dataSource,
    });
    // ECMT compute nodes: the emulator's busiest processor over the step budget stretches every step.
    const cn = report.computeNodes;
    if (cn && cn.busiestCyclesPerStep > cn.budgetCyclesPerStep) {
      ctx.warn({
        code: "SNNC-W410",
        message: `the busiest ${cn.processor} needs ${Math.round(cn.busiestCyclesPerStep)} cycles per step on the emulated samples (mean over steps), more than the ${cn.budgetCyclesPerStep}-cycle step budget the placement assumed from the measured firing rates; steps take longer than the budget`,
      });
    }
    // The timings so far (this pass's own is added after it returns).
    return { report: { ...report, timings: [...s.timings] }, reference: serialize({ graph: s.graph, ...(s.graph ? {} : { snn: s.conversion.snn }), quantised: s.quantised.q, timesteps: s.request.timesteps }) };
  },
  dump: (o) => ({ ...o.report, timings: o.report.timings.map((t) => t.pass), reference: { bytes: o.reference.length } }),
};
