/**
 * SpiNNaker multicast routing: geometry, key allocation, trees and tables, compression, and the two checkers
 * (compiler/map/spinnaker/*, compiler/verify/routes.ts). Networks are synthetic and seeded.
 */
import { expect } from "chai";
import { SnncError } from "../../compiler/diagnostics.ts";
import { compressTable, compressTables } from "../../compiler/map/spinnaker/compress.ts";
import { hexDistance, linkDelta, neighbour, oppositeLink, shortestPath } from "../../compiler/map/spinnaker/geometry.ts";
import { allocateKeys, indexKeySpace } from "../../compiler/map/spinnaker/keys.ts";
import type { SourceBlock } from "../../compiler/map/spinnaker/keys.ts";
import { buildRoutingTables } from "../../compiler/map/spinnaker/tables.ts";
import type { ChipTable, RouteSpec } from "../../compiler/map/spinnaker/tables.ts";
import { checkCompression, checkRoutes, routingCheckError } from "../../compiler/verify/routes.ts";
import { xorshift32 } from "../../runtime/input.ts";

/** Hop distances from one chip by breadth-first search over the six links (the reference for hexDistance). */
function bfs(W: number, H: number, x0: number, y0: number): Int32Array {
  const d = new Int32Array(W * H).fill(-1);
  d[y0 * W + x0] = 0;
  const q = [[x0, y0] as [number, number]];
  for (let i = 0; i < q.length; i++) {
    const [x, y] = q[i] as [number, number];
    for (let l = 0; l < 6; l++) {
      const [nx, ny] = neighbour(x, y, l, W, H);
      if (d[ny * W + nx] === -1) {
        d[ny * W + nx] = (d[y * W + x] as number) + 1;
        q.push([nx, ny]);
      }
    }
  }
  return d;
}

/** First-match lookup, straight from the router rule: (k & mask) === key; −1 = no match. */
function lookup(t: ChipTable, k: number): number {
  for (let i = 0; i < t.keys.length; i++) if (((k & (t.masks[i] as number)) >>> 0) === t.keys[i]) return t.routes[i] as number;
  return -1;
}

function table(x: number, y: number, entries: [number, number, number][]): ChipTable {
  return {
    chipX: x,
    chipY: y,
    keys: Uint32Array.from(entries, (e) => e[0]),
    masks: Uint32Array.from(entries, (e) => e[1]),
    routes: Uint32Array.from(entries, (e) => e[2]),
  };
}

function catchSnnc(f: () => unknown): SnncError {
  try {
    f();
  } catch (e) {
    if (e instanceof SnncError) return e;
    throw e;
  }
  throw new Error("expected an SnncError");
}

/** 200 blocks of 8 neurons in 20 populations on a 4×4 torus; 20% of blocks add a target of their own. */
function syntheticNetwork(seed: number): { W: number; H: number; blocks: SourceBlock[]; routes: RouteSpec[] } {
  const W = 4;
  const H = 4;
  const next = xorshift32(seed);
  const int = (n: number): number => next() % n;
  const blocks: SourceBlock[] = [];
  const routes: RouteSpec[] = [];
  for (let p = 0; p < 20; p++) {
    const src: [number, number] = [int(W), int(H)];
    const popTargets = Array.from({ length: 1 + int(3) }, () => ({ chip: [int(W), int(H)] as [number, number], cores: [1 + int(17)] }));
    for (let b = 0; b < 10; b++) {
      const id = blocks.length;
      const targets = int(5) === 0 ? [...popTargets, { chip: [int(W), int(H)] as [number, number], cores: [1 + int(17)] }] : popTargets;
      blocks.push({ id, neurons: 8, group: p });
      routes.push({ block: id, key: 0, mask: 0, sourceChip: src, targets, neurons: 8 });
    }
  }
  const keys = allocateKeys(blocks);
  return { W, H, blocks, routes: routes.map((r, i) => ({ ...r, key: keys.key[i] as number, mask: keys.mask[i] as number })) };
}

