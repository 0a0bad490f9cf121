/**
 * Tiny ONNX models built in code with onnx-proto (the schema the importer decodes), seeded weights.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { seededRng } from "../../compiler/util/rng.ts";

const { onnx } = onnxProto;

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, number | number[] | string | { floats: number[] }>;
}

export interface ModelSpec {
  nodes: NodeSpec[];
  inits: Record<string, { dims: number[]; data: number[] | Float32Array; type?: "float" | "int64" }>;
  input: { name: string; dims: (number | string)[] };
  output: string;
  opset?: number;
}

function attr(name: string, v: NonNullable<NodeSpec["attrs"]>[string]) {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === "string") return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === "number") return Number.isInteger(v) ? { name, type: A.INT, i: v } : { name, type: A.FLOAT, f: v };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  return { name, type: A.FLOATS, floats: v.floats };
}

export function tensor(name: string, dims: number[], data: number[] | Float32Array, type: "float" | "int64" = "float") {
  if (type === "int64") {
    const raw = new Uint8Array(data.length * 8);
    const dv = new DataView(raw.buffer);
    Array.from(data).forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
    return { name, dims, dataType: 7, rawData: raw };
  }
  return { name, dims, dataType: 1, rawData: new Uint8Array(Float32Array.from(data).buffer) };
}

export function encodeModel(spec: ModelSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "snnc-test",
    opsetImport: [{ domain: "", version: spec.opset ?? 13 }],
    graph: {
      name: "g",
      node: spec.nodes.map((n, k) => ({ name: n.name ?? `n${k}_${n.op}`, opType: n.op, input: n.inputs, output: n.outputs, attribute: Object.entries(n.attrs ?? {}).map(([a, v]) => attr(a, v)) })),
      initializer: Object.entries(spec.inits).map(([name, t]) => tensor(name, t.dims, t.data, t.type)),
      input: [{ name: spec.input.name, type: { tensorType: { elemType: 1, shape: { dim: spec.input.dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } } } }],
      output: [{ name: spec.output, type: { tensorType: { elemType: 1 } } }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export function randn(n: number, seed: number, scale = 0.3): Float32Array {
  const rng = seededRng(seed);
  return Float32Array.from({ length: n }, () => (rng() * 2 - 1) * scale);
}

export function positive(n: number, seed: number, base = 0.5): Float32Array {
  const rng = seededRng(seed);
  return Float32Array.from({ length: n }, () => base + rng());
}

export function saveOnnx(bytes: Uint8Array, dir = mkdtempSync(join(tmpdir(), "snnc-onnx-")), name = "model.onnx"): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/**
 * Every supported op on a [N, 2, 8, 8] input: conv with symmetric pads and stride 2, BN, ReLU, depthwise and
 * grouped conv, residual Add, Mul/Sub by per-channel constants, Pad + AveragePool, MaxPool with 'same' pads,
 * Concat on channels, Clip (ReLU6), Flatten of a 2x2 map (CHW order) into Gemm, shape arithmetic into Reshape,
 * Identity/Dropout, MatMul + Add bias, Softmax.
 */
export function allOpsModel(): ModelSpec {
  const c = 4;
  return {
    input: { name: "x", dims: ["N", 2, 8, 8] },
    output: "prob",
    inits: {
      w1: { dims: [c, 2, 3, 3], data: randn(c * 2 * 9, 1) },
      b1: { dims: [c], data: randn(c, 2, 0.1) },
      g: { dims: [c], data: positive(c, 3) }, be: { dims: [c], data: randn(c, 4, 0.1) },
      mu: { dims: [c], data: randn(c, 5, 0.1) }, va: { dims: [c], data: positive(c, 6) },
      wd: { dims: [c * 2, 1, 3, 3], data: randn(c * 2 * 9, 7) },
      wg: { dims: [c, 4, 1, 1], data: randn(c * 4, 8) },
      scale: { dims: [1, c, 1, 1], data: positive(c, 9) }, shift: { dims: [c, 1, 1], data: randn(c, 10, 0.2) },
      pads: { dims: [8], data: [0, 0, 1, 1, 0, 0, 0, 0], type: "int64" },
      lo: { dims: [], data: [0] }, hi: { dims: [], data: [6] },
      wfc: { dims: [6, c * 2 * 2 * 2], data: randn(6 * 32, 11) }, bfc: { dims: [6], data: randn(6, 12, 0.1) },
      idx0: { dims: [1], data: [0], type: "int64" }, minus1: { dims: [1], data: [-1], type: "int64" },
      wmm: { dims: [6, 3], data: randn(18, 13) }, bmm: { dims: [3], data: randn(3, 14, 0.1) },
    },
    nodes: [
      { op: "Conv", inputs: ["x", "w1", "b1"], outputs: ["c1"], attrs: { pads: [1, 1, 1, 1], strides: [2, 2], kernel_shape: [3, 3] } },
      { op: "BatchNormalization", inputs: ["c1", "g", "be", "mu", "va"], outputs: ["bn"], attrs: { epsilon: 0.001 } },
      { op: "Relu", inputs: ["bn"], outputs: ["r1"] },
      { op: "Conv", inputs: ["r1", "wd"], outputs: ["dw"], attrs: { group: c, pads: [1, 1, 1, 1] } },
      { op: "Conv", inputs: ["dw", "wg"], outputs: ["gc"], attrs: { group: 2 } },
      { op: "Mul", inputs: ["gc", "scale"], outputs: ["m1"] },
      { op: "Sub", inputs: ["m1", "shift"], outputs: ["s1"] },
      { op: "Add", inputs: ["s1", "r1"], outputs: ["res"] },
      { op: "Relu", inputs: ["res"], outputs: ["r2"] },
      { op: "Pad", inputs: ["r2", "pads"], outputs: ["p2"] },
      { op: "AveragePool", inputs: ["p2"], outputs: ["ap"], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: "MaxPool", inputs: ["r2"], outputs: ["mp"], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: "Concat", inputs: ["ap", "mp"], outputs: ["cat"], attrs: { axis: 1 } },
      { op: "Clip", inputs: ["cat", "lo", "hi"], outputs: ["r6"] },
      { op: "Dropout", inputs: ["r6"], outputs: ["dr"] },
      { op: "Flatten", inputs: ["dr"], outputs: ["fl"] },
      { op: "Gemm", inputs: ["fl", "wfc", "bfc"], outputs: ["fc"], attrs: { transB: 1 } },
      { op: "Relu", inputs: ["fc"], outputs: ["r3"] },
      { op: "Shape", inputs: ["r3"], outputs: ["shp"] },
      { op: "Gather", inputs: ["shp", "idx0"], outputs: ["nb"], attrs: { axis: 0 } },
      { op: "Concat", inputs: ["nb", "minus1"], outputs: ["tshape"], attrs: { axis: 0 } },
      { op: "Reshape", inputs: ["r3", "tshape"], outputs: ["rs"] },
      { op: "Identity", inputs: ["rs"], outputs: ["id"] },
      { op: "MatMul", inputs: ["id", "wmm"], outputs: ["mm"] },
      { op: "Add", inputs: ["mm", "bmm"], outputs: ["logits"] },
      { op: "Softmax", inputs: ["logits"], outputs: ["prob"], attrs: { axis: 1 } },
    ],
  };
}

