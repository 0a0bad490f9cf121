/**
 * @fileoverview The decoded form of network.snnb (output of reader.ts, input of the emulator and of
 * `snnc inspect`). Plain data over typed arrays.
 */
import type { ComputeOpName, ENERGY_KEYS, GRADED_PACKET_KEYS, NeuronKind, NeuronModelName, ResetRule, TIMING_KEYS } from "./spec.ts";

export interface Profile {
  readonly model: NeuronModelName;
  readonly kind: NeuronKind;
  readonly reset: ResetRule;
  readonly stateBits: number;
  readonly compartments: number;
  readonly mtLevels: number;
  readonly mtRelu: number;
  /** Loihi decay resolution D (byte 7 of the profile; 0 in binaries written before it was stored: 12). */
  readonly decayBits: number;
  readonly threshold: number;
  readonly du: number;
  readonly dv: number;
  readonly mtNegThreshold: number;
  readonly mtNegPayload: number;
  /** Fixed-point targets: left shift of excitatory / inhibitory synapses into the state. */
  readonly posShift: number;
  readonly negShift: number;
}

export interface BlockRecord {
  readonly pop: number;
  readonly y0: number;
  readonly y1: number;
  readonly x0: number;
  readonly x1: number;
  readonly c0: number;
  readonly c1: number;
  readonly first: number;
}

export interface CoreNeurons {
  readonly profiles: readonly Profile[];
  readonly blocks: readonly BlockRecord[];
  readonly profile: Uint8Array;
  readonly biasExponent: Uint8Array;
  readonly biasMantissa: Int32Array;
  readonly vInit: Int32Array;
}

export interface LoihiCoreSynapses {
  readonly weightShift: number;
  readonly formatExponent: Int8Array;
  readonly formatSign: Uint8Array;
  readonly formatDelay: Uint8Array;
  readonly axonFirstGroup: Uint32Array;
  readonly axonGroups: Uint16Array;
  readonly groupFirst: Uint16Array;
  readonly groupCount: Uint8Array;
  readonly groupFormat: Uint8Array;
  readonly weights: Int16Array;
}

export interface SpinnakerCoreSynapses {
  readonly key: Uint32Array;
  readonly mask: Uint32Array;
  readonly rowOffset: Uint32Array;
  readonly rowLength: Uint16Array;
  readonly neurons: Uint16Array;
  readonly words: Uint32Array;
}

export interface CoreRecord {
  readonly chipX: number;
  readonly chipY: number;
  readonly index: number;
  readonly tileX: number;
  readonly tileY: number;
  readonly neurons: number;
}

export interface Meta {
  readonly snncVersion: string;
  readonly model: { readonly name: string; readonly sha256: string };
  readonly method: string;
  readonly timesteps: number;
  readonly target: { readonly name: string; readonly title: string; readonly family: string; readonly neuronModel: string };
  readonly inputShape: readonly number[];
  readonly classes: number;
  readonly populations: readonly { readonly name: string; readonly shape: readonly [number, number, number]; readonly depth: number; readonly kind: number; readonly compartments: number }[];
  readonly energyNotes: readonly string[];
}

