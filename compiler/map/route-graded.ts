/**
 * @fileoverview Routes of graded packets: the projections into and out of compute nodes (map/graded.ts) between
 * the neuro cores' chips and the processors' chips. Stage: route. Input: the full QuantisedSnn, the placed
 * network (neuron populations' cores), the compute plan (processor slots), the chip grid. Output: per graded
 * projection (gradedProjections order) the chip-to-chip link hops of one packet: a packet from each source chip
 * goes to every destination chip by dimension order (x, then y) on a chip mesh (Loihi), or along the shortest
 * path of SpiNNaker's triangular torus (links E, NE, N, W, SW, S: map/spinnaker/geometry.ts, the distance
 * the spike routes and the placer use), averaged over the source chips. On SpiNNaker a graded packet is a
 * multicast packet with a payload word (target neuron.gradedSpikes.packet), charged per packet and hop. Processors sit on their chip: a packet between a chip's cores and its processors takes no link.
 * Failures: SNNC412 when an end of a graded projection is on no chip (a routing bug), naming the layer.
 */
import { fail } from "../diagnostics.ts";
import type { PlacedSnn, SystemGrid } from "../ir/mapped.ts";
import type { QuantisedSnn } from "../ir/quantised.ts";
import type { ComputePlan } from "./compute.ts";
import { gradedProjections } from "./graded.ts";
import { hexDistance } from "./spinnaker/geometry.ts";

/** Chips (x, y) each population sits on: its blocks' cores, or its compute node's processors. */
export function populationChips(q: QuantisedSnn, placed: PlacedSnn, plan: ComputePlan, grid: SystemGrid): (readonly (readonly [number, number])[])[] {
  const chips: Map<string, [number, number]>[] = q.populations.map(() => new Map());
  placed.popBlocks.forEach((blocks, pop) => {
    for (const b of blocks) {
      const loc = placed.placement[placed.blockCore[b] as number];
      if (loc) (chips[pop] as Map<string, [number, number]>).set(`${loc.chipX},${loc.chipY}`, [loc.chipX, loc.chipY]);
    }
  });
  for (const n of plan.nodes) {
    for (const a of n.assignments) {
      const xy: [number, number] = [a.chip % grid.chipsX, Math.floor(a.chip / grid.chipsX)];
      (chips[n.population] as Map<string, [number, number]>).set(`${xy[0]},${xy[1]}`, xy);
    }
  }
  return chips.map((m) => [...m.values()]);
}

function chipHops(sx: number, sy: number, dx: number, dy: number, grid: SystemGrid): number {
  return grid.torus ? hexDistance([sx, sy], [dx, dy], grid.chipsX, grid.chipsY) : Math.abs(sx - dx) + Math.abs(sy - dy);
}

export function routeGraded(q: QuantisedSnn, placed: PlacedSnn, plan: ComputePlan, grid: SystemGrid): number[] {
  const chips = populationChips(q, placed, plan, grid);
  return gradedProjections(q).map((g) => {
    const src = chips[g.projection.source] ?? [];
    const dst = chips[g.dst] ?? [];
    const name = (p: number): string => q.populations[p]?.name ?? String(p);
    if (src.length === 0) throw fail("SNNC412", `graded packets from "${name(g.projection.source)}" start on no chip`, { layer: name(g.dst) }, "this is a mapping bug: please report it with the model");
    if (dst.length === 0) throw fail("SNNC412", `graded packets into this layer reach no chip`, { layer: name(g.dst) }, "this is a mapping bug: please report it with the model");
    let hops = 0;
    for (const [sx, sy] of src) for (const [dx, dy] of dst) hops += chipHops(sx, sy, dx, dy, grid);
    return hops / src.length;
  });
}
