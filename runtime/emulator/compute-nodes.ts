/**
 * @fileoverview The emulator's ECMT compute nodes and graded projections (the binary's CMPT section), in the
 * fixed point of runtime/compute.ts — the same functions the integer reference model calls, so the two agree
 * bit for bit.
 *
 * Load: DecodedBinary → ComputeNetwork (per node its state; per graded projection its effective weights
 * m · 2^shift and the global neuron indices of a neuron destination). Step t (after the neurons have spiked):
 *   1. each node takes the inputs delivered for t, accumulates S (S_L, S_R) and, inside its window
 *      (τ = t − depth + 1 ≥ 1), runs its EC step: its nonzero payloads (the cumulative output's gain since the
 *      last step, value · 2^(15 − payload shift), saturated to the packets' width) are its output;
 *   2. every graded projection sums payload × weight of its source's events of step t exactly per target,
 *      divides by 2^payloadShift (rounded half away from zero, once per target and step) and adds the result
 *      to the slot t + delay of the destination (a node's operand buffer, or the neurons' input ring).
 * Counters: synaptic events into nodes (one MAC each), node cycles (events · cycles per MAC + the EC and
 * operator work of runtime/compute.ts computeOpsPerStep at the processor's cycles per operation, shared over
 * the node's processors by their units), the busiest processor's cycles per step, graded packets (one per
 * event per projection) and their link hops. Graded events into neuron populations count as the destination
 * neuro cores' synaptic ops (graded spikes; not in the cores' busy time).
 */
import { RuntimeError } from "../errors.ts";
import {
  computeOpsPerStep, type ComputeShape, ecAccumulate, ecFixedMatmulStep, ecFixedStep, type FixedMatmul, type FixedOp, type PayloadFormat,
  payloadFormat, shiftRound,
} from "../compute.ts";
import type { DecodedBinary, DecodedComputeNode, DecodedGradedProjection } from "../format/decoded.ts";
import { type WindowTaps, windowTaps } from "../window.ts";

interface NodeState {
  readonly d: DecodedComputeNode;
  readonly depth: number;
  readonly op: FixedOp | null;
  readonly mm: FixedMatmul | null;
  readonly left: number;
  readonly right: number;
  /** Operand input rings [R][left] and [R][right]. */
  readonly inL: Float64Array[];
  readonly inR: Float64Array[];
  readonly S: Float64Array;
  readonly SR: Float64Array;
  readonly E: Float64Array;
  readonly payload: Float64Array;
  readonly mean: Float64Array;
  readonly fx: Float64Array;
  /** Its payloads: value · 2^(15 − shift), saturated to the packets' width (the binary's CMPT fields). */
  readonly format: PayloadFormat;
  readonly outIdx: Int32Array;
  readonly outPayload: Int32Array;
  outCount: number;
  /** Cycles of the EC and operator work per step; per processor, its share of the node's units. */
  readonly fixedCycles: number;
  readonly shares: Float64Array;
  readonly processorSlots: Int32Array;
  events: number;
}

interface ProjectionState {
  readonly p: DecodedGradedProjection;
  readonly w: Float64Array;
  /** Node index of a compute source / destination (−1: a neuron population). */
  readonly srcNode: number;
  readonly dstNode: number;
  /** Global neuron index of each destination element (neuron destinations). */
  readonly dstGlobal: Int32Array | null;
  readonly scratch: Float64Array;
  /** A convolution's windows per input pixel (runtime/window.ts), built at load. */
  readonly taps: WindowTaps | null;
}

export interface ComputeNetwork {
  readonly nodes: readonly NodeState[];
  readonly projections: readonly ProjectionState[];
  /** Per population: its graded projections out (indices). */
  readonly outOf: readonly (readonly number[])[];
  readonly maxDelay: number;
  readonly processor: NonNullable<DecodedBinary["compute"]>["processor"];
  readonly processorCount: number;
  /** This step's events of each neuron population that is a graded source (local index, payload). */
  readonly srcIdx: (Int32Array | null)[];
  readonly srcPayload: (Int32Array | null)[];
  readonly srcCount: Int32Array;
  readonly processorCycles: Float64Array;
  /** Per neuron population: synaptic events its graded projections delivered since the last `emulate` began
   * (the run adds them to the population's synaptic ops: graded input and fine multi-threshold payloads). */
  readonly srcEvents: Float64Array;
}

