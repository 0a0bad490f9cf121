/**
 * @fileoverview The back passes: partition → place → route → check → emit, on a QuantisedSnn.
 *
 *   QuantisedSnn ─partition─▶ PartitionedSnn ─place─▶ PlacedSnn + traffic ─route─▶ RoutedSnn
 *     ─check─▶ (capacity, routes) ─emit─▶ network.snnb bytes
 *
 * All pure. Traffic weighs spikes by the measured firing rates (`activity`), or counts one spike per
 * neuron per step when nothing was measured (`activity: null`, the benches' synthetic networks). Placement
 * annealing draws from the context's seeded generator. `chips: "fit"` sizes the system to the network.
 */
import type { Backend } from "../../backends/backend.ts";
import { BACKENDS } from "../../backends/index.ts";
import { fail } from "../diagnostics.ts";
import type { PartitionedSnn, PlacedSnn, RoutedSnn, SystemGrid, Traffic } from "../ir/mapped.ts";
import type { QuantisedSnn } from "../ir/quantised.ts";
import { computeSection } from "../../backends/compute.ts";
import { type ComputePlan, occupiedSlots, planQuantisedCompute } from "../map/compute.ts";
import { gradedProjections, hasCompute } from "../map/graded.ts";
import { partition } from "../map/partition.ts";
import { routeGraded } from "../map/route-graded.ts";
import { checkCompute } from "../verify/compute.ts";
import { place, type PlacementStats } from "../map/place.ts";
import { routeSpikes } from "../map/route.ts";
import { estimateTraffic } from "../map/traffic.ts";
import type { Pass } from "../pass.ts";
import type { CompileOptions } from "../request.ts";
import type { Target } from "../target/schema.ts";
import { type CapacityReport, checkCapacity } from "../verify/capacity.ts";
import type { ModelMeta } from "./front.ts";

/** What the back passes read of the front's results. */
export interface BackInput {
  readonly quantised: { readonly q: QuantisedSnn };
  /** Firing rates per population; null: none measured. */
  readonly activity: { readonly rates: readonly number[] } | null;
  readonly request: Pick<CompileOptions, "seed" | "chips" | "timesteps"> & { readonly method: string };
  readonly meta: ModelMeta;
}

export interface Placed {
  /** ECMT compute nodes on the processor cores of the placed system (empty plan: none). */
  readonly computePlan: ComputePlan;
  readonly traffic: Traffic;
  readonly placed: PlacedSnn;
  readonly placement: PlacementStats;
  readonly grid: SystemGrid;
}

/** Chips of a system big enough for `cores` cores: the target's own, or as many as the cores need. */
export function systemChips(target: Target, cores: number): number {
  return Math.max(target.system.chips.width * target.system.chips.height, Math.ceil(cores / target.system.usableCoresPerChip.value));
}

export const partitionPass: Pass<BackInput, { partitioned: PartitionedSnn }> = {
  name: "partition",
  summary: "neurons onto cores under every per-core limit",
  effect: "pure",
  run: ({ quantised }, ctx) => ({ partitioned: partition(quantised.q, ctx.target) }),
  dump: (o) => ({ cores: o.partitioned.cores, blocks: o.partitioned.blocks }),
};

