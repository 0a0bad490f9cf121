/**
 * @fileoverview Fine-tunes the two conversion-friendly variants of the example CNN and writes them to
 * examples/fashion-mnist/cnn-rnl/ and examples/fashion-mnist/cnn-qcfs/.
 *
 *   npx tsx examples/train/variants.ts [--variant rnl|qcfs|all] [--levels L] [--epochs N] [--seed S]
 *                                      [--batch-size B] [--stage2-steps N] [--out DIR] [--limit-batches N]
 *
 * Architecture: the baseline CNN (models.ts `cnn`) with its fused ReLUs split out into activation layers:
 *   conv1 (linear) → act1 → pool1 → conv2 (linear) → act2 → pool2 → flatten → fc1 (linear) → act3 → dropout
 *   → fc2 (softmax), where act is RateNorm (cnn-rnl) or QCFS (cnn-qcfs), see ./custom-layers.ts.
 *
 * Both start from the trained baseline examples/fashion-mnist/cnn (conv/dense weights copied by layer name)
 * and are fine-tuned for a few epochs, seeded like train.ts (mulberry32 shuffle and per-batch Dropout seeds,
 * trainOnBatch, Adam with a cosine-decayed learning rate, categorical cross-entropy). The activation layers
 * are initialised from the baseline's ReLU activations on the first INIT_IMAGES training images:
 *   - QCFS (L = 8 by default, see DEFAULT_LEVELS): λ of each layer = the 99th percentile of the positive
 *     activations of the baseline ReLU it replaces (then learned together with the weights).
 *   - RateNorm: running_max = the mean batch maximum (the fixed point of its momentum update), scale = 10.
 *     RateNorm divides by θ ≈ running_max, so the kernel of the layer after each RateNorm is multiplied by that
 *     layer's initial θ: the initialised variant then computes what the baseline does (up to the clip at θ).
 *
 * RNL is trained in the paper's two stages, simplified:
 *   stage 1: the weights with the task loss, scale held fixed (the RateNorm layers not trainable), running_max
 *            tracking the batch maximum;
 *   stage 2: running_max and all weights frozen; only the scales are trained, for --stage2-steps batches,
 *            with the rate inference loss  L = (1 − cos(ANN_out, proxy)) + λ·k̄,  λ = 0.1, where ANN_out is the
 *            logits (fc2 before softmax) of the stage-1 network (θ held at its stage-1 values) and proxy the
 *            logits of the same network with the scales being trained; k̄ is the mean, over the RateNorm
 *            outputs a and the last layer's relu(logits)/max(logits), of k = Σa / (Σa² + 1e-5) (the reference
 *            implementation's estimate of the fit curve's slope: k = 1 when every active rate saturates).
 *            Simplifications: one stage-2 pass of fixed length, Dropout off in both passes, no checkpoint
 *            selection on accuracy; scales restart at STAGE2_SCALE_INIT = 4 (sigmoid 0.982, as the reference
 *            code's default) because at 10 the sigmoid's slope (4.5e-5) leaves almost no gradient.
 *
 * Output per variant: model.json + weights.bin (saveLayersModel; class names RateNorm / QCFS) and training.json
 * (the baseline's fields plus the variant's hyperparameters and the learned θ / λ per layer; accuracy on all
 * 10,000 test images by tfjs predict, re-checked on the reloaded files).
 */
import { realpathSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type * as tfTypes from "@tensorflow/tfjs";
import { loadTf } from "../../compiler/tfjs/backend.ts";
import { loadLayersModel, saveLayersModel } from "../../compiler/tfjs/io.ts";
import { type CustomLayers, QCFS_SHIFT, RATE_NORM_EPSILON, RATE_NORM_MOMENTUM, RATE_NORM_SCALE_INIT, type QcfsLayer, type RateNormLayer, registerCustomLayers } from "./custom-layers.ts";
import { type FashionMnist, loadFashionMnist } from "./fashion.ts";
import { INPUT_SHAPE } from "./models.ts";
import { countCorrect, DEFAULT_BATCH, DEFAULT_SEED, mulberry32, shuffled, trainEpoch } from "./train.ts";
import { registeredKernels, registerWasmGradients } from "./wasm-grad.ts";

type Tf = typeof import("@tensorflow/tfjs");
type Tensor = tfTypes.Tensor;
type LayersModel = tfTypes.LayersModel;

export const VARIANTS = ["rnl", "qcfs"] as const;
export type Variant = (typeof VARIANTS)[number];

/** Fine-tuning epochs (stage 1 for RNL). */
export const DEFAULT_EPOCHS = 4;
/**
 * QCFS quantisation levels L. Both recommended values were tried (seed 1, 4 epochs): L = 4 reached 9121/10000
 * (ANN) and L = 8 9185/10000; converted with the compiler (method qcfs, 1,000 calibration images) and run in the
 * float SNN simulator at T = 8 on the first 1,000 test images, L = 8 also lost less (ANN 92.0% → SNN 90.0%,
 * against 91.5% → 86.6% for L = 4), so L = 8 is the default.
 */
export const DEFAULT_LEVELS = 8;
/** RNL stage-2 batches (one epoch of 60,000 / 64). */
export const DEFAULT_STAGE2_STEPS = 938;
const LR = 5e-4;
const LR_MIN = 2e-5;
const STAGE2_LR = 0.01;
const STAGE2_LAMBDA = 0.1;
const STAGE2_SCALE_INIT = 4;
const QCFS_PERCENTILE = 99;
/** Training images the activation statistics for the initialisation come from (the first ones). */
const INIT_IMAGES = 4096;
/** Of those, the images whose activations are pooled for the QCFS percentile. */
const PERCENTILE_IMAGES = 1024;
const PIXELS = 28 * 28;
const ACT_LAYERS = ["act1", "act2", "act3"] as const;
/** The baseline layer whose (fused) ReLU each activation layer replaces. */
const REPLACES: Record<(typeof ACT_LAYERS)[number], string> = { act1: "conv1", act2: "conv2", act3: "fc1" };
/** The layer whose kernel reads each activation layer's output (pool/flatten in between are linear). */
const CONSUMER: Record<(typeof ACT_LAYERS)[number], string> = { act1: "conv2", act2: "fc1", act3: "fc2" };
const EXAMPLES_DIR = fileURLToPath(new URL("../fashion-mnist/", import.meta.url));
const BASELINE = join(EXAMPLES_DIR, "cnn", "model.json");

/** Learning rate for epoch `e` (0-based) of `epochs`: cosine from LR down to LR_MIN at the last epoch. */
export function fineTuneLearningRate(e: number, epochs: number): number {
  if (epochs <= 1) return LR;
  return LR_MIN + 0.5 * (LR - LR_MIN) * (1 + Math.cos((Math.PI * e) / (epochs - 1)));
}

/** Per activation layer: the activation statistics of the baseline ReLU it replaces. */
interface ActivationStats {
  /** Mean over batches of 64 of the batch maximum. */
  readonly meanBatchMax: number;
  /** QCFS_PERCENTILE-th percentile of the positive activations. */
  readonly percentile: number;
}

function baselineStats(tf: Tf, baseline: LayersModel, images: Float32Array): Record<(typeof ACT_LAYERS)[number], ActivationStats> {
  const outputs = ACT_LAYERS.map((a) => baseline.getLayer(REPLACES[a]).output as tfTypes.SymbolicTensor);
  const probe = tf.model({ inputs: baseline.inputs, outputs });
  const batch = 64;
  const maxima: number[][] = ACT_LAYERS.map(() => []);
  // Positive activations of the first PERCENTILE_IMAGES images, packed at the front of one buffer per layer.
  const sizes = outputs.map((o) => o.shape.slice(1).reduce<number>((p, d) => p * (d ?? 1), 1));
  const positives = sizes.map((n) => new Float32Array(n * PERCENTILE_IMAGES));
  const filled = sizes.map(() => 0);
  for (let start = 0; start + batch <= INIT_IMAGES; start += batch) {
    const keepValues = start < PERCENTILE_IMAGES;
    let acts: { max: number; values: Float32Array | null }[] = [];
    tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(start * PIXELS, (start + batch) * PIXELS), [batch, 28, 28, 1]);
      acts = (probe.predict(x) as Tensor[]).map((t) => ({ max: t.max().dataSync()[0] ?? 0, values: keepValues ? (t.dataSync() as Float32Array) : null }));
    });
    acts.forEach(({ max, values }, i) => {
      maxima[i]?.push(max);
      const buf = positives[i];
      if (values === null || buf === undefined) return;
      let f = filled[i] ?? 0;
      for (let j = 0; j < values.length; j++) {
        const v = values[j] as number;
        if (v > 0) buf[f++] = v;
      }
      filled[i] = f;
    });
  }
  const stats = ACT_LAYERS.map((_, i) => {
    const mx = maxima[i] ?? [];
    const pos = (positives[i] ?? new Float32Array(0)).subarray(0, filled[i] ?? 0).sort();
    const at = Math.min(pos.length - 1, Math.max(0, Math.ceil((QCFS_PERCENTILE / 100) * pos.length) - 1));
    return { meanBatchMax: mx.reduce((s, v) => s + v, 0) / mx.length, percentile: pos[at] ?? 1 };
  });
  return Object.fromEntries(ACT_LAYERS.map((a, i) => [a, stats[i]])) as Record<(typeof ACT_LAYERS)[number], ActivationStats>;
}

