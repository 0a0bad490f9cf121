/**
 * @fileoverview Target description: the hardware as data. One JSON file per chip in targets/. This file is the
 * target's single schema: each declaration below gives both the TypeScript type passes read (`Target`, ...)
 * and its validator (schema-kit.ts), so type and check cannot drift apart. validate.ts adds the cross-field
 * rules and the placement binary's field widths. No pass asks for a target's name.
 *
 * Every number is a `Constant`: `{ "value": 1024, "source": "...", "grade": "software" }`. Grades:
 *   silicon      measured on the chip (e.g. SANA-FE's Nahuku calibration, Merolla 2014)
 *   pre-silicon  a paper's simulated figure (Davies 2018 Table 2)
 *   software     a constant in the vendor's or the reference tool's code (nengo-loihi, Lava, SpiNNMachine)
 *   datasheet    a vendor datasheet or brief
 *   estimate     our estimate where no primary source exists (the source field says how it was made)
 * Reports print the grade next to every figure derived from a constant.
 */
import { arrayOf, bool, byKind, type Infer, num, type NumberOptions, object, oneOf, optional, type Schema, str } from "./schema-kit.ts";

export const GRADES = ["silicon", "pre-silicon", "software", "datasheet", "estimate"] as const;
export type Grade = (typeof GRADES)[number];

const constant = (opts: NumberOptions = {}) => object({ value: num(opts), source: str, grade: oneOf(GRADES) });
const constantSchema = constant();
export type Constant = Infer<typeof constantSchema>;

const pos = { min: 0 };
const count = { int: true, min: 1 };
const natural = { int: true, min: 0 };

/** How the synapse memory of a core is charged. */
const synapseCostSchema = byKind({
  /** Loihi: per axon, groups of synapses each with a header; synapses of `weightBits + delayBits (+ indexBits
   * when sparse)` bits; the total rounded up to `wordBits` words (nengo-loihi's bits_per_axon). */
  "loihi-words": { wordBits: constant(count), headerBits: constant(natural), indexBits: constant(natural), delayBits: constant(natural), maxGroupSynapses: constant(count) },
  /** SpiNNaker: one 32-bit word per synapse, rows per (source neuron, core) with `rowHeaderWords` header words;
   * plus a master population table entry of `popTableEntryBytes` per source block. */
  "row-words": { synapseWordBytes: constant(count), rowHeaderWords: constant(natural), popTableEntryBytes: constant(natural) },
});
export type SynapseCostModel = Infer<typeof synapseCostSchema>;

/**
 * Neuron models:
 *   loihi-cuba  Loihi CUBA LIF (hardware.md §2): 24-bit u (wraps) and v (saturates), 12-bit decays, vth
 *               mantissa << 6, bias mantissa × 2^exp, weights mantissa × 2^(6 + exp), spike when v > vth strictly.
 *   fixed-if    integrate-and-fire in signed fixed point (SpiNNaker's s16.15 `accum`): 16-bit weight magnitudes
 *               with an excitatory/inhibitory synapse type and a per-type left shift, v += I + bias, spike
 *               when v ≥ θ.
 */
const NEURON_MODELS = ["loihi-cuba", "fixed-if"] as const;
export type NeuronModelKind = (typeof NEURON_MODELS)[number];

