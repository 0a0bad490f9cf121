/**
 * @fileoverview `importOnnx`: an ONNX model file → AnnGraph (stage: import).
 *
 * Input: a `.onnx` file (opsets 11–21 of the default domain), weights as initializers, Constant nodes or external
 * data files next to it. Output: an AnnGraph in snnc's NHWC layout with the same maths; the model's NCHW input
 * [N, C, H, W] becomes the IR input [H, W, C], so `snnc run` takes NHWC samples like for every other model.
 * Every node is translated or refused with a coded error naming it (SNNC142 unknown op, SNNC143 an unsupported
 * form of a known op); NaN or infinite initializers are SNNC146, a non-batch input dimension that is not a fixed
 * number is SNNC145. Nodes whose result no output needs (shape arithmetic) leave no IR node.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { fail } from "../../diagnostics.ts";
import type { AnnGraph } from "../../ir/ann.ts";
import { NodeReader } from "./attrs.ts";
import { activationNode, arithmeticNode, batchNormNode, denseNode } from "./linear.ts";
import { decodeModel, modelDir, num, readTensor } from "./proto.ts";
import { concatNode, constantNode, finite, flattenNode, reshapeNode, squeezeNode, transposeNode } from "./reshape.ts";
import { convNode, globalAvgPoolNode, padNode, poolNode } from "./spatial.ts";
import { type Act, Builder, hwcPerm, type Val } from "./values.ts";

export const ONNX_OPSETS = { min: 11, max: 21 } as const;

export const SUPPORTED_ONNX_OPS = [
  "Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "Clip", "BatchNormalization", "AveragePool", "MaxPool",
  "GlobalAveragePool", "Flatten", "Reshape", "Transpose", "Concat", "Pad", "Identity", "Dropout", "Softmax", "Constant",
  "Squeeze", "Unsqueeze", "Shape", "Gather", "Cast",
] as const;

export function importOnnx(path: string): AnnGraph {
  const file = path;
  const bytes = readFileSync(path);
  const model = decodeModel(bytes, file);
  const graph = model.graph;
  if (!graph || (graph.node ?? []).length === 0) throw fail("SNNC140", "the file decodes but holds no ONNX graph", { file }, "give an ONNX ModelProto with a graph");
  const opsets = (model.opsetImport ?? []).filter((o) => !o.domain || o.domain === "ai.onnx");
  const opset = opsets.length === 1 ? num(opsets[0]?.version) : 0;
  if (opset < ONNX_OPSETS.min || opset > ONNX_OPSETS.max) {
    throw fail("SNNC141", `ONNX opset ${opsets.length === 1 ? opset : "(none declared)"} is not supported`, { file, layer: graph.node?.[0]?.name ?? "" },
      `snnc reads opsets ${ONNX_OPSETS.min}–${ONNX_OPSETS.max}: export with torch.onnx.export(..., opset_version=13) or convert with onnx.version_converter`);
  }
  const dir = modelDir(path);
  const b = new Builder(file);
  b.opset = opset;

  // Where each tensor is read: the first node that uses it names it in messages; also what is ever read.
  const firstUser = new Map<string, string>();
  const readers = new Set<string>();
  const nodeName = (k: number) => graph.node?.[k]?.name || graph.node?.[k]?.output?.[0] || `node ${k}`;
  (graph.node ?? []).forEach((nd, k) => {
    for (const i of nd.input ?? []) {
      readers.add(i);
      if (!firstUser.has(i)) firstUser.set(i, nodeName(k));
    }
  });
  for (const o of graph.output ?? []) readers.add(o.name ?? "");
  for (const t of graph.initializer ?? []) {
    const name = t.name ?? "";
    const layer = firstUser.get(name) ?? name;
    const c = readTensor(t, { file, dir, layer });
    b.values.set(name, { kind: "const", t: t.dataType === 1 || t.dataType === 11 ? finite({ file, name: layer }, c, `initializer "${name}"`) : c });
  }

  const inits = new Set((graph.initializer ?? []).map((t) => t.name ?? ""));
  const realInputs = (graph.input ?? []).filter((i) => !inits.has(i.name ?? ""));
  if (realInputs.length !== 1) {
    throw fail("SNNC143", `the graph has ${realInputs.length} inputs (${realInputs.map((i) => i.name).join(", ")})`, { file }, "snnc compiles networks with one input");
  }
  const input = realInputs[0] as NonNullable<(typeof realInputs)[number]>;
  const inName = input.name ?? "input";
  const dims = input.type?.tensorType?.shape?.dim ?? [];
  const sample = dims.slice(1).map((d, k) => {
    const v = d.dimValue !== null && d.dimValue !== undefined ? num(d.dimValue) : 0;
    if (!(v > 0)) {
      throw fail("SNNC145", `input "${inName}" has a dynamic dimension ${k + 1} (${d.dimParam || "unknown"})`, { file, layer: inName },
        "snnc compiles a fixed sample shape: export with a fixed input size (only the batch axis may be dynamic)");
    }
    return v;
  });
  if (input.type?.tensorType?.elemType !== 1) throw fail("SNNC148", `input "${inName}" is not float32`, { file, layer: inName });
  if (sample.length !== 3 && sample.length !== 1) {
    throw fail("SNNC143", `input "${inName}" has shape [N, ${sample.join(", ")}]`, { file, layer: inName }, "snnc reads image inputs [N, C, H, W] and vector inputs [N, K]");
  }
  const irShape = sample.length === 3 ? [sample[1] as number, sample[2] as number, sample[0] as number] : sample;
  b.uniqueName(inName);
  b.nodes.push({ name: inName, sourceClass: "input", op: { kind: "input" }, inputs: [], shape: irShape });
  const [c = 0, h = 1, w = 1] = sample;
  b.values.set(inName, { kind: "act", node: inName, ir: irShape, shape: sample, perm: sample.length === 3 ? hwcPerm(c, h, w) : null });

  (graph.node ?? []).forEach((nd, k) => {
    const layer = b.uniqueName(nodeName(k));
    b.reserved.add(layer);
    const n = new NodeReader(nd, b, layer);
    if (nd.domain && nd.domain !== "ai.onnx") {
      throw fail("SNNC142", `operator ${nd.domain}.${nd.opType} is not supported`, { file, layer }, `supported: ${SUPPORTED_ONNX_OPS.join(", ")}`);
    }
    n.set(0, translate(n, dir, (name) => readers.has(name)));
  });

  const outs = (graph.output ?? []).map((o) => {
    const v = b.values.get(o.name ?? "");
    if (!v) throw fail("SNNC147", `graph output "${o.name}" is not produced by any node`, { file });
    if (v.kind !== "act") throw fail("SNNC143", `graph output "${o.name}" is a constant`, { file, layer: o.name ?? "" });
    if (v.perm) throw fail("SNNC143", `graph output "${o.name}" [N, ${v.shape.join(", ")}] is an NCHW image`, { file, layer: o.name ?? "" }, "snnc compiles classifiers: end the network in a [N, K] tensor (Flatten + Gemm)");
    return b.vector(v, o.name ?? "output", "output").node;
  });
  if (outs.length !== 1) throw fail("SNNC143", `the graph has ${outs.length} outputs`, { file }, "snnc compiles networks with one output");
  const name = graph.name || basename(path).replace(/\.onnx$/i, "");
  return { name, format: "onnx", nodes: b.prune(outs), inputs: [inName], outputs: outs };
}

function translate(n: NodeReader, dir: string, used: (name: string) => boolean): Val {
  switch (n.op) {
    case "Conv":
      return convNode(n);
    case "AveragePool":
    case "MaxPool":
      return poolNode(n, used);
    case "GlobalAveragePool":
      return globalAvgPoolNode(n);
    case "Pad":
      return padNode(n);
    case "Gemm":
    case "MatMul":
      return denseNode(n);
    case "BatchNormalization":
      return batchNormNode(n, used);
    case "Relu":
    case "Clip":
    case "Softmax":
      return activationNode(n);
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
      return n.value(0).kind === "const" && n.value(1).kind === "const" ? constantNode(n, dir) : arithmeticNode(n);
    case "Flatten":
      return flattenNode(n);
    case "Reshape":
      return reshapeNode(n);
    case "Squeeze":
    case "Unsqueeze":
      return squeezeNode(n);
    case "Transpose":
      return transposeNode(n);
    case "Concat":
      return concatNode(n);
    case "Identity":
      return n.value(0);
    case "Dropout": {
      n.onlyFirstOutput(used);
      if (n.hasInput(2) && (n.constant(2, "training_mode").data[0] ?? 0) !== 0) n.unsupported("in training mode");
      return n.value(0) as Act;
    }
    case "Constant":
    case "Shape":
    case "Gather":
    case "Cast":
      return constantNode(n, dir);
    default:
      throw fail("SNNC142", `ONNX operator ${n.op} is not supported`, n.loc(), `supported: ${SUPPORTED_ONNX_OPS.join(", ")}`);
  }
}