/** The baseline CNN with separate activation layers `act1..act3` built by `act`. */
function variantModel(tf: Tf, name: string, act: (layer: (typeof ACT_LAYERS)[number]) => tfTypes.layers.Layer): LayersModel {
  return tf.sequential({
    name,
    layers: [
      tf.layers.conv2d({ name: "conv1", inputShape: [...INPUT_SHAPE], filters: 16, kernelSize: 3, padding: "same", activation: "linear" }),
      act("act1"),
      tf.layers.averagePooling2d({ name: "pool1", poolSize: 2 }),
      tf.layers.conv2d({ name: "conv2", filters: 32, kernelSize: 3, padding: "same", activation: "linear" }),
      act("act2"),
      tf.layers.averagePooling2d({ name: "pool2", poolSize: 2 }),
      tf.layers.flatten({ name: "flatten" }),
      tf.layers.dense({ name: "fc1", units: 128, activation: "linear" }),
      act("act3"),
      tf.layers.dropout({ name: "dropout", rate: 0.25 }),
      tf.layers.dense({ name: "fc2", units: 10, activation: "softmax" }),
    ],
  });
}

/** Copies conv1/conv2/fc1/fc2 from the baseline; `kernelScale[layer]` multiplies that layer's kernel. */
function copyBaselineWeights(tf: Tf, baseline: LayersModel, model: LayersModel, kernelScale: Record<string, number>): void {
  for (const name of ["conv1", "conv2", "fc1", "fc2"]) {
    const [kernel, bias] = baseline.getLayer(name).getWeights();
    if (kernel === undefined || bias === undefined) throw new Error(`baseline layer ${name}: expected kernel and bias`);
    const k = kernelScale[name];
    const scaled = k === undefined ? kernel : tf.mul(kernel, k);
    model.getLayer(name).setWeights([scaled, bias]);
    // getWeights returns the baseline's variables themselves (not copies): dispose only what we made.
    if (scaled !== kernel) scaled.dispose();
  }
}

const rounded = (v: number, digits = 6): number => Number(v.toPrecision(digits));

/** θ of each RateNorm layer or λ of each QCFS layer. */
function activationParams(model: LayersModel, variant: Variant): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const a of ACT_LAYERS) {
    const layer = model.getLayer(a);
    if (variant === "rnl") {
      const rn = layer as unknown as RateNormLayer;
      const runningMax = rn.runningMaxVar.read().dataSync()[0] ?? NaN;
      const scale = rn.scaleVar.read().dataSync()[0] ?? NaN;
      out[a] = { theta: rounded(rn.theta()), runningMax: rounded(runningMax), scale: rounded(scale), sigmoidScale: rounded(1 / (1 + Math.exp(-scale))) };
    } else {
      out[a] = { lambda: rounded((layer as unknown as QcfsLayer).lambdaVar.read().dataSync()[0] ?? NaN) };
    }
  }
  return out;
}

