/**
 * @fileoverview Test-only reference: bias calibration as convert/biascal.ts computed it before it recorded the
 * upstream spike trains (each corrected layer re-simulated from the input up to that layer, O(L²) in layers).
 * The tests pin the production pass to this: the same calibrated biases and network, bit for bit.
 */
import type { Dataset } from "../../compiler/data/dataset.ts";
import { shapeSize } from "../../compiler/ir/ann.ts";
import { runAnn } from "../../compiler/interp/ann-float.ts";
import { simulateFloat } from "../../compiler/simulate/float-snn.ts";
import type { RawPop, RawSnn } from "../../compiler/convert/lower.ts";
import { normalise, type NormaliseOptions, type PopParams } from "../../compiler/convert/normalise.ts";
import { BIAS_ROUNDS, BIAS_SAMPLES, type BiasCalibration } from "../../compiler/convert/biascal.ts";

function corrected(pop: RawPop): boolean {
  return pop.terms.length > 0 && (pop.site === "relu" || pop.site === "avgPool" || pop.site === "readout");
}

/** Returns the raw network with calibrated biases and its normalised SNN (params unchanged). */
export function calibrateBiasesReference(raw: RawSnn, params: ReadonlyMap<number, PopParams>, data: Dataset, norm: NormaliseOptions, samples = BIAS_SAMPLES, rounds = BIAS_ROUNDS): BiasCalibration {
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
