/**
 * @fileoverview SpiNNaker mapping, routing-table compression: bring every chip's table to the router's
 * capacity by merging entries, exploiting first-match order (ordered covering).
 *
 * Input: uncompressed chip tables (tables.ts; entries are orthogonal, i.e. no key matches two entries),
 * the key ranges of ALL source blocks of the network, and the capacity. Output: compressed tables in match
 * order plus entry counts and the work done (entries scanned: a deterministic measure, no clock); SNNC403 when a table cannot be brought to the capacity.
 *
 * Semantics kept (what verify/routes.ts `checkCompression` proves): for every key of every network block
 * the compressed table makes the same decision as the original one: same route, or no match in both. A
 * block that has no entry on this chip (it never passes, or passes by default routing) is a "guard": no
 * merged entry may match its keys. Keys that no block sends are don't-care, so e.g. the padding of a
 * population's key region (keys.ts) can be covered freely. Runs of consecutive guard blocks (in key order)
 * are turned into aligned ternary patterns (keys.ts `guardPatterns`), so the guard list stays short.
 *
 * Algorithm. (1) Pair pass: merge two entries with the same route and mask whose keys differ in one
 * specified bit; the result matches exactly their union, so it is lossless in an orthogonal table and the
 * table stays orthogonal (bits swept low → high, repeated until nothing merges). (2) Ordered covering
 * (Mundy, Heathcote & Garside, HPSR 2016): the table is kept sorted by generality (number of X bits); each
 * step takes, over the groups of entries with equal routes, the merge that removes most entries. A group's
 * merge (X wherever members differ) is inserted below all entries of lower or equal generality and refined:
 * down-check — it must not match the keys ("aliases": the original entries a merged entry stands for) of a
 * lower entry with a different route, nor any guard; for the most constraining covered patterns the X bits
 * that could be fixed are found and the members that prevent fixing the best one (fewest removed, higher bit
 * first) are dropped, repeatedly; up-check — a member must not move below an entry with a different route
 * that matches some of its keys. Both stages stop as soon as the table fits the target (never minimising
 * further than needed unless `toMinimum`; one merge can remove several entries, so the last step may end a
 * few entries below the target). Entries replaceable by default routing never reach this pass: tables.ts
 * omits them where that is provably safe (orthogonal entries), and their keys are guarded here. Ties are
 * broken by table position, so results are deterministic.
 */
import { fail } from "../../diagnostics.ts";
import { guardPatterns, indexKeySpace, lowerBoundHi, spanHi } from "./keys.ts";
import type { KeyBlocks, KeySpaceIndex } from "./keys.ts";
import type { ChipTable } from "./tables.ts";

export interface CompressOptions {
  /** Stop as soon as the table has at most this many entries (the router capacity). */
  readonly target: number;
  /** Merge until no merge is left, ignoring `target` (for benchmarks). */
  readonly toMinimum?: boolean;
  /** Run the lossless pair pass first (default true). */
  readonly pairPass?: boolean;
  /** Budget of ordered covering in work units (entries scanned); default unlimited. Counted, never timed,
   * so a budget cut gives the same tables on every machine. */
  readonly maxWork?: number;
}

export interface CompressResult {
  readonly table: ChipTable;
  readonly before: number;
  readonly after: number;
  readonly pairMerges: number;
  readonly coverMerges: number;
  /** Work units of ordered covering: entries scanned by the merge search. */
  readonly work: number;
}

export interface CompressedTables {
  readonly tables: readonly ChipTable[];
  readonly before: Int32Array;
  readonly after: Int32Array;
  readonly totalBefore: number;
  readonly totalAfter: number;
  readonly maxBefore: number;
  readonly maxAfter: number;
  /** Merges done by the pair pass and by ordered covering, over all chips. */
  readonly pairMerges: number;
  readonly coverMerges: number;
  /** Work units over all chips (CompressResult.work). */
  readonly work: number;
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Do two ternary patterns match a common key? */
function intersects(k1: number, m1: number, k2: number, m2: number): boolean {
  return ((k1 ^ k2) & m1 & m2) === 0;
}

/** Throw unless no key matches two entries (ordered covering and the pair pass assume it). */
function assertOrthogonal(keys: Uint32Array, masks: Uint32Array): void {
  const n = keys.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (keys[a] as number) - (keys[b] as number));
  for (let x = 0; x < n; x++) {
    const i = order[x] as number;
    const h = spanHi(keys[i] as number, masks[i] as number);
    for (let y = x + 1; y < n && (keys[order[y] as number] as number) <= h; y++) {
      const j = order[y] as number;
      if (intersects(keys[i] as number, masks[i] as number, keys[j] as number, masks[j] as number)) {
        throw new Error(`internal: routing table entries ${i} and ${j} overlap; compression needs an orthogonal table`);
      }
    }
  }
}