interface EpochLog {
  readonly epoch: number;
  readonly stage?: number;
  readonly learningRate: number;
  readonly loss: number;
  readonly accuracy?: number;
  readonly cosineLoss?: number;
  readonly meanK?: number;
  readonly testAccuracy: number;
  readonly seconds: number;
  readonly activations: Record<string, Record<string, number>>;
}

interface VariantOptions {
  readonly epochs: number;
  readonly seed: number;
  readonly batchSize: number;
  readonly levels: number;
  readonly stage2Steps: number;
  readonly outDir: string;
  readonly limitBatches: number | null;
}

/** Logits (fc2 before its softmax) of the RNL model at inference; `thetas` replaces the RateNorm θs when given. */
function rnlLogits(tf: Tf, model: LayersModel, x: Tensor, thetas: readonly number[] | null): { logits: Tensor; rates: Tensor[] } {
  let h = x;
  const rates: Tensor[] = [];
  let logits: Tensor | null = null;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === "RateNorm") {
      const theta = thetas?.[rates.length];
      h = theta === undefined ? (layer.apply(h) as Tensor) : tf.clipByValue(tf.div(tf.relu(h), theta), 0, 1);
      rates.push(h);
    } else if (layer.name === "fc2") {
      const [kernel, bias] = layer.trainableWeights.map((w) => w.read());
      if (kernel === undefined || bias === undefined) throw new Error("fc2: expected kernel and bias");
      logits = tf.add(tf.matMul(h as tfTypes.Tensor2D, kernel as tfTypes.Tensor2D), bias);
    } else if (cls !== "Dropout") {
      h = layer.apply(h) as Tensor;
    }
  }
  if (logits === null) throw new Error("no fc2 layer");
  return { logits, rates };
}

/** The reference implementation's k of a tensor of rates: Σa / (‖a‖² + 1e-5). */
function kOf(tf: Tf, a: Tensor): Tensor {
  return tf.div(tf.sum(a), tf.add(tf.sum(tf.square(a)), 1e-5));
}

