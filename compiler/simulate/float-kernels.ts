/**
 * @fileoverview The float SNN simulator's WebAssembly path (SIMD kernels of runtime/wasm/float-snn.as.ts, built
 * to dist/wasm/float-snn.wasm by compiler/build.js). Stage: the float SNN simulator (float-snn.ts, float-layers.ts)
 * and its delivery (scatter.ts). Input: a session's arrays. Output: the same arrays updated in place.
 *
 * One WebAssembly memory per thread (an arena). A simulation opens a session (`session(bytes)`): the arena is
 * emptied and grown once to the session's size, so the views it hands out stay valid until the next session of
 * the thread (simulations are synchronous and do not nest; nothing a simulation returns is a view of the arena).
 * Within it, `constant` copies a network's weights (once per array), `mark`/`release` bracket the per-batch
 * state (zeroed on allocation, as a new typed array is). The kernels run only on arrays of the current session;
 * anything else takes the JavaScript path. Results equal the JavaScript path's bit for bit (see the kernels'
 * header; pinned by test/simulate/float-kernels.test.ts).
 *
 * Loading: the module is read once per thread from dist/wasm/float-snn.wasm (found from the sources and from the
 * built copy); missing, stale (older than its source) or SNNC_KERNELS=js: no kernels, the JavaScript path.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Population } from "../ir/snn.ts";
import { invCountsOf } from "./scatter.ts";

interface Exports {
  readonly scatterDense: (idx: number, val: number, n: number, stride: number, B: number, current: number, w: number, cols: number) => number;
  readonly scatterConv: (idx: number, val: number, n: number, stride: number, B: number, current: number, dstSize: number, kernel: number,
    inW: number, inC: number, outH: number, outW: number, outC: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, padTop: number, padLeft: number) => number;
  readonly scatterAvgPool: (idx: number, val: number, n: number, stride: number, B: number, current: number, dstSize: number, scale: number, inv: number,
    inW: number, inC: number, outH: number, outW: number, outC: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, padTop: number, padLeft: number) => number;
  readonly updateIf: (v: number, I: number, bias: number, C: number, n: number, B: number, idx: number, val: number, nArr: number, zero: number) => void;
  readonly trackRanges: (v: number, I: number, bias: number, C: number, count: number, mv: number, mi: number) => void;
  readonly lastRangeV: () => number;
  readonly lastRangeInput: () => number;
  readonly emitCurrent: (v: number, pixels: number, gain: number, n: number, B: number, idx: number, val: number, nArr: number, zero: number, ranges: number, mv: number, mi: number) => void;
  readonly addCounts: (idx: number, val: number, n: number, stride: number, B: number, counts: number, size: number) => void;
}

interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Memory: new (d: { initial: number; maximum?: number }) => { readonly buffer: ArrayBuffer; grow(pages: number): number };
  readonly Instance: new (m: object, imports: object) => { readonly exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Largest arena (bytes): a session needing more runs the JavaScript path. */
export const ARENA_LIMIT = 2 ** 31;
const PAGE = 65536;

function loadModule(): object | null {
  if (process.env.SNNC_KERNELS === "js") return null;
  const found = ["../../dist/wasm/float-snn.wasm", "../../wasm/float-snn.wasm"].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((p) => existsSync(p));
  if (!found) return null;
  const source = ["../../runtime/wasm/float-snn.as.ts", "../../../runtime/wasm/float-snn.as.ts"].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((p) => existsSync(p));
  if (source !== undefined && statSync(source).mtimeMs > statSync(found).mtimeMs) return null;
  try {
    return new WA.Module(new Uint8Array(readFileSync(found)));
  } catch {
    return null;
  }
}

/** 16-byte aligned size of n 4-byte values, with four spare lanes (a SIMD group never reads past the end). */
export function slotBytes(n: number): number {
  return (((n + 4) * 4 + 15) >> 4) << 4;
}

export class Arena {
  private readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  readonly k: Exports;
  private top = 0;
  private end = 0;
  private readonly consts = new Map<Float32Array, Float32Array>();
  private epoch = 0;

  constructor(module: object) {
    this.memory = new WA.Memory({ initial: 1 });
    this.k = new WA.Instance(module, { env: { memory: this.memory, abort: () => { throw new Error("internal: the float SNN kernels aborted"); } } }).exports as Exports;
  }