/** Lossless pair merges (same route and mask, keys differ in one bit); stops at `target`. */
function pairPass(K: Uint32Array, M: Uint32Array, R: Uint32Array, target: number): { n: number; merges: number } {
  let n = K.length;
  const alive = new Uint8Array(n).fill(1);
  let merges = 0;
  let changed = true;
  while (changed && n > target) {
    changed = false;
    for (let b = 0; b < 32 && n > target; b++) {
      const bit = (1 << b) >>> 0;
      const idx: number[] = [];
      for (let i = 0; i < K.length; i++) if (alive[i] && ((M[i] as number) & bit) !== 0) idx.push(i);
      idx.sort((p, q) => (R[p] as number) - (R[q] as number) || (M[p] as number) - (M[q] as number) || (((K[p] as number) & ~bit) >>> 0) - (((K[q] as number) & ~bit) >>> 0) || (K[p] as number) - (K[q] as number));
      for (let x = 0; x + 1 < idx.length && n > target; x++) {
        const p = idx[x] as number;
        const q = idx[x + 1] as number;
        if (R[p] === R[q] && M[p] === M[q] && (((K[p] as number) ^ (K[q] as number)) >>> 0) === bit) {
          M[p] = ((M[p] as number) & ~bit) >>> 0;
          K[p] = ((K[p] as number) & ~bit) >>> 0;
          alive[q] = 0;
          n--;
          merges++;
          changed = true;
          x++;
        }
      }
    }
  }
  let w = 0;
  for (let i = 0; i < K.length; i++) {
    if (!alive[i]) continue;
    K[w] = K[i] as number;
    M[w] = M[i] as number;
    R[w] = R[i] as number;
    w++;
  }
  return { n: w, merges };
}

/** Working table of the ordered-covering pass; A[i] = indices into BK/BM of the entries i stands for. */
interface Oc {
  n: number;
  K: Uint32Array;
  M: Uint32Array;
  R: Uint32Array;
  G: Uint8Array;
  A: Int32Array[];
  readonly BK: Uint32Array;
  readonly BM: Uint32Array;
  readonly gk: Uint32Array;
  readonly gm: Uint32Array;
  readonly gh: Uint32Array;
  readonly mark: Uint8Array;
}

interface Merged { key: number; mask: number; ins: number }

function mergeOf(t: Oc, members: readonly number[]): Merged {
  let anyOnes = 0;
  let allOnes = 0xffffffff;
  let allMask = 0xffffffff;
  for (const i of members) {
    anyOnes |= t.K[i] as number;
    allOnes &= t.K[i] as number;
    allMask &= t.M[i] as number;
  }
  const mask = (allMask & ~(anyOnes ^ allOnes)) >>> 0;
  const gen = 32 - popcount(mask);
  // Insert below every entry of lower or equal generality (G is ascending).
  let a = 0;
  let b = t.n;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if ((t.G[mid] as number) <= gen) a = mid + 1;
    else b = mid;
  }
  return { key: (allOnes & mask) >>> 0, mask, ins: a };
}

/** Down-check: drop members until the merge matches no alias of a lower different-route entry nor a guard. */
function downcheck(t: Oc, members: number[], route: number, minGood: number): number[] {
  while (members.length - 1 > minGood) {
    const { key: mk, mask: mm, ins } = mergeOf(t, members);
    let most = 33;
    let opt0 = 0; // bits where a covered pattern has 0: remove members with 0 or X there
    let opt1 = 0; // ... has 1: remove members with 1 or X there
    const consider = (ck: number, cm: number): void => {
      const settable = (cm & ~mm) >>> 0;
      const c = popcount(settable);
      if (c < most) { most = c; opt0 = 0; opt1 = 0; }
      if (c === most) { opt0 |= settable & ~ck; opt1 |= settable & ck; }
    };
    for (let j = ins; j < t.n && most > 0; j++) {
      if (t.R[j] === route || !intersects(mk, mm, t.K[j] as number, t.M[j] as number)) continue;
      for (const a of t.A[j] as Int32Array) if (intersects(mk, mm, t.BK[a] as number, t.BM[a] as number)) consider(t.BK[a] as number, t.BM[a] as number);
    }
    const hi = spanHi(mk, mm);
    for (let g = lowerBoundHi(t.gh, mk); g < t.gk.length && (t.gk[g] as number) <= hi && most > 0; g++) {
      if (intersects(mk, mm, t.gk[g] as number, t.gm[g] as number)) consider(t.gk[g] as number, t.gm[g] as number);
    }
    if (most === 33) return members;
    if (most === 0) return [];
    let best: number[] | null = null;
    for (let b = 31; b >= 0; b--) {
      const bit = (1 << b) >>> 0;
      for (const val of [0, 1]) {
        if ((((val === 0 ? opt0 : opt1) >>> 0) & bit) === 0) continue;
        const remove: number[] = [];
        for (const i of members) {
          if (((t.M[i] as number) & bit) === 0 || (((t.K[i] as number) & bit) !== 0 ? 1 : 0) === val) remove.push(i);
        }
        if (best === null || remove.length < best.length) best = remove;
      }
    }
    const drop = new Set(best ?? []);
    members = members.filter((i) => !drop.has(i));
  }
  return [];
}