export interface ComputeCounters {
  /** Graded events into neuron populations are synaptic ops of their neuro cores (graded spikes). */
  synapticOps: number;
  computeEvents: number;
  computeCycles: number;
  computeBusiestCycles: number;
  gradedPackets: number;
  gradedHops: number;
}

function fixedOpOf(d: DecodedComputeNode): FixedOp | null {
  switch (d.op) {
    case "gelu": return { kind: "gelu", lut: d.lut };
    case "softmax": return { kind: "softmax", groupSize: d.group, lut: d.lut };
    case "layerNorm": return { kind: "layerNorm", features: d.group, epsilon: d.epsilon, gamma: d.gamma, beta: d.beta, lut: d.lut };
    case "sum": return { kind: "sum" };
    case "matmul": return null;
  }
}

function shapeOf(d: DecodedComputeNode): ComputeShape {
  switch (d.op) {
    case "gelu": return { kind: "gelu", size: d.size };
    case "softmax": return { kind: "softmax", size: d.size, groupSize: d.group };
    case "layerNorm": return { kind: "layerNorm", size: d.size, features: d.group };
    case "sum": return { kind: "sum", size: d.size };
    case "matmul": return { kind: "matmul", size: d.size, op: d.matmul as FixedMatmul };
  }
}

export function loadComputeNetwork(b: DecodedBinary, popOf: Int32Array, popIndex: Int32Array): ComputeNetwork | null {
  const c = b.compute;
  if (!c) return null;
  const pops = b.meta.populations;
  const maxDelay = Math.max(1, ...c.projections.map((p) => p.delay));
  const R = maxDelay + 1;
  const proc = c.processor;
  const slotOf = (a: { chipX: number; chipY: number; index: number }): number => (a.chipY * b.system.chipsX + a.chipX) * proc.perChip + a.index;
  const processorCount = b.system.chipsX * b.system.chipsY * proc.perChip;
  const nodeOf = new Int32Array(pops.length).fill(-1);
  const nodes: NodeState[] = c.nodes.map((d, k) => {
    nodeOf[d.pop] = k;
    const mm = d.matmul;
    const left = mm ? mm.rows * mm.heads * mm.inner : d.size;
    const right = mm ? (mm.rightTransposed ? mm.cols * mm.heads * mm.inner : mm.inner * mm.heads * mm.cols) : 0;
    const ops = computeOpsPerStep(shapeOf(d));
    const fixedCycles = ops.mac * proc.cyclesPerMac + ops.add * proc.cyclesPerAdd + ops.lookup * proc.cyclesPerLookup + ops.divide * proc.cyclesPerDivide;
    return {
      d, depth: pops[d.pop]?.depth ?? 0, op: fixedOpOf(d), mm, left, right,
      inL: Array.from({ length: R }, () => new Float64Array(left)), inR: Array.from({ length: R }, () => new Float64Array(right)),
      S: new Float64Array(left), SR: new Float64Array(right), E: new Float64Array(d.size), payload: new Float64Array(d.size),
      mean: new Float64Array(d.size), fx: new Float64Array(d.size), format: payloadFormat(d.payloadShift, d.payloadBits), outIdx: new Int32Array(d.size), outPayload: new Int32Array(d.size), outCount: 0,
      fixedCycles, shares: Float64Array.from(d.assignments, (a) => (a.unitEnd - a.unitStart) / d.units),
      processorSlots: Int32Array.from(d.assignments, slotOf), events: 0,
    };
  });
  const globalOf = pops.map(() => null as Int32Array | null);
  for (let i = 0; i < popOf.length; i++) {
    const p = popOf[i] as number;
    if (p < 0) continue;
    let g = globalOf[p];
    if (!g) {
      const s = pops[p]?.shape ?? [0, 0, 0];
      g = globalOf[p] = new Int32Array(s[0] * s[1] * s[2]).fill(-1);
    }
    g[popIndex[i] as number] = i;
  }
  const outOf: number[][] = pops.map(() => []);
  const projections: ProjectionState[] = c.projections.map((p, k) => {
    const srcNode = nodeOf[p.src] as number;
    const dstNode = nodeOf[p.dst] as number;
    let dstGlobal: Int32Array | null = null;
    if (dstNode < 0) {
      dstGlobal = globalOf[p.dst] ?? null;
      if (!dstGlobal || dstGlobal.includes(-1)) throw new RuntimeError("SNNC509", `graded projection ${k} goes to population ${p.dst}, which is not on the neuro cores`);
    } else if (srcNode < 0 && !globalOf[p.src]) {
      throw new RuntimeError("SNNC509", `graded projection ${k} comes from population ${p.src}, which is neither a compute node nor on the neuro cores`);
    }
    (outOf[p.src] as number[]).push(k);
    const w = Float64Array.from(p.weights, (m) => m * 2 ** (m < 0 ? p.negShift : p.posShift));
    return { p, w, srcNode, dstNode, dstGlobal, scratch: new Float64Array(p.dstSize), taps: p.geometry ? windowTaps(p.geometry) : null };
  });
  const srcIdx = pops.map((_, p) => ((outOf[p] as number[]).length > 0 && nodeOf[p] === -1 ? new Int32Array(globalOf[p]?.length ?? 0) : null));
  return {
    nodes, projections, outOf, maxDelay, processor: proc, processorCount, srcIdx, srcPayload: srcIdx.map((x) => (x ? new Int32Array(x.length) : null)),
    srcCount: new Int32Array(pops.length), processorCycles: new Float64Array(processorCount), srcEvents: new Float64Array(pops.length),
  };
}

