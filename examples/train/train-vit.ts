/**
 * @fileoverview Trains the ViT example on Fashion-MNIST and writes it to examples/fashion-mnist/vit/.
 *
 *   nice -n 10 npx tsx examples/train/train-vit.ts [--epochs N] [--blocks B] [--seed S] [--batch-size B]
 *                                                 [--out DIR] [--limit-batches N]
 *   fine-tune from a saved model (same architecture, read from DIR/training.json's config):
 *   nice -n 15 npx tsx examples/train/train-vit.ts --init DIR --epochs N --lr 3e-4 [--warmup-steps 100]
 *                                                 [--shift 2] [--flip] [--label-smoothing 0.1] [--ema 0.998]
 *                                                 [--seed S] --out OTHER_DIR
 *
 * Architecture (layer names fixed; see vitModel): patch embedding Conv2D(64, 7×7, stride 7) → Reshape [16,64]
 * → AddPositionEmbedding → B pre-LN blocks [LayerNorm → MultiHeadAttention(4 heads, key_dim 16) → Add;
 * LayerNorm → Dense(128, gelu) → Dense(64) → Add] → LayerNorm → GlobalAveragePooling1D → Dropout(0.1) →
 * Dense(10, softmax). The transformer layers tfjs lacks come from compiler/tfjs/vit-layers.ts (Keras class names
 * and weight layouts, so the saved model.json reads like a Keras model).
 *
 * Runs on tfjs + the WebAssembly backend (with the gradient kernels of ./wasm-grad.ts); deterministic for a
 * seed (seeded initialisers, mulberry32 shuffle and Dropout seeds, nothing reads Math.random). Adam, lr 1e-3 after
 * a one-epoch linear warm-up, cosine-decayed to 1e-5 at the last epoch; categorical cross-entropy.
 * Writes model.json + weights.bin and training.json (accuracy on all 10,000 test images by tfjs predict, re-checked
 * on the reloaded files, per-epoch log and times).
 *
 * Fine-tuning (--init): the model is built as above, then takes the weights of DIR/model.json (checked: same
 * names and shapes); the schedule is a linear warm-up over --warmup-steps batches to --lr, then cosine to 1e-5 at
 * the last batch (fresh Adam moments). --shift K augments each training image with a random shift of up to K
 * pixels in x and y (zero fill; seeded by the same mulberry32 stream); --flip mirrors each training image left-right
 * with probability 1/2 (same stream); --label-smoothing E trains on targets (1 − E)·one-hot + E/10; --ema D keeps an
 * exponential moving average of all weights (ema ← D·ema + (1 − D)·w after every batch, started from the initial
 * weights), evaluates it after every epoch next to the raw weights, and saves the averaged weights (the choice is
 * fixed by the flag, not by the test score). The record keeps the prior record and the
 * SHA-256 of the initial weights under `initialisedFrom`. Write to another --out and copy the files over only if
 * they are better: checkpoints overwrite --out after every epoch.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type * as tfTypes from "@tensorflow/tfjs";
import { loadTf, type Tf } from "../../compiler/tfjs/backend.ts";
import { loadLayersModel, saveLayersModel } from "../../compiler/tfjs/io.ts";
import { registerVitLayers } from "../../compiler/tfjs/vit-layers.ts";
import { loadFashionMnist } from "./fashion.ts";
import { countCorrect, mulberry32, shuffled } from "./train.ts";
import { registeredKernels, registerWasmGradients } from "./wasm-grad.ts";

/** Test images per predict() call, as the shipped ViT's training run evaluated them. */
const EVAL_BATCH = 500;

const OUT_DIR = fileURLToPath(new URL("../fashion-mnist/vit/", import.meta.url));
const PIXELS = 28 * 28;
const LR = 1e-3;
const LR_MIN = 1e-5;

export interface VitConfig {
  readonly patch: number;
  readonly width: number;
  readonly heads: number;
  readonly blocks: number;
  readonly mlp: number;
  readonly epsilon: number;
}

export const VIT_DEFAULT: VitConfig = { patch: 7, width: 64, heads: 4, blocks: 3, mlp: 128, epsilon: 1e-6 };