/** Up-check: drop members that would move below a different-route entry matching some of their keys. */
function upcheck(t: Oc, members: number[], route: number, minGood: number): { members: number[]; changed: boolean } {
  let changed = false;
  for (const i of members) t.mark[i] = 1;
  let ins = mergeOf(t, members).ins;
  for (let x = members.length - 1; x >= 0; x--) {
    const i = members[x] as number;
    for (let j = i + 1; j < ins; j++) {
      if (t.mark[j] || t.R[j] === route || !intersects(t.K[i] as number, t.M[i] as number, t.K[j] as number, t.M[j] as number)) continue;
      t.mark[i] = 0;
      members = members.filter((m) => m !== i);
      changed = true;
      ins = members.length > 0 ? mergeOf(t, members).ins : 0;
      break;
    }
    if (members.length - 1 <= minGood) { members = []; break; }
  }
  for (let i = 0; i < t.n; i++) t.mark[i] = 0;
  return { members, changed };
}

/** The best valid merge of the table (most entries removed), or null. */
function bestMerge(t: Oc): number[] | null {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < t.n; i++) {
    const r = t.R[i] as number;
    const g = groups.get(r);
    if (g === undefined) groups.set(r, [i]);
    else g.push(i);
  }
  const cands = [...groups.values()].filter((g) => g.length > 1).sort((a, b) => b.length - a.length || (a[0] as number) - (b[0] as number));
  let best: number[] | null = null;
  let bestGood = 0;
  for (const group of cands) {
    if (group.length - 1 <= bestGood) break;
    const route = t.R[group[0] as number] as number;
    let m = downcheck(t, group, route, bestGood);
    if (m.length - 1 > bestGood) {
      const up = upcheck(t, m, route, bestGood);
      m = up.changed && up.members.length - 1 > bestGood ? downcheck(t, up.members, route, bestGood) : up.members;
    }
    if (m.length - 1 > bestGood) { best = m; bestGood = m.length - 1; }
  }
  return best;
}

function applyMerge(t: Oc, members: number[]): void {
  const { key, mask, ins } = mergeOf(t, members);
  const n = t.n - members.length + 1;
  const K = new Uint32Array(n);
  const M = new Uint32Array(n);
  const R = new Uint32Array(n);
  const G = new Uint8Array(n);
  const A: Int32Array[] = [];
  const route = t.R[members[0] as number] as number;
  for (const i of members) t.mark[i] = 1;
  let aliasCount = 0;
  for (const i of members) aliasCount += (t.A[i] as Int32Array).length;
  const aliases = new Int32Array(aliasCount);
  let w = 0;
  let ai = 0;
  const put = (k: number, m: number, r: number, a: Int32Array): void => {
    K[w] = k; M[w] = m; R[w] = r; G[w] = 32 - popcount(m); A.push(a); w++;
  };
  for (let i = 0; i <= t.n; i++) {
    if (i === ins) put(key, mask, route, aliases);
    if (i === t.n) break;
    if (t.mark[i]) { aliases.set(t.A[i] as Int32Array, ai); ai += (t.A[i] as Int32Array).length; t.mark[i] = 0; }
    else put(t.K[i] as number, t.M[i] as number, t.R[i] as number, t.A[i] as Int32Array);
  }
  t.n = n; t.K = K; t.M = M; t.R = R; t.G = G; t.A = A;
}