/**
 * A small deep residual network of the shape torch.onnx.export writes for a CIFAR-style ResNet on [N, 1, 6, 6]:
 * stem conv-BN-ReLU, BLOCKS basic blocks (conv-BN-ReLU-conv-BN + identity, ReLU), GAP, Gemm to 3 logits. */
export function residualModel(C = 4, BLOCKS = 4): ModelSpec {
  const inits: ModelSpec["inits"] = {
    w0: { dims: [C, 1, 3, 3], data: positive(C * 9, 1, 0.1) },
    wfc: { dims: [3, C], data: randn(3 * C, 2, 1) }, bfc: { dims: [3], data: randn(3, 3, 0.1) },
  };
  const bn = (k: string, seed: number, shift: number) => {
    inits[`${k}g`] = { dims: [C], data: positive(C, seed, 0.5) };
    inits[`${k}b`] = { dims: [C], data: Array.from({ length: C }, () => shift) };
    inits[`${k}m`] = { dims: [C], data: randn(C, seed + 1, 0.05) };
    inits[`${k}v`] = { dims: [C], data: positive(C, seed + 2, 0.5) };
    return [`${k}g`, `${k}b`, `${k}m`, `${k}v`];
  };
  const nodes: ModelSpec["nodes"] = [
    { op: "Conv", inputs: ["x", "w0"], outputs: ["c0"], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
    { op: "BatchNormalization", inputs: ["c0", ...bn("bn0", 10, 0.1)], outputs: ["n0"], attrs: { epsilon: 1e-5 } },
    { op: "Relu", inputs: ["n0"], outputs: ["r0"] },
  ];
  let prev = "r0";
  for (let b = 0; b < BLOCKS; b++) {
    inits[`wa${b}`] = { dims: [C, C, 3, 3], data: randn(C * C * 9, 20 + b, 0.25) };
    inits[`wb${b}`] = { dims: [C, C, 3, 3], data: randn(C * C * 9, 40 + b, 0.25) };
    nodes.push(
      { op: "Conv", inputs: [prev, `wa${b}`], outputs: [`ca${b}`], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
      // Negative BN shifts, as trained ResNets have: the biases that broke the pre-charge correction.
      { op: "BatchNormalization", inputs: [`ca${b}`, ...bn(`na${b}`, 60 + 4 * b, -0.3)], outputs: [`na${b}`], attrs: { epsilon: 1e-5 } },
      { op: "Relu", inputs: [`na${b}`], outputs: [`ra${b}`] },
      { op: "Conv", inputs: [`ra${b}`, `wb${b}`], outputs: [`cb${b}`], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
      { op: "BatchNormalization", inputs: [`cb${b}`, ...bn(`nb${b}`, 80 + 4 * b, -0.2)], outputs: [`nb${b}`], attrs: { epsilon: 1e-5 } },
      { op: "Add", inputs: [`nb${b}`, prev], outputs: [`s${b}`] },
      { op: "Relu", inputs: [`s${b}`], outputs: [`r${b + 1}`] },
    );
    prev = `r${b + 1}`;
  }
  nodes.push(
    { op: "GlobalAveragePool", inputs: [prev], outputs: ["gap"] },
    { op: "Flatten", inputs: ["gap"], outputs: ["fl"] },
    { op: "Gemm", inputs: ["fl", "wfc", "bfc"], outputs: ["logits"], attrs: { transB: 1 } },
  );
  return { input: { name: "x", dims: ["N", 1, 6, 6] }, output: "logits", inits, nodes };
}
