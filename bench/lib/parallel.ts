/**
 * @fileoverview The float SNN simulator over several worker threads (benchmarks only): the samples are split
 * in contiguous shards, one per worker, and the scores put back in order.
 */
import { Worker } from "node:worker_threads";
import type { SnnGraph } from "../../compiler/ir/snn.ts";
import { shapeSize } from "../../compiler/ir/ann.ts";

export interface ParallelSim {
  readonly scores: Map<number, Float32Array>;
  readonly events: number;
  readonly seconds: number;
}

export async function simulateParallel(snn: SnnGraph, images: Float32Array, count: number, timesteps: number[], workers = 2): Promise<ParallelSim> {
  const t0 = performance.now();
  const per = shapeSize(snn.inputShape);
  const classes = snn.populations[snn.output]?.size ?? 0;
  const shard = Math.ceil(count / workers);
  const jobs = Array.from({ length: workers }, (_, w) => {
    const start = w * shard;
    const n = Math.max(0, Math.min(shard, count - start));
    if (n === 0) return Promise.resolve({ start, n, scores: [] as [number, Float32Array][], events: 0 });
    return new Promise<{ start: number; n: number; scores: [number, Float32Array][]; events: number }>((resolve, reject) => {
      const worker = new Worker(new URL("./sim-worker.js", import.meta.url), {
        workerData: { snn, images: images.slice(start * per, (start + n) * per), count: n, timesteps },

      });
      worker.once("message", (m: { scores: [number, Float32Array][]; events: number }) => {
        resolve({ start, n, scores: m.scores, events: m.events });
        void worker.terminate();
      });
      worker.once("error", reject);
    });
  });
  const parts = await Promise.all(jobs);
  const scores = new Map(timesteps.map((t) => [t, new Float32Array(count * classes)]));
  let events = 0;
  for (const p of parts) {
    events += p.events;
    for (const [t, s] of p.scores) scores.get(t)?.set(s, p.start * classes);
  }
  return { scores, events, seconds: (performance.now() - t0) / 1000 };
}
