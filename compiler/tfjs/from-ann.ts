/**
 * @fileoverview AnnGraph → tf.LayersModel with the same weights, so the import of formats tfjs cannot read
 * itself (Keras .h5 / .keras) is still checked against tfjs kernels. Transformer layers are rebuilt with the
 * Keras-layout classes of vit-layers.ts (LayerNormalization, MultiHeadAttention, AddPositionEmbedding,
 * ClassToken, TokenSlice). Graphs with layers tfjs lacks (RateNorm, QCFS) are not rebuilt.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import type { Activation, AnnGraph, AnnNode } from "../ir/ann.ts";
import type { Tf } from "./backend.ts";
import { registerVitLayers } from "./vit-layers.ts";

const TFJS_REBUILDS: ReadonlySet<string> = new Set([
  "input", "dense", "conv2d", "depthwiseConv2d", "batchNorm", "activation", "avgPool", "maxPool", "globalAvgPool",
  "flatten", "reshape", "zeroPad", "add", "concat", "layerNorm", "multiHeadAttention", "softmax", "positionEmbedding",
  "classToken", "globalAvgPool1d", "tokenSlice",
]);

/** tfjs's name of an activation (`gelu_new` is tfjs' tanh GELU). */
function tfAct(a: Activation): "linear" | "relu" | "relu6" | "softmax" | "gelu" | "gelu_new" {
  return a === "geluTanh" ? "gelu_new" : a;
}