/** The ViT as a functional tfjs model (seeded initialisers). */
export function vitModel(tf: Tf, cfg: VitConfig, seed = 1): tfTypes.LayersModel {
  const V = registerVitLayers(tf);
  const L = tf.layers;
  let k = 0;
  const s = () => (seed * 1000 + ++k) >>> 0;
  type SymT = tfTypes.SymbolicTensor;
  const apply = (layer: tfTypes.layers.Layer, x: SymT | SymT[]): SymT => layer.apply(x) as SymT;
  const tokens = (28 / cfg.patch) ** 2;
  const glorot = () => tf.initializers.glorotUniform({ seed: s() });

  const input = tf.input({ shape: [28, 28, 1], name: "input" });
  let x = apply(L.conv2d({ name: "patch_embed", filters: cfg.width, kernelSize: cfg.patch, strides: cfg.patch, padding: "valid", kernelInitializer: glorot() }), input);
  x = apply(L.reshape({ name: "patch_reshape", targetShape: [tokens, cfg.width] }), x);
  x = apply(new V.AddPositionEmbedding({ name: "pos_embed", seed: s() }), x);
  for (let b = 1; b <= cfg.blocks; b++) {
    let y = apply(new V.LayerNormalization({ name: `block${b}_ln1`, epsilon: cfg.epsilon }), x);
    y = apply(new V.MultiHeadAttention({ name: `block${b}_attn`, numHeads: cfg.heads, keyDim: cfg.width / cfg.heads, seed: s() }), y);
    x = apply(L.add({ name: `block${b}_add1` }), [x, y]);
    y = apply(new V.LayerNormalization({ name: `block${b}_ln2`, epsilon: cfg.epsilon }), x);
    y = apply(L.dense({ name: `block${b}_mlp1`, units: cfg.mlp, activation: "gelu" as "relu", kernelInitializer: glorot() }), y);
    y = apply(L.dense({ name: `block${b}_mlp2`, units: cfg.width, kernelInitializer: glorot() }), y);
    x = apply(L.add({ name: `block${b}_add2` }), [x, y]);
  }
  x = apply(new V.LayerNormalization({ name: "final_ln", epsilon: cfg.epsilon }), x);
  x = apply(L.globalAveragePooling1d({ name: "gap" }), x);
  x = apply(L.dropout({ name: "dropout", rate: 0.1 }), x);
  const output = apply(L.dense({ name: "head", units: 10, activation: "softmax", kernelInitializer: glorot() }), x);
  return tf.model({ name: "vit", inputs: input, outputs: output });
}

/**
 * Learning rate at step `step` of `total`: `warmup` steps of linear warm-up to `peak`, then cosine to LR_MIN at the
 * last step (training from scratch: warm-up = one epoch, peak 1e-3).
 */
export function vitLearningRate(step: number, total: number, warmup: number, peak = LR): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const t = (step - warmup) / Math.max(1, total - warmup - 1);
  return LR_MIN + 0.5 * (peak - LR_MIN) * (1 + Math.cos(Math.PI * Math.min(1, t)));
}

/** Copies image `src` (28×28) into `dst` shifted by (dx, dy) pixels, zero fill. */
export function shiftImage(src: Float32Array, dst: Float32Array, dx: number, dy: number): void {
  dst.fill(0);
  for (let y = 0; y < 28; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= 28) continue;
    for (let x = 0; x < 28; x++) {
      const sx = x - dx;
      if (sx >= 0 && sx < 28) dst[y * 28 + x] = src[sy * 28 + sx] ?? 0;
    }
  }
}

/** Copies image `src` (28×28) into `dst` mirrored left-right. */
export function flipImage(src: Float32Array, dst: Float32Array): void {
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) dst[y * 28 + x] = src[y * 28 + 27 - x] ?? 0;
}

/** One-hot target row for `label` with label smoothing `eps`: 1 − eps + eps/10 on the label, eps/10 elsewhere. */
export function smoothedTarget(dst: Float32Array, offset: number, label: number, eps: number): void {
  for (let c = 0; c < 10; c++) dst[offset + c] = eps / 10;
  dst[offset + label] = 1 - eps + eps / 10;
}

