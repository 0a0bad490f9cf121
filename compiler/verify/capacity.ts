/**
 * @fileoverview Capacity checker (a stage of its own, run on every compile and in tests): every neuron of
 * every population sits in exactly one block, every block on one core, and every core's resources —
 * recounted here from the blocks, not taken from the partitioner — fit the target's per-core limits.
 * A failure is SNNC404 naming the core (chip x, y / index) and the resource.
 */
import { fail } from "../diagnostics.ts";
import type { CoreLocation, RoutedSnn } from "../ir/mapped.ts";
import type { QPopulation } from "../ir/quantised.ts";
import { accountCore, exceeded, limitsOf, newCostContext } from "../map/resources.ts";
import type { Target } from "../target/schema.ts";

export interface CapacityReport {
  readonly cores: number;
  /** Largest use of each resource over all cores, as a fraction of its limit. */
  readonly maxUtilisation: Readonly<Record<string, number>>;
}

export function coreName(loc: CoreLocation | undefined, id: number): string {
  return loc ? `${id} (chip ${loc.chipX},${loc.chipY} core ${loc.index})` : String(id);
}

export function checkCapacity(r: RoutedSnn, target: Target): CapacityReport {
  const q = r.q;
  const limits = limitsOf(target);
  const ctx = newCostContext(q, target);
  // Coverage: each neuron in exactly one block.
  for (const b of r.blocks) {
    const nb = ctx.neuronBlock[b.pop] as Int32Array;
    const pop = q.populations[b.pop] as QPopulation;
    const [, w, c] = pop.shape;
    ctx.blockSizes[b.id] = b.size;
    for (let y = b.box.y0; y < b.box.y1; y++) {
      for (let x = b.box.x0; x < b.box.x1; x++) {
        for (let k = b.box.c0; k < b.box.c1; k++) {
          const s = (y * w + x) * c + k;
          if (nb[s] !== -1) throw fail("SNNC404", `neuron ${s} is in two blocks`, { layer: pop.name });
          nb[s] = b.id;
        }
      }
    }
  }
  q.populations.forEach((pop) => {
    if (pop.compute) return; // on the processor cores (map/compute.ts)
    const missing = (ctx.neuronBlock[pop.id] as Int32Array).indexOf(-1);
    if (missing >= 0) throw fail("SNNC404", `neuron ${missing} is on no core`, { layer: pop.name });
  });
  const seen = new Int32Array(r.blocks.length);
  const max: Record<string, number> = {};
  r.cores.forEach((core, i) => {
    for (const b of core.blocks) seen[b] = (seen[b] as number) + 1;
    const acc = accountCore(ctx, core.blocks.map((b) => r.blocks[b] as (typeof r.blocks)[number]));
    const res = { ...acc.resources, fanOutAxons: core.resources.fanOutAxons };
    const bad = exceeded(res, limits);
    if (bad) {
      throw fail("SNNC404", `core uses ${res[bad]} ${bad}, the limit is ${limits[bad]}`, { core: coreName(r.placement[i], i) },
        "this is a mapping bug: please report it with the model");
    }
    for (const k of Object.keys(limits) as (keyof typeof limits)[]) max[k] = Math.max(max[k] ?? 0, (res[k] as number) / limits[k]);
  });
  const unplaced = seen.findIndex((n) => n !== 1);
  if (unplaced >= 0) throw fail("SNNC404", `block ${unplaced} is on ${seen[unplaced]} cores`, {});
  return { cores: r.cores.length, maxUtilisation: max };
}
