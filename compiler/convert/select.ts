/**
 * @fileoverview `auto` normalisation (pass helper, pure): converts the network with each candidate normalisation,
 * runs each float SNN for the target T on calibration samples and keeps the one whose output is closest to the
 * ANN's: fewest class disagreements, ties broken by the squared difference of the per-sample standardised output
 * scores (so the readout's scale does not matter).
 *
 * Candidates: error search per layer (convert/search.ts), the 99.9th percentile, the maximum; then the best of
 * them with one threshold per channel instead of per layer (unless --per-channel already asked for it), kept if
 * it is closer to the ANN (BN-folded residual nets have channels of very different ranges: on the Keras ResNet
 * at T = 32 the per-channel 99.9th percentile disagreed with the ANN on 3 of 128 calibration samples against 11
 * per layer); then the best so far with its biases calibrated on the measured mean error per channel
 * (convert/biascal.ts), kept if it is closer by the same measure. Each layer's
 * search is blind to the errors of the layers before it; this measures the whole network at once, so a network
 * where clipping compounds (deep residual nets) and one where it does not (shallow CNNs) each get what serves it.
 * Method (options.tryMt: the compile sets it when no --method was given and the target carries graded spikes):
 * the same lowering converted with `mt` (multi-threshold neurons, graded spikes, expectation compensation) is
 * simulated in the same call as the first candidates and replaces the best ecc network at the end if it is
 * closer to the ANN by the same measure (ResNet-20 at T = 32: ecc lost 8.6 points on 500 test images, mt 0 on 100).
 * Each trial also records its network's state ranges and spikes on the first RANGE_SAMPLES samples, which the
 * measure pass would otherwise simulate again for the chosen one. The trials can run elsewhere (worker threads:
 * selectNormalisationWith: the candidates in one call, then the per-channel network, then the calibrated one)
 * with the same result.
 */
import type { Dataset } from "../data/dataset.ts";
import type { Warning } from "../diagnostics.ts";
import { shapeSize } from "../ir/ann.ts";
import type { SnnGraph } from "../ir/snn.ts";
import { runAnn } from "../interp/ann-float.ts";
import { type RangeStats, simulatePiece } from "../simulate/float-snn.ts";
import type { Calibration } from "./calibrate.ts";
import type { RawSnn } from "./lower.ts";
import { type ConvertOptions, type Method, methodParams } from "./methods.ts";
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
  /** The method of the chosen network: options.method, or `mt` when options.tryMt and it measured closer. */
  readonly method: Method;
  /** The methods measured (["ecc"] without options.tryMt). */
  readonly methods: readonly Method[];
  /** Per candidate: class disagreements with the ANN and the score error, on `samples` samples. */
  readonly tried: readonly { label: string; disagreements: number; scoreError: number }[];
  readonly samples: number;
  /** The chosen network's state ranges and spikes on the first RANGE_SAMPLES samples at T, recorded by its
   * trial (the measure pass uses them instead of simulating those samples again). */
  readonly ranges: RangeStats;
}

/** Samples the measure pass takes its ranges from (the first ones of the calibration data). */
export const RANGE_SAMPLES = 64;

/** Float SNN scores [n, classes] at T of each network on the same n images (the first n samples of `images`)
 * and its ranges on the first `rangeSamples` of them; simulateFloat's, on this thread or several
 * (compiler/simulate/parallel.ts's simulateMany: the same figures). */
export type SimulateMany = (snns: readonly SnnGraph[], images: Float32Array, n: number, timesteps: number, rangeSamples: number) => Promise<{ scores: Float32Array[]; ranges: RangeStats[] }>;

interface Candidate {
  readonly label: string;
  readonly method: Method;
  readonly options: Partial<ConvertOptions>;
  readonly snn: SnnGraph;
  readonly params: Map<number, PopParams>;
}

interface Prepared {
  readonly candidates: readonly Candidate[];
  /** The mt network, measured against the best of the others at the end (options.tryMt), else null. */
  readonly mt: Candidate | null;
  readonly raw: RawSnn;
  readonly cal: Calibration;
  readonly warn: (w: Warning) => void;
  readonly data: Dataset;
  readonly options: ConvertOptions;
  readonly norm: NormaliseOptions;
  readonly images: Float32Array;
  readonly n: number;
  readonly ann: Float32Array;
  readonly classes: number;
}

