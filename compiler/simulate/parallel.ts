/**
 * @fileoverview The float SNN simulator and the reference integer simulator over several threads (compile's
 * accuracy curve, benchmarks): the samples are split in contiguous shards; the calling thread runs the first
 * (no worker start-up for it) while one worker per other shard runs the rest, and the scores are put back in
 * order. Samples are independent, so the scores equal a single-thread run's.
 */
import { runWorker, type Shard, shardsOf } from "../../runtime/threads.ts";
import { simulateFloat } from "./float-snn.ts";
import { simulateInt } from "./int-snn.ts";
import { shapeSize } from "../ir/ann.ts";
import type { QuantisedSnn } from "../ir/quantised.ts";
import type { SnnGraph } from "../ir/snn.ts";

export interface ParallelSim {
  readonly scores: Map<number, Float32Array>;
  readonly events: number;
  readonly seconds: number;
}

/** The first shard of `count` samples on this thread (`local`), each other one in a worker (`data(start, n)` = its
 * workerData); the workers start before the local shard runs. */
async function sharded<R>(count: number, workers: number, data: (start: number, n: number) => unknown, local: (n: number) => R): Promise<(Shard & { readonly result: R })[]> {
  const [head, ...tail] = shardsOf(count, workers) as [Shard, ...Shard[]];
  const jobs = tail.map(async ({ start, n }) => ({ start, n, result: await runWorker<R>(new URL("./sim-worker.js", import.meta.url), data(start, n)) }));
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

/** The (network, sample range) pieces of thread `t` of `threads` when k networks × n samples are cut evenly. */
function piecesOf(k: number, n: number, t: number, threads: number): Piece[] {
  const share = Math.ceil((k * n) / threads);
  const out: Piece[] = [];
  for (let u = t * share; u < Math.min((t + 1) * share, k * n);) {
    const net = Math.floor(u / n);
    const start = u - net * n;
    const len = Math.min(n - start, (t + 1) * share - u);
    out.push({ net, start, n: len });
    u += len;
  }
  return out;
}

/**
 * Float SNN scores at one T of several networks on the same `count` samples, the work (networks × samples)
 * cut evenly over `threads` threads (this one and workers): convert's `auto` normalisation trials. Samples
 * are independent (Poisson seeds follow the global sample index), so each network's scores equal
 * simulateFloat's on all samples at once.
 */
export async function simulateMany(snns: readonly SnnGraph[], images: Float32Array, count: number, timesteps: number, threads = 2): Promise<Float32Array[]> {
  const k = snns.length;
  const per = k > 0 ? shapeSize((snns[0] as SnnGraph).inputShape) : 0;
  const run = (pieces: readonly Piece[], imgs: Float32Array): Float32Array[] => pieces.map((p) => simulateFloat(snns[p.net] as SnnGraph, imgs.subarray(p.start * per, (p.start + p.n) * per), p.n, { timesteps: [timesteps], sampleOffset: p.start }).scores.get(timesteps) as Float32Array);
  const shares = Array.from({ length: Math.max(1, threads) }, (_, t) => piecesOf(k, count, t, Math.max(1, threads)));
  const jobs = shares.slice(1).map(async (pieces) => {
    const used = [...new Set(pieces.map((p) => p.net))];
    const scores = await runWorker<Float32Array[]>(new URL("./sim-worker.js", import.meta.url), {
      kind: "floatMany", snns: used.map((i) => snns[i]), images: images.slice(0, count * per), timesteps,
      pieces: pieces.map((p) => ({ ...p, net: used.indexOf(p.net) })),
    });
    return { pieces, scores };
  });
  for (const j of jobs) j.catch(() => undefined);
  const mine = shares[0] as Piece[];
  const parts = [{ pieces: mine, scores: run(mine, images) }, ...(await Promise.all(jobs))];
  const classes = (s: SnnGraph) => s.populations[s.output]?.size ?? 0;
  const out = snns.map((s) => new Float32Array(count * classes(s)));
  for (const part of parts) {
    part.pieces.forEach((p, i) => (out[p.net] as Float32Array).set(part.scores[i] as Float32Array, p.start * classes(snns[p.net] as SnnGraph)));
  }
  return out;
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
