/**
 * @fileoverview SpiNNaker mapping, routing: multicast trees and uncompressed per-chip routing tables.
 *
 * Input: torus size W × H and one route per source block: its key/mask, source chip and target chips with
 * the local cores (processor numbers) to deliver to there. Output: one tree per route and one table per chip
 * (`tables[y * W + x]`, keys/masks/routes as Uint32Arrays), plus entry and hop statistics.
 *
 * Tree. The union of the shortest paths (geometry.ts, longest leg first) from the source to each target
 * chip, targets taken by distance descending then chip index. A path is walked from the source; a chip
 * already in the tree is entered without adding an edge (its first parent stays), a new chip gets the
 * current chip as parent. So every chip has one parent, the result is a tree, every tree chip's depth is
 * its hex distance from the source, and hops = tree chips − 1 (each edge is one link traversal).
 * Node order is creation order, so a parent always precedes its children.
 *
 * Table entry per tree chip: (key, mask, route) with route bits 0–5 = outgoing links, bit 6 + p = core p.
 * `inLink` is the link on which the packet arrives at that chip (the parent's out link + 3 mod 6; −1 at the
 * source). An entry is omitted when the router's default routing does the same thing: the packet arrived on
 * L, leaves only on (L + 3) % 6 and no local core receives it. That is provably safe here because
 * uncompressed entries never overlap (block key ranges are disjoint): no other entry can capture the key.
 * Entries with an empty route are not emitted. Per chip, entries are sorted by key (deterministic; any
 * order is correct for first-match since they are disjoint).
 */
import { chipIndex, hexDistance, neighbour, shortestPath } from "./geometry.ts";
import type { Chip } from "./geometry.ts";

/** Highest local processor number a route bitmap can address (bits 6..31). SpiNNaker 1 uses 0..17. */
export const MAX_CORE = 25;

export interface RouteTarget {
  readonly chip: Chip;
  readonly cores: readonly number[];
}

export interface RouteSpec {
  readonly block: number;
  readonly key: number;
  readonly mask: number;
  readonly sourceChip: Chip;
  readonly targets: readonly RouteTarget[];
  /** Neurons of the block (keys key | i, i < neurons, are sent). Checkers use it; default: the whole mask range. */
  readonly neurons?: number;
}

/** One router's table, entries in match order (first match wins). Same shape as `KeymaskTable` of the IR. */
export interface ChipTable {
  readonly chipX: number;
  readonly chipY: number;
  readonly keys: Uint32Array;
  readonly masks: Uint32Array;
  readonly routes: Uint32Array;
}

/** Multicast tree of one route; node 0 is the source chip, parents precede children. */
export interface RoutingTree {
  readonly block: number;
  /** Chip index y * W + x per node. */
  readonly chip: Int32Array;
  /** Link the packet arrives on at the node (−1 at the source). */
  readonly inLink: Int8Array;
  /** Bitmap of outgoing links (bit k = link k). */
  readonly outLinks: Uint8Array;
  /** Bitmap of local cores that receive the packet (bit p = core p). */
  readonly cores: Uint32Array;
  /** Link traversals of one packet (= tree edges = nodes − 1). */
  readonly hops: number;
}

export interface RoutingTables {
  readonly width: number;
  readonly height: number;
  /** One table per chip, `tables[y * W + x]` (empty tables included). */
  readonly tables: readonly ChipTable[];
  /** Per input route, same order. */
  readonly trees: readonly RoutingTree[];
  readonly totalEntries: number;
  readonly maxEntries: number;
  /** Entries left out because default routing does the same. */
  readonly defaultRouted: number;
}

/** Entry route bits of a tree node. */
export function routeBits(outLinks: number, cores: number): number {
  return (outLinks | (cores << 6)) >>> 0;
}

/** True when default routing (leave opposite the arrival link, no local delivery) does what the entry does. */
export function isDefaultable(inLink: number, outLinks: number, cores: number): boolean {
  return inLink >= 0 && cores === 0 && outLinks === 1 << ((inLink + 3) % 6);
}

function checkChip(c: Chip, W: number, H: number, what: string): void {
  if (!Number.isInteger(c[0]) || !Number.isInteger(c[1]) || c[0] < 0 || c[1] < 0 || c[0] >= W || c[1] >= H) {
    throw new Error(`internal: ${what} chip (${c[0]},${c[1]}) outside the ${W}×${H} machine`);
  }
}

