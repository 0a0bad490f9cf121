/**
 * @fileoverview The `place` pass: PartitionedSnn → PlacedSnn, cores onto (chip, tile, slot) locations,
 * minimising Σ traffic × hops.
 *
 * Seed: cores in population order onto slots in serpentine order (consecutive layers land next to each
 * other, chips are filled one at a time — the effect of nengo-loihi's GreedyInterchip on a chain). Refinement:
 * simulated annealing over swaps of two cores or a core and a free slot of the chips in use, with a seeded
 * generator (deterministic for a seed), geometric cooling from the mean |Δcost| of random moves, and the
 * best placement seen kept. System too small: SNNC401 with the cores and chips the network needs.
 */
import { fail } from "../diagnostics.ts";
import type { CoreLocation, PartitionedSnn, PlacedSnn, Traffic } from "../ir/mapped.ts";
import type { Target } from "../target/schema.ts";
import type { Rng } from "../util/rng.ts";
import { coreSlots, hops, type SystemGrid, systemGrid } from "./system.ts";

export interface PlaceOptions {
  readonly chips?: number;
  /** The pass context's seeded generator (deterministic for a seed). */
  readonly rng: Rng;
  /** Annealing moves; default 60 per core, between 20,000 and 400,000. */
  readonly moves?: number;
  /** Skip the refinement (the sequential baseline). */
  readonly sequential?: boolean;
}

export interface PlacementStats {
  readonly avgHops: number;
  readonly maxHops: number;
  /** Average hops of the serpentine seed before refinement. */
  readonly seedAvgHops: number;
  readonly cost: number;
}

