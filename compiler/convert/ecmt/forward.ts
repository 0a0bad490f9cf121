/**
 * @fileoverview The ANN values of an ecmt RawSnn: evaluates every population's site on float inputs (the
 * linear terms, biases and offsets, then ReLU, identity for quantisers and readout, or the compute node's
 * operator), and the activation statistics calibration needs.
 *
 * Input: RawSnn from convert/ecmt/lower.ts (populations in topological order), images [count, ...inputShape].
 * Output: per population, its value (ANN units) for each sample, or SiteStats per statsNode. This is the
 * ANN itself, evaluated through the lowered structure: the statistics of inner attention values (q, k, v,
 * attention probabilities, context) need no interpreter support, and tests compare it with a reference of
 * the ANN's layers (test/convert/ecmt.test.ts).
 */
import { fail } from "../../diagnostics.ts";
import { shapeSize } from "../../ir/ann.ts";
import { applyMatmul, applyUnaryOp, matmulSizes } from "../../simulate/compute.ts";
import { scatterProjection, type SpikeSlot } from "../../simulate/scatter.ts";
import { Accumulator, type Calibration } from "../calibrate.ts";
import type { RawPop, RawSnn } from "../lower.ts";

function denseSlot(values: Float32Array, B: number, n: number): SpikeSlot {
  const idx = new Int32Array(B * n);
  for (let b = 0; b < B; b++) for (let j = 0; j < n; j++) idx[b * n + j] = j;
  return { idx, val: values, n: new Int32Array(B).fill(n), stride: n };
}

const popSize = (p: RawPop): number => p.shape[0] * p.shape[1] * p.shape[2];

/** Values of every population for B samples (arrays [B, size]). */
export function forwardRaw(raw: RawSnn, images: Float32Array, B: number): Float32Array[] {
  const out: Float32Array[] = [];
  const slots = new Map<number, SpikeSlot>();
  const slotOf = (id: number): SpikeSlot => {
    let s = slots.get(id);
    if (!s) {
      s = denseSlot(out[id] as Float32Array, B, popSize(raw.pops[id] as RawPop));
      slots.set(id, s);
    }
    return s;
  };
  for (const p of raw.pops) {
    if (p.id !== out.length) throw new Error("internal: ecmt populations out of order");
    const n = popSize(p);
    if (p.site === "input") {
      out.push(images.subarray(0, B * n));
      continue;
    }
    const op = p.compute?.op;
    if (op?.kind === "matmul") {
      const sz = matmulSizes(op);
      const L = new Float32Array(B * sz.left);
      const R = new Float32Array(B * sz.right);
      for (const t of p.terms) {
        const src = raw.pops[t.source] as RawPop;
        if (t.operand === "left") scatterProjection(t.conn, slotOf(t.source), L, B, popSize(src), sz.left);
        else scatterProjection(t.conn, slotOf(t.source), R, B, popSize(src), sz.right);
      }
      const v = new Float32Array(B * n);
      const tmp = new Float64Array(n);
      for (let b = 0; b < B; b++) {
        applyMatmul(op, L.subarray(b * sz.left, (b + 1) * sz.left), R.subarray(b * sz.right, (b + 1) * sz.right), 1, tmp);
        v.set(tmp, b * n);
      }
      out.push(v);
      continue;
    }
    const v = new Float32Array(B * n);
    for (const t of p.terms) scatterProjection(t.conn, slotOf(t.source), v, B, popSize(raw.pops[t.source] as RawPop), n);
    const C = p.shape[2];
    if (p.bias) for (let i = 0; i < B * n; i++) v[i] = (v[i] as number) + (p.bias[i % C] as number);
    const offset = p.compute?.offset;
    if (offset) for (let i = 0; i < B * n; i++) v[i] = (v[i] as number) + (offset[i % n] as number);
    if (p.site === "relu") for (let i = 0; i < B * n; i++) v[i] = Math.max(0, v[i] as number);
    if (op) {
      const tmp = new Float64Array(n);
      for (let b = 0; b < B; b++) {
        applyUnaryOp(op, v.subarray(b * n, (b + 1) * n), tmp);
        v.set(tmp, b * n);
      }
    }
    out.push(v);
  }
  return out;
}

/** Activation statistics of every population's site over the calibration samples. */
export function calibrateRaw(raw: RawSnn, images: Float32Array, count: number, batchSize = 16, onBatch?: (done: number) => void): Calibration {
  if (count <= 0) throw fail("SNNC203", "calibration needs at least one sample", {}, "give --calibration DATA or a larger --samples");
  const per = shapeSize(raw.inputShape);
  const cap = 2_000_000;
  const acc = raw.pops.map((p) => new Accumulator(popSize(p), p.shape[2], Math.max(1, Math.ceil((popSize(p) * count) / cap))));
  for (let start = 0; start < count; start += batchSize) {
    const B = Math.min(batchSize, count - start);
    const vals = forwardRaw(raw, images.subarray(start * per, (start + B) * per), B);
    vals.forEach((v, i) => (acc[i] as Accumulator).add(v));
    onBatch?.(start + B);
  }
  return new Map(raw.pops.map((p, i) => [p.statsNode, (acc[i] as Accumulator).finish()]));
}
