/**
 * @fileoverview Bias calibration (pass helper, pure): after the thresholds are chosen, shifts each channel's bias
 * by the mean conversion error measured on calibration data, so that the expected error of every layer is zero.
 *
 * At small T a rate-coded layer reads its activation through floor(), clipping and the lag of the layers before
 * it, and these errors have a non-zero mean per channel that compounds with depth. For each population with a
 * bias site (ReLU, spiking average pool, the readout) and each channel c:
 *   Δ_c = mean over calibration samples and positions of (ANN activation − SNN estimate), over the positions
 *         where either is non-zero (off in both, a ReLU neuron is below threshold either way),
 * with the SNN estimate = spikes in the population's window / T × spike value (the readout: membrane × θ / T),
 * and Δ_c is added to the raw bias (ANN units), which normalise() divides by the threshold as any bias.
 * Layer by layer in topological order, each measured with the corrections of the layers before it in place
 * (correcting every layer from one simulation of the whole network double-counts the error the layers upstream
 * pass on, and diverged on a test network). A second round measures what is left. The layers before a layer do
 * not change when its bias does, so the simulation runs one population at a time over the whole run
 * (simulate/float-layers.ts) and keeps the spike trains the later layers read: each corrected layer runs twice
 * (measured, then with its correction for the layers after it, adding the input recorded in the first run),
 * every other population once. Cost: about one float simulation of the network per round (was about half a
 * simulation per layer: O(L²)); the same figures
 * as simulating from the input up to each layer, bit for bit (test/convert/biascal.test.ts pins it against that
 * reference). The idea is the bias correction
 * of Li et al., "A free lunch from ANN: towards efficient, accurate spiking neural networks calibration" (ICML
 * 2021).
 */
import type { Dataset } from "../data/dataset.ts";
import { shapeSize } from "../ir/ann.ts";
import type { Population, SnnGraph } from "../ir/snn.ts";
import { runAnn } from "../interp/ann-float.ts";
import { LayerwiseSim } from "../simulate/float-layers.ts";
import type { RawPop, RawSnn } from "./lower.ts";
import { normalise, normaliseBias, type NormaliseOptions, type PopParams } from "./normalise.ts";

/** Calibration samples simulated per round, and rounds. */
export const BIAS_SAMPLES = 64;
export const BIAS_ROUNDS = 1;

export interface BiasCalibration {
  readonly raw: RawSnn;
  readonly snn: SnnGraph;
  /** Per round: mean |Δ| over corrected channels, in thresholds of their population. */
  readonly meanShift: readonly number[];
}

function corrected(pop: RawPop): boolean {
  return pop.terms.length > 0 && (pop.site === "relu" || pop.site === "avgPool" || pop.site === "readout");
}

/** Returns the raw network with calibrated biases and its normalised SNN (params unchanged). */
export function calibrateBiases(raw: RawSnn, params: ReadonlyMap<number, PopParams>, data: Dataset, norm: NormaliseOptions, samples = BIAS_SAMPLES, rounds = BIAS_ROUNDS): BiasCalibration {
  const n = Math.max(1, Math.min(samples, data.count));
  const T = norm.timesteps;
  const images = data.images.subarray(0, n * shapeSize(raw.inputShape));
  const targets = raw.pops.filter(corrected);
  const ann = runAnn(raw.calibrationGraph, images, n, { keep: new Set(targets.map((p) => p.statsNode)) });
  const bias = new Map<number, Float32Array>(targets.map((p) => [p.id, p.bias ? Float32Array.from(p.bias) : new Float32Array(p.shape[2])]));
  const withBias = (): RawSnn => ({ ...raw, pops: raw.pops.map((p) => (bias.has(p.id) ? { ...p, bias: Float32Array.from(bias.get(p.id) as Float32Array) } : p)) });
  const meanShift: number[] = [];
  // Biases enter only their own population's normalised bias and initial membrane (normalise.ts): one
  // normalisation, each corrected population's description patched.
  const snn = normalise(withBias(), params, norm);
  const rawIndex = new Map(snn.populations.map((q, i) => [q.name, i]));
  const byIndex = new Map<number, RawPop>();
  for (const p of targets) {
    const i = rawIndex.get(p.name);
    if (i !== undefined) byIndex.set(i, p);
  }
  const last = Math.max(-1, ...byIndex.keys());
  for (let round = 0; round < rounds; round++) {
    let total = 0;
    let channels = 0;
    const sim = new LayerwiseSim(snn, images, n, T);
    for (let index = 0; index <= last; index++) {
      const p = byIndex.get(index);
      const target = p ? ann.get(p.statsNode) : undefined;
      const readout = index === snn.output;
      const keep = index < last;
      let pop = snn.populations[index] as Population;
      if (p) pop = { ...pop, ...normaliseBias(bias.get(p.id) as Float32Array, params.get(p.id) as PopParams, p.shape[2], pop.depth, T) };
      if (!p || !target || (readout && pop.neuron.kind !== "readout")) {
        sim.run(index, keep, pop);
        sim.release(index);
        continue;
      }
      const run = sim.run(index, false, pop, keep);
      const C = p.shape[2];
      const size = pop.size;
      const sigma = pop.spikeValue;
      const est = (readout ? run.scores : run.counts) as Float32Array;
      const sum = new Float64Array(C);
      const live = new Float64Array(C);
      for (let i = 0; i < n * size; i++) {
        const c = i % C;
        const e = readout ? ((est[i] as number) * (pop.threshold[c % pop.threshold.length] as number)) / T : ((est[i] as number) / T) * (sigma[c % sigma.length] as number);
        const a = target[i] as number;
        // Only where the neuron responds to its bias: a ReLU position that is off in both is below threshold
        // either way and would dilute the mean.
        if (!readout && a <= 0 && e <= 0) continue;
        sum[c] = (sum[c] as number) + a - e;
        live[c] = (live[c] as number) + 1;
      }
      const b = bias.get(p.id) as Float32Array;
      for (let c = 0; c < C; c++) {
        if (!((live[c] as number) > 0)) continue;
        const d = (sum[c] as number) / (live[c] as number);
        b[c] = (b[c] as number) + d;
        total += Math.abs(d) / (pop.threshold[c % pop.threshold.length] as number);
        channels++;
      }
      // The layers after this one read it with its correction in place.
      if (keep) sim.run(index, true, { ...pop, ...normaliseBias(b, params.get(p.id) as PopParams, C, pop.depth, T) });
      sim.release(index);
    }
    meanShift.push(channels ? total / channels : 0);
  }
  const out = withBias();
  return { raw: out, snn: normalise(out, params, norm), meanShift };
}
