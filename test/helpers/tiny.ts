/**
 * @fileoverview A tiny hand-made TF.js Layers model written as files (model.json + weights.bin, no tfjs
 * needed) with seeded weights, and 16 seeded labelled images (x.npy, y.npy): input 6×6×1 → conv 3×3×2 (same,
 * relu) → average pooling 2 → flatten → dense 3 (softmax), 131 neurons. Small enough to dump every pass.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeNpy } from "../../compiler/data/npy.ts";
import { seededRng } from "../../compiler/util/rng.ts";

export interface TinyModel {
  readonly model: string;
  readonly data: string;
}

/** Writes the model into `dir`/tiny (so its name, "tiny/model.json", does not depend on `dir`). */
export function writeTinyModel(dir: string, seed = 3): TinyModel {
  const root = join(dir, "tiny");
  mkdirSync(root, { recursive: true });
  const rng = seededRng(seed);
  const weights: { name: string; shape: number[]; values: Float32Array }[] = [];
  const tensor = (name: string, shape: number[], scale: number, offset = 0) => {
    const n = shape.reduce((a, b) => a * b, 1);
    weights.push({ name, shape, values: Float32Array.from({ length: n }, () => (rng() * 2 - 1) * scale + offset) });
  };
  tensor("c1/kernel", [3, 3, 1, 2], 0.6, 0.1);
  tensor("c1/bias", [2], 0.05);
  tensor("out/kernel", [18, 3], 0.8);
  tensor("out/bias", [3], 0.05);
  const layer = (cls: string, config: Record<string, unknown>) => ({ class_name: cls, config: { trainable: true, dtype: "float32", ...config } });
  const topology = {
    class_name: "Sequential",
    config: {
      name: "tiny",
      layers: [
        layer("Conv2D", { name: "c1", batch_input_shape: [null, 6, 6, 1], filters: 2, kernel_size: [3, 3], strides: [1, 1], padding: "same", data_format: "channels_last", dilation_rate: [1, 1], activation: "relu", use_bias: true }),
        layer("AveragePooling2D", { name: "p1", pool_size: [2, 2], strides: [2, 2], padding: "valid", data_format: "channels_last" }),
        layer("Flatten", { name: "f" }),
        layer("Dense", { name: "out", units: 3, activation: "softmax", use_bias: true }),
      ],
    },
    keras_version: "tfjs-layers 4.22.0",
    backend: "tensor_flow.js",
  };
  const manifest = [{ paths: ["weights.bin"], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: "float32" })) }];
  writeFileSync(join(root, "model.json"), JSON.stringify({ format: "layers-model", generatedBy: "snnc test", convertedBy: null, modelTopology: topology, weightsManifest: manifest }));
  const total = weights.reduce((a, w) => a + w.values.length, 0);
  const bin = new Float32Array(total);
  let at = 0;
  for (const w of weights) {
    bin.set(w.values, at);
    at += w.values.length;
  }
  writeFileSync(join(root, "weights.bin"), new Uint8Array(bin.buffer));
  const n = 16;
  const x = Uint8Array.from({ length: n * 36 }, () => Math.floor(rng() * 256));
  const y = Int32Array.from({ length: n }, () => Math.floor(rng() * 3));
  writeFileSync(join(root, "x.npy"), writeNpy([n, 6, 6, 1], x));
  writeFileSync(join(root, "y.npy"), writeNpy([n], y));
  return { model: join(root, "model.json"), data: join(root, "x.npy") };
}