  /** Starts a session of at most `bytes` bytes (earlier sessions' views become invalid); its epoch. */
  begin(bytes: number): number {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
    this.top = 0;
    this.end = bytes;
    this.consts.clear();
    return ++this.epoch;
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  private take(n: number): number {
    const at = this.top;
    this.top += slotBytes(n);
    if (this.top > this.end) throw new Error(`internal: float SNN arena overrun (${this.top} > ${this.end} bytes)`);
    return at;
  }

  /** A zeroed Float32Array of n values in the arena. */
  f32(n: number): Float32Array {
    const a = new Float32Array(this.memory.buffer, this.take(n), n);
    a.fill(0);
    return a;
  }

  /** A zeroed Int32Array of n values in the arena. */
  i32(n: number): Int32Array {
    const a = new Int32Array(this.memory.buffer, this.take(n), n);
    a.fill(0);
    return a;
  }

  /** `a` copied into the arena once per session. */
  constant(a: Float32Array): Float32Array {
    let c = this.consts.get(a);
    if (!c) {
      c = new Float32Array(this.memory.buffer, this.take(a.length), a.length);
      c.set(a);
      this.consts.set(a, c);
    }
    return c;
  }

  /** The constant copy of `a` made in this session, if any. */
  constantOf(a: Float32Array): Float32Array | undefined {
    return this.consts.get(a);
  }

  mark(): number {
    return this.top;
  }

  release(at: number): void {
    this.top = at;
  }

  /** Whether `a` is a view of this arena (of the current session when made after begin). */
  owns(a: ArrayBufferView): boolean {
    return a.buffer === this.memory.buffer;
  }
}

let module: object | null | undefined;
let arena: Arena | null = null;
let enabled = true;

/** Switches the kernels off (false: every simulation of this thread takes the JavaScript path) or back on;
 * for tests and benchmarks comparing the two paths. */
export function useFloatKernels(on: boolean): void {
  enabled = on;
}

/** This thread's arena, or null when the kernels are not available or switched off. */
export function floatArena(): Arena | null {
  if (!enabled) return null;
  if (module === undefined) module = loadModule();
  if (!module) return null;
  arena ??= new Arena(module);
  return arena;
}

/** Whether the float SNN kernels are installed. */
export function floatKernelsAvailable(): boolean {
  return floatArena() !== null;
}

/** Bytes of popState's arena arrays for a batch of B samples: membranes, currents, `ringLen` spike slots, and
 * the spike counts when `counting`. */
export function stateBytes(p: Population, B: number, ringLen: number, counting: boolean): number {
  return (counting ? 3 : 2) * slotBytes(B * p.size) + ringLen * (2 * slotBytes(B * p.size) + slotBytes(B));
}

/**
 * A session for a simulation of `pops` in batches of at most B samples (popState with `ringLens`), with every
 * population's bias (`biasOf`) and its dense and convolution weights copied in; the arena's mark after them is
 * where each batch's state starts (`extraBytes` more for the caller's scratch; `counting`: popState's spike
 * counts there too). Null without kernels or past ARENA_LIMIT (the JavaScript path).
 */
export function floatSession(pops: readonly Population[], ringLens: readonly number[], B: number, biasOf: (p: Population) => Float32Array, extraBytes = 0, counting = false): Arena | null {
  const arena = floatArena();
  if (!arena) return null;
  const consts = new Set<Float32Array>();
  let bytes = extraBytes;
  pops.forEach((p, i) => {
    consts.add(biasOf(p));
    for (const pr of p.inputs) {
      if (pr.conn.kind === "dense") consts.add(pr.conn.weights);
      else if (pr.conn.kind === "conv") consts.add(pr.conn.kernel);
      else if (pr.conn.kind === "avgPool") {
        consts.add(pr.conn.scale);
        consts.add(invCountsOf(pr.conn.geometry));
      }
    }
    bytes += stateBytes(p, B, ringLens[i] ?? 1, counting);
  });
  for (const c of consts) bytes += slotBytes(c.length);
  if (bytes > ARENA_LIMIT) return null;
  arena.begin(bytes);
  for (const c of consts) arena.constant(c);
  return arena;
}
