/**
 * @fileoverview The route pass's choice by target: dimension-order mesh routes (Loihi) or multicast key/mask
 * tables with compression (SpiNNaker). `rates`: spikes per neuron per step of each population (traffic
 * weights for the tables' statistics), null when no data was simulated.
 */
import type { MeshRouting, MulticastRouting, PlacedSnn, SystemGrid, Traffic } from "../ir/mapped.ts";
import type { Target } from "../target/schema.ts";
import { routeMesh } from "./route-mesh.ts";
import { routeMulticast } from "./route-multicast.ts";

export function routeSpikes(p: PlacedSnn, grid: SystemGrid, target: Target, traffic: Traffic, rates: readonly number[] | null): MeshRouting | MulticastRouting {
  return target.routing.kind === "mesh-dimension-order" ? routeMesh(p, traffic) : routeMulticast(p, grid, target, rates);
}