function prepare(raw: RawSnn, cal: Calibration, data: Dataset, limit: number, options: ConvertOptions, norm: NormaliseOptions, warn: (w: Warning) => void): Prepared {
  const n = Math.max(1, Math.min(AUTO_SAMPLES, limit, data.count));
  const images = data.images.subarray(0, n * shapeSize(raw.inputShape));
  const graph = raw.calibrationGraph;
  const out = graph.nodes.find((x) => x.name === graph.outputs[0]);
  // Compare with the logits: the input of a final softmax.
  const logitsNode = out?.op.kind === "activation" && out.op.activation === "softmax" ? (out.inputs[0] as string) : (graph.outputs[0] as string);
  const ann = runAnn(graph, images, n, { keep: new Set([logitsNode]) }).get(logitsNode) as Float32Array;
  const candidates = AUTO_CANDIDATES.map((c) => candidate(raw, cal, options, norm, c.label, c.options, warn));
  const mt = options.tryMt && options.method === "ecc" && !raw.pops.some((x) => x.site === "maxPool")
    ? candidate(raw, cal, options, { ...norm, method: "mt" }, MT_LABEL, { method: "mt" }, warn)
    : null;
  return { candidates, mt, raw, cal, warn, data, options, norm, images, n, ann, classes: ann.length / n };
}

/** The label of the mt network in `tried`. */
export const MT_LABEL = "mt (multi-threshold, graded spikes)";

function candidate(raw: RawSnn, cal: Calibration, options: ConvertOptions, norm: NormaliseOptions, label: string, over: Partial<ConvertOptions>, warn: (w: Warning) => void): Candidate {
  const all = { ...options, ...over };
  const params = methodParams(raw, cal, all, warn);
  return { label, method: all.method, options: over, snn: normalise(raw, params, norm), params };
}

/** Class disagreements with the ANN and the squared error of the standardised scores. */
function distance(p: Prepared, scores: Float32Array): { dis: number; err: number } {
  const { n, ann, classes } = p;
  let dis = 0;
  let err = 0;
  for (let i = 0; i < n; i++) {
    const a = standardised(ann, classes, i);
    const s = standardised(scores, classes, i);
    if (argmax(a) !== argmax(s)) dis++;
    for (let j = 0; j < classes; j++) err += ((a[j] as number) - (s[j] as number)) ** 2;
  }
  return { dis, err: err / (n * classes) };
}

/** Scores at T on the p.n samples, and the ranges on the first RANGE_SAMPLES of them, on this thread. */
function trial(p: Prepared, snn: SnnGraph): { scores: Float32Array; ranges: RangeStats } {
  const T = p.options.timesteps;
  const cut = Math.min(RANGE_SAMPLES, p.n);
  // Two pieces (the same scores as one run): the first `cut` samples also record the ranges.
  const head = simulatePiece(snn, p.images, { start: 0, n: cut }, T, cut);
  const tail = cut < p.n ? simulatePiece(snn, p.images, { start: cut, n: p.n - cut }, T, cut) : null;
  const all = new Float32Array(head.scores.length + (tail?.scores.length ?? 0));
  all.set(head.scores, 0);
  if (tail) all.set(tail.scores, head.scores.length);
  return { scores: all, ranges: { samples: cut, ...(head.ranges as Omit<RangeStats, "samples">) } };
}

interface Best {
  readonly c: Candidate;
  readonly snn: SnnGraph;
  readonly label: string;
  readonly dis: number;
  readonly err: number;
  readonly ranges: RangeStats;
  readonly params: Map<number, PopParams>;
}

type Tried = { label: string; disagreements: number; scoreError: number }[];
type Trial = { scores: Float32Array; ranges: RangeStats };

/** The closest of the candidates. */
function pick(p: Prepared, simulated: readonly Float32Array[], ranges: readonly RangeStats[]): { best: Best; tried: Tried } {
  let best: Best | null = null;
  const tried: Tried = [];
  for (let k = 0; k < p.candidates.length; k++) {
    const c = p.candidates[k] as Candidate;
    const { dis, err } = distance(p, simulated[k] as Float32Array);
    tried.push({ label: c.label, disagreements: dis, scoreError: err });
    if (!best || dis < best.dis || (dis === best.dis && err < best.err)) best = { c, snn: c.snn, label: c.label, dis, err, ranges: ranges[k] as RangeStats, params: c.params };
  }
  return { best: best as Best, tried };
}

/** Granularity: the best candidate's rule applied per channel (null when --per-channel already is). */
function perChannelOf(p: Prepared, b: Best): Candidate | null {
  if (p.options.perChannel) return null;
  return candidate(p.raw, p.cal, p.options, p.norm, `${b.label} per channel`, { ...b.c.options, perChannel: true }, p.warn);
}

