/**
 * @fileoverview AnnGraph → tf.LayersModel with the same weights, so the import of formats tfjs cannot read
 * itself (Keras .h5 / .keras) is still checked against tfjs kernels. Graphs with layers tfjs lacks (RateNorm,
 * QCFS) are not rebuilt.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import type { Activation, AnnGraph, AnnNode } from "../ir/ann.ts";
import type { Tf } from "./backend.ts";

const TFJS_REBUILDS: ReadonlySet<string> = new Set([
  "input", "dense", "conv2d", "depthwiseConv2d", "batchNorm", "activation", "avgPool", "maxPool", "globalAvgPool",
  "flatten", "reshape", "zeroPad", "add", "concat",
]);

/** tfjs's name of an activation (GELU graphs are not rebuilt, see TFJS_REBUILDS). */
function tfAct(a: Activation): "linear" | "relu" | "relu6" | "softmax" {
  if (a === "gelu" || a === "geluTanh") throw new Error(`internal: ${a} reached annToTfjs`);
  return a;
}

export function annToTfjs(tf: Tf, graph: AnnGraph): tfTypes.LayersModel | null {
  // Layers tfjs lacks, and transformer graphs (issue 13, in progress), are not rebuilt.
  if (graph.nodes.some((n) => !TFJS_REBUILDS.has(n.op.kind) || ("activation" in n.op && (n.op.activation === "gelu" || n.op.activation === "geluTanh")))) return null;
  const L = tf.layers;
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
