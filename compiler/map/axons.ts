/**
 * @fileoverview Which source neurons reach a destination block through a projection, and how their synapses
 * group: the one description of connectivity that capacity accounting, traffic estimates and the backends'
 * synapse tables share, so the memory the mapper charges is the memory the binary uses.
 *
 * A destination block's compartments are numbered in box order (y, x, c). For one source neuron ("axon"), its
 * synapses into the block fall in runs of consecutive compartments: a conv target pixel gives one run of the
 * block's channels, a depthwise pixel one run of `multiplier` channels, a pooling or one-to-one target a run
 * of 1, a dense projection one run of the whole block. `visitAxons` calls back once per (source neuron, run)
 * with the run's first compartment and length, in increasing source-neuron order; the runs of one source
 * neuron come in increasing compartment order.
 */
import type { Box } from "../ir/mapped.ts";
import type { QConnectivity, QPopulation } from "../ir/quantised.ts";
import type { Connectivity, WindowGeometry } from "../ir/snn.ts";

export type RunVisitor = (srcNeuron: number, firstCompartment: number, length: number) => void;

/** Flat NHWC index of (y, x, c) in a [h, w, c] population. */
function flat(w: number, c: number, y: number, x: number, k: number): number {
  return (y * w + x) * c + k;
}

/** Source rows/cols a window op reads for outputs in [o0, o1) along one axis. */
function sourceSpan(o0: number, o1: number, stride: number, pad: number, k: number, dil: number, inSize: number): [number, number] {
  const lo = Math.max(0, o0 * stride - pad);
  const hi = Math.min(inSize, (o1 - 1) * stride - pad + (k - 1) * dil + 1);
  return [lo, hi];
}

/** The box of source neurons a block reads through a projection (before intersecting with source blocks). */
export function receptiveBox(conn: QConnectivity | Connectivity, box: Box, src: Pick<QPopulation, "shape">): Box {
  const [, sw, sc] = src.shape;
  switch (conn.kind) {
    case "dense":
    case "sparse":
      return { y0: 0, y1: src.shape[0], x0: 0, x1: sw, c0: 0, c1: sc };
    case "oneToOne":
      return box;
    case "conv":
    case "depthwise":
    case "avgPool":
    case "maxPool": {
      const g = conn.geometry;
      const [y0, y1] = sourceSpan(box.y0, box.y1, g.sh, g.padTop, g.kh, g.dh, g.inH);
      const [x0, x1] = sourceSpan(box.x0, box.x1, g.sw, g.padLeft, g.kw, g.dw, g.inW);
      let c0 = 0;
      let c1 = g.inC;
      if (conn.kind === "depthwise") {
        c0 = Math.floor(box.c0 / conn.multiplier);
        c1 = Math.floor((box.c1 - 1) / conn.multiplier) + 1;
      } else if (conn.kind !== "conv") {
        c0 = box.c0;
        c1 = box.c1;
      }
      return { y0, y1, x0, x1, c0, c1 };
    }
  }
}

/** Output positions (o) in [o0, o1) that source position s reaches along one axis, via taps k. */
function targetsAlong(s: number, o0: number, o1: number, stride: number, pad: number, k: number, dil: number, out: Int32Array): number {
  let n = 0;
  // o · stride − pad + t · dil = s  →  o = (s + pad − t · dil) / stride; collect in increasing o.
  for (let t = k - 1; t >= 0; t--) {
    const num = s + pad - t * dil;
    if (num < 0 || num % stride !== 0) continue;
    const o = num / stride;
    if (o >= o0 && o < o1) out[n++] = o;
  }
  return n;
}

const scratchY = new Int32Array(64);
const scratchX = new Int32Array(64);

/**
 * Visits every (source neuron, run) of `conn` into the block `box` of the destination population.
 * `srcRange` optionally restricts sources to a box (a source block).
 */
