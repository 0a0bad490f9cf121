/**
 * @fileoverview The `partition` pass: QuantisedSnn → PartitionedSnn (blocks of neurons on cores) under every
 * per-core limit of the target at once.
 *
 * 1. Tiling, per population in topological order: candidate boxes bh × bw × bc (every distinct ceil(h/k),
 *    ceil(w/k), ceil(c/k)) sorted by the number of tiles, then by full channel depth and squareness; the
 *    first candidate whose every tile fits (exact accounting, resources.ts) wins. Spatial tiles keep a
 *    block's receptive field, hence its fan-in axons, small; full-depth tiles let one source spike hit one
 *    run of consecutive compartments per target pixel.
 * 2. Packing: blocks that leave a core mostly empty are packed first-fit (by decreasing size) onto cores of
 *    other populations when the combined exact accounting still fits.
 * 3. Fan-out: one axon per (source neuron, destination core) on meshes, one key per neuron on multicast
 *    targets. A core over its fan-out limit makes the population of its largest contributor retile with
 *    blocks smaller by the factor needed (at most 12 rounds), else SNNC402.
 * A population whose 1-neuron tile does not fit is SNNC402 naming the layer and the resource.
 */
import { fail } from "../diagnostics.ts";
import type { Block, Box, CoreResources, MappedCore, PartitionedSnn } from "../ir/mapped.ts";
import type { QPopulation, QuantisedSnn } from "../ir/quantised.ts";
import type { Target } from "../target/schema.ts";
import { receptiveBox } from "./axons.ts";
import { neuronView } from "./graded.ts";
import { accountCore, type CoreAccount, exceeded, type Limits, limitsOf, newCostContext, type CostContext } from "./resources.ts";

export interface PartitionOptions {
  /** Disable packing of small blocks (for comparisons). */
  readonly noPacking?: boolean;
}

const RESOURCE_WORDS: Record<keyof Limits, string> = {
  neurons: "compartments", fanInAxons: "fan-in axons", fanOutAxons: "fan-out axons", synapseBits: "synapse memory bits",
  neuronProfiles: "neuron profiles", synapseFormats: "synapse formats",
};

function distinctCeils(n: number): number[] {
  const out = new Set<number>();
  for (let k = 1; k <= n; k++) out.add(Math.ceil(n / k));
  return [...out].sort((a, b) => b - a);
}

interface Tiling {
  readonly bh: number;
  readonly bw: number;
  readonly bc: number;
  readonly tiles: number;
}

function candidates(shape: readonly [number, number, number], maxNeurons: number): Tiling[] {
  const [h, w, c] = shape;
  const out: Tiling[] = [];
  for (const bh of distinctCeils(h)) {
    for (const bw of distinctCeils(w)) {
      for (const bc of distinctCeils(c)) {
        if (bh * bw * bc > maxNeurons) continue;
        out.push({ bh, bw, bc, tiles: Math.ceil(h / bh) * Math.ceil(w / bw) * Math.ceil(c / bc) });
      }
    }
  }
  return out.sort((a, b) => a.tiles - b.tiles || b.bc - a.bc || Math.abs(a.bh - a.bw) - Math.abs(b.bh - b.bw) || b.bh - a.bh);
}

function tileBoxes(shape: readonly [number, number, number], t: Tiling): Box[] {
  const [h, w, c] = shape;
  const boxes: Box[] = [];
  for (let y0 = 0; y0 < h; y0 += t.bh) {
    for (let x0 = 0; x0 < w; x0 += t.bw) {
      for (let c0 = 0; c0 < c; c0 += t.bc) {
        boxes.push({ y0, y1: Math.min(h, y0 + t.bh), x0, x1: Math.min(w, x0 + t.bw), c0, c1: Math.min(c, c0 + t.bc) });
      }
    }
  }
  return boxes;
}

function sizeOf(b: Box): number {
  return (b.y1 - b.y0) * (b.x1 - b.x0) * (b.c1 - b.c0);
}

/**
 * A lower bound of a block's fan-in axons without visiting its synapses: per source population, the volume
 * of the largest receptive box of its projections, for connectivity whose receptive box has no gaps (every
 * source in it is connected: windows with dilation 1 and stride ≤ kernel; dense; one-to-one); 0 otherwise.
 */
function fanInLowerBound(q: QuantisedSnn, pop: QPopulation, box: Box): number {
  const perSource = new Map<number, number>();
  for (const pr of pop.inputs) {
    const c = pr.conn;
    if (c.kind === "sparse") continue;
    if (c.kind === "conv" || c.kind === "depthwise" || c.kind === "avgPool" || c.kind === "maxPool") {
      const g = c.geometry;
      if (g.dh !== 1 || g.dw !== 1 || g.sh > g.kh || g.sw > g.kw) continue;
    }
    const r = receptiveBox(c, box, q.populations[pr.source] as QPopulation);
    const v = Math.max(0, r.y1 - r.y0) * Math.max(0, r.x1 - r.x0) * Math.max(0, r.c1 - r.c0);
    perSource.set(pr.source, Math.max(perSource.get(pr.source) ?? 0, v));
  }
  let n = 0;
  for (const v of perSource.values()) n += v;
  return n;
}

