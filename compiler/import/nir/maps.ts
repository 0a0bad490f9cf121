/**
 * @fileoverview The memoryless NIR nodes on an edge path (Affine, Linear, Scale, Conv1d/2d, SumPool2d, AvgPool2d,
 * Flatten, Delay, pass-through), composed into one map per path, and that map as SnnGraph connectivity in
 * population (channels-last) order. Part of the discretisation (lower.ts); rules in docs/nir.md.
 * Invariant: at most one weighted node per path (SNNC167 otherwise); Scale folds into the weights.
 */
import { truncateText } from "../../../runtime/limits.ts";
import { fail, type Warning } from "../../diagnostics.ts";
import type { Connectivity, WindowGeometry } from "../../ir/snn.ts";
import type { FlatNode } from "./flatten.ts";
import { type Tensor, tensorSize } from "./types.ts";

/** Per-element linear map accumulated along a path (NIR flat indices). */
export type PathMap =
  | { readonly kind: "identity"; readonly scale: Float64Array }
  | { readonly kind: "dense"; readonly w: Float64Array; readonly inN: number; readonly outN: number }
  | { readonly kind: "window"; readonly geometry: WindowGeometry; readonly kernel: Float64Array; readonly depthwise: boolean; readonly outScale: Float64Array };

export interface Path {
  readonly map: PathMap;
  readonly bias: Float64Array | null;
  readonly delaySteps: number;
  readonly origin: string;
}

/** Population shape [h, w, c] of a NIR shape. */
export function popShape(s: readonly number[], file: string, node: string): readonly [number, number, number] {
  if (s.length === 1) return [1, 1, s[0] as number];
  if (s.length === 2) return [1, s[1] as number, s[0] as number];
  if (s.length === 3) return [s[1] as number, s[2] as number, s[0] as number];
  throw fail("SNNC167", `node ${truncateText(node)} has a ${s.length}-D shape [${s.join(", ")}]; snnc maps [N], [C, N] and [C, H, W]`, { file, layer: node });
}

/** Population index of NIR flat index k of a tensor of NIR shape s (channels first → channels last). */
export function nirToPop(s: readonly number[]): (k: number) => number {
  if (s.length <= 1) return (k) => k;
  const C = s[0] as number;
  const HW = tensorSize(s.slice(1));
  return (k) => (k % HW) * C + Math.floor(k / HW);
}

export function uniform(t: Tensor, what: string, node: string, file: string): number {
  const v = t.data[0] as number;
  for (const x of t.data) {
    if (x !== v) throw fail("SNNC167", `${what} of node ${truncateText(node)} differs between neurons (${v} and ${x}); snnc needs one value per node`, { file, layer: node }, "split the node into nodes of equal time constants");
  }
  return v;
}

