/**
 * @fileoverview Window walks of convolution and pooling geometries, shared by the compiler (the integer
 * reference model's delivery, the PyNN synapse expansion, the Loihi synapse tables via compiler/ir/shape.ts) and
 * the emulator's graded projections (runtime/emulator/compute-nodes.ts): the one place that maps an input
 * pixel to the output windows it reaches.
 */

/** The fields of a window geometry these walks read (ir/snn.ts WindowGeometry, the binary's decoded one). */
export interface WindowWalk {
  readonly inH: number;
  readonly inW: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/** In-bounds inputs of output (oy, ox)'s window. */
export function windowCount(g: WindowWalk, oy: number, ox: number): number {
  let ny = 0;
  for (let ky = 0; ky < g.kh; ky++) {
    const iy = oy * g.sh - g.padTop + ky * g.dh;
    if (iy >= 0 && iy < g.inH) ny++;
  }
  let nx = 0;
  for (let kx = 0; kx < g.kw; kx++) {
    const ix = ox * g.sw - g.padLeft + kx * g.dw;
    if (ix >= 0 && ix < g.inW) nx++;
  }
  return ny * nx;
}

/**
 * The output windows an input pixel reaches: for input pixel p, entries start[p]..start[p+1] give the output
 * offset (oy·outW + ox)·outC, the kernel tap ky·kw + kx, and (average pooling) the window's in-bounds count.
 * Built once per geometry.
 */
export interface WindowTaps {
  readonly start: Int32Array;
  readonly out: Int32Array;
  readonly tap: Int32Array;
  readonly inBounds: Int32Array;
}
const tapsCache = new WeakMap<object, WindowTaps>();

export function windowTaps(g: WindowWalk & { readonly outH: number; readonly outW: number; readonly outC: number }): WindowTaps {
  const hit = tapsCache.get(g);
  if (hit) return hit;
  const pixels = g.inH * g.inW;
  const start = new Int32Array(pixels + 1);
  const out: number[] = [];
  const tap: number[] = [];
  const inBounds: number[] = [];
  for (let pix = 0; pix < pixels; pix++) {
    const x = pix % g.inW;
    const y = (pix - x) / g.inW;
    for (let ky = 0; ky < g.kh; ky++) {
      const ty = y + g.padTop - ky * g.dh;
      if (ty < 0 || ty % g.sh !== 0 || ty / g.sh >= g.outH) continue;
      const oy = ty / g.sh;
      for (let kx = 0; kx < g.kw; kx++) {
        const tx = x + g.padLeft - kx * g.dw;
        if (tx < 0 || tx % g.sw !== 0 || tx / g.sw >= g.outW) continue;
        const ox = tx / g.sw;
        out.push((oy * g.outW + ox) * g.outC);
        tap.push(ky * g.kw + kx);
        inBounds.push(windowCount(g, oy, ox));
      }
    }
    start[pix + 1] = out.length;
  }
  const t: WindowTaps = { start, out: Int32Array.from(out), tap: Int32Array.from(tap), inBounds: Int32Array.from(inBounds) };
  tapsCache.set(g, t);
  return t;
}
