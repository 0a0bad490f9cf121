/**
 * @fileoverview Verification of SpiNNaker multicast routing: two independent checkers of the mapping stage
 * (they share no code with compress.ts or tables.ts beyond the table types).
 *
 * `checkCompression(original, compressed, allBlocks)`: proves that a chip's compressed table decides every
 * key that the network sends (key | i, i < neurons, for EVERY block, not only those in the table: a merged
 * entry could capture keys that used to be unmatched, e.g. default routed) exactly as the uncompressed one:
 * same route bitmap, or no match in both. Output: the first counter-example (chip, key, expected, got; −1 =
 * no match) or null.
 *
 * `checkRoutes(W, H, tables, routes)`: simulates every route's packets from the source chip through the
 * (compressed) tables: first matching entry, else default routing (leave opposite the arrival link; no
 * match at the source = dropped). Every target (chip, core) must receive the packet exactly once, no other
 * core may, no chip may be reached twice by the same key (loops and duplicate arrivals), no copy may travel
 * more than 2·W·H hops, and no copy may end without delivering (dropped). Output: the first problem or null.
 *
 * Algorithm. Keys are handled as ternary patterns (key, mask of specified bits), never one by one unless
 * forced: the sent keys of a block are a few aligned patterns (binary decomposition of the neuron count).
 * Against a table, the first entry that intersects a pattern decides for all of it when it contains the
 * pattern; when it only partly overlaps, the pattern is split on a bit the entry specifies and both halves
 * are checked (down to single keys at worst), which is exact. A per-table index (entries sorted by span
 * start with a running maximum of span ends; wide entries kept apart) finds the first intersecting entry in
 * about log n steps.
 */
import { fail } from "../diagnostics.ts";
import type { SnncError } from "../diagnostics.ts";
import type { ChipTable, RouteSpec } from "../map/spinnaker/tables.ts";

export interface BlockKeys {
  readonly key: ArrayLike<number>;
  readonly mask: ArrayLike<number>;
  readonly neurons: ArrayLike<number>;
}

export interface CompressionMismatch {
  readonly chip: [number, number];
  readonly key: number;
  /** Route bitmap of the original table, −1 = no match. */
  readonly expected: number;
  readonly got: number;
}

export interface RouteProblem {
  readonly kind: "missing" | "unexpected" | "loop" | "dropped";
  readonly block: number;
  readonly key: number;
  readonly chip: [number, number];
  readonly core?: number;
  readonly message: string;
}

