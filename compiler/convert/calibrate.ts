/**
 * @fileoverview Calibration: activation statistics of the ANN on data, per population site.
 *
 * Runs the float interpreter over the calibration samples in batches and keeps, per site node: exact max and
 * min (whole layer and per channel), mean and variance, and a deterministic stride subsample (≤ `cap`
 * values, with their channels) from which percentiles are read. Percentiles of the positive part ignore
 * zeros, as SNN Toolbox's robust normalisation does.
 */
import type { Dataset } from "../data/dataset.ts";
import { fail } from "../diagnostics.ts";
import type { AnnGraph } from "../ir/ann.ts";
import { shapeSize } from "../ir/ann.ts";
import { runAnn } from "../interp/ann-float.ts";

export interface SiteStats {
  readonly count: number;
  readonly channels: number;
  readonly max: number;
  readonly min: number;
  readonly mean: number;
  readonly variance: number;
  readonly channelMax: Float32Array;
  readonly channelMin: Float32Array;
  /** Subsample of values and their channels. */
  readonly sample: Float32Array;
  readonly sampleChannel: Uint32Array;
}

export type Calibration = ReadonlyMap<string, SiteStats>;

export interface CalibrateOptions {
  readonly sites: readonly string[];
  readonly samples: number;
  readonly batchSize?: number;
  /** Largest subsample kept per site. */
  readonly cap?: number;
  readonly onBatch?: (done: number) => void;
}

export function calibrate(graph: AnnGraph, data: Dataset, options: CalibrateOptions): Calibration {
  const count = Math.min(options.samples, data.count);
  if (count <= 0) throw fail("SNNC203", "calibration needs at least one sample", {}, "give --calibration DATA or a larger --samples");
  const batchSize = options.batchSize ?? 64;
  const cap = options.cap ?? 2_000_000;
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  const per = shapeSize(nodes.get(graph.inputs[0] ?? "")?.shape ?? []);
  const acc = new Map<string, Accumulator>();
  for (const s of options.sites) {
    const n = nodes.get(s);
    if (!n) throw new Error(`internal: calibration site ${s} not in graph`);
    const size = shapeSize(n.shape);
    const channels = n.shape[n.shape.length - 1] ?? 1;
    acc.set(s, new Accumulator(size, channels, Math.max(1, Math.ceil((size * count) / cap))));
  }
  const keep = new Set(options.sites);
  for (let start = 0; start < count; start += batchSize) {
    const b = Math.min(batchSize, count - start);
    const out = runAnn(graph, data.images.subarray(start * per, (start + b) * per), b, { keep });
    for (const [s, a] of acc) a.add(out.get(s) as Float32Array);
    options.onBatch?.(start + b);
  }
  return new Map([...acc].map(([s, a]) => [s, a.finish()]));
}

/** Running statistics of one site (also used by the ecmt calibration, convert/ecmt/calibrate.ts). */
export class Accumulator {
  private max = -Infinity;
  private min = Infinity;
  private sum = 0;
  private sumSq = 0;
  private n = 0;
  private readonly channelMax: Float32Array;
  private readonly channelMin: Float32Array;
  private readonly sample: number[] = [];
  private readonly sampleChannel: number[] = [];
  private seen = 0;

  constructor(private readonly size: number, private readonly channels: number, private readonly stride: number) {
    this.channelMax = new Float32Array(channels).fill(-Infinity);
    this.channelMin = new Float32Array(channels).fill(Infinity);
  }

  add(values: Float32Array): void {
    const C = this.channels;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      const c = (i % this.size) % C;
      if (v > this.max) this.max = v;
      if (v < this.min) this.min = v;
      if (v > (this.channelMax[c] as number)) this.channelMax[c] = v;
      if (v < (this.channelMin[c] as number)) this.channelMin[c] = v;
      this.sum += v;
      this.sumSq += v * v;
      if (this.seen++ % this.stride === 0) {
        this.sample.push(v);
        this.sampleChannel.push(c);
      }
    }
    this.n += values.length;
  }

  finish(): SiteStats {
    const mean = this.n ? this.sum / this.n : 0;
    return {
      count: this.n, channels: this.channels, max: this.max, min: this.min, mean,
      variance: this.n ? Math.max(0, this.sumSq / this.n - mean * mean) : 0,
      channelMax: this.channelMax, channelMin: this.channelMin,
      sample: Float32Array.from(this.sample), sampleChannel: Uint32Array.from(this.sampleChannel),
    };
  }
}

/** p-th percentile (0..100) of sorted values, linear interpolation. */
export function percentileOfSorted(sorted: Float32Array, p: number): number {
  if (sorted.length === 0) return 0;
  const r = (Math.min(Math.max(p, 0), 100) / 100) * (sorted.length - 1);
  const lo = Math.floor(r);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (r - lo);
}

const sortedPositiveCache = new WeakMap<SiteStats, Float32Array>();

/** The subsample's positive values in ascending order (computed once per site: `auto` normalisation's
 * candidates and the error search ask for them again and again). Callers must not modify it. */
export function sortedPositives(s: SiteStats): Float32Array {
  let pos = sortedPositiveCache.get(s);
  if (!pos) {
    pos = s.sample.filter((v) => v > 0).sort();
    sortedPositiveCache.set(s, pos);
  }
  return pos;
}

/** Percentile of the positive values (zeros and negatives excluded); p = 100 gives the exact max. */
export function positivePercentile(s: SiteStats, p: number): number {
  if (p >= 100) return Math.max(s.max, 0);
  return percentileOfSorted(sortedPositives(s), p);
}

/** Per-channel percentile of positive values (exact max at p = 100). */
export function channelPositivePercentile(s: SiteStats, p: number): Float32Array {
  if (p >= 100) return s.channelMax.map((v) => Math.max(v, 0));
  const buckets: number[][] = Array.from({ length: s.channels }, () => []);
  s.sample.forEach((v, i) => {
    if (v > 0) buckets[s.sampleChannel[i] as number]?.push(v);
  });
  return Float32Array.from(buckets, (b, c) => (b.length ? percentileOfSorted(Float32Array.from(b).sort(), p) : Math.max(s.channelMax[c] as number, 0)));
}

/** Percentile of the magnitudes of the negative values (for signed multi-threshold neurons). */
export function negativePercentile(s: SiteStats, p: number): number {
  const neg = s.sample.filter((v) => v < 0).map((v) => -v).sort();
  if (neg.length === 0) return 0;
  return p >= 100 ? Math.max(-s.min, 0) : percentileOfSorted(neg, p);
}

/** Percentile of all values, zeros and negatives included (ECMT's kth-value thresholds). */
export function allValuesPercentile(s: SiteStats, p: number): number {
  if (p >= 100) return s.max;
  if (p <= 0) return s.min;
  return percentileOfSorted(Float32Array.from(s.sample).sort(), p);
}