export const placePass: Pass<BackInput & { partitioned: PartitionedSnn }, Placed> = {
  name: "place",
  summary: "cores onto chips and tiles, minimising traffic × hops (seeded annealing)",
  effect: "pure",
  run: ({ partitioned, activity, request, quantised }, ctx) => {
    const traffic = estimateTraffic(partitioned, activity?.rates ?? null);
    // `fit`: chips enough for the neuro cores and for the compute nodes' processors.
    const proc = ctx.target.processors;
    // Where the processors are the neuron cores (SpiNNaker), the compute nodes need cores beside the neuron cores.
    const shared = proc?.sharedWithNeuronCores ? partitioned.cores.length : 0;
    const processorChips = proc && proc.perChip.value > 0 ? Math.ceil((planQuantisedCompute(quantised.q, ctx.target, Number.MAX_SAFE_INTEGER, activity?.rates ?? null).processorsNeeded + shared) / proc.perChip.value) : 0;
    const chips = request.chips === "fit" ? Math.max(systemChips(ctx.target, partitioned.cores.length), processorChips) : request.chips;
    const r = place(partitioned, ctx.target, traffic, { rng: ctx.rng, ...(chips !== undefined ? { chips } : {}) });
    // Compute nodes onto the placed system's processors (SNNC410/411 naming the layer).
    const computePlan = planQuantisedCompute(quantised.q, ctx.target, r.grid.chipsX * r.grid.chipsY, activity?.rates ?? null, occupiedSlots(r.placed.placement, r.grid.chipsX, ctx.target));
    return { traffic, placed: r.placed, placement: r.stats, grid: r.grid, computePlan };
  },
  dump: (o) => ({ placement: o.placed.placement, stats: o.placement, ...(o.computePlan.nodes.length ? { compute: o.computePlan.nodes } : {}) }),
  note: (o) => `${o.placement.avgHops.toFixed(2)} hops/spike (sequential ${o.placement.seedAvgHops.toFixed(2)})${o.computePlan.nodes.length
    ? `; ${o.computePlan.nodes.length} compute nodes on ${o.computePlan.processorsNeeded} of ${o.computePlan.processorsAvailable} processors, busiest ${Math.round(o.computePlan.maxProcessorCycles)} of ${o.computePlan.budgetCycles} cycles/step` : ""}`,
};

export const routePass: Pass<BackInput & Placed, { routed: RoutedSnn; gradedHops: number[] }> = {
  name: "route",
  summary: "spike routes: mesh dimension-order, or multicast key/mask tables with compression; graded packets to and from the processors",
  effect: "pure",
  run: ({ placed, grid, traffic, activity, quantised, computePlan }, ctx) => ({
    routed: { ...placed, traffic, routing: routeSpikes(placed, grid, ctx.target, traffic, activity?.rates ?? null) },
    gradedHops: routeGraded(quantised.q, placed, computePlan, grid),
  }),
  dump: (o) => (o.gradedHops.length ? { routing: o.routed.routing, gradedHops: o.gradedHops } : o.routed.routing),
};

export const checkPass: Pass<BackInput & { routed: RoutedSnn; computePlan: ComputePlan; gradedHops: number[] }, { capacity: CapacityReport }> = {
  name: "check",
  summary: "capacity of every core and processor; routes reach every destination; compressed tables equal the originals",
  effect: "pure",
  run: ({ routed, quantised, computePlan, gradedHops }, ctx) => {
    checkCompute(quantised.q, routed, computePlan, gradedHops, ctx.target);
    return { capacity: checkCapacity(routed, ctx.target) };
  },
};

function backendFor(target: Target): Backend {
  const backend = BACKENDS.find((b) => b.family === target.family);
  if (!backend) throw fail("SNNC301", `no backend writes the "${target.family}" family`, { file: target.path ?? target.name });
  return backend;
}

export const emitPass: Pass<BackInput & { routed: RoutedSnn; computePlan: ComputePlan; gradedHops: number[] }, { binary: Uint8Array }> = {
  name: "emit",
  summary: "the placement binary",
  effect: "pure",
  run: ({ routed, request, meta, quantised, computePlan, gradedHops }, ctx) => {
    const q = quantised.q;
    const cmpt = hasCompute(q) || gradedProjections(q).length > 0 ? [{ id: "CMPT", bytes: computeSection(q, computePlan, gradedHops, ctx.target, routed.grid.chipsX) }] : [];
    return { binary: backendFor(ctx.target).encode(routed, ctx.target, { ...meta, method: request.method, timesteps: request.timesteps }, cmpt) };
  },
  dump: (o) => ({ bytes: o.binary.length }),
  note: (o) => `${o.binary.length} bytes`,
};