const neuronSchema = object({
  model: oneOf(NEURON_MODELS),
  /** State width in bits (u and v for loihi-cuba; v for fixed-if). */
  stateBits: constant({ int: true, min: 8, max: 32 }),
  /** Fractional bits of the fixed-point state (fixed-if). */
  fractionBits: optional(constant({ int: true, min: 0, max: 30 })),
  decayBits: optional(constant({ int: true, min: 1, max: 16 })),
  /** Loihi: magnitude bits of one step's synaptic input (the accumulator wraps beyond; docs/input-bound.md). */
  stepInputBits: optional(constant({ int: true, min: 8, max: 31 })),
  thresholdMantissaBits: optional(constant({ int: true, min: 1, max: 31 })),
  /** Threshold = mantissa << thresholdShift (Loihi: 6). */
  thresholdShift: optional(constant({ int: true, min: 0, max: 16 })),
  biasMantissaBits: constant({ int: true, min: 2, max: 32 }),
  biasExponentMax: optional(constant({ int: true, min: 0, max: 15 })),
  /** Weight mantissa bits including sign for mixed-sign weights (Loihi: 8 → -256..254 in steps of 2); for
   * fixed-if the magnitude bits (16). */
  weightBits: constant({ int: true, min: 1, max: 16 }),
  weightExponentMin: optional(constant({ int: true, min: -16, max: 0 })),
  weightExponentMax: optional(constant({ int: true, min: 0, max: 16 })),
  /** Weights are scaled by 2^(weightShift + exp) into the state (Loihi: 6). */
  weightShift: optional(constant({ int: true, min: 0, max: 16 })),
  /** Largest left shift of a synapse type (fixed-if). */
  maxLeftShift: optional(constant({ int: true, min: 0, max: 16 })),
  /** Reset modes run natively. */
  resetModes: arrayOf(oneOf(["zero", "subtract"]), 1),
  /** A soft-reset construction for targets without native subtraction (NxTF's two compartments). */
  softReset: optional(object({
    construction: oneOf(["two-compartment"]),
    // The construction is a dendrite and a soma compartment: exactly 2 (compiler/map/resources.ts).
    compartmentsPerNeuron: constant({ int: true, min: 2, max: 2 }),
    extraInAxonsPerNeuron: constant(natural),
    extraSynapsesPerNeuron: constant(natural),
    selfWeightMantissaBits: constant(count),
    selfWeightExponentMax: constant(natural),
    source: str,
  })),
  gradedSpikes: object({
    supported: bool,
    /** Signed payload width of one graded spike (Loihi 2: message bits; SpiNNaker: the packet's payload word). */
    payloadBits: optional(constant({ int: true, min: 1, max: 32 })),
    /** A graded spike is a packet kind of its own, costlier than a binary spike (SpiNNaker: a multicast packet
     * with a 32-bit payload word, 72 bits against 40): its size, its energy at the source router and per router
     * traversed. Absent: graded spikes cost what binary spikes cost (Loihi 2). */
    packet: optional(object({ bits: constant(count), joules: constant(pos), hopJoules: constant(pos) })),
    /** Seconds of one multi-threshold neuron update where neurons are software (SpiNNaker: a longer routine
     * than the IF update). Absent: the IF update's time. */
    mtNeuronUpdateSeconds: optional(constant(pos)),
    source: str,
  }),
  maxDelaySteps: constant(count),
});
export type NeuronSpec = Infer<typeof neuronSchema>;

const coreSchema = object({
  neurons: constant(count),
  fanInAxons: constant(count),
  fanOutAxons: constant(count),
  synapseMemoryBits: constant(count),
  synapseCost: synapseCostSchema,
  /** Distinct neuron parameter sets (compartment / threshold profiles) a core holds. */
  neuronProfiles: constant(count),
  /** Distinct synapse formats (weight exponent / sign mode) a core holds. */
  synapseFormats: constant(count),
});
export type CoreLimits = Infer<typeof coreSchema>;

const chipsSchema = byKind({
  /** 2-D mesh of chips, dimension-order routing between them. */
  mesh2d: { width: num(count), height: num(count) },
  /** SpiNNaker's triangular torus (links E, NE, N, W, SW, S). */
  "hex-torus": { width: num(count), height: num(count) },
});
export type ChipTopology = Infer<typeof chipsSchema>;

const systemSchema = object({
  chips: chipsSchema,
  /** Physical cores per chip and how many of them run the network. */
  coresPerChip: constant(count),
  usableCoresPerChip: constant(count),
  /** Cores inside a chip: a mesh of tiles (`coresPerTile` cores share a router) or a single router. */
  coreLayout: byKind({
    mesh2d: { tilesX: num(count), tilesY: num(count), coresPerTile: num(count) },
    crossbar: {},
  }),
});
export type SystemSpec = Infer<typeof systemSchema>;

