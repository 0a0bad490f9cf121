/**
 * @fileoverview Reads the stand-in ViT that bench/lib/train-vit-torch.py writes (weights already in snnc's
 * AnnGraph layouts) into an AnnGraph: input 28×28×1 → Conv2D 7×7 stride 7 → Reshape [16, F] → class token →
 * position embedding → pre-LN blocks → LayerNorm → class-token slice → Dense 10. For bench/transformer.ts
 * until the ViT importer and examples/fashion-mnist/vit/ are on main.
 */
import { readFileSync } from "node:fs";
import type { AnnGraph, AnnNode, AnnOp, Shape } from "../../compiler/ir/ann.ts";

interface Doc {
  readonly format: string;
  readonly width: number;
  readonly heads: number;
  readonly mlp: number;
  readonly patch: { kernel: number[]; bias: number[] };
  readonly cls: number[];
  readonly pos: number[];
  readonly layers: Record<"ln1" | "ln2" | "q" | "k" | "v" | "o" | "fc1" | "fc2", [number[], number[]]>[];
  readonly ln: [number[], number[]];
  readonly head: [number[], number[]];
}

export function isBenchVitJson(path: string): boolean {
  if (!path.endsWith(".json")) return false;
  const head = readFileSync(path, "utf8").slice(0, 200);
  return head.includes("snnc-bench-vit/1");
}

export function loadBenchVit(path: string): AnnGraph {
  const d = JSON.parse(readFileSync(path, "utf8")) as Doc;
  const F = d.width;
  const H = d.heads;
  const dk = F / H;
  const f32 = (a: number[]): Float32Array => Float32Array.from(a);
  const nodes: AnnNode[] = [];
  const add = (name: string, op: AnnOp, inputs: string[], shape: Shape, sourceClass: string): string => {
    nodes.push({ name, op, inputs, shape, sourceClass });
    return name;
  };
  add("input", { kind: "input" }, [], [28, 28, 1], "InputLayer");
  add("patch", { kind: "conv2d", filters: F, kernelSize: [7, 7], strides: [7, 7], dilation: [1, 1], padding: "valid", kernel: f32(d.patch.kernel), bias: f32(d.patch.bias), activation: "linear" }, ["input"], [4, 4, F], "Conv2D");
  add("tokens", { kind: "reshape", targetShape: [16, F] }, ["patch"], [16, F], "Reshape");
  add("cls", { kind: "classToken", token: f32(d.cls) }, ["tokens"], [17, F], "ClassToken");
  let x = add("pos", { kind: "positionEmbedding", table: f32(d.pos) }, ["cls"], [17, F], "PositionEmbedding");
  d.layers.forEach((l, i) => {
    const ln1 = add(`b${i}/ln1`, { kind: "layerNorm", epsilon: 1e-6, gamma: f32(l.ln1[0]), beta: f32(l.ln1[1]) }, [x], [17, F], "LayerNormalization");
    const mha = add(`b${i}/mha`, {
      kind: "multiHeadAttention", heads: H, keyDim: dk, valueDim: dk, outDim: F,
      queryKernel: f32(l.q[0]), queryBias: f32(l.q[1]), keyKernel: f32(l.k[0]), keyBias: f32(l.k[1]),
      valueKernel: f32(l.v[0]), valueBias: f32(l.v[1]), outputKernel: f32(l.o[0]), outputBias: f32(l.o[1]),
    }, [ln1], [17, F], "MultiHeadAttention");
    const a1 = add(`b${i}/add1`, { kind: "add" }, [x, mha], [17, F], "Add");
    const ln2 = add(`b${i}/ln2`, { kind: "layerNorm", epsilon: 1e-6, gamma: f32(l.ln2[0]), beta: f32(l.ln2[1]) }, [a1], [17, F], "LayerNormalization");
    const fc1 = add(`b${i}/fc1`, { kind: "dense", units: d.mlp, kernel: f32(l.fc1[0]), bias: f32(l.fc1[1]), activation: "gelu" }, [ln2], [17, d.mlp], "Dense");
    const fc2 = add(`b${i}/fc2`, { kind: "dense", units: F, kernel: f32(l.fc2[0]), bias: f32(l.fc2[1]), activation: "linear" }, [fc1], [17, F], "Dense");
    x = add(`b${i}/add2`, { kind: "add" }, [a1, fc2], [17, F], "Add");
  });
  const ln = add("ln", { kind: "layerNorm", epsilon: 1e-6, gamma: f32(d.ln[0]), beta: f32(d.ln[1]) }, [x], [17, F], "LayerNormalization");
  const pick = add("pick", { kind: "tokenSlice", index: 0 }, [ln], [F], "ClassTokenSlice");
  add("head", { kind: "dense", units: 10, kernel: f32(d.head[0]), bias: f32(d.head[1]), activation: "linear" }, [pick], [10], "Dense");
  return { name: "bench-vit", format: "tfjs-layers", nodes, inputs: ["input"], outputs: ["head"] };
}
