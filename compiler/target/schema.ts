/**
 * @fileoverview Target description: the hardware as data. One JSON file per chip in targets/, checked by
 * `validateTarget` (SNNC301 naming the JSON path of the bad field). Passes read these fields; no pass asks for
 * a target's name.
 *
 * Every number is a `Constant`: `{ "value": 1024, "source": "...", "grade": "software" }`. Grades:
 *   silicon      measured on the chip (e.g. SANA-FE's Nahuku calibration, Merolla 2014)
 *   pre-silicon  a paper's simulated figure (Davies 2018 Table 2)
 *   software     a constant in the vendor's or the reference tool's code (nengo-loihi, Lava, SpiNNMachine)
 *   datasheet    a vendor datasheet or brief
 *   estimate     our estimate where no primary source exists (the source field says how it was made)
 * Reports print the grade next to every figure derived from a constant.
 */

export const GRADES = ["silicon", "pre-silicon", "software", "datasheet", "estimate"] as const;
export type Grade = (typeof GRADES)[number];

export interface Constant {
  readonly value: number;
  readonly source: string;
  readonly grade: Grade;
}

/** How the synapse memory of a core is charged. */
export type SynapseCostModel =
  /** Loihi: per axon, groups of synapses each with a header; synapses of `weightBits + delayBits (+ indexBits
   * when sparse)` bits; the total rounded up to `wordBits` words (nengo-loihi's bits_per_axon). */
  | { readonly kind: "loihi-words"; readonly wordBits: Constant; readonly headerBits: Constant; readonly indexBits: Constant; readonly delayBits: Constant; readonly maxGroupSynapses: Constant }
  /** SpiNNaker: one 32-bit word per synapse, rows per (source neuron, core) with `rowHeaderWords` header words;
   * plus a master population table entry of `popTableEntryBytes` per source block. */
  | { readonly kind: "row-words"; readonly synapseWordBytes: Constant; readonly rowHeaderWords: Constant; readonly popTableEntryBytes: Constant };

export type NeuronModelKind =
  /** Loihi CUBA LIF (hardware.md §2): 24-bit u (wraps) and v (saturates), 12-bit decays, vth mantissa << 6,
   * bias mantissa × 2^exp, weights mantissa × 2^(6 + exp), spike when v > vth strictly. */
  | "loihi-cuba"
  /** Integrate-and-fire in signed fixed point (SpiNNaker's s16.15 `accum`): 16-bit weight magnitudes with an
   * excitatory/inhibitory synapse type and a per-type left shift, v += I + bias, spike when v ≥ θ. */
  | "fixed-if";

export interface NeuronSpec {
  readonly model: NeuronModelKind;
  /** State width in bits (u and v for loihi-cuba; v for fixed-if). */
  readonly stateBits: Constant;
  /** Fractional bits of the fixed-point state (fixed-if). */
  readonly fractionBits?: Constant;
  readonly decayBits?: Constant;
  /** Loihi: magnitude bits of one step's synaptic input (the accumulator wraps beyond; docs/input-bound.md). */
  readonly stepInputBits?: Constant;
  readonly thresholdMantissaBits?: Constant;
  /** Threshold = mantissa << thresholdShift (Loihi: 6). */
  readonly thresholdShift?: Constant;
  readonly biasMantissaBits: Constant;
  readonly biasExponentMax?: Constant;
  /** Weight mantissa bits including sign for mixed-sign weights (Loihi: 8 → -256..254 in steps of 2); for
   * fixed-if the magnitude bits (16). */
  readonly weightBits: Constant;
  readonly weightExponentMin?: Constant;
  readonly weightExponentMax?: Constant;
  /** Weights are scaled by 2^(weightShift + exp) into the state (Loihi: 6). */
  readonly weightShift?: Constant;
  /** Largest left shift of a synapse type (fixed-if). */
  readonly maxLeftShift?: Constant;
  /** Reset modes run natively. */
  readonly resetModes: readonly ("zero" | "subtract")[];
  /** A soft-reset construction for targets without native subtraction (NxTF's two compartments). */
  readonly softReset?: {
    readonly construction: "two-compartment";
    readonly compartmentsPerNeuron: Constant;
    readonly extraInAxonsPerNeuron: Constant;
    readonly extraSynapsesPerNeuron: Constant;
    readonly selfWeightMantissaBits: Constant;
    readonly selfWeightExponentMax: Constant;
    readonly source: string;
  };
  readonly gradedSpikes: { readonly supported: boolean; readonly payloadBits?: Constant; readonly source: string };
  readonly maxDelaySteps: Constant;
}

