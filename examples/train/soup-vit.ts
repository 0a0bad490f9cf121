/**
 * @fileoverview Uniform weight average ("model soup") of ViTs fine-tuned from the same weights, evaluated on the
 * 10,000 Fashion-MNIST test images with tfjs predict.
 *
 *   nice -n 10 npx tsx examples/train/soup-vit.ts DIR1 DIR2 [DIR…] [--out DIR]
 *
 * Input: directories with model.json + weights.bin + training.json of train-vit.ts runs (same config, same weight
 * names and shapes, checked). Prints each ingredient's and the average's test accuracy. With --out, writes the
 * averaged model (model.json + weights.bin, re-checked on the reloaded files) and a training.json that keeps every
 * ingredient's record and weights' SHA-256 under `ingredients`.
 */
import { createHash } from "node:crypto";
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type * as tfTypes from "@tensorflow/tfjs";
import { loadTf, type Tf } from "../../compiler/tfjs/backend.ts";
import { loadLayersModel, saveLayersModel } from "../../compiler/tfjs/io.ts";
import { registerVitLayers } from "../../compiler/tfjs/vit-layers.ts";
import { loadFashionMnist } from "./fashion.ts";
import { countCorrect } from "./train.ts";

/** Test images per predict() call, as train-vit.ts evaluates. */
const EVAL_BATCH = 500;

/** Element-wise mean of several models' weight lists (same length and shapes, checked). */
export function averageWeights(tf: Tf, lists: readonly (readonly tfTypes.Tensor[])[]): tfTypes.Tensor[] {
  const first = lists[0];
  if (first === undefined) throw new Error("averageWeights: no models");
  for (const l of lists) {
    if (l.length !== first.length) throw new Error(`averageWeights: ${l.length} weights against ${first.length}`);
    l.forEach((t, i) => {
      if (t.shape.join() !== first[i]?.shape.join()) throw new Error(`averageWeights: weight ${i} [${t.shape}] against [${first[i]?.shape}]`);
    });
  }
  return tf.tidy(() => first.map((_, i) => tf.addN(lists.map((l) => l[i] as tfTypes.Tensor)).div(lists.length)));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { out: { type: "string" } }, allowPositionals: true });
  if (positionals.length < 2) throw new Error("usage: soup-vit.ts DIR1 DIR2 [DIR…] [--out DIR]");
  const tf = await loadTf("wasm");
  registerVitLayers(tf);
  const { test } = loadFashionMnist();
  const records = positionals.map((d) => JSON.parse(readFileSync(join(d, "training.json"), "utf8")) as { config?: object; partial?: boolean });
  records.forEach((r, i) => {
    if (r.config === undefined || r.partial === true) throw new Error(`${positionals[i]}: training.json has no final config`);
    if (JSON.stringify(r.config) !== JSON.stringify(records[0]?.config)) throw new Error(`${positionals[i]}: config differs from ${positionals[0]}`);
  });
  const models = await Promise.all(positionals.map((d) => loadLayersModel(join(d, "model.json"))));
  const ingredients = positionals.map((dir, i) => {
    const correct = countCorrect(tf, models[i] as tfTypes.LayersModel, test, EVAL_BATCH);
    console.log(`${dir}: test ${correct}/${test.count}`);
    return { dir, weightsSha256: createHash("sha256").update(readFileSync(join(dir, "weights.bin"))).digest("hex"), testCorrect: correct, record: records[i] };
  });
  const model = models[0] as tfTypes.LayersModel;
  const avg = averageWeights(tf, models.map((m) => m.getWeights()));
  model.setWeights(avg);
  tf.dispose(avg);
  const testCorrect = countCorrect(tf, model, test, EVAL_BATCH);
  console.log(`average of ${positionals.length}: test ${testCorrect}/${test.count} (${((100 * testCorrect) / test.count).toFixed(2)}%)`);
  if (values.out === undefined) return;
  await saveLayersModel(model, values.out);
  const reloaded = countCorrect(tf, await loadLayersModel(join(values.out, "model.json")), test, EVAL_BATCH);
  if (reloaded !== testCorrect) throw new Error(`soup: reloaded model scores ${reloaded}, averaged model ${testCorrect}`);
  const info = {
    model: "vit", config: records[0]?.config,
    weightAverage: `uniform average of the weights of ${positionals.length} models fine-tuned from the same weights`,
    testAccuracy: testCorrect / test.count, testCorrect, testCount: test.count, tfjsVersion: tf.version.tfjs, backend: tf.getBackend(),
    command: `nice -n 10 npx tsx examples/train/soup-vit.ts ${positionals.join(" ")} --out ${values.out}`,
    ingredients,
  };
  writeFileSync(join(values.out, "training.json"), JSON.stringify(info, null, 2) + "\n");
  console.log(`-> ${values.out}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(resolve(process.argv[1]))).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  });
}
