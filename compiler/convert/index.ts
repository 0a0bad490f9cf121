/**
 * @fileoverview The `convert` pass: AnnGraph → SnnGraph (float), given calibration data.
 *
 *   lower (structure, raw weights) → [ttrbr: restructure residual blocks] → calibrate (activation
 *   statistics) → method parameters (thresholds, spike values, neurons) → normalise (weights, delays,
 *   depth, initial membranes) → [ttrbr: tune thresholds on measured layer errors]
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
import { normalise } from "./normalise.ts";
import { type AutoResult, selectNormalisation } from "./select.ts";
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

export function convert(graph: AnnGraph, options: ConvertOptions, ctx: ConvertContext): ConversionResult {
  let raw = lowerAnn(graph, { maxPoolAsAverage: options.maxPool === "average", foldPooling: (options.pooling ?? defaultPooling(options.method)) === "fold" }, ctx.warn);
  if (options.method === "ttrbr") raw = restructureResiduals(raw);
  const samples = Math.min(ctx.calibrationSamples, ctx.calibration.count);
  const calibration = calibrate(raw.calibrationGraph, ctx.calibration, {
    sites: calibrationSites(raw),
    samples,
    onBatch: (d) => ctx.onProgress?.("calibrate", d, samples),
  });
  const normaliseOptions = { method: options.method, encoding: options.encoding, seed: options.seed, timesteps: options.timesteps };
  if (normalisationOf(options) === "auto") {
    const auto = selectNormalisation(raw, calibration, ctx.calibration, samples, options, normaliseOptions, ctx.warn);
    return { snn: auto.snn, raw, calibration, normalisation: auto };
  }
  const params = methodParams(raw, calibration, options, ctx.warn);
  let snn = normalise(raw, params, normaliseOptions);
  if (options.method === "ttrbr") snn = tuneThresholds(raw, params, calibration, ctx.calibration, options, normaliseOptions);
  return { snn, raw, calibration };
}
