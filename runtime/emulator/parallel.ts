/**
 * @fileoverview Large batches over worker threads. The samples are cut into chunks (chunkSize); workers
 * take chunks from a shared counter (SharedArrayBuffer, Atomics.add) as they get to them, so a thread that
 * gets less of the machine simply does fewer chunks. Each worker gets a copy of the loaded network (structured
 * clone of its typed arrays: about 10× cheaper than decoding the binary and loading it again).
 *
 * `startEmulation` starts the workers at once and returns; the calling thread may do other work (the compile
 * runs the ANN, the accuracy curve and the diagnostics meanwhile) and joins with `finish()`: it runs chunk 0
 * (reserved for it, with the caller's callbacks, so a raster of sample 0 or a trace still works), then takes
 * chunks like the workers until none is left. Samples are independent (state is reset per sample, Poisson
 * seeds follow the global sample index) and the chunks' results are merged in chunk order whichever thread
 * ran them, so the result does not depend on timing: scores in order, integer counters and spike counts equal
 * a single-thread run's; floating-point cost sums (cycles, seconds, busy time) are summed per chunk, so they may
 * differ from a single-thread run in the last bits (summation order), never between two runs.
 */
import { availableParallelism } from "node:os";
import "./wasm-load.ts";
import { jobModule, runPooled } from "../threads.ts";
import { type EmulateOptions, type EmulateResult, emulate } from "./run.ts";
import type { EmuNetwork } from "./network.ts";

export interface ParallelOptions {
  /** Threads in all, the calling one included (default: the machine's available parallelism). */
  readonly workers?: number;
  /** Smallest batch worth the workers' start-up (module load and a copy of the network). */
  readonly minSamples?: number;
}

/** Worker threads a batch of `count` samples gets (1 = run on the calling thread only). */
export function threadsFor(count: number, options: ParallelOptions = {}): number {
  const want = options.workers ?? availableParallelism();
  if (want <= 1 || count < (options.minSamples ?? 64)) return 1;
  return Math.max(1, Math.min(want, Math.floor(count / 8)));
}

/** Samples per chunk for `count` samples on `threads` threads: at most 16, and small enough for 8 chunks per
 * thread, so that the last chunk to finish costs a thread at most about 1/8 of its share. */
export function chunkSize(count: number, threads: number): number {
  return Math.max(1, Math.min(16, Math.ceil(count / (8 * Math.max(1, threads)))));
}

/** What a worker gets (worker.ts). */
export interface ChunkJob {
  readonly net: EmuNetwork;
  readonly images: Float32Array;
  readonly count: number;
  readonly size: number;
  /** Shared counter: the next chunk to take. */
  readonly next: Int32Array;
  readonly timesteps: number;
  readonly recordCounts: boolean;
  readonly sampleOffset: number;
  /** Input frames per sample (event data): a sample is `frames` consecutive input vectors. */
  readonly frames: number;
}

/** Runs chunks of `job` taken from its shared counter until none is left (workers and the calling thread). */
export function runChunks(job: ChunkJob, per: number, out: { chunk: number; result: EmulateResult }[]): void {
  const chunks = Math.ceil(job.count / job.size);
  for (;;) {
    const c = Atomics.add(job.next, 0, 1);
    if (c >= chunks) return;
    const s = c * job.size;
    const n = Math.min(job.size, job.count - s);
    const f = job.frames;
    out.push({ chunk: c, result: emulate(job.net, job.images.subarray(s * per * f, (s + n) * per * f), n, { timesteps: job.timesteps, recordCounts: job.recordCounts, sampleOffset: job.sampleOffset + s, frames: f }) });
  }
}

export interface EmulationJob {
  readonly threads: number;
  /** Runs the calling thread's share, waits for the workers, merges. */
  finish(): Promise<EmulateResult>;
}

