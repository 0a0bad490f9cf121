/**
 * @fileoverview ONNX dense and per-element ops → AnnGraph ops: Gemm, MatMul, BatchNormalization, Add/Sub/Mul/Div
 * (of two activations, or of an activation and a constant), Relu, Clip, Softmax (stage: import).
 *
 * A dense layer reading a vector stored in another order (perm, see values.ts) takes its kernel rows in that
 * order, so no data moves. An activation scaled or shifted by a constant that is the same at every pixel of a
 * channel becomes a batchNorm op with mean 0, variance 1, epsilon 0 (y = gamma * x + beta), which conversion
 * folds into the layer before it like any batch normalisation.
 */
import { fail } from "../../diagnostics.ts";
import type { NodeReader } from "./attrs.ts";
import type { Const } from "./proto.ts";
import { type Act, samePerm, size } from "./values.ts";

/** `c` broadcast (numpy rules) to the ONNX tensor [1, ...shape]; null when it does not broadcast. */
export function broadcastTo(c: Const, shape: readonly number[]): Float64Array | null {
  const full = [1, ...shape];
  if (c.dims.length > full.length) return null;
  const dims = [...new Array<number>(full.length - c.dims.length).fill(1), ...c.dims];
  if (dims.some((d, i) => d !== 1 && d !== full[i])) return null;
  const out = new Float64Array(size(shape));
  const strides = dims.map((_, i) => size(dims.slice(i + 1)));
  const idx = new Array<number>(full.length).fill(0);
  for (let j = 0; j < out.length; j++) {
    let rem = j;
    for (let a = full.length - 1; a >= 0; a--) {
      const n = full[a] as number;
      idx[a] = rem % n;
      rem = Math.floor(rem / n);
    }
    let k = 0;
    for (let a = 0; a < full.length; a++) if ((dims[a] as number) !== 1) k += (idx[a] as number) * (strides[a] as number);
    out[j] = c.data[k] as number;
  }
  return out;
}

/** Per-IR-last-axis vectors of an ONNX-ordered per-element array, or null when it varies along other axes. */
function perChannel(x: Act, full: Float64Array): Float32Array | null {
  const ir = new Float64Array(full.length);
  for (let i = 0; i < ir.length; i++) ir[i] = full[x.perm ? (x.perm[i] as number) : i] as number;
  const c = x.ir[x.ir.length - 1] ?? 1;
  const v = Float32Array.from(ir.subarray(0, c));
  for (let i = c; i < ir.length; i++) if (ir[i] !== ir[i % c]) return null;
  return v;
}

/** y = scale * x + shift as a batchNorm op over the IR's last axis. */
function affine(n: NodeReader, x: Act, scale: Float64Array, shift: Float64Array): Act {
  const gamma = perChannel(x, scale);
  const beta = perChannel(x, shift);
  if (!gamma || !beta) {
    n.unsupported("by a constant that varies within a channel", "per-channel (or per-feature) constants, as [C, 1, 1] or [1, C, 1, 1]");
  }
  const ch = gamma.length;
  const e = n.b.emit(n.name, n.op, { kind: "batchNorm", epsilon: 0, gamma, beta, mean: new Float32Array(ch), variance: new Float32Array(ch).fill(1) }, [x]);
  return { ...x, node: e.node, ir: e.ir };
}

/** Add/Sub/Mul/Div with at least one activation input. */
export function arithmeticNode(n: NodeReader): Act {
  const a = n.value(0);
  const b = n.value(1);
  if (a.kind === "act" && b.kind === "act") {
    if (n.op !== "Add") n.unsupported("of two activations", "Add of two activations; Sub, Mul and Div by constants");
    if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      n.unsupported(`of shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}] (broadcasting two activations)`);
    }
    if (!samePerm(a.perm, b.perm)) n.unsupported("of two activations stored in different layouts");
    const b2 = a.ir.length === 3 ? n.b.image(b, n.name, n.op) : n.b.vector(b, n.name, n.op);
    const a2 = a.ir.length === b2.ir.length ? a : a.ir.length === 3 ? n.b.image(a, n.name, n.op) : n.b.vector(a, n.name, n.op);
    const e = n.b.emit(n.name, n.op, { kind: "add" }, [a2, b2]);
    return { ...a2, node: e.node, ir: e.ir };
  }
  const x = (a.kind === "act" ? a : b) as Act;
  const cst = a.kind === "const" ? a.t : (b as { t: Const }).t;
  const full = broadcastTo(cst, x.shape);
  if (!full) n.unsupported(`with a constant of dims [${cst.dims.join(", ")}] that does not broadcast to [N, ${x.shape.join(", ")}]`);
  const ones = new Float64Array(full.length).fill(1);
  const zeros = new Float64Array(full.length);
  const constFirst = a.kind === "const";
  switch (n.op) {
    case "Add":
      return affine(n, x, ones, full);
    case "Sub":
      return constFirst ? affine(n, x, ones.map(() => -1), full) : affine(n, x, ones, full.map((v) => -v));
    case "Mul":
      return affine(n, x, full, zeros);
    case "Div":
      if (constFirst) n.unsupported("of a constant by an activation");
      if (full.some((v) => v === 0)) n.unsupported("by a constant holding 0");
      return affine(n, x, full.map((v) => 1 / v), zeros);
    default:
      return n.unsupported("");
  }
}

