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
 * Layer by layer in topological order, each measured in a simulation up to that layer with the corrections of
 * the layers before it in place (correcting every layer from one simulation of the whole network double-counts
 * the error the layers upstream pass on, and diverged on a test network). A second round measures what is left.
 * Cost: about half a float simulation of the whole network per layer and round. The idea is the bias correction
 * of Li et al., "A free lunch from ANN: towards efficient, accurate spiking neural networks calibration" (ICML
 * 2021).
 */
import type { Dataset } from "../data/dataset.ts";
import { shapeSize } from "../ir/ann.ts";
import type { SnnGraph } from "../ir/snn.ts";
import { runAnn } from "../interp/ann-float.ts";
import { simulateFloat } from "../simulate/float-snn.ts";
import type { RawPop, RawSnn } from "./lower.ts";
import { normalise, type NormaliseOptions, type PopParams } from "./normalise.ts";

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
  for (let round = 0; round < rounds; round++) {
    let total = 0;
    let channels = 0;
    for (const p of targets) {
      const target = ann.get(p.statsNode);
      const snn = normalise(withBias(), params, norm);
      const index = snn.populations.findIndex((q) => q.name === p.name);
      const pop = snn.populations[index];
      if (!target || !pop) continue;
      const readout = index === snn.output;
      if (readout && pop.neuron.kind !== "readout") continue;
      // Up to this layer only: the layers before it already carry their corrected biases.
      const sim = simulateFloat(snn, images, n, { timesteps: [T], recordCounts: !readout, stopAfter: index });
      const C = p.shape[2];
      const size = pop.size;
      const sigma = pop.spikeValue;
      const est = readout ? (sim.scores.get(T) as Float32Array) : (sim.counts[index] as Float32Array);
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
    }
    meanShift.push(channels ? total / channels : 0);
  }
  const out = withBias();
  return { raw: out, snn: normalise(out, params, norm), meanShift };
}
