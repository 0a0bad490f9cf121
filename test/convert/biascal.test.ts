/**
 * Bias calibration (convert/biascal.ts) on a small deep BN-folded residual network (ONNX): the calibrated SNN follows the ANN's logits more closely than the
 * uncalibrated one on held-out inputs, and `auto` keeps the calibrated network only when it measures closer.
 * The pass (one population at a time over recorded spike trains) against the reference that simulates from the
 * input up to each layer (test/helpers/biascal-reference.ts): the same biases, shifts and network, bit for bit,
 * on a residual net (two rounds), a conv net with average or max pooling, current or Poisson input.
 */
import { expect } from "chai";
import { calibrateBiases } from "../../compiler/convert/biascal.ts";
import { calibrate } from "../../compiler/convert/calibrate.ts";
import { convert } from "../../compiler/convert/index.ts";
import { lowerAnn } from "../../compiler/convert/lower.ts";
import { calibrationSites, DEFAULT_CONVERT_OPTIONS, methodParams } from "../../compiler/convert/methods.ts";
import { normalise } from "../../compiler/convert/normalise.ts";
import type { Dataset } from "../../compiler/data/dataset.ts";
import { importModel } from "../../compiler/import/index.ts";
import type { AnnGraph } from "../../compiler/ir/ann.ts";
import type { SnnGraph } from "../../compiler/ir/snn.ts";
import { runAnn } from "../../compiler/interp/ann-float.ts";
import { simulateFloat } from "../../compiler/simulate/float-snn.ts";
import { seededRng } from "../../compiler/util/rng.ts";
import { calibrateBiasesReference } from "../helpers/biascal-reference.ts";
import { encodeModel, residualModel, saveOnnx } from "../helpers/onnx-models.ts";
import { smallConvModel } from "../helpers/small.ts";

function images(count: number, seed: number): Float32Array {
  const rng = seededRng(seed);
  return Float32Array.from({ length: count * 36 }, () => rng());
}

/** RMS(SNN logit estimate − ANN logit) / RMS(ANN logit) on `n` inputs. */
function logitError(graph: AnnGraph, snn: SnnGraph, x: Float32Array, n: number, T: number): number {
  const ann = runAnn(graph, x, n).get(graph.outputs[0] as string) as Float32Array;
  const scores = simulateFloat(snn, x, n, { timesteps: [T] }).scores.get(T) as Float32Array;
  const theta = snn.populations[snn.output]?.threshold[0] ?? 1;
  let num = 0;
  let den = 0;
  for (let i = 0; i < ann.length; i++) {
    num += (((scores[i] as number) * theta) / T - (ann[i] as number)) ** 2;
    den += (ann[i] as number) ** 2;
  }
  return Math.sqrt(num / den);
}

