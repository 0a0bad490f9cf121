/**
 * @fileoverview One shard of `snnc verify` (a contiguous range of samples) and the merge of shards into the
 * result of a single local run. Input: the binary, its reference model, the shard's images and its global
 * offset. Output: the bit-exactness result (sample numbers local to the shard), the emulator's result and
 * the ANN's classes. Merging (by range, in sample order, never by arrival): the emulator results go through
 * runtime/emulator/parallel.ts's merge; the bit-exactness results stop at the first shard with a mismatch
 * and count what a single run would have compared before it. Samples are independent and Poisson seeds follow
 * the global sample index, so counts, accuracy and the first mismatch equal a local run's.
 */
import type { EmuNetwork } from "../../runtime/emulator/network.ts";
import { merge } from "../../runtime/emulator/parallel.ts";
import { type EmulateResult, emulate } from "../../runtime/emulator/run.ts";
import type { AnnGraph } from "../ir/ann.ts";
import type { QuantisedSnn } from "../ir/quantised.ts";
import { predictClasses } from "../interp/ann-float.ts";
import { type BitExactResult, verifyBitExact } from "../verify/bitexact.ts";

export interface ShardResult {
  readonly start: number;
  readonly n: number;
  /** Steps per sample (T + readout depth). */
  readonly steps: number;
  readonly bitExact: BitExactResult;
  readonly run: EmulateResult;
  readonly annClasses: Int32Array;
}

export interface ShardInput {
  readonly graph: AnnGraph;
  readonly quantised: QuantisedSnn;
  readonly binary: Uint8Array;
  readonly net: EmuNetwork;
  readonly timesteps: number;
  /** Images of this shard only. */
  readonly images: Float32Array;
  readonly start: number;
  readonly n: number;
}

/** Wall time a slice aims at between yields to the event loop (BullMQ renews the job's lock meanwhile). */
const SLICE_MS = 200;

/**
 * Runs one shard in slices, yielding between slices; `onProgress(done)` after each. A slice's size adapts
 * (1 to 64 samples) so that it takes about SLICE_MS: small networks are not slowed by yields, large ones do
 * not hold the event loop for seconds.
 */
export async function verifyShard(x: ShardInput, onProgress: (done: number) => void | Promise<void> = () => {}): Promise<ShardResult> {
  const per = x.net.input.neurons.length;
  const parts: ShardResult[] = [];
  let size = 1;
  for (let s = 0; s < x.n;) {
    const k = Math.min(size, x.n - s);
    const t0 = performance.now();
    const images = x.images.subarray(s * per, (s + k) * per);
    const start = x.start + s;
    const bitExact = verifyBitExact(x.quantised, x.binary, images, k, x.timesteps, x.net, start);
    const run = emulate(x.net, images, k, { timesteps: x.timesteps, sampleOffset: start });
    const annClasses = predictClasses(x.graph, images, k);
    parts.push({ start, n: k, steps: x.timesteps + x.quantised.readoutDepth, bitExact, run, annClasses });
    const ms = performance.now() - t0;
    size = Math.max(1, Math.min(64, Math.round(k * SLICE_MS / Math.max(1, ms))));
    s += k;
    await onProgress(s);
    await new Promise((r) => setImmediate(r));
  }
  return mergeShards(parts, x.start);
}

/** Bit-exactness of consecutive shards as one run would report it. */
export function mergeBitExact(parts: readonly { readonly start: number; readonly n: number; readonly bitExact: BitExactResult }[], origin: number, steps: number): BitExactResult {
  let spikes = 0;
  let samples = 0;
  for (const p of parts) {
    samples += p.n;
    const v = p.bitExact;
    if (!v.bitExact && v.firstMismatch) {
      const off = p.start - origin;
      const total = parts.reduce((a, q) => a + q.n, 0);
      return {
        bitExact: false, comparedSteps: off * steps + v.comparedSteps, comparedSpikes: spikes + v.comparedSpikes, samples: total,
        firstMismatch: { ...v.firstMismatch, sample: off + v.firstMismatch.sample },
      };
    }
    spikes += v.comparedSpikes;
  }
  return { bitExact: true, comparedSteps: samples * steps, comparedSpikes: spikes, firstMismatch: null, samples };
}

/**
 * Shards covering [origin, origin + Σn) exactly, in any order → one result. Throws when they overlap or
 * leave a gap (a result would be counted twice or lost).
 */
export function mergeShards(shards: readonly ShardResult[], origin = 0): ShardResult {
  const sorted = [...shards].sort((a, b) => a.start - b.start);
  let at = origin;
  for (const s of sorted) {
    if (s.start !== at) throw new Error(`internal: shards do not tile the samples (expected start ${at}, got ${s.start})`);
    at += s.n;
  }
  const count = at - origin;
  const [first, ...rest] = sorted;
  if (!first) throw new Error("internal: no shards to merge");
  const annClasses = new Int32Array(count);
  for (const s of sorted) annClasses.set(s.annClasses, s.start - origin);
  return {
    start: origin, n: count, steps: first.steps,
    bitExact: mergeBitExact(sorted, origin, first.steps),
    run: merge(first.run, rest.map((r) => r.run), count),
    annClasses,
  };
}
