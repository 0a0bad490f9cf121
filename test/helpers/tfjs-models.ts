/**
 * @fileoverview Small TF.js models with random weights covering every layer snnc imports, saved to a temp
 * directory, for import tests against tfjs predict().
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as tfTypes from "@tensorflow/tfjs";
import { loadTf } from "../../compiler/tfjs/backend.ts";
import { saveLayersModel } from "../../compiler/tfjs/io.ts";

type Tf = typeof tfTypes;

/** Seeded uniform numbers (mulberry32, compiler/util/rng.ts), so tests are repeatable. */
export { seededRng as seededRandom } from "../../compiler/util/rng.ts";
import { seededRng as seededRandom } from "../../compiler/util/rng.ts";

export function randomArray(n: number, rand: () => number, lo = 0, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand();
  return a;
}

/** Replaces every weight with seeded random values; BN variances are positive, means/betas nonzero. */
export function randomiseWeights(tf: Tf, model: tfTypes.LayersModel, seed: number): void {
  const rand = seededRandom(seed);
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    const isBn = layer.getClassName() === "BatchNormalization";
    layer.setWeights(ws.map((w, i) => {
      const name = layer.weights[i]?.name ?? "";
      const n = w.size;
      let data: Float32Array;
      if (isBn && name.includes("variance")) data = randomArray(n, rand, 0.5, 2);
      else if (isBn && name.includes("gamma")) data = randomArray(n, rand, 0.5, 1.5);
      else if (isBn) data = randomArray(n, rand, -0.3, 0.3);
      else data = randomArray(n, rand, -0.5, 0.5);
      return tf.tensor(data, w.shape);
    }));
  }
}

export async function saveToTemp(model: tfTypes.LayersModel, label: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `snnc-${label}-`));
  await saveLayersModel(model, dir);
  return join(dir, "model.json");
}

/** Sequential CNN with every single-input layer type. Input [12, 12, 2]. */
export async function allLayersSequential(seed = 1): Promise<tfTypes.LayersModel> {
  const tf = await loadTf();
  const L = tf.layers;
  const m = tf.sequential({ name: "all_layers" });
  m.add(L.zeroPadding2d({ inputShape: [12, 12, 2], padding: [[1, 0], [0, 2]], name: "pad" }));
  m.add(L.conv2d({ filters: 4, kernelSize: 3, padding: "same", activation: "relu", name: "conv_same" }));
  m.add(L.batchNormalization({ name: "bn", epsilon: 0.01 }));
  m.add(L.conv2d({ filters: 5, kernelSize: [3, 2], strides: [2, 1], padding: "valid", name: "conv_strided" }));
  m.add(L.activation({ activation: "relu6", name: "act_relu6" }));
  m.add(L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: "same", name: "dw" }));
  m.add(L.reLU({ name: "relu_layer" }));
  m.add(L.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2, padding: "same", useBias: false, name: "conv_dilated" }));
  m.add(L.averagePooling2d({ poolSize: 3, strides: 2, padding: "same", name: "avg_same" }));
  m.add(L.maxPooling2d({ poolSize: 2, strides: 1, padding: "valid", name: "max_valid" }));
  m.add(L.flatten({ name: "flat" }));
  m.add(L.dropout({ rate: 0.3, name: "drop" }));
  m.add(L.dense({ units: 7, activation: "relu", name: "fc1" }));
  m.add(L.dense({ units: 4, activation: "softmax", name: "out" }));
  randomiseWeights(tf, m, seed);
  return m;
}

/** Functional model: two inputs, residual Add with layers on both branches, Concatenate, GAP, Reshape. */
export async function functionalResidual(seed = 2): Promise<tfTypes.LayersModel> {
  const tf = await loadTf();
  const L = tf.layers;
  const a = tf.input({ shape: [8, 8, 3], name: "img" });
  const b = tf.input({ shape: [5], name: "side" });
  const c1 = L.conv2d({ filters: 6, kernelSize: 3, padding: "same", activation: "relu", name: "c1" }).apply(a) as tfTypes.SymbolicTensor;
  const c2 = L.conv2d({ filters: 6, kernelSize: 3, padding: "same", name: "c2" }).apply(c1) as tfTypes.SymbolicTensor;
  const bn2 = L.batchNormalization({ name: "bn2" }).apply(c2) as tfTypes.SymbolicTensor;
  const sc = L.conv2d({ filters: 6, kernelSize: 1, name: "shortcut" }).apply(a) as tfTypes.SymbolicTensor;
  const bns = L.batchNormalization({ name: "bn_sc" }).apply(sc) as tfTypes.SymbolicTensor;
  const add = L.add({ name: "add" }).apply([bn2, bns]) as tfTypes.SymbolicTensor;
  const r = L.activation({ activation: "relu", name: "add_relu" }).apply(add) as tfTypes.SymbolicTensor;
  const cat = L.concatenate({ axis: -1, name: "cat_ch" }).apply([r, c1]) as tfTypes.SymbolicTensor;
  const gap = L.globalAveragePooling2d({ name: "gap" }).apply(cat) as tfTypes.SymbolicTensor;
  const merged = L.concatenate({ name: "cat_side" }).apply([gap, b]) as tfTypes.SymbolicTensor;
  const rs = L.reshape({ targetShape: [griddims(merged), 1], name: "rs" }).apply(merged) as tfTypes.SymbolicTensor;
  const fl = L.flatten({ name: "fl" }).apply(rs) as tfTypes.SymbolicTensor;
  const out = L.dense({ units: 3, name: "logits" }).apply(fl) as tfTypes.SymbolicTensor;
  const m = tf.model({ inputs: [a, b], outputs: out, name: "residual_two_inputs" });
  randomiseWeights(tf, m, seed);
  return m;
}

function griddims(t: tfTypes.SymbolicTensor): number {
  return t.shape[1] as number;
}
