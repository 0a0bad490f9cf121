/**
 * @fileoverview Emulator load: DecodedBinary → EmuNetwork, the flat typed-array form the timestep loop runs.
 *
 * Every neuron of every core gets a global index (cores in order, neurons in core order). Each neuron's
 * outgoing synapses are resolved through the binary's own tables — Loihi: output axon map → destination
 * core's axon → synapse groups → (compartment, mantissa × 2^(shift + exponent), delay); SpiNNaker: the
 * neuron's key is routed through the per-chip key/mask tables (first match, default routing straight
 * through) to the destination cores, whose master population table and synaptic rows give the synapses —
 * and stored as one CSR per delay value. Per (neuron, destination core) "axon" the load also keeps the
 * synapse count, the hops and a route id, for the cycle and energy counters.
 */
import { RuntimeError } from "../errors.ts";
import type { DecodedBinary, Meta } from "../format/decoded.ts";
import { ENCODING_CODES, NEURON_KIND_CODES, SYN_DELAY_SHIFT, SYN_INDEX_BITS, SYN_TYPE_SHIFT, SYN_WEIGHT_SHIFT } from "../format/spec.ts";
import type { NeuronRule } from "../neuron.ts";
import { type ComputeNetwork, loadComputeNetwork } from "./compute-nodes.ts";
import { traceMulticast } from "./multicast.ts";

/**
 * Synapses of one delay value as runs: source neuron s has runs [runStart[s], runStart[s+1]); run r adds
 * weights[runWeight[r] + k] to target runTarget[r] + k for k < runLength[r] (consecutive targets, as the
 * binary's synapse groups and rows are laid out). Weights are exact integers in state units.
 */
export interface Delivery {
  readonly delay: number;
  readonly runStart: Int32Array;
  readonly runTarget: Int32Array;
  readonly runLength: Int32Array;
  readonly runWeight: Int32Array;
  /** Int32Array when every weight fits, else Float64Array (still exact). Runs with the same weight sequence
   * (a convolution's kernel slice at every position) may share one copy: index weights through runWeight. */
  readonly weights: Int32Array | Float64Array;
  /** Synapses of this delay (the sum of the run lengths). */
  readonly synapses: number;
  /**
   * The same synapses one by one (CSR), built when runs are short (mean length < 2, e.g. random sparse
   * connectivity), where a per-run loop costs more than it saves: source s has weights
   * [csrStart[s], csrStart[s+1]) going to csrTarget[k]. Null when runs are long (conv, dense).
   */
  readonly csrStart: Int32Array | null;
  readonly csrTarget: Int32Array | null;
}

/**
 * Per-synapse (CSR) view of a run table when its runs are short; see Delivery. Relies on each source's runs
 * taking consecutive weights (as the loader appends them); null when they do not, or when runs are long.
 */
function csrOf(runStart: Int32Array, runTarget: Int32Array, runLength: Int32Array, runWeight: Int32Array, weights: number): { csrStart: Int32Array | null; csrTarget: Int32Array | null } {
  const none = { csrStart: null, csrTarget: null };
  if (runTarget.length * 2 <= weights) return none;
  const sources = runStart.length - 1;
  const csrStart = new Int32Array(sources + 1);
  const csrTarget = new Int32Array(weights);
  let next = 0;
  for (let s = 0; s < sources; s++) {
    csrStart[s] = next;
    for (let r = runStart[s] as number; r < (runStart[s + 1] as number); r++) {
      if ((runWeight[r] as number) !== next) return none;
      const t0 = runTarget[r] as number;
      for (let k = 0; k < (runLength[r] as number); k++) csrTarget[next++] = t0 + k;
    }
  }
  if (next !== weights) return none;
  csrStart[sources] = weights;
  return { csrStart, csrTarget };
}

/**
 * Long-run tables only: runs whose weight sequences are equal share one copy (returns the new weight array
 * and rewrites runWeight). A convolution's synapses repeat its kernel at every position, so its weights
 * shrink from synapses to kernel size and stay in cache while the loop streams the runs.
 */