/** RNL stage 2: trains only the scales with the rate inference loss. Returns the epoch log entry. */
async function rnlStage2(tf: Tf, model: LayersModel, data: FashionMnist, rand: () => number, opts: VariantOptions, epoch: number): Promise<EpochLog> {
  const te = performance.now();
  const layers = ACT_LAYERS.map((a) => model.getLayer(a) as unknown as RateNormLayer);
  const teacherThetas = layers.map((l) => l.theta());
  for (const l of layers) {
    l.frozen = true;
    tf.tidy(() => {
      l.scaleVar.write(tf.scalar(STAGE2_SCALE_INIT));
    });
  }
  const vars = layers.map((l) => l.scaleVar.read() as tfTypes.Variable);
  const optimizer = tf.train.adam(STAGE2_LR);
  const { train } = data;
  const order = shuffled(train.count, rand);
  let steps = Math.min(opts.stage2Steps, Math.ceil(train.count / opts.batchSize));
  if (opts.limitBatches !== null) steps = Math.min(steps, opts.limitBatches);
  const xBuf = new Float32Array(opts.batchSize * PIXELS);
  let lossSum = 0;
  let cosSum = 0;
  let kSum = 0;
  for (let b = 0; b < steps; b++) {
    const start = b * opts.batchSize;
    const n = Math.min(opts.batchSize, train.count - start);
    for (let i = 0; i < n; i++) {
      const k = order[start + i] ?? 0;
      xBuf.set(train.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    }
    const x = tf.tensor4d(xBuf.subarray(0, n * PIXELS), [n, 28, 28, 1]);
    const teacher = tf.tidy(() => rnlLogits(tf, model, x, teacherThetas).logits);
    let cosLoss = 0;
    let meanK = 0;
    const loss = optimizer.minimize(
      () => {
        const { logits, rates } = rnlLogits(tf, model, x, null);
        const dot = tf.sum(tf.mul(teacher, logits), -1);
        const norms = tf.maximum(tf.mul(tf.norm(teacher, "euclidean", -1), tf.norm(logits, "euclidean", -1)), 1e-6);
        const cos = tf.sub(1, tf.mean(tf.div(dot, norms)));
        const last = tf.div(tf.relu(logits), tf.max(logits));
        const ks = [...rates.map((r) => kOf(tf, r)), kOf(tf, last)];
        const kbar = tf.div(tf.addN(ks), ks.length);
        cosLoss = cos.dataSync()[0] ?? NaN;
        meanK = kbar.dataSync()[0] ?? NaN;
        return tf.add(cos, tf.mul(kbar, STAGE2_LAMBDA)) as tfTypes.Scalar;
      },
      true,
      vars,
    );
    lossSum += (loss?.dataSync()[0] ?? NaN) * n;
    cosSum += cosLoss * n;
    kSum += meanK * n;
    loss?.dispose();
    x.dispose();
    teacher.dispose();
    if ((b + 1) % 200 === 0) {
      const seen = start + n;
      const thetas = layers.map((l) => l.theta().toFixed(3)).join(", ");
      console.log(`  stage 2 batch ${b + 1}/${steps}  loss ${(lossSum / seen).toFixed(4)}  1-cos ${(cosSum / seen).toFixed(4)}  k ${(kSum / seen).toFixed(4)}  θ [${thetas}]`);
    }
  }
  optimizer.dispose();
  for (const l of layers) l.frozen = false;
  const seen = Math.min(steps * opts.batchSize, train.count);
  const correct = countCorrect(tf, model, data.test);
  return {
    epoch,
    stage: 2,
    learningRate: STAGE2_LR,
    loss: lossSum / seen,
    cosineLoss: cosSum / seen,
    meanK: kSum / seen,
    testAccuracy: correct / data.test.count,
    seconds: (performance.now() - te) / 1000,
    activations: activationParams(model, "rnl"),
  };
}

async function trainVariant(tf: Tf, layers: CustomLayers, variant: Variant, data: FashionMnist, opts: VariantOptions): Promise<void> {
  const { epochs, seed, batchSize } = opts;
  const dirName = `cnn-${variant}`;
  const rand = mulberry32(seed);
  const baseline = await loadLayersModel(BASELINE);
  const stats = baselineStats(tf, baseline, data.train.images);

  // Activation layers and the weight copy.
  const kernelScale: Record<string, number> = {};
  const init: Record<string, Record<string, number>> = {};
  const model = variantModel(tf, dirName.replace("-", "_"), (a) => {
    const s = stats[a];
    if (variant === "rnl") {
      const theta = s.meanBatchMax / (1 + Math.exp(-RATE_NORM_SCALE_INIT)) + RATE_NORM_EPSILON;
      kernelScale[CONSUMER[a]] = theta;
      init[a] = { runningMax: rounded(s.meanBatchMax), scale: RATE_NORM_SCALE_INIT, theta: rounded(theta), consumerKernelScale: rounded(theta) };
      return new layers.RateNorm({ name: a, runningMaxInit: s.meanBatchMax });
    }
    init[a] = { lambda: rounded(s.percentile), baselineMeanBatchMax: rounded(s.meanBatchMax) };
    return new layers.QCFS({ name: a, levels: opts.levels, shift: QCFS_SHIFT, lambdaInit: s.percentile });
  });
  copyBaselineWeights(tf, baseline, model, kernelScale);
  const baselineCorrect = countCorrect(tf, baseline, data.test);
  baseline.dispose();

  // RNL stage 1 keeps the scales fixed. Marking the variable non-trainable is not enough (Sequential.compile
  // rebuilds its inner model, which re-marks every weight trainable); a non-trainable layer lists no
  // trainable weights, and its call still sees training = true, so running_max keeps tracking the batch max.
  const rateNorms = variant === "rnl" ? ACT_LAYERS.map((a) => model.getLayer(a) as unknown as RateNormLayer) : [];
  for (const rn of rateNorms) rn.trainable = false;
  const optimizer = tf.train.adam(LR);
  model.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const params = model.countParams();
  const initCorrect = countCorrect(tf, model, data.test);
  console.log(
    `\n== ${dirName}: ${params} parameters, ${epochs} epochs, batch ${batchSize}, seed ${seed}, backend ${tf.getBackend()}` +
      (variant === "qcfs" ? `, L = ${opts.levels}` : "") +
      `\n   baseline ${baselineCorrect}/${data.test.count}; initialised variant ${initCorrect}/${data.test.count}; init ${JSON.stringify(init)}`,
  );

  const { train, test } = data;
  const history: EpochLog[] = [];
  const t0 = performance.now();
  let memoryAfterFirstEpoch = -1;

  for (let e = 0; e < epochs; e++) {
    const te = performance.now();
    const lr = fineTuneLearningRate(e, epochs);
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    const { loss, accuracy } = await trainEpoch(tf, model, train, rand, { batchSize, limitBatches: opts.limitBatches, epoch: e });
    const correct = countCorrect(tf, model, test);
    const seconds = (performance.now() - te) / 1000;
    const log: EpochLog = {
      epoch: e + 1,
      ...(variant === "rnl" ? { stage: 1 } : {}),
      learningRate: lr,
      loss,
      accuracy,
      testAccuracy: correct / test.count,
      seconds,
      activations: activationParams(model, variant),
    };
    history.push(log);
    const mem = tf.memory();
    if (e === 0) memoryAfterFirstEpoch = mem.numTensors;
    console.log(
      `epoch ${e + 1}/${epochs}  lr ${lr.toExponential(2)}  loss ${log.loss.toFixed(4)}  acc ${(log.accuracy ?? NaN).toFixed(4)}  ` +
        `test ${correct}/${test.count} (${(100 * log.testAccuracy).toFixed(2)}%)  ${seconds.toFixed(1)}s  tensors ${mem.numTensors}  ${JSON.stringify(log.activations)}`,
    );
  }
  if (memoryAfterFirstEpoch >= 0 && tf.memory().numTensors !== memoryAfterFirstEpoch) {
    console.warn(`warning: tensor count changed from ${memoryAfterFirstEpoch} to ${tf.memory().numTensors} during training (leak?)`);
  }
  for (const rn of rateNorms) rn.trainable = true;
  const stage1Correct = countCorrect(tf, model, test);
  if (variant === "rnl" && opts.stage2Steps > 0) {
    const log = await rnlStage2(tf, model, data, rand, opts, epochs + 1);
    history.push(log);
    console.log(
      `stage 2  loss ${log.loss.toFixed(4)}  1-cos ${(log.cosineLoss ?? NaN).toFixed(4)}  k ${(log.meanK ?? NaN).toFixed(4)}  ` +
        `test ${Math.round(log.testAccuracy * test.count)}/${test.count}  ${log.seconds.toFixed(1)}s  ${JSON.stringify(log.activations)}`,
    );
  }
  const trainSeconds = (performance.now() - t0) / 1000;

  const testCorrect = countCorrect(tf, model, test);
  const dir = join(opts.outDir, dirName);
  await saveLayersModel(model, dir);
  const reloaded = await loadLayersModel(join(dir, "model.json"));
  const reloadedCorrect = countCorrect(tf, reloaded, test);
  reloaded.dispose();
  if (reloadedCorrect !== testCorrect) throw new Error(`${dirName}: reloaded model scores ${reloadedCorrect}, trained model ${testCorrect}`);

  const info = {
    model: dirName,
    epochs,
    seed,
    batchSize,
    optimizer: `adam lr ${LR}, cosine to ${LR_MIN} over the epochs`,
    loss: "categoricalCrossentropy",
    parameters: params,
    testAccuracy: testCorrect / test.count,
    testCorrect,
    testCount: test.count,
    trainSeconds: Math.round(trainSeconds * 10) / 10,
    tfjsVersion: tf.version.tfjs,
    backend: tf.getBackend(),
    wasmKernels: registeredKernels.slice(),
    ...(opts.limitBatches !== null ? { limitBatches: opts.limitBatches } : {}),
    variant: {
      activation: variant === "rnl" ? "RateNorm" : "QCFS",
      initialisedFrom: "examples/fashion-mnist/cnn",
      baselineTestCorrect: baselineCorrect,
      initialTestCorrect: initCorrect,
      initStatistics: `baseline ReLU activations of the first ${INIT_IMAGES} training images (percentile over the first ${PERCENTILE_IMAGES})`,
      init,
      ...(variant === "rnl"
        ? {
            epsilon: RATE_NORM_EPSILON,
            momentum: RATE_NORM_MOMENTUM,
            stage1: { epochs, scaleTrainable: false, testCorrect: stage1Correct },
            stage2:
              opts.stage2Steps > 0
                ? { steps: opts.stage2Steps, optimizer: `adam lr ${STAGE2_LR}`, lossLambda: STAGE2_LAMBDA, scaleInit: STAGE2_SCALE_INIT, trains: "scale only (running_max frozen)", dropout: false }
                : null,
          }
        : { levels: opts.levels, shift: QCFS_SHIFT, lambdaInit: `${QCFS_PERCENTILE}th percentile of the positive baseline activations` }),
      learned: activationParams(model, variant),
    },
    history: history.map((h) => ({ ...h, seconds: Math.round(h.seconds * 10) / 10 })),
  };
  writeFileSync(join(dir, "training.json"), JSON.stringify(info, null, 2) + "\n");
  console.log(`${dirName}: test ${testCorrect}/${test.count} (${(100 * info.testAccuracy).toFixed(2)}%), ${trainSeconds.toFixed(0)}s -> ${dir}`);
  model.dispose();
  optimizer.dispose();
}

function parseIntOption(name: string, value: string | undefined, min = 1): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      variant: { type: "string", default: "all" },
      levels: { type: "string" },
      epochs: { type: "string" },
      seed: { type: "string" },
      "batch-size": { type: "string" },
      "stage2-steps": { type: "string" },
      out: { type: "string" },
      "limit-batches": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: npx tsx examples/train/variants.ts [--variant rnl|qcfs|all] [--levels L] [--epochs N] [--seed S]\n" +
        "                                          [--batch-size B] [--stage2-steps N] [--out DIR] [--limit-batches N]\n" +
        `defaults: epochs ${DEFAULT_EPOCHS}, levels ${DEFAULT_LEVELS}, stage-2 steps ${DEFAULT_STAGE2_STEPS}, seed ${DEFAULT_SEED}, ` +
        `batch ${DEFAULT_BATCH}, out ${EXAMPLES_DIR}`,
    );
    return;
  }
  const variant = values.variant;
  if (variant !== "all" && !(VARIANTS as readonly string[]).includes(variant)) {
    throw new Error(`--variant: expected one of ${VARIANTS.join(", ")}, all; got "${variant}"`);
  }
  const names: Variant[] = variant === "all" ? [...VARIANTS] : [variant as Variant];
  const opts: VariantOptions = {
    epochs: parseIntOption("epochs", values.epochs) ?? DEFAULT_EPOCHS,
    seed: parseIntOption("seed", values.seed, 0) ?? DEFAULT_SEED,
    batchSize: parseIntOption("batch-size", values["batch-size"]) ?? DEFAULT_BATCH,
    levels: parseIntOption("levels", values.levels) ?? DEFAULT_LEVELS,
    stage2Steps: parseIntOption("stage2-steps", values["stage2-steps"], 0) ?? DEFAULT_STAGE2_STEPS,
    outDir: values.out ?? EXAMPLES_DIR,
    limitBatches: parseIntOption("limit-batches", values["limit-batches"]),
  };

  const data = loadFashionMnist();
  const tf = await loadTf("wasm");
  if (tf.getBackend() === "wasm") registerWasmGradients(tf);
  else console.warn("warning: wasm backend unavailable, training on the (much slower) cpu backend");
  const layers = registerCustomLayers(tf);
  for (const name of names) await trainVariant(tf, layers, name, data, opts);
}

// Train only when run as a script, not when imported.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(resolve(process.argv[1]))).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  });
}
