/**
 * @fileoverview `ttrbr`: threshold tuning and residual block restructuring, after Meng et al. (Neural
 * Networks 153, 2022). The paper's error analysis (public abstract): conversion error = quantisation error
 * (finite T) + deviation error from input currents that vary over time, which "depends on both the spike
 * threshold and the input variance". Its exact rules are not public; these are ours, derived from that
 * analysis and measured in bench/conversion:
 *
 * 1. Residual block restructuring. In a residual block the main path reaches the Add through one more
 *    spiking stage than the shortcut, so the shortcut's current is smooth-in-time while the main path's is
 *    quantised and lagged: the Add neuron integrates two inputs of different temporal statistics (deviation
 *    error). We route every shortcut through a relay of IF neurons (one per missing stage, threshold = the
 *    source's spike value, so rates are preserved), so that both operands of the Add pass through the same
 *    number of spiking stages and arrive with the same delay.
 * 2. Threshold tuning. The best threshold trades clipping (θ too low) against quantisation and deviation
 *    error (θ too high, which grows with the layer's input variance over time). Instead of a closed-form
 *    rule we measure it: layer by layer in topological order, each candidate threshold (percentiles 99,
 *    99.5, 99.9, 99.99, 100 of the positive activations) is simulated at the target T (at most 64) on 32
 *    calibration samples, up to that layer only, and the one with the smallest mean squared error between
 *    the layer's spike-rate estimate and the ANN activation is kept before moving to the next layer.
 */
import type { Dataset } from "../data/dataset.ts";
import type { SnnGraph } from "../ir/snn.ts";
import { shapeSize } from "../ir/ann.ts";
import { runAnn } from "../interp/ann-float.ts";
import { simulateFloat } from "../simulate/float-snn.ts";
import type { Calibration } from "./calibrate.ts";
import type { RawPop, RawSnn } from "./lower.ts";
import { type ConvertOptions, normalisationOf, siteScale } from "./methods.ts";
import { searchScale } from "./search.ts";
import { normalise, type NormaliseOptions, type PopParams, topologicalPops } from "./normalise.ts";

export const TUNING_PERCENTILES = [99, 99.5, 99.9, 99.99, 100] as const;

function rawDepths(pops: readonly RawPop[]): Map<number, number> {
  const depth = new Map<number, number>();
  for (const p of topologicalPops(pops)) {
    depth.set(p.id, p.terms.length === 0 ? 0 : Math.max(...p.terms.map((t) => (depth.get(t.source) ?? 0) + 1)));
  }
  return depth;
}

/** Inserts relay populations on shortcut terms that skip spiking stages. */
export function restructureResiduals(raw: RawSnn): RawSnn {
  const depth = rawDepths(raw.pops);
  const pops: RawPop[] = raw.pops.map((p) => ({ ...p }));
  const byId = new Map(pops.map((p) => [p.id, p]));
  for (const p of raw.pops) {
    if (p.terms.length < 2) continue;
    const d = depth.get(p.id) as number;
    const terms = p.terms.map((t) => {
      let gap = d - (depth.get(t.source) as number) - 1;
      let source = t.source;
      while (gap > 0) {
        const src = byId.get(source) as RawPop;
        const relay: RawPop = {
          id: pops.length, name: `${p.name}/relay${gap}`, shape: src.shape, site: "relay",
          terms: [{ source, conn: { kind: "oneToOne", weights: new Float32Array(src.shape[2]).fill(1) }, origin: `${t.origin} (shortcut relay)` }],
          bias: null, statsNode: src.statsNode, relu6: false,
        };
        pops.push(relay);
        byId.set(relay.id, relay);
        source = relay.id;
        gap--;
      }
      return { ...t, source };
    });
    const updated = { ...(byId.get(p.id) as RawPop), terms };
    pops[p.id] = updated;
    byId.set(p.id, updated);
  }
  return { ...raw, pops };
}

/** Greedy layer-wise threshold search at the target T (see file header). */
export function tuneThresholds(
  raw: RawSnn, params: Map<number, PopParams>, cal: Calibration, data: Dataset, options: ConvertOptions, norm: NormaliseOptions,
): SnnGraph {
  const samples = Math.min(32, data.count);
  const per = shapeSize(raw.inputShape);
  const images = data.images.subarray(0, samples * per);
  const tunable = topologicalPops(raw.pops).filter((p) => p.site === "relu" || p.site === "avgPool");
  const ann = runAnn(raw.calibrationGraph, images, samples, { keep: new Set(tunable.map((p) => p.statsNode)) });
  const T = Math.min(options.timesteps, 64);
  // A relay stays rate-preserving only with its source's spike value as threshold: follow every change.
  const relays = topologicalPops(raw.pops).filter((p) => p.site === "relay");
  const syncRelays = () => {
    for (const r of relays) {
      const src = params.get(r.terms[0]?.source ?? -1);
      const cur = params.get(r.id);
      if (src && cur) params.set(r.id, { ...cur, threshold: src.spikeValue, spikeValue: src.spikeValue });
    }
  };
  for (const p of tunable) {
    const stats = cal.get(p.statsNode);
    const target = ann.get(p.statsNode);
    if (!stats || !target) continue;
    let best: { err: number; lambda: Float32Array } | null = null;
    const candidates = TUNING_PERCENTILES.map((pct) => siteScale(stats, p.shape[2], pct, options.perChannel));
    // The error-search threshold (convert/search.ts) is one more candidate.
    if (normalisationOf(options) === "search") candidates.push(searchScale(stats, p.shape[2], T, (params.get(p.id) as PopParams).v0, options.perChannel));
    for (const candidate of candidates) {
      let lambda = candidate;
      if (p.relu6) lambda = lambda.map((v) => Math.min(v, 6));
      const cur = params.get(p.id) as PopParams;
      params.set(p.id, { ...cur, threshold: lambda, spikeValue: lambda });
      syncRelays();
      const snn = normalise(raw, params, norm);
      const index = snn.populations.findIndex((q) => q.name === p.name);
      const sim = simulateFloat(snn, images, samples, { timesteps: [T], recordCounts: true, stopAfter: index });
      const counts = sim.counts[index] as Float32Array;
      const C = p.shape[2];
      let err = 0;
      for (let i = 0; i < counts.length; i++) {
        const estimate = ((counts[i] as number) / T) * (lambda[i % C] as number);
        const d = estimate - (target[i] as number);
        err += d * d;
      }
      if (!best || err < best.err) best = { err, lambda };
    }
    if (best) {
      const cur = params.get(p.id) as PopParams;
      params.set(p.id, { ...cur, threshold: best.lambda, spikeValue: best.lambda });
      syncRelays();
    }
  }
  return normalise(raw, params, norm);
}