export function visitAxons(conn: QConnectivity, box: Box, dst: QPopulation, src: QPopulation, visit: RunVisitor, srcRange?: Box): void {
  const bw = box.x1 - box.x0;
  const bc = box.c1 - box.c0;
  const [, sw, sc] = src.shape;
  const rf = receptiveBox(conn, box, src);
  const r = srcRange ? intersect(rf, srcRange) : rf;
  if (!r) return;
  switch (conn.kind) {
    case "dense":
      for (let y = r.y0; y < r.y1; y++) for (let x = r.x0; x < r.x1; x++) for (let k = r.c0; k < r.c1; k++) visit(flat(sw, sc, y, x, k), 0, bc * (box.y1 - box.y0) * bw);
      return;
    case "sparse":
      visitSparse(conn, box, dst, src, r, visit);
      return;
    case "oneToOne":
      for (let y = r.y0; y < r.y1; y++) {
        for (let x = r.x0; x < r.x1; x++) {
          for (let k = r.c0; k < r.c1; k++) visit(flat(sw, sc, y, x, k), ((y - box.y0) * bw + (x - box.x0)) * bc + (k - box.c0), 1);
        }
      }
      return;
    case "conv":
    case "depthwise":
    case "avgPool":
    case "maxPool":
      visitWindow(conn.geometry, conn.kind, conn.kind === "depthwise" ? conn.multiplier : 1, box, r, sw, sc, visit);
      return;
  }
  void dst;
}

/** Per sparse projection: its synapses indexed by target (CSC), built once. */
const incoming = new WeakMap<object, { readonly colStart: Int32Array; readonly source: Int32Array }>();

function incomingOf(conn: Extract<QConnectivity, { kind: "sparse" }>, targets: number): { readonly colStart: Int32Array; readonly source: Int32Array } {
  let x = incoming.get(conn);
  if (x) return x;
  const colStart = new Int32Array(targets + 1);
  for (let e = 0; e < conn.col.length; e++) colStart[(conn.col[e] as number) + 1] = (colStart[(conn.col[e] as number) + 1] as number) + 1;
  for (let t = 0; t < targets; t++) colStart[t + 1] = (colStart[t + 1] as number) + (colStart[t] as number);
  const fill = colStart.slice(0, targets);
  const source = new Int32Array(conn.col.length);
  const sources = conn.rowStart.length - 1;
  for (let s = 0; s < sources; s++) {
    for (let e = conn.rowStart[s] as number; e < (conn.rowStart[s + 1] as number); e++) {
      const t = conn.col[e] as number;
      source[fill[t] as number] = s;
      fill[t] = (fill[t] as number) + 1;
    }
  }
  x = { colStart, source };
  incoming.set(conn, x);
  return x;
}

/**
 * Sparse projections: the block's incoming synapses come from the transposed index (so a block costs its own
 * synapses, not the projection's), sorted by (source, compartment) and cut into runs of consecutive
 * compartments.
 */
function visitSparse(conn: Extract<QConnectivity, { kind: "sparse" }>, box: Box, dst: QPopulation, src: QPopulation, r: Box, visit: RunVisitor): void {
  const [, dw, dc] = dst.shape;
  const [, sw, sc] = src.shape;
  const bw = box.x1 - box.x0;
  const bc = box.c1 - box.c0;
  const blockSize = (box.y1 - box.y0) * bw * bc;
  const { colStart, source } = incomingOf(conn, dst.size);
  const whole = r.y0 === 0 && r.x0 === 0 && r.c0 === 0 && r.y1 === src.shape[0] && r.x1 === sw && r.c1 === sc;
  let n = 0;
  for (let y = box.y0; y < box.y1; y++) for (let x = box.x0; x < box.x1; x++) {
    const t0 = flat(dw, dc, y, x, box.c0);
    n += (colStart[t0 + bc] as number) - (colStart[t0] as number);
  }
  const keys = new Float64Array(n);
  let m = 0;
  let local = 0;
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      for (let k = box.c0; k < box.c1; k++, local++) {
        const t = flat(dw, dc, y, x, k);
        for (let e = colStart[t] as number; e < (colStart[t + 1] as number); e++) {
          const s = source[e] as number;
          if (!whole) {
            const sk = s % sc;
            const spx = (s - sk) / sc;
            const sx = spx % sw;
            const sy = (spx - sx) / sw;
            if (sy < r.y0 || sy >= r.y1 || sx < r.x0 || sx >= r.x1 || sk < r.c0 || sk >= r.c1) continue;
          }
          keys[m++] = s * blockSize + local;
        }
      }
    }
  }
  const sorted = keys.subarray(0, m).sort();
  let runSource = -1;
  let runFirst = 0;
  let runLen = 0;
  for (let i = 0; i < m; i++) {
    const key = sorted[i] as number;
    const l = key % blockSize;
    const s = (key - l) / blockSize;
    if (s === runSource && l === runFirst + runLen) {
      runLen++;
      continue;
    }
    if (runLen > 0) visit(runSource, runFirst, runLen);
    runSource = s;
    runFirst = l;
    runLen = 1;
  }
  if (runLen > 0) visit(runSource, runFirst, runLen);
}