/** Applies memoryless node n to the path (signal of NIR shape inShape → outShape). */
export function applyNode(name: string, n: FlatNode, path: Path, inShape: readonly number[], outShape: readonly number[], dt: number, file: string, warn: (w: Warning) => void): Path {
  const m = path.map;
  const outN = tensorSize(outShape);
  const twoWeighted = () => fail("SNNC167", `node ${truncateText(name)} (${n.type}) follows another weighted node (${truncateText(path.origin)}) with no neuron between them`, { file, layer: name },
    "snnc maps one weighted node (Affine, Linear, Conv, pooling) between two neurons; fold the two maps into one");
  switch (n.type) {
    case "Pass":
    case "Flatten":
    case "Input":
    case "Output":
      return path;
    case "Delay": {
      const d = uniform(n.delay, "delay", name, file);
      const steps = Math.round(d / dt);
      if (Math.abs(steps * dt - d) > 1e-9 * Math.max(1, Math.abs(d))) {
        warn({ code: "SNNC-W163", message: `delay ${d} of ${name} is not a multiple of dt = ${dt}: rounded to ${steps} steps (error ${(steps * dt - d).toPrecision(3)})`, loc: { layer: name } });
      }
      if (steps < 0) throw fail("SNNC168", `delay of node ${truncateText(name)} is negative`, { file, layer: name });
      return { ...path, delaySteps: path.delaySteps + steps };
    }
    case "Scale": {
      const s = (j: number) => (n.scale.data.length === 1 ? n.scale.data[0] : n.scale.data[j]) as number;
      const bias = path.bias ? path.bias.map((b, j) => b * s(j)) : null;
      if (m.kind === "identity") return { ...path, bias, map: { kind: "identity", scale: m.scale.map((x, j) => x * s(j)) } };
      if (m.kind === "dense") {
        const w = m.w.slice();
        for (let i = 0; i < m.inN; i++) for (let j = 0; j < m.outN; j++) w[i * m.outN + j] = (w[i * m.outN + j] as number) * s(j);
        return { ...path, bias, map: { ...m, w } };
      }
      return { ...path, bias, map: { ...m, outScale: m.outScale.map((x, j) => x * s(j)) } };
    }
    case "Affine":
    case "Linear": {
      if (m.kind !== "identity") throw twoWeighted();
      const W = n.weight;
      const [o, inn] = [W.shape[0] as number, W.shape[1] as number];
      const w = new Float64Array(inn * o);
      for (let j = 0; j < o; j++) for (let i = 0; i < inn; i++) w[i * o + j] = (W.data[j * inn + i] as number) * (m.scale[i] as number);
      const bias = n.type === "Affine" ? Float64Array.from(n.bias.data) : null;
      return { ...path, bias: addBias(path.bias, bias, o), map: { kind: "dense", w, inN: inn, outN: o }, origin: name };
    }
    case "Conv1d":
    case "Conv2d":
    case "SumPool2d":
    case "AvgPool2d": {
      if (m.kind !== "identity") throw twoWeighted();
      const two = inShape.length === 3;
      const [C, H, Wd] = two ? [inShape[0], inShape[1], inShape[2]] as number[] : [inShape[0], 1, inShape[1]] as number[];
      const [oC, oH, oW] = two ? [outShape[0], outShape[1], outShape[2]] as number[] : [outShape[0], 1, outShape[1]] as number[];
      // The input scale must be one value per channel to fold into the kernel.
      const HW = (H as number) * (Wd as number);
      const chScale = new Float64Array(C as number);
      for (let c = 0; c < (C as number); c++) {
        chScale[c] = m.scale[c * HW] as number;
        for (let q = 0; q < HW; q++) if (m.scale[c * HW + q] !== chScale[c]) throw fail("SNNC167", `a Scale before ${truncateText(name)} differs within a channel`, { file, layer: name });
      }
      let kh: number; let kw: number; let sh: number; let sw: number; let dh = 1; let dw = 1; let pt: number; let pl: number;
      let kernel: Float64Array;
      let depthwise: boolean;
      let bias: Float64Array | null = null;
      if (n.type === "Conv1d" || n.type === "Conv2d") {
        const ws = n.weight.shape;
        kh = two ? ws[2] as number : 1;
        kw = two ? ws[3] as number : ws[2] as number;
        sh = two ? n.stride[0] ?? 1 : 1;
        sw = two ? n.stride[1] ?? 1 : n.stride[0] ?? 1;
        dh = two ? n.dilation[0] ?? 1 : 1;
        dw = two ? n.dilation[1] ?? 1 : n.dilation[0] ?? 1;
        const pad = (i: number, size: number, k: number, s: number, d: number, o: number): number =>
          n.padding === "valid" ? 0 : n.padding === "same" ? Math.floor(Math.max(0, (o - 1) * s + (k - 1) * d + 1 - size) / 2) : n.padding[i] ?? 0;
        pt = two ? pad(0, H as number, kh, sh, dh, oH as number) : 0;
        pl = two ? pad(1, Wd as number, kw, sw, dw, oW as number) : pad(0, Wd as number, kw, sw, dw, oW as number);
        const cinG = ws[1] as number;
        if (n.groups === 1) {
          depthwise = false;
          kernel = new Float64Array(kh * kw * (C as number) * (oC as number));
          for (let co = 0; co < (oC as number); co++) for (let ci = 0; ci < (C as number); ci++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
            kernel[((y * kw + x) * (C as number) + ci) * (oC as number) + co] = (n.weight.data[((co * cinG + ci) * kh + y) * kw + x] as number) * (chScale[ci] as number);
          }
        } else if (n.groups === C && cinG === 1) {
          depthwise = true;
          const mult = (oC as number) / (C as number);
          kernel = new Float64Array(kh * kw * (C as number) * mult);
          for (let c = 0; c < (C as number); c++) for (let q = 0; q < mult; q++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
            kernel[((y * kw + x) * (C as number) + c) * mult + q] = (n.weight.data[((c * mult + q) * kh + y) * kw + x] as number) * (chScale[c] as number);
          }
        } else {
          throw fail("SNNC167", `node ${truncateText(name)} has groups = ${n.groups}; snnc maps groups 1 and depthwise (groups = input channels)`, { file, layer: name });
        }
        bias = Float64Array.from({ length: outN }, (_, j) => n.bias.data[Math.floor(j / ((oH as number) * (oW as number)))] as number);
      } else {
        const pool = n as Extract<FlatNode, { type: "SumPool2d" | "AvgPool2d" }>;
        [kh, kw] = [pool.kernel[0] as number, pool.kernel[1] as number];
        [sh, sw] = [pool.stride[0] as number, pool.stride[1] as number];
        [pt, pl] = [pool.padding[0] as number, pool.padding[1] as number];
        depthwise = true;
        const v = pool.type === "SumPool2d" ? 1 : 1 / (kh * kw); // AvgPool2d divides by the whole window (count_include_pad)
        kernel = new Float64Array(kh * kw * (C as number));
        for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < (C as number); c++) kernel[(y * kw + x) * (C as number) + c] = v * (chScale[c] as number);
      }
      const geometry: WindowGeometry = { inH: H as number, inW: Wd as number, inC: C as number, outH: oH as number, outW: oW as number, outC: oC as number, kh, kw, sh, sw, dh, dw, padTop: pt, padLeft: pl };
      return { ...path, bias: addBias(path.bias, bias, outN), map: { kind: "window", geometry, kernel, depthwise, outScale: new Float64Array(outN).fill(1) }, origin: name };
    }
    default:
      throw fail("SNNC167", `node ${truncateText(name)} (${n.type}) cannot sit on an edge`, { file, layer: name });
  }
}

