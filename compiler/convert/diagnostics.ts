/**
 * @fileoverview Per-layer ANN-vs-SNN diagnostics: for every spiking population, the rate-coded estimate of
 * the ANN activation (spikes in the population's window / T × spike value) against
 *   - the ANN activation on the same inputs (cumulative error: everything upstream included), and
 *   - the ANN layer applied to the SNN's own estimate of its inputs (local error: what this layer loses),
 * with Pearson correlation and mean firing rate, so a user sees which layer loses accuracy. The worst layer
 * is the one with the largest local error.
 */
import type { AnnGraph } from "../ir/ann.ts";
import { shapeSize } from "../ir/ann.ts";
import type { SnnGraph } from "../ir/snn.ts";
import { runAnn } from "../interp/ann-float.ts";
import { simulateFloat } from "../simulate/float-snn.ts";

export interface LayerDiagnostic {
  readonly name: string;
  readonly neurons: number;
  readonly correlation: number;
  /** RMS(estimate − activation) / RMS(activation), against the true ANN activation. */
  readonly relativeError: number;
  /** The same against the ANN layer fed with the SNN's estimate of its inputs. */
  readonly localError: number;
  /** Spikes per neuron per step inside the window. */
  readonly rate: number;
}

export interface Diagnostics {
  readonly timesteps: number;
  readonly samples: number;
  readonly layers: readonly LayerDiagnostic[];
  readonly worst: string | null;
}

/** `counts`: the float SNN's spike counts per population inside a window of `timesteps` steps on at least the
 * first `samples` samples of `images` (simulateFloat's recordCounts with countWindow = timesteps), when a run
 * already recorded them (the accuracy curve's); otherwise this simulates them. */
export function layerDiagnostics(ann: AnnGraph, snn: SnnGraph, images: Float32Array, samples: number, timesteps: number, counts?: readonly (Float32Array | null)[]): Diagnostics {
  const per = shapeSize(snn.inputShape);
  const n = Math.min(samples, Math.floor(images.length / per));
  const x = images.subarray(0, n * per);
  const names = new Set(ann.nodes.map((node) => node.name));
  const spiking = snn.populations.filter((p) => p.id !== snn.output && p.id !== snn.input.population && names.has(p.name));
  const acts = runAnn(ann, x, n, { keep: new Set(spiking.map((p) => p.name)) });
  const sim = { counts: counts ? counts.map((c, i) => c?.subarray(0, n * (snn.populations[i]?.size ?? 0)) ?? null) : simulateFloat(snn, x, n, { timesteps: [timesteps], recordCounts: true }).counts };
  // SNN estimates of every spiking layer; the ANN rerun on them gives each layer's local reference.
  const estimates = new Map<string, Float32Array>();
  for (const p of spiking) {
    const counts = sim.counts[p.id];
    if (!counts) continue;
    const C = p.shape[2];
    estimates.set(p.name, Float32Array.from(counts, (c, i) => (c / timesteps) * (p.spikeValue[i % C] as number)));
  }
  const local = new Map<string, Float32Array>();
  runAnn(ann, x, n, { override: estimates, onComputed: (name, v) => {
    if (estimates.has(name)) local.set(name, v);
  } });
  const layers: LayerDiagnostic[] = [];
  for (const p of spiking) {
    const a = acts.get(p.name);
    const counts = sim.counts[p.id];
    const est = estimates.get(p.name);
    const ref = local.get(p.name);
    if (!a || !counts || !est || !ref || a.length !== counts.length) continue;
    let le = 0;
    let lr = 0;
    for (let i = 0; i < est.length; i++) {
      le += ((est[i] as number) - (ref[i] as number)) ** 2;
      lr += (ref[i] as number) ** 2;
    }
    const C = p.shape[2];
    let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, se = 0, spikes = 0;
    for (let i = 0; i < a.length; i++) {
      const est = ((counts[i] as number) / timesteps) * (p.spikeValue[i % C] as number);
      const act = a[i] as number;
      sa += act;
      sb += est;
      saa += act * act;
      sbb += est * est;
      sab += act * est;
      se += (est - act) * (est - act);
      spikes += Math.abs(counts[i] as number);
    }
    const m = a.length;
    const cov = sab / m - (sa / m) * (sb / m);
    const va = saa / m - (sa / m) ** 2;
    const vb = sbb / m - (sb / m) ** 2;
    layers.push({
      name: p.name, neurons: p.size,
      correlation: va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0,
      relativeError: saa > 0 ? Math.sqrt(se / saa) : 0,
      localError: lr > 0 ? Math.sqrt(le / lr) : 0,
      rate: spikes / (m * timesteps),
    });
  }
  const worst = layers.reduce<LayerDiagnostic | null>((w, l) => (!w || l.localError > w.localError ? l : w), null);
  return { timesteps, samples: n, layers, worst: worst?.name ?? null };
}
