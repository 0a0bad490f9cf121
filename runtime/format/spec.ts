/**
 * @fileoverview network.snnb: constants of the placement binary format, shared by the writer (backends) and
 * the reader (runtime). The byte layouts are drawn in docs/binary-format.md; this file is their code form.
 *
 *   header (64 B) | section table (16 B per section) | sections (each 8-byte aligned)
 *
 * All integers are little-endian. Every section carries a CRC-32 in the table; the header carries its own.
 */

export const MAGIC = 0x424e4e53; // "SNNB" read as a little-endian u32
export const VERSION_MAJOR = 1;
export const VERSION_MINOR = 1;
/** Byte offset of the section-table CRC-32 in the header (format 1.1; inside the header CRC's range). */
export const TABLE_CRC_OFFSET = 52;
export const HEADER_BYTES = 64;
export const SECTION_ENTRY_BYTES = 16;

export const FAMILY_LOIHI = 1;
export const FAMILY_SPINNAKER = 2;

/** Four-character section ids as little-endian u32. */
export function fourcc(s: string): number {
  return (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
}

export function fourccName(id: number): string {
  return String.fromCharCode(id & 0xff, (id >>> 8) & 0xff, (id >>> 16) & 0xff, (id >>> 24) & 0xff);
}

export const SECTION = {
  /** System: chip grid, cores used and their locations. */
  SYST: fourcc("SYST"),
  /** Per-core neuron parameters: profiles, per-neuron bias and initial state, blocks. */
  NEUR: fourcc("NEUR"),
  /** Per-core synapse tables (Loihi: axon → synapse groups; SpiNNaker: master population table + rows). */
  SYNS: fourcc("SYNS"),
  /** Routing: Loihi per-core output axon maps; SpiNNaker per-core keys and per-chip key/mask tables. */
  ROUT: fourcc("ROUT"),
  /** Input map: which (core, neuron) takes each pixel, and the encoding. */
  INPM: fourcc("INPM"),
  /** Output map: which (core, neuron) gives each class score, and the readout. */
  OUTM: fourcc("OUTM"),
  /** Timing model (seconds per operation) and energy model (joules per operation), with evidence grades. */
  COST: fourcc("COST"),
  /** Metadata (UTF-8 JSON): snnc version, model hash, method, timesteps, populations. */
  META: fourcc("META"),
  /** ECMT compute nodes on the processor cores and the graded projections into and out of them (optional:
   * present only when the network has compute nodes). */
  CMPT: fourcc("CMPT"),
} as const;

/** Required sections, in file order. */
export const SECTION_ORDER = ["SYST", "NEUR", "SYNS", "ROUT", "INPM", "OUTM", "COST", "META"] as const;

export const GRADE_CODES = ["silicon", "pre-silicon", "software", "datasheet", "estimate"] as const;

/** Order of the timing and energy constants in the COST section. */
export const TIMING_KEYS = ["synOpSeconds", "neuronUpdateActiveSeconds", "neuronUpdateIdleSeconds", "spikeSendSeconds", "hopSecondsX", "hopSecondsY", "barrierSeconds", "tickSeconds"] as const;
export const ENERGY_KEYS = ["synOpJoules", "neuronUpdateActiveJoules", "neuronUpdateIdleJoules", "spikeJoules", "hopJoulesX", "hopJoulesY", "staticWattsPerChip", "staticWattsPerCore"] as const;
/** The optional COST trailer of targets whose graded spikes are packets of their own (SpiNNaker's multicast
 * packets with a payload word): u8 packet bits, u8 payload bits, u16 0, then these f64 constants and their u8
 * grades (docs/binary-format.md 4.5). */
export const GRADED_PACKET_KEYS = ["mtNeuronUpdateSeconds", "packetJoules", "hopJoules"] as const;
export const GRADED_TRAILER_BYTES = 4 + 8 * GRADED_PACKET_KEYS.length + GRADED_PACKET_KEYS.length;

/** Neuron profile record (per core): 24 bytes. */
export const PROFILE_BYTES = 24;
/** Per-neuron record in NEUR: profile u8, bias exponent u8, pad u16, bias mantissa i32, initial v i32. */
export const NEURON_BYTES = 12;
/** Block record in NEUR: pop u16, y0 y1 x0 x1 c0 c1 u16, first neuron u16: 16 bytes. */
export const BLOCK_BYTES = 16;
/** Core record in SYST: chipX chipY index tileX tileY u16, neurons u16, pad u32: 16 bytes. */
export const CORE_BYTES = 16;
/** Loihi synapse group in SYNS: first compartment u16, count u8, format u8: 4 bytes. */
export const GROUP_BYTES = 4;
/** SpiNNaker routing entry in ROUT: key u32, mask u32, route u32: 12 bytes. */
export const ROUTE_ENTRY_BYTES = 12;
/** SpiNNaker master population table entry in SYNS: key u32, mask u32, row offset u32 (words), row words u16,
 * neurons u16: 16 bytes. */
export const POP_TABLE_BYTES = 16;

/** SpiNNaker synaptic word: | weight 16 | delay−1 4 | type 1 | index 11 | (bit 31 … bit 0). */
export const SYN_INDEX_BITS = 11;
export const SYN_TYPE_SHIFT = 11;
export const SYN_DELAY_SHIFT = 12;
export const SYN_WEIGHT_SHIFT = 16;
export const ROW_HEADER_WORDS = 3;

/**
 * Neuron rule codes: the one place where the IR's named neuron model, kind and reset become the numbers the
 * binary stores (profile records, META populations, header). Everything outside this file uses the names.
 */
export const NEURON_MODEL_CODES = { "loihi-cuba": 1, "fixed-if": 2 } as const;
export const NEURON_KIND_CODES = { if: 0, mt: 1, readout: 2, "count-readout": 3, "max-gate": 4, input: 5 } as const;
export const RESET_CODES = { zero: 0, subtract: 1, "two-compartment": 2 } as const;

/** Loihi CUBA LIF (24-bit state, decays) or SpiNNaker's s16.15 integrate-and-fire. */
export type NeuronModelName = keyof typeof NEURON_MODEL_CODES;
/** What a population's neurons do: integrate-and-fire, multi-threshold (graded), readout (no spikes),
 * spike-count readout, spiking max gate, input. */
export type NeuronKind = keyof typeof NEURON_KIND_CODES;
/** After a spike: v ← 0, v ← v − θ, or Loihi 1's two-compartment subtraction (a self-synapse of −θ). */
export type ResetRule = keyof typeof RESET_CODES;

function decoder<K extends string>(table: Readonly<Record<K, number>>): (code: number) => K | null {
  const names = new Map<number, K>();
  for (const k of Object.keys(table) as K[]) names.set(table[k], k);
  return (code) => names.get(code) ?? null;
}

/** Code → name, or null for a code this format does not define (the reader's SNNC504). */
export const decodeNeuronModel = decoder<NeuronModelName>(NEURON_MODEL_CODES);
export const decodeNeuronKind = decoder<NeuronKind>(NEURON_KIND_CODES);
export const decodeReset = decoder<ResetRule>(RESET_CODES);

/** INPM encoding byte. */
export const ENCODING_CODES = { current: 0, poisson: 1, graded: 2 } as const;
/** Loihi synapse format sign byte. */
export const SIGN_CODES = { excitatory: 0, inhibitory: 1, mixed: 2 } as const;

/** Largest values of the SYST and record fields a target's sizes end up in (their bit widths, above). */
export const FIELD_MAX = {
  /** SYST chipsX, chipsY, chipsUsed; core record chipX, chipY: u16. */
  chipCoordinate: 0xffff,
  /** SYST tilesX, tilesY, coresPerTile, coresPerRouteBit: u8. */
  tileCount: 0xff,
  /** SYST coresPerChip; core record index (slot): u16. */
  coreSlot: 0xffff,
  /** Core record neurons; block `first`; Loihi group first compartment: u16. */
  coreNeurons: 0xffff,
  /** Loihi output axon map destination axon: u16. */
  axon: 0xffff,
  /** Neuron profiles per core: the per-neuron profile index is a u8. */
  profiles: 0x100,
  /** Loihi synapse formats per core: the group format index is a u8. */
  synapseFormats: 0x100,
} as const;

/** CMPT (docs/binary-format.md "CMPT"): header bytes, operation codes, node flags, connectivity codes. */
export const CMPT_HEADER_BYTES = 80;
export const CMPT_NODE_BYTES = 48;
export const CMPT_ASSIGNMENT_BYTES = 16;
export const CMPT_PROJECTION_BYTES = 24;
export const CMPT_GEOMETRY_BYTES = 56;
export const COMPUTE_OP_CODES = { gelu: 1, softmax: 2, layerNorm: 3, matmul: 4, sum: 5 } as const;
export type ComputeOpName = keyof typeof COMPUTE_OP_CODES;
export const decodeComputeOp = decoder<ComputeOpName>(COMPUTE_OP_CODES);
export const CMPT_FLAG = { offset: 1, gamma: 2, beta: 4, rightTransposed: 8 } as const;
/** A node's payload shift p (0 … 15: payloads value · 2^(15 − p)) is the flags byte's bits 4–7. */
export const CMPT_PAYLOAD_SHIFT_BIT = 4;
export const GRADED_CONN_CODES = { dense: 1, oneToOne: 2, conv: 3, sparse: 4 } as const;
export type GradedConnName = keyof typeof GRADED_CONN_CODES;
export const decodeGradedConn = decoder<GradedConnName>(GRADED_CONN_CODES);
