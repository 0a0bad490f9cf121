/**
 * @fileoverview The back end on a QuantisedSnn for the benchmarks (and tests) that build networks directly:
 * partition, place on a system big enough for it, route, check capacity, encode the placement binary.
 */
import { createHash } from "node:crypto";
import { BACKENDS } from "../../backends/index.ts";
import type { QuantisedSnn } from "../../compiler/ir/quantised.ts";
import { partition } from "../../compiler/map/partition.ts";
import { place } from "../../compiler/map/place.ts";
import { routeSpikes } from "../../compiler/map/route.ts";
import { estimateTraffic } from "../../compiler/map/traffic.ts";
import type { Target } from "../../compiler/target/schema.ts";
import { checkCapacity } from "../../compiler/verify/capacity.ts";
import { SNNC_VERSION } from "../../compiler/version.ts";

/** Chips of a system big enough for `cores` cores: the target's own, or as many as the cores need. */
export function systemChips(target: Target, cores: number): number {
  return Math.max(target.system.chips.width * target.system.chips.height, Math.ceil(cores / target.system.usableCoresPerChip.value));
}

export function backEnd(q: QuantisedSnn, target: Target, timesteps: number): Uint8Array {
  const parts = partition(q, target);
  const traffic = estimateTraffic(parts, null);
  const placed = place(parts, target, traffic, { seed: 1, chips: systemChips(target, parts.cores.length) });
  const routed = { ...placed.placed, traffic, routing: routeSpikes(placed.placed, placed.grid, target, traffic, null) };
  checkCapacity(routed, target);
  const backend = BACKENDS.find((b) => b.family === target.family);
  if (!backend) throw new Error(`no backend for ${target.family}`);
  return backend.encode(routed, target, { snncVersion: SNNC_VERSION, modelName: q.name, modelHash: createHash("sha256").update(q.name).digest("hex"), method: q.method, timesteps });
}
