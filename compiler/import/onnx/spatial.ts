/**
 * @fileoverview ONNX spatial ops → AnnGraph ops: Conv (groups, depthwise, pads, strides, dilations), AveragePool,
 * MaxPool, GlobalAveragePool and Pad (stage: import).
 *
 * ONNX pads are explicit [top, left, bottom, right]. Where they equal TensorFlow's `same` geometry (the smaller
 * half before) the IR op takes padding `same`; zero pads give `valid`; any other padding becomes a zeroPad node
 * before a `valid` op (exact for Conv and for AveragePool with count_include_pad = 1). Weights [M, C/g, kh, kw]
 * become [kh, kw, C, M] (grouped convolutions as one convolution with zero blocks) or the depthwise layout.
 */
import type { Padding, Pair } from "../../ir/ann.ts";
import { window1d } from "../../ir/shape.ts";
import type { NodeReader } from "./attrs.ts";
import { type Act, hwcPerm } from "./values.ts";

type Pads = readonly [number, number, number, number];

/** The IR padding for ONNX pads on an [h, w] input, or null when only an explicit zeroPad gives it. */
function irPadding(inH: number, inW: number, k: Pair, s: Pair, d: Pair, pads: Pads): Padding | null {
  const [t, l, b, r] = pads;
  if (t === 0 && l === 0 && b === 0 && r === 0) return "valid";
  const y = window1d(inH, k[0], s[0], d[0], "same");
  const x = window1d(inW, k[1], s[1], d[1], "same");
  const totalY = Math.max((y.out - 1) * s[0] + d[0] * (k[0] - 1) + 1 - inH, 0);
  const totalX = Math.max((x.out - 1) * s[1] + d[1] * (k[1] - 1) + 1 - inW, 0);
  if (t === y.padBefore && t + b === totalY && l === x.padBefore && l + r === totalX) return "same";
  return null;
}

/** Pads from `pads` / `auto_pad` for a 2-D window op. */
function readPads(n: NodeReader, inH: number, inW: number, k: Pair, s: Pair, d: Pair): Pads {
  const auto = n.str("auto_pad", "NOTSET");
  if (auto === "VALID") return [0, 0, 0, 0];
  if (auto === "SAME_UPPER" || auto === "SAME_LOWER") {
    const out = (i: number, kk: number, ss: number, dd: number) => Math.max((Math.ceil(i / ss) - 1) * ss + dd * (kk - 1) + 1 - i, 0);
    const ty = out(inH, k[0], s[0], d[0]);
    const tx = out(inW, k[1], s[1], d[1]);
    const small = (t: number) => Math.floor(t / 2);
    return auto === "SAME_UPPER" ? [small(ty), small(tx), ty - small(ty), tx - small(tx)] : [ty - small(ty), tx - small(tx), small(ty), small(tx)];
  }
  if (auto !== "NOTSET") n.unsupported(`auto_pad "${auto}"`);
  const p = n.ints("pads", [0, 0, 0, 0]) as number[];
  if (p.length !== 4 || p.some((v) => !Number.isInteger(v) || v < 0)) n.unsupported(`pads [${p.join(", ")}]`, "2-D ops with 4 non-negative pads");
  return [p[0] as number, p[1] as number, p[2] as number, p[3] as number];
}

function pair(n: NodeReader, name: string, fallback: Pair): Pair {
  const v = n.ints(name, fallback) as number[];
  if (v.length !== 2 || v.some((x) => !Number.isInteger(x) || x < 1)) n.unsupported(`${name} [${v.join(", ")}]`, "2-D ops: two positive integers");
  return [v[0] as number, v[1] as number];
}

