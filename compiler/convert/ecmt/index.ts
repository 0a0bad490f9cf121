/**
 * @fileoverview `--method ecmt`: AnnGraph → SnnGraph with multi-threshold neurons and Expectation
 * Compensation compute nodes (Huang et al., arXiv 2502.21193; formula checks in docs/conversion.md).
 *
 *   lower (convert/ecmt/lower.ts) → calibrate on the lowered ANN (forward.ts) → parameters (below) →
 *   normalise (the common rule: weights · σ_source / θ_target)
 * Parameters per site:
 *   input     multi-threshold quantiser without a negative side, θ = the input's max · INPUT_FINEST_LEVEL (1/8)
 *   quantise  ECMT's TwoSideNeuron: levels ±θp·2^k and ±θn·2^k (k < mtLevels), θp = the p-th percentile of all
 *             values (ECMT's kthvalue at `percent`, 0.99 there; ours defaultPercentile("ecmt")), θn = −(the (100−p)-th percentile); when that is not
 *             negative, θn = θp. Attention probabilities (the spikes of a softmax node) take ECMT's separate
 *             softmax threshold scaled to the key count instead (SOFTMAX_KEYS_THRESHOLD), θn = θp as in its code
 *   relu      ECMT expectation-compensated ReLU (as --method mt)
 *   compute   θ = spike value = 1: inputs and graded payloads in ANN units
 *   readout   membrane readout, θ = max |logit|
 */
import { fail, type Warning } from "../../diagnostics.ts";
import type { AnnGraph } from "../../ir/ann.ts";
import type { NeuronModel } from "../../ir/snn.ts";
import type { Dataset } from "../../data/dataset.ts";
import { allValuesPercentile, type Calibration, type SiteStats } from "../calibrate.ts";
import type { RawPop, RawSnn } from "../lower.ts";
import { type ConvertOptions, defaultPercentile } from "../methods.ts";
import { normalise, type PopParams } from "../normalise.ts";
import { calibrateRaw } from "./forward.ts";
import { lowerEcmt } from "./lower.ts";

export interface EcmtContext {
  readonly calibration: Dataset;
  readonly calibrationSamples: number;
  warn(w: Warning): void;
  onProgress?(stage: string, done: number, total: number): void;
}

export function convertEcmt(graph: AnnGraph, options: ConvertOptions, ctx: EcmtContext): { raw: RawSnn; calibration: Calibration; snn: ReturnType<typeof normalise> } {
  const raw = lowerEcmt(graph, ctx.warn);
  const samples = Math.min(ctx.calibrationSamples, ctx.calibration.count);
  const calibration = calibrateRaw(raw, ctx.calibration.images, samples, 16, (d) => ctx.onProgress?.("calibrate", d, samples));
  const params = ecmtParams(raw, calibration, options);
  const snn = normalise(raw, params, { method: "ecmt", encoding: options.encoding, seed: options.seed, timesteps: options.timesteps });
  return { raw, calibration, snn };
}

/**
 * Threshold of the spikes of attention probabilities, times the number of keys N. ECMT's code sets these apart
 * from the percentile rule: `--softmax_p` 0.0125 (run_class_finetuning.py), for every model it runs; for its
 * ViT-S/B/L at 224 px with 16-pixel patches a row has 197 keys (196 patches + the class token), so 0.0125 is
 * 2.46 × the mean probability 1/197. The scaling to other N is ours (ECMT keeps 0.0125 for EVA's 577 keys too):
 * a row's probabilities sum to 1, so their mean is 1/N whatever the data, and θ = 0.0125·197/N keeps the level
 * ladder where ECMT put it relative to that mean. The percentile rule gives θ = 0.6 on the 16-key example ViT
 * (levels 0.6…77: six of the eight above the largest probability, 1).
 */
export const SOFTMAX_KEYS_THRESHOLD = 0.0125 * 197;

/**
 * The input population's finest level, as a fraction of the largest calibration input. ECMT feeds the analog
 * image to the patch embedding; snnc sends it as multi-threshold spikes (levels θ·2^k). With θ = the max (as
 * `--method mt` does), every level above the first lies above every pixel, so a pixel is resolved to max/(2T)
 * only (0.125 at T = 4). θ = max/8 uses four levels (1/8, 1/4, 1/2, 1 of the max) for a resolution of max/(16T).
 * Chosen on training images 2,000–2,499 (float SNN, fixed-point compute, T = 4, the rule fixed before the runs:
 * the lowest relative logit error with E_SNN/E_ANN ≤ 0.49; docs/conversion.md "The input's finest level"):
 * relative error 0.173 at 1, 0.140 / 0.140 / 0.138 / 0.139 at 1/2, 1/4, 1/8, 1/16, energy 0.464 → 0.458–0.460.
 */
export const INPUT_FINEST_LEVEL = 1 / 8;

/** The softmax compute node a quantise site spikes for (its one input is that node's output), else null. */
function softmaxSource(raw: RawSnn, p: RawPop): { groupSize: number } | null {
  const term = p.terms.length === 1 ? p.terms[0] : undefined;
  const op = term === undefined ? undefined : raw.pops[term.source]?.compute?.op;
  return op?.kind === "softmax" ? { groupSize: op.groupSize } : null;
}

const filled = (n: number, v: number): Float32Array => new Float32Array(n).fill(v);
const positive = (x: number, fallback: number): number => (Number.isFinite(x) && x > 1e-12 ? x : fallback);

export function ecmtParams(raw: RawSnn, cal: Calibration, options: ConvertOptions): Map<number, PopParams> {
  const percentile = options.percentile ?? defaultPercentile("ecmt");
  const levels = options.mtLevels;
  const params = new Map<number, PopParams>();
  for (const p of raw.pops) {
    const C = p.shape[2];
    const s = cal.get(p.statsNode) as SiteStats;
    let threshold: Float32Array;
    let neuron: NeuronModel;
    switch (p.site) {
      case "input":
        threshold = filled(C, positive(s.max, 1) * INPUT_FINEST_LEVEL);
        neuron = { kind: "mt", levels, negThreshold: 0, relu: false };
        break;
      case "quantise": {
        const softmax = softmaxSource(raw, p);
        if (softmax !== null) {
          threshold = filled(C, SOFTMAX_KEYS_THRESHOLD / softmax.groupSize);
          neuron = { kind: "mt", levels, negThreshold: 1, relu: false };
          break;
        }
        const big = Math.max(Math.abs(s.max), Math.abs(s.min), 1e-6);
        const thetaP = positive(allValuesPercentile(s, percentile), big);
        const thetaN = positive(-allValuesPercentile(s, 100 - percentile), thetaP);
        threshold = filled(C, thetaP);
        neuron = { kind: "mt", levels, negThreshold: thetaN / thetaP, relu: false };
        break;
      }
      case "relu":
        threshold = filled(C, positive(allValuesPercentile(s, percentile), positive(s.max, 1)));
        neuron = { kind: "mt", levels, negThreshold: 1, relu: true };
        break;
      case "compute": {
        const c = p.compute;
        if (!c) throw new Error(`internal: compute site ${p.name} without an operator`);
        threshold = filled(C, 1);
        neuron = { kind: "compute", op: c.op, offset: c.offset };
        break;
      }
      case "readout":
        threshold = filled(C, positive(Math.max(Math.abs(s.max), Math.abs(s.min)), 1));
        neuron = { kind: "readout" };
        break;
      default:
        throw fail("SNNC210", `site ${p.site} is not made by the ecmt lowering`, { layer: p.name });
    }
    params.set(p.id, { threshold, spikeValue: threshold, neuron, v0: 0 });
  }
  return params;
}