export function annToTfjs(tf: Tf, graph: AnnGraph): tfTypes.LayersModel | null {
  // Layers tfjs lacks are not rebuilt; nor attention with some biases and not others (Keras has one use_bias).
  const mixedBias = (n: AnnNode) => {
    if (n.op.kind !== "multiHeadAttention") return false;
    const o = n.op;
    return new Set([o.queryBias, o.keyBias, o.valueBias, o.outputBias].map((b) => b === null)).size > 1;
  };
  if (graph.nodes.some((n) => !TFJS_REBUILDS.has(n.op.kind) || mixedBias(n))) return null;
  const L = tf.layers;
  const V = registerVitLayers(tf);
  const tensors = new Map<string, tfTypes.SymbolicTensor>();
  const inputs: tfTypes.SymbolicTensor[] = [];
  const weightsToSet: { layer: tfTypes.layers.Layer; weights: tfTypes.Tensor[] }[] = [];
  const t = (data: Float32Array, shape: number[]) => tf.tensor(data, shape);
  for (const node of graph.nodes) {
    const args = node.inputs.map((i) => tensors.get(i) as tfTypes.SymbolicTensor);
    const x = args[0] as tfTypes.SymbolicTensor;
    const op = node.op;
    let layer: tfTypes.layers.Layer | null = null;
    let out: tfTypes.SymbolicTensor;
    const name = node.name.replace(/[^A-Za-z0-9_]/g, "_");
    const inShape = (x?.shape ?? []).slice(1) as number[];
    switch (op.kind) {
      case "input":
        out = tf.input({ shape: [...node.shape], name });
        inputs.push(out);
        break;
      case "dense":
        layer = L.dense({ units: op.units, activation: tfAct(op.activation), useBias: op.bias !== null, name });
        out = layer.apply(x) as tfTypes.SymbolicTensor;
        weightsToSet.push({ layer, weights: [t(op.kernel, [inShape[inShape.length - 1] ?? 0, op.units]), ...(op.bias ? [t(op.bias, [op.units])] : [])] });
        break;
      case "conv2d":
        layer = L.conv2d({ filters: op.filters, kernelSize: [...op.kernelSize], strides: [...op.strides], dilationRate: [...op.dilation], padding: op.padding, activation: tfAct(op.activation), useBias: op.bias !== null, name });
        out = layer.apply(x) as tfTypes.SymbolicTensor;
        weightsToSet.push({ layer, weights: [t(op.kernel, [op.kernelSize[0], op.kernelSize[1], inShape[2] ?? 0, op.filters]), ...(op.bias ? [t(op.bias, [op.filters])] : [])] });
        break;
      case "depthwiseConv2d":
        layer = L.depthwiseConv2d({ kernelSize: [...op.kernelSize], depthMultiplier: op.depthMultiplier, strides: [...op.strides], dilationRate: [...op.dilation], padding: op.padding, activation: tfAct(op.activation), useBias: op.bias !== null, name });
        out = layer.apply(x) as tfTypes.SymbolicTensor;
        weightsToSet.push({ layer, weights: [t(op.kernel, [op.kernelSize[0], op.kernelSize[1], inShape[2] ?? 0, op.depthMultiplier]), ...(op.bias ? [t(op.bias, [(inShape[2] ?? 0) * op.depthMultiplier])] : [])] });
        break;
      case "batchNorm": {
        layer = L.batchNormalization({ epsilon: op.epsilon, name });
        out = layer.apply(x) as tfTypes.SymbolicTensor;
        const c = op.gamma.length;
        weightsToSet.push({ layer, weights: [t(op.gamma, [c]), t(op.beta, [c]), t(op.mean, [c]), t(op.variance, [c])] });
        break;
      }
      case "activation":
        out = L.activation({ activation: tfAct(op.activation), name }).apply(x) as tfTypes.SymbolicTensor;
        break;
      case "avgPool":
        out = L.averagePooling2d({ poolSize: [...op.poolSize], strides: [...op.strides], padding: op.padding, name }).apply(x) as tfTypes.SymbolicTensor;
        break;
      case "maxPool":
        out = L.maxPooling2d({ poolSize: [...op.poolSize], strides: [...op.strides], padding: op.padding, name }).apply(x) as tfTypes.SymbolicTensor;
        break;
      case "globalAvgPool":
        out = L.globalAveragePooling2d({ name }).apply(x) as tfTypes.SymbolicTensor;
        break;
      case "flatten":
        out = L.flatten({ name }).apply(x) as tfTypes.SymbolicTensor;
        break;
      case "reshape":
        out = L.reshape({ targetShape: [...node.shape], name }).apply(x) as tfTypes.SymbolicTensor;
        break;
      case "zeroPad":
        out = L.zeroPadding2d({ padding: [[...op.padding[0]], [...op.padding[1]]] as [[number, number], [number, number]], name }).apply(x) as tfTypes.SymbolicTensor;
        break;
      case "add":
        out = L.add({ name }).apply(args) as tfTypes.SymbolicTensor;
        break;
      case "concat":
        out = L.concatenate({ axis: op.axis + 1, name }).apply(args) as tfTypes.SymbolicTensor;
        break;
      case "layerNorm": {
        layer = new V.LayerNormalization({ epsilon: op.epsilon, center: op.beta !== null, scale: op.gamma !== null, name });
        out = layer.apply(x) as tfTypes.SymbolicTensor;
        const f = inShape[inShape.length - 1] ?? 0;
        weightsToSet.push({ layer, weights: [...(op.gamma ? [t(op.gamma, [f])] : []), ...(op.beta ? [t(op.beta, [f])] : [])] });
        break;
      }
      case "multiHeadAttention": {
        const f = inShape[1] ?? 0;
        const useBias = op.queryBias !== null;
        layer = new V.MultiHeadAttention({ numHeads: op.heads, keyDim: op.keyDim, valueDim: op.valueDim, outputShape: op.outDim, useBias, name });
        out = layer.apply(x) as tfTypes.SymbolicTensor;
        const [h, dk, dv] = [op.heads, op.keyDim, op.valueDim];
        const pair = (k: Float32Array, kShape: number[], b: Float32Array | null, bShape: number[]) => [t(k, kShape), ...(b ? [t(b, bShape)] : [])];
        weightsToSet.push({
          layer,
          weights: [
            ...pair(op.queryKernel, [f, h, dk], op.queryBias, [h, dk]), ...pair(op.keyKernel, [f, h, dk], op.keyBias, [h, dk]),
            ...pair(op.valueKernel, [f, h, dv], op.valueBias, [h, dv]), ...pair(op.outputKernel, [h, dv, op.outDim], op.outputBias, [op.outDim]),
          ],
        });
        break;
      }
      case "softmax":
        out = L.softmax({ axis: -1, name }).apply(x) as tfTypes.SymbolicTensor;
        break;
      case "positionEmbedding":
        layer = new V.AddPositionEmbedding({ name });
        out = layer.apply(x) as tfTypes.SymbolicTensor;
        weightsToSet.push({ layer, weights: [t(op.table, [inShape[0] ?? 0, inShape[1] ?? 0])] });
        break;
      case "classToken":
        layer = new V.ClassToken({ name });
        out = layer.apply(x) as tfTypes.SymbolicTensor;
        weightsToSet.push({ layer, weights: [t(op.token, [1, 1, op.token.length])] });
        break;
      case "globalAvgPool1d":
        out = L.globalAveragePooling1d({ name }).apply(x) as tfTypes.SymbolicTensor;
        break;
      case "tokenSlice":
        out = new V.TokenSlice({ index: op.index, name }).apply(x) as tfTypes.SymbolicTensor;
        break;
      default:
        return null;
    }
    tensors.set(node.name, out);
  }
  const model = tf.model({ inputs, outputs: graph.outputs.map((o) => tensors.get(o) as tfTypes.SymbolicTensor) });
  for (const w of weightsToSet) w.layer.setWeights(w.weights);
  return model;
}

export type { AnnNode };
