/**
 * @fileoverview Following one SpiNNaker multicast packet through the binary's routing tables: from the
 * source chip, each chip's table is searched in order (first match: (key & mask) === entry key); the route's
 * link bits send copies to neighbours on the triangular torus, its core bits deliver locally; a packet that
 * matches nothing continues straight through (default routing) or, at its source chip, is dropped.
 * Links: E=0 (+1,0), NE=1 (+1,+1), N=2 (0,+1), W=3 (−1,0), SW=4 (−1,−1), S=5 (0,−1); bit 6 + p = core p.
 */
import { RuntimeError } from "../errors.ts";
import type { DecodedBinary } from "../format/decoded.ts";

const DX = [1, 1, 0, -1, -1, 0];
const DY = [0, 1, 1, 0, -1, -1];

export interface MulticastTree {
  readonly dests: { readonly chipX: number; readonly chipY: number; readonly core: number }[];
  /** Links traversed, "x,y,link" (chip and outgoing link). */
  readonly links: string[];
  /** Longest path in hops from the source to a destination. */
  readonly depth: number;
  /** The packet matched nothing on its source chip and was dropped there. */
  readonly dropped: boolean;
}

export function traceMulticast(b: DecodedBinary, srcX: number, srcY: number, key: number): MulticastTree {
  if (b.routing.kind !== "spinnaker") throw new RuntimeError("SNNC504", "no multicast routing tables");
  const W = b.system.chipsX;
  const H = b.system.chipsY;
  const tables = new Map(b.routing.tables.map((t) => [`${t.x},${t.y}`, t]));
  const dests: MulticastTree["dests"] = [];
  const links: string[] = [];
  let depth = 0;
  const visited = new Set<string>();
  // (x, y, link it arrived on or −1 at the source, hops so far)
  const queue: [number, number, number, number][] = [[srcX, srcY, -1, 0]];
  while (queue.length > 0) {
    const [x, y, inLink, hops] = queue.shift() as [number, number, number, number];
    const at = `${x},${y}`;
    if (visited.has(at)) throw new RuntimeError("SNNC504", `key 0x${key.toString(16)} reaches chip (${at}) twice: the routing tables loop`);
    visited.add(at);
    if (hops > W * H * 2) throw new RuntimeError("SNNC504", `key 0x${key.toString(16)} travels more than ${W * H * 2} hops`);
    const t = tables.get(at);
    let route = -1;
    if (t) {
      for (let e = 0; e < t.keys.length; e++) {
        if (((key & (t.masks[e] as number)) >>> 0) === (t.keys[e] as number)) {
          route = t.routes[e] as number;
          break;
        }
      }
    }
    if (route < 0) {
      // No entry at the source chip: the router drops the packet (a neuron with no targets sends nowhere).
      if (inLink < 0) return { dests, links, depth, dropped: true };
      route = 1 << ((inLink + 3) % 6); // default route: straight through
    }
    for (let p = 0; p < 26; p++) {
      if (route & (1 << (6 + p))) {
        dests.push({ chipX: x, chipY: y, core: p });
        depth = Math.max(depth, hops);
      }
    }
    for (let l = 0; l < 6; l++) {
      if (!(route & (1 << l))) continue;
      links.push(`${x},${y},${l}`);
      // The receiver sees the packet arrive on the opposite link.
      queue.push([(((x + (DX[l] as number)) % W) + W) % W, (((y + (DY[l] as number)) % H) + H) % H, (l + 3) % 6, hops + 1]);
    }
  }
  return { dests, links, depth, dropped: false };
}
