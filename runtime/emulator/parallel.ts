/**
 * @fileoverview Large batches over worker threads: the samples are cut into contiguous shards; the calling
 * thread runs the first shard (with the caller's callbacks, so a raster of sample 0 or a trace still works)
 * while each worker gets a copy of the loaded network (structured clone of its typed arrays: about 10× cheaper
 * than decoding the binary and loading it again) and runs one of the others. Samples are
 * independent (state is reset per sample, Poisson seeds follow the global sample index), so the merged result
 * equals a single-thread run: scores in order, integer counters and spike counts summed. Floating-point cost
 * sums (cycles, seconds, busy time) may differ from the single-thread run in the last bits (summation order).
 */
import { availableParallelism } from "node:os";
import { runWorker, type Shard, shardsOf } from "../threads.ts";
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

/** `_binary`: the network's placement binary, kept in the signature for callers; workers copy `net`. */
export async function emulateParallel(_binary: Uint8Array, net: EmuNetwork, images: Float32Array, count: number, options: EmulateOptions, parallel: ParallelOptions = {}): Promise<EmulateResult> {
  const threads = threadsFor(count, parallel);
  if (threads <= 1) return emulate(net, images, count, options);
  const started = performance.now();
  const per = net.input.neurons.length;
  const frames = options.frames ?? 1;
  const offset = options.sampleOffset ?? 0;
  const [head, ...tail] = shardsOf(count, threads) as [Shard, ...Shard[]];
  const jobs = tail.map(({ start, n }) => runWorker<EmulateResult>(new URL("./worker.js", import.meta.url), {
    net, images: images.slice(start * per * frames, (start + n) * per * frames), count: n,
    timesteps: options.timesteps, recordCounts: options.recordCounts === true, sampleOffset: offset + start, frames,
  }));
  const first = emulate(net, images.subarray(0, head.n * per * frames), head.n, options);
  const rest = await Promise.all(jobs);
  return { ...merge(first, rest, count), emulationSeconds: (performance.now() - started) / 1000 };
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