describe("SpiNNaker routing", function () {
  describe("geometry", function () {
    it("links: deltas, opposites, and neighbour through link then opposite link returns", () => {
      expect([0, 1, 2, 3, 4, 5].map(linkDelta)).to.deep.equal([[1, 0], [1, 1], [0, 1], [-1, 0], [-1, -1], [0, -1]]);
      for (let l = 0; l < 6; l++) {
        expect(oppositeLink(l)).to.equal((l + 3) % 6);
        const [dx, dy] = linkDelta(l);
        const [ox, oy] = linkDelta(oppositeLink(l));
        expect([dx + ox, dy + oy]).to.deep.equal([0, 0]);
      }
      for (const [W, H] of [[3, 3], [12, 12], [5, 7]] as const) {
        for (let x = 0; x < W; x++) {
          for (let y = 0; y < H; y++) {
            for (let l = 0; l < 6; l++) {
              const [nx, ny] = neighbour(x, y, l, W, H);
              expect(neighbour(nx, ny, oppositeLink(l), W, H)).to.deep.equal([x, y]);
            }
          }
        }
      }
      expect(neighbour(0, 0, 4, 12, 12)).to.deep.equal([11, 11]);
      expect(neighbour(11, 5, 0, 12, 12)).to.deep.equal([0, 5]);
    });

    it("hexDistance equals breadth-first search with wrap-around (3×3, 12×12, 5×7), with known values", () => {
      for (const [W, H] of [[3, 3], [12, 12], [5, 7]] as const) {
        for (let x0 = 0; x0 < W; x0++) {
          for (let y0 = 0; y0 < H; y0++) {
            const d = bfs(W, H, x0, y0);
            for (let x = 0; x < W; x++) for (let y = 0; y < H; y++) expect(hexDistance([x0, y0], [x, y], W, H), `${W}×${H} (${x0},${y0})→(${x},${y})`).to.equal(d[y * W + x]);
          }
        }
      }
      expect(hexDistance([0, 0], [11, 11], 12, 12)).to.equal(1); // one SW hop across both wraps
      expect(hexDistance([0, 0], [6, 6], 12, 12)).to.equal(6);
      expect(hexDistance([0, 0], [2, 10], 12, 12)).to.equal(4); // E E then S S through the wrap
      expect(hexDistance([0, 0], [1, 2], 3, 3)).to.equal(2);
      expect(hexDistance([2, 0], [0, 2], 3, 3)).to.equal(2);
    });

    it("shortestPath has hexDistance links and ends at the target, on 3×3 and 12×12", () => {
      for (const [W, H] of [[3, 3], [12, 12]] as const) {
        for (let a = 0; a < W * H; a++) {
          for (let b = 0; b < W * H; b++) {
            const A: [number, number] = [a % W, Math.floor(a / W)];
            const B: [number, number] = [b % W, Math.floor(b / W)];
            const p = shortestPath(A, B, W, H);
            expect(p.length).to.equal(hexDistance(A, B, W, H));
            let c: [number, number] = A;
            for (const l of p) c = neighbour(c[0], c[1], l, W, H);
            expect(c).to.deep.equal(B);
          }
        }
      }
    });
  });

  describe("keys", function () {
    const blocks: SourceBlock[] = [];
    const next = xorshift32(7);
    for (let i = 0; i < 300; i++) blocks.push({ id: 1000 + i, neurons: 1 + (next() % 300), group: next() % 12 });
    blocks.push({ id: 5000, neurons: 1 }, { id: 5001, neurons: 1000 });

    it("keys are unique, aligned, disjoint and cover every neuron index", () => {
      const k = allocateKeys(blocks);
      const spans = blocks.map((b, i) => {
        const key = k.key[i] as number;
        const mask = k.mask[i] as number;
        expect(2 ** (k.bits[i] as number)).to.be.at.least(b.neurons);
        expect(mask).to.equal((~(2 ** (k.bits[i] as number) - 1)) >>> 0);
        expect((key & ~mask) >>> 0, `block ${b.id} aligned`).to.equal(0);
        expect(((key | (b.neurons - 1)) & mask) >>> 0).to.equal(key);
        return [key, key + 2 ** (k.bits[i] as number) - 1] as const;
      });
      const sorted = [...spans].sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < sorted.length; i++) expect((sorted[i] as readonly number[])[0]).to.be.greaterThan((sorted[i - 1] as readonly number[])[1] as number);
      expect(() => indexKeySpace(k)).not.to.throw();
    });

    it("blocks of a group share one aligned region holding no other block; allocation is deterministic", () => {
      const k = allocateKeys(blocks);
      for (let g = 0; g < 12; g++) {
        const mine = blocks.map((b, i) => (b.group === g ? i : -1)).filter((i) => i >= 0);
        let lo = Infinity;
        let hi = -1;
        for (const i of mine) {
          lo = Math.min(lo, k.key[i] as number);
          hi = Math.max(hi, (k.key[i] as number) + 2 ** (k.bits[i] as number) - 1);
        }
        const size = 2 ** Math.ceil(Math.log2(hi - lo + 1));
        const base = Math.floor(lo / size) * size;
        expect(hi, `group ${g} fits one aligned region`).to.be.below(base + size);
        blocks.forEach((b, i) => {
          if (b.group !== g) expect((k.key[i] as number) < base || (k.key[i] as number) >= base + size, `block ${b.id} outside group ${g}'s region`).to.equal(true);
        });
      }
      const shuffled = [...blocks].reverse();
      const k2 = allocateKeys(shuffled);
      const byId = new Map(shuffled.map((b, i) => [b.id, k2.key[i]]));
      blocks.forEach((b, i) => expect(byId.get(b.id)).to.equal(k.key[i]));
    });

    it("SNNC403 when the 2^32 key space is exhausted", () => {
      const e = catchSnnc(() => allocateKeys([{ id: 0, neurons: 2 ** 31 }, { id: 1, neurons: 2 ** 31 }, { id: 2, neurons: 2 }]));
      expect(e.code).to.equal("SNNC403");
    });
  });

  describe("trees and tables", function () {
    it("trees reach every target at hex distance; hops = chips on the union of shortest paths − 1", () => {
      const W = 12;
      const H = 12;
      const next = xorshift32(99);
      const routes: RouteSpec[] = [];
      for (let r = 0; r < 60; r++) {
        const targets = Array.from({ length: 1 + (next() % 6) }, () => ({ chip: [next() % W, next() % H] as [number, number], cores: [1 + (next() % 17)] }));
        routes.push({ block: r, key: r << 4, mask: 0xfffffff0, sourceChip: [next() % W, next() % H], targets });
      }
      const rt = buildRoutingTables(W, H, routes);
      routes.forEach((r, i) => {
        const t = rt.trees[i];
        if (t === undefined) throw new Error("missing tree");
        const chips = new Set<number>([r.sourceChip[1] * W + r.sourceChip[0]]);
        for (const tg of r.targets) {
          let c: [number, number] = [r.sourceChip[0], r.sourceChip[1]];
          for (const l of shortestPath(r.sourceChip, tg.chip, W, H)) {
            c = neighbour(c[0], c[1], l, W, H);
            chips.add(c[1] * W + c[0]);
          }
        }
        expect(new Set(t.chip).size, "each chip once").to.equal(t.chip.length);
        expect(t.hops).to.equal(chips.size - 1);
        expect([...t.chip].every((c) => chips.has(c))).to.equal(true);
        // Walk the tree from the source along outLinks: each node reached once, at its hex distance.
        const node = new Map([...t.chip].map((c, n) => [c, n]));
        const depth = new Map<number, number>([[t.chip[0] as number, 0]]);
        const stack = [t.chip[0] as number];
        while (stack.length > 0) {
          const c = stack.pop() as number;
          const n = node.get(c) as number;
          expect(depth.get(c)).to.equal(hexDistance(r.sourceChip, [c % W, Math.floor(c / W)], W, H));
          for (let l = 0; l < 6; l++) {
            if (((t.outLinks[n] as number) & (1 << l)) === 0) continue;
            const [nx, ny] = neighbour(c % W, Math.floor(c / W), l, W, H);
            const child = ny * W + nx;
            expect(t.inLink[node.get(child) as number]).to.equal(oppositeLink(l));
            depth.set(child, (depth.get(c) as number) + 1);
            stack.push(child);
          }
        }
        expect(depth.size, "all tree chips reachable").to.equal(t.chip.length);
        for (const tg of r.targets) {
          const n = node.get(tg.chip[1] * W + tg.chip[0]);
          expect(n).to.not.equal(undefined);
          for (const p of tg.cores) expect(((t.cores[n as number] as number) >>> p) & 1).to.equal(1);
        }
      });
      expect(checkRoutes(W, H, rt.tables, routes)).to.equal(null);
    });

    it("omits default-routable entries: a straight-through chip has no entry", () => {
      // (0,0) → (3,0) on a 6×6 torus: E, E, E. Chips (1,0) and (2,0) just pass the packet on.
      const route: RouteSpec = { block: 0, key: 0x100, mask: 0xffffff00, sourceChip: [0, 0], targets: [{ chip: [3, 0], cores: [2, 5] }, { chip: [0, 0], cores: [1] }] };
      const rt = buildRoutingTables(6, 6, [route]);
      const at = (x: number, y: number): ChipTable => rt.tables[y * 6 + x] as ChipTable;
      expect(at(1, 0).keys.length).to.equal(0);
      expect(at(2, 0).keys.length).to.equal(0);
      expect(rt.defaultRouted).to.equal(2);
      expect(Array.from(at(0, 0).routes)).to.deep.equal([(1 << 0) | (1 << (6 + 1))]);
      expect(Array.from(at(3, 0).routes)).to.deep.equal([(1 << (6 + 2)) | (1 << (6 + 5))]);
      expect(rt.totalEntries).to.equal(2);
      expect(rt.trees[0]?.hops).to.equal(3);
      expect(checkRoutes(6, 6, rt.tables, [route])).to.equal(null);
    });
  });

  describe("compression", function () {
    // Eight blocks of 4 keys in one region: block 5 goes North, all others East.
    const eight = { key: Uint32Array.from({ length: 8 }, (_, i) => i * 4), mask: new Uint32Array(8).fill(0xfffffffc), neurons: new Uint32Array(8).fill(4) };
    const E = 1 << 0;
    const N = 1 << 2;
    const eightTable = table(0, 0, Array.from({ length: 8 }, (_, i) => [i * 4, 0xfffffffc, i === 5 ? N : E] as [number, number, number]));

    it("ordered covering uses first-match order: 8 entries → the exception above one general entry", () => {
      const r = compressTable(eightTable, indexKeySpace(eight), { target: 2 });
      expect(r.after).to.equal(2);
      expect(Array.from(r.table.routes)).to.deep.equal([N, E]);
      expect(r.table.masks[1]).to.equal(0xffffffe0);
      expect(checkCompression(eightTable, r.table, eight)).to.equal(null);
      for (let k = 0; k < 32; k++) expect(lookup(r.table, k)).to.equal(lookup(eightTable, k));
    });

    it("never captures keys of blocks absent from the table (guards) and stops at the target", () => {
      // Block 6 is part of the network but not routed by this chip: no merged entry may match its keys.
      const t = table(0, 0, [0, 1, 2, 3, 4, 5, 7].map((i) => [i * 4, 0xfffffffc, i === 5 ? N : E] as [number, number, number]));
      const r = compressTable(t, indexKeySpace(eight), { target: 1, toMinimum: true });
      expect(checkCompression(t, r.table, eight)).to.equal(null);
      for (let k = 24; k < 28; k++) expect(lookup(r.table, k)).to.equal(-1);
      const same = table(0, 0, Array.from({ length: 8 }, (_, i) => [i * 4, 0xfffffffc, E] as [number, number, number]));
      expect(compressTable(same, indexKeySpace(eight), { target: 6 }).after).to.equal(6);
      expect(compressTable(same, indexKeySpace(eight), { target: 6, toMinimum: true }).after).to.equal(1);
      expect(compressTable(same, indexKeySpace(eight), { target: 8 }).table.keys.length).to.equal(8);
    });

    it("brings a 200-block network over a 24-entry limit to ≤ 24 per chip; both checkers pass", () => {
      const net = syntheticNetwork(2024);
      const keys = allocateKeys(net.blocks);
      const rt = buildRoutingTables(net.W, net.H, net.routes);
      expect(rt.maxEntries).to.be.greaterThan(24);
      const ct = compressTables(rt.tables, keys, { capacity: 24 });
      expect(ct.maxAfter).to.be.at.most(24);
      expect(ct.maxBefore).to.equal(rt.maxEntries);
      rt.tables.forEach((t, c) => expect(checkCompression(t, ct.tables[c] as ChipTable, keys), `chip ${c}`).to.equal(null));
      expect(checkRoutes(net.W, net.H, rt.tables, net.routes)).to.equal(null);
      expect(checkRoutes(net.W, net.H, ct.tables, net.routes)).to.equal(null);
      const min = compressTables(rt.tables, keys, { capacity: 24, toMinimum: true });
      expect(min.totalAfter).to.be.at.most(ct.totalAfter);
      rt.tables.forEach((t, c) => expect(checkCompression(t, min.tables[c] as ChipTable, keys)).to.equal(null));
    });

    it("counts its work in entries scanned, not time: a budget stops early with the same tables every run, still correct", () => {
      const net = syntheticNetwork(2024);
      const keys = allocateKeys(net.blocks);
      const rt = buildRoutingTables(net.W, net.H, net.routes);
      const full = compressTables(rt.tables, keys, { capacity: 1 << 30, toMinimum: true });
      expect(full.work).to.be.greaterThan(0);
      const budget = Math.floor(full.work / 10);
      const a = compressTables(rt.tables, keys, { capacity: 1 << 30, toMinimum: true, maxWork: budget });
      const b = compressTables(rt.tables, keys, { capacity: 1 << 30, toMinimum: true, maxWork: budget });
      expect(a.totalAfter).to.be.greaterThan(full.totalAfter);
      expect(a.coverMerges).to.be.below(full.coverMerges);
      expect(a.tables).to.deep.equal(b.tables);
      rt.tables.forEach((t, c) => expect(checkCompression(t, a.tables[c] as ChipTable, keys), `chip ${c}`).to.equal(null));
    });

    it("SNNC403 naming the chip, the entry count and the limit when the capacity cannot be reached", () => {
      const t = table(2, 3, [[0, 0xfffffffc, 1 << 6], [4, 0xfffffffc, 1 << 7], [8, 0xfffffffc, 1 << 8]]);
      const keys = { key: Uint32Array.of(0, 4, 8), mask: new Uint32Array(3).fill(0xfffffffc) };
      const e = catchSnnc(() => compressTables([t], keys, { capacity: 1 }));
      expect(e.code).to.equal("SNNC403");
      expect(e.message).to.contain("(2,3)").and.contain("3 entries").and.contain("holds 1");
      expect(e.loc.core).to.equal("chip (2,3)");
      expect(e.hint).to.be.a("string");
    });
  });

  describe("checkers", function () {
    const net = syntheticNetwork(2024);
    const keys = allocateKeys(net.blocks);
    const rt = buildRoutingTables(net.W, net.H, net.routes);
    const ct = compressTables(rt.tables, keys, { capacity: 24 });

    it("checkCompression finds a flipped route bit, with the right chip and key", () => {
      const c = ct.tables.findIndex((t, i) => t.keys.length > 3 && t.keys.length < (rt.tables[i] as ChipTable).keys.length);
      const good = ct.tables[c] as ChipTable;
      const routes = good.routes.slice();
      routes[2] = ((routes[2] as number) ^ (1 << 9)) >>> 0;
      const bad = { ...good, routes };
      const m = checkCompression(rt.tables[c] as ChipTable, bad, keys);
      expect(m).to.not.equal(null);
      if (m === null) return;
      expect(m.chip).to.deep.equal([good.chipX, good.chipY]);
      expect(((m.key & (good.masks[2] as number)) >>> 0) === good.keys[2], "the key hits the broken entry").to.equal(true);
      expect(m.expected).to.equal(lookup(rt.tables[c] as ChipTable, m.key));
      expect(m.got).to.equal(lookup(bad, m.key));
      expect(m.got).to.not.equal(m.expected);
      const err = routingCheckError(m);
      expect(err.code).to.equal("SNNC404");
      expect(err.loc.core).to.equal(`chip (${good.chipX},${good.chipY})`);
    });

    it("checkCompression finds two overlapping entries in the wrong order", () => {
      const eight = { key: Uint32Array.from({ length: 8 }, (_, i) => i * 4), mask: new Uint32Array(8).fill(0xfffffffc), neurons: new Uint32Array(8).fill(4) };
      const orig = table(5, 1, Array.from({ length: 8 }, (_, i) => [i * 4, 0xfffffffc, i === 5 ? 4 : 1] as [number, number, number]));
      const swapped = table(5, 1, [[0, 0xffffffe0, 1], [20, 0xfffffffc, 4]]);
      expect(checkCompression(orig, table(5, 1, [[20, 0xfffffffc, 4], [0, 0xffffffe0, 1]]), eight)).to.equal(null);
      expect(checkCompression(orig, swapped, eight)).to.deep.equal({ chip: [5, 1], key: 20, expected: 4, got: 1 });
    });

    it("checkCompression finds a merged entry capturing keys of a block this chip does not route", () => {
      // Network blocks at keys 0 (8 neurons) and 8 (5 neurons: keys 8..12); only block 0 is routed here.
      const blocks = { key: Uint32Array.of(0, 8), mask: Uint32Array.of(0xfffffff8, 0xfffffff8), neurons: Uint32Array.of(8, 5) };
      const orig = table(0, 0, [[0, 0xfffffff8, 1]]);
      expect(checkCompression(orig, table(0, 0, [[0, 0xfffffff0, 1]]), blocks)).to.deep.equal({ chip: [0, 0], key: 8, expected: -1, got: 1 });
      // Keys 13..15 are never sent, so entries may match them; key 12 is sent.
      expect(checkCompression(orig, table(0, 0, [[0, 0xfffffff8, 1], [13, 0xffffffff, 2], [14, 0xfffffffe, 2]]), blocks)).to.equal(null);
      expect(checkCompression(orig, table(0, 0, [[0, 0xfffffff8, 1], [12, 0xfffffffc, 2]]), blocks)).to.deep.equal({ chip: [0, 0], key: 12, expected: -1, got: 2 });
    });

    it("checkRoutes finds a removed entry: dropped at the source, or a target missed", () => {
      const r = net.routes.find((_, i) => (rt.trees[i]?.hops ?? 0) >= 2) as RouteSpec;
      const tree = rt.trees[net.routes.indexOf(r)];
      if (tree === undefined) throw new Error("no tree");
      const without = (chip: number): ChipTable[] =>
        rt.tables.map((t, c) => {
          if (c !== chip) return t;
          const keep = Array.from(t.keys, (_, i) => i).filter((i) => t.keys[i] !== r.key);
          return { ...t, keys: Uint32Array.from(keep, (i) => t.keys[i] as number), masks: Uint32Array.from(keep, (i) => t.masks[i] as number), routes: Uint32Array.from(keep, (i) => t.routes[i] as number) };
        });
      const src = tree.chip[0] as number;
      const p = checkRoutes(net.W, net.H, without(src), net.routes);
      expect(p).to.deep.include({ kind: "dropped", block: r.block, key: r.key, chip: [r.sourceChip[0], r.sourceChip[1]] });
      // A leaf (cores, no links): without its entry the packet is default-routed on and the cores miss it.
      const leaf = [...tree.chip].findIndex((_, n) => tree.outLinks[n] === 0 && n > 0);
      const q = checkRoutes(net.W, net.H, without(tree.chip[leaf] as number), net.routes);
      expect(q).to.not.equal(null);
      expect(q?.block).to.equal(r.block);
      expect(["missing", "loop", "unexpected"]).to.include(q?.kind);
      expect(routingCheckError(q as NonNullable<typeof q>).code).to.equal("SNNC404");
    });

    it("checkRoutes finds a delivery to a core that is not a target", () => {
      const tables = ct.tables.map((t) => ({ ...t, routes: t.routes.slice() }));
      const t0 = tables.find((t) => t.keys.length > 0) as ChipTable;
      t0.routes[0] = ((t0.routes[0] as number) | (1 << (6 + 0))) >>> 0; // core 0 is never a target here
      const p = checkRoutes(net.W, net.H, tables, net.routes);
      expect(p?.kind).to.equal("unexpected");
      expect(p?.chip).to.deep.equal([t0.chipX, t0.chipY]);
      expect(p?.core).to.equal(0);
    });
  });
});
