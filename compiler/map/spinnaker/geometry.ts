/**
 * @fileoverview SpiNNaker mapping, geometry: links, neighbours, distances and shortest paths on the
 * triangular (hexagonal) torus of SpiNNaker chips.
 *
 * Input: chip coordinates (x, y) with 0 ≤ x < W, 0 ≤ y < H. Output: neighbours, hop distances, link lists.
 *
 * Model. Each chip has six links, numbered as the router numbers them: E=0 (+1,0), NE=1 (+1,+1), N=2 (0,+1),
 * W=3 (−1,0), SW=4 (−1,−1), S=5 (0,−1). Link k and link (k+3) % 6 are opposite. Coordinates wrap modulo W
 * and H. A packet sent on link k arrives at the neighbour on that chip's link (k+3) % 6.
 *
 * Distance. Without wrap-around the hop count of a displacement (dx, dy) is max(|dx|, |dy|) when dx and dy
 * have the same sign (the NE/SW diagonal moves both by 1) and |dx| + |dy| otherwise. On the torus a
 * displacement is any (dx0 + iW, dy0 + jH); since that metric grows with |dx| for a fixed dy (and vice
 * versa), only dx ∈ {dx0, dx0 − W} and dy ∈ {dy0, dy0 − H} (dx0, dy0 ∈ [0, W), [0, H)) can be shortest,
 * so four candidates are compared.
 *
 * Path (deterministic). Among the shortest candidate displacements the first in the order (dx0, dy0),
 * (dx0 − W, dy0), (dx0, dy0 − H), (dx0 − W, dy0 − H) wins. The displacement splits into at most two
 * straight legs: diagonal (NE/SW) plus the rest along E/W or N/S when the signs agree, else an E/W leg and
 * an N/S leg. "Longest leg first": the path takes all steps of the longer leg, then the shorter one (ties:
 * the lower link number first). Paths in similar directions therefore share their first hops, which makes
 * multicast trees built from them share more links.
 */

export type Chip = readonly [number, number];

export const LINK_E = 0;
export const LINK_NE = 1;
export const LINK_N = 2;
export const LINK_W = 3;
export const LINK_SW = 4;
export const LINK_S = 5;
export const LINK_NAMES = ["E", "NE", "N", "W", "SW", "S"] as const;

const DX = Int8Array.of(1, 1, 0, -1, -1, 0);
const DY = Int8Array.of(0, 1, 1, 0, -1, -1);

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}

function checkLink(link: number): void {
  if (!Number.isInteger(link) || link < 0 || link > 5) throw new Error(`internal: bad SpiNNaker link ${link}`);
}

/** Direction vector (dx, dy) of a link. */
export function linkDelta(link: number): [number, number] {
  checkLink(link);
  return [DX[link] as number, DY[link] as number];
}

/** The link pointing the other way: (link + 3) % 6. */
export function oppositeLink(link: number): number {
  checkLink(link);
  return (link + 3) % 6;
}

/** The chip reached from (x, y) through `link`, wrapping on the W × H torus. */
export function neighbour(x: number, y: number, link: number, W: number, H: number): [number, number] {
  checkLink(link);
  return [mod(x + (DX[link] as number), W), mod(y + (DY[link] as number), H)];
}

/** Hop count of a displacement on the infinite triangular lattice. */
export function latticeDistance(dx: number, dy: number): number {
  return (dx >= 0) === (dy >= 0) || dx === 0 || dy === 0 ? Math.max(Math.abs(dx), Math.abs(dy)) : Math.abs(dx) + Math.abs(dy);
}

/** The shortest displacement (dx, dy) from a to b on the torus (deterministic tie-break, see header). */
export function shortestVector(a: Chip, b: Chip, W: number, H: number): [number, number] {
  const dx0 = mod(b[0] - a[0], W);
  const dy0 = mod(b[1] - a[1], H);
  let bx = dx0;
  let by = dy0;
  let best = latticeDistance(dx0, dy0);
  const xs = dx0 === 0 ? [0] : [dx0, dx0 - W];
  const ys = dy0 === 0 ? [0] : [dy0, dy0 - H];
  for (const dy of ys) {
    for (const dx of xs) {
      const d = latticeDistance(dx, dy);
      if (d < best) {
        best = d;
        bx = dx;
        by = dy;
      }
    }
  }
  return [bx, by];
}

/** Shortest number of hops from a to b on the W × H triangular torus. */
export function hexDistance(a: Chip, b: Chip, W: number, H: number): number {
  const [dx, dy] = shortestVector(a, b, W, H);
  return latticeDistance(dx, dy);
}

/** The (at most two) straight legs of a displacement: [link, steps] pairs, longest first. */
export function legs(dx: number, dy: number): [number, number][] {
  const out: [number, number][] = [];
  if ((dx > 0 && dy > 0) || (dx < 0 && dy < 0)) {
    const diag = Math.min(Math.abs(dx), Math.abs(dy));
    const pos = dx > 0;
    out.push([pos ? LINK_NE : LINK_SW, diag]);
    const rx = Math.abs(dx) - diag;
    const ry = Math.abs(dy) - diag;
    if (rx > 0) out.push([pos ? LINK_E : LINK_W, rx]);
    if (ry > 0) out.push([pos ? LINK_N : LINK_S, ry]);
  } else {
    if (dx !== 0) out.push([dx > 0 ? LINK_E : LINK_W, Math.abs(dx)]);
    if (dy !== 0) out.push([dy > 0 ? LINK_N : LINK_S, Math.abs(dy)]);
  }
  out.sort((p, q) => q[1] - p[1] || p[0] - q[0]);
  return out;
}

/** A deterministic shortest path from a to b as a list of links (longest leg first, see header). */
export function shortestPath(a: Chip, b: Chip, W: number, H: number): number[] {
  const [dx, dy] = shortestVector(a, b, W, H);
  const path: number[] = [];
  for (const [link, steps] of legs(dx, dy)) for (let i = 0; i < steps; i++) path.push(link);
  return path;
}

/** Chip index used by tables and trees: y * W + x. */
export function chipIndex(x: number, y: number, W: number): number {
  return y * W + x;
}
