/**
 * @fileoverview The `convert` pass: AnnGraph → SnnGraph (float), given calibration data.
 *
 *   lower (structure, raw weights) → [ttrbr: restructure residual blocks] → calibrate (activation
 *   statistics) → method parameters (thresholds, spike values, neurons) → normalise (weights, delays,
 *   depth, initial membranes) → [ttrbr: tune thresholds on measured layer errors]
 * `ecmt` has its own lowering and calibration (convert/ecmt/: transformer layers, compute nodes).
 * With `auto` normalisation (ecc's default) the parameters and normalisation run once per candidate and the
 * float SNN closest to the ANN on calibration samples is kept (select.ts).
 */
import type { Dataset } from "../data/dataset.ts";
import type { Warning } from "../diagnostics.ts";
import type { AnnGraph } from "../ir/ann.ts";
import type { SnnGraph } from "../ir/snn.ts";
import { type Calibration, calibrate } from "./calibrate.ts";
import { lowerAnn, type RawSnn } from "./lower.ts";
import { calibrationSites, type ConvertOptions, defaultPooling, methodParams, normalisationOf } from "./methods.ts";
import { normalise, type NormaliseOptions } from "./normalise.ts";
import { type AutoResult, selectNormalisation, selectNormalisationWith, type SimulateMany } from "./select.ts";
import { convertEcmt } from "./ecmt/index.ts";
import { restructureResiduals, tuneThresholds } from "./ttrbr.ts";

export interface ConversionResult {
  readonly snn: SnnGraph;
  readonly raw: RawSnn;
  readonly calibration: Calibration;
  /** With `auto` normalisation: the candidate chosen and what each measured (convert/select.ts). */
  readonly normalisation?: AutoResult;
}

export interface ConvertContext {
  readonly calibration: Dataset;
  readonly calibrationSamples: number;
  warn(w: Warning): void;
  onProgress?(stage: string, done: number, total: number): void;
}

interface Prepared {
  readonly raw: RawSnn;
  readonly calibration: Calibration;
  readonly samples: number;
  readonly normaliseOptions: NormaliseOptions;
}

function prepare(graph: AnnGraph, options: ConvertOptions, ctx: ConvertContext): Prepared {
  let raw = lowerAnn(graph, { maxPoolAsAverage: options.maxPool === "average", foldPooling: (options.pooling ?? defaultPooling(options.method)) === "fold" }, ctx.warn);
  if (options.method === "ttrbr") raw = restructureResiduals(raw);
  const samples = Math.min(ctx.calibrationSamples, ctx.calibration.count);
  const calibration = calibrate(raw.calibrationGraph, ctx.calibration, {
    sites: calibrationSites(raw),
    samples,
    onBatch: (d) => ctx.onProgress?.("calibrate", d, samples),
  });
  return { raw, calibration, samples, normaliseOptions: { method: options.method, encoding: options.encoding, seed: options.seed, timesteps: options.timesteps } };
}

function fixed(p: Prepared, options: ConvertOptions, ctx: ConvertContext): ConversionResult {
  const { raw, calibration, normaliseOptions } = p;
  const params = methodParams(raw, calibration, options, ctx.warn);
  let snn = normalise(raw, params, normaliseOptions);
  if (options.method === "ttrbr") snn = tuneThresholds(raw, params, calibration, ctx.calibration, options, normaliseOptions);
  return { snn, raw, calibration };
}

export function convert(graph: AnnGraph, options: ConvertOptions, ctx: ConvertContext): ConversionResult {
  if (options.method === "ecmt") return convertEcmt(graph, options, ctx);
  const p = prepare(graph, options, ctx);
  if (normalisationOf(options) === "auto") {
    const auto = selectNormalisation(p.raw, p.calibration, ctx.calibration, p.samples, options, p.normaliseOptions, ctx.warn);
    return { snn: auto.snn, raw: p.raw, calibration: p.calibration, normalisation: auto };
  }
  return fixed(p, options, ctx);
}

/** convert, with `auto` normalisation's float SNN trials run by `simulate` (e.g. over worker threads): the
 * same result. */
export async function convertWith(graph: AnnGraph, options: ConvertOptions, ctx: ConvertContext, simulate: SimulateMany): Promise<ConversionResult> {
  if (options.method === "ecmt") return convertEcmt(graph, options, ctx);
  const p = prepare(graph, options, ctx);
  if (normalisationOf(options) === "auto") {
    const auto = await selectNormalisationWith(p.raw, p.calibration, ctx.calibration, p.samples, options, p.normaliseOptions, ctx.warn, simulate);
    return { snn: auto.snn, raw: p.raw, calibration: p.calibration, normalisation: auto };
  }
  return fixed(p, options, ctx);
}