function addBias(a: Float64Array | null, b: Float64Array | null, n: number): Float64Array | null {
  if (!b) return a && a.length === n ? a : null;
  return a && a.length === n ? a.map((x, j) => x + (b[j] as number)) : b;
}

/** One value per channel of a per-element vector (NIR order), or SNNC167 when it varies in a channel. */
export function perChannel(v: Float64Array, nirShape: readonly number[], C: number, toPop: (k: number) => number, node: string, what: string, file: string): Float32Array {
  const out = new Float32Array(C);
  const set = new Uint8Array(C);
  for (let k = 0; k < v.length; k++) {
    const c = toPop(k) % C;
    const x = v[k] as number;
    if (set[c] && Math.fround(x) !== out[c] && Math.abs(x - (out[c] as number)) > 1e-6 * Math.abs(x)) {
      throw fail("SNNC167", `the ${what} into ${truncateText(node)} differs within a channel of shape [${nirShape.join(", ")}]`, { file, layer: node });
    }
    out[c] = x;
    set[c] = 1;
  }
  return out;
}

/** A path's map, times each destination element's factor, in population (channels-last) order. */
export function toConnectivity(m: PathMap, srcShape: readonly number[], dstShape: readonly number[], factor: Float64Array, node: string, file: string): Connectivity {
  const srcPop = nirToPop(srcShape);
  const dstPop = nirToPop(dstShape);
  const dstN = tensorSize(dstShape);
  const C = popShape(dstShape, file, node)[2];
  switch (m.kind) {
    case "identity": {
      if (m.scale.length !== dstN) throw fail("SNNC164", `the edge into ${truncateText(node)} carries ${m.scale.length} values for ${dstN} neurons`, { file, layer: node });
      const w = m.scale.map((x, j) => x * (factor[j] as number));
      return { kind: "oneToOne", weights: perChannel(w, dstShape, C, dstPop, node, "weight", file) };
    }
    case "dense": {
      if (m.outN !== dstN) throw fail("SNNC164", `the edge into ${truncateText(node)} carries ${m.outN} values for ${dstN} neurons`, { file, layer: node });
      const weights = new Float32Array(m.inN * m.outN);
      for (let i = 0; i < m.inN; i++) {
        const si = srcPop(i);
        for (let j = 0; j < m.outN; j++) weights[si * m.outN + dstPop(j)] = (m.w[i * m.outN + j] as number) * (factor[j] as number);
      }
      return { kind: "dense", weights };
    }
    case "window": {
      const g = m.geometry;
      const f = new Float64Array(g.outC);
      const per = g.outH * g.outW;
      for (let c = 0; c < g.outC; c++) {
        f[c] = (factor[c * per] as number) * (m.outScale[c * per] as number);
        for (let q = 0; q < per; q++) {
          if (Math.abs((factor[c * per + q] as number) * (m.outScale[c * per + q] as number) - (f[c] as number)) > 1e-9 * Math.abs(f[c] as number)) {
            throw fail("SNNC167", `the neuron parameters of ${truncateText(node)} differ within a channel after a convolution or pooling`, { file, layer: node });
          }
        }
      }
      if (m.depthwise) {
        const mult = g.outC / g.inC;
        const kernel = new Float32Array(m.kernel.length);
        // kernel layout [kh, kw, inC, mult]: index ((y·kw + x)·inC + c)·mult + q → output channel c·mult + q.
        for (let i = 0; i < m.kernel.length; i++) {
          const q = i % mult;
          const c = Math.floor(i / mult) % g.inC;
          kernel[i] = (m.kernel[i] as number) * (f[c * mult + q] as number);
        }
        return { kind: "depthwise", geometry: g, kernel, multiplier: mult };
      }
      const kernel = Float32Array.from(m.kernel, (x, i) => x * (f[i % g.outC] as number));
      return { kind: "conv", geometry: g, kernel };
    }
  }
}
