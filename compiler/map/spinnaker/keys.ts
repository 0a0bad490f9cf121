/**
 * @fileoverview SpiNNaker mapping, key allocation: one aligned 32-bit multicast key range per source block.
 *
 * Input: source blocks `{ id, neurons, group? }` (a block = the neurons one core sends; `group` = its
 * population). Output, indexed like the input: `key`, `mask` and `bits` per block. Neuron i of a block sends
 * `key | i`; the low `bits` bits address the neuron (2^bits ≥ neurons) and `mask` covers the other bits.
 *
 * Invariants: keys are unsigned 32-bit (`>>> 0`), aligned (`key & ~mask === 0`), the ranges
 * [key, key + 2^bits) are pairwise disjoint, and the result depends only on the input (ids break ties).
 *
 * Algorithm (two-level buddy packing). Blocks of one group are laid out in one group region: sorted by
 * size (2^bits) descending, then id, and packed one after another, which keeps every block aligned because
 * sizes only shrink. The region is rounded up to a power of two. Regions are then packed the same way
 * (largest first, then smallest group key), so each region is aligned to its own size. Hence the blocks of
 * a population are adjacent and the whole population is covered by one key/mask (the region); keys in the
 * padding are never sent, so a compressor may cover them freely, and a population whose blocks share a
 * route compresses to a single entry. Blocks without a group form a group of their own. Space used is at
 * most twice the sum of the block sizes per group; if it exceeds 2^32 keys: SNNC403.
 *
 * Also here: the key-space index of all blocks (sorted aligned ranges) and, per routing table, the "guard"
 * patterns = keys of blocks that the table does not route, which compression must never capture.
 */
import { fail } from "../../diagnostics.ts";

export interface SourceBlock {
  readonly id: number;
  readonly neurons: number;
  /** Population (or any set of blocks that should get adjacent keys). */
  readonly group?: number;
}

export interface KeyAllocation {
  /** Per input block (input order): base key, mask, neuron-index bits and neuron count. */
  readonly key: Uint32Array;
  readonly mask: Uint32Array;
  readonly bits: Uint8Array;
  readonly neurons: Uint32Array;
  /** Keys used (end of the last region). */
  readonly spaceUsed: number;
}

const KEY_SPACE = 2 ** 32;

/** Neuron-index bits for a block of n neurons: smallest b with 2^b ≥ n (0 for n ≤ 1). */
export function indexBits(n: number): number {
  return n <= 1 ? 0 : 32 - Math.clz32(n - 1);
}

/** Mask whose low `bits` bits are clear. */
export function maskForBits(bits: number): number {
  return bits >= 32 ? 0 : (~((2 ** bits - 1) >>> 0)) >>> 0;
}

export function allocateKeys(blocks: readonly SourceBlock[]): KeyAllocation {
  const n = blocks.length;
  const bits = new Uint8Array(n);
  const neurons = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const b = blocks[i] as SourceBlock;
    if (!Number.isInteger(b.neurons) || b.neurons < 0 || b.neurons >= KEY_SPACE) {
      throw fail("SNNC403", `block ${b.id} has ${b.neurons} neurons, which no 32-bit key range can address`, { core: `block ${b.id}` });
    }
    bits[i] = indexBits(b.neurons);
    neurons[i] = b.neurons;
  }

  // Group the blocks; a block without a group is its own group (ordered after all real groups by id).
  const groupOf = new Map<string, number[]>();
  const order = Array.from({ length: n }, (_, i) => i);
  for (const i of order) {
    const b = blocks[i] as SourceBlock;
    const g = b.group === undefined ? `b${b.id}:${i}` : `g${b.group}`;
    let list = groupOf.get(g);
    if (list === undefined) groupOf.set(g, (list = []));
    list.push(i);
  }
  const bySize = (p: number, q: number): number => {
    const bp = blocks[p] as SourceBlock;
    const bq = blocks[q] as SourceBlock;
    return (bits[q] as number) - (bits[p] as number) || bp.id - bq.id || p - q;
  };
  interface Region { members: number[]; size: number; rank: number; sortKey: number }
  const regions: Region[] = [];
  for (const members of groupOf.values()) {
    members.sort(bySize);
    let size = 0;
    for (const i of members) size += 2 ** (bits[i] as number);
    const first = blocks[members[0] as number] as SourceBlock;
    const rounded = 2 ** indexBits(size);
    regions.push({ members, size: rounded, rank: first.group === undefined ? 1 : 0, sortKey: first.group ?? first.id });
  }
  regions.sort((a, b) => b.size - a.size || a.rank - b.rank || a.sortKey - b.sortKey || (a.members[0] as number) - (b.members[0] as number));

  const key = new Uint32Array(n);
  const mask = new Uint32Array(n);
  let cursor = 0;
  for (const r of regions) {
    if (cursor + r.size > KEY_SPACE) {
      throw fail("SNNC403", `multicast key space exhausted: ${n} blocks need more than 2^32 keys`, {}, "use fewer or smaller source blocks");
    }
    let at = cursor;
    for (const i of r.members) {
      key[i] = at >>> 0;
      mask[i] = maskForBits(bits[i] as number);
      at += 2 ** (bits[i] as number);
    }
    cursor += r.size;
  }
  return { key, mask, bits, neurons, spaceUsed: cursor };
}