const routingSchema = byKind({
  /** Loihi: each spike goes to its destination cores along dimension-order (X then Y) mesh routes. */
  "mesh-dimension-order": { source: str },
  /** SpiNNaker: multicast key/mask routing tables with first-match order, one per chip. */
  "multicast-keymask": {
    entriesPerRouter: constant(count),
    keyBits: num({ int: true, min: 32, max: 32 }),
    /** Cores one route-word bit delivers to (1 on SpiNNaker 1: bit 6 + p = core p; a group of cores on chips
     * with more cores than the 26 bits a 32-bit route word has left). */
    coresPerRouteBit: optional(num({ int: true, min: 1, max: 64 })),
    source: str,
  },
});
export type RoutingSpec = Infer<typeof routingSchema>;

const timingSchema = object({
  synOpSeconds: constant(pos),
  neuronUpdateActiveSeconds: constant(pos),
  neuronUpdateIdleSeconds: constant(pos),
  spikeSendSeconds: constant(pos),
  hopSecondsX: constant(pos),
  hopSecondsY: constant(pos),
  barrierSeconds: constant(pos),
  /** A real-time tick the chip waits for (SpiNNaker's 1 ms timer); 0 = free running. */
  tickSeconds: constant(pos),
});
export type TimingSpec = Infer<typeof timingSchema>;

const energySchema = object({
  synOpJoules: constant(pos),
  neuronUpdateActiveJoules: constant(pos),
  neuronUpdateIdleJoules: constant(pos),
  spikeJoules: constant(pos),
  hopJoulesX: constant(pos),
  hopJoulesY: constant(pos),
  /** Static power of one chip while the network runs. */
  staticWattsPerChip: constant(pos),
  /** Extra static power per core in use. */
  staticWattsPerCore: constant(pos),
  /** Caveats printed in reports (e.g. "pre-silicon minimum"). */
  notes: arrayOf(str),
});
export type EnergySpec = Infer<typeof energySchema>;

/**
 * The chip's general-purpose processor cores, which run ECMT compute nodes (layer norm, softmax, GELU, products
 * of two spiking tensors: ir/snn.ts `compute`). Costs are in cycles per elementary operation of the
 * fixed-point kernels (runtime/compute.ts counts them) and joules per cycle; a compute node's per-step work
 * must fit `stepBudgetSeconds × clockHz` cycles and its state `dataMemoryBytes`.
 */
const processorsSchema = object({
  /** The processor's name, for reports (Lakemont x86, ARM968, Cortex-M4F). */
  kind: str,
  /** Processor cores per chip usable for compute nodes. */
  perChip: constant(natural),
  /** The processors are the neuron cores themselves (SpiNNaker): compute nodes take cores from that pool. */
  sharedWithNeuronCores: bool,
  clockHz: constant(pos),
  /** Data memory per processor core for compute-node state and lookup tables. */
  dataMemoryBytes: constant(natural),
  /** Wall time one timestep may take on a processor (the chip's tick where it has one). */
  stepBudgetSeconds: constant(pos),
  /** Cycles of one multiply-accumulate with an operand load, one add/compare/shift with a load, one lookup-table
   * read, one integer division. */
  cyclesPerMac: constant(pos),
  cyclesPerAdd: constant(pos),
  cyclesPerLookup: constant(pos),
  cyclesPerDivide: constant(pos),
  joulesPerCycle: constant(pos),
  notes: arrayOf(str),
});
export type ProcessorSpec = Infer<typeof processorsSchema>;

/** The whole target file. */
export const targetSchema = object({
  schema: oneOf(["snnc-target/1"]),
  name: str,
  title: str,
  /** Binary encoding family, i.e. which backend writes the placement binary. */
  family: oneOf(["loihi", "spinnaker"]),
  system: systemSchema,
  core: coreSchema,
  neuron: neuronSchema,
  routing: routingSchema,
  timing: timingSchema,
  energy: energySchema,
  /** Absent: the target has no processor model and cannot run compute nodes. */
  processors: optional(processorsSchema),
});

export type Target = Infer<typeof targetSchema> & {
  /** Where the file came from (set by the loader). */
  readonly path?: string;
};

/** For callers that want the validator of one part (tests). */
export type { Schema };
