/**
 * @fileoverview Expands the structured projections of a QuantisedSnn into explicit synapse lists (source
 * neuron, target neuron, effective weight in state units) for `--emit-pynn`: PyNN's FromListConnector takes
 * every synapse of a convolution or pooling layer one by one.
 *
 * Input: one QProjection and its source and destination populations. Output: parallel arrays (pre, post,
 * weight) in the order the reference integer simulator delivers them (source neuron, then window tap, then
 * output channel). Invariants: weights are the integer simulator's effective weights (mantissa · 2^shift,
 * exact in float64); zero weights are left out (a delta synapse of weight 0 changes nothing); neuron indices
 * are NHWC flat, as everywhere in snnc. Max pooling has no synapse form and is refused by the caller.
 */
import { windowTaps } from "../ir/shape.ts";
import type { QPopulation, QProjection } from "../ir/quantised.ts";
import { effectiveWeights } from "../simulate/int-snn.ts";

export interface SynapseList {
  readonly pre: Int32Array;
  readonly post: Int32Array;
  readonly weight: Float64Array;
  readonly count: number;
}

class Builder {
  pre = new Int32Array(1024);
  post = new Int32Array(1024);
  weight = new Float64Array(1024);
  count = 0;

  add(i: number, j: number, w: number): void {
    if (w === 0) return;
    if (this.count === this.pre.length) {
      const n = this.pre.length * 2;
      const pre = new Int32Array(n);
      pre.set(this.pre);
      const post = new Int32Array(n);
      post.set(this.post);
      const weight = new Float64Array(n);
      weight.set(this.weight);
      this.pre = pre;
      this.post = post;
      this.weight = weight;
    }
    this.pre[this.count] = i;
    this.post[this.count] = j;
    this.weight[this.count] = w;
    this.count++;
  }

  done(): SynapseList {
    return { pre: this.pre.subarray(0, this.count), post: this.post.subarray(0, this.count), weight: this.weight.subarray(0, this.count), count: this.count };
  }
}

/** Every synapse of projection `pr` from `src` into `dst`, with effective integer weights. */
export function expandProjection(pr: QProjection, src: QPopulation, dst: QPopulation): SynapseList {
  const c = pr.conn;
  const w = effectiveWeights(pr);
  const b = new Builder();
  switch (c.kind) {
    case "dense": {
      const ws = w as Float64Array;
      for (let i = 0; i < src.size; i++) for (let j = 0; j < dst.size; j++) b.add(i, j, ws[i * dst.size + j] as number);
      break;
    }
    case "oneToOne": {
      const ws = w as Float64Array;
      for (let i = 0; i < dst.size; i++) b.add(i, i, ws[i % ws.length] as number);
      break;
    }
    case "sparse": {
      const ws = w as Float64Array;
      for (let i = 0; i < src.size; i++) {
        for (let e = c.rowStart[i] as number; e < (c.rowStart[i + 1] as number); e++) b.add(i, c.col[e] as number, ws[e] as number);
      }
      break;
    }
    case "conv":
    case "depthwise":
    case "avgPool": {
      const ws = w as Float64Array;
      const g = c.geometry;
      const window = g.kh * g.kw;
      const { start, out, tap, inBounds } = windowTaps(g);
      for (let i = 0; i < src.size; i++) {
        const ci = i % g.inC;
        const pix = (i - ci) / g.inC;
        for (let e = start[pix] as number; e < (start[pix + 1] as number); e++) {
          const o = out[e] as number;
          if (c.kind === "conv") {
            const wb = ((tap[e] as number) * g.inC + ci) * g.outC;
            for (let co = 0; co < g.outC; co++) b.add(i, o + co, ws[wb + co] as number);
          } else if (c.kind === "depthwise") {
            const m = c.multiplier;
            const wb = ((tap[e] as number) * g.inC + ci) * m;
            for (let k = 0; k < m; k++) b.add(i, o + ci * m + k, ws[wb + k] as number);
          } else {
            b.add(i, o + ci, ws[ci * (window + 1) + (inBounds[e] as number)] as number);
          }
        }
      }
      break;
    }
    case "maxPool":
      throw new Error("internal: max pooling has no synapse list (refused before expansion)");
  }
  return b.done();
}
