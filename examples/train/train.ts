/**
 * @fileoverview Trains the example models on Fashion-MNIST and writes them to examples/fashion-mnist/<model>/.
 *
 *   npx tsx examples/train/train.ts [--model cnn|mlp|resnet|all] [--epochs N] [--seed S] [--batch-size B]
 *                                   [--out DIR] [--sample-only] [--limit-batches N]
 *
 * Runs on tfjs + the WebAssembly backend (with the conv gradient kernels of ./wasm-grad.ts). Deterministic for a
 * given seed: the initializers are seeded (models.ts), the shuffle and the per-batch Dropout seeds come from a
 * mulberry32 stream, batching is done here and fed to `model.trainOnBatch` — nothing reads Math.random.
 * Adam (lr 1e-3, cosine-decayed to 5e-5 over the last half of the epochs), categorical cross-entropy.
 *
 * Output per model: model.json + weights.bin (saveLayersModel) and training.json (accuracy on all 10,000 test
 * images by tfjs predict, re-checked on the reloaded files). `--model all` (and `--sample-only`) also write the
 * data sample: the first 1,000 test images and labels as gzip IDX in examples/fashion-mnist/data/.
 */
import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type * as tfTypes from "@tensorflow/tfjs";
import { writeIdxU8 } from "../../compiler/data/idx.ts";
import { loadTf } from "../../compiler/tfjs/backend.ts";
import { loadLayersModel, saveLayersModel } from "../../compiler/tfjs/io.ts";
import { type FashionMnist, type FashionSplit, loadFashionMnist } from "./fashion.ts";
import { MODEL_NAMES, MODELS, type ModelName } from "./models.ts";
import { registeredKernels, registerWasmGradients } from "./wasm-grad.ts";

type Tf = typeof import("@tensorflow/tfjs");

/** Epochs per model (the defaults reproduce the shipped weights). */
export const DEFAULT_EPOCHS: Record<ModelName, number> = { cnn: 10, mlp: 12, resnet: 7 };
export const DEFAULT_SEED = 1;
export const DEFAULT_BATCH = 64;
const LR = 1e-3;
const LR_MIN = 5e-5;
const SAMPLE_COUNT = 1000;
const EXAMPLES_DIR = fileURLToPath(new URL("../fashion-mnist/", import.meta.url));

/** mulberry32, the one seeded PRNG of snnc (compiler/util/rng.ts); re-exported for the training scripts. */
export { seededRng as mulberry32 } from "../../compiler/util/rng.ts";
import { seededRng as mulberry32 } from "../../compiler/util/rng.ts";

/** A mulberry32-driven Fisher–Yates permutation of 0 … count − 1 (the training scripts' batch order). */
export function shuffled(count: number, rand: () => number): Int32Array {
  const idx = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i] ?? 0;
    idx[i] = idx[j] ?? 0;
    idx[j] = t;
  }
  return idx;
}

/** Learning rate for epoch `e` (0-based) of `epochs`: constant, then cosine down to LR_MIN over the second half. */
export function learningRate(e: number, epochs: number): number {
  const start = Math.floor(epochs / 2);
  if (e < start || epochs - start <= 1) return LR;
  const t = (e - start) / (epochs - start - 1);
  return LR_MIN + 0.5 * (LR - LR_MIN) * (1 + Math.cos(Math.PI * t));
}

const PIXELS = 28 * 28;

/** Number of test images whose argmax prediction equals the label. */
export function countCorrect(tf: Tf, model: tfTypes.LayersModel, split: FashionSplit, batch = 1000): number {
  let correct = 0;
  for (let start = 0; start < split.count; start += batch) {
    const n = Math.min(batch, split.count - start);
    const pred = tf.tidy(() => {
      const x = tf.tensor4d(split.images.subarray(start * PIXELS, (start + n) * PIXELS), [n, 28, 28, 1]);
      return (model.predict(x) as tfTypes.Tensor).argMax(-1).dataSync();
    });
    for (let i = 0; i < n; i++) if (pred[i] === split.labels[start + i]) correct++;
  }
  return correct;
}

interface EpochLog {
  readonly epoch: number;
  readonly learningRate: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly testAccuracy: number;
  readonly seconds: number;
}

/** One pass over the shuffled training split in batches: the shared inner loop of train.ts and variants.ts. */
export interface EpochResult {
  readonly loss: number;
  readonly accuracy: number;
  readonly seen: number;
}

