/**
 * @fileoverview A tiny TF.js Vision Transformer with seeded random weights covering every transformer layer snnc
 * imports (patch embedding, class token, position embedding, LayerNormalization, MultiHeadAttention, Dense on
 * tokens with exact and tanh GELU, an Activation("gelu"), a Softmax layer inside the graph, Add, Dropout, token
 * slice, GlobalAveragePooling1D), for import tests against tfjs predict(). Input [8, 8, 1]: 2×2 patches of 4×4.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { loadTf } from "../../compiler/tfjs/backend.ts";
import { registerVitLayers } from "../../compiler/tfjs/vit-layers.ts";
import { randomiseWeights } from "./tfjs-models.ts";

type SymT = tfTypes.SymbolicTensor;

export async function tinyVit(seed = 5): Promise<tfTypes.LayersModel> {
  const tf = await loadTf();
  const V = registerVitLayers(tf);
  const L = tf.layers;
  const apply = (layer: tfTypes.layers.Layer, x: SymT | SymT[]): SymT => layer.apply(x) as SymT;
  const input = tf.input({ shape: [8, 8, 1], name: "input" });
  let x = apply(L.conv2d({ name: "patch_embed", filters: 8, kernelSize: 4, strides: 4 }), input);
  x = apply(L.reshape({ name: "patch_reshape", targetShape: [4, 8] }), x);
  x = apply(new V.ClassToken({ name: "cls" }), x);
  x = apply(new V.AddPositionEmbedding({ name: "pos_embed" }), x);
  let y = apply(new V.LayerNormalization({ name: "ln1", epsilon: 1e-5 }), x);
  y = apply(new V.MultiHeadAttention({ name: "attn", numHeads: 2, keyDim: 4, valueDim: 3 }), y);
  x = apply(L.add({ name: "add1" }), [x, y]);
  y = apply(new V.LayerNormalization({ name: "ln2", epsilon: 1e-3, center: false }), x);
  y = apply(L.dense({ name: "mlp1", units: 12, activation: "gelu" as "relu" }), y);
  y = apply(L.dense({ name: "mlp2", units: 8, activation: "gelu_new" as "relu" }), y);
  y = apply(L.activation({ name: "act_gelu", activation: "gelu" as "relu" }), y);
  x = apply(L.add({ name: "add2" }), [x, y]);
  const s = apply(L.softmax({ name: "token_softmax", axis: -1 }), x);
  const pooled = apply(L.globalAveragePooling1d({ name: "gap" }), s);
  const first = apply(new V.TokenSlice({ name: "cls_out", index: 0 }), x);
  let z = apply(L.add({ name: "head_add" }), [pooled, first]);
  z = apply(L.dropout({ name: "drop", rate: 0.1 }), z);
  const out = apply(L.dense({ name: "head", units: 3, activation: "softmax" }), z);
  const m = tf.model({ inputs: input, outputs: out, name: "tiny_vit" });
  randomiseWeights(tf, m, seed);
  return m;
}