export function resetCompute(cn: ComputeNetwork): void {
  for (const n of cn.nodes) {
    for (const r of n.inL) r.fill(0);
    for (const r of n.inR) r.fill(0);
    n.S.fill(0);
    n.SR.fill(0);
    n.E.fill(0);
    n.outCount = 0;
  }
}

/** Adds Σ payload × weight of the source's events into `out` (exact); returns the synaptic events. */
function accumulate(ps: ProjectionState, idx: Int32Array, payload: Int32Array, n: number, out: Float64Array): number {
  const p = ps.p;
  const w = ps.w;
  const D = p.dstSize;
  let events = 0;
  for (let k = 0; k < n; k++) {
    const i = idx[k] as number;
    const pl = payload[k] as number;
    switch (p.conn) {
      case "dense": {
        const row = i * D;
        for (let j = 0; j < D; j++) out[j] = (out[j] as number) + pl * (w[row + j] as number);
        events += D;
        break;
      }
      case "oneToOne":
        out[i] = (out[i] as number) + pl * (w[i % w.length] as number);
        events += 1;
        break;
      case "sparse": {
        const rs = p.rowStart as Uint32Array;
        const col = p.col as Uint32Array;
        for (let e = rs[i] as number; e < (rs[i + 1] as number); e++) out[col[e] as number] = (out[col[e] as number] as number) + pl * (w[e] as number);
        events += (rs[i + 1] as number) - (rs[i] as number);
        break;
      }
      case "conv": {
        const g = p.geometry as NonNullable<DecodedGradedProjection["geometry"]>;
        const taps = ps.taps as WindowTaps;
        const c = i % g.inC;
        const pix = (i - c) / g.inC;
        for (let e = taps.start[pix] as number; e < (taps.start[pix + 1] as number); e++) {
          const o = taps.out[e] as number;
          const wb = ((taps.tap[e] as number) * g.inC + c) * g.outC;
          for (let co = 0; co < g.outC; co++) out[o + co] = (out[o + co] as number) + pl * (w[wb + co] as number);
          events += g.outC;
        }
        break;
      }
    }
  }
  return events;
}

/**
 * Step t of the compute nodes and graded projections. `spikeIdx`/`spikePayload`/`n`: the neurons' spikes of
 * step t (global indices); `ring`/`R`: the neurons' input ring. `onCompute` sees each node's payloads.
 */