// ---- Key-space index (used by compress.ts) ----

export interface KeyBlocks {
  readonly key: ArrayLike<number>;
  readonly mask: ArrayLike<number>;
}

/** All network blocks, sorted by key: aligned ranges [lo, hi] (prefix masks, disjoint). */
export interface KeySpaceIndex {
  readonly lo: Uint32Array;
  readonly hi: Uint32Array;
  readonly mask: Uint32Array;
}

/** Highest key a ternary pattern matches. */
export const spanHi = (k: number, m: number): number => (k | ~m) >>> 0;

const intersects = (k1: number, m1: number, k2: number, m2: number): boolean => ((k1 ^ k2) & m1 & m2) === 0;

/** First index i with hi[i] ≥ v (hi ascending). */
export function lowerBoundHi(hi: Uint32Array, v: number): number {
  let a = 0;
  let b = hi.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if ((hi[mid] as number) < v) a = mid + 1;
    else b = mid;
  }
  return a;
}

/** Sort the network's block ranges by key; they must be aligned prefix ranges and pairwise disjoint. */
export function indexKeySpace(blocks: KeyBlocks): KeySpaceIndex {
  const n = blocks.key.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ((blocks.key[a] as number) >>> 0) - ((blocks.key[b] as number) >>> 0));
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  const mask = new Uint32Array(n);
  for (let j = 0; j < n; j++) {
    const i = order[j] as number;
    const m = (blocks.mask[i] as number) >>> 0;
    const inv = ~m >>> 0;
    if ((inv & (inv + 1)) !== 0) throw new Error(`internal: block mask 0x${m.toString(16)} is not a prefix mask`);
    mask[j] = m;
    lo[j] = ((blocks.key[i] as number) & m) >>> 0;
    hi[j] = spanHi(lo[j] as number, m);
    if (j > 0 && (lo[j] as number) <= (hi[j - 1] as number)) throw new Error(`internal: block key ranges overlap at key 0x${(lo[j] as number).toString(16)}`);
  }
  return { lo, hi, mask };
}

/**
 * Guard patterns of one table: the keys of blocks that no entry of the table contains, as aligned ternary
 * patterns (runs of consecutive such blocks, in key order, decomposed range → prefixes; the unsent padding
 * inside a run is included, outside a run it is not). Sorted and disjoint, with their span ends `gh`.
 */
export function guardPatterns(ks: KeySpaceIndex, keys: Uint32Array, masks: Uint32Array): { gk: Uint32Array; gm: Uint32Array; gh: Uint32Array } {
  const n = ks.lo.length;
  const present = new Uint8Array(n);
  for (let e = 0; e < keys.length; e++) {
    const k = keys[e] as number;
    const m = masks[e] as number;
    const h = spanHi(k, m);
    for (let b = lowerBoundHi(ks.hi, k); b < n && (ks.lo[b] as number) <= h; b++) {
      // The entry contains the block when it specifies no bit the block leaves free and they intersect.
      if ((m & ~(ks.mask[b] as number)) === 0 && intersects(k, m, ks.lo[b] as number, ks.mask[b] as number)) present[b] = 1;
    }
  }
  const gk: number[] = [];
  const gm: number[] = [];
  for (let b = 0; b < n; ) {
    if (present[b]) { b++; continue; }
    let e = b;
    while (e + 1 < n && !present[e + 1]) e++;
    // Decompose [lo_b, hi_e] into aligned power-of-two chunks.
    let a = ks.lo[b] as number;
    const z = ks.hi[e] as number;
    while (a <= z) {
      let size = a === 0 ? 2 ** 32 : 2 ** Math.min(32, 31 - Math.clz32(a & -a));
      while (a + size - 1 > z) size /= 2;
      gk.push(a);
      gm.push(size === 2 ** 32 ? 0 : (~(size - 1)) >>> 0);
      a += size;
    }
    b = e + 1;
  }
  const K = Uint32Array.from(gk);
  const M = Uint32Array.from(gm);
  const Hh = new Uint32Array(K.length);
  for (let i = 0; i < K.length; i++) Hh[i] = spanHi(K[i] as number, M[i] as number);
  return { gk: K, gm: M, gh: Hh };
}
