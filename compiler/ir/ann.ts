/**
 * @fileoverview AnnGraph: the imported artificial network, the input of `convert`.
 *
 * A directed acyclic graph of layer nodes in topological order. Shapes are per sample (no batch axis) in NHWC
 * order: an image tensor is `[h, w, c]`, a vector `[n]`. Weights are float32 typed arrays in the layouts Keras
 * and TF.js use, so import copies no data:
 *   dense kernel            [in, units]
 *   conv2d kernel           [kh, kw, cin, cout]
 *   depthwise kernel        [kh, kw, cin, multiplier]   (output channel = ci * multiplier + m)
 * Invariants (checked by `verifyAnnGraph`): names are unique, every input names an earlier node, each node's
 * `shape` is what `inferShape` gives for its inputs, and every output is reachable from an input.
 */

export type Shape = readonly number[];

/**
 * Output nonlinearity of a layer. `relu6` is ReLU clipped at 6; softmax is accepted only as the network output
 * (inside a graph it is the `softmax` op). `gelu` is the exact x·Φ(x); `geluTanh` is the tanh approximation
 * 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (Keras `gelu` with `approximate=True`).
 */
export type Activation = "linear" | "relu" | "relu6" | "softmax" | "gelu" | "geluTanh";

export type Padding = "valid" | "same";

export type Pair = readonly [number, number];

export interface DenseOp {
  readonly kind: "dense";
  readonly units: number;
  readonly kernel: Float32Array;
  readonly bias: Float32Array | null;
  readonly activation: Activation;
}

export interface Conv2dOp {
  readonly kind: "conv2d";
  readonly filters: number;
  readonly kernelSize: Pair;
  readonly strides: Pair;
  readonly dilation: Pair;
  readonly padding: Padding;
  readonly kernel: Float32Array;
  readonly bias: Float32Array | null;
  readonly activation: Activation;
}

export interface DepthwiseConv2dOp {
  readonly kind: "depthwiseConv2d";
  readonly depthMultiplier: number;
  readonly kernelSize: Pair;
  readonly strides: Pair;
  readonly dilation: Pair;
  readonly padding: Padding;
  readonly kernel: Float32Array;
  readonly bias: Float32Array | null;
  readonly activation: Activation;
}

/** Inference-mode batch normalisation over the last (channel) axis. */
export interface BatchNormOp {
  readonly kind: "batchNorm";
  readonly epsilon: number;
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly mean: Float32Array;
  readonly variance: Float32Array;
}

export interface ActivationOp {
  readonly kind: "activation";
  readonly activation: Activation;
}

export interface PoolOp {
  readonly kind: "avgPool" | "maxPool";
  readonly poolSize: Pair;
  readonly strides: Pair;
  readonly padding: Padding;
}

/**
 * RNL's rate-norm layer (Ding et al. 2021): y = clamp(relu(x) / theta, 0, 1), theta = running_max * sigmoid(scale)
 * learned in training. The output is a rate in [0, 1]; conversion makes theta the IF threshold.
 */
export interface RateNormOp {
  readonly kind: "rateNorm";
  readonly theta: number;
}

/** QCFS clip-floor-shift activation (Bu et al. 2022): y = lambda * clip(floor(x * L / lambda + shift) / L, 0, 1). */
export interface ClipFloorOp {
  readonly kind: "clipFloor";
  readonly levels: number;
  readonly lambda: number;
  readonly shift: number;
}

/**
 * Layer normalisation over the last axis (Keras LayerNormalization with axis -1):
 * y = (x - mean) / sqrt(var + epsilon) · gamma + beta, with the biased variance over the last axis.
 */
export interface LayerNormOp {
  readonly kind: "layerNorm";
  readonly epsilon: number;
  /** [features]; null = 1 (Keras `scale=False`). */
  readonly gamma: Float32Array | null;
  /** [features]; null = 0 (Keras `center=False`). */
  readonly beta: Float32Array | null;
}

/**
 * Self-attention over a token sequence [tokens, features] (Keras MultiHeadAttention called with query = value =
 * key = the one input, no mask, no dropout at inference), in Keras' kernel layout:
 *   query kernel  [features, heads, keyDim]     bias [heads, keyDim]
 *   key kernel    [features, heads, keyDim]     bias [heads, keyDim]
 *   value kernel  [features, heads, valueDim]   bias [heads, valueDim]
 *   output kernel [heads, valueDim, outDim]     bias [outDim]
 * Per head h: A_h = softmax(Q_h·K_hᵀ / sqrt(keyDim)) over the key axis, O_h = A_h·V_h; the output is
 * Σ_h O_h·W_o[h] + b_o, shape [tokens, outDim].
 */