function shareRunWeights(runLength: Int32Array, runWeight: Int32Array, w: Float64Array): Float64Array {
  const out = new Float64Array(w.length + runLength.length);
  let used = 0;
  const seen = new Map<number, number[]>();
  for (let r = 0; r < runLength.length; r++) {
    const len = runLength[r] as number;
    const o = runWeight[r] as number;
    let h = len | 0;
    for (let k = 0; k < len; k++) {
      const x = w[o + k] as number;
      h = Math.imul(h ^ (x | 0), 16777619) ^ ((x / 4294967296) | 0);
    }
    const list = seen.get(h);
    let found = -1;
    if (list) {
      for (const c of list) {
        if ((out[c - 1] as number) !== len) continue;
        let same = true;
        for (let k = 0; k < len && same; k++) same = out[c + k] === w[o + k];
        if (same) {
          found = c;
          break;
        }
      }
    }
    if (found < 0) {
      out[used++] = len; // the run's length, kept just before its weights for the equality test
      found = used;
      for (let k = 0; k < len; k++) out[used++] = w[o + k] as number;
      if (list) list.push(found);
      else seen.set(h, [found]);
    }
    runWeight[r] = found;
  }
  return out.slice(0, used);
}

export interface EmuNetwork {
  readonly neurons: number;
  readonly cores: number;
  readonly coreBase: Int32Array;
  readonly coreOf: Int32Array;
  readonly rules: readonly NeuronRule[];
  /** Compartments per neuron of each rule (2 with the two-compartment soft reset). */
  readonly ruleCompartments: Int32Array;
  /** Runs of consecutive neurons sharing a rule. */
  readonly rangeStart: Int32Array;
  readonly rangeRule: Int32Array;
  readonly bias: Float64Array;
  readonly vInit: Float64Array;
  readonly delivery: readonly Delivery[];
  readonly maxDelay: number;
  /** ECMT compute nodes and graded projections (CMPT; null: none). */
  readonly compute: ComputeNetwork | null;
  /** Axons: per neuron [axonStart[i], axonStart[i+1]) → destination core, synapse count, route id, hops. */
  readonly axonStart: Int32Array;
  readonly axonCore: Int32Array;
  readonly axonSynapses: Int32Array;
  readonly axonRoute: Int32Array;
  /** Hops along x / y (meshes: tile hops; multicast: link traversals of the packet's tree, all as x). */
  readonly axonHopsX: Int32Array;
  readonly axonHopsY: Int32Array;
  /** Network latency of the axon's packet (seconds). */
  readonly axonLatency: Float64Array;
  /** Per neuron, over its axons: synapses, hops along x / y, packets (axons with a route) and the longest
   * packet latency, so that a spike's network counters cost O(1). */
  readonly neuronSynapses: Float64Array;
  readonly neuronHopsX: Float64Array;
  readonly neuronHopsY: Float64Array;
  readonly neuronPackets: Float64Array;
  readonly neuronLatency: Float64Array;
  /** Route ids 0 … routeCount − 1 (axonRoute): one per (source core, destination core) pair on meshes, one
   * per multicast tree. */
  readonly routeCount: number;
  /** Population and index of each neuron. */
  readonly popOf: Int32Array;
  readonly popIndex: Int32Array;
  /** The input coding (runtime/input.ts): current (biases), Poisson spikes, or graded payloads (payloadBits). */
  readonly input: { readonly neurons: Int32Array; readonly coding: InputCoding; readonly seed: number; readonly gainScaled: number; readonly gain: number; readonly biasMantissaBits: number; readonly biasExponentMax: number; readonly payloadBits: number };
  readonly output: { readonly neurons: Int32Array; readonly countReadout: boolean; readonly readoutDepth: number };
  readonly cost: DecodedBinary["cost"];
  readonly meta: Meta;
  readonly system: DecodedBinary["system"];
}

