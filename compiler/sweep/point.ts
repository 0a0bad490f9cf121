/**
 * @fileoverview One point of a sweep: compileModel() (on one thread, so a point's result does not depend on
 * where it runs) and the figures the sweep compares. A compile that stops with a coded error is a failed
 * point, not a failed sweep.
 */
import { compileModel } from "../compile.ts";
import { DEFAULT_CONVERT_OPTIONS, type Method } from "../convert/methods.ts";
import { isSnncError } from "../diagnostics.ts";
import type { PointSpec, SweepPoint } from "./grid.ts";

export interface PointInput {
  readonly model: string;
  /** Data for calibration and evaluation (the sweep's x.npy). */
  readonly data: string;
  readonly spec: PointSpec;
  /** Where the target is read from (a name, or a file); `spec.target` is its label. */
  readonly targetPath?: string;
  readonly samples: number;
  readonly calibrationSamples: number;
  readonly verifySamples: number;
  readonly seed: number;
  /** System size in chips (default: the target's). */
  readonly chips?: number;
}

export async function evaluatePoint(x: PointInput): Promise<SweepPoint> {
  try {
    const out = await compileModel({
      ...DEFAULT_CONVERT_OPTIONS,
      model: x.model, target: x.targetPath ?? x.spec.target, data: x.data, method: x.spec.method as Method, timesteps: x.spec.timesteps,
      samples: x.samples, calibrationSamples: x.calibrationSamples, verifySamples: x.verifySamples, seed: x.seed, tfjsCheck: false, workers: 1,
      ...(x.chips !== undefined ? { chips: x.chips } : {}),
    }, { warn: () => {}, progress: () => {}, stage: () => {} });
    const r = out.report;
    return {
      ...x.spec, ok: true,
      metrics: {
        targetTitle: r.targetInfo.title, accuracy: r.accuracy, joulesPerInference: r.energy.snnJoulesPerInference, secondsPerInference: r.latency.secondsPerInference,
        spikesPerInference: r.run.spikesPerInference, synapticOpsPerInference: r.run.synapticOpsPerInference,
        cores: r.mapping.cores, chips: r.mapping.chips, neurons: r.network.neurons, synapses: r.network.synapses, bitExact: r.verification.bitExact,
      },
    };
  } catch (e) {
    if (!isSnncError(e)) throw e;
    return { ...x.spec, ok: false, error: { code: e.code, message: e.message } };
  }
}