/** Tiles one population: the candidate with the fewest tiles whose every tile fits. */
function tilePopulation(ctx: CostContext, pop: QPopulation, limits: Limits, maxTile: number, firstId: number): { boxes: Box[]; accounts: CoreAccount[] } {
  const cpn = ctx.compartments[pop.id] as number;
  const perCore = Math.min(Math.floor(limits.neurons / cpn), maxTile);
  let lastProblem: { resource: keyof Limits; value: number } | null = null;
  for (const t of candidates(pop.shape, perCore)) {
    const boxes = tileBoxes(pop.shape, t);
    // Candidates whose middle tile already has too many distinct inputs are rejected without an account.
    const bound = fanInLowerBound(ctx.q, pop, boxes[Math.floor(boxes.length / 2)] as Box);
    if (bound > limits.fanInAxons) {
      lastProblem = { resource: "fanInAxons", value: bound };
      continue;
    }
    // Probe the middle tile first (largest receptive field), then all of them.
    const order = [Math.floor(boxes.length / 2), ...boxes.keys()];
    const accounts: (CoreAccount | undefined)[] = new Array(boxes.length);
    let ok = true;
    for (const i of order) {
      if (accounts[i]) continue;
      const box = boxes[i] as Box;
      const acc = accountCore(ctx, [{ id: firstId + i, pop: pop.id, box, size: sizeOf(box) }]);
      const bad = exceeded(acc.resources, limits);
      if (bad) {
        lastProblem = { resource: bad, value: acc.resources[bad as keyof typeof acc.resources] as number };
        ok = false;
        break;
      }
      accounts[i] = acc;
    }
    if (ok) return { boxes, accounts: accounts as CoreAccount[] };
  }
  const what = lastProblem ? `${RESOURCE_WORDS[lastProblem.resource]} (${lastProblem.value} > ${limits[lastProblem.resource]})` : `compartments (${cpn} per neuron > ${limits.neurons})`;
  throw fail("SNNC402", `no split of this layer fits one core: even its smallest block exceeds ${what} on ${ctx.target.name}`, { layer: pop.name },
    lastProblem?.resource === "fanInAxons" ? "a neuron of this layer has more inputs than a core has axons: reduce the previous layer's size (e.g. pool before the dense layer)" : "reduce the layer's fan-in");
}

export function partition(full: QuantisedSnn, target: Target, options: PartitionOptions = {}): PartitionedSnn {
  // The neuro cores' network: compute nodes and graded projections go to the processors (map/graded.ts).
  const q = neuronView(full);
  const limits = limitsOf(target);
  const maxTile = q.populations.map(() => Infinity);
  for (let round = 0; round < 12; round++) {
    const result = partitionOnce(q, target, limits, maxTile, options);
    if ("partitioned" in result) return result.partitioned;
    for (const [p, size] of result.shrink) maxTile[p] = Math.min(maxTile[p] as number, size);
  }
  throw fail("SNNC402", "fan-out axons exceed the per-core limit even with small blocks", {}, "the network's fan-out is too large for the target");
}

/** A partition, or the populations whose blocks must shrink (to at most this many neurons) for fan-out. */
type Attempt = { partitioned: PartitionedSnn } | { shrink: Map<number, number> };