describe("bias calibration", function () {
  this.timeout(60_000);
  const T = 8;
  const options = { ...DEFAULT_CONVERT_OPTIONS, method: "ecc" as const, percentile: 100, timesteps: T };
  const data: Dataset = { images: images(128, 7), labels: null, count: 128, sampleShape: [6, 6, 1], source: "test" };
  let graph: AnnGraph;
  before(async () => {
    graph = await importModel(saveOnnx(encodeModel(residualModel())));
  });

  it("shrinks the logit error against the ANN on held-out inputs", () => {
    const raw = lowerAnn(graph, { maxPoolAsAverage: true, foldPooling: false }, () => {});
    const cal = calibrate(raw.calibrationGraph, data, { sites: calibrationSites(raw), samples: 128 });
    const params = methodParams(raw, cal, options, () => {});
    const norm = { method: "ecc", encoding: "current" as const, seed: 1, timesteps: T };
    const plain = normalise(raw, params, norm);
    const result = calibrateBiases(raw, params, data, norm, 64, 1);
    expect(result.meanShift).to.have.length(1);
    expect(result.meanShift[0] as number).to.be.above(0);
    const x = images(64, 99);
    const before = logitError(graph, plain, x, 64, T);
    const after = logitError(graph, result.snn, x, 64, T);
    if (process.env.SHOW) console.log(before, after);
    expect(after).to.be.below(before * 0.8);
  });

  it("auto reports the per-channel and calibrated candidates it measured, keeps the closest, and each stage can be switched off", function () {
    this.timeout(240_000);
    const ctx = { calibration: data, calibrationSamples: 128, warn: () => {} };
    const on = convert(graph, { ...DEFAULT_CONVERT_OPTIONS, method: "ecc", timesteps: T }, ctx);
    const tried = on.normalisation?.tried ?? [];
    expect(tried.map((t) => t.label)).to.have.length(5);
    const firstBest = tried.slice(0, 3).reduce((a, b) => (b.disagreements < a.disagreements || (b.disagreements === a.disagreements && b.scoreError < a.scoreError) ? b : a));
    expect(tried[3]?.label).to.equal(`${firstBest.label} per channel`);
    expect(tried[4]?.label).to.match(/\+ bias calibration$/);
    // The chosen network is the closest one measured: no tried candidate has fewer disagreements, or as few
    // and a smaller score error.
    const chosen = tried.find((t) => t.label === on.normalisation?.chosen);
    expect(chosen).to.not.equal(undefined);
    for (const t of tried) expect(t.disagreements < (chosen?.disagreements ?? 0) || (t.disagreements === chosen?.disagreements && t.scoreError < chosen.scoreError)).to.equal(false);
    const off = convert(graph, { ...DEFAULT_CONVERT_OPTIONS, method: "ecc", timesteps: T, biasCalibration: false }, ctx);
    expect(off.normalisation?.tried).to.have.length(4);
    const perChannel = convert(graph, { ...DEFAULT_CONVERT_OPTIONS, method: "ecc", timesteps: T, perChannel: true, biasCalibration: false }, ctx);
    expect(perChannel.normalisation?.tried).to.have.length(3);
  });
});

describe("bias calibration against the layer-by-layer reference", function () {
  this.timeout(60_000);
  const T = 6;
  const norm = (encoding: "current" | "poisson") => ({ method: "ecc", encoding, seed: 3, timesteps: T });

  function same(graph: AnnGraph, data: Dataset, lower: { maxPoolAsAverage: boolean; foldPooling: boolean }, encoding: "current" | "poisson", samples: number, rounds: number): void {
    const raw = lowerAnn(graph, lower, () => {});
    const cal = calibrate(raw.calibrationGraph, data, { sites: calibrationSites(raw), samples: data.count });
    const params = methodParams(raw, cal, { ...DEFAULT_CONVERT_OPTIONS, method: "ecc", percentile: 99, timesteps: T }, () => {});
    const got = calibrateBiases(raw, params, data, norm(encoding), samples, rounds);
    const want = calibrateBiasesReference(raw, params, data, norm(encoding), samples, rounds);
    expect(got.meanShift).to.deep.equal(want.meanShift);
    expect(want.meanShift[0] as number).to.be.above(0);
    got.raw.pops.forEach((p, i) => expect(p.bias ? Array.from(p.bias) : null, p.name).to.deep.equal(want.raw.pops[i]?.bias ? Array.from(want.raw.pops[i]?.bias as Float32Array) : null));
    expect(got.snn).to.deep.equal(want.snn);
  }

  it("residual net, two rounds, samples in two batches", async () => {
    const graph = await importModel(saveOnnx(encodeModel(residualModel())));
    const data: Dataset = { images: images(66, 11), labels: null, count: 66, sampleShape: [6, 6, 1], source: "test" };
    same(graph, data, { maxPoolAsAverage: true, foldPooling: false }, "current", 66, 2);
  });

  for (const pool of ["average", "max"] as const) {
    it(`conv net with ${pool} pooling, current and Poisson input`, async () => {
      const graph = await importModel((await smallConvModel(5, `bc-${pool}`, pool)).model);
      const data: Dataset = { images: images(40, 12), labels: null, count: 40, sampleShape: [6, 6, 1], source: "test" };
      same(graph, data, { maxPoolAsAverage: false, foldPooling: false }, "current", 40, 1);
      same(graph, data, { maxPoolAsAverage: false, foldPooling: false }, "poisson", 40, 1);
    });
  }
});