/** Build the multicast tree of one route. `stamp`/`nodeAt` are W*H scratch arrays reused across routes. */
function buildTree(W: number, H: number, r: RouteSpec, stamp: Int32Array, nodeAt: Int32Array, id: number): RoutingTree {
  checkChip(r.sourceChip, W, H, "source");
  // Merge targets per chip: chip index → core bitmap.
  const coresOf = new Map<number, number>();
  for (const t of r.targets) {
    checkChip(t.chip, W, H, "target");
    const c = chipIndex(t.chip[0], t.chip[1], W);
    let bm = coresOf.get(c) ?? 0;
    for (const p of t.cores) {
      if (!Number.isInteger(p) || p < 0 || p > MAX_CORE) throw new Error(`internal: core ${p} of block ${r.block} is not a processor number 0..${MAX_CORE}`);
      bm = (bm | (1 << p)) >>> 0;
    }
    coresOf.set(c, bm);
  }
  const targets = [...coresOf.keys()];
  const dist = new Map<number, number>();
  for (const c of targets) dist.set(c, hexDistance(r.sourceChip, [c % W, Math.floor(c / W)], W, H));
  targets.sort((a, b) => (dist.get(b) as number) - (dist.get(a) as number) || a - b);

  const chips: number[] = [];
  const inLinks: number[] = [];
  const outs: number[] = [];
  const add = (c: number, inLink: number): number => {
    stamp[c] = id;
    nodeAt[c] = chips.length;
    chips.push(c);
    inLinks.push(inLink);
    outs.push(0);
    return chips.length - 1;
  };
  add(chipIndex(r.sourceChip[0], r.sourceChip[1], W), -1);
  for (const t of targets) {
    let x = r.sourceChip[0];
    let y = r.sourceChip[1];
    let node = 0;
    for (const link of shortestPath(r.sourceChip, [t % W, Math.floor(t / W)], W, H)) {
      [x, y] = neighbour(x, y, link, W, H);
      const c = chipIndex(x, y, W);
      if (stamp[c] === id) {
        node = nodeAt[c] as number;
      } else {
        outs[node] = (outs[node] as number) | (1 << link);
        node = add(c, (link + 3) % 6);
      }
    }
  }
  const n = chips.length;
  const cores = new Uint32Array(n);
  for (let i = 0; i < n; i++) cores[i] = coresOf.get(chips[i] as number) ?? 0;
  return { block: r.block, chip: Int32Array.from(chips), inLink: Int8Array.from(inLinks), outLinks: Uint8Array.from(outs), cores, hops: n - 1 };
}

export function buildRoutingTables(W: number, H: number, routes: readonly RouteSpec[]): RoutingTables {
  if (!Number.isInteger(W) || !Number.isInteger(H) || W < 1 || H < 1) throw new Error(`internal: bad machine size ${W}×${H}`);
  const nChips = W * H;
  const stamp = new Int32Array(nChips).fill(-1);
  const nodeAt = new Int32Array(nChips);
  const trees: RoutingTree[] = [];
  const count = new Int32Array(nChips);
  let defaultRouted = 0;
  for (let r = 0; r < routes.length; r++) {
    const t = buildTree(W, H, routes[r] as RouteSpec, stamp, nodeAt, r);
    trees.push(t);
    for (let i = 0; i < t.chip.length; i++) {
      const out = t.outLinks[i] as number;
      const cores = t.cores[i] as number;
      if (isDefaultable(t.inLink[i] as number, out, cores)) defaultRouted++;
      else if (routeBits(out, cores) !== 0) count[t.chip[i] as number] = (count[t.chip[i] as number] as number) + 1;
    }
  }
  // Fill per-chip entry lists (route order), then sort each chip's entries by key.
  const entryRoute = Array.from({ length: nChips }, (_, c) => new Int32Array(count[c] as number));
  const entryBits = Array.from({ length: nChips }, (_, c) => new Uint32Array(count[c] as number));
  const fill = new Int32Array(nChips);
  for (let r = 0; r < trees.length; r++) {
    const t = trees[r] as RoutingTree;
    for (let i = 0; i < t.chip.length; i++) {
      const out = t.outLinks[i] as number;
      const cores = t.cores[i] as number;
      const bits = routeBits(out, cores);
      if (isDefaultable(t.inLink[i] as number, out, cores) || bits === 0) continue;
      const c = t.chip[i] as number;
      const k = fill[c] as number;
      (entryRoute[c] as Int32Array)[k] = r;
      (entryBits[c] as Uint32Array)[k] = bits;
      fill[c] = k + 1;
    }
  }
  const tables: ChipTable[] = [];
  let total = 0;
  let max = 0;
  for (let c = 0; c < nChips; c++) {
    const er = entryRoute[c] as Int32Array;
    const eb = entryBits[c] as Uint32Array;
    const n = er.length;
    const keyOf = (i: number): number => ((routes[er[i] as number] as RouteSpec).key & (routes[er[i] as number] as RouteSpec).mask) >>> 0;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => keyOf(a) - keyOf(b) || (er[a] as number) - (er[b] as number));
    const keys = new Uint32Array(n);
    const masks = new Uint32Array(n);
    const rts = new Uint32Array(n);
    for (let j = 0; j < n; j++) {
      const i = order[j] as number;
      const r = routes[er[i] as number] as RouteSpec;
      masks[j] = r.mask >>> 0;
      keys[j] = (r.key & r.mask) >>> 0;
      rts[j] = eb[i] as number;
    }
    tables.push({ chipX: c % W, chipY: Math.floor(c / W), keys, masks, routes: rts });
    total += n;
    if (n > max) max = n;
  }
  return { width: W, height: H, tables, trees, totalEntries: total, maxEntries: max, defaultRouted };
}
