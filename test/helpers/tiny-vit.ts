/**
 * @fileoverview A tiny hand-made Vision Transformer as an AnnGraph (seeded random weights) and a float
 * reference of its layers, for the ecmt tests: input 8×8×1 → patch-embedding Conv2D 4×4 stride 4 (8 filters)
 * → Reshape [4, 8] → class token → position embedding → one pre-LN block (LayerNorm, 2-head attention, Add,
 * LayerNorm, Dense 16 GELU, Dense 8, Add) → LayerNorm → class-token slice (or token mean) → Dense 3.
 * The reference is test code on purpose: the compiler's interpreter for these layers lives elsewhere.
 */
import type { Dataset } from "../../compiler/data/dataset.ts";
import type { AnnGraph, AnnNode, AnnOp, Shape } from "../../compiler/ir/ann.ts";
import { gelu, geluTanh } from "../../compiler/interp/ops.ts";
import { seededRng } from "../../compiler/util/rng.ts";

export interface TinyVitOptions {
  readonly seed?: number;
  readonly readout?: "classToken" | "mean" | "meanThenNorm";
  readonly approximateGelu?: boolean;
}

export function tinyVit(options: TinyVitOptions = {}): AnnGraph {
  const rng = seededRng(options.seed ?? 7);
  const r = (n: number, scale: number, offset = 0): Float32Array => Float32Array.from({ length: n }, () => (rng() * 2 - 1) * scale + offset);
  const F = 8;
  const H = 2;
  const dk = 4;
  const N = 5;
  const nodes: AnnNode[] = [];
  const node = (name: string, op: AnnOp, inputs: string[], shape: Shape, sourceClass: string = op.kind): void => {
    nodes.push({ name, op, inputs, shape, sourceClass });
  };
  node("input", { kind: "input" }, [], [8, 8, 1], "InputLayer");
  node("patch", { kind: "conv2d", filters: F, kernelSize: [4, 4], strides: [4, 4], dilation: [1, 1], padding: "valid", kernel: r(16 * F, 0.5), bias: r(F, 0.1), activation: "linear" }, ["input"], [2, 2, F], "Conv2D");
  node("tokens", { kind: "reshape", targetShape: [4, F] }, ["patch"], [4, F], "Reshape");
  node("cls", { kind: "classToken", token: r(F, 0.5) }, ["tokens"], [N, F], "ClassToken");
  node("pos", { kind: "positionEmbedding", table: r(N * F, 0.3) }, ["cls"], [N, F], "PositionEmbedding");
  node("ln1", { kind: "layerNorm", epsilon: 1e-6, gamma: r(F, 0.2, 1), beta: r(F, 0.1) }, ["pos"], [N, F], "LayerNormalization");
  node("mha", {
    kind: "multiHeadAttention", heads: H, keyDim: dk, valueDim: dk, outDim: F,
    queryKernel: r(F * H * dk, 0.6), queryBias: r(H * dk, 0.1), keyKernel: r(F * H * dk, 0.6), keyBias: r(H * dk, 0.1),
    valueKernel: r(F * H * dk, 0.5), valueBias: r(H * dk, 0.1), outputKernel: r(H * dk * F, 0.4), outputBias: r(F, 0.1),
  }, ["ln1"], [N, F], "MultiHeadAttention");
  node("add1", { kind: "add" }, ["pos", "mha"], [N, F], "Add");
  node("ln2", { kind: "layerNorm", epsilon: 1e-6, gamma: r(F, 0.2, 1), beta: r(F, 0.1) }, ["add1"], [N, F], "LayerNormalization");
  node("fc1", { kind: "dense", units: 16, kernel: r(F * 16, 0.5), bias: r(16, 0.1), activation: options.approximateGelu ? "geluTanh" : "gelu" }, ["ln2"], [N, 16], "Dense");
  node("fc2", { kind: "dense", units: F, kernel: r(16 * F, 0.4), bias: r(F, 0.1), activation: "linear" }, ["fc1"], [N, F], "Dense");
  node("add2", { kind: "add" }, ["add1", "fc2"], [N, F], "Add");
  if (options.readout === "meanThenNorm") {
    // token mean of the residual stream, then the final LayerNorm on the [F] vector
    node("mean", { kind: "globalAvgPool1d" }, ["add2"], [F], "GlobalAveragePooling1D");
    node("pick", { kind: "layerNorm", epsilon: 1e-6, gamma: r(F, 0.2, 1), beta: r(F, 0.1) }, ["mean"], [F], "LayerNormalization");
  } else {
    node("ln3", { kind: "layerNorm", epsilon: 1e-6, gamma: r(F, 0.2, 1), beta: r(F, 0.1) }, ["add2"], [N, F], "LayerNormalization");
    if (options.readout === "mean") node("pick", { kind: "globalAvgPool1d" }, ["ln3"], [F], "GlobalAveragePooling1D");
    else node("pick", { kind: "tokenSlice", index: 0 }, ["ln3"], [F], "ClassTokenSlice");
  }
  node("head", { kind: "dense", units: 3, kernel: r(F * 3, 0.8), bias: r(3, 0.05), activation: "softmax" }, ["pick"], [3], "Dense");
  return { name: "tiny-vit", format: "tfjs-layers", nodes, inputs: ["input"], outputs: ["head"] };
}

export function tinyVitData(count: number, seed = 11): Dataset {
  const rng = seededRng(seed);
  const images = Float32Array.from({ length: count * 64 }, () => rng());
  return { images, labels: null, count, sampleShape: [8, 8, 1], source: "tiny-vit random images" };
}