export function place(p: PartitionedSnn, target: Target, traffic: Traffic, options: PlaceOptions): { placed: PlacedSnn; stats: PlacementStats; grid: SystemGrid } {
  const grid = systemGrid(target, options.chips);
  const nCores = p.cores.length;
  const chipsAvailable = grid.chipsX * grid.chipsY;
  const chipsNeeded = Math.ceil(nCores / grid.coresPerChip);
  if (chipsNeeded > chipsAvailable) {
    const biggest = [...p.popBlocks.keys()].sort((a, b) => (p.popBlocks[b]?.length ?? 0) - (p.popBlocks[a]?.length ?? 0))[0] ?? 0;
    const pop = p.q.populations[biggest];
    throw fail("SNNC401", `the network needs ${nCores} cores (${chipsNeeded} chips of ${grid.coresPerChip}); the ${target.name} system has ${chipsAvailable} chips (${chipsAvailable * grid.coresPerChip} cores)`,
      { layer: pop?.name ?? "" }, `the largest layer, "${pop?.name}", takes ${p.popBlocks[biggest]?.length} cores; give --chips ${chipsNeeded} (or more) for a bigger system`);
  }
  const slots = coreSlots(grid, chipsNeeded);
  // Adjacency: symmetric traffic weights per core, as CSR (edges in traffic order).
  const degree = new Int32Array(nCores + 1);
  for (let i = 0; i < traffic.src.length; i++) {
    const a = traffic.src[i] as number;
    const b = traffic.dst[i] as number;
    if (a === b || (traffic.spikesPerStep[i] as number) === 0) continue;
    degree[a + 1] = (degree[a + 1] as number) + 1;
    degree[b + 1] = (degree[b + 1] as number) + 1;
  }
  for (let c = 0; c < nCores; c++) degree[c + 1] = (degree[c + 1] as number) + (degree[c] as number);
  const adjStart = degree;
  const adjOther = new Int32Array(adjStart[nCores] as number);
  const adjW = new Float64Array(adjStart[nCores] as number);
  const fill = adjStart.slice(0, nCores);
  for (let i = 0; i < traffic.src.length; i++) {
    const a = traffic.src[i] as number;
    const b = traffic.dst[i] as number;
    const w = traffic.spikesPerStep[i] as number;
    if (a === b || w === 0) continue;
    adjOther[fill[a] as number] = b;
    adjW[fill[a] as number] = w;
    fill[a] = (fill[a] as number) + 1;
    adjOther[fill[b] as number] = a;
    adjW[fill[b] as number] = w;
    fill[b] = (fill[b] as number) + 1;
  }
  const slotOf = Int32Array.from({ length: nCores }, (_, i) => i);
  const coreAt = new Int32Array(slots.length).fill(-1);
  for (let i = 0; i < nCores; i++) coreAt[i] = i;
  const dist = (s: number, t: number) => hops(grid, slots[s] as CoreLocation, slots[t] as CoreLocation);
  const local = (c: number) => {
    let sum = 0;
    const s = slotOf[c] as number;
    for (let e = adjStart[c] as number; e < (adjStart[c + 1] as number); e++) sum += (adjW[e] as number) * dist(s, slotOf[adjOther[e] as number] as number);
    return sum;
  };
  const total = () => {
    let sum = 0;
    for (let c = 0; c < nCores; c++) sum += local(c);
    return sum / 2;
  };
  const seedCost = total();
  let best = seedCost;
  let bestSlots = Int32Array.from(slotOf);
  if (!options.sequential && nCores > 1) {
    const rng = options.rng;
    // Each move reads the edges of two cores twice: on dense traffic graphs (every core talking to most
    // others) the move count is capped so the refinement visits at most ~10^8 edges.
    const meanDegree = (adjStart[nCores] as number) / nCores;
    const moves = options.moves ?? Math.max(2_000, Math.min(400_000, Math.max(20_000, 60 * nCores), Math.floor(1e8 / (4 * Math.max(1, meanDegree)))));
    const swap = (s1: number, s2: number) => {
      const c1 = coreAt[s1] as number;
      const c2 = coreAt[s2] as number;
      coreAt[s1] = c2;
      coreAt[s2] = c1;
      if (c1 >= 0) slotOf[c1] = s2;
      if (c2 >= 0) slotOf[c2] = s1;
    };
    const delta = (s1: number, s2: number) => {
      const c1 = coreAt[s1] as number;
      const c2 = coreAt[s2] as number;
      const before = (c1 >= 0 ? local(c1) : 0) + (c2 >= 0 ? local(c2) : 0);
      swap(s1, s2);
      const after = (c1 >= 0 ? local(c1) : 0) + (c2 >= 0 ? local(c2) : 0);
      swap(s1, s2);
      return after - before;
    };
    // Starting temperature: mean |Δ| of random moves.
    let sample = 0;
    for (let i = 0; i < 200; i++) sample += Math.abs(delta(Math.floor(rng() * nCores), Math.floor(rng() * slots.length)));
    let temp = Math.max(sample / 200, 1e-9);
    const cooling = Math.pow(1e-4, 1 / moves);
    let cost = seedCost;
    for (let m = 0; m < moves; m++) {
      const s1 = slotOf[Math.floor(rng() * nCores)] as number;
      const s2 = Math.floor(rng() * slots.length);
      if (s1 === s2) continue;
      const d = delta(s1, s2);
      if (d <= 0 || rng() < Math.exp(-d / temp)) {
        swap(s1, s2);
        cost += d;
        if (cost < best - 1e-9) {
          best = cost;
          bestSlots = Int32Array.from(slotOf);
        }
      }
      temp *= cooling;
    }
    slotOf.set(bestSlots);
  }
  const placement = Array.from(slotOf, (s) => slots[s] as CoreLocation);
  const chipsUsed = new Set(placement.map((l) => `${l.chipX},${l.chipY}`)).size;
  let spikes = 0;
  let weighted = 0;
  let seedWeighted = 0;
  let maxHops = 0;
  for (let i = 0; i < traffic.src.length; i++) {
    const w = traffic.spikesPerStep[i] as number;
    const h = hops(grid, placement[traffic.src[i] as number] as CoreLocation, placement[traffic.dst[i] as number] as CoreLocation);
    const h0 = dist(traffic.src[i] as number, traffic.dst[i] as number);
    spikes += w;
    weighted += w * h;
    seedWeighted += w * h0;
    if (w > 0) maxHops = Math.max(maxHops, h);
  }
  return {
    placed: { ...p, placement, chipsUsed, grid },
    stats: { avgHops: spikes > 0 ? weighted / spikes : 0, maxHops, seedAvgHops: spikes > 0 ? seedWeighted / spikes : 0, cost: best },
    grid,
  };
}
