/**
 * @fileoverview A small conv/pool/dense model with random weights and random labelled data (.npy), saved to a
 * temp directory: small enough for the tiny test targets (2 chips × 2 cores × 64 neurons).
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeNpy } from "../../compiler/data/npy.ts";
import { loadTf } from "../../compiler/tfjs/backend.ts";
import { randomiseWeights, saveToTemp, seededRandom } from "./tfjs-models.ts";

export interface SmallModel {
  readonly model: string;
  readonly data: string;
}

/** input 6×6×1 → conv 3×3×3 (same, relu) → avgpool (or maxpool) 2 → flatten → dense 10 (softmax): 181 neurons. */
export async function smallConvModel(seed = 5, name = "small", pool: "average" | "max" = "average"): Promise<SmallModel> {
  const tf = await loadTf();
  const L = tf.layers;
  const m = tf.sequential({ name });
  m.add(L.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, padding: "same", activation: "relu", name: "c1" }));
  m.add(pool === "max" ? L.maxPooling2d({ poolSize: 2, name: "p1" }) : L.averagePooling2d({ poolSize: 2, name: "p1" }));
  m.add(L.flatten({ name: "f" }));
  m.add(L.dense({ units: 10, activation: "softmax", name: "out" }));
  randomiseWeights(tf, m, seed);
  const model = await saveToTemp(m, name);
  const rand = seededRandom(seed + 1);
  const n = 64;
  const x = new Uint8Array(n * 36);
  for (let i = 0; i < x.length; i++) x[i] = Math.floor(rand() * 256);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.floor(rand() * 10);
  const dir = dirname(model);
  writeFileSync(join(dir, "x.npy"), writeNpy([n, 6, 6, 1], x));
  writeFileSync(join(dir, "y.npy"), writeNpy([n], y));
  return { model, data: join(dir, "x.npy") };
}
