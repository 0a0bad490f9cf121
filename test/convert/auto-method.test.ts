/**
 * `auto` choosing the method (convert/select.ts, options.tryMt): on a target with graded spikes and no --method,
 * the mt network (multi-threshold neurons) is measured with ecc's candidates and kept only when it is closer to
 * the ANN; without graded spikes (loihi), or with an explicit --method, mt is never tried. A tiny BN-folded
 * residual network (test/helpers/onnx-models.ts) at small T, where rate-coded ecc loses most.
 */
import { expect } from "chai";
import { convert, convertWith } from "../../compiler/convert/index.ts";
import { DEFAULT_CONVERT_OPTIONS } from "../../compiler/convert/methods.ts";
import { MT_LABEL } from "../../compiler/convert/select.ts";
import type { Dataset } from "../../compiler/data/dataset.ts";
import { importModel } from "../../compiler/import/index.ts";
import { triesMt } from "../../compiler/passes/front.ts";
import { simulateMany } from "../../compiler/simulate/parallel.ts";
import { loadTarget } from "../../compiler/target/load.ts";
import { seededRng } from "../../compiler/util/rng.ts";
import { encodeModel, residualModel, saveOnnx } from "../helpers/onnx-models.ts";
import { methodLine } from "../../compiler/cli/compile.ts";
import type { Report } from "../../compiler/report/build.ts";
import { request } from "../helpers/compile.ts";

/** Sample i: one column phase of four lit at a random brightness, the rest dim noise (the ANN's classes vary). */
function images(count: number, seed: number): Float32Array {
  const rng = seededRng(seed);
  const img = new Float32Array(count * 36);
  for (let i = 0; i < count; i++) {
    const g = rng() * 2;
    const m = Math.floor(rng() * 4);
    for (let j = 0; j < 36; j++) img[i * 36 + j] = (j + m) % 4 === 0 ? g : 0.2 * rng();
  }
  return img;
}

const closer = (a: { disagreements: number; scoreError: number }, b: { disagreements: number; scoreError: number }) =>
  a.disagreements < b.disagreements || (a.disagreements === b.disagreements && a.scoreError < b.scoreError);

describe("auto chooses the method on graded-spike targets", function () {
  this.timeout(60_000);
  const calibration: Dataset = { images: images(64, 11), labels: null, count: 64, sampleShape: [6, 6, 1], source: "test" };
  const ctx = { calibration, calibrationSamples: 64, warn: () => {} };
  let graph: Awaited<ReturnType<typeof importModel>>;
  before(async () => {
    // 13 spiking layers (stem + 6 basic blocks): deep enough for the rate code's lag to cost at T = 16.
    graph = await importModel(saveOnnx(encodeModel(residualModel(4, 6))));
  });

  const options = { ...DEFAULT_CONVERT_OPTIONS, method: "ecc" as const, timesteps: 16, tryMt: true };
  let conv: ReturnType<typeof convert>;

  it("keeps mt on a deep residual network at T = 16, where it measures closer to the ANN than every ecc network", () => {
    conv = convert(graph, options, ctx);
    const auto = conv.normalisation;
    expect(auto?.methods).to.deep.equal(["ecc", "mt"]);
    const mt = auto?.tried.find((t) => t.label === MT_LABEL);
    const ecc = auto?.tried.filter((t) => t.label !== MT_LABEL) ?? [];
    expect(ecc).to.have.length(5);
    // Measured on this network (64 samples): mt 3 disagreements, the best ecc network 13.
    for (const e of ecc) expect(mt && closer(mt, e), e.label).to.equal(true);
    expect(auto?.method).to.equal("mt");
    expect(auto?.chosen).to.equal(MT_LABEL);
    expect(conv.snn.method).to.equal("mt");
    expect(conv.snn.populations.some((p) => p.neuron.kind === "mt")).to.equal(true);
  });

  it("over worker threads: mt runs in the candidates' simulate call (no extra call), with the same choice and network", async () => {
    const calls: number[] = [];
    const many = await convertWith(graph, options, ctx, (snns, images, n, t, ranges) => {
      calls.push(snns.length);
      return simulateMany(snns, images, n, t, 2, ranges);
    });
    expect(calls).to.deep.equal([4, 1, 1]);
    expect(many.normalisation?.tried).to.deep.equal(conv.normalisation?.tried);
    expect(many.normalisation?.method).to.equal("mt");
    expect(many.snn).to.deep.equal(conv.snn);
  });

  it("never tries mt without tryMt (a target without graded spikes, or an explicit --method)", () => {
    const auto = convert(graph, { ...DEFAULT_CONVERT_OPTIONS, method: "ecc", timesteps: 16, biasCalibration: false }, ctx).normalisation;
    expect(auto?.methods).to.deep.equal(["ecc"]);
    expect(auto?.method).to.equal("ecc");
    expect(auto?.tried.map((t) => t.label)).to.not.include(MT_LABEL);
    expect(auto?.snn.populations.some((p) => p.neuron.kind === "mt")).to.equal(false);
  });

  it("the compile tries mt only with no --method on a target with graded spikes", () => {
    const given = request("m.onnx", "loihi2");
    const auto = { ...given, autoMethod: true };
    expect(loadTarget("loihi2").neuron.gradedSpikes.supported).to.equal(true);
    expect(loadTarget("loihi").neuron.gradedSpikes.supported).to.equal(false);
    expect(triesMt(auto, loadTarget("loihi2"))).to.equal(true);
    expect(triesMt(auto, loadTarget("loihi"))).to.equal(false);
    expect(triesMt(given, loadTarget("loihi2"))).to.equal(false);
    expect(triesMt({ ...auto, percentile: 99.9 }, loadTarget("loihi2"))).to.equal(false);
  });

  it("the CLI method line names auto's choice of method", () => {
    const tried = [{ label: "percentile 99.9", disagreements: 3, scoreError: 0.1 }, { label: MT_LABEL, disagreements: 1, scoreError: 0.1 }];
    const conversion = (chosen: string, method: string) => ({ normalisation: { chosen, samples: 128, tried }, method: { chosen: method, methods: ["ecc", "mt"], samples: 128 } }) as unknown as Report["conversion"];
    const ecc = { method: "ecc" as const };
    expect(methodLine({ method: "mt", conversion: conversion(MT_LABEL, "mt") }, ecc)).to.equal("method mt (auto chose it over ecc's networks on 128 calibration samples: closer to the ANN)");
    expect(methodLine({ method: "ecc", conversion: conversion("percentile 99.9", "ecc") }, ecc)).to.equal("method ecc (thresholds: auto chose percentile 99.9 on 128 calibration samples; mt measured, not kept)");
    const loihi = { normalisation: { chosen: "percentile 99.9", samples: 128, tried } } as unknown as Report["conversion"];
    expect(methodLine({ method: "ecc", conversion: loihi }, ecc)).to.equal("method ecc (thresholds: auto chose percentile 99.9 on 128 calibration samples)");
  });
});
