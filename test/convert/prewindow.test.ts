/**
 * Pre-window bias (convert/normalise.ts): a neuron integrates its bias from step 0 but its input arrives at its
 * depth. On a small ONNX residual network of the shape torch.onnx.export writes (Conv, BatchNormalization with
 * negative shifts, Relu, identity Adds, GlobalAveragePool, Gemm), no spiking neuron may fire before its window
 * and the charge at the window's end must be v0 + T·bias. The old rule vInit = v0 − depth·bias put deep neurons
 * with negative BN shifts above threshold at step 0 (ResNet-20 from ONNX: 11% at T = 32).
 */
import { expect } from "chai";
import { convert } from "../../compiler/convert/index.ts";
import { DEFAULT_CONVERT_OPTIONS } from "../../compiler/convert/methods.ts";
import type { Dataset } from "../../compiler/data/dataset.ts";
import { importModel } from "../../compiler/import/index.ts";
import { runAnn } from "../../compiler/interp/ann-float.ts";
import { simulateFloat } from "../../compiler/simulate/float-snn.ts";
import { seededRng } from "../../compiler/util/rng.ts";
import { encodeModel, residualModel, saveOnnx } from "../helpers/onnx-models.ts";

function images(count: number, seed: number): Float32Array {
  const rng = seededRng(seed);
  return Float32Array.from({ length: count * 36 }, () => rng());
}

describe("pre-window bias on a deep BN-folded residual network (ONNX)", function () {
  this.timeout(60_000);
  const T = 32;
  let conv: ReturnType<typeof convert>;
  let graph: Awaited<ReturnType<typeof importModel>>;
  before(async () => {
    graph = await importModel(saveOnnx(encodeModel(residualModel())));
    const calibration: Dataset = { images: images(64, 7), labels: null, count: 64, sampleShape: [6, 6, 1], source: "test" };
    conv = convert(graph, { ...DEFAULT_CONVERT_OPTIONS, method: "ecc", percentile: 100, timesteps: T }, { calibration, calibrationSamples: 64, warn: () => {} });
  });

  it("has deep neurons with negative biases (the case under test)", () => {
    const deepNegative = conv.snn.populations.filter((p) => p.neuron.kind === "if" && p.depth >= 4 && p.bias?.some((b) => b < 0));
    expect(deepNegative.length).to.be.at.least(4);
  });

  it("no spiking neuron reaches its threshold from its bias alone before its window", () => {
    for (const p of conv.snn.populations) {
      if (p.neuron.kind !== "if" || !p.bias) continue;
      for (let c = 0; c < p.shape[2]; c++) {
        let v = p.vInit[c] as number;
        for (let k = 0; k < p.depth; k++) {
          v += p.bias[c] as number;
          expect(v, `${p.name} channel ${c} step ${k}`).to.be.below(1);
        }
      }
    }
  });

  it("the charge at the window's end is v0 + T·bias (bias in thresholds of the population)", () => {
    for (const p of conv.snn.populations) {
      if (p.neuron.kind !== "if" || !p.bias) continue;
      const raw = conv.raw.pops.find((r) => r.name === p.name);
      if (!raw?.bias) continue;
      for (let c = 0; c < p.shape[2]; c++) {
        const want = 0.5 + (T * (raw.bias[c] as number)) / (p.threshold[c % p.threshold.length] as number);
        const got = (p.vInit[c] as number) + (T + p.depth) * (p.bias[c] as number);
        expect(got, `${p.name} channel ${c}`).to.be.closeTo(want, 1e-4);
      }
    }
  });

  it("the float SNN at T = 32 follows the ANN's logits", () => {
    const n = 32;
    const x = images(n, 11);
    const ann = runAnn(graph, x, n).get(graph.outputs[0] as string) as Float32Array;
    const snn = simulateFloat(conv.snn, x, n, { timesteps: [T] }).scores.get(T) as Float32Array;
    const out = conv.snn.populations[conv.snn.output];
    const scale = (out?.threshold[0] ?? 1) / T;
    let num = 0;
    let den = 0;
    for (let i = 0; i < ann.length; i++) {
      num += ((snn[i] as number) * scale - (ann[i] as number)) ** 2;
      den += (ann[i] as number) ** 2;
    }
    // Measured: 0.061 with the fix, 0.120 with the old pre-charge.
    expect(Math.sqrt(num / den)).to.be.below(0.09);
  });
});
