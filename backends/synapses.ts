/**
 * @fileoverview Weight mantissas of a run of synapses (one source neuron into consecutive compartments of a
 * block), read from the structured QuantisedSnn connectivity. Used by both backend families.
 */
import { windowCount } from "../compiler/ir/shape.ts";
import type { Box } from "../compiler/ir/mapped.ts";
import type { QConnectivity, QPopulation } from "../compiler/ir/quantised.ts";

/** Mantissas of the run starting at block compartment `first` (block-local) of length `length`. */
export function runMantissas(conn: QConnectivity, src: QPopulation, dst: QPopulation, box: Box, s: number, first: number, length: number, out: Int32Array): void {
  const bw = box.x1 - box.x0;
  const bc = box.c1 - box.c0;
  const [, dw, dc] = dst.shape;
  const [, sw, sc] = src.shape;
  const ci = s % sc;
  const spix = (s - ci) / sc;
  const sx = spix % sw;
  const sy = (spix - sx) / sw;
  for (let j = 0; j < length; j++) {
    const local = first + j;
    const k = local % bc;
    const px = (local - k) / bc;
    const lx = px % bw;
    const ly = (px - lx) / bw;
    const oy = box.y0 + ly;
    const ox = box.x0 + lx;
    const co = box.c0 + k;
    const t = (oy * dw + ox) * dc + co;
    switch (conn.kind) {
      case "dense":
        out[j] = conn.weights[s * dst.size + t] as number;
        break;
      case "oneToOne":
        out[j] = conn.weights[ci % conn.weights.length] as number;
        break;
      case "sparse": {
        // binary search of target t in source s's increasing row
        let lo = conn.rowStart[s] as number;
        let hi = (conn.rowStart[s + 1] as number) - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((conn.col[mid] as number) < t) lo = mid + 1;
          else hi = mid;
        }
        out[j] = conn.col[lo] === t ? (conn.weights[lo] as number) : 0;
        break;
      }
      case "conv":
      case "depthwise":
      case "avgPool": {
        const g = conn.geometry;
        const ky = (sy - oy * g.sh + g.padTop) / g.dh;
        const kx = (sx - ox * g.sw + g.padLeft) / g.dw;
        if (conn.kind === "conv") out[j] = conn.kernel[((ky * g.kw + kx) * g.inC + ci) * g.outC + co] as number;
        else if (conn.kind === "depthwise") out[j] = conn.kernel[((ky * g.kw + kx) * g.inC + ci) * conn.multiplier + (co - ci * conn.multiplier)] as number;
        else out[j] = conn.table[ci * (g.kh * g.kw + 1) + windowCount(g, oy, ox)] as number;
        break;
      }
      case "maxPool":
        out[j] = 0;
        break;
    }
  }
}