/**
 * Trains `model` for one epoch: a mulberry32 shuffle, then per batch a fresh Dropout seed from the same stream
 * (a fixed tfjs Dropout seed would repeat one mask every step) and `trainOnBatch`. Logs every 200 batches.
 */
export async function trainEpoch(
  tf: Tf,
  model: tfTypes.LayersModel,
  train: FashionSplit,
  rand: () => number,
  opts: { readonly batchSize: number; readonly limitBatches: number | null; readonly epoch: number },
): Promise<EpochResult> {
  const { batchSize } = opts;
  const dropouts = model.layers.filter((l) => l.getClassName() === "Dropout") as unknown as { seed?: number }[];
  const xBuf = new Float32Array(batchSize * PIXELS);
  const yBuf = new Float32Array(batchSize * 10);
  const te = performance.now();
  const order = shuffled(train.count, rand);
  let batches = Math.ceil(train.count / batchSize);
  if (opts.limitBatches !== null) batches = Math.min(batches, opts.limitBatches);
  let lossSum = 0;
  let accSum = 0;
  let seen = 0;
  for (let b = 0; b < batches; b++) {
    const start = b * batchSize;
    const n = Math.min(batchSize, train.count - start);
    yBuf.fill(0);
    for (let i = 0; i < n; i++) {
      const k = order[start + i] ?? 0;
      xBuf.set(train.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
      yBuf[i * 10 + (train.labels[k] ?? 0)] = 1;
    }
    for (const d of dropouts) d.seed = Math.floor(rand() * 2 ** 31);
    const x = tf.tensor4d(xBuf.subarray(0, n * PIXELS), [n, 28, 28, 1]);
    const y = tf.tensor2d(yBuf.subarray(0, n * 10), [n, 10]);
    const [loss = NaN, acc = NaN] = (await model.trainOnBatch(x, y)) as number[];
    x.dispose();
    y.dispose();
    lossSum += loss * n;
    accSum += acc * n;
    seen += n;
    if ((b + 1) % 200 === 0) {
      const s = (performance.now() - te) / 1000;
      console.log(`  epoch ${opts.epoch + 1} batch ${b + 1}/${batches}  loss ${(lossSum / seen).toFixed(4)}  acc ${(accSum / seen).toFixed(4)}  ${s.toFixed(0)}s`);
    }
  }
  // Restore the Dropout configs (no seed) for evaluation and saving.
  for (const d of dropouts) delete d.seed;
  return { loss: lossSum / seen, accuracy: accSum / seen, seen };
}

interface TrainOptions {
  readonly epochs: number;
  readonly seed: number;
  readonly batchSize: number;
  readonly outDir: string;
  readonly limitBatches: number | null;
}

async function trainModel(tf: Tf, name: ModelName, data: FashionMnist, opts: TrainOptions): Promise<void> {
  const { epochs, seed, batchSize } = opts;
  const rand = mulberry32(seed);
  const model = MODELS[name](tf, seed);
  const optimizer = tf.train.adam(LR);
  model.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const params = model.countParams();
  console.log(`\n== ${name}: ${params} parameters, ${epochs} epochs, batch ${batchSize}, seed ${seed}, backend ${tf.getBackend()}`);

  const { train, test } = data;
  const history: EpochLog[] = [];
  const t0 = performance.now();
  let memoryAfterFirstEpoch = -1;

  for (let e = 0; e < epochs; e++) {
    const te = performance.now();
    const lr = learningRate(e, epochs);
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    const { loss, accuracy } = await trainEpoch(tf, model, train, rand, { batchSize, limitBatches: opts.limitBatches, epoch: e });
    const correct = countCorrect(tf, model, test);
    const seconds = (performance.now() - te) / 1000;
    const log: EpochLog = { epoch: e + 1, learningRate: lr, loss, accuracy, testAccuracy: correct / test.count, seconds };
    history.push(log);
    const mem = tf.memory();
    if (e === 0) memoryAfterFirstEpoch = mem.numTensors;
    console.log(
      `epoch ${e + 1}/${epochs}  lr ${lr.toExponential(2)}  loss ${log.loss.toFixed(4)}  acc ${log.accuracy.toFixed(4)}  ` +
        `test ${correct}/${test.count} (${(100 * log.testAccuracy).toFixed(2)}%)  ${seconds.toFixed(1)}s  tensors ${mem.numTensors}`,
    );
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  if (memoryAfterFirstEpoch >= 0 && tf.memory().numTensors !== memoryAfterFirstEpoch) {
    console.warn(`warning: tensor count changed from ${memoryAfterFirstEpoch} to ${tf.memory().numTensors} during training (leak?)`);
  }

  const testCorrect = countCorrect(tf, model, test);
  const dir = join(opts.outDir, name);
  await saveLayersModel(model, dir);
  const reloaded = await loadLayersModel(join(dir, "model.json"));
  const reloadedCorrect = countCorrect(tf, reloaded, test);
  reloaded.dispose();
  if (reloadedCorrect !== testCorrect) throw new Error(`${name}: reloaded model scores ${reloadedCorrect}, trained model ${testCorrect}`);

  const info = {
    model: name,
    epochs,
    seed,
    batchSize,
    optimizer: `adam lr ${LR}, cosine to ${LR_MIN} over the second half`,
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
    history: history.map((h) => ({ ...h, seconds: Math.round(h.seconds * 10) / 10 })),
  };
  writeFileSync(join(dir, "training.json"), JSON.stringify(info, null, 2) + "\n");
  console.log(`${name}: test ${testCorrect}/${test.count} (${(100 * info.testAccuracy).toFixed(2)}%), ${trainSeconds.toFixed(0)}s -> ${dir}`);
  model.dispose();
  optimizer.dispose();
}

/** Writes the first SAMPLE_COUNT test images and labels as gzip IDX files. */
function writeSample(data: FashionMnist, outDir: string): void {
  const dir = join(outDir, "data");
  mkdirSync(dir, { recursive: true });
  const n = Math.min(SAMPLE_COUNT, data.test.count);
  const images = writeIdxU8([n, 28, 28], data.test.rawImages.subarray(0, n * PIXELS), true);
  const labels = writeIdxU8([n], data.test.rawLabels.subarray(0, n), true);
  writeFileSync(join(dir, `t10k-images-${n}-idx3-ubyte.gz`), images);
  writeFileSync(join(dir, `t10k-labels-${n}-idx1-ubyte.gz`), labels);
  console.log(`data sample: ${n} test images + labels -> ${dir}`);
}

function parseIntOption(name: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (name === "seed" ? 0 : 1)) throw new Error(`--${name}: expected a ${name === "seed" ? "non-negative" : "positive"} integer, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: "string", default: "all" },
      epochs: { type: "string" },
      seed: { type: "string" },
      "batch-size": { type: "string" },
      out: { type: "string" },
      "sample-only": { type: "boolean", default: false },
      "limit-batches": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: npx tsx examples/train/train.ts [--model cnn|mlp|resnet|all] [--epochs N] [--seed S] [--batch-size B]\n" +
        "                                       [--out DIR] [--sample-only] [--limit-batches N]\n" +
        `defaults: epochs ${JSON.stringify(DEFAULT_EPOCHS)}, seed ${DEFAULT_SEED}, batch ${DEFAULT_BATCH}, out ${EXAMPLES_DIR}`,
    );
    return;
  }
  const model = values.model;
  if (model !== "all" && !(MODEL_NAMES as readonly string[]).includes(model)) {
    throw new Error(`--model: expected one of ${MODEL_NAMES.join(", ")}, all; got "${model}"`);
  }
  const names: ModelName[] = model === "all" ? [...MODEL_NAMES] : [model as ModelName];
  const epochs = parseIntOption("epochs", values.epochs);
  const seed = parseIntOption("seed", values.seed) ?? DEFAULT_SEED;
  const batchSize = parseIntOption("batch-size", values["batch-size"]) ?? DEFAULT_BATCH;
  const limitBatches = parseIntOption("limit-batches", values["limit-batches"]);
  const outDir = values.out ?? EXAMPLES_DIR;

  const data = loadFashionMnist();
  if (model === "all" || values["sample-only"]) writeSample(data, outDir);
  if (values["sample-only"]) return;

  const tf = await loadTf("wasm");
  if (tf.getBackend() === "wasm") registerWasmGradients(tf);
  else console.warn("warning: wasm backend unavailable, training on the (much slower) cpu backend");
  for (const name of names) {
    await trainModel(tf, name, data, { epochs: epochs ?? DEFAULT_EPOCHS[name], seed, batchSize, outDir, limitBatches });
  }
}

// Train only when run as a script, not when imported (for mulberry32 / learningRate / DEFAULT_EPOCHS).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(resolve(process.argv[1]))).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
