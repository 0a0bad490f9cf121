/**
 * @fileoverview The float SNN simulator and the reference integer simulator over several worker threads
 * (compile's accuracy curve, benchmarks): the samples are split in contiguous shards, one per worker, and the
 * scores put back in order. Samples are independent, so the scores equal a single-thread run's.
 */
import { runWorker, type Shard, shardsOf } from "../../runtime/threads.ts";
import { shapeSize } from "../ir/ann.ts";
import type { QuantisedSnn } from "../ir/quantised.ts";
import type { SnnGraph } from "../ir/snn.ts";

export interface ParallelSim {
  readonly scores: Map<number, Float32Array>;
  readonly events: number;
  readonly seconds: number;
}

/** Runs the worker once per shard of `count` samples (`data(start, n)` = its workerData). */
function sharded<R>(count: number, workers: number, data: (start: number, n: number) => unknown): Promise<(Shard & { readonly result: R })[]> {
  return Promise.all(shardsOf(count, workers).map(async ({ start, n }) => ({ start, n, result: await runWorker<R>(new URL("./sim-worker.js", import.meta.url), data(start, n)) })));
}

export async function simulateParallel(snn: SnnGraph, images: Float32Array, count: number, timesteps: number[], workers = 2): Promise<ParallelSim> {
  const t0 = performance.now();
  const per = shapeSize(snn.inputShape);
  const classes = snn.populations[snn.output]?.size ?? 0;
  const parts = await sharded<{ scores: [number, Float32Array][]; events: number }>(count, workers, (start, n) => ({
    kind: "float", snn, images: images.slice(start * per, (start + n) * per), count: n, timesteps,
  }));
  const scores = new Map(timesteps.map((t) => [t, new Float32Array(count * classes)]));
  let events = 0;
  for (const p of parts) {
    events += p.result.events;
    for (const [t, s] of p.result.scores) scores.get(t)?.set(s, p.start * classes);
  }
  return { scores, events, seconds: (performance.now() - t0) / 1000 };
}

/** The reference integer simulator (compiler/simulate/int-snn) at one T; scores [count, classes]. */
export async function simulateIntParallel(q: QuantisedSnn, images: Float32Array, count: number, timesteps: number, workers = 2): Promise<{ scores: Float64Array; events: number; seconds: number }> {
  const t0 = performance.now();
  const inPop = q.populations[q.input.population];
  const per = inPop?.size ?? 0;
  const classes = q.populations[q.output]?.size ?? 0;
  const parts = await sharded<{ scores: Float64Array; events: number }>(count, workers, (start, n) => ({
    kind: "int", q, images: images.slice(start * per, (start + n) * per), count: n, timesteps,
  }));
  const scores = new Float64Array(count * classes);
  let events = 0;
  for (const p of parts) {
    events += p.result.events;
    scores.set(p.result.scores, p.start * classes);
  }
  return { scores, events, seconds: (performance.now() - t0) / 1000 };
}
