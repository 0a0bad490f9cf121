/**
 * @fileoverview Event-driven delivery of one step's spikes through a projection (float SNN simulator).
 *
 * For every spike (neuron i, payload p) of every sample, adds p × weight to the current of each target.
 * Convolutions are not expanded: the targets of input (y, x, c) are the outputs (oy, ox) with
 * oy·sh − padTop + ky·dh = y for some kernel row ky (and the same in x), found by stepping ky.
 * Returns the number of synaptic events delivered (for synaptic-operation counts).
 * With an `arena` (float-kernels.ts) holding the spikes, the currents and the weights, dense and convolution
 * delivery run the WebAssembly kernels instead (the same sums bit for bit).
 */
import type { Connectivity, WindowGeometry } from "../ir/snn.ts";
import type { Arena } from "./float-kernels.ts";

/** One step's spikes of a population for a batch: sample b's k-th spike is idx/val[b * stride + k]. */
export interface SpikeSlot {
  readonly idx: Int32Array;
  readonly val: Float32Array;
  readonly n: Int32Array;
  readonly stride: number;
}

/** The arena's copy of `w` when the kernels can deliver these spikes into `current`. */
function kernelWeights(arena: Arena | null | undefined, w: Float32Array, spikes: SpikeSlot, current: Float32Array): Float32Array | undefined {
  if (!arena || !arena.owns(current) || !arena.owns(spikes.idx) || !arena.owns(spikes.val) || !arena.owns(spikes.n)) return undefined;
  return arena.constantOf(w);
}

export function scatterProjection(conn: Connectivity, spikes: SpikeSlot, current: Float32Array, B: number, srcSize: number, dstSize: number, arena?: Arena | null): number {
  let events = 0;
  switch (conn.kind) {
    case "dense": {
      const kw = kernelWeights(arena, conn.weights, spikes, current);
      if (kw && arena) return arena.k.scatterDense(spikes.idx.byteOffset, spikes.val.byteOffset, spikes.n.byteOffset, spikes.stride, B, current.byteOffset, kw.byteOffset, dstSize);
      const w = conn.weights;
      const cols = dstSize;
      for (let b = 0; b < B; b++) {
        const base = b * spikes.stride;
        const ob = b * dstSize;
        const n = spikes.n[b] as number;
        for (let k = 0; k < n; k++) {
          const i = spikes.idx[base + k] as number;
          const p = spikes.val[base + k] as number;
          if (p === 1) addRow(current, ob, w, i * cols, cols);
          else addRowScaled(current, ob, w, i * cols, cols, p);
        }
        events += n * cols;
      }
      return events;
    }
    case "oneToOne": {
      const w = conn.weights;
      const C = w.length;
      for (let b = 0; b < B; b++) {
        const base = b * spikes.stride;
        const ob = b * dstSize;
        const n = spikes.n[b] as number;
        for (let k = 0; k < n; k++) {
          const i = spikes.idx[base + k] as number;
          current[ob + i] = (current[ob + i] as number) + (spikes.val[base + k] as number) * (w[i % C] as number);
        }
        events += n;
      }
      return events;
    }
    case "conv": {
      const kw = kernelWeights(arena, conn.kernel, spikes, current);
      if (kw && arena) {
        const g = conn.geometry;
        return arena.k.scatterConv(spikes.idx.byteOffset, spikes.val.byteOffset, spikes.n.byteOffset, spikes.stride, B, current.byteOffset, dstSize, kw.byteOffset,
          g.inW, g.inC, g.outH, g.outW, g.outC, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft);
      }
      return scatterWindow(conn, spikes, current, B, dstSize);
    }
    case "avgPool": {
      const ks = kernelWeights(arena, conn.scale, spikes, current);
      const inv = arena?.constantOf(invCountsOf(conn.geometry));
      if (ks && inv && arena) {
        const g = conn.geometry;
        return arena.k.scatterAvgPool(spikes.idx.byteOffset, spikes.val.byteOffset, spikes.n.byteOffset, spikes.stride, B, current.byteOffset, dstSize, ks.byteOffset, inv.byteOffset,
          g.inW, g.inC, g.outH, g.outW, g.outC, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft);
      }
      return scatterWindow(conn, spikes, current, B, dstSize);
    }
    case "depthwise":
      return scatterWindow(conn, spikes, current, B, dstSize);
    case "maxPool":
      return 0;
  }
  void srcSize;
}

