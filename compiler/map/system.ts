/**
 * @fileoverview The system a network is placed on: the chip grid (the target's, or a bigger one asked for
 * with --chips), the order in which core slots are filled, and the hop distance between two cores.
 *
 * Meshed chips (Loihi): all chips' tiles form one global mesh; a core at tile (tx, ty) of chip (cx, cy) is
 * at global tile (cx·tilesX + tx, cy·tilesY + ty); cores of one tile share a router (0 hops between them);
 * otherwise hops = Manhattan distance between global tiles (dimension-order routing).
 * Crossbar chips (SpiNNaker): cores of one chip share the chip's router (0 hops); between chips the hops
 * are the shortest path on the triangular torus.
 */
import type { CoreLocation, SystemGrid } from "../ir/mapped.ts";
import type { Target } from "../target/schema.ts";
import { hexDistance } from "./spinnaker/geometry.ts";

export type { SystemGrid };

/** The target's chip grid, or the smallest near-square grid of at least `chips` chips. */
export function systemGrid(target: Target, chips?: number): SystemGrid {
  const layout = target.system.coreLayout;
  let chipsX = target.system.chips.width;
  let chipsY = target.system.chips.height;
  if (chips !== undefined && chips !== chipsX * chipsY) {
    chipsX = Math.ceil(Math.sqrt(chips));
    chipsY = Math.ceil(chips / chipsX);
  }
  return {
    chipsX, chipsY, torus: target.system.chips.kind === "hex-torus",
    coresPerChip: target.system.usableCoresPerChip.value,
    tilesX: layout.kind === "mesh2d" ? layout.tilesX : 1,
    tilesY: layout.kind === "mesh2d" ? layout.tilesY : 1,
    coresPerTile: layout.kind === "mesh2d" ? layout.coresPerTile : target.system.usableCoresPerChip.value,
  };
}

/** Serpentine order over a w × h grid: rows alternate direction, so consecutive cells are neighbours. */
function serpentine(w: number, h: number): [number, number][] {
  const out: [number, number][] = [];
  for (let y = 0; y < h; y++) for (let i = 0; i < w; i++) out.push([y % 2 === 0 ? i : w - 1 - i, y]);
  return out;
}

/** Every core slot of the first `chips` chips (serpentine over chips, then over tiles, then slots). */
export function coreSlots(g: SystemGrid, chips: number): CoreLocation[] {
  const slots: CoreLocation[] = [];
  const tiles = serpentine(g.tilesX, g.tilesY);
  for (const [cx, cy] of serpentine(g.chipsX, g.chipsY).slice(0, chips)) {
    let index = 0;
    for (const [tx, ty] of tiles) {
      for (let k = 0; k < g.coresPerTile && index < g.coresPerChip; k++) {
        slots.push({ chipX: cx, chipY: cy, index, tileX: cx * g.tilesX + tx, tileY: cy * g.tilesY + ty });
        index++;
      }
    }
  }
  return slots;
}

export function hops(g: SystemGrid, a: CoreLocation, b: CoreLocation): number {
  if (g.torus) {
    if (a.chipX === b.chipX && a.chipY === b.chipY) return 0;
    return hexDistance([a.chipX, a.chipY], [b.chipX, b.chipY], g.chipsX, g.chipsY);
  }
  return Math.abs(a.tileX - b.tileX) + Math.abs(a.tileY - b.tileY);
}
