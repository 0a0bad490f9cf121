/**
 * @fileoverview Quantisation of ECMT compute nodes: the float operator (ir/snn.ts ComputeOp) → the fixed-point
 * one the processor cores run (runtime/compute.ts), with its lookup tables.
 *
 * Input: a compute population's neuron model and its payload format. Output: FixedComputeNode — the operator
 * with s16.15 parameters (gamma, beta, offset), epsilon in s.30 (at least 1), and the LUT it reads (GELU exact
 * or tanh, exp, 1/sqrt), built here from Math and stored in the binary so the runtime never evaluates a
 * transcendental; and the payload shift and width of its graded packets (computePayloadShift).
 * Invariant: the LUTs' sizes and domains are runtime/compute.ts's constants.
 */
import type { QComputeNode, QComputeOp } from "../ir/quantised.ts";
import type { ComputeNeuron } from "../ir/snn.ts";
import { gelu, geluTanh } from "../interp/ops.ts";
import {
  EXP_FRAC, EXP_LUT_SIZE, FRAC_BITS, GELU_LUT_SIZE, GELU_MIN, ONE, RSQRT_FRAC, RSQRT_LUT_SIZE,
} from "../../runtime/compute.ts";

export type FixedComputeNode = QComputeNode;

const toAccum = (x: number): number => Math.max(-(2 ** 31 - 1), Math.min(2 ** 31 - 1, Math.round(x * ONE)));

export function geluLut(approximate: boolean): Int32Array {
  const f = approximate ? geluTanh : gelu;
  const step = 16 / GELU_LUT_SIZE;
  return Int32Array.from({ length: GELU_LUT_SIZE + 1 }, (_, i) => toAccum(f(GELU_MIN + i * step)));
}

export function expLut(): Int32Array {
  const step = 16 / EXP_LUT_SIZE;
  return Int32Array.from({ length: EXP_LUT_SIZE + 1 }, (_, i) => Math.round(Math.exp(-16 + i * step) * 2 ** EXP_FRAC));
}

export function rsqrtLut(): Int32Array {
  // m = 1/4 + i/256 … 1 (the normalised variance), entries 1/sqrt(m) in u.28
  return Int32Array.from({ length: RSQRT_LUT_SIZE + 1 }, (_, i) => Math.round((1 / Math.sqrt(0.25 + i / 256)) * 2 ** RSQRT_FRAC));
}

/** A node's payload shift and packet width (ir/quantised.ts QComputeNode). */
export type ComputePayload = Pick<QComputeNode, "payloadShift" | "payloadBits">;

/** s16.15 payloads in 32-bit packets: the fixed-point float model's, and what computePayloadShift gives on
 * 32-bit packets unless 1.5 × a node's largest payload reaches 2^16. */
const S16_15_PAYLOAD: ComputePayload = { payloadShift: 0, payloadBits: 32 };

/**
 * A node's payload shift p (quantise rule 5): the most fraction bits F = 15 − p that keep 1.5 × its largest
 * measured |payload| (ANN units; 0 when nothing was measured) inside the packets' signed `bits`.
 */
export function computePayloadShift(maxAbsPayload: number, bits: number): number {
  const room = (2 ** (bits - 1) - 1) / (1.5 * Math.max(maxAbsPayload, 2 ** -FRAC_BITS));
  const frac = Math.min(FRAC_BITS, Math.floor(Math.log2(room)));
  return FRAC_BITS - Math.max(0, frac);
}

export function quantiseComputeNode(neuron: ComputeNeuron, payload: ComputePayload = S16_15_PAYLOAD): FixedComputeNode {
  const offset = neuron.offset ? Int32Array.from(neuron.offset, toAccum) : null;
  return { ...fixedOp(neuron.op, offset), ...payload };
}

function fixedOp(op: ComputeNeuron["op"], offset: Int32Array | null): QComputeOp {
  switch (op.kind) {
    case "sum":
      return { kind: "unary", op: { kind: "sum" }, offset };
    case "gelu":
      return { kind: "unary", op: { kind: "gelu", lut: geluLut(op.approximate) }, offset };
    case "softmax":
      return { kind: "unary", op: { kind: "softmax", groupSize: op.groupSize, lut: expLut() }, offset };
    case "layerNorm":
      return {
        kind: "unary", offset,
        op: {
          kind: "layerNorm", features: op.features, epsilon: Math.max(1, Math.round(op.epsilon * 2 ** 30)),
          gamma: op.gamma ? Int32Array.from(op.gamma, toAccum) : null, beta: op.beta ? Int32Array.from(op.beta, toAccum) : null, lut: rsqrtLut(),
        },
      };
    case "matmul":
      return { kind: "matmul", op: { heads: op.heads, rows: op.rows, inner: op.inner, cols: op.cols, rightTransposed: op.rightTransposed } };
  }
}
