/**
 * ViT training helpers (examples/train/train-vit.ts): the augmentations, the smoothed targets, the weight EMA,
 * the learning-rate schedule, and soup-vit.ts's weight average, on hand-computed cases (no training run).
 */
import { expect } from "chai";
import type * as tfTypes from "@tensorflow/tfjs";
import { loadTf } from "../../compiler/tfjs/backend.ts";
import { averageWeights } from "../../examples/train/soup-vit.ts";
import { emaStep, flipImage, shiftImage, smoothedTarget, vitLearningRate } from "../../examples/train/train-vit.ts";

/** A 28×28 image whose pixel (x, y) holds 1 + x + 28·y. */
function ramp(): Float32Array {
  return Float32Array.from({ length: 28 * 28 }, (_, i) => 1 + i);
}

describe("train-vit helpers", () => {
  it("flipImage mirrors each row left-right; twice is the identity", () => {
    const src = ramp();
    const dst = new Float32Array(28 * 28);
    flipImage(src, dst);
    expect(dst[0]).to.equal(28); // (0,0) takes (27,0)
    expect(dst[27]).to.equal(1);
    expect(dst[5 * 28 + 3]).to.equal(1 + 24 + 5 * 28); // (3,5) takes (24,5)
    const back = new Float32Array(28 * 28);
    flipImage(dst, back);
    expect(Array.from(back)).to.deep.equal(Array.from(src));
  });

  it("shiftImage moves by (dx, dy) with zero fill", () => {
    const src = ramp();
    const dst = new Float32Array(28 * 28);
    shiftImage(src, dst, 1, -2);
    expect(dst[0]).to.equal(0); // x = 0 comes from x = -1
    expect(dst[1]).to.equal(1 + 0 + 2 * 28); // (1,0) takes (0,2)
    expect(dst[26 * 28 + 5]).to.equal(0); // y = 26 comes from y = 28
  });

  it("smoothedTarget puts 1 − ε + ε/10 on the label, ε/10 elsewhere, summing to 1", () => {
    const y = new Float32Array(20);
    smoothedTarget(y, 10, 3, 0.1);
    expect(Array.from(y.subarray(0, 10))).to.deep.equal(new Array(10).fill(0));
    expect(y[13]).to.be.closeTo(0.91, 1e-7);
    expect(y[10]).to.be.closeTo(0.01, 1e-7);
    expect(y.subarray(10).reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-6);
    smoothedTarget(y, 0, 9, 0);
    expect(Array.from(y.subarray(0, 10))).to.deep.equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it("emaStep computes decay·ema + (1 − decay)·w and frees the old averages", async () => {
    const tf = await loadTf();
    const before = tf.memory().numTensors;
    let ema: tfTypes.Tensor[] = [tf.tensor1d([1, 2]), tf.tensor2d([[4]])];
    const w = [tf.tensor1d([3, -2]), tf.tensor2d([[0]])];
    ema = emaStep(tf, ema, w, 0.75);
    expect(Array.from(ema[0]?.dataSync() ?? [])).to.deep.equal([1.5, 1]);
    expect(Array.from(ema[1]?.dataSync() ?? [])).to.deep.equal([3]);
    expect(tf.memory().numTensors).to.equal(before + 4);
    tf.dispose([...ema, ...w]);
  });

  it("vitLearningRate: linear warm-up to the peak, then cosine to 1e-5 at the last step", () => {
    expect(vitLearningRate(0, 100, 10, 2e-4)).to.be.closeTo(2e-5, 1e-12);
    expect(vitLearningRate(9, 100, 10, 2e-4)).to.be.closeTo(2e-4, 1e-12);
    expect(vitLearningRate(10, 100, 10, 2e-4)).to.be.closeTo(2e-4, 1e-12);
    expect(vitLearningRate(99, 100, 10, 2e-4)).to.be.closeTo(1e-5, 1e-12);
    expect(vitLearningRate(10 + 89 / 2, 100, 10, 2e-4)).to.be.closeTo(1e-5 + 0.5 * (2e-4 - 1e-5), 1e-12);
  });
});

describe("soup-vit averageWeights", () => {
  it("averages element-wise and refuses mismatched shapes", async () => {
    const tf = await loadTf();
    const a = [tf.tensor1d([1, 2]), tf.tensor2d([[3]])];
    const b = [tf.tensor1d([3, 6]), tf.tensor2d([[-3]])];
    const c = [tf.tensor1d([2, 1]), tf.tensor2d([[0]])];
    const avg = averageWeights(tf, [a, b, c]);
    expect(Array.from(avg[0]?.dataSync() ?? [])).to.deep.equal([2, 3]);
    expect(Array.from(avg[1]?.dataSync() ?? [])).to.deep.equal([0]);
    const bad = [tf.tensor1d([1, 2, 3]), tf.tensor2d([[0]])];
    expect(() => averageWeights(tf, [a, bad])).to.throw(/weight 0/);
    tf.dispose([...a, ...b, ...c, ...avg, ...bad]);
  });
});