export interface DecodedBinary {
  readonly header: { readonly family: number; readonly neuronModel: number; readonly targetName: string; readonly version: string; readonly flags: number };
  readonly system: {
    readonly chipsX: number;
    readonly chipsY: number;
    readonly torus: boolean;
    readonly tilesX: number;
    readonly tilesY: number;
    readonly coresPerTile: number;
    readonly coresPerChip: number;
    readonly chipsUsed: number;
    /** Multicast route words: cores per core bit (bit 6 + g delivers to cores g·G … g·G + G − 1). */
    readonly coresPerRouteBit: number;
    /** Loihi: magnitude bits of one step's synaptic input (q wraps to [−2^B, 2^B)); 0 = no limit. */
    readonly stepInputBits: number;
    readonly cores: readonly CoreRecord[];
  };
  readonly cores: readonly CoreNeurons[];
  readonly synapses: { readonly kind: "loihi"; readonly cores: readonly LoihiCoreSynapses[] } | { readonly kind: "spinnaker"; readonly cores: readonly SpinnakerCoreSynapses[] };
  readonly routing:
    | { readonly kind: "loihi"; readonly cores: readonly { readonly offsets: Uint32Array; readonly dstCore: Uint16Array; readonly dstAxon: Uint16Array }[] }
    | {
      readonly kind: "spinnaker";
      readonly coreKeys: readonly { readonly first: Uint16Array; readonly count: Uint16Array; readonly key: Uint32Array; readonly mask: Uint32Array }[];
      readonly tables: readonly { readonly x: number; readonly y: number; readonly keys: Uint32Array; readonly masks: Uint32Array; readonly routes: Uint32Array }[];
    };
  readonly input: {
    readonly encoding: number;
    readonly biasMantissaBits: number;
    readonly biasExponentMax: number;
    /** Graded encoding (2): signed payload width; 0 otherwise. */
    readonly payloadBits: number;
    readonly seed: number;
    readonly gainScaled: number;
    readonly gain: number;
    readonly core: Uint16Array;
    readonly local: Uint16Array;
  };
  readonly output: { readonly kind: number; readonly readoutDepth: number; readonly population: number; readonly core: Uint16Array; readonly local: Uint16Array };
  readonly cost: {
    readonly timing: Record<(typeof TIMING_KEYS)[number], number>;
    readonly energy: Record<(typeof ENERGY_KEYS)[number], number>;
    readonly timingGrades: readonly number[];
    readonly energyGrades: readonly number[];
    /** The optional graded-packet trailer (SpiNNaker's payload packets; null: graded spikes, where the target
     * has them, cost what binary spikes cost). */
    readonly graded: ({ readonly packetBits: number; readonly payloadBits: number; readonly grades: readonly number[] } & Record<(typeof GRADED_PACKET_KEYS)[number], number>) | null;
  };
  readonly meta: Meta;
  /** CMPT: ECMT compute nodes and their graded projections (null: the network has none). */
  readonly compute: DecodedCompute | null;
}

/** One processor's share of a compute node: its chip, its index among the chip's processors, its work units. */
export interface ComputeAssignmentRecord {
  readonly chipX: number;
  readonly chipY: number;
  readonly index: number;
  readonly unitStart: number;
  readonly unitEnd: number;
}

/** An ECMT compute node as stored in CMPT (runtime/compute.ts fixed point). */
export interface DecodedComputeNode {
  readonly pop: number;
  readonly op: ComputeOpName;
  readonly size: number;
  /** softmax: group size; layerNorm: features (0 otherwise). */
  readonly group: number;
  /** layerNorm epsilon in s.30. */
  readonly epsilon: number;
  readonly matmul: { readonly heads: number; readonly rows: number; readonly inner: number; readonly cols: number; readonly rightTransposed: boolean } | null;
  readonly lut: Int32Array;
  readonly offset: Int32Array | null;
  readonly gamma: Int32Array | null;
  readonly beta: Int32Array | null;
  readonly slices: number;
  readonly units: number;
  readonly assignments: readonly ComputeAssignmentRecord[];
  /** Payloads value · 2^(15 − payloadShift), saturated to signed payloadBits (runtime/compute.ts PayloadFormat). */
  readonly payloadShift: number;
  readonly payloadBits: number;
}

/** A projection into or out of a compute node: graded packets, weights as stored (mantissa, shifts). */
export interface DecodedGradedProjection {
  readonly src: number;
  readonly dst: number;
  readonly right: boolean;
  readonly payloadShift: number;
  readonly posShift: number;
  readonly negShift: number;
  readonly delay: number;
  readonly conn: "dense" | "oneToOne" | "conv" | "sparse";
  /** Link hops of one packet (the router's figure, for the traffic counters). */
  readonly hops: number;
  readonly srcSize: number;
  readonly dstSize: number;
  readonly geometry: {
    readonly inH: number; readonly inW: number; readonly inC: number; readonly outH: number; readonly outW: number; readonly outC: number;
    readonly kh: number; readonly kw: number; readonly sh: number; readonly sw: number; readonly dh: number; readonly dw: number; readonly padTop: number; readonly padLeft: number;
  } | null;
  readonly rowStart: Uint32Array | null;
  readonly col: Uint32Array | null;
  readonly weights: Int32Array;
}

export interface DecodedCompute {
  readonly processor: {
    readonly perChip: number;
    readonly dataMemoryBytes: number;
    readonly clockHz: number;
    readonly stepBudgetSeconds: number;
    readonly cyclesPerMac: number;
    readonly cyclesPerAdd: number;
    readonly cyclesPerLookup: number;
    readonly cyclesPerDivide: number;
    readonly joulesPerCycle: number;
  };
  readonly fracBits: number;
  readonly expFrac: number;
  readonly rsqrtFrac: number;
  readonly nodes: readonly DecodedComputeNode[];
  /** Multi-threshold positive payload scale per population (absent: 1). */
  readonly payloadScales: readonly { readonly pop: number; readonly scale: number }[];
  readonly projections: readonly DecodedGradedProjection[];
}