/** Emits a zeroPad when the pads are not an IR padding; returns the op input and the padding to use. */
function padded(n: NodeReader, x: Act, k: Pair, s: Pair, d: Pair, pads: Pads): { x: Act; padding: Padding } {
  const [, h = 0, w = 0] = x.shape;
  const p = irPadding(h, w, k, s, d, pads);
  if (p) return { x, padding: p };
  const [t, l, b, r] = pads;
  const e = n.b.emit(`${n.name}/pad`, n.op, { kind: "zeroPad", padding: [[t, b], [l, r]] }, [x]);
  const [c = 0] = x.shape;
  return { x: { ...x, node: e.node, ir: e.ir, shape: [c, h + t + b, w + l + r] }, padding: "valid" };
}

/** An IR image result [h, w, c] as an activation of ONNX shape [c, h, w]. */
function imageAct(e: { node: string; ir: readonly number[] }): Act {
  const [h = 0, w = 0, c = 0] = e.ir;
  return { kind: "act", node: e.node, ir: e.ir, shape: [c, h, w], perm: hwcPerm(c, h, w) };
}

export function convNode(n: NodeReader): Act {
  const x0 = n.b.image(n.act(0), n.name, n.op);
  const W = n.constant(1, "the weights");
  const B = n.optionalConstant(2, "the bias");
  if (W.dims.length !== 4) n.unsupported(`with ${W.dims.length - 2}-D kernels`, "2-D convolutions only");
  const [m = 0, cg = 0, kh = 0, kw = 0] = W.dims;
  const [cin = 0] = x0.shape;
  const group = n.int("group", 1);
  if (group < 1 || cin % group !== 0 || m % group !== 0 || cg !== cin / group) {
    n.malformed(`weights [${W.dims.join(", ")}] do not fit ${cin} input channels in ${group} groups`);
  }
  const ks = n.ints("kernel_shape", null);
  if (ks && (ks[0] !== kh || ks[1] !== kw)) n.malformed(`kernel_shape [${ks.join(", ")}] differs from the weights [${W.dims.join(", ")}]`);
  const k: Pair = [kh, kw];
  const s = pair(n, "strides", [1, 1]);
  const d = pair(n, "dilations", [1, 1]);
  const [, h = 0, w = 0] = x0.shape;
  const { x, padding } = padded(n, x0, k, s, d, readPads(n, h, w, k, s, d));
  if (B && (B.dims.length !== 1 || B.dims[0] !== m)) n.malformed(`bias dims [${B.dims.join(", ")}], expected [${m}]`);
  const bias = B ? Float32Array.from(B.data) : null;
  const Wd = W.data;
  if (group > 1 && group === cin && cg === 1) {
    const mult = m / cin;
    const kernel = new Float32Array(kh * kw * cin * mult);
    for (let o = 0; o < m; o++) for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) {
      kernel[((y * kw + xx) * cin + Math.floor(o / mult)) * mult + (o % mult)] = Wd[(o * kh + y) * kw + xx] as number;
    }
    return imageAct(n.b.emit(n.name, n.op, { kind: "depthwiseConv2d", depthMultiplier: mult, kernelSize: k, strides: s, dilation: d, padding, kernel, bias, activation: "linear" }, [x]));
  }
  // Group g maps input channels [g*cg, (g+1)*cg) to outputs [g*mg, (g+1)*mg); other weights stay zero.
  const mg = m / group;
  const kernel = new Float32Array(kh * kw * cin * m);
  for (let o = 0; o < m; o++) {
    const g = Math.floor(o / mg);
    for (let ci = 0; ci < cg; ci++) for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) {
      kernel[((y * kw + xx) * cin + g * cg + ci) * m + o] = Wd[((o * cg + ci) * kh + y) * kw + xx] as number;
    }
  }
  return imageAct(n.b.emit(n.name, n.op, { kind: "conv2d", filters: m, kernelSize: k, strides: s, dilation: d, padding, kernel, bias, activation: "linear" }, [x]));
}