const NO_MATCH = -1;
const WIDE = 2 ** 16;
const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, "0")}`;

/** First-intersecting-entry index of one table. */
class TableIndex {
  private readonly keys: Uint32Array;
  private readonly masks: Uint32Array;
  readonly routes: Uint32Array;
  private readonly narrow: Int32Array; // table indices sorted by span start
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly maxHi: Float64Array;
  private readonly wide: Int32Array; // table indices, table order

  constructor(t: ChipTable) {
    const n = t.keys.length;
    this.keys = new Uint32Array(n);
    this.masks = Uint32Array.from(t.masks);
    this.routes = t.routes;
    for (let i = 0; i < n; i++) this.keys[i] = (t.keys[i] as number) >>> 0;
    const nar: number[] = [];
    const wid: number[] = [];
    for (let i = 0; i < n; i++) {
      // As in the router: an entry matches k when (k & mask) === key, so key bits outside the mask match nothing.
      if ((((this.keys[i] as number) & ~(this.masks[i] as number)) >>> 0) !== 0) continue;
      (((~(this.masks[i] as number)) >>> 0) + 1 > WIDE ? wid : nar).push(i);
    }
    nar.sort((a, b) => (this.keys[a] as number) - (this.keys[b] as number) || a - b);
    this.narrow = Int32Array.from(nar);
    this.wide = Int32Array.from(wid);
    this.lo = new Float64Array(nar.length);
    this.hi = new Float64Array(nar.length);
    this.maxHi = new Float64Array(nar.length);
    let m = -1;
    nar.forEach((i, j) => {
      this.lo[j] = this.keys[i] as number;
      this.hi[j] = ((this.keys[i] as number) | ~(this.masks[i] as number)) >>> 0;
      m = Math.max(m, this.hi[j] as number);
      this.maxHi[j] = m;
    });
  }

  /** Decision for a pattern: route (≥ 0), NO_MATCH, or −2 − b = split the pattern on bit b. */
  decide(pk: number, pm: number): number {
    const plo = (pk & pm) >>> 0;
    const phi = (pk | ~pm) >>> 0;
    let first = -1;
    let a = 0;
    let b = this.lo.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if ((this.lo[mid] as number) <= phi) a = mid + 1;
      else b = mid;
    }
    for (let j = a - 1; j >= 0 && (this.maxHi[j] as number) >= plo; j--) {
      const i = this.narrow[j] as number;
      if ((this.hi[j] as number) >= plo && (first < 0 || i < first) && (((this.keys[i] as number) ^ plo) & (this.masks[i] as number) & pm) === 0) first = i;
    }
    for (let w = 0; w < this.wide.length; w++) {
      const i = this.wide[w] as number;
      if (first >= 0 && i > first) break;
      if ((((this.keys[i] as number) ^ plo) & (this.masks[i] as number) & pm) === 0) { first = i; break; }
    }
    if (first < 0) return NO_MATCH;
    const free = ((this.masks[first] as number) & ~pm) >>> 0;
    if (free === 0) return this.routes[first] as number;
    return -2 - (31 - Math.clz32(free));
  }
}

/**
 * The keys key | i (i < neurons) as ternary patterns, appended to `out` as key, mask pairs: aligned chunks of
 * [key, key + neurons) when the key is aligned to the neuron-index bits, else one pattern per key.
 */
function pushSent(out: number[], key: number, neurons: number): void {
  const n = Math.max(0, Math.floor(neurons));
  const bits = n <= 1 ? 0 : 32 - Math.clz32(n - 1);
  const low = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
  const pats: number[] = [];
  if (((key & low) >>> 0) !== 0) {
    for (let i = 0; i < n; i++) pats.push((key | i) >>> 0, 0xffffffff);
  } else {
    let off = 0;
    for (let b = 32; b >= 0 && off < n; b--) {
      const s = 2 ** b;
      if (off + s > n) continue;
      pats.push((key + off) >>> 0, s === 2 ** 32 ? 0 : (~(s - 1)) >>> 0);
      off += s;
    }
  }
  // Callers pop from the end: push the highest pattern first so keys are examined in ascending order.
  for (let i = pats.length - 2; i >= 0; i -= 2) out.push(pats[i] as number, pats[i + 1] as number);
}

/** Blocks sorted by first sent key, with the span [lo, hi] of their sent keys; cached per `allBlocks`. */
interface BlockIndex {
  readonly order: Int32Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Spans pairwise disjoint (then span search is valid; else every block is checked). */
  readonly disjoint: boolean;
}
const blockIndexCache = new WeakMap<BlockKeys, BlockIndex>();

function blockIndex(blocks: BlockKeys): BlockIndex {
  const cached = blockIndexCache.get(blocks);
  if (cached !== undefined) return cached;
  const n = blocks.key.length;
  const all = Array.from({ length: n }, (_, i) => i).filter((i) => (blocks.neurons[i] as number) >= 1);
  all.sort((a, b) => ((blocks.key[a] as number) >>> 0) - ((blocks.key[b] as number) >>> 0) || a - b);
  const lo = new Float64Array(all.length);
  const hi = new Float64Array(all.length);
  let disjoint = true;
  all.forEach((i, j) => {
    const nn = blocks.neurons[i] as number;
    const bits = nn <= 1 ? 0 : 32 - Math.clz32(Math.min(nn, 2 ** 32) - 1);
    lo[j] = (blocks.key[i] as number) >>> 0;
    hi[j] = ((blocks.key[i] as number) | (bits >= 32 ? 0xffffffff : 2 ** bits - 1)) >>> 0;
    if (j > 0 && (lo[j] as number) <= (hi[j - 1] as number)) disjoint = false;
  });
  const idx = { order: Int32Array.from(all), lo, hi, disjoint };
  blockIndexCache.set(blocks, idx);
  return idx;
}

/** Mark the blocks whose sent-key span overlaps the span of some live entry of `t`. */
function markOverlaps(bi: BlockIndex, t: ChipTable, marks: Uint8Array): void {
  for (let e = 0; e < t.keys.length; e++) {
    const k = (t.keys[e] as number) >>> 0;
    const m = (t.masks[e] as number) >>> 0;
    if (((k & ~m) >>> 0) !== 0) continue; // matches nothing
    const h = (k | ~m) >>> 0;
    let a = 0;
    let b = bi.hi.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if ((bi.hi[mid] as number) < k) a = mid + 1;
      else b = mid;
    }
    for (let j = a; j < bi.lo.length && (bi.lo[j] as number) <= h; j++) marks[j] = 1;
  }
}

/**
 * First key of the network whose decision differs between the two tables of one chip, or null. Blocks whose
 * key span overlaps no entry of either table are "no match" in both and skipped.
 */
export function checkCompression(original: ChipTable, compressed: ChipTable, allBlocks: BlockKeys): CompressionMismatch | null {
  const a = new TableIndex(original);
  const b = new TableIndex(compressed);
  const bi = blockIndex(allBlocks);
  const marks = new Uint8Array(bi.order.length);
  if (bi.disjoint) {
    markOverlaps(bi, original, marks);
    markOverlaps(bi, compressed, marks);
  } else marks.fill(1);
  const stack: number[] = [];
  for (let j = 0; j < marks.length; j++) {
    if (marks[j] === 0) continue;
    const blk = bi.order[j] as number;
    pushSent(stack, (allBlocks.key[blk] as number) >>> 0, allBlocks.neurons[blk] as number);
    while (stack.length > 0) {
      const pm = stack.pop() as number;
      const pk = stack.pop() as number;
      const da = a.decide(pk, pm);
      const db = b.decide(pk, pm);
      if (da <= -2 || db <= -2) {
        const bit = (1 << (-2 - (da <= -2 ? da : db))) >>> 0;
        const m2 = (pm | bit) >>> 0;
        stack.push((pk | bit) >>> 0, m2, (pk & ~bit) >>> 0, m2);
      } else if (da !== db) {
        return { chip: [original.chipX, original.chipY], key: pk >>> 0, expected: da, got: db };
      }
    }
  }
  return null;
}

/** Simulate every route's packets through the tables; the first delivery problem or null. */
export function checkRoutes(W: number, H: number, tables: readonly ChipTable[], routes: readonly RouteSpec[]): RouteProblem | null {
  const index: (TableIndex | undefined)[] = new Array(W * H);
  for (const t of tables) index[t.chipY * W + t.chipX] = new TableIndex(t);
  const stamp = new Int32Array(W * H);
  const delivered = new Uint32Array(W * H);
  let run = 0;
  const maxHops = 2 * W * H;
  const DX = [1, 1, 0, -1, -1, 0];
  const DY = [0, 1, 1, 0, -1, -1];
  for (const r of routes) {
    const want = new Map<number, number>();
    for (const t of r.targets) {
      const c = t.chip[1] * W + t.chip[0];
      want.set(c, (want.get(c) ?? 0) | t.cores.reduce((bm, p) => (bm | (1 << p)) >>> 0, 0));
    }
    const src = r.sourceChip[1] * W + r.sourceChip[0];
    const pats: number[] = [];
    if (r.neurons === undefined) pats.push((r.key & r.mask) >>> 0, r.mask >>> 0);
    else pushSent(pats, r.key >>> 0, r.neurons);
    while (pats.length > 0) {
      const pm = pats.pop() as number;
      const pk = pats.pop() as number;
      const at = (c: number): [number, number] => [c % W, Math.floor(c / W)];
      const problem = (kind: RouteProblem["kind"], c: number, msg: string, core?: number): RouteProblem => {
        const [x, y] = at(c);
        const base = { kind, block: r.block, key: pk, chip: [x, y] as [number, number], message: `block ${r.block} key ${hex(pk)}: ${msg} at chip (${x},${y})${core === undefined ? "" : ` core ${core}`}` };
        return core === undefined ? base : { ...base, core };
      };
      run++;
      const queue: number[] = [src, -1];
      let hops = 0;
      let split = -1;
      for (let q = 0; q < queue.length && split < 0; q += 2) {
        const c = queue[q] as number;
        const inLink = queue[q + 1] as number;
        if (stamp[c] === run) return problem("loop", c, "packet reaches the same chip twice");
        stamp[c] = run;
        delivered[c] = 0;
        const d = index[c]?.decide(pk, pm) ?? NO_MATCH;
        if (d <= -2) { split = -2 - d; break; }
        let out: number;
        let cores: number;
        if (d === NO_MATCH) {
          if (inLink < 0) {
            if (want.size === 0) break;
            return problem("dropped", c, "no entry matches at the source chip, packet dropped");
          }
          out = 1 << ((inLink + 3) % 6);
          cores = 0;
        } else {
          out = d & 63;
          cores = d >>> 6;
        }
        if (out === 0 && cores === 0) return problem("dropped", c, "packet dropped by an entry with an empty route");
        const expect = want.get(c) ?? 0;
        const extra = (cores & ~expect) >>> 0;
        if (extra !== 0) return problem("unexpected", c, "packet delivered to a core that is not a target", 31 - Math.clz32(extra & -extra));
        delivered[c] = cores;
        for (let l = 0; l < 6; l++) {
          if ((out & (1 << l)) === 0) continue;
          if (++hops > maxHops) return problem("loop", c, `packet exceeds ${maxHops} hops`);
          const [x, y] = at(c);
          const nx = (((x + (DX[l] as number)) % W) + W) % W;
          const ny = (((y + (DY[l] as number)) % H) + H) % H;
          queue.push(ny * W + nx, (l + 3) % 6);
        }
      }
      if (split >= 0) {
        const bit = (1 << split) >>> 0;
        const m2 = (pm | bit) >>> 0;
        pats.push((pk | bit) >>> 0, m2, (pk & ~bit) >>> 0, m2);
        continue;
      }
      for (const [c, cores] of want) {
        const got = stamp[c] === run ? (delivered[c] as number) : 0;
        const miss = (cores & ~got) >>> 0;
        if (miss !== 0) return problem("missing", c, "target core never receives the packet", 31 - Math.clz32(miss & -miss));
      }
    }
  }
  return null;
}

/** The SNNC404 diagnostic for a checker finding. */
export function routingCheckError(p: CompressionMismatch | RouteProblem): SnncError {
  const loc = { core: `chip (${p.chip[0]},${p.chip[1]})` };
  if ("expected" in p) {
    const show = (v: number): string => (v < 0 ? "no match" : `route ${hex(v)}`);
    return fail("SNNC404", `compressed routing table decides key ${hex(p.key)} differently: ${show(p.got)} instead of ${show(p.expected)}`, loc, "this is a compiler bug; please report it with the model and the target file");
  }
  return fail("SNNC404", `multicast routing check failed: ${p.message}`, loc, "this is a compiler bug; please report it with the model and the target file");
}