/** ema ← decay·ema + (1 − decay)·w for every weight; returns the new (kept) tensors and disposes the old ones. */
export function emaStep(tf: Tf, ema: tfTypes.Tensor[], weights: readonly tfTypes.Tensor[], decay: number): tfTypes.Tensor[] {
  const next = tf.tidy(() => ema.map((e, i) => tf.keep(e.mul(decay).add((weights[i] as tfTypes.Tensor).mul(1 - decay)))));
  tf.dispose(ema);
  return next;
}

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < (name === "seed" || name === "shift" ? 0 : 1)) throw new Error(`--${name}: expected a positive integer, got "${v}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      epochs: { type: "string" }, blocks: { type: "string" }, seed: { type: "string" }, "batch-size": { type: "string" },
      out: { type: "string" }, "limit-batches": { type: "string" },
      init: { type: "string" }, lr: { type: "string" }, "warmup-steps": { type: "string" }, shift: { type: "string" },
      flip: { type: "boolean" }, "label-smoothing": { type: "string" }, ema: { type: "string" },
    },
  });
  const epochs = positive("epochs", values.epochs, 12);
  const seed = positive("seed", values.seed, 1);
  const batchSize = positive("batch-size", values["batch-size"], 128);
  const limit = values["limit-batches"] === undefined ? null : positive("limit-batches", values["limit-batches"], 1);
  const outDir = values.out ?? OUT_DIR;
  const initDir = values.init;
  const prior = initDir === undefined ? null : (JSON.parse(readFileSync(join(initDir, "training.json"), "utf8")) as { config?: VitConfig; partial?: boolean });
  if (prior !== null && (prior.config === undefined || prior.partial === true)) throw new Error(`--init ${initDir}: training.json has no final config`);
  if (initDir !== undefined && resolve(initDir) === resolve(outDir)) throw new Error("--init and --out must differ (checkpoints overwrite --out)");
  const cfg: VitConfig = prior?.config ?? { ...VIT_DEFAULT, blocks: positive("blocks", values.blocks, VIT_DEFAULT.blocks) };
  const peak = values.lr === undefined ? LR : Number(values.lr);
  if (!(peak > LR_MIN && peak <= 1e-2)) throw new Error(`--lr: expected a number in (${LR_MIN}, 0.01], got "${values.lr}"`);
  const shift = values.shift === undefined ? 0 : positive("shift", values.shift, 0);
  if (shift > 4) throw new Error(`--shift: at most 4 pixels, got ${shift}`);
  const flip = values.flip === true;
  const smoothing = values["label-smoothing"] === undefined ? 0 : Number(values["label-smoothing"]);
  if (!(smoothing >= 0 && smoothing < 0.5)) throw new Error(`--label-smoothing: expected a number in [0, 0.5), got "${values["label-smoothing"]}"`);
  const emaDecay = values.ema === undefined ? null : Number(values.ema);
  if (emaDecay !== null && !(emaDecay > 0 && emaDecay < 1)) throw new Error(`--ema: expected a decay in (0, 1), got "${values.ema}"`);

  const { train, test } = loadFashionMnist();
  const tf = await loadTf("wasm");
  if (tf.getBackend() === "wasm") registerWasmGradients(tf);
  else console.warn("warning: wasm backend unavailable, training on the (much slower) cpu backend");
  const rand = mulberry32(seed);
  const model = vitModel(tf, cfg, seed);
  let initialisedFrom: object | undefined;
  if (initDir !== undefined) {
    const src = await loadLayersModel(join(initDir, "model.json"));
    const from = src.weights;
    const to = model.weights;
    if (from.length !== to.length) throw new Error(`--init: ${from.length} weights, the model has ${to.length}`);
    const base = (n: string): string => n.replace(/_\d+$/, ""); // tfjs suffixes the names of a second model's variables
    to.forEach((w, i) => {
      const f = from[i];
      if (f === undefined || base(f.name) !== base(w.name) || f.shape.join() !== w.shape.join()) throw new Error(`--init: weight ${i} ${f?.name} [${f?.shape}] vs ${w.name} [${w.shape}]`);
    });
    model.setWeights(src.getWeights());
    const initCorrect = countCorrect(tf, model, test, EVAL_BATCH);
    const bin = join(initDir, "weights.bin");
    initialisedFrom = {
      dir: initDir,
      weightsSha256: existsSync(bin) ? createHash("sha256").update(readFileSync(bin)).digest("hex") : null,
      testCorrect: initCorrect,
      priorRecord: prior,
    };
    console.log(`initialised from ${initDir}: test ${initCorrect}/${test.count}`);
  }
  const optimizer = tf.train.adam(peak);
  model.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const params = model.countParams();
  const perEpoch = Math.min(Math.ceil(train.count / batchSize), limit ?? Infinity);
  const total = perEpoch * epochs;
  const warmup = initDir === undefined ? perEpoch : positive("warmup-steps", values["warmup-steps"], 100);
  const shifted = new Float32Array(PIXELS);
  const flipped = new Float32Array(PIXELS);
  let ema: tfTypes.Tensor[] | null = emaDecay === null ? null : model.weights.map((w) => tf.keep(w.read().clone()));
  /** Runs `f` with the EMA weights in the model, then puts the raw weights back. */
  const withEma = async <T>(f: () => T | Promise<T>): Promise<T> => {
    if (ema === null) return f();
    const raw = model.weights.map((w) => w.read().clone());
    model.setWeights(ema);
    try {
      return await f();
    } finally {
      model.setWeights(raw);
      tf.dispose(raw);
    }
  };
  console.log(`vit ${JSON.stringify(cfg)}: ${params} parameters, ${epochs} epochs x ${perEpoch} batches of ${batchSize}, seed ${seed}, backend ${tf.getBackend()}`);
  const dropouts = model.layers.filter((l) => l.getClassName() === "Dropout") as unknown as { seed?: number }[];
  const xBuf = new Float32Array(batchSize * PIXELS);
  const yBuf = new Float32Array(batchSize * 10);
  const history: object[] = [];
  const logEvery = limit !== null && limit <= 100 ? 10 : 100;
  const t0 = performance.now();
  let step = 0;
  for (let e = 0; e < epochs; e++) {
    const te = performance.now();
    const order = shuffled(train.count, rand);
    let lossSum = 0;
    let accSum = 0;
    let seen = 0;
    for (let b = 0; b < perEpoch; b++, step++) {
      const lr = vitLearningRate(step, total, warmup, peak);
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const start = b * batchSize;
      const n = Math.min(batchSize, train.count - start);
      yBuf.fill(0);
      for (let i = 0; i < n; i++) {
        const idx = order[start + i] ?? 0;
        let img = train.images.subarray(idx * PIXELS, (idx + 1) * PIXELS);
        if (shift > 0) {
          const dx = Math.floor(rand() * (2 * shift + 1)) - shift;
          const dy = Math.floor(rand() * (2 * shift + 1)) - shift;
          shiftImage(img, shifted, dx, dy);
          img = shifted;
        }
        if (flip && rand() < 0.5) {
          flipImage(img, flipped);
          img = flipped;
        }
        xBuf.set(img, i * PIXELS);
        smoothedTarget(yBuf, i * 10, train.labels[idx] ?? 0, smoothing);
      }
      for (const d of dropouts) d.seed = Math.floor(rand() * 2 ** 31);
      const x = tf.tensor4d(xBuf.subarray(0, n * PIXELS), [n, 28, 28, 1]);
      const y = tf.tensor2d(yBuf.subarray(0, n * 10), [n, 10]);
      const [loss = NaN, acc = NaN] = (await model.trainOnBatch(x, y)) as number[];
      tf.dispose([x, y]);
      if (ema !== null && emaDecay !== null) ema = emaStep(tf, ema, model.weights.map((w) => w.read()), emaDecay);
      lossSum += loss * n;
      accSum += acc * n;
      seen += n;
      if ((b + 1) % logEvery === 0) {
        const sec = (performance.now() - te) / 1000;
        console.log(`  epoch ${e + 1} batch ${b + 1}/${perEpoch}  loss ${(lossSum / seen).toFixed(4)}  acc ${(accSum / seen).toFixed(4)}  lr ${lr.toExponential(2)}  ${sec.toFixed(0)}s`);
      }
    }
    const rawCorrect = countCorrect(tf, model, test, EVAL_BATCH);
    const correct = await withEma(() => countCorrect(tf, model, test, EVAL_BATCH));
    const seconds = (performance.now() - te) / 1000;
    history.push({
      epoch: e + 1, loss: lossSum / seen, accuracy: accSum / seen, testAccuracy: correct / test.count,
      ...(ema !== null ? { rawTestAccuracy: rawCorrect / test.count } : {}), seconds: Math.round(seconds * 10) / 10,
    });
    if (e < epochs - 1) {
      // Checkpoint after every epoch (Dropout seeds cleared for the saved config), so a cut-short run keeps its weights.
      const seeds = dropouts.map((d) => d.seed);
      for (const d of dropouts) delete d.seed;
      await withEma(() => saveLayersModel(model, outDir));
      dropouts.forEach((d, i) => (d.seed = seeds[i] ?? 0));
      writeFileSync(join(outDir, "training.json"), JSON.stringify({ model: "vit", partial: true, epochsDone: e + 1, epochs, history }, null, 2) + "\n");
    }
    console.log(`epoch ${e + 1}/${epochs}  loss ${(lossSum / seen).toFixed(4)}  acc ${(accSum / seen).toFixed(4)}  test ${correct}/${test.count}${ema !== null ? ` (ema; raw ${rawCorrect})` : ""}  ${seconds.toFixed(0)}s  tensors ${tf.memory().numTensors}`);
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  for (const d of dropouts) delete d.seed;
  if (ema !== null) {
    model.setWeights(ema);
    tf.dispose(ema);
    ema = null;
  }
  const testCorrect = countCorrect(tf, model, test, EVAL_BATCH);
  await saveLayersModel(model, outDir);
  const reloaded = await loadLayersModel(join(outDir, "model.json"));
  const reloadedCorrect = countCorrect(tf, reloaded, test, EVAL_BATCH);
  if (reloadedCorrect !== testCorrect) throw new Error(`vit: reloaded model scores ${reloadedCorrect}, trained model ${testCorrect}`);
  const info = {
    model: "vit", config: cfg, epochs, seed, batchSize,
    optimizer: initDir === undefined ? `adam lr ${LR}, linear warm-up over epoch 1, cosine to ${LR_MIN}` : `adam lr ${peak}, linear warm-up over ${warmup} steps, cosine to ${LR_MIN}`,
    ...(shift > 0 || flip ? { augmentation: [shift > 0 ? `random shift up to ${shift} px (zero fill)` : "", flip ? "random left-right flip (p 0.5)" : ""].filter((a) => a !== "").join(", ") } : {}),
    loss: "categoricalCrossentropy", ...(smoothing > 0 ? { labelSmoothing: smoothing } : {}),
    ...(emaDecay !== null ? { weightAverage: `EMA of all weights, decay ${emaDecay} per batch, from the initial weights; saved weights are the EMA` } : {}),
    parameters: params, testAccuracy: testCorrect / test.count, testCorrect, testCount: test.count,
    trainSeconds: Math.round(trainSeconds * 10) / 10, tfjsVersion: tf.version.tfjs, backend: tf.getBackend(),
    wasmKernels: registeredKernels.slice(), ...(limit !== null ? { limitBatches: limit } : {}),
    command: initDir === undefined
      ? `nice -n 10 npx tsx examples/train/train-vit.ts --epochs ${epochs} --blocks ${cfg.blocks} --seed ${seed} --batch-size ${batchSize}`
      : `nice -n 15 npx tsx examples/train/train-vit.ts --init ${initDir} --epochs ${epochs} --lr ${peak} --warmup-steps ${warmup} --shift ${shift}${flip ? " --flip" : ""}${smoothing > 0 ? ` --label-smoothing ${smoothing}` : ""}${emaDecay !== null ? ` --ema ${emaDecay}` : ""} --seed ${seed} --batch-size ${batchSize} --out ${outDir}`,
    ...(initialisedFrom !== undefined ? { initialisedFrom } : {}),
    history,
  };
  writeFileSync(join(outDir, "training.json"), JSON.stringify(info, null, 2) + "\n");
  console.log(`vit: test ${testCorrect}/${test.count} (${((100 * testCorrect) / test.count).toFixed(2)}%), ${trainSeconds.toFixed(0)}s -> ${outDir}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(resolve(process.argv[1]))).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  });
}
