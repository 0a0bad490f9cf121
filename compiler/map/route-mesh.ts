/**
 * @fileoverview Routing on meshed chips (Loihi): every (source core, destination core) pair of the traffic
 * gets a dimension-order route (X first, then Y) over the global tile mesh; link loads are the expected
 * spikes per step crossing each directed link. Per-core axon tables are produced by the backend from the
 * same partition (backends/loihi).
 */
import type { CoreLocation, MeshRouting, PlacedSnn, Traffic } from "../ir/mapped.ts";

export function routeMesh(p: PlacedSnn, traffic: Traffic): MeshRouting {
  const n = traffic.src.length;
  const hopsX = new Int32Array(n);
  const hopsY = new Int32Array(n);
  const linkLoad = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const a = p.placement[traffic.src[i] as number] as CoreLocation;
    const b = p.placement[traffic.dst[i] as number] as CoreLocation;
    hopsX[i] = Math.abs(a.tileX - b.tileX);
    hopsY[i] = Math.abs(a.tileY - b.tileY);
    const w = traffic.spikesPerStep[i] as number;
    for (const l of meshLinks(a.tileX, a.tileY, b.tileX, b.tileY)) linkLoad.set(l, (linkLoad.get(l) ?? 0) + w);
  }
  return { kind: "mesh", hopsX, hopsY, linkLoad };
}

/** Dimension-order (X then Y) mesh route (the rule whose length, |dx| + |dy|, the emulator charges as hops) from tile (sx, sy) to (dx, dy) as directed links. */
export function meshLinks(sx: number, sy: number, dx: number, dy: number): string[] {
  const out: string[] = [];
  let x = sx;
  while (x !== dx) {
    const step = dx > x ? 1 : -1;
    out.push(`${x},${sy},${step > 0 ? "E" : "W"}`);
    x += step;
  }
  let y = sy;
  while (y !== dy) {
    const step = dy > y ? 1 : -1;
    out.push(`${dx},${y},${step > 0 ? "N" : "S"}`);
    y += step;
  }
  return out;
}
