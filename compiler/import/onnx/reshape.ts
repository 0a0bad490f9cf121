/**
 * @fileoverview ONNX layout and constant ops (stage: import): Flatten, Reshape, Squeeze, Unsqueeze, Transpose,
 * Concat, Identity, Dropout on activations; Constant, Shape, Gather, Cast and arithmetic on constants (the shape
 * arithmetic exporters emit around Reshape).
 *
 * Reshape-like ops keep the data where it is and give the activation a new ONNX shape (see values.ts); the IR
 * node is adapted only where a consumer needs an image or a vector. The batch axis must stay axis 0.
 */
import { fail } from "../../diagnostics.ts";
import type { NodeReader } from "./attrs.ts";
import { broadcastTo } from "./linear.ts";
import { type Const, readTensor } from "./proto.ts";
import { type Act, type Val, hwcPerm, size } from "./values.ts";

function relabel(n: NodeReader, x: Act, shape: readonly number[]): Act {
  if (size(shape) !== size(x.shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    n.malformed(`cannot reshape [N, ${x.shape.join(", ")}] to [N, ${shape.join(", ")}]`);
  }
  return { ...x, shape: [...shape] };
}

function axes(n: NodeReader, rank: number, k: number): number[] {
  const raw = n.hasInput(k) ? Array.from(n.constant(k, "the axes").data) : (n.ints("axes", []) as number[]);
  return raw.map((a) => (a < 0 ? a + rank : a));
}

export function flattenNode(n: NodeReader): Val {
  const x = n.value(0);
  const axis = n.int("axis", 1);
  if (x.kind === "const") {
    const a = axis < 0 ? axis + x.t.dims.length : axis;
    return { kind: "const", t: { dims: [size(x.t.dims.slice(0, a)), size(x.t.dims.slice(a))], data: x.t.data } };
  }
  const a = axis < 0 ? axis + x.shape.length + 1 : axis;
  if (a !== 1) n.unsupported(`with axis ${axis}`, "axis 1 (keep the batch axis)");
  return relabel(n, x, [size(x.shape)]);
}

export function reshapeNode(n: NodeReader): Val {
  const x = n.value(0);
  const v = n.value(1);
  if (v.kind !== "const") throw fail("SNNC145", "Reshape to a shape computed from run-time data", n.loc(), "export with a fixed shape (x.flatten(1) or x.view(-1, C*H*W))");
  const target = Array.from(v.t.data);
  const allowZero = n.int("allowzero", 0) === 1;
  if (x.kind === "const") {
    const dims = target.map((d, i) => (d === 0 && !allowZero ? (x.t.dims[i] ?? 0) : d));
    const known = dims.reduce((a, d) => (d === -1 ? a : a * d), 1);
    return { kind: "const", t: { dims: dims.map((d) => (d === -1 ? size(x.t.dims) / known : d)), data: x.t.data } };
  }
  const full = [1, ...x.shape];
  const dims = target.map((d, i) => (d === 0 && !allowZero ? (full[i] ?? 0) : d));
  if (dims.length === 0) n.unsupported("to a scalar");
  const rest = dims.slice(1);
  const first = dims[0] as number;
  if (first !== 1 && first !== -1) n.unsupported(`to [${target.join(", ")}] (the batch axis must stay axis 0)`);
  if (first === -1 && rest.includes(-1)) throw fail("SNNC145", `Reshape to [${target.join(", ")}] leaves the sample shape open`, n.loc());
  const known = rest.reduce((a, d) => (d === -1 ? a : a * d), 1);
  return relabel(n, x, rest.map((d) => (d === -1 ? size(x.shape) / known : d)));
}

export function squeezeNode(n: NodeReader): Val {
  const x = n.value(0);
  const rank = (x.kind === "const" ? x.t.dims.length : x.shape.length + 1);
  const full = x.kind === "const" ? x.t.dims : [1, ...x.shape];
  let ax = axes(n, n.op === "Unsqueeze" ? rank + Math.max(0, (n.hasInput(1) ? n.constant(1, "the axes").data.length : (n.ints("axes", []) ?? []).length)) : rank, 1);
  let dims: number[];
  if (n.op === "Squeeze") {
    if (ax.length === 0) ax = full.map((d, i) => (d === 1 && (x.kind === "const" || i > 0) ? i : -1)).filter((i) => i >= 0);
    if (ax.some((a) => full[a] !== 1)) n.malformed(`squeezes axes [${ax.join(", ")}] of [${full.join(", ")}] that are not 1`);
    dims = full.filter((_, i) => !ax.includes(i));
  } else {
    dims = [];
    let src = 0;
    for (let i = 0; i < full.length + ax.length; i++) dims.push(ax.includes(i) ? 1 : (full[src++] as number));
  }
  if (x.kind === "const") return { kind: "const", t: { dims, data: x.t.data } };
  if (ax.includes(0)) n.unsupported("of the batch axis");
  return relabel(n, x, dims.slice(1));
}

export function transposeNode(n: NodeReader): Val {
  const x = n.value(0);
  const full = x.kind === "const" ? [...x.t.dims] : [1, ...x.shape];
  const perm = n.ints("perm", full.map((_, i) => full.length - 1 - i)) as number[];
  const out = perm.map((p) => full[p] as number);
  if (x.kind === "const") {
    const strides = full.map((_, i) => size(full.slice(i + 1)));
    const data = new Float64Array(x.t.data.length);
    const idx = new Array<number>(out.length).fill(0);
    for (let j = 0; j < data.length; j++) {
      let rem = j;
      for (let a = out.length - 1; a >= 0; a--) {
        idx[a] = rem % (out[a] as number);
        rem = Math.floor(rem / (out[a] as number));
      }
      let k = 0;
      for (let a = 0; a < out.length; a++) k += (idx[a] as number) * (strides[perm[a] as number] as number);
      data[j] = x.t.data[k] as number;
    }
    return { kind: "const", t: { dims: out, data } };
  }
  if (perm[0] !== 0) n.unsupported(`with perm [${perm.join(", ")}] (moves the batch axis)`);
  // Only transposes that keep the order of the axes longer than 1 leave the data in place.
  const moved = perm.filter((p) => (full[p] as number) > 1);
  if (moved.some((p, i) => i > 0 && p < (moved[i - 1] as number))) {
    n.unsupported(`with perm [${perm.join(", ")}] on [N, ${x.shape.join(", ")}]`, "snnc keeps NCHW data as NHWC; a transpose that moves data between channels and pixels is not supported");
  }
  return relabel(n, x, out.slice(1));
}

export function concatNode(n: NodeReader): Val {
  const ins = (n.node.input ?? []).map((_, k) => n.value(k));
  if (ins.every((v) => v.kind === "const")) {
    const ts = ins.map((v) => (v as { t: Const }).t);
    const rank = ts[0]?.dims.length ?? 0;
    const a0 = n.int("axis", 0);
    const axis = a0 < 0 ? a0 + rank : a0;
    const outer = size((ts[0]?.dims ?? []).slice(0, axis));
    const parts: number[] = [];
    for (let o = 0; o < outer; o++) for (const t of ts) { const inner = size(t.dims.slice(axis)); parts.push(...t.data.subarray(o * inner, (o + 1) * inner)); }
    const dims = [...(ts[0]?.dims ?? [])];
    dims[axis] = ts.reduce((a, t) => a + (t.dims[axis] ?? 0), 0);
    return { kind: "const", t: { dims, data: Float64Array.from(parts) } };
  }
  if (ins.some((v) => v.kind !== "act")) n.unsupported("of constants and activations");
  const acts = ins as Act[];
  const rank = (acts[0]?.shape.length ?? 0) + 1;
  const a0 = n.int("axis", 1);
  const axis = a0 < 0 ? a0 + rank : a0;
  if (axis === 0) n.unsupported("along the batch axis");
  if (rank === 4) {
    const imgs = acts.map((a) => n.b.image(a, n.name, n.op));
    const irAxis = axis === 1 ? 2 : axis - 2;
    const e = n.b.emit(n.name, n.op, { kind: "concat", axis: irAxis }, imgs);
    const [h = 0, w = 0, c = 0] = e.ir;
    return { kind: "act", node: e.node, ir: e.ir, shape: [c, h, w], perm: hwcPerm(c, h, w) };
  }
  if (rank !== 2 || acts.some((a) => a.perm !== null)) n.unsupported(`of [N, ${acts[0]?.shape.join(", ")}] tensors`, "Concat of images along C, H or W, or of [N, K] vectors");
  const vs = acts.map((a) => n.b.vector(a, n.name, n.op));
  const e = n.b.emit(n.name, n.op, { kind: "concat", axis: 0 }, vs);
  return { kind: "act", node: e.node, ir: e.ir, shape: [e.ir[0] ?? 0], perm: null };
}

/** Constant, Shape, Gather, Cast and constant arithmetic. */
export function constantNode(n: NodeReader, dir: string): Val {
  switch (n.op) {
    case "Constant": {
      const a = (["value", "value_float", "value_floats", "value_int", "value_ints"] as const).find((k) => n.has(k));
      if (!a) n.unsupported("without a value, value_float(s) or value_int(s) attribute");
      if (a === "value") {
        const t = readTensor(n.attr("value")?.t ?? {}, { file: n.file, dir, layer: n.name });
        return { kind: "const", t: finite(n, t, `Constant "${n.name}"`) };
      }
      if (a === "value_float") return { kind: "const", t: { dims: [], data: Float64Array.of(n.float(a, 0)) } };
      if (a === "value_int") return { kind: "const", t: { dims: [], data: Float64Array.of(n.int(a, 0)) } };
      const vals = a === "value_ints" ? (n.ints(a, []) as number[]) : (n.attr(a)?.floats ?? []);
      return { kind: "const", t: { dims: [vals.length], data: Float64Array.from(vals) } };
    }
    case "Shape": {
      const x = n.value(0);
      const full = x.kind === "const" ? [...x.t.dims] : [1, ...x.shape];
      const r = full.length;
      const s = n.int("start", 0);
      const e = n.has("end") ? n.int("end", r) : r;
      const dims = full.slice(s < 0 ? s + r : s, e < 0 ? e + r : e);
      return { kind: "const", t: { dims: [dims.length], data: Float64Array.from(dims) } };
    }
    case "Gather": {
      const d = n.constant(0, "the data");
      const idx = n.constant(1, "the indices");
      const a0 = n.int("axis", 0);
      const axis = a0 < 0 ? a0 + d.dims.length : a0;
      const outer = size(d.dims.slice(0, axis));
      const inner = size(d.dims.slice(axis + 1));
      const len = d.dims[axis] ?? 0;
      const out: number[] = [];
      for (let o = 0; o < outer; o++) for (const i0 of idx.data) { const i = i0 < 0 ? i0 + len : i0; out.push(...d.data.subarray((o * len + i) * inner, (o * len + i + 1) * inner)); }
      return { kind: "const", t: { dims: [...d.dims.slice(0, axis), ...idx.dims, ...d.dims.slice(axis + 1)], data: Float64Array.from(out) } };
    }
    case "Cast": {
      const x = n.value(0);
      if (x.kind === "act") return x;
      const to = n.int("to", 1);
      const data = to === 1 || to === 11 ? x.t.data : x.t.data.map((v) => Math.trunc(v));
      return { kind: "const", t: { dims: x.t.dims, data } };
    }
    default: {
      // Add/Sub/Mul/Div of two constants.
      const a = n.constant(0, "input 0");
      const b = n.constant(1, "input 1");
      const rank = Math.max(a.dims.length, b.dims.length);
      const pad = (d: readonly number[]) => [...new Array<number>(rank - d.length).fill(1), ...d];
      const pa = pad(a.dims);
      const pb = pad(b.dims);
      const dims = pa.map((d, i) => Math.max(d, pb[i] as number));
      const fa = broadcastTo(a, dims);
      const fb = broadcastTo(b, dims);
      if (!fa || !fb) return n.unsupported(`of constants [${a.dims.join(", ")}] and [${b.dims.join(", ")}]`);
      return { kind: "const", t: { dims, data: fa.map((v, i) => arith(n.op, v, fb[i] as number)) } };
    }
  }
}

function arith(op: string, a: number, b: number): number {
  return op === "Add" ? a + b : op === "Sub" ? a - b : op === "Mul" ? a * b : a / b;
}

/** Refuses NaN and infinite values in a float constant (SNNC146). */
export function finite(n: { file: string; name: string }, t: Const, what: string): Const {
  for (let i = 0; i < t.data.length; i++) {
    if (!Number.isFinite(t.data[i] as number)) {
      throw fail("SNNC146", `${what} has ${t.data[i]} at flat index ${i}`, { file: n.file, layer: n.name }, "every weight must be a finite number: retrain or fix the model");
    }
  }
  return t;
}