export function poolNode(n: NodeReader, used: (name: string) => boolean): Act {
  const x0 = n.b.image(n.act(0), n.name, n.op);
  n.onlyFirstOutput(used);
  const k = pair(n, "kernel_shape", [0, 0]);
  const s = pair(n, "strides", [1, 1]);
  const d = pair(n, "dilations", [1, 1]);
  if (d[0] !== 1 || d[1] !== 1) n.unsupported(`dilations [${d.join(", ")}]`, "pooling without dilation");
  const [c = 0, h = 0, w = 0] = x0.shape;
  const pads = readPads(n, h, w, k, s, d);
  const avg = n.op === "AveragePool";
  if (n.int("ceil_mode", 0) === 1) {
    const floorOut = (i: number, kk: number, ss: number, a: number, b: number) => Math.floor((i + a + b - kk) / ss) + 1;
    const ceilOut = (i: number, kk: number, ss: number, a: number, b: number) => Math.ceil((i + a + b - kk) / ss) + 1;
    if (floorOut(h, k[0], s[0], pads[0], pads[2]) !== ceilOut(h, k[0], s[0], pads[0], pads[2]) || floorOut(w, k[1], s[1], pads[1], pads[3]) !== ceilOut(w, k[1], s[1], pads[1], pads[3])) {
      n.unsupported("ceil_mode = 1 where it changes the output size");
    }
  }
  const p = irPadding(h, w, k, s, d, pads);
  const includePad = avg && n.int("count_include_pad", 0) === 1;
  let x = x0;
  let padding: Padding = "valid";
  if (p === "valid" || (p === "same" && !includePad)) {
    padding = p;
  } else if (includePad) {
    // Zeros counted in the average: an explicit zero pad, then a valid pool.
    const [t, l, b, r] = pads;
    const e = n.b.emit(`${n.name}/pad`, n.op, { kind: "zeroPad", padding: [[t, b], [l, r]] }, [x0]);
    x = { ...x0, node: e.node, ir: e.ir, shape: [c, h + t + b, w + l + r] };
  } else {
    n.unsupported(`pads [${pads.join(", ")}] on ${h}x${w}`, avg ? "pads equal to TensorFlow 'same' with count_include_pad = 0, or any pads with count_include_pad = 1" : "no pads, or pads equal to TensorFlow 'same'");
  }
  return imageAct(n.b.emit(n.name, n.op, { kind: avg ? "avgPool" : "maxPool", poolSize: k, strides: s, padding }, [x]));
}

export function globalAvgPoolNode(n: NodeReader): Act {
  const x = n.b.image(n.act(0), n.name, n.op);
  const e = n.b.emit(n.name, n.op, { kind: "globalAvgPool" }, [x]);
  return { kind: "act", node: e.node, ir: e.ir, shape: [x.shape[0] ?? 0, 1, 1], perm: null };
}

export function padNode(n: NodeReader): Act {
  const x = n.b.image(n.act(0), n.name, n.op);
  const mode = n.str("mode", "constant");
  if (mode !== "constant") n.unsupported(`mode "${mode}"`, "constant (zero) padding");
  const pads = n.hasInput(1) ? Array.from(n.constant(1, "the pads").data) : (n.ints("pads", []) as number[]);
  const value = n.hasInput(2) ? n.constant(2, "the pad value").data[0] ?? 0 : n.float("value", 0);
  if (value !== 0) n.unsupported(`with pad value ${value}`, "zero padding");
  if (n.hasInput(3)) n.unsupported("with an axes input");
  if (pads.length !== 8 || pads.some((p) => !Number.isInteger(p) || p < 0)) n.unsupported(`pads [${pads.join(", ")}]`, "non-negative pads of a 4-D tensor");
  const [nb, cb, t, l, ne, ce, b, r] = pads as [number, number, number, number, number, number, number, number];
  if (nb || cb || ne || ce) n.unsupported("padding of the batch or channel axis", "pad height and width only");
  const e = n.b.emit(n.name, n.op, { kind: "zeroPad", padding: [[t, b], [l, r]] }, [x]);
  return imageAct(e);
}