/** Keeps `next` (a network measured by trial `t`) if it is closer to the ANN than `b`; records it in `tried`. */
function consider(p: Prepared, b: Best, tried: Tried, next: Omit<Best, "dis" | "err" | "ranges">, t: Trial): Best {
  const { dis, err } = distance(p, t.scores);
  tried.push({ label: next.label, disagreements: dis, scoreError: err });
  return dis < b.dis || (dis === b.dis && err < b.err) ? { ...next, dis, err, ranges: t.ranges } : b;
}

/** The best network with biases calibrated (unless switched off), to be tried next. */
function calibrated(p: Prepared, b: Best): SnnGraph | null {
  if (p.options.biasCalibration === false) return null;
  // Calibrate on the samples after the ones the choice is measured on, when there are enough.
  const per = shapeSize(p.raw.inputShape);
  const rest = p.data.count - p.n >= 32 ? { ...p.data, images: p.data.images.subarray(p.n * per), count: p.data.count - p.n } : p.data;
  return calibrateBiases(p.raw, b.params, rest, p.norm).snn;
}

/** The mt network (trial `t`, run with the first candidates) if it is closer to the ANN than the best so far. */
function withMt(p: Prepared, b: Best, tried: Tried, t: Trial | null): Best {
  if (!p.mt || !t) return b;
  return consider(p, b, tried, { c: p.mt, snn: p.mt.snn, label: p.mt.label, params: p.mt.params }, t);
}

function result(p: Prepared, b: Best, tried: Tried): AutoResult {
  const methods: Method[] = p.mt ? [p.options.method, "mt"] : [p.options.method];
  return { snn: b.snn, chosen: b.label, method: b.c.method, methods, tried, samples: p.n, ranges: b.ranges };
}

/** `limit`: the calibration sample count the user allowed (--calibration-samples); at most AUTO_SAMPLES are used. */
export function selectNormalisation(raw: RawSnn, cal: Calibration, data: Dataset, limit: number, options: ConvertOptions, norm: NormaliseOptions, warn: (w: Warning) => void): AutoResult {
  const p = prepare(raw, cal, data, limit, options, norm, warn);
  const trials = p.candidates.map((c) => trial(p, c.snn));
  const mtTrial = p.mt ? trial(p, p.mt.snn) : null;
  let { best: b, tried } = pick(p, trials.map((t) => t.scores), trials.map((t) => t.ranges));
  const pc = perChannelOf(p, b);
  if (pc) b = consider(p, b, tried, { c: pc, snn: pc.snn, label: pc.label, params: pc.params }, trial(p, pc.snn));
  const cb = calibrated(p, b);
  if (cb) b = consider(p, b, tried, { c: b.c, snn: cb, label: `${b.label} + bias calibration`, params: b.params }, trial(p, cb));
  return result(p, withMt(p, b, tried, mtTrial), tried);
}

/** selectNormalisation with every simulation run by `simulate` (the same choice and figures). */
export async function selectNormalisationWith(raw: RawSnn, cal: Calibration, data: Dataset, limit: number, options: ConvertOptions, norm: NormaliseOptions, warn: (w: Warning) => void, simulate: SimulateMany): Promise<AutoResult> {
  const p = prepare(raw, cal, data, limit, options, norm, warn);
  const cut = Math.min(RANGE_SAMPLES, p.n);
  const one = async (snn: SnnGraph): Promise<Trial> => {
    const t = await simulate([snn], p.images, p.n, options.timesteps, cut);
    return { scores: t.scores[0] as Float32Array, ranges: t.ranges[0] as RangeStats };
  };
  // The mt network (when tried) runs in the same call as the candidates: no extra call.
  const first = [...p.candidates, ...(p.mt ? [p.mt] : [])];
  const sim = await simulate(first.map((c) => c.snn), p.images, p.n, options.timesteps, cut);
  const k = p.candidates.length;
  const mtTrial = p.mt ? { scores: sim.scores[k] as Float32Array, ranges: sim.ranges[k] as RangeStats } : null;
  let { best: b, tried } = pick(p, sim.scores.slice(0, k), sim.ranges.slice(0, k));
  // Each later trial depends on the one before it: one `simulate` call each.
  const pc = perChannelOf(p, b);
  if (pc) b = consider(p, b, tried, { c: pc, snn: pc.snn, label: pc.label, params: pc.params }, await one(pc.snn));
  const cb = calibrated(p, b);
  if (cb) b = consider(p, b, tried, { c: b.c, snn: cb, label: `${b.label} + bias calibration`, params: b.params }, await one(cb));
  return result(p, withMt(p, b, tried, mtTrial), tried);
}
