/**
 * @fileoverview Mapping IRs: PartitionedSnn → PlacedSnn → RoutedSnn.
 *
 * A block is a box [y0, y1) × [x0, x1) × [c0, c1) of one population's neurons (NHWC), the unit that lives on
 * one core; a core holds one or more blocks (small blocks of different populations may share a core). The
 * block's neurons are the core's compartments in box order (y, then x, then c), blocks one after another.
 * Placement gives every core a location: chip (x, y) and, on meshed chips, tile (x, y) and slot in the tile.
 */
import type { QuantisedSnn } from "./quantised.ts";

export interface Box {
  readonly y0: number;
  readonly y1: number;
  readonly x0: number;
  readonly x1: number;
  readonly c0: number;
  readonly c1: number;
}

export function boxSize(b: Box): number {
  return (b.y1 - b.y0) * (b.x1 - b.x0) * (b.c1 - b.c0);
}

export interface Block {
  readonly id: number;
  readonly pop: number;
  readonly box: Box;
  readonly size: number;
}

/** Resources one core uses; each must be ≤ the target's per-core limit. */
export interface CoreResources {
  /** Compartments (neurons × compartments per neuron). */
  readonly neurons: number;
  readonly fanInAxons: number;
  readonly fanOutAxons: number;
  readonly synapseBits: number;
  readonly synapses: number;
  readonly neuronProfiles: number;
  readonly synapseFormats: number;
}

export interface MappedCore {
  readonly id: number;
  readonly blocks: readonly number[];
  readonly resources: CoreResources;
}

export interface PartitionedSnn {
  readonly q: QuantisedSnn;
  readonly blocks: readonly Block[];
  readonly cores: readonly MappedCore[];
  /** Per population: its block ids. */
  readonly popBlocks: readonly (readonly number[])[];
  /** Core of each block. */
  readonly blockCore: Int32Array;
  /** Compartments per neuron of each population (2 with the two-compartment soft reset). */
  readonly compartments: Int32Array;
}

export interface CoreLocation {
  readonly chipX: number;
  readonly chipY: number;
  /** Index of the core on its chip (0 .. usable cores − 1): the processor number on SpiNNaker. */
  readonly index: number;
  /** Global tile coordinates on meshed chips (Loihi): all chips' tiles form one mesh. */
  readonly tileX: number;
  readonly tileY: number;
}

/** The chip grid a network is placed on and how cores sit on a chip (compiler/map/system.ts). */
export interface SystemGrid {
  readonly chipsX: number;
  readonly chipsY: number;
  readonly torus: boolean;
  readonly coresPerChip: number;
  readonly tilesX: number;
  readonly tilesY: number;
  readonly coresPerTile: number;
}

export interface PlacedSnn extends PartitionedSnn {
  readonly grid: SystemGrid;
  readonly placement: readonly CoreLocation[];
  /** Chips in use (distinct chip coordinates). */
  readonly chipsUsed: number;
}

/** Spike traffic between cores: pairs (source core, destination core) with expected spikes per step. */
export interface Traffic {
  readonly src: Int32Array;
  readonly dst: Int32Array;
  readonly spikesPerStep: Float64Array;
  /** Axons (distinct source neurons) carried on the pair. */
  readonly axons: Int32Array;
}

export interface MeshRouting {
  readonly kind: "mesh";
  /** Per traffic pair: tile hops in X and in Y (dimension-order route). */
  readonly hopsX: Int32Array;
  readonly hopsY: Int32Array;
  /** Load per directed mesh link (expected spikes per step), keyed "x,y,dir". */
  readonly linkLoad: ReadonlyMap<string, number>;
}

export interface KeymaskTable {
  readonly chipX: number;
  readonly chipY: number;
  readonly keys: Uint32Array;
  readonly masks: Uint32Array;
  readonly routes: Uint32Array;
}

export interface MulticastRouting {
  readonly kind: "multicast";
  /** Per block: its key and mask (neuron i of the block sends key | i). */
  readonly blockKey: Uint32Array;
  readonly blockMask: Uint32Array;
  /** Per block: link traversals of one spike of the block (tree edges). */
  readonly blockHops: Int32Array;
  readonly tables: readonly KeymaskTable[];
  readonly entriesBefore: number;
  readonly entriesAfter: number;
  readonly maxEntriesBefore: number;
  readonly maxEntriesAfter: number;
  /** Load per directed inter-chip link (expected spikes per step), keyed "x,y,link". */
  readonly linkLoad: ReadonlyMap<string, number>;
}

export interface RoutedSnn extends PlacedSnn {
  readonly traffic: Traffic;
  readonly routing: MeshRouting | MulticastRouting;
}
