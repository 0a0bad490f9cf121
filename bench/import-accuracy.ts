/**
 * @fileoverview Import benchmark (issue: the float interpreter agrees with the model's own framework): for each
 * example model, our float interpreter (compiler/interp) and tfjs predict() classify the Fashion-MNIST test
 * set; prints the correct counts of both, the images where their classes differ and the largest score
 * difference. A TF.js model.json is loaded by tfjs itself; Keras files (.h5, .keras), which tfjs cannot
 * read, are rebuilt in tfjs from the imported graph.
 *
 *   npx tsx bench/import-accuracy.ts [--samples 10000] [--models vit/model.json,vit/model.h5] [--out FILE]
 *
 * Writes bench/results/import-accuracy.json (with --models: bench/results/import-accuracy-subset.json, or --out).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import type * as tfTypes from "@tensorflow/tfjs";
import { type Dataset, loadDataset } from "../compiler/data/dataset.ts";
import { SYSTEM_FASHION_MNIST } from "../compiler/data/resolve.ts";
import { importModel } from "../compiler/import/index.ts";
import { shapeSize } from "../compiler/ir/ann.ts";
import { runAnn } from "../compiler/interp/ann-float.ts";
import { loadTf } from "../compiler/tfjs/backend.ts";
import { annToTfjs } from "../compiler/tfjs/from-ann.ts";
import { loadLayersModel } from "../compiler/tfjs/io.ts";
import { registerVitLayers } from "../compiler/tfjs/vit-layers.ts";

const i = process.argv.indexOf("--samples");
const SAMPLES = i >= 0 ? Number(process.argv[i + 1]) : 10000;
const ALL_MODELS = ["cnn/model.json", "cnn/model.h5", "cnn/model.keras", "resnet/model.json", "mlp/model.json", "vit/model.json", "vit/model.h5", "vit/model.keras"];
// --models a,b: a subset (then results go to --out, default bench/results/import-accuracy-subset.json).
const m = process.argv.indexOf("--models");
const MODELS = m >= 0 ? (process.argv[m + 1] ?? "").split(",") : ALL_MODELS;
const o = process.argv.indexOf("--out");
const OUT = o >= 0 ? (process.argv[o + 1] ?? "") : m >= 0 ? "bench/results/import-accuracy-subset.json" : "bench/results/import-accuracy.json";
const BATCH = 500;

const full = existsSync(`${SYSTEM_FASHION_MNIST}/t10k-images-idx3-ubyte.gz`);
const test: Dataset = loadDataset(full ? `${SYSTEM_FASHION_MNIST}/t10k-images-idx3-ubyte.gz` : "examples/fashion-mnist/data", { inputShape: [28, 28, 1] });
const n = Math.min(SAMPLES, test.count);
const labels = test.labels as Int32Array;
const tf = await loadTf();
registerVitLayers(tf); // the ViT example's Keras-layout layers
console.log(`# import benchmark: ${n} Fashion-MNIST test images (${full ? "full test set" : "shipped sample"}), tfjs ${tf.version.tfjs} on ${tf.getBackend()}\n`);

const argmax = (s: Float32Array, o: number, k: number) => {
  let b = 0;
  for (let j = 1; j < k; j++) if ((s[o + j] as number) > (s[o + b] as number)) b = j;
  return b;
};
const header = "| model | ours correct | tfjs correct | class differs | max abs score diff | ours s | tfjs s |";
const lines = [header, "|---|---|---|---|---|---|---|"];
const results: unknown[] = [];
for (const rel of MODELS) {
  const path = `examples/fashion-mnist/${rel}`;
  if (!existsSync(path)) continue;
  const graph = await importModel(path);
  const model: tfTypes.LayersModel | null = path.endsWith(".json") ? await loadLayersModel(path) : annToTfjs(tf, graph);
  if (!model) throw new Error(`tfjs cannot build ${path}`);
  const per = shapeSize(test.sampleShape);
  let oursOk = 0, tfOk = 0, differ = 0, maxDiff = 0, oursS = 0, tfS = 0;
  for (let start = 0; start < n; start += BATCH) {
    const b = Math.min(BATCH, n - start);
    const x = test.images.subarray(start * per, (start + b) * per);
    let t0 = performance.now();
    const ours = runAnn(graph, x, b).get(graph.outputs[0] ?? "") as Float32Array;
    oursS += (performance.now() - t0) / 1000;
    t0 = performance.now();
    const input = tf.tensor(x, [b, ...test.sampleShape]);
    const y = model.predict(input) as tfTypes.Tensor;
    const theirs = (await y.data()) as Float32Array;
    tfS += (performance.now() - t0) / 1000;
    tf.dispose([input, y]);
    const k = ours.length / b;
    for (let s = 0; s < b; s++) {
      const a = argmax(ours, s * k, k), c = argmax(theirs, s * k, k);
      if (a === labels[start + s]) oursOk++;
      if (c === labels[start + s]) tfOk++;
      if (a !== c) differ++;
    }
    for (let j = 0; j < ours.length; j++) maxDiff = Math.max(maxDiff, Math.abs((ours[j] as number) - (theirs[j] as number)));
  }
  model.dispose();
  const line = `| ${rel} | ${oursOk} | ${tfOk} | ${differ} | ${maxDiff.toExponential(1)} | ${oursS.toFixed(1)} | ${tfS.toFixed(1)} |`;
  lines.push(line);
  console.log(line);
  results.push({ model: rel, samples: n, oursCorrect: oursOk, tfjsCorrect: tfOk, classDiffers: differ, maxAbsDiff: maxDiff, oursSeconds: oursS, tfjsSeconds: tfS });
}
console.log(`\n${lines.join("\n")}`);
mkdirSync("bench/results", { recursive: true });
writeFileSync(OUT, `${JSON.stringify({ samples: n, full, tfjs: tf.version.tfjs, backend: tf.getBackend(), results }, null, 2)}\n`);