/** Starts the workers on `count` samples and returns at once; see the file overview. */
export function startEmulation(net: EmuNetwork, images: Float32Array, count: number, options: EmulateOptions, parallel: ParallelOptions = {}): EmulationJob {
  const threads = threadsFor(count, parallel);
  if (threads <= 1) return { threads: 1, finish: async () => emulate(net, images, count, options) };
  const started = performance.now();
  const per = net.input.neurons.length;
  const frames = options.frames ?? 1;
  const size = chunkSize(count, threads);
  const next = new Int32Array(new SharedArrayBuffer(4));
  next[0] = 1; // chunk 0 is the calling thread's
  const job: ChunkJob = {
    net, images: images.slice(0, count * per * frames), count, size, next, frames,
    timesteps: options.timesteps, recordCounts: options.recordCounts === true, sampleOffset: options.sampleOffset ?? 0,
  };
  const workers = Array.from({ length: threads - 1 }, () => runPooled<{ chunk: number; result: EmulateResult }[]>(jobModule(import.meta.url, "worker"), "runChunkJob", job));
  // A rejected worker is reported by finish(); until then its rejection must not count as unhandled.
  for (const w of workers) w.catch(() => undefined);
  return {
    threads,
    finish: async () => {
      const mine: { chunk: number; result: EmulateResult }[] = [];
      const n0 = Math.min(size, count);
      mine.push({ chunk: 0, result: emulate(net, images.subarray(0, n0 * per * frames), n0, options) });
      runChunks({ ...job, images }, per, mine);
      const all = [...mine, ...(await Promise.all(workers)).flat()].sort((a, b) => a.chunk - b.chunk);
      const [first, ...rest] = all.map((x) => x.result) as [EmulateResult, ...EmulateResult[]];
      return { ...merge(first, rest, count), emulationSeconds: (performance.now() - started) / 1000 };
    },
  };
}

/** `_binary`: the network's placement binary, kept in the signature for callers; workers copy `net`. */
export async function emulateParallel(_binary: Uint8Array, net: EmuNetwork, images: Float32Array, count: number, options: EmulateOptions, parallel: ParallelOptions = {}): Promise<EmulateResult> {
  return startEmulation(net, images, count, options, parallel).finish();
}

function addInto(a: Float64Array | Int32Array, b: Float64Array | Int32Array): void {
  for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) + (b[i] as number);
}
/** Shards' results in sample order → one result over `count` samples (also used by the distributed verify). */
export function merge(first: EmulateResult, rest: readonly EmulateResult[], count: number): EmulateResult {
  const classes = first.classes;
  const scores = new Float64Array(count * classes);
  scores.set(first.scores, 0);
  let at = first.scores.length;
  const counters = { ...first.counters };
  const spikeCounts = first.spikeCounts ? Int32Array.from(first.spikeCounts) : null;
  const coreSynOps = Float64Array.from(first.coreSynOps);
  const coreSpikes = Float64Array.from(first.coreSpikes);
  const coreBusySeconds = Float64Array.from(first.coreBusySeconds);
  const routeSpikes = Float64Array.from(first.routeSpikes);
  const popSpikes = Float64Array.from(first.popSpikes);
  const popSynOps = Float64Array.from(first.popSynOps);
  for (const r of rest) {
    scores.set(r.scores, at);
    at += r.scores.length;
    for (const k of Object.keys(counters) as (keyof typeof counters)[]) counters[k] += r.counters[k];
    if (spikeCounts && r.spikeCounts) addInto(spikeCounts, r.spikeCounts);
    addInto(coreSynOps, r.coreSynOps);
    addInto(coreSpikes, r.coreSpikes);
    addInto(coreBusySeconds, r.coreBusySeconds);
    addInto(routeSpikes, r.routeSpikes);
    addInto(popSpikes, r.popSpikes);
    addInto(popSynOps, r.popSynOps);
  }
  return { scores, classes, counters, spikeCounts, coreSynOps, coreSpikes, coreBusySeconds, routeSpikes, popSpikes, popSynOps, emulationSeconds: 0 };
}
