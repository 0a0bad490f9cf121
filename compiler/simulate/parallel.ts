/**
 * @fileoverview The float SNN simulator and the reference integer simulator over several threads (compile's
 * accuracy curve, benchmarks): the samples are split in contiguous shards; the calling thread runs the first
 * (no worker start-up for it) while a kept worker (runtime/threads.ts's pool) per other shard runs the rest, and the scores are put back in
 * order. Samples are independent, so the scores equal a single-thread run's.
 */
import { jobModule, runPooled, type Shard, shardsOf } from "../../runtime/threads.ts";
import { type RangeStats, simulateFloat, simulatePiece } from "./float-snn.ts";
import { simulateInt } from "./int-snn.ts";
import { shapeSize } from "../ir/ann.ts";
import type { QuantisedSnn } from "../ir/quantised.ts";
import type { SnnGraph } from "../ir/snn.ts";

export interface ParallelSim {
  readonly scores: Map<number, Float32Array>;
  readonly events: number;
  readonly seconds: number;
}

/** sim-worker.ts, the job the pool's workers run. */
const SIM_JOB = jobModule(import.meta.url, "sim-worker");

/** The first shard of `count` samples on this thread (`local`), each other one in a worker (`data(start, n)` = its
 * workerData); the workers start before the local shard runs. */
async function sharded<R>(count: number, workers: number, data: (start: number, n: number) => unknown, local: (n: number) => R): Promise<(Shard & { readonly result: R })[]> {
  const [head, ...tail] = shardsOf(count, workers) as [Shard, ...Shard[]];
  const jobs = tail.map(async ({ start, n }) => ({ start, n, result: await runPooled<R>(SIM_JOB, "simJob", data(start, n)) }));
  const first = { ...head, result: local(head.n) };
  return [first, ...(await Promise.all(jobs))];
}

export async function simulateParallel(snn: SnnGraph, images: Float32Array, count: number, timesteps: number[], workers = 2): Promise<ParallelSim> {
  const t0 = performance.now();
  const per = shapeSize(snn.inputShape);
  const classes = snn.populations[snn.output]?.size ?? 0;
  const parts = await sharded<{ scores: [number, Float32Array][]; events: number }>(count, workers, (start, n) => ({
    kind: "float", snn, images: images.slice(start * per, (start + n) * per), count: n, timesteps, sampleOffset: start,
  }), (n) => {
    const sim = simulateFloat(snn, images, n, { timesteps });
    return { scores: [...sim.scores.entries()], events: sim.synapticEvents };
  });
  const scores = new Map(timesteps.map((t) => [t, new Float32Array(count * classes)]));
  let events = 0;
  for (const p of parts) {
    events += p.result.events;
    for (const [t, s] of p.result.scores) scores.get(t)?.set(s, p.start * classes);
  }
  return { scores, events, seconds: (performance.now() - t0) / 1000 };
}

/** One network's samples [start, start + n) (simulateMany's unit of work). */
interface Piece {
  readonly net: number;
  readonly start: number;
  readonly n: number;
}

/** The (network, sample range) pieces of thread `t` of `threads` when k networks × n samples are cut evenly;
 * no piece straddles sample `cut`. */
function piecesOf(k: number, n: number, t: number, threads: number, cut: number): Piece[] {
  const share = Math.ceil((k * n) / threads);
  const out: Piece[] = [];
  for (let u = t * share; u < Math.min((t + 1) * share, k * n);) {
    const net = Math.floor(u / n);
    const start = u - net * n;
    const len = Math.min(n - start, (t + 1) * share - u, start < cut ? cut - start : n);
    out.push({ net, start, n: len });
    u += len;
  }
  return out;
}

