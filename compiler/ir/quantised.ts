/**
 * @fileoverview QuantisedSnn: the spiking network in the target's integer formats, output of `quantise`,
 * input of mapping and of the reference integer simulator (the golden model the emulator must match).
 *
 * Same structure as SnnGraph (populations with structured projections), with integers only:
 *   - each projection stores weight mantissas (Int32Array, the same layout as the float connectivity) and
 *     the shifts that scale them into state units: effective = mantissa << (mantissa >= 0 ? posShift : negShift)
 *     (Loihi: both 6 + weight exponent; SpiNNaker: the destination's left shift per synapse type);
 *   - each population carries `IntPopulationParams` (runtime/neuron.ts): threshold, bias, initial v, decays;
 *   - average pooling carries a table of mantissas by in-window count (TF pools divide by the count of
 *     in-bounds inputs, which differs at 'same'-padded edges).
 *   - ECMT compute populations (ir/snn.ts `compute`) carry `compute`: the operator in the processors' fixed
 *     point (runtime/compute.ts, the one source of its rules): values s16.15 (FRAC_BITS = 15), parameters
 *     (gamma, beta, offset) s16.15, LayerNorm epsilon s.30, and the LUT the operator reads (GELU s16.15, exp
 *     u1.30, 1/sqrt u2.28). Their `scale` is 2^15 state units per ANN unit and their `params` carry only
 *     size and scale (kind readout, never stepped as neurons).
 * Payload scaling (exact integers; docs/conversion.md "ecmt: integer back end"):
 *   neuron → compute   the neuron's integer payload p (1, or ±2^k for multi-threshold) times the s16.15
 *                      weight mantissa round(w · 2^15) (shifts 0): the input is p · m, an s16.15 value;
 *   compute → any      the payload P is ANN value · 2^F, F = 15 − the node's payloadShift (F = 15: s16.15;
 *                      smaller where the target's graded packets are narrower than 32 bits, quantise rule 5);
 *                      the projection has payloadShift = F:
 *                      per step and target, the exact sum Σ P · (m << shift) is divided by 2^F and rounded
 *                      half away from zero once (runtime/compute.ts `shiftRound`), giving state units of the
 *                      destination (or s16.15 again for a compute destination);
 *   neuron → neuron    unchanged (payloadShift 0).
 * Invariants: |mantissa| fits the target's weight bits in its sign mode (compute destinations: 32 bits); every
 * effective weight and bias is an exact integer in state units; the sums above stay below 2^53 (the
 * integer simulator checks it).
 */
import type { FixedMatmul, FixedOp } from "../../runtime/compute.ts";
import type { IntPopulationParams } from "../../runtime/neuron.ts";
import type { Shape } from "./ann.ts";
import type { Operand, WindowGeometry } from "./snn.ts";

/** An ECMT compute node in fixed point: a single-operand operator with its constant input (s16.15 per
 * element, added every window step), or a product of two operands. */
export type QComputeOp =
  | { readonly kind: "unary"; readonly op: FixedOp; readonly offset: Int32Array | null }
  | { readonly kind: "matmul"; readonly op: FixedMatmul };
export type QComputeNode = QComputeOp & {
  /** Its payloads: value · 2^(15 − payloadShift), saturated to the signed payloadBits of the target's graded
   * packets (runtime/compute.ts PayloadFormat); every projection out of it has payloadShift 15 − payloadShift. */
  readonly payloadShift: number;
  readonly payloadBits: number;
};

export type SignMode = "excitatory" | "inhibitory" | "mixed";

export type QConnectivity =
  | { readonly kind: "dense"; readonly weights: Int32Array }
  | { readonly kind: "conv"; readonly geometry: WindowGeometry; readonly kernel: Int32Array }
  | { readonly kind: "depthwise"; readonly geometry: WindowGeometry; readonly kernel: Int32Array; readonly multiplier: number }
  /** Mantissa of one input of channel c in a window of `count` in-bounds inputs: table[c * (kh*kw + 1) + count]. */
  | { readonly kind: "avgPool"; readonly geometry: WindowGeometry; readonly table: Int32Array }
  | { readonly kind: "maxPool"; readonly geometry: WindowGeometry }
  | { readonly kind: "oneToOne"; readonly weights: Int32Array }
  /** Arbitrary connectivity (synthetic networks): source i's targets are col[rowStart[i] .. rowStart[i+1]),
   * increasing, with their mantissas in weights (same index). */
  | { readonly kind: "sparse"; readonly rowStart: Int32Array; readonly col: Int32Array; readonly weights: Int32Array };

export interface QProjection {
  readonly source: number;
  /** Operand of a matmul compute node this projection feeds (ir/snn.ts Projection.operand). */
  readonly operand?: Operand;
  readonly delay: number;
  readonly conn: QConnectivity;
  /** Right shift (rounded half away, once per target and step) of Σ payload · weight: a compute source's
   * payload fraction bits F (15 for s16.15 payloads), absent = 0. */
  readonly payloadShift?: number;
  readonly posShift: number;
  readonly negShift: number;
  readonly signMode: SignMode;
  /** Loihi weight exponent (reported); null for targets without one. */
  readonly weightExponent: number | null;
  readonly origin: string;
}

export interface QPopulation {
  readonly id: number;
  readonly name: string;
  readonly shape: readonly [number, number, number];
  readonly size: number;
  readonly params: IntPopulationParams;
  readonly inputs: readonly QProjection[];
  readonly depth: number;
  /** Threshold in state units per normalised unit (the scale S: float weight w → w · S state units). */
  readonly scale: number;
  /** Loihi threshold mantissa / bias exponents, for the binary and reports. */
  readonly thresholdMantissa: number;
  readonly biasMantissa: Int32Array;
  readonly biasExponent: Int32Array;
  /** ECMT compute node (absent on neuron populations). */
  readonly compute?: QComputeNode;
}

/** Fields of every input coding. */
interface QInputCommon {
  readonly population: number;
  /** current: pixel → effective bias (state units) = inputBias(pixel, gainScaled, ...) (runtime/input.ts);
   * graded: pixel → payload = gradedPayload(pixel, gainScaled, payloadBits) (pixel · gain · 2^fracBits). */
  readonly gainScaled: number;
  readonly biasMantissaBits: number;
  readonly biasExponentMax: number;
  /** Poisson: per-step spike probability = pixel · gain. */
  readonly gain: number;
  readonly seed: number;
}

/** The input coding in integers: one case per ir/snn.ts InputEncoding. */
export type QInput =
  | (QInputCommon & { readonly encoding: "current" })
  | (QInputCommon & { readonly encoding: "poisson" })
  /** Graded: each step, pixel j's payload P_j = gradedPayload(pixel, gainScaled, payloadBits), an s.fracBits
   * value of pixel · gain (input thresholds), sent when nonzero; every projection out of the input population
   * has payloadShift = fracBits (ir/quantised.ts payload scaling: Σ P · w divided by 2^fracBits, rounded). */
  | (QInputCommon & { readonly encoding: "graded"; readonly fracBits: number; readonly payloadBits: number });

export interface QuantisedSnn {
  readonly name: string;
  readonly method: string;
  readonly target: string;
  readonly populations: readonly QPopulation[];
  readonly input: QInput;
  readonly output: number;
  readonly readoutDepth: number;
  readonly inputShape: Shape;
}
