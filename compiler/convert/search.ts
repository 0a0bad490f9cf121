/**
 * @fileoverview Error-minimising normalisation (pass helper, pure): each layer's (or channel's) threshold λ is
 * the candidate with the smallest conversion error on the layer's calibration activations.
 *
 * Model of one IF neuron (reset by subtraction, constant input current a per step, initial membrane v0·λ) run
 * for T steps: it emits n = clamp(floor(a·T/λ + v0), 0, T) spikes, so the rate code reads q(a) = n·λ/T. The error
 * of λ is Σ (q(a) − a)² over the calibration activations: too small a λ clips large activations, too large a λ
 * wastes resolution on all the others. Candidates: 48 thresholds spaced geometrically from the 90th percentile of
 * the positive activations to their maximum, plus the percentiles 99, 99.9, 99.99 and the maximum themselves.
 * Error terms of zero activations are zero for v0 < 1 and are left out. This measures the quantisation and
 * clipping error of each layer on its own ANN input; it does not model the error of the layers before it
 * (threshold tuning in ttrbr.ts simulates that, at a much higher cost).
 */
import { percentileOfSorted, type SiteStats, sortedPositives } from "./calibrate.ts";

/** At most this many values per layer (or channel) enter the search (deterministic stride subsample). */
const MAX_VALUES = 65_536;

function spread(values: Float32Array): Float32Array {
  if (values.length <= MAX_VALUES) return values;
  const stride = values.length / MAX_VALUES;
  return Float32Array.from({ length: MAX_VALUES }, (_, i) => values[Math.floor(i * stride)] as number);
}

/** Σ (q(a) − a)² for threshold `lambda` over positive activations `a`. */
export function conversionError(a: Float32Array, lambda: number, timesteps: number, v0: number): number {
  const step = lambda / timesteps;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const n = Math.min(timesteps, Math.max(0, Math.floor(x / step + v0)));
    const d = n * step - x;
    err += d * d;
  }
  return err;
}

/** The threshold of smallest conversion error for sorted positive activations `sorted` (exact max `max`). */
export function bestThreshold(sorted: Float32Array, max: number, timesteps: number, v0: number): number {
  if (sorted.length === 0 || !(max > 0)) return max > 0 ? max : 1;
  const a = spread(sorted);
  const lo = Math.max(percentileOfSorted(sorted, 90), max * 1e-3);
  const candidates = [max, percentileOfSorted(sorted, 99), percentileOfSorted(sorted, 99.9), percentileOfSorted(sorted, 99.99)];
  const steps = 48;
  for (let k = 0; k < steps; k++) candidates.push(lo * (max / lo) ** (k / (steps - 1)));
  let best = max;
  let bestErr = Infinity;
  for (const c of candidates) {
    if (!(c > 0)) continue;
    const e = conversionError(a, c, timesteps, v0);
    if (e < bestErr || (e === bestErr && c > best)) {
      bestErr = e;
      best = c;
    }
  }
  return best;
}

/** λ per channel (`channels` values; all equal unless `perChannel`) minimising the conversion error at T. */
export function searchScale(stats: SiteStats, channels: number, timesteps: number, v0: number, perChannel: boolean): Float32Array {
  const layer = bestThreshold(sortedPositives(stats), Math.max(stats.max, 0), timesteps, v0);
  if (!perChannel || stats.channels !== channels) return new Float32Array(channels).fill(layer > 0 ? layer : 1);
  const buckets: number[][] = Array.from({ length: channels }, () => []);
  stats.sample.forEach((v, i) => {
    if (v > 0) buckets[stats.sampleChannel[i] as number]?.push(v);
  });
  return Float32Array.from(buckets, (b, c) => {
    const m = Math.max(stats.channelMax[c] as number, 0);
    if (b.length === 0 || !(m > 0)) return layer > 0 ? layer : 1;
    return bestThreshold(Float32Array.from(b).sort(), m, timesteps, v0);
  });
}
