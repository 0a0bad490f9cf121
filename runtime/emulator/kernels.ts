/**
 * @fileoverview The emulator's WebAssembly path (SIMD kernels of runtime/wasm/emulator.as.ts): when a network's
 * integers provably fit in 32 bits, run.ts keeps the input ring, the spikes and the state of its plain
 * integrate-and-fire Loihi neurons as Int32 arrays in one WebAssembly memory per network (tables copied in
 * once, nothing allocated or copied per step) and calls the kernels for delivery and for those neurons'
 * update; every other rule runs the JavaScript stepRange on a Float64 copy of its inputs.
 *
 * Exactness (the plan below): the JS path adds exact integers in float64. An i32 sum equals it when no
 * partial sum leaves i32: each target's Σ|weight| over all its synapses (every delay may land in the same
 * slot) × the largest |payload| any rule can send must stay ≤ 2^31 − 1. The Loihi kernel adds v, the
 * wrapped input and the bias in i32, exact while |v0|, |bias| ≤ 2^29 and S ≤ 24; the fixed-point one adds
 * in i64 (S ≤ 32); both need 0 ≤ θ ≤ 2^30. Rules or neurons outside these take the JS update; networks past
 * the input bound, with float weights, or traced (onStep wants float state) run the JS path throughout.
 *
 * Loading: runtime/emulator/wasm-load.ts (not part of the standalone emulator, which runs the JS path)
 * installs the compiled module. Missing module → JS path; a module that does not compile or lacks the
 * kernels → SNNC811 at the first emulation that would use it; kernels "wasm" asked for where the path
 * cannot run → SNNC812 with the reason.
 */
import { RuntimeError } from "../errors.ts";
import type { NeuronRule } from "../neuron.ts";
import type { EmuNetwork } from "./network.ts";

interface Exports {
  readonly lastActive: () => number;
  readonly deliverRuns: (runStart: number, runTarget: number, runLength: number, runWeight: number, weights: number, slot: number, spikes: number, payload: number, n: number) => void;
  readonly deliverCsr: (start: number, target: number, weights: number, slot: number, spikes: number, payload: number, n: number) => void;
  readonly stepIfWide: (v: number, q: number, bias: number, start: number, end: number, outIdx: number, outPayload: number, count: number, fire: number, keep: number, sub: number, max: number) => number;
  readonly countSpikes: (spikes: number, n: number, window: number, coreOf: number, counts: number, outIndex: number, readout: number, latency: number, axonStart: number, axonCore: number, axonSynapses: number, stepSpikes: number, stepSyn: number) => number;
  readonly stepIfLoihi: (v: number, q: number, bias: number, start: number, end: number, outIdx: number, outPayload: number, count: number, fire: number, keep: number, sub: number, max: number, shift: number) => number;
}

