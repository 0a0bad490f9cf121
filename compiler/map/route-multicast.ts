/**
 * @fileoverview Routing on multicast key/mask machines (SpiNNaker): keys per source block, multicast trees,
 * per-chip tables, compression to the router capacity, and the two checkers (compressed tables decide every
 * key like the originals; every packet reaches exactly its destination cores, no loop, nothing dropped).
 *
 * A block's destinations are the cores holding a block whose receptive field (axons.ts) overlaps it. Link
 * loads: each tree edge carries the block's expected spikes per step (neurons × the population's rate).
 */
import type { Block, MulticastRouting, PlacedSnn, SystemGrid } from "../ir/mapped.ts";
import type { QPopulation } from "../ir/quantised.ts";
import type { Target } from "../target/schema.ts";
import { checkCompression, checkRoutes, routingCheckError } from "../verify/routes.ts";
import { intersect, receptiveBox } from "./axons.ts";
import { compressTables } from "./spinnaker/compress.ts";
import { allocateKeys } from "./spinnaker/keys.ts";
import { buildRoutingTables, type RouteSpec } from "./spinnaker/tables.ts";

/** Keys of every block and one multicast route per block that has destinations. */
export function multicastRoutes(p: PlacedSnn, grid: SystemGrid, target: Target): { keys: ReturnType<typeof allocateKeys>; routes: RouteSpec[] } {
  const q = p.q;
  const W = grid.chipsX;
  // Route words address groups of cores on chips with more cores than core bits (target field).
  const group = target.routing.kind === "multicast-keymask" ? target.routing.coresPerRouteBit ?? 1 : 1;
  // Destination cores of every block.
  const dests: Map<number, Set<number>>[] = p.blocks.map(() => new Map());
  p.cores.forEach((core, ci) => {
    const loc = p.placement[ci];
    if (!loc) return;
    const chip = loc.chipY * W + loc.chipX;
    for (const bi of core.blocks) {
      const b = p.blocks[bi] as Block;
      const dst = q.populations[b.pop] as QPopulation;
      for (const pr of dst.inputs) {
        const rf = receptiveBox(pr.conn, b.box, q.populations[pr.source] as QPopulation);
        for (const sbi of p.popBlocks[pr.source] ?? []) {
          if (!intersect(rf, (p.blocks[sbi] as Block).box)) continue;
          const m = dests[sbi] as Map<number, Set<number>>;
          const cores = m.get(chip) ?? new Set<number>();
          cores.add(Math.floor(loc.index / group));
          m.set(chip, cores);
        }
      }
    }
  });
  const keys = allocateKeys(p.blocks.map((b) => ({ id: b.id, neurons: b.size, group: b.pop })));
  const routes: RouteSpec[] = [];
  p.blocks.forEach((b, bi) => {
    const m = dests[bi] as Map<number, Set<number>>;
    if (m.size === 0) return;
    const src = p.placement[p.blockCore[bi] as number];
    routes.push({
      block: bi, key: keys.key[bi] as number, mask: keys.mask[bi] as number, sourceChip: [src?.chipX ?? 0, src?.chipY ?? 0],
      targets: [...m.entries()].sort((a, c) => a[0] - c[0]).map(([chip, cores]) => ({ chip: [chip % W, Math.floor(chip / W)] as const, cores: [...cores].sort((a, c) => a - c) })),
      neurons: b.size,
    });
  });
  return { keys, routes };
}

export function routeMulticast(p: PlacedSnn, grid: SystemGrid, target: Target, rates: readonly number[] | null): MulticastRouting {
  const W = grid.chipsX;
  const H = grid.chipsY;
  const { keys, routes } = multicastRoutes(p, grid, target);
  const built = buildRoutingTables(W, H, routes);
  const blocks = { key: keys.key, mask: keys.mask, neurons: keys.neurons };
  const compressed = compressTables(built.tables, blocks, { capacity: target.routing.kind === "multicast-keymask" ? target.routing.entriesPerRouter.value : 1023 });
  compressed.tables.forEach((t, i) => {
    const original = built.tables[i];
    if (!original) return;
    const mismatch = checkCompression(original, t, blocks);
    if (mismatch) throw routingCheckError(mismatch);
  });
  const problem = checkRoutes(W, H, compressed.tables, routes);
  if (problem) throw routingCheckError(problem);
  const blockHops = new Int32Array(p.blocks.length);
  const linkLoad = new Map<string, number>();
  built.trees.forEach((tree, r) => {
    const route = routes[r] as RouteSpec;
    blockHops[route.block] = tree.hops;
    const b = p.blocks[route.block] as Block;
    const spikes = b.size * (rates ? (rates[b.pop] ?? 0) : 1);
    for (let n = 0; n < tree.chip.length; n++) {
      const chip = tree.chip[n] as number;
      for (let l = 0; l < 6; l++) {
        if (!((tree.outLinks[n] as number) & (1 << l))) continue;
        const k = `${chip % W},${Math.floor(chip / W)},${l}`;
        linkLoad.set(k, (linkLoad.get(k) ?? 0) + spikes);
      }
    }
  });
  return {
    kind: "multicast",
    blockKey: keys.key, blockMask: keys.mask, blockHops,
    tables: compressed.tables,
    entriesBefore: compressed.totalBefore, entriesAfter: compressed.totalAfter,
    maxEntriesBefore: compressed.maxBefore, maxEntriesAfter: compressed.maxAfter,
    linkLoad,
  };
}
