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
 * Invariants: |mantissa| fits the target's weight bits in its sign mode; every effective weight and bias is
 * an exact integer in state units.
 */
import type { IntPopulationParams } from "../../runtime/neuron.ts";
import type { Shape } from "./ann.ts";
import type { InputEncoding, WindowGeometry } from "./snn.ts";

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
  readonly delay: number;
  readonly conn: QConnectivity;
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
}

export interface QInput {
  readonly population: number;
  readonly encoding: InputEncoding;
  /** pixel → effective bias (state units) = quantiseInputBias(pixel, gainScaled, ...) (runtime/input.ts). */
  readonly gainScaled: number;
  readonly biasMantissaBits: number;
  readonly biasExponentMax: number;
  /** Poisson: per-step spike probability = pixel · gain. */
  readonly gain: number;
  readonly seed: number;
}

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