export function batchNormNode(n: NodeReader, used: (name: string) => boolean): Act {
  const x = n.act(0);
  n.onlyFirstOutput(used);
  if (n.int("training_mode", 0) !== 0) n.unsupported("with training_mode = 1", "export the model in eval mode (model.eval())");
  const names = ["scale", "B", "mean", "var"];
  const [scale, bias, mean, variance] = names.map((w, k) => n.constant(k + 1, `its ${w}`)) as [Const, Const, Const, Const];
  const c = x.shape[0] ?? 0;
  for (const [k, t] of [scale, bias, mean, variance].entries()) {
    if (t.dims.length !== 1 || t.dims[0] !== c) n.malformed(`${names[k]} has dims [${t.dims.join(", ")}], the input has ${c} channels`);
  }
  const epsilon = n.float("epsilon", 1e-5);
  if (x.shape.length === 3 && x.shape[1] !== undefined) {
    const img = n.b.image(x, n.name, n.op);
    const f = (t: Const) => Float32Array.from(t.data);
    const e = n.b.emit(n.name, n.op, { kind: "batchNorm", epsilon, gamma: f(scale), beta: f(bias), mean: f(mean), variance: f(variance) }, [img]);
    return { ...img, node: e.node, ir: e.ir };
  }
  // [N, C] or [N, C, ...] stored otherwise: the same maths as a per-element affine map.
  const g = scale.data.map((s, i) => s / Math.sqrt((variance.data[i] as number) + epsilon));
  const sh = bias.data.map((b, i) => b - (mean.data[i] as number) * (g[i] as number));
  const cd = (v: Float64Array): Const => ({ dims: [c, ...new Array<number>(Math.max(0, x.shape.length - 1)).fill(1)], data: v });
  return affine(n, x, broadcastTo(cd(g), x.shape) as Float64Array, broadcastTo(cd(sh), x.shape) as Float64Array);
}

/** Gemm (transA = 0) or MatMul by a constant matrix on a per-sample vector. */
export function denseNode(n: NodeReader): Act {
  const x0 = n.act(0);
  if (x0.shape.length !== 1) n.unsupported(`on a [N, ${x0.shape.join(", ")}] input`, "a 2-D [N, K] input (Flatten first)");
  const x = n.b.vector(x0, n.name, n.op);
  const k = x0.shape[0] as number;
  const B = n.constant(1, "the weight matrix");
  const gemm = n.op === "Gemm";
  if (gemm && n.int("transA", 0) !== 0) n.unsupported("with transA = 1");
  const transB = gemm && n.int("transB", 0) === 1;
  const alpha = gemm ? n.float("alpha", 1) : 1;
  const beta = gemm ? n.float("beta", 1) : 1;
  if (B.dims.length !== 2) n.unsupported(`with a ${B.dims.length}-D weight`, "a 2-D weight matrix");
  const [r0 = 0, r1 = 0] = B.dims;
  const [kk, m] = transB ? [r1, r0] : [r0, r1];
  if (kk !== k) n.malformed(`weight dims [${B.dims.join(", ")}] do not fit ${k} inputs`);
  const kernel = new Float32Array(k * m);
  for (let i = 0; i < k; i++) {
    const row = x.perm ? (x.perm[i] as number) : i;
    for (let j = 0; j < m; j++) kernel[i * m + j] = alpha * (B.data[transB ? j * k + row : row * m + j] as number);
  }
  let bias: Float32Array | null = null;
  if (gemm && n.hasInput(2)) {
    const C = n.constant(2, "the bias");
    const full = broadcastTo(C, [m]);
    if (!full) n.unsupported(`with a bias of dims [${C.dims.join(", ")}]`, "a bias [M], [1, M] or a scalar");
    bias = Float32Array.from(full, (v) => beta * v);
  }
  const e = n.b.emit(n.name, n.op, { kind: "dense", units: m, kernel, bias, activation: "linear" }, [x]);
  return { kind: "act", node: e.node, ir: e.ir, shape: [m], perm: null };
}

export function activationNode(n: NodeReader): Act {
  const x = n.act(0);
  let activation: "relu" | "relu6" | "softmax" = "relu";
  if (n.op === "Clip") {
    const lo = n.hasInput(1) ? n.constant(1, "min").data[0] : n.has("min") ? n.float("min", 0) : undefined;
    const hi = n.hasInput(2) ? n.constant(2, "max").data[0] : n.has("max") ? n.float("max", 0) : undefined;
    if (lo !== 0 || (hi !== undefined && hi !== 6)) {
      n.unsupported(`with min ${lo ?? "none"} and max ${hi ?? "none"}`, "Clip(0, 6) as ReLU6 or Clip(0) as ReLU");
    }
    activation = hi === 6 ? "relu6" : "relu";
  } else if (n.op === "Softmax") {
    const axis = n.int("axis", n.b.opset >= 13 ? -1 : 1);
    if (x.shape.length !== 1 || (axis !== -1 && axis !== 1)) n.unsupported(`on [N, ${x.shape.join(", ")}] along axis ${axis}`, "Softmax over the classes of a [N, K] tensor");
    activation = "softmax";
  }
  const v = activation === "softmax" ? n.b.vector(x, n.name, n.op) : x;
  if (activation === "softmax" && v.perm) throw fail("SNNC143", "Softmax of a vector stored out of order is not supported", n.loc());
  const e = n.b.emit(n.name, n.op, { kind: "activation", activation }, [v]);
  return { ...v, node: e.node, ir: e.ir };
}
