/**
 * @fileoverview Float reference interpreter of an AnnGraph: the ground truth for calibration, ANN accuracy and
 * per-layer ANN-vs-SNN diagnostics. Pure TypeScript over typed arrays; agrees with tfjs predict to ≤ 1e-4.
 *
 * Input: the graph and a batch [N, ...inputShape] per input. Output: the tensor of every requested node
 * (default: the graph outputs). Intermediate tensors are dropped as soon as their last consumer has run.
 */
import { assertNever } from "../diagnostics.ts";
import { type AnnGraph, type AnnNode, shapeSize } from "../ir/ann.ts";
import { applyActivation, concat, conv2d, dense, depthwiseConv2d, globalAvgPool, pool, zeroPad } from "./ops.ts";
import { classToken, globalAvgPool1d, layerNorm, multiHeadAttention, positionEmbedding, tokenSlice } from "./transformer-ops.ts";

export interface InterpretOptions {
  /** Node names whose outputs to return besides the graph outputs; "all" keeps every node. */
  readonly keep?: ReadonlySet<string> | "all";
  /** Values that replace a node's output downstream (after `onComputed` has seen the computed one). */
  readonly override?: ReadonlyMap<string, Float32Array>;
  readonly onComputed?: (node: string, value: Float32Array) => void;
}

export function runAnn(
  graph: AnnGraph,
  inputs: ReadonlyMap<string, Float32Array> | Float32Array,
  batch: number,
  options: InterpretOptions = {},
): Map<string, Float32Array> {
  const feeds = inputs instanceof Float32Array ? new Map([[graph.inputs[0] ?? "", inputs]]) : inputs;
  const keepAll = options.keep === "all";
  const keep = new Set<string>([...graph.outputs, ...(keepAll || !options.keep ? [] : options.keep)]);
  const remaining = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) remaining.set(i, (remaining.get(i) ?? 0) + 1);
  const shapeOf = new Map(graph.nodes.map((n) => [n.name, n.shape]));
  const values = new Map<string, Float32Array>();
  for (const node of graph.nodes) {
    const args = node.inputs.map((i) => values.get(i) as Float32Array);
    const computed = evalNode(node, args, node.inputs.map((i) => shapeOf.get(i) ?? []), feeds, batch);
    options.onComputed?.(node.name, computed);
    values.set(node.name, options.override?.get(node.name) ?? computed);
    for (const i of node.inputs) {
      const left = (remaining.get(i) ?? 1) - 1;
      remaining.set(i, left);
      if (left === 0 && !keepAll && !keep.has(i)) values.delete(i);
    }
  }
  if (keepAll) return values;
  const out = new Map<string, Float32Array>();
  for (const k of keep) {
    const v = values.get(k);
    if (v) out.set(k, v);
  }
  return out;
}

function evalNode(
  node: AnnNode,
  args: readonly Float32Array[],
  inShapes: readonly (readonly number[])[],
  feeds: ReadonlyMap<string, Float32Array>,
  batch: number,
): Float32Array {
  const op = node.op;
  const x = args[0] as Float32Array;
  const inShape = inShapes[0] ?? [];
  switch (op.kind) {
    case "input": {
      const feed = feeds.get(node.name);
      if (!feed || feed.length !== batch * shapeSize(node.shape)) {
        throw new Error(`internal: input "${node.name}" needs ${batch}x[${node.shape.join(",")}] values, got ${feed?.length ?? 0}`);
      }
      return feed;
    }
    case "dense": {
      // On a token sequence [tokens, f] the kernel applies to every token: tokens·batch rows.
      const inN = inShape[inShape.length - 1] ?? 0;
      return dense(op, x, (batch * shapeSize(inShape)) / Math.max(1, inN), inN);
    }
    case "conv2d":
      return conv2d(op, x, batch, inShape);
    case "depthwiseConv2d":
      return depthwiseConv2d(op, x, batch, inShape);
    case "batchNorm": {
      const c = op.gamma.length;
      const out = new Float32Array(x.length);
      const scale = new Float64Array(c);
      for (let k = 0; k < c; k++) scale[k] = (op.gamma[k] as number) / Math.sqrt((op.variance[k] as number) + op.epsilon);
      for (let i = 0; i < x.length; i++) {
        const k = i % c;
        out[i] = ((x[i] as number) - (op.mean[k] as number)) * (scale[k] as number) + (op.beta[k] as number);
      }
      return out;
    }
    case "activation": {
      const out = Float32Array.from(x);
      applyActivation(out, op.activation, node.shape[node.shape.length - 1] ?? 1);
      return out;
    }
    case "avgPool":
    case "maxPool":
      return pool(op, x, batch, inShape);
    case "globalAvgPool":
      return globalAvgPool(x, batch, inShape);
    case "flatten":
    case "reshape":
      return x;
    case "zeroPad":
      return zeroPad(x, batch, inShape, op.padding);
    case "add": {
      const out = Float32Array.from(x);
      for (let k = 1; k < args.length; k++) {
        const y = args[k] as Float32Array;
        for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (y[i] as number);
      }
      return out;
    }
    case "concat":
      return concat(args, inShapes, op.axis, batch, node.shape);
    case "rateNorm": {
      const out = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) out[i] = Math.min(Math.max((x[i] as number) / op.theta, 0), 1);
      return out;
    }
    case "clipFloor": {
      const out = new Float32Array(x.length);
      const L = op.levels;
      for (let i = 0; i < x.length; i++) {
        const q = Math.floor(((x[i] as number) * L) / op.lambda + op.shift) / L;
        out[i] = op.lambda * Math.min(Math.max(q, 0), 1);
      }
      return out;
    }
    case "layerNorm":
      return layerNorm(op, x, inShape[inShape.length - 1] ?? 1);
    case "softmax": {
      const out = Float32Array.from(x);
      applyActivation(out, "softmax", inShape[inShape.length - 1] ?? 1);
      return out;
    }
    case "multiHeadAttention":
      return multiHeadAttention(op, x, batch, inShape[0] ?? 0, inShape[1] ?? 0);
    case "positionEmbedding":
      return positionEmbedding(op, x);
    case "classToken":
      return classToken(op, x, batch, inShape[0] ?? 0, inShape[1] ?? 0);
    case "globalAvgPool1d":
      return globalAvgPool1d(x, batch, inShape[0] ?? 0, inShape[1] ?? 0);
    case "tokenSlice":
      return tokenSlice(x, batch, inShape[0] ?? 0, inShape[1] ?? 0, op.index);
    default:
      return assertNever(op, "op");
  }
}

/** Index of the largest value in each row of `scores` ([batch, classes]). */
export function argmaxRows(scores: ArrayLike<number>, batch: number): Int32Array {
  const classes = scores.length / batch;
  const out = new Int32Array(batch);
  for (let n = 0; n < batch; n++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if ((scores[n * classes + j] as number) > (scores[n * classes + best] as number)) best = j;
    out[n] = best;
  }
  return out;
}

/** Runs the graph over a dataset in batches and returns the predicted class of each sample. */
export function predictClasses(graph: AnnGraph, images: Float32Array, count: number, batchSize = 256): Int32Array {
  const per = shapeSize(graph.nodes.find((n) => n.name === graph.inputs[0])?.shape ?? []);
  const out = new Int32Array(count);
  const outName = graph.outputs[0] ?? "";
  for (let s = 0; s < count; s += batchSize) {
    const b = Math.min(batchSize, count - s);
    const y = runAnn(graph, images.subarray(s * per, (s + b) * per), b).get(outName) as Float32Array;
    out.set(argmaxRows(y, b), s);
  }
  return out;
}