/** The WebAssembly API, typed here (the standalone emulator is checked without DOM or wasm declarations). */
interface WasmModule {
  readonly kind?: "module";
}
interface WasmApi {
  readonly Module: { new (bytes: Uint8Array): WasmModule; exports(m: WasmModule): { name: string }[] };
  readonly Memory: new (d: { initial: number }) => { readonly buffer: ArrayBuffer };
  readonly Instance: new (m: WasmModule, imports: object) => { readonly exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: WasmModule | null = null;
let loadError: RuntimeError | null = null;

/** Installs the kernels' module bytes (wasm-load.ts); a module that does not compile is reported at first use. */
export function installKernels(bytes: Uint8Array, from: string): void {
  try {
    const m = new WA.Module(bytes);
    const names = new Set(WA.Module.exports(m).map((e) => e.name));
    const missing = ["lastActive", "deliverRuns", "deliverCsr", "stepIfLoihi", "stepIfWide", "countSpikes"].filter((n) => !names.has(n));
    if (missing.length > 0) throw new Error(`it lacks ${missing.join(", ")}`);
    compiled = m;
    loadError = null;
  } catch (e) {
    compiled = null;
    loadError = new RuntimeError("SNNC811", `the emulator's WebAssembly kernels (${from}) are unusable: ${e instanceof Error ? e.message : String(e)}`, undefined, "rebuild them with `npm run build`, or delete the file to run the JavaScript path");
  }
}

/** Whether kernels are installed (and compiled). */
export function kernelsAvailable(): boolean {
  return compiled !== null;
}

export type KernelChoice = "auto" | "js" | "wasm";

const MAX_I32 = 2147483647;
const STATE_LIMIT = 2 ** 29;

/** Largest |payload| a rule sends. */
function maxPayload(r: NeuronRule): number {
  if (r.kind !== "mt") return 1;
  return 2 ** Math.max(0, r.mtLevels - 1) * Math.max(1, Math.abs(r.mtNegPayload), Math.abs(r.mtPosPayload ?? 1));
}

/** stepRange's stepIf cases (runtime/neuron.ts), the kernels' rules: Loihi IF (du = 2^D − 1, dv = 0; S ≤ 24,
 * stepIfLoihi) and fixed-point IF without decays (S ≤ 32, stepIfWide). */
function fastRule(r: NeuronRule): boolean {
  if (r.kind === "mt" || r.kind === "readout" || !(r.threshold >= 0 && r.threshold <= 2 ** 30) || !Number.isInteger(r.threshold)) return false;
  if (r.model === "loihi-cuba") return r.du === 2 ** r.decayBits - 1 && r.dv === 0 && r.stateBits <= 24;
  return r.du === 0 && r.dv === 0 && r.stateBits <= 32;
}

interface Plan {
  /** Why the network cannot take the path ("" when it can). */
  readonly reason: string;
  /** Per range: updated by the kernel. */
  readonly fast: Uint8Array;
}

const plans = new WeakMap<EmuNetwork, Plan>();

function planOf(net: EmuNetwork): Plan {
  const cached = plans.get(net);
  if (cached) return cached;
  const N = net.neurons;
  const fast = new Uint8Array(net.rangeRule.length);
  let reason = "";
  if (net.delivery.some((d) => !(d.weights instanceof Int32Array))) reason = "a weight does not fit 32 bits";
  let payload = 1;
  for (const r of net.rules) payload = Math.max(payload, maxPayload(r));
  if (!reason) {
    const sum = new Float64Array(N);
    for (const d of net.delivery) {
      const w = d.weights;
      for (let s = 0; s < N; s++) {
        for (let r = d.runStart[s] as number; r < (d.runStart[s + 1] as number); r++) {
          const t = d.runTarget[r] as number;
          const o = d.runWeight[r] as number;
          for (let k = 0; k < (d.runLength[r] as number); k++) sum[t + k] = (sum[t + k] as number) + Math.abs(w[o + k] as number);
        }
      }
    }
    let worst = 0;
    for (let i = 0; i < N; i++) worst = Math.max(worst, sum[i] as number);
    if (worst * payload > MAX_I32) reason = `a neuron's input can reach ${worst * payload}, beyond 32 bits`;
  }
  const isInput = new Uint8Array(N);
  for (const i of net.input.neurons) isInput[i] = 1;
  const inputBiasMax = (2 ** net.input.biasMantissaBits - 1) * 2 ** net.input.biasExponentMax;
  for (let r = 0; r < net.rangeRule.length && !reason; r++) {
    const rule = net.rules[net.rangeRule[r] as number];
    if (!rule || !fastRule(rule)) continue;
    let ok = true;
    for (let i = net.rangeStart[r] as number; i < (net.rangeStart[r + 1] as number) && ok; i++) {
      const b = isInput[i] && net.input.coding === "current" ? Math.max(inputBiasMax, Math.abs(net.bias[i] as number)) : Math.abs(net.bias[i] as number);
      ok = b <= STATE_LIMIT && Math.abs(net.vInit[i] as number) <= STATE_LIMIT && Number.isInteger(net.vInit[i]) && Number.isInteger(net.bias[i]);
    }
    if (ok) fast[r] = 1;
  }
  const plan = { reason, fast };
  plans.set(net, plan);
  return plan;
}

/** Byte offsets of one delivery's tables in the instance's memory. */
interface Tables {
  readonly delay: number;
  readonly csr: boolean;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly w: number;
}

/** One network's kernels, memory and Int32 views (see the file overview). */
export class WasmEngine {
  readonly fast: Uint8Array;
  readonly spikeIdx: Int32Array;
  readonly spikePayload: Int32Array;
  readonly slots: Int32Array[];
  readonly v: Int32Array;
  readonly bias: Int32Array;
  /** run.ts's per-step and per-run counters, in this memory for countSpikes. */
  readonly stepSpikes: Float64Array;
  readonly stepSyn: Float64Array;
  readonly counts: Float64Array;
  readonly readoutCounts: Float64Array;
  busy = false;
  private readonly k: Exports;
  private readonly tables: Tables[];
  private readonly slotAt: number[];
  private readonly at: { v: number; bias: number; idx: number; payload: number; coreOf: number; counts: number; outIndex: number; readout: number; latency: number; axonStart: number; axonCore: number; axonSynapses: number; stepSpikes: number; stepSyn: number };

  constructor(net: EmuNetwork, fast: Uint8Array, module: WasmModule) {
    const N = net.neurons;
    const R = net.maxDelay + 1;
    let bytes = 0;
    const take = (n: number): number => {
      const o = bytes;
      bytes += ((n * 4 + 15) >> 4) << 4;
      return o;
    };
    const plan: { arr: Int32Array | Float64Array; at: number }[] = [];
    const put = (arr: Int32Array | Float64Array): number => {
      const o = take(arr.length * (arr instanceof Float64Array ? 2 : 1));
      plan.push({ arr, at: o });
      return o;
    };
    this.tables = net.delivery.map((d) => {
      const w = put(d.weights as Int32Array);
      if (d.csrStart && d.csrTarget) return { delay: d.delay, csr: true, a: put(d.csrStart), b: put(d.csrTarget), c: 0, d: 0, w };
      return { delay: d.delay, csr: false, a: put(d.runStart), b: put(d.runTarget), c: put(d.runLength), d: put(d.runWeight), w };
    });
    // Four spare lanes after each array: a SIMD group never reads past the memory's end.
    this.slotAt = Array.from({ length: R }, () => take(N + 4));
    const outIndex = new Int32Array(N).fill(-1);
    net.output.neurons.forEach((g, c) => (outIndex[g] = c));
    const classes = net.output.neurons.length;
    this.at = {
      v: take(N + 4), bias: take(N + 4), idx: take(N + 4), payload: take(N + 4),
      coreOf: put(net.coreOf), counts: take(2 * N), outIndex: put(outIndex), readout: take(2 * classes), latency: put(net.neuronLatency),
      axonStart: put(net.axonStart), axonCore: put(net.axonCore), axonSynapses: put(net.axonSynapses), stepSpikes: take(2 * net.cores), stepSyn: take(2 * net.cores),
    };
    const pages = Math.ceil((bytes + 16) / 65536);
    if (pages > 65536) throw new RangeError(`it needs ${bytes} bytes, over 4 GiB`);
    const memory = new WA.Memory({ initial: pages });
    const instance = new WA.Instance(module, { env: { memory, abort: () => { throw new RuntimeError("SNNC811", "the emulator's WebAssembly kernels aborted"); } } });
    this.k = instance.exports as unknown as Exports;
    const buf = memory.buffer;
    for (const p of plan) (p.arr instanceof Float64Array ? new Float64Array(buf, p.at, p.arr.length) : new Int32Array(buf, p.at, p.arr.length)).set(p.arr);
    this.slots = this.slotAt.map((o) => new Int32Array(buf, o, N));
    this.v = new Int32Array(buf, this.at.v, N);
    this.bias = new Int32Array(buf, this.at.bias, N);
    this.spikeIdx = new Int32Array(buf, this.at.idx, N);
    this.spikePayload = new Int32Array(buf, this.at.payload, N);
    this.counts = new Float64Array(buf, this.at.counts, N);
    this.readoutCounts = new Float64Array(buf, this.at.readout, classes);
    this.stepSpikes = new Float64Array(buf, this.at.stepSpikes, net.cores);
    this.stepSyn = new Float64Array(buf, this.at.stepSyn, net.cores);
    this.fast = fast;
  }

  /** Spikes [0, n) of spikeIdx/spikePayload delivered into the slots of step + delay. */
  deliver(step: number, n: number): void {
    const R = this.slots.length;
    for (const t of this.tables) {
      const slot = this.slotAt[(step + t.delay) % R] as number;
      if (t.csr) this.k.deliverCsr(t.a, t.b, t.w, slot, this.at.idx, this.at.payload, n);
      else this.k.deliverRuns(t.a, t.b, t.c, t.d, t.w, slot, this.at.idx, this.at.payload, n);
    }
  }

  /** Kernel update of neurons [start, end) of slot `slot` (a fast range); spikes appended from n; returns the
   * new count, the active updates in lastActive(). */
  step(rule: NeuronRule, slot: number, start: number, end: number, n: number): number {
    const vth = rule.threshold;
    const S = rule.stateBits;
    if (rule.model !== "loihi-cuba") {
      return this.k.stepIfWide(this.at.v, this.slotAt[slot] as number, this.at.bias, start, end, this.at.idx, this.at.payload, n, vth, rule.reset === "zero" ? 0 : 1, rule.reset === "subtract" ? vth : 0, 2 ** (S - 1) - 1);
    }
    const bits = rule.inputBits > 0 ? Math.min(rule.inputBits + 1, S) : S;
    return this.k.stepIfLoihi(this.at.v, this.slotAt[slot] as number, this.at.bias, start, end, this.at.idx, this.at.payload, n, vth + 1, rule.reset === "zero" ? 0 : 1, rule.reset === "subtract" ? vth : 0, 2 ** (S - 1) - 1, 32 - bits);
  }

  /** Spikes [0, n) of spikeIdx counted into stepSpikes, stepSyn, counts and (window) readoutCounts; returns
   * the step's longest packet latency. */
  countSpikes(n: number, window: boolean): number {
    const a = this.at;
    return this.k.countSpikes(a.idx, n, window ? 1 : 0, a.coreOf, a.counts, a.outIndex, a.readout, a.latency, a.axonStart, a.axonCore, a.axonSynapses, a.stepSpikes, a.stepSyn);
  }

  lastActive(): number {
    return this.k.lastActive();
  }
}

const engines = new WeakMap<EmuNetwork, WasmEngine>();

/** The engine for `net` under `choice`, or null for the JavaScript path; see the file overview. */
export function wasmEngine(net: EmuNetwork, choice: KernelChoice, tracing: boolean): WasmEngine | null {
  if (choice === "js") return null;
  const want = choice === "wasm";
  if (loadError && (want || choice === "auto")) throw loadError;
  const why = !compiled ? "no kernels are installed (dist/wasm/emulator.wasm missing, or older than runtime/wasm/emulator.as.ts: `npm run build`)" : tracing ? "a trace of the state is asked for" : net.compute ? "the network has compute nodes (ECMT), whose graded projections write the JavaScript ring buffers" : planOf(net).reason;
  if (why) {
    if (want) throw new RuntimeError("SNNC812", `the WebAssembly emulator path cannot run this network: ${why}`, undefined, "leave the kernel choice on auto to run the JavaScript path");
    return null;
  }
  const plan = planOf(net);
  let e = engines.get(net);
  if (!e || e.busy) {
    try {
      e = new WasmEngine(net, plan.fast, compiled as WasmModule);
    } catch (err) {
      // A network too large for one 32-bit memory (4 GiB) or a memory the host refuses.
      if (want) throw new RuntimeError("SNNC812", `the WebAssembly emulator path cannot run this network: its memory could not be made (${err instanceof Error ? err.message : String(err)})`, undefined, "leave the kernel choice on auto to run the JavaScript path");
      return null;
    }
    if (!engines.has(net) || !(engines.get(net) as WasmEngine).busy) engines.set(net, e);
  }
  return e;
}
