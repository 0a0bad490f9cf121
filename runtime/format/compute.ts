/**
 * @fileoverview Reader of the CMPT section (docs/binary-format.md "CMPT"): ECMT compute nodes, multi-threshold
 * payload scales and graded projections. The one decoder: `snnc inspect`, the emulator and the generated
 * emulator (bundled from this file) all read CMPT here.
 *
 * Input: a Cursor over the section, the metadata's populations (sizes), the system (chips). Output:
 * DecodedCompute. Every failure is a coded error at the byte it read: SNNC504 (truncated), SNNC508 (an operation
 * or connectivity code this format does not define), SNNC509 (a field inconsistent with the network: a
 * population id or size, a LUT length, a fixed-point format other than runtime/compute.ts's, a processor
 * outside the system, weights that do not match their connectivity).
 */
import { RuntimeError } from "../errors.ts";
import { EXP_FRAC, EXP_LUT_SIZE, FRAC_BITS, GELU_LUT_SIZE, RSQRT_FRAC, RSQRT_LUT_SIZE } from "../compute.ts";
import type { DecodedBinary, DecodedCompute, DecodedComputeNode, DecodedGradedProjection, Meta } from "./decoded.ts";
import type { Cursor } from "./reader.ts";
import { CMPT_FLAG, CMPT_PAYLOAD_SHIFT_BIT, decodeComputeOp, decodeGradedConn } from "./spec.ts";

const LUT_LENGTH = { gelu: GELU_LUT_SIZE + 1, softmax: EXP_LUT_SIZE + 1, layerNorm: RSQRT_LUT_SIZE + 1, matmul: 0, sum: 0 } as const;

function bad(message: string, at: number): RuntimeError {
  return new RuntimeError("SNNC509", `section CMPT: ${message}`, at, "the binary is corrupt or from another snnc; recompile");
}

function ints(c: Cursor, n: number, what: string): Int32Array {
  const b = c.take(n, 4, what);
  return new Int32Array(b.buffer, b.byteOffset, n);
}

function uints(c: Cursor, n: number, what: string): Uint32Array {
  const b = c.take(n, 4, what);
  return new Uint32Array(b.buffer, b.byteOffset, n);
}