/**
 * Float SNN scores at one T of several networks on the same `count` samples, the work (networks × samples)
 * cut evenly over `threads` threads (this one and workers): convert's `auto` normalisation trials. Samples
 * are independent (Poisson seeds follow the global sample index), so each network's scores equal
 * simulateFloat's on all samples at once. Also each network's ranges over its first `rangeSamples` samples
 * (maxima and spike sums over the pieces: exactly simulateFloat's with recordRanges on those samples).
 */
export async function simulateMany(snns: readonly SnnGraph[], images: Float32Array, count: number, timesteps: number, threads = 2, rangeSamples = 0): Promise<{ scores: Float32Array[]; ranges: RangeStats[] }> {
  const k = snns.length;
  const per = k > 0 ? shapeSize((snns[0] as SnnGraph).inputShape) : 0;
  const cut = Math.min(rangeSamples, count);
  const T = Math.max(1, threads);
  const shares = Array.from({ length: T }, (_, t) => piecesOf(k, count, t, T, cut));
  type Out = ReturnType<typeof simulatePiece>[];
  const jobs = shares.slice(1).map(async (pieces) => {
    const used = [...new Set(pieces.map((p) => p.net))];
    const results = await runPooled<Out>(SIM_JOB, "simJob", {
      kind: "floatMany", snns: used.map((i) => snns[i]), images: images.slice(0, count * per), timesteps, cut,
      pieces: pieces.map((p) => ({ ...p, net: used.indexOf(p.net) })),
    });
    return { pieces, results };
  });
  for (const j of jobs) j.catch(() => undefined);
  const mine = shares[0] as Piece[];
  const parts = [{ pieces: mine, results: mine.map((p) => simulatePiece(snns[p.net] as SnnGraph, images, p, timesteps, cut)) }, ...(await Promise.all(jobs))];
  const classes = (s: SnnGraph) => s.populations[s.output]?.size ?? 0;
  const scores = snns.map((s) => new Float32Array(count * classes(s)));
  const ranges = snns.map((s) => ({ samples: cut, maxAbsV: new Float64Array(s.populations.length), maxAbsInput: new Float64Array(s.populations.length), totalSpikes: new Float64Array(s.populations.length) }));
  for (const part of parts) {
    part.pieces.forEach((p, i) => {
      const r = part.results[i] as Out[number];
      (scores[p.net] as Float32Array).set(r.scores, p.start * classes(snns[p.net] as SnnGraph));
      if (!r.ranges) return;
      const into = ranges[p.net] as RangeStats;
      for (let j = 0; j < into.maxAbsV.length; j++) {
        into.maxAbsV[j] = Math.max(into.maxAbsV[j] as number, r.ranges.maxAbsV[j] as number);
        into.maxAbsInput[j] = Math.max(into.maxAbsInput[j] as number, r.ranges.maxAbsInput[j] as number);
        into.totalSpikes[j] = (into.totalSpikes[j] as number) + (r.ranges.totalSpikes[j] as number);
      }
    });
  }
  return { scores, ranges };
}

/** The reference integer simulator (compiler/simulate/int-snn) at one T; scores [count, classes]. */
export async function simulateIntParallel(q: QuantisedSnn, images: Float32Array, count: number, timesteps: number, workers = 2): Promise<{ scores: Float64Array; events: number; seconds: number }> {
  const t0 = performance.now();
  const inPop = q.populations[q.input.population];
  const per = inPop?.size ?? 0;
  const classes = q.populations[q.output]?.size ?? 0;
  const parts = await sharded<{ scores: Float64Array; events: number }>(count, workers, (start, n) => ({
    kind: "int", q, images: images.slice(start * per, (start + n) * per), count: n, timesteps, sampleOffset: start,
  }), (n) => {
    const sim = simulateInt(q, images, n, { timesteps });
    return { scores: sim.scores, events: sim.synapticEvents };
  });
  const scores = new Float64Array(count * classes);
  let events = 0;
  for (const p of parts) {
    events += p.result.events;
    scores.set(p.result.scores, p.start * classes);
  }
  return { scores, events, seconds: (performance.now() - t0) / 1000 };
}
