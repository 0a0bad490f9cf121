/**
 * @fileoverview The CMPT section of network.snnb (both families): ECMT compute nodes on the processor cores and
 * the graded projections into and out of them. Layout: docs/binary-format.md "CMPT" and runtime/format/spec.ts.
 *
 * Input: the full QuantisedSnn (its compute nodes and graded projections, map/graded.ts), the compute plan
 * (map/compute.ts: slices, units, processor assignments), the graded routes (map/route-graded.ts: hops per
 * packet), the target's processor model. Output: the section's bytes. Weights are stored as the quantiser's
 * mantissas with the projection's shifts (effective = m · 2^shift), exactly as the reference model uses them.
 * Failures: SNNC323 (a graded projection with a connectivity the section has no code for), naming the layer.
 */
import { fail } from "../compiler/diagnostics.ts";
import type { QPopulation, QuantisedSnn } from "../compiler/ir/quantised.ts";
import type { ComputePlan } from "../compiler/map/compute.ts";
import { gradedProjections } from "../compiler/map/graded.ts";
import type { Target } from "../compiler/target/schema.ts";
import { EXP_FRAC, FRAC_BITS, RSQRT_FRAC } from "../runtime/compute.ts";
import { CMPT_FLAG, CMPT_PAYLOAD_SHIFT_BIT, COMPUTE_OP_CODES, GRADED_CONN_CODES } from "../runtime/format/spec.ts";
import { ByteWriter } from "../runtime/format/writer.ts";

export function computeSection(q: QuantisedSnn, plan: ComputePlan, hops: readonly number[], target: Target, chipsX: number): Uint8Array {
  const proc = target.processors;
  if (!proc) throw new Error("internal: compute section without a processor model");
  const graded = gradedProjections(q);
  const w = new ByteWriter();
  w.u32(plan.nodes.length).u32(graded.length).u32(proc.perChip.value).u32(proc.dataMemoryBytes.value);
  w.f64(proc.clockHz.value).f64(proc.stepBudgetSeconds.value).f64(proc.cyclesPerMac.value).f64(proc.cyclesPerAdd.value)
    .f64(proc.cyclesPerLookup.value).f64(proc.cyclesPerDivide.value).f64(proc.joulesPerCycle.value);
  // The compute nodes' graded packets: one signed width for all (quantise rule 5, the target's payload bits).
  const widths = new Set(plan.nodes.map((n) => (q.populations[n.population] as QPopulation).compute?.payloadBits ?? 32));
  if (widths.size > 1) throw new Error(`internal: compute nodes with payload widths ${[...widths].join(", ")}`);
  const payloadBits = [...widths][0] ?? 32;
  w.u8(FRAC_BITS).u8(EXP_FRAC).u8(RSQRT_FRAC).u8(payloadBits).u32(0);
  for (const n of plan.nodes) {
    const p = q.populations[n.population] as QPopulation;
    const c = p.compute;
    if (!c) throw new Error(`internal: ${p.name} in the compute plan has no compute node`);
    const op = c.kind === "matmul" ? "matmul" : c.op.kind;
    const ln = c.kind === "unary" && c.op.kind === "layerNorm" ? c.op : null;
    const offset = c.kind === "unary" ? c.offset : null;
    const flags = (offset ? CMPT_FLAG.offset : 0) | (ln?.gamma ? CMPT_FLAG.gamma : 0) | (ln?.beta ? CMPT_FLAG.beta : 0)
      | (c.kind === "matmul" && c.op.rightTransposed ? CMPT_FLAG.rightTransposed : 0) | (c.payloadShift << CMPT_PAYLOAD_SHIFT_BIT);
    const group = c.kind === "unary" ? (c.op.kind === "softmax" ? c.op.groupSize : c.op.kind === "layerNorm" ? c.op.features : 0) : 0;
    const mm = c.kind === "matmul" ? c.op : null;
    const lut = c.kind === "unary" && c.op.kind !== "sum" ? c.op.lut : new Int32Array(0);
    w.u16(p.id).u8(COMPUTE_OP_CODES[op]).u8(flags).u32(p.size).u32(group).u32(mm?.heads ?? 0).u32(mm?.rows ?? 0).u32(mm?.inner ?? 0).u32(mm?.cols ?? 0)
      .u32(ln ? ln.epsilon : 0).u32(n.slices).u32(n.units).u32(lut.length).u32(n.assignments.length);
    for (const x of lut) w.i32(x);
    if (offset) for (const x of offset) w.i32(x);
    if (ln?.gamma) for (const x of ln.gamma) w.i32(x);
    if (ln?.beta) for (const x of ln.beta) w.i32(x);
    for (const a of n.assignments) w.u16(a.chip % chipsX).u16(Math.floor(a.chip / chipsX)).u16(a.index).u16(0).u32(a.unitStart).u32(a.unitEnd);
  }
  // Multi-threshold positive payload scales (quantise fineNegativeShifts), which the 24-byte profile lacks.
  const scaled = q.populations.filter((p) => p.params.mtPosPayload !== undefined);
  w.u32(scaled.length);
  for (const p of scaled) w.u16(p.id).u16(0).u32(p.params.mtPosPayload as number);
  graded.forEach((g, k) => {
    const pr = g.projection;
    const src = q.populations[pr.source] as QPopulation;
    const dst = q.populations[g.dst] as QPopulation;
    const conn = pr.conn;
    if (conn.kind !== "dense" && conn.kind !== "oneToOne" && conn.kind !== "conv" && conn.kind !== "sparse") {
      throw fail("SNNC323", `a ${conn.kind} projection into or out of a compute node has no graded-projection code in the CMPT section`, { layer: dst.name },
        "compute nodes take dense, one-to-one, 1×1-convolution (token-wise) and sparse projections");
    }
    const weights = conn.kind === "conv" ? conn.kernel : conn.weights;
    w.u16(src.id).u16(dst.id).u8(pr.operand === "right" ? 1 : 0).u8(pr.payloadShift ?? 0).u8(pr.posShift).u8(pr.negShift).u16(pr.delay)
      .u8(GRADED_CONN_CODES[conn.kind]).u8(0).u32(Math.round((hops[k] ?? 0) * 1000)).u32(weights.length).u32(0);
    if (conn.kind === "conv") {
      const gm = conn.geometry;
      for (const x of [gm.inH, gm.inW, gm.inC, gm.outH, gm.outW, gm.outC, gm.kh, gm.kw, gm.sh, gm.sw, gm.dh, gm.dw, gm.padTop, gm.padLeft]) w.u32(x);
    }
    if (conn.kind === "sparse") {
      for (const x of conn.rowStart) w.u32(x);
      for (const x of conn.col) w.u32(x);
    }
    for (const x of weights) w.i32(x);
  });
  return w.finish();
}