export function readCompute(c: Cursor, meta: Meta, system: DecodedBinary["system"]): DecodedCompute {
  const pops = meta.populations;
  const sizeOf = (p: number): number => {
    const s = pops[p]?.shape;
    return s ? s[0] * s[1] * s[2] : 0;
  };
  const nodeCount = c.u32();
  const projectionCount = c.u32();
  const perChip = c.u32();
  const dataMemoryBytes = c.u32();
  const processor = {
    perChip, dataMemoryBytes, clockHz: c.f64(), stepBudgetSeconds: c.f64(), cyclesPerMac: c.f64(), cyclesPerAdd: c.f64(),
    cyclesPerLookup: c.f64(), cyclesPerDivide: c.f64(), joulesPerCycle: c.f64(),
  };
  for (const [k, v] of Object.entries(processor)) if (!(Number.isFinite(v) && v >= 0)) throw bad(`processor ${k} is ${v}`, c.pos - 8);
  const at = c.pos;
  const fracBits = c.u8();
  const expFrac = c.u8();
  const rsqrtFrac = c.u8();
  // The compute nodes' graded payload width (0 in binaries written before the field: 32-bit packets).
  const payloadBits = c.u8() || 32;
  c.u32();
  if (fracBits !== FRAC_BITS || expFrac !== EXP_FRAC || rsqrtFrac !== RSQRT_FRAC) {
    throw bad(`fixed-point formats s.${fracBits}, exp u.${expFrac}, 1/sqrt u.${rsqrtFrac}; this runtime computes s16.${FRAC_BITS}, u1.${EXP_FRAC}, u2.${RSQRT_FRAC}`, at);
  }
  if (payloadBits < 2 || payloadBits > 32) throw bad(`compute nodes' payloads of ${payloadBits} bits (2 to 32)`, at + 3);
  if (nodeCount > pops.length) throw bad(`${nodeCount} compute nodes for ${pops.length} populations`, c.pos - 80);
  const nodes: DecodedComputeNode[] = [];
  const isCompute = new Uint8Array(pops.length);
  for (let k = 0; k < nodeCount; k++) {
    const start = c.pos;
    const pop = c.u16();
    const opAt = c.pos;
    const opCode = c.u8();
    const op = decodeComputeOp(opCode);
    if (!op) throw new RuntimeError("SNNC508", `section CMPT: compute node ${k} has operation code ${opCode}`, opAt, "the binary is corrupt or from a newer snnc");
    const flags = c.u8();
    const size = c.u32();
    const group = c.u32();
    const heads = c.u32();
    const rows = c.u32();
    const inner = c.u32();
    const cols = c.u32();
    const epsilon = c.u32();
    const slices = c.u32();
    const units = c.u32();
    const lutAt = c.pos;
    const lutLength = c.u32();
    const processors = c.u32();
    if (pop >= pops.length || isCompute[pop]) throw bad(`compute node ${k} names population ${pop} (${pops.length} populations, each at most once)`, start);
    isCompute[pop] = 1;
    if (size !== sizeOf(pop)) throw bad(`compute node ${k} has ${size} elements, population ${pop} has ${sizeOf(pop)}`, start + 4);
    if ((op === "softmax" || op === "layerNorm") && (group < 1 || size % group !== 0)) throw bad(`compute node ${k}: group ${group} does not divide ${size}`, start + 8);
    if (op === "matmul" && (heads * rows * cols !== size || inner < 1)) throw bad(`compute node ${k}: matmul ${heads}×${rows}×${inner}×${cols} does not give ${size} outputs`, start + 12);
    if (op === "layerNorm" && epsilon < 1) throw bad(`compute node ${k}: epsilon ${epsilon} below 1 (s.30)`, start + 28);
    if (lutLength !== LUT_LENGTH[op]) throw bad(`compute node ${k}: a ${op} LUT has ${LUT_LENGTH[op]} entries, not ${lutLength}`, lutAt);
    if (slices < 1 || units < 1 || units % slices !== 0) throw bad(`compute node ${k}: ${units} units in ${slices} slices`, start + 32);
    if (processors < 1 || processors > units) throw bad(`compute node ${k}: ${processors} processors for ${units} units`, lutAt + 4);
    const lut = ints(c, lutLength, "LUT entries");
    const offset = flags & CMPT_FLAG.offset ? ints(c, size, "offsets") : null;
    const features = op === "layerNorm" ? group : 0;
    const gamma = flags & CMPT_FLAG.gamma ? ints(c, features, "gamma") : null;
    const beta = flags & CMPT_FLAG.beta ? ints(c, features, "beta") : null;
    const assignments = [];
    let next = 0;
    for (let a = 0; a < processors; a++) {
      const aAt = c.pos;
      const chipX = c.u16();
      const chipY = c.u16();
      const index = c.u16();
      c.u16();
      const unitStart = c.u32();
      const unitEnd = c.u32();
      if (chipX >= system.chipsX || chipY >= system.chipsY || index >= perChip) throw bad(`compute node ${k}: processor (${chipX}, ${chipY}, ${index}) is outside the ${system.chipsX}×${system.chipsY} system of ${perChip} per chip`, aAt);
      if (unitStart !== next || unitEnd < unitStart || unitEnd > units) throw bad(`compute node ${k}: processor ${a} takes units [${unitStart}, ${unitEnd}), expected to start at ${next} and end by ${units}`, aAt + 8);
      next = unitEnd;
      assignments.push({ chipX, chipY, index, unitStart, unitEnd });
    }
    if (next !== units) throw bad(`compute node ${k}: its processors take ${next} of ${units} units`, c.pos - 4);
    nodes.push({
      pop, op, size, group, epsilon, lut, offset, gamma, beta, slices, units, assignments, payloadShift: flags >> CMPT_PAYLOAD_SHIFT_BIT, payloadBits,
      matmul: op === "matmul" ? { heads, rows, inner, cols, rightTransposed: (flags & CMPT_FLAG.rightTransposed) !== 0 } : null,
    });
  }
  const scaleCount = c.u32();
  if (scaleCount > pops.length) throw bad(`${scaleCount} payload scales for ${pops.length} populations`, c.pos - 4);
  const payloadScales = [];
  for (let k = 0; k < scaleCount; k++) {
    const sAt = c.pos;
    const pop = c.u16();
    c.u16();
    const scale = c.u32();
    if (pop >= pops.length || isCompute[pop] || scale < 1) throw bad(`payload scale ${scale} of population ${pop}`, sAt);
    payloadScales.push({ pop, scale });
  }
  const operandSizes = (pop: number): { left: number; right: number } => {
    const n = nodes.find((x) => x.pop === pop);
    const m = n?.matmul;
    if (!m) return { left: sizeOf(pop), right: 0 };
    return { left: m.rows * m.heads * m.inner, right: m.rightTransposed ? m.cols * m.heads * m.inner : m.inner * m.heads * m.cols };
  };
  const projections: DecodedGradedProjection[] = [];
  for (let k = 0; k < projectionCount; k++) {
    const start = c.pos;
    const src = c.u16();
    const dst = c.u16();
    const right = c.u8();
    const payloadShift = c.u8();
    const posShift = c.u8();
    const negShift = c.u8();
    const delay = c.u16();
    const connAt = c.pos;
    const connCode = c.u8();
    const conn = decodeGradedConn(connCode);
    if (!conn) throw new RuntimeError("SNNC508", `section CMPT: graded projection ${k} has connectivity code ${connCode}`, connAt, "the binary is corrupt or from a newer snnc");
    c.u8();
    const hops = c.u32() / 1000;
    const countAt = c.pos;
    const count = c.u32();
    c.u32();
    if (src >= pops.length || dst >= pops.length) throw bad(`graded projection ${k} joins populations ${src} → ${dst} of ${pops.length}`, start);
    if (right > 1 || (right === 1 && !nodes.find((x) => x.pop === dst)?.matmul)) throw bad(`graded projection ${k}: operand ${right} into population ${dst}`, start + 4);
    if (delay < 1 || delay > 255 || payloadShift > 31 || posShift > 31 || negShift > 31) throw bad(`graded projection ${k}: delay ${delay}, shifts ${payloadShift}/${posShift}/${negShift}`, start + 5);
    const srcNode = nodes.find((x) => x.pop === src);
    if (srcNode && payloadShift !== FRAC_BITS - srcNode.payloadShift) {
      throw bad(`graded projection ${k}: payloadShift ${payloadShift} out of compute node ${src}, whose payloads have ${FRAC_BITS - srcNode.payloadShift} fraction bits`, start + 5);
    }
    const srcSize = sizeOf(src);
    const ops = operandSizes(dst);
    const dstSize = right ? ops.right : ops.left;
    let geometry: DecodedGradedProjection["geometry"] = null;
    let rowStart: Uint32Array | null = null;
    let col: Uint32Array | null = null;
    if (conn === "conv") {
      const gAt = c.pos;
      const g = uints(c, 14, "geometry");
      const [inH, inW, inC, outH, outW, outC, kh, kw, sh, sw, dh, dw, padTop, padLeft] = Array.from(g) as [number, number, number, number, number, number, number, number, number, number, number, number, number, number];
      geometry = { inH, inW, inC, outH, outW, outC, kh, kw, sh, sw, dh, dw, padTop, padLeft };
      if (inH * inW * inC !== srcSize || outH * outW * outC > dstSize || sh < 1 || sw < 1 || dh < 1 || dw < 1 || count !== kh * kw * inC * outC) {
        throw bad(`graded projection ${k}: convolution geometry does not match ${srcSize} → ${dstSize} with ${count} weights`, gAt);
      }
    } else if (conn === "sparse") {
      const rAt = c.pos;
      rowStart = uints(c, srcSize + 1, "row starts");
      col = uints(c, count, "columns");
      for (let i = 0; i < srcSize; i++) if ((rowStart[i + 1] as number) < (rowStart[i] as number)) throw bad(`graded projection ${k}: row starts decrease at ${i}`, rAt + 4 * i);
      if (rowStart[0] !== 0 || rowStart[srcSize] !== count) throw bad(`graded projection ${k}: row starts do not span ${count} weights`, rAt);
      for (let e = 0; e < count; e++) if ((col[e] as number) >= dstSize) throw bad(`graded projection ${k}: column ${col[e]} beyond ${dstSize}`, rAt + 4 * (srcSize + 1 + e));
    } else if (conn === "dense" ? count !== srcSize * dstSize : count < 1 || count > dstSize || srcSize !== dstSize) {
      throw bad(`graded projection ${k}: ${count} ${conn} weights for ${srcSize} → ${dstSize}`, countAt);
    }
    const weights = ints(c, count, "weights");
    projections.push({ src, dst, right: right === 1, payloadShift, posShift, negShift, delay, conn, hops, srcSize, dstSize, geometry, rowStart, col, weights });
  }
  return { processor, fracBits, expFrac, rsqrtFrac, nodes, payloadScales, projections };
}