function visitWindow(g: WindowGeometry, kind: "conv" | "depthwise" | "avgPool" | "maxPool", mult: number, box: Box, r: Box, sw: number, sc: number, visit: RunVisitor): void {
  const bw = box.x1 - box.x0;
  const bc = box.c1 - box.c0;
  const ys = g.kh <= 64 ? scratchY : new Int32Array(g.kh);
  const xs = g.kw <= 64 ? scratchX : new Int32Array(g.kw);
  for (let y = r.y0; y < r.y1; y++) {
    const ny = targetsAlong(y, box.y0, box.y1, g.sh, g.padTop, g.kh, g.dh, ys);
    if (ny === 0) continue;
    for (let x = r.x0; x < r.x1; x++) {
      const nx = targetsAlong(x, box.x0, box.x1, g.sw, g.padLeft, g.kw, g.dw, xs);
      if (nx === 0) continue;
      for (let k = r.c0; k < r.c1; k++) {
        const s = flat(sw, sc, y, x, k);
        // Channel run inside the block for this source channel.
        let cStart: number;
        let cLen: number;
        if (kind === "conv") {
          cStart = 0;
          cLen = bc;
        } else if (kind === "depthwise") {
          const lo = Math.max(k * mult, box.c0);
          const hi = Math.min((k + 1) * mult, box.c1);
          if (hi <= lo) continue;
          cStart = lo - box.c0;
          cLen = hi - lo;
        } else {
          if (k < box.c0 || k >= box.c1) continue;
          cStart = k - box.c0;
          cLen = 1;
        }
        for (let a = 0; a < ny; a++) {
          const oy = (ys[a] as number) - box.y0;
          for (let b = 0; b < nx; b++) {
            const ox = (xs[b] as number) - box.x0;
            visit(s, (oy * bw + ox) * bc + cStart, cLen);
          }
        }
      }
    }
  }
}

export function intersect(a: Box, b: Box): Box | null {
  const y0 = Math.max(a.y0, b.y0);
  const y1 = Math.min(a.y1, b.y1);
  const x0 = Math.max(a.x0, b.x0);
  const x1 = Math.min(a.x1, b.x1);
  const c0 = Math.max(a.c0, b.c0);
  const c1 = Math.min(a.c1, b.c1);
  return y0 < y1 && x0 < x1 && c0 < c1 ? { y0, y1, x0, x1, c0, c1 } : null;
}

/** Global neuron index (NHWC flat) of compartment i of a block. */
export function blockNeuron(box: Box, popShape: readonly [number, number, number], i: number): number {
  const bw = box.x1 - box.x0;
  const bc = box.c1 - box.c0;
  const k = i % bc;
  const px = (i - k) / bc;
  const x = px % bw;
  const y = (px - x) / bw;
  return flat(popShape[1], popShape[2], box.y0 + y, box.x0 + x, box.c0 + k);
}