export interface CoreLimits {
  readonly neurons: Constant;
  readonly fanInAxons: Constant;
  readonly fanOutAxons: Constant;
  readonly synapseMemoryBits: Constant;
  readonly synapseCost: SynapseCostModel;
  /** Distinct neuron parameter sets (compartment / threshold profiles) a core holds. */
  readonly neuronProfiles: Constant;
  /** Distinct synapse formats (weight exponent / sign mode) a core holds. */
  readonly synapseFormats: Constant;
}

export type ChipTopology =
  /** 2-D mesh of chips, dimension-order routing between them. */
  | { readonly kind: "mesh2d"; readonly width: number; readonly height: number }
  /** SpiNNaker's triangular torus (links E, NE, N, W, SW, S). */
  | { readonly kind: "hex-torus"; readonly width: number; readonly height: number };

export interface SystemSpec {
  readonly chips: ChipTopology;
  /** Physical cores per chip and how many of them run the network. */
  readonly coresPerChip: Constant;
  readonly usableCoresPerChip: Constant;
  /** Cores inside a chip: a mesh of tiles (`coresPerTile` cores share a router) or a single router. */
  readonly coreLayout:
    | { readonly kind: "mesh2d"; readonly tilesX: number; readonly tilesY: number; readonly coresPerTile: number }
    | { readonly kind: "crossbar" };
}

export type RoutingSpec =
  /** Loihi: each spike goes to its destination cores along dimension-order (X then Y) mesh routes. */
  | { readonly kind: "mesh-dimension-order"; readonly source: string }
  /** SpiNNaker: multicast key/mask routing tables with first-match order, one per chip. */
  | {
    readonly kind: "multicast-keymask";
    readonly entriesPerRouter: Constant;
    readonly keyBits: number;
    /** Cores one route-word bit delivers to (1 on SpiNNaker 1: bit 6 + p = core p; a group of cores on chips
     * with more cores than the 26 bits a 32-bit route word has left). */
    readonly coresPerRouteBit?: number;
    readonly source: string;
  };

export interface TimingSpec {
  readonly synOpSeconds: Constant;
  readonly neuronUpdateActiveSeconds: Constant;
  readonly neuronUpdateIdleSeconds: Constant;
  readonly spikeSendSeconds: Constant;
  readonly hopSecondsX: Constant;
  readonly hopSecondsY: Constant;
  readonly barrierSeconds: Constant;
  /** A real-time tick the chip waits for (SpiNNaker's 1 ms timer); 0 = free running. */
  readonly tickSeconds: Constant;
}

export interface EnergySpec {
  readonly synOpJoules: Constant;
  readonly neuronUpdateActiveJoules: Constant;
  readonly neuronUpdateIdleJoules: Constant;
  readonly spikeJoules: Constant;
  readonly hopJoulesX: Constant;
  readonly hopJoulesY: Constant;
  /** Static power of one chip while the network runs. */
  readonly staticWattsPerChip: Constant;
  /** Extra static power per core in use. */
  readonly staticWattsPerCore: Constant;
  /** Caveats printed in reports (e.g. "pre-silicon minimum"). */
  readonly notes: readonly string[];
}

export interface Target {
  readonly schema: "snnc-target/1";
  readonly name: string;
  readonly title: string;
  /** Binary encoding family, i.e. which backend writes the placement binary. */
  readonly family: "loihi" | "spinnaker";
  readonly system: SystemSpec;
  readonly core: CoreLimits;
  readonly neuron: NeuronSpec;
  readonly routing: RoutingSpec;
  readonly timing: TimingSpec;
  readonly energy: EnergySpec;
  /** Where the file came from (set by the loader). */
  readonly path?: string;
}