/** Float reference of the graph's layers for one sample; returns the logits (output softmax left out). */
export function referenceLogits(graph: AnnGraph, image: Float32Array): Float32Array {
  const v = new Map<string, Float32Array>();
  const shapeOf = new Map(graph.nodes.map((n) => [n.name, n.shape]));
  for (const n of graph.nodes) {
    const x = v.get(n.inputs[0] ?? "") as Float32Array;
    const inShape = shapeOf.get(n.inputs[0] ?? "") ?? [];
    const op = n.op;
    let y: Float32Array;
    switch (op.kind) {
      case "input": y = image; break;
      case "conv2d": {
        const [h, w, c] = inShape as [number, number, number];
        const [oh, ow, oc] = n.shape as [number, number, number];
        const [kh, kw] = op.kernelSize;
        y = new Float32Array(oh * ow * oc);
        for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < oc; o++) {
          let s = op.bias ? (op.bias[o] as number) : 0;
          for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) for (let ci = 0; ci < c; ci++) {
            const iy = oy * op.strides[0] + ky;
            const ix = ox * op.strides[1] + kx;
            if (iy < h && ix < w) s += (x[(iy * w + ix) * c + ci] as number) * (op.kernel[((ky * kw + kx) * c + ci) * oc + o] as number);
          }
          y[(oy * ow + ox) * oc + o] = s;
        }
        break;
      }
      case "reshape": y = x; break;
      case "classToken": y = new Float32Array(x.length + op.token.length); y.set(op.token); y.set(x, op.token.length); break;
      case "positionEmbedding": y = x.map((a, i) => a + (op.table[i] as number)); break;
      case "add": y = x.map((a, i) => a + ((v.get(n.inputs[1] ?? "") as Float32Array)[i] as number)); break;
      case "layerNorm": {
        const F = inShape[inShape.length - 1] as number;
        y = new Float32Array(x.length);
        for (let s = 0; s < x.length; s += F) {
          const row = x.subarray(s, s + F);
          const mean = row.reduce((a, b) => a + b, 0) / F;
          const vr = row.reduce((a, b) => a + (b - mean) ** 2, 0) / F;
          for (let f = 0; f < F; f++) y[s + f] = ((row[f] as number) - mean) / Math.sqrt(vr + op.epsilon) * (op.gamma?.[f] ?? 1) + (op.beta?.[f] ?? 0);
        }
        break;
      }
      case "multiHeadAttention": {
        const [N, F] = inShape as [number, number];
        const { heads: H, keyDim: K, valueDim: V, outDim: O } = op;
        const lin = (kern: Float32Array, bias: Float32Array | null, out: number): Float32Array => {
          const r = new Float32Array(N * out);
          for (let t = 0; t < N; t++) for (let j = 0; j < out; j++) {
            let s = bias ? (bias[j] as number) : 0;
            for (let f = 0; f < F; f++) s += (x[t * F + f] as number) * (kern[f * out + j] as number);
            r[t * out + j] = s;
          }
          return r;
        };
        const q = lin(op.queryKernel, op.queryBias, H * K);
        const k = lin(op.keyKernel, op.keyBias, H * K);
        const val = lin(op.valueKernel, op.valueBias, H * V);
        const ctx = new Float32Array(N * H * V);
        for (let h = 0; h < H; h++) for (let i = 0; i < N; i++) {
          const a = new Float64Array(N);
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let d = 0; d < K; d++) s += (q[i * H * K + h * K + d] as number) * (k[j * H * K + h * K + d] as number);
            a[j] = s / Math.sqrt(K);
          }
          const m = Math.max(...a);
          let z = 0;
          for (let j = 0; j < N; j++) z += (a[j] = Math.exp((a[j] as number) - m));
          for (let e = 0; e < V; e++) {
            let s = 0;
            for (let j = 0; j < N; j++) s += ((a[j] as number) / z) * (val[j * H * V + h * V + e] as number);
            ctx[i * H * V + h * V + e] = s;
          }
        }
        y = new Float32Array(N * O);
        for (let t = 0; t < N; t++) for (let o = 0; o < O; o++) {
          let s = op.outputBias ? (op.outputBias[o] as number) : 0;
          for (let j = 0; j < H * V; j++) s += (ctx[t * H * V + j] as number) * (op.outputKernel[j * O + o] as number);
          y[t * O + o] = s;
        }
        break;
      }
      case "dense": {
        const inN = op.kernel.length / op.units;
        const rows = x.length / inN;
        y = new Float32Array(rows * op.units);
        for (let t = 0; t < rows; t++) for (let j = 0; j < op.units; j++) {
          let s = op.bias ? (op.bias[j] as number) : 0;
          for (let f = 0; f < inN; f++) s += (x[t * inN + f] as number) * (op.kernel[f * op.units + j] as number);
          y[t * op.units + j] = op.activation === "gelu" ? gelu(s) : op.activation === "geluTanh" ? geluTanh(s) : s;
        }
        break;
      }
      case "tokenSlice": { const F = n.shape[0] as number; y = x.slice(op.index * F, (op.index + 1) * F); break; }
      case "globalAvgPool1d": {
        const F = n.shape[0] as number;
        y = new Float32Array(F);
        for (let i = 0; i < x.length; i++) y[i % F] = (y[i % F] as number) + (x[i] as number) / (x.length / F);
        break;
      }
      default: throw new Error(`reference: ${op.kind}`);
    }
    v.set(n.name, y);
  }
  return v.get(graph.outputs[0] as string) as Float32Array;
}
