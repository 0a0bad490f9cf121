/**
 * @fileoverview `auto` normalisation (pass helper, pure): converts the network with each candidate normalisation,
 * runs each float SNN for the target T on calibration samples and keeps the one whose output is closest to the
 * ANN's: fewest class disagreements, ties broken by the squared difference of the per-sample standardised output
 * scores (so the readout's scale does not matter).
 *
 * Candidates: error search per layer (convert/search.ts), the 99.9th percentile, the maximum; then the best of
 * them with its biases calibrated on the measured mean error per channel (convert/biascal.ts), kept if it is
 * closer to the ANN by the same measure. Each layer's
 * search is blind to the errors of the layers before it; this measures the whole network at once, so a network
 * where clipping compounds (deep residual nets) and one where it does not (shallow CNNs) each get what serves it.
 */
import type { Dataset } from "../data/dataset.ts";
import type { Warning } from "../diagnostics.ts";
import { shapeSize } from "../ir/ann.ts";
import type { SnnGraph } from "../ir/snn.ts";
import { runAnn } from "../interp/ann-float.ts";
import { simulateFloat } from "../simulate/float-snn.ts";
import type { Calibration } from "./calibrate.ts";
import type { RawSnn } from "./lower.ts";
import { type ConvertOptions, methodParams } from "./methods.ts";
import { calibrateBiases } from "./biascal.ts";
import { normalise, type NormaliseOptions, type PopParams } from "./normalise.ts";

export interface NormalisationChoice {
  readonly label: string;
  readonly options: Partial<ConvertOptions>;
}

export const AUTO_CANDIDATES: readonly NormalisationChoice[] = [
  { label: "error search", options: { normalisation: "search" } },
  { label: "percentile 99.9", options: { normalisation: "percentile", percentile: 99.9 } },
  { label: "percentile 100 (max)", options: { normalisation: "percentile", percentile: 100 } },
];

/** Samples of calibration data the choice is measured on. */
export const AUTO_SAMPLES = 128;

function standardised(x: Float32Array, classes: number, i: number): Float64Array {
  const row = Float64Array.from(x.subarray(i * classes, (i + 1) * classes));
  const mean = row.reduce((a, b) => a + b, 0) / classes;
  const sd = Math.sqrt(row.reduce((a, b) => a + (b - mean) ** 2, 0) / classes) || 1;
  return row.map((v) => (v - mean) / sd);
}

function argmax(x: Float64Array): number {
  let best = 0;
  for (let j = 1; j < x.length; j++) if ((x[j] as number) > (x[best] as number)) best = j;
  return best;
}

export interface AutoResult {
  readonly snn: SnnGraph;
  readonly chosen: string;
  /** Per candidate: class disagreements with the ANN and the score error, on `samples` samples. */
  readonly tried: readonly { label: string; disagreements: number; scoreError: number }[];
  readonly samples: number;
}

/** `limit`: the calibration sample count the user allowed (--calibration-samples); at most AUTO_SAMPLES are used. */
export function selectNormalisation(raw: RawSnn, cal: Calibration, data: Dataset, limit: number, options: ConvertOptions, norm: NormaliseOptions, warn: (w: Warning) => void): AutoResult {
  const n = Math.max(1, Math.min(AUTO_SAMPLES, limit, data.count));
  const images = data.images.subarray(0, n * shapeSize(raw.inputShape));
  const graph = raw.calibrationGraph;
  const out = graph.nodes.find((x) => x.name === graph.outputs[0]);
  // Compare with the logits: the input of a final softmax.
  const logitsNode = out?.op.kind === "activation" && out.op.activation === "softmax" ? (out.inputs[0] as string) : (graph.outputs[0] as string);
  const ann = runAnn(graph, images, n, { keep: new Set([logitsNode]) }).get(logitsNode) as Float32Array;
  const classes = ann.length / n;
  let best: { snn: SnnGraph; label: string; dis: number; err: number; params: Map<number, PopParams> } | null = null;
  const tried: { label: string; disagreements: number; scoreError: number }[] = [];
  const measure = (snn: SnnGraph): { dis: number; err: number } => {
    const sim = simulateFloat(snn, images, n, { timesteps: [options.timesteps] });
    const scores = sim.scores.get(options.timesteps) as Float32Array;
    let dis = 0;
    let err = 0;
    for (let i = 0; i < n; i++) {
      const a = standardised(ann, classes, i);
      const s = standardised(scores, classes, i);
      if (argmax(a) !== argmax(s)) dis++;
      for (let j = 0; j < classes; j++) err += ((a[j] as number) - (s[j] as number)) ** 2;
    }
    err /= n * classes;
    return { dis, err };
  };
  for (const c of AUTO_CANDIDATES) {
    const params = methodParams(raw, cal, { ...options, ...c.options }, warn);
    const snn = normalise(raw, params, norm);
    const { dis, err } = measure(snn);
    tried.push({ label: c.label, disagreements: dis, scoreError: err });
    if (!best || dis < best.dis || (dis === best.dis && err < best.err)) best = { snn, label: c.label, dis, err, params };
  }
  let b = best as NonNullable<typeof best>;
  if (options.biasCalibration !== false) {
    const label = `${b.label} + bias calibration`;
    // Calibrate on the samples after the ones the choice is measured on, when there are enough.
    const per = shapeSize(raw.inputShape);
    const rest = data.count - n >= 32 ? { ...data, images: data.images.subarray(n * per), count: data.count - n } : data;
    const calibrated = calibrateBiases(raw, b.params, rest, norm).snn;
    const { dis, err } = measure(calibrated);
    tried.push({ label, disagreements: dis, scoreError: err });
    if (dis < b.dis || (dis === b.dis && err < b.err)) b = { snn: calibrated, label, dis, err, params: b.params };
  }
  return { snn: b.snn, chosen: b.label, tried, samples: n };
}