/** Compress one chip's (orthogonal) table. `ks` = all network blocks (null: only this table's keys matter). */
export function compressTable(table: ChipTable, ks: KeySpaceIndex | null, opts: CompressOptions): CompressResult {
  const n0 = table.keys.length;
  const maxWork = opts.maxWork ?? Number.POSITIVE_INFINITY;
  let work = 0;
  const target = opts.toMinimum === true ? 0 : Math.max(0, opts.target);
  // An entry whose key has bits outside its mask matches nothing (router rule (k & mask) === key): dropped.
  const live: number[] = [];
  for (let i = 0; i < n0; i++) if ((((table.keys[i] as number) & ~(table.masks[i] as number)) >>> 0) === 0) live.push(i);
  const K = Uint32Array.from(live, (i) => table.keys[i] as number);
  const M = Uint32Array.from(live, (i) => table.masks[i] as number);
  const R = Uint32Array.from(live, (i) => table.routes[i] as number);
  let n = live.length;
  let pairMerges = 0;
  let coverMerges = 0;
  let out: { K: Uint32Array; M: Uint32Array; R: Uint32Array } = { K, M, R };
  if (n > target) {
    assertOrthogonal(K, M);
    const guards = ks === null ? { gk: new Uint32Array(0), gm: new Uint32Array(0), gh: new Uint32Array(0) } : guardPatterns(ks, K, M);
    if (opts.pairPass !== false) ({ n, merges: pairMerges } = pairPass(K, M, R, target));
    if (n > target) {
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => popcount(M[b] as number) - popcount(M[a] as number) || (K[a] as number) - (K[b] as number));
      const t: Oc = {
        n, K: new Uint32Array(n), M: new Uint32Array(n), R: new Uint32Array(n), G: new Uint8Array(n), A: [],
        BK: new Uint32Array(n), BM: new Uint32Array(n), ...guards, mark: new Uint8Array(n + 1),
      };
      order.forEach((i, j) => {
        t.K[j] = t.BK[j] = K[i] as number;
        t.M[j] = t.BM[j] = M[i] as number;
        t.R[j] = R[i] as number;
        t.G[j] = 32 - popcount(M[i] as number);
        t.A.push(Int32Array.of(j));
      });
      while (t.n > target && work < maxWork) {
        work += t.n;
        const m = bestMerge(t);
        if (m === null) break;
        applyMerge(t, m);
        coverMerges++;
      }
      n = t.n;
      out = { K: t.K, M: t.M, R: t.R };
    }
  }
  const result: ChipTable = { chipX: table.chipX, chipY: table.chipY, keys: out.K.slice(0, n), masks: out.M.slice(0, n), routes: out.R.slice(0, n) };
  return { table: result, before: n0, after: n, pairMerges, coverMerges, work };
}

/**
 * Compress every table to `capacity` (or to the minimum); SNNC403 naming the first chip that still does not
 * fit. `blocks` = key/mask of every source block of the network (guards, see header).
 */
export function compressTables(
  tables: readonly ChipTable[],
  blocks: KeyBlocks,
  opts: { readonly capacity: number; readonly toMinimum?: boolean; readonly pairPass?: boolean; readonly maxWork?: number },
): CompressedTables {
  const ks = indexKeySpace(blocks);
  const out: ChipTable[] = [];
  const before = new Int32Array(tables.length);
  const after = new Int32Array(tables.length);
  const o: CompressOptions = { target: opts.capacity, toMinimum: opts.toMinimum === true, pairPass: opts.pairPass !== false, ...(opts.maxWork !== undefined ? { maxWork: opts.maxWork } : {}) };
  let pairMerges = 0;
  let coverMerges = 0;
  let work = 0;
  for (let c = 0; c < tables.length; c++) {
    const r = compressTable(tables[c] as ChipTable, ks, o);
    out.push(r.table);
    pairMerges += r.pairMerges;
    coverMerges += r.coverMerges;
    work += r.work;
    before[c] = r.before;
    after[c] = r.after;
  }
  const overflow = out.filter((t) => t.keys.length > opts.capacity);
  const first = overflow[0];
  if (first !== undefined) {
    const idx = out.indexOf(first);
    throw fail(
      "SNNC403",
      `routing table of chip (${first.chipX},${first.chipY}) needs ${first.keys.length} entries after compression (${before[idx]} before), but the router holds ${opts.capacity}` +
        (overflow.length > 1 ? `; ${overflow.length} chips overflow` : ""),
      { core: `chip (${first.chipX},${first.chipY})` },
      "spread the network over more chips, put fewer cores per chip, or use fewer (larger) source blocks so fewer keys pass through this router",
    );
  }
  let tb = 0, ta = 0, mb = 0, ma = 0;
  for (let c = 0; c < tables.length; c++) {
    tb += before[c] as number; ta += after[c] as number;
    mb = Math.max(mb, before[c] as number); ma = Math.max(ma, after[c] as number);
  }
  return { tables: out, before, after, totalBefore: tb, totalAfter: ta, maxBefore: mb, maxAfter: ma, pairMerges, coverMerges, work };
}