export function stepCompute(
  cn: ComputeNetwork, t: number, spikeIdx: Int32Array, spikePayload: Int32Array, n: number, popOf: Int32Array, popIndex: Int32Array,
  ring: readonly Float64Array[], R: number, counters: ComputeCounters,
  onCompute?: (t: number, pop: number, idx: Int32Array, payload: Int32Array, count: number) => void,
): void {
  const proc = cn.processor;
  cn.processorCycles.fill(0);
  // 1. the nodes' EC steps
  const Rc = cn.maxDelay + 1;
  for (const node of cn.nodes) {
    const slot = t % Rc;
    const tau = t - node.depth + 1;
    const inWindow = tau >= 1;
    const inL = node.inL[slot] as Float64Array;
    if (node.mm) {
      const inR = node.inR[slot] as Float64Array;
      ecAccumulate(node.S, inL, null, inWindow);
      ecAccumulate(node.SR, inR, null, inWindow);
      if (inWindow) ecFixedMatmulStep(node.mm, tau, node.S, node.SR, node.E, node.payload, node.format);
      inR.fill(0);
    } else {
      ecAccumulate(node.S, inL, node.d.offset, inWindow);
      if (inWindow) ecFixedStep(node.op as FixedOp, tau, node.S, node.E, node.payload, node.mean, node.fx, node.format);
    }
    inL.fill(0);
    let k = 0;
    if (inWindow) {
      for (let j = 0; j < node.d.size; j++) {
        const v = node.payload[j] as number;
        if (v !== 0) {
          node.outIdx[k] = j;
          node.outPayload[k] = v;
          k++;
        }
      }
    }
    node.outCount = k;
    if (onCompute) onCompute(t, node.d.pop, node.outIdx, node.outPayload, k);
    // cycles of this step: the input events it took (MACs) and, in the window, the EC and operator work
    const cycles = node.events * proc.cyclesPerMac + (inWindow ? node.fixedCycles : 0);
    counters.computeEvents += node.events;
    counters.computeCycles += cycles;
    for (let a = 0; a < node.shares.length; a++) {
      const s = node.processorSlots[a] as number;
      cn.processorCycles[s] = (cn.processorCycles[s] as number) + cycles * (node.shares[a] as number);
    }
    node.events = 0;
  }
  let busiest = 0;
  for (let s = 0; s < cn.processorCount; s++) if ((cn.processorCycles[s] as number) > busiest) busiest = cn.processorCycles[s] as number;
  counters.computeBusiestCycles += busiest;
  // 2. the neurons' events per graded source population
  cn.srcCount.fill(0);
  for (let k = 0; k < n; k++) {
    const g = spikeIdx[k] as number;
    const p = popOf[g] as number;
    const idx = cn.srcIdx[p];
    if (!idx) continue;
    const c = cn.srcCount[p] as number;
    idx[c] = popIndex[g] as number;
    (cn.srcPayload[p] as Int32Array)[c] = spikePayload[k] as number;
    cn.srcCount[p] = c + 1;
  }
  // 3. graded projections: exact sums, one rounding per target and step, into slot t + delay
  for (const ps of cn.projections) {
    const p = ps.p;
    let idx: Int32Array;
    let payload: Int32Array;
    let count: number;
    if (ps.srcNode >= 0) {
      const src = cn.nodes[ps.srcNode] as NodeState;
      idx = src.outIdx;
      payload = src.outPayload;
      count = src.outCount;
    } else {
      idx = cn.srcIdx[p.src] as Int32Array;
      payload = cn.srcPayload[p.src] as Int32Array;
      count = cn.srcCount[p.src] as number;
    }
    if (count === 0) continue;
    counters.gradedPackets += count;
    counters.gradedHops += count * p.hops;
    const s = ps.scratch;
    s.fill(0);
    const events = accumulate(ps, idx, payload, count, s);
    if (ps.srcNode < 0) cn.srcEvents[p.src] = (cn.srcEvents[p.src] as number) + events;
    if (ps.dstNode >= 0) {
      const dst = cn.nodes[ps.dstNode] as NodeState;
      dst.events += events;
      const buf = (p.right ? dst.inR : dst.inL)[(t + p.delay) % Rc] as Float64Array;
      addScaled(s, buf, null, p.payloadShift);
    } else {
      counters.synapticOps += events;
      addScaled(s, ring[(t + p.delay) % R] as Float64Array, ps.dstGlobal, p.payloadShift);
    }
  }
}

function addScaled(s: Float64Array, out: Float64Array, index: Int32Array | null, shift: number): void {
  for (let j = 0; j < s.length; j++) {
    const x = s[j] as number;
    if (x === 0) continue;
    if (Math.abs(x) >= 2 ** 53) throw new RuntimeError("SNNC507", "a graded input sum exceeds 2^53 (not exact)");
    const v = shift > 0 ? shiftRound(x, shift) : x;
    const o = index ? (index[j] as number) : j;
    out[o] = (out[o] as number) + v;
  }
}