export interface MultiHeadAttentionOp {
  readonly kind: "multiHeadAttention";
  readonly heads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly outDim: number;
  readonly queryKernel: Float32Array;
  readonly queryBias: Float32Array | null;
  readonly keyKernel: Float32Array;
  readonly keyBias: Float32Array | null;
  readonly valueKernel: Float32Array;
  readonly valueBias: Float32Array | null;
  readonly outputKernel: Float32Array;
  readonly outputBias: Float32Array | null;
}

/** Softmax inside the graph, over the last axis. */
export interface SoftmaxOp {
  readonly kind: "softmax";
}

/** Learned position embedding: y[t, f] = x[t, f] + table[t, f], table [tokens, features] (custom layer). */
export interface PositionEmbeddingOp {
  readonly kind: "positionEmbedding";
  readonly table: Float32Array;
}

/** Learned class token prepended to the sequence: [tokens, f] → [tokens + 1, f], row 0 = token (custom layer). */
export interface ClassTokenOp {
  readonly kind: "classToken";
  readonly token: Float32Array;
}

/** Keras GlobalAveragePooling1D: mean over the token axis, [tokens, f] → [f]. */
export interface GlobalAvgPool1dOp {
  readonly kind: "globalAvgPool1d";
}

/** Picks one token of a sequence, [tokens, f] → [f] (the class-token readout; custom layer). */
export interface TokenSliceOp {
  readonly kind: "tokenSlice";
  readonly index: number;
}

export type AnnOp =
  | { readonly kind: "input" }
  | DenseOp
  | Conv2dOp
  | DepthwiseConv2dOp
  | BatchNormOp
  | ActivationOp
  | PoolOp
  | { readonly kind: "globalAvgPool" }
  | { readonly kind: "flatten" }
  | { readonly kind: "reshape"; readonly targetShape: Shape }
  | { readonly kind: "zeroPad"; readonly padding: readonly [Pair, Pair] }
  | { readonly kind: "add" }
  | { readonly kind: "concat"; readonly axis: number }
  | RateNormOp
  | ClipFloorOp
  | LayerNormOp
  | MultiHeadAttentionOp
  | SoftmaxOp
  | PositionEmbeddingOp
  | ClassTokenOp
  | GlobalAvgPool1dOp
  | TokenSliceOp;

export type AnnOpKind = AnnOp["kind"];

export interface AnnNode {
  readonly name: string;
  /** The Keras class the node came from (`Conv2D`, `ReLU`, ...), for messages. */
  readonly sourceClass: string;
  readonly op: AnnOp;
  readonly inputs: readonly string[];
  readonly shape: Shape;
}

export type ModelFormat = "tfjs-layers" | "keras-h5" | "keras-v3" | "onnx";

export interface AnnGraph {
  readonly name: string;
  readonly format: ModelFormat;
  /** Topological order: every node's inputs come before it. */
  readonly nodes: readonly AnnNode[];
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function nodeByName(graph: AnnGraph): Map<string, AnnNode> {
  return new Map(graph.nodes.map((n) => [n.name, n]));
}

/** Node names that read each node's output. */
export function consumers(graph: AnnGraph): Map<string, string[]> {
  const out = new Map<string, string[]>(graph.nodes.map((n) => [n.name, []]));
  for (const n of graph.nodes) for (const i of n.inputs) out.get(i)?.push(n.name);
  return out;
}

/** Layers that carry weights. */
export function isWeighted(op: AnnOp): op is DenseOp | Conv2dOp | DepthwiseConv2dOp {
  return op.kind === "dense" || op.kind === "conv2d" || op.kind === "depthwiseConv2d";
}

export function parameterCount(op: AnnOp): number {
  switch (op.kind) {
    case "dense":
    case "conv2d":
    case "depthwiseConv2d":
      return op.kernel.length + (op.bias?.length ?? 0);
    case "batchNorm":
      return op.gamma.length * 4;
    default:
      return 0;
  }
}