function invCounts(g: WindowGeometry): Float32Array {
  const out = new Float32Array(g.outH * g.outW);
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      let n = 0;
      for (let ky = 0; ky < g.kh; ky++) {
        const iy = oy * g.sh - g.padTop + ky * g.dh;
        if (iy < 0 || iy >= g.inH) continue;
        for (let kx = 0; kx < g.kw; kx++) {
          const ix = ox * g.sw - g.padLeft + kx * g.dw;
          if (ix >= 0 && ix < g.inW) n++;
        }
      }
      out[oy * g.outW + ox] = n > 0 ? 1 / n : 0;
    }
  }
  return out;
}

const invCountCache = new WeakMap<WindowGeometry, Float32Array>();

/** 1 / (in-bounds inputs) per output pixel of an average pool's windows (cached per geometry). */
export function invCountsOf(g: WindowGeometry): Float32Array {
  let inv = invCountCache.get(g);
  if (!inv) {
    inv = invCounts(g);
    invCountCache.set(g, inv);
  }
  return inv;
}

function scatterWindow(conn: Extract<Connectivity, { kind: "conv" | "depthwise" | "avgPool" }>, spikes: SpikeSlot, current: Float32Array, B: number, dstSize: number): number {
  const g = conn.geometry;
  const { inW, inC, outH, outW, outC, kh, kw, sh, sw, dh, dw, padTop, padLeft } = g;
  let inv: Float32Array | null = null;
  if (conn.kind === "avgPool") inv = invCountsOf(g);
  const kind = conn.kind === "conv" ? 0 : conn.kind === "depthwise" ? 1 : 2;
  const kernel = conn.kind === "avgPool" ? conn.scale : conn.kernel;
  const scale = conn.kind === "avgPool" ? conn.scale : null;
  let events = 0;
  const mult = conn.kind === "depthwise" ? conn.multiplier : 1;
  for (let b = 0; b < B; b++) {
    const base = b * spikes.stride;
    const ob = b * dstSize;
    const n = spikes.n[b] as number;
    for (let s = 0; s < n; s++) {
      const i = spikes.idx[base + s] as number;
      const p = spikes.val[base + s] as number;
      const c = i % inC;
      const pix = (i - c) / inC;
      const x = pix % inW;
      const y = (pix - x) / inW;
      for (let ky = 0; ky < kh; ky++) {
        const ty = y + padTop - ky * dh;
        if (ty < 0 || ty % sh !== 0) continue;
        const oy = ty / sh;
        if (oy >= outH) continue;
        for (let kx = 0; kx < kw; kx++) {
          const tx = x + padLeft - kx * dw;
          if (tx < 0 || tx % sw !== 0) continue;
          const ox = tx / sw;
          if (ox >= outW) continue;
          const o = ob + (oy * outW + ox) * outC;
          if (kind === 0) {
            const wb = ((ky * kw + kx) * inC + c) * outC;
            events += outC;
            // p · w is w exactly when p = 1 (binary spikes): the same sums without the multiply.
            if (p === 1) addRow(current, o, kernel, wb, outC);
            else addRowScaled(current, o, kernel, wb, outC, p);
          } else if (kind === 1) {
            const wb = ((ky * kw + kx) * inC + c) * mult;
            for (let m = 0; m < mult; m++) current[o + c * mult + m] = (current[o + c * mult + m] as number) + p * (kernel[wb + m] as number);
            events += mult;
          } else {
            current[o + c] = (current[o + c] as number) + p * ((scale as Float32Array)[c] as number) * ((inv as Float32Array)[oy * outW + ox] as number);
            events += 1;
          }
        }
      }
    }
  }
  return events;
}

/** current[o + j] += w[wb + j] for j < n (float32 results, float64 sums). */
function addRow(current: Float32Array, o: number, w: Float32Array, wb: number, n: number): void {
  const d = wb - o;
  const end = o + n;
  let k = o;
  for (; k + 4 <= end; k += 4) {
    current[k] = (current[k] as number) + (w[k + d] as number);
    current[k + 1] = (current[k + 1] as number) + (w[k + d + 1] as number);
    current[k + 2] = (current[k + 2] as number) + (w[k + d + 2] as number);
    current[k + 3] = (current[k + 3] as number) + (w[k + d + 3] as number);
  }
  for (; k < end; k++) current[k] = (current[k] as number) + (w[k + d] as number);
}

function addRowScaled(current: Float32Array, o: number, w: Float32Array, wb: number, n: number, p: number): void {
  const d = wb - o;
  const end = o + n;
  for (let k = o; k < end; k++) current[k] = (current[k] as number) + p * (w[k + d] as number);
}