function partitionOnce(q: QuantisedSnn, target: Target, limits: Limits, maxTile: number[], options: PartitionOptions): Attempt {
  const ctx = newCostContext(q, target);
  const blocks: Block[] = [];
  const accounts: CoreAccount[] = [];
  const popBlocks: number[][] = [];
  for (const pop of q.populations) {
    // ECMT compute nodes run on the processor cores (map/compute.ts), not on neuro cores.
    if (pop.compute) {
      popBlocks.push([]);
      continue;
    }
    const { boxes, accounts: acc } = tilePopulation(ctx, pop, limits, maxTile[pop.id] as number, blocks.length);
    const ids: number[] = [];
    boxes.forEach((box, i) => {
      const id = blocks.length;
      blocks.push({ id, pop: pop.id, box, size: sizeOf(box) });
      ctx.blockSizes[id] = sizeOf(box);
      accounts.push(acc[i] as CoreAccount);
      ids.push(id);
      markBlock(ctx, pop, box, id);
    });
    popBlocks.push(ids);
  }
  // Packing: cores start as one block each; small blocks join cores of other populations.
  const coreBlocks: number[][] = blocks.map((b) => [b.id]);
  const coreAccount: CoreAccount[] = [...accounts];
  if (!options.noPacking) pack(ctx, blocks, coreBlocks, coreAccount, limits);
  const live = coreBlocks.map((_, i) => i).filter((i) => (coreBlocks[i] as number[]).length > 0);
  const blockCore = new Int32Array(blocks.length);
  live.forEach((ci, k) => {
    for (const b of coreBlocks[ci] as number[]) blockCore[b] = k;
  });
  // Fan-out: per destination core, each distinct source neuron is one axon of the source's core (mesh), or
  // each neuron with any target is one key (multicast). Counted per block, summed per core.
  const blockFanOut = new Float64Array(blocks.length);
  const multicast = target.routing.kind === "multicast-keymask";
  const hasTarget = multicast ? q.populations.map((p) => new Uint8Array(p.size)) : null;
  for (const ci of live) {
    const acc = coreAccount[ci] as CoreAccount;
    for (const { pop, neurons } of acc.axonSources) {
      const nb = ctx.neuronBlock[pop] as Int32Array;
      for (let i = 0; i < neurons.length; i++) {
        const s = neurons[i] as number;
        if (hasTarget) (hasTarget[pop] as Uint8Array)[s] = 1;
        else blockFanOut[nb[s] as number] = (blockFanOut[nb[s] as number] as number) + 1;
      }
    }
  }
  for (const b of blocks) {
    if ((ctx.compartments[b.pop] as number) > 1) blockFanOut[b.id] = (blockFanOut[b.id] as number) + b.size; // self axons
    if (hasTarget) {
      const mark = hasTarget[b.pop] as Uint8Array;
      let n = 0;
      forEachNeuron(q.populations[b.pop] as QPopulation, b.box, (s) => {
        n += mark[s] as number;
      });
      blockFanOut[b.id] = (blockFanOut[b.id] as number) + n;
    }
  }
  const fanOut = live.map((ci) => (coreBlocks[ci] as number[]).reduce((a, b) => a + (blockFanOut[b] as number), 0));
  // Over the limit: shrink the population of the core's largest contributor by the factor needed.
  const shrink = new Map<number, number>();
  live.forEach((ci, k) => {
    const f = fanOut[k] as number;
    if (f <= limits.fanOutAxons) return;
    const members = coreBlocks[ci] as number[];
    const worst = members.reduce((a, b) => ((blockFanOut[b] as number) > (blockFanOut[a] as number) ? b : a));
    const blk = blocks[worst] as Block;
    const size = Math.max(1, Math.floor(blk.size * (limits.fanOutAxons / f) * 0.95));
    shrink.set(blk.pop, Math.min(shrink.get(blk.pop) ?? Infinity, size));
  });
  if (shrink.size > 0) return { shrink };
  const cores: MappedCore[] = live.map((ci, k) => {
    const r = (coreAccount[ci] as CoreAccount).resources;
    const resources: CoreResources = { ...r, fanOutAxons: fanOut[k] as number };
    return { id: k, blocks: coreBlocks[ci] as number[], resources };
  });
  return { partitioned: { q, blocks, cores, popBlocks, blockCore, compartments: ctx.compartments } };
}

function forEachNeuron(pop: QPopulation, box: Box, f: (s: number) => void): void {
  const [, w, c] = pop.shape;
  for (let y = box.y0; y < box.y1; y++) for (let x = box.x0; x < box.x1; x++) for (let k = box.c0; k < box.c1; k++) f((y * w + x) * c + k);
}

function markBlock(ctx: CostContext, pop: QPopulation, box: Box, id: number): void {
  const nb = ctx.neuronBlock[pop.id] as Int32Array;
  forEachNeuron(pop, box, (s) => {
    nb[s] = id;
  });
}

/**
 * Packing: each block using under half of the neuron, fan-in and synapse limits tries (largest first) to join
 * a core of another population with room left, best fit by compartments first, checking the exact combined
 * accounting; at most 48 hosts are tried per block.
 */
function pack(ctx: CostContext, blocks: Block[], coreBlocks: number[][], coreAccount: CoreAccount[], limits: Limits): void {
  const small = (a: CoreAccount) => {
    const r = a.resources;
    return r.neurons * 2 <= limits.neurons && r.fanInAxons * 2 <= limits.fanInAxons && r.synapseBits * 2 <= limits.synapseBits;
  };
  const movable = blocks.map((b) => b.id).filter((i) => small(coreAccount[i] as CoreAccount))
    .sort((a, b) => (coreAccount[b] as CoreAccount).resources.neurons - (coreAccount[a] as CoreAccount).resources.neurons || a - b);
  for (const bi of movable) {
    if ((coreBlocks[bi] as number[]).length !== 1) continue; // already hosts others: stays
    const blk = blocks[bi] as Block;
    const need = (coreAccount[bi] as CoreAccount).resources.neurons;
    const hosts = coreBlocks
      .map((members, ci) => ({ ci, members, used: (coreAccount[ci] as CoreAccount | undefined)?.resources.neurons ?? 0 }))
      .filter((h) => h.ci !== bi && h.members.length > 0 && h.used + need <= limits.neurons && !h.members.some((m) => (blocks[m] as Block).pop === blk.pop))
      .sort((a, b) => b.used - a.used || a.ci - b.ci)
      .slice(0, 48);
    for (const h of hosts) {
      const acc = accountCore(ctx, [...h.members, bi].map((m) => blocks[m] as Block));
      if (exceeded(acc.resources, limits)) continue;
      h.members.push(bi);
      coreAccount[h.ci] = acc;
      coreBlocks[bi] = [];
      break;
    }
  }
}