/** Growable typed buffers for building the CSRs. */
class IntList {
  data = new Int32Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
  finish(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

class NumList {
  data = new Float64Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
  finish(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

interface Builder {
  readonly runTarget: IntList;
  readonly runLength: IntList;
  readonly runWeight: IntList;
  readonly weight: NumList;
  readonly runStart: Int32Array;
  /** Source of the open run (−1: none). */
  lastSource: number;
}

export function loadNetwork(b: DecodedBinary): EmuNetwork {
  const nCores = b.cores.length;
  const coreBase = new Int32Array(nCores + 1);
  b.cores.forEach((c, k) => {
    coreBase[k + 1] = (coreBase[k] as number) + c.profile.length;
  });
  const N = coreBase[nCores] as number;
  const coreOf = new Int32Array(N);
  const rules: NeuronRule[] = [];
  const ruleCompartments: number[] = [];
  const ruleOf = new Int32Array(N);
  const bias = new Float64Array(N);
  const vInit = new Float64Array(N);
  const popOf = new Int32Array(N).fill(-1);
  const popIndex = new Int32Array(N).fill(-1);
  b.cores.forEach((c, k) => {
    const base = coreBase[k] as number;
    const ruleBase = rules.length;
    for (const p of c.profiles) {
      rules.push({ model: p.model, kind: p.kind, reset: p.reset, stateBits: p.stateBits, threshold: p.threshold, du: p.du, dv: p.dv, decayBits: p.decayBits === 0 ? 12 : p.decayBits, inputBits: b.system.stepInputBits, mtLevels: p.mtLevels, mtRelu: p.mtRelu, mtNegThreshold: p.mtNegThreshold, mtNegPayload: p.mtNegPayload });
      ruleCompartments.push(p.compartments);
    }
    for (let i = 0; i < c.profile.length; i++) {
      coreOf[base + i] = k;
      ruleOf[base + i] = ruleBase + (c.profile[i] as number);
      bias[base + i] = (c.biasMantissa[i] as number) * 2 ** (c.biasExponent[i] as number);
      vInit[base + i] = c.vInit[i] as number;
    }
    for (const blk of c.blocks) {
      const shape = b.meta.populations[blk.pop]?.shape;
      if (!shape) throw new RuntimeError("SNNC504", `core ${k} block names population ${blk.pop}, the metadata has ${b.meta.populations.length}`);
      const [, w, ch] = shape;
      let i = blk.first;
      for (let y = blk.y0; y < blk.y1; y++) {
        for (let x = blk.x0; x < blk.x1; x++) {
          for (let z = blk.c0; z < blk.c1; z++) {
            if (i >= c.profile.length) throw new RuntimeError("SNNC504", `core ${k} block of population ${blk.pop} runs past the core's neurons`);
            popOf[base + i] = blk.pop;
            popIndex[base + i] = (y * w + x) * ch + z;
            i++;
          }
        }
      }
    }
  });
  // Multi-threshold payload scales stored in CMPT (the 24-byte profile has no field for them).
  if (b.compute) {
    const scaleOf = new Map(b.compute.payloadScales.map((x) => [x.pop, x.scale]));
    for (let i = 0; i < N; i++) {
      const s = scaleOf.get(popOf[i] as number);
      const r = ruleOf[i] as number;
      if (s !== undefined && rules[r]?.mtPosPayload !== s) rules[r] = { ...(rules[r] as NeuronRule), mtPosPayload: s };
    }
  }
  // Ranges of equal rules.
  const rs: number[] = [];
  const rr: number[] = [];
  for (let i = 0; i < N; i++) {
    if (i === 0 || ruleOf[i] !== ruleOf[i - 1]) {
      rs.push(i);
      rr.push(ruleOf[i] as number);
    }
  }
  rs.push(N);
  // Synapses, one CSR builder per delay.
  const builders = new Map<number, Builder>();
  // The last delay's builder, kept at hand: consecutive synapses almost always share their delay.
  let lastDelay = Number.NaN;
  let lastBuilder: Builder | null = null;
  const builder = (d: number): Builder => {
    if (d === lastDelay && lastBuilder) return lastBuilder;
    let x = builders.get(d);
    if (!x) {
      x = { runTarget: new IntList(), runLength: new IntList(), runWeight: new IntList(), weight: new NumList(), runStart: new Int32Array(N + 1), lastSource: -1 };
      builders.set(d, x);
    }
    lastDelay = d;
    lastBuilder = x;
    return x;
  };
  const axonStart = new Int32Array(N + 1);
  const axonCore = new IntList();
  const axonSynapses = new IntList();
  const axonRoute = new IntList();
  const axonHopsX = new IntList();
  const axonHopsY = new IntList();
  const axonLatency = new NumList();
  const neuronSynapses = new Float64Array(N);
  const neuronHopsX = new Float64Array(N);
  const neuronHopsY = new Float64Array(N);
  const neuronPackets = new Float64Array(N);
  const neuronLatency = new Float64Array(N);
  const routes = { count: 0 };
  const t = b.cost.timing;
  const emit = (src: number, dstCore: number, syn: (add: (dst: number, weight: number, delay: number) => void) => void, route: number, hx: number, hy: number, latency: number): void => {
    let n = 0;
    syn((dst, weight, delay) => {
      const bl = builder(delay);
      const r = bl.runTarget.length - 1;
      // Extend the open run when the target follows it; else start a run.
      if (bl.lastSource === src && r >= 0 && (bl.runTarget.data[r] as number) + (bl.runLength.data[r] as number) === dst) {
        bl.runLength.data[r] = (bl.runLength.data[r] as number) + 1;
      } else {
        bl.runTarget.push(dst);
        bl.runLength.push(1);
        bl.runWeight.push(bl.weight.length);
        bl.lastSource = src;
      }
      bl.weight.push(weight);
      n++;
    });
    axonCore.push(dstCore);
    axonSynapses.push(n);
    axonRoute.push(route);
    axonHopsX.push(hx);
    axonHopsY.push(hy);
    axonLatency.push(latency);
    neuronSynapses[src] = (neuronSynapses[src] as number) + n;
    neuronHopsX[src] = (neuronHopsX[src] as number) + hx;
    neuronHopsY[src] = (neuronHopsY[src] as number) + hy;
    if (route >= 0) neuronPackets[src] = (neuronPackets[src] as number) + 1;
    neuronLatency[src] = Math.max(neuronLatency[src] as number, latency);
  };
  const closeNeuron = (i: number) => {
    for (const bl of builders.values()) {
      bl.runStart[i + 1] = bl.runTarget.length;
      bl.lastSource = -1;
    }
    axonStart[i + 1] = axonCore.length;
  };

  if (b.synapses.kind === "loihi" && b.routing.kind === "loihi") {
    const syn = b.synapses.cores;
    const rout = b.routing.cores;
    // First weight of each group (prefix sums of group sizes), per core.
    const groupWeight = syn.map((tab) => {
      const out = new Int32Array(tab.groupCount.length + 1);
      for (let gi = 0; gi < tab.groupCount.length; gi++) out[gi + 1] = (out[gi] as number) + (tab.groupCount[gi] as number);
      return out;
    });
    // One route per (source core, destination core): the destination's route for the current source core.
    const routeTo = new Int32Array(nCores);
    const routeStamp = new Int32Array(nCores);
    for (let k = 0; k < nCores; k++) {
      const map = rout[k];
      if (!map) continue;
      const sc = b.system.cores[k];
      for (let i = 0; i < map.offsets.length - 1; i++) {
        const g = (coreBase[k] as number) + i;
        for (const bl of builders.values()) bl.runStart[g + 1] = bl.runStart[g] as number;
        for (let e = map.offsets[i] as number; e < (map.offsets[i + 1] as number); e++) {
          const dc = map.dstCore[e] as number;
          const ax = map.dstAxon[e] as number;
          const tab = syn[dc];
          if (!tab || ax >= tab.axonFirstGroup.length) throw new RuntimeError("SNNC504", `core ${k} neuron ${i} sends to axon ${ax} of core ${dc}, which does not exist`);
          const dcr = b.system.cores[dc];
          const hx = Math.abs((dcr?.tileX ?? 0) - (sc?.tileX ?? 0));
          const hy = Math.abs((dcr?.tileY ?? 0) - (sc?.tileY ?? 0));
          let route = routeTo[dc] as number;
          if (routeStamp[dc] !== k + 1) {
            route = routes.count++;
            routeTo[dc] = route;
            routeStamp[dc] = k + 1;
          }
          const dBase = coreBase[dc] as number;
          emit(g, dc, (add) => {
            const g0 = tab.axonFirstGroup[ax] as number;
            let w0 = (groupWeight[dc] as Int32Array)[g0] as number;
            for (let gi = g0; gi < g0 + (tab.axonGroups[ax] as number); gi++) {
              const f = tab.groupFormat[gi] as number;
              const scale = 2 ** (tab.weightShift + (tab.formatExponent[f] as number));
              const delay = tab.formatDelay[f] as number;
              const first = tab.groupFirst[gi] as number;
              const count = tab.groupCount[gi] as number;
              for (let j = 0; j < count; j++) add(dBase + first + j, (tab.weights[w0 + j] as number) * scale, delay);
              w0 += count;
            }
          }, route, hx, hy, hx * t.hopSecondsX + hy * t.hopSecondsY + t.spikeSendSeconds);
        }
        closeNeuron(g);
      }
    }
  } else if (b.synapses.kind === "spinnaker" && b.routing.kind === "spinnaker") {
    loadSpinnaker(b, coreBase, emit, closeNeuron, routes, builders);
  } else {
    throw new RuntimeError("SNNC504", "synapse and routing sections belong to different target families");
  }
  const delays = [...builders.keys()].sort((a, c) => a - c);
  const delivery = delays.map((d) => {
    const bl = builders.get(d) as Builder;
    const w = bl.weight.finish();
    const fitsInt = w.every((x) => Number.isInteger(x) && x >= -2147483648 && x <= 2147483647);
    const runTarget = bl.runTarget.finish();
    const runLength = bl.runLength.finish();
    const runWeight = bl.runWeight.finish();
    const csr = csrOf(bl.runStart, runTarget, runLength, runWeight, w.length);
    const shared = csr.csrStart ? w : shareRunWeights(runLength, runWeight, w);
    return {
      delay: d, runStart: bl.runStart, runTarget, runLength, runWeight, synapses: w.length,
      weights: fitsInt ? Int32Array.from(shared) : shared,
      ...csr,
    };
  });
  for (const c of delivery) if (c.delay < 1) throw new RuntimeError("SNNC504", `a synapse has delay ${c.delay}; delays start at 1`);
  const inputNeurons = Int32Array.from(b.input.core, (core, i) => (coreBase[core] as number) + (b.input.local[i] as number));
  const outputNeurons = Int32Array.from(b.output.core, (core, i) => (coreBase[core] as number) + (b.output.local[i] as number));
  const compute = loadComputeNetwork(b, popOf, popIndex);
  return {
    compute,
    neurons: N, cores: nCores, coreBase, coreOf, rules, ruleCompartments: Int32Array.from(ruleCompartments),
    rangeStart: Int32Array.from(rs), rangeRule: Int32Array.from(rr), bias, vInit, delivery, maxDelay: Math.max(1, compute?.maxDelay ?? 1, ...delays),
    axonStart, axonCore: axonCore.finish(), axonSynapses: axonSynapses.finish(), axonRoute: axonRoute.finish(), axonHopsX: axonHopsX.finish(), axonHopsY: axonHopsY.finish(), axonLatency: axonLatency.finish(),
    neuronSynapses, neuronHopsX, neuronHopsY, neuronPackets, neuronLatency, routeCount: routes.count, popOf, popIndex,
    input: { neurons: inputNeurons, coding: codingOf(b.input.encoding), seed: b.input.seed, gainScaled: b.input.gainScaled, gain: b.input.gain, biasMantissaBits: b.input.biasMantissaBits, biasExponentMax: b.input.biasExponentMax, payloadBits: b.input.payloadBits },
    output: { neurons: outputNeurons, countReadout: b.output.kind === NEURON_KIND_CODES["count-readout"], readoutDepth: b.output.readoutDepth },
    cost: b.cost, meta: b.meta, system: b.system,
  };
}

function loadSpinnaker(
  b: DecodedBinary, coreBase: Int32Array,
  emit: (src: number, dstCore: number, syn: (add: (dst: number, weight: number, delay: number) => void) => void, route: number, hx: number, hy: number, latency: number) => void,
  closeNeuron: (i: number) => void, routes: { count: number }, builders: Map<number, Builder>,
): void {
  if (b.synapses.kind !== "spinnaker" || b.routing.kind !== "spinnaker") return;
  const syn = b.synapses.cores;
  const keys = b.routing.coreKeys;
  const coreAt = new Map<string, number>();
  b.system.cores.forEach((c, k) => coreAt.set(`${c.chipX},${c.chipY},${c.index}`, k));
  const t = b.cost.timing;
  for (let k = 0; k < b.cores.length; k++) {
    const ck = keys[k];
    const sc = b.system.cores[k];
    const nNeurons = b.cores[k]?.profile.length ?? 0;
    const keyOf = new Float64Array(nNeurons).fill(-1);
    const routeOf = new Int32Array(nNeurons);
    const trees: { dests: { chipX: number; chipY: number; core: number }[]; links: string[]; depth: number }[] = [];
    if (ck) {
      for (let bi = 0; bi < ck.key.length; bi++) {
        // One multicast tree per block: every key of a block follows the same entries (checked at compile).
        const tree = traceMulticast(b, sc?.chipX ?? 0, sc?.chipY ?? 0, (ck.key[bi] as number) >>> 0);
        trees.push(tree);
        const id = routes.count++;
        for (let j = 0; j < (ck.count[bi] as number); j++) {
          const local = (ck.first[bi] as number) + j;
          if (local >= nNeurons) throw new RuntimeError("SNNC504", `core ${k} key block runs past its neurons`);
          keyOf[local] = ((ck.key[bi] as number) | j) >>> 0;
          routeOf[local] = id;
        }
      }
    }
    for (let i = 0; i < nNeurons; i++) {
      const g = (coreBase[k] as number) + i;
      for (const bl of builders.values()) bl.runStart[g + 1] = bl.runStart[g] as number;
      const key = keyOf[i] as number;
      if (key >= 0) {
        const route = routeOf[i] as number;
        const tree = trees[route - (routes.count - trees.length)] as (typeof trees)[number];
        let firstDest = true;
        const G = b.system.coresPerRouteBit;
        const cores: number[] = [];
        for (const d of tree.dests) {
          for (let p = d.core * G; p < (d.core + 1) * G; p++) {
            const dc = coreAt.get(`${d.chipX},${d.chipY},${p}`);
            if (dc !== undefined) cores.push(dc); // cores not in use ignore the packet
          }
        }
        for (const dc of cores) {
          const tab = syn[dc];
          const prof = b.cores[dc];
          if (!tab || !prof) continue;
          // A core of a delivery group without an entry for this key keeps nothing.
          let known = false;
          for (let e = 0; e < tab.key.length && !known; e++) known = ((key & (tab.mask[e] as number)) >>> 0) === (tab.key[e] as number);
          if (!known) continue;
          const dBase = coreBase[dc] as number;
          emit(g, dc, (add) => {
            for (let e = 0; e < tab.key.length; e++) {
              if (((key & (tab.mask[e] as number)) >>> 0) !== (tab.key[e] as number)) continue;
              const index = (key & ~(tab.mask[e] as number)) >>> 0;
              if (index >= (tab.neurons[e] as number)) break;
              const row = (tab.rowOffset[e] as number) + index * (tab.rowLength[e] as number);
              const n = tab.words[row + 1] as number;
              if (n + 3 > (tab.rowLength[e] as number)) throw new RuntimeError("SNNC504", `core ${dc} row of key ${key} claims ${n} synapses`);
              for (let s = 0; s < n; s++) {
                const w = tab.words[row + 3 + s] as number;
                const target = w & ((1 << SYN_INDEX_BITS) - 1);
                const inh = (w >>> SYN_TYPE_SHIFT) & 1;
                const delay = ((w >>> SYN_DELAY_SHIFT) & 0xf) + 1;
                const mag = w >>> SYN_WEIGHT_SHIFT;
                if (target >= prof.profile.length) throw new RuntimeError("SNNC504", `core ${dc} synapse targets neuron ${target} of ${prof.profile.length}`);
                const p = prof.profiles[prof.profile[target] as number];
                const weight = inh ? -mag * 2 ** (p?.negShift ?? 0) : mag * 2 ** (p?.posShift ?? 0);
                add(dBase + target, weight, delay);
              }
              break;
            }
          }, firstDest ? route : -1, firstDest ? tree.links.length : 0, 0, tree.depth * Math.max(t.hopSecondsX, t.hopSecondsY) + t.spikeSendSeconds);
          // One multicast packet per spike: its links and hops are counted once, on the first destination.
          firstDest = false;
        }
      }
      closeNeuron(g);
    }
  }
}

/** Number of synapses the network delivers. */
export function synapseCount(net: EmuNetwork): number {
  return net.delivery.reduce((a, d) => a + d.synapses, 0);
}

/** The synapses of one neuron: (target neuron, weight, delay). */
export function synapsesFrom(net: EmuNetwork, neuron: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const d of net.delivery) {
    for (let r = d.runStart[neuron] as number; r < (d.runStart[neuron + 1] as number); r++) {
      for (let k = 0; k < (d.runLength[r] as number); k++) out.push([(d.runTarget[r] as number) + k, d.weights[(d.runWeight[r] as number) + k] as number, d.delay]);
    }
  }
  return out;
}

export type InputCoding = keyof typeof ENCODING_CODES;

/** INPM encoding byte → coding (the reader has checked the code). */
function codingOf(code: number): InputCoding {
  const name = (Object.keys(ENCODING_CODES) as InputCoding[]).find((k) => ENCODING_CODES[k] === code);
  if (name === undefined) throw new RuntimeError("SNNC504", `input encoding code ${code}`);
  return name;
}
