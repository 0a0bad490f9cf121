/**
 * @fileoverview The three example architectures trained on Fashion-MNIST (input [28,28,1], 10 classes).
 *
 * `cnn` and `mlp` are Sequential, `resnet` is Functional (two residual blocks: identity, then a strided
 * projection block with layers on both Add branches). Layer names are fixed and lowercase so the compiler's
 * tests and docs can refer to them; every initializer is seeded so a given seed builds the same weights.
 * Dropout layers carry no seed: a fixed tfjs Dropout seed draws the same mask at every step, so train.ts
 * sets a fresh seed from its own PRNG before each batch instead (and clears it before saving).
 */
import type * as tfTypes from "@tensorflow/tfjs";

type Tf = typeof import("@tensorflow/tfjs");
type LayersModel = tfTypes.LayersModel;

export const MODEL_NAMES = ["cnn", "mlp", "resnet"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export const INPUT_SHAPE = [28, 28, 1] as const;

/** Per-layer initializer seeds derived from the model seed (distinct per layer, stable across runs). */
function seeder(seed: number): () => number {
  let i = 0;
  return () => (seed * 1000 + ++i) >>> 0;
}

/** Conv2D(16,3x3,same,relu) → AvgPool(2) → Conv2D(32,3x3,same,relu) → AvgPool(2) → Flatten → Dense(128,relu) → Dropout(0.25) → Dense(10,softmax). */
export function cnn(tf: Tf, seed = 1): LayersModel {
  const s = seeder(seed);
  return tf.sequential({
    name: "cnn",
    layers: [
      tf.layers.conv2d({ name: "conv1", inputShape: [...INPUT_SHAPE], filters: 16, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: tf.initializers.heNormal({ seed: s() }) }),
      tf.layers.averagePooling2d({ name: "pool1", poolSize: 2 }),
      tf.layers.conv2d({ name: "conv2", filters: 32, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: tf.initializers.heNormal({ seed: s() }) }),
      tf.layers.averagePooling2d({ name: "pool2", poolSize: 2 }),
      tf.layers.flatten({ name: "flatten" }),
      tf.layers.dense({ name: "fc1", units: 128, activation: "relu", kernelInitializer: tf.initializers.heNormal({ seed: s() }) }),
      tf.layers.dropout({ name: "dropout", rate: 0.25 }),
      tf.layers.dense({ name: "fc2", units: 10, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: s() }) }),
    ],
  });
}

/** Flatten → Dense(256,relu) → Dropout(0.2) → Dense(128,relu) → Dense(10,softmax). */
export function mlp(tf: Tf, seed = 1): LayersModel {
  const s = seeder(seed);
  return tf.sequential({
    name: "mlp",
    layers: [
      tf.layers.flatten({ name: "flatten", inputShape: [...INPUT_SHAPE] }),
      tf.layers.dense({ name: "fc1", units: 256, activation: "relu", kernelInitializer: tf.initializers.heNormal({ seed: s() }) }),
      tf.layers.dropout({ name: "dropout", rate: 0.2 }),
      tf.layers.dense({ name: "fc2", units: 128, activation: "relu", kernelInitializer: tf.initializers.heNormal({ seed: s() }) }),
      tf.layers.dense({ name: "fc3", units: 10, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: s() }) }),
    ],
  });
}

/**
 * stem: Conv2D(16,3,same,no bias) → BN → ReLU
 * block1 (identity): Conv(16) → BN → relu → Conv(16) → BN → Add(·, block input) → ReLU
 * AvgPool(2)
 * block2 (projection): Conv(32,stride 2) → BN → ReLU → Conv(32) → BN ; shortcut Conv(32,1x1,stride 2) → BN ; Add → ReLU
 * GlobalAvgPool → Dense(10, softmax)
 */
export function resnet(tf: Tf, seed = 1): LayersModel {
  const s = seeder(seed);
  type SymT = tfTypes.SymbolicTensor;
  const conv = (name: string, filters: number, kernelSize: number, strides = 1) =>
    tf.layers.conv2d({ name, filters, kernelSize, strides, padding: "same", useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: s() }) });
  const bn = (name: string) => tf.layers.batchNormalization({ name, axis: -1, momentum: 0.99, epsilon: 1e-3 });
  const apply = (layer: tfTypes.layers.Layer, x: SymT | SymT[]): SymT => layer.apply(x) as SymT;

  const input = tf.input({ shape: [...INPUT_SHAPE], name: "input" });
  let x = apply(conv("stem_conv", 16, 3), input);
  x = apply(bn("stem_bn"), x);
  x = apply(tf.layers.reLU({ name: "stem_relu" }), x);

  // Identity residual block.
  let y = apply(conv("block1_conv1", 16, 3), x);
  y = apply(bn("block1_bn1"), y);
  y = apply(tf.layers.activation({ name: "block1_relu1", activation: "relu" }), y);
  y = apply(conv("block1_conv2", 16, 3), y);
  y = apply(bn("block1_bn2"), y);
  x = apply(tf.layers.add({ name: "block1_add" }), [y, x]);
  x = apply(tf.layers.reLU({ name: "block1_relu2" }), x);

  x = apply(tf.layers.averagePooling2d({ name: "pool1", poolSize: 2 }), x);

  // Projection residual block: both Add inputs come through layers.
  let m = apply(conv("block2_conv1", 32, 3, 2), x);
  m = apply(bn("block2_bn1"), m);
  m = apply(tf.layers.reLU({ name: "block2_relu1" }), m);
  m = apply(conv("block2_conv2", 32, 3), m);
  m = apply(bn("block2_bn2"), m);
  let sc = apply(conv("block2_shortcut_conv", 32, 1, 2), x);
  sc = apply(bn("block2_shortcut_bn"), sc);
  x = apply(tf.layers.add({ name: "block2_add" }), [m, sc]);
  x = apply(tf.layers.reLU({ name: "block2_relu2" }), x);

  x = apply(tf.layers.globalAveragePooling2d({ name: "gap" }), x);
  const output = apply(tf.layers.dense({ name: "fc", units: 10, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: s() }) }), x);
  return tf.model({ name: "resnet", inputs: input, outputs: output });
}

export const MODELS: Record<ModelName, (tf: Tf, seed?: number) => LayersModel> = { cnn, mlp, resnet };
