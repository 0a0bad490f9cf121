/**
 * @fileoverview `snnc verify --queue`: the samples cut into contiguous ranges, one BullMQ job each; the
 * binary, the reference model and the images uploaded once as content-addressed blobs; the shards' results
 * merged by range (shard.ts) into exactly what a local `snnc verify` computes.
 */
import { randomUUID } from "node:crypto";
import type { Warning } from "../diagnostics.ts";
import { fail } from "../diagnostics.ts";
import { SNNC_VERSION } from "../version.ts";
import { putBlob, sha256 } from "./blobs.ts";
import { runJobs, type PlannedJob } from "./client.ts";
import { jobId, type VerifyJob } from "./protocol.ts";
import { mergeShards, type ShardResult } from "./shard.ts";
import type { WorkerInfo } from "./protocol.ts";

export interface QueueVerifyInput {
  readonly url: string;
  readonly binary: Uint8Array;
  /** reference.json.gz as written by snnc compile. */
  readonly reference: Uint8Array;
  readonly images: Float32Array;
  readonly count: number;
  readonly perSample: number;
  readonly timesteps: number;
  /** Samples per job (default: about 40 jobs, 8 to 250 samples each). */
  readonly jobSamples?: number;
  readonly waitWorkersSeconds?: number;
  readonly outageSeconds?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly warn?: (w: Warning) => void;
}

export interface QueueVerifyResult {
  readonly shard: ShardResult;
  readonly jobs: number;
  readonly workers: readonly WorkerInfo[];
  readonly resubmissions: number;
}

export function defaultJobSamples(count: number): number {
  return Math.max(8, Math.min(250, Math.ceil(count / 40)));
}

export async function verifyOnQueue(x: QueueVerifyInput): Promise<QueueVerifyResult> {
  const size = x.jobSamples ?? defaultJobSamples(x.count);
  if (!Number.isInteger(size) || size < 1) throw fail("SNNC003", `--job-samples must be a positive integer, got ${size}`);
  const imageBytes = new Uint8Array(x.images.buffer, x.images.byteOffset, x.count * x.perSample * 4);
  const hashes = { binary: sha256(x.binary), reference: sha256(x.reference), images: sha256(imageBytes) };
  const run = randomUUID().replace(/-/g, "").slice(0, 12);
  const jobs: PlannedJob[] = [];
  for (let start = 0; start < x.count; start += size) {
    const n = Math.min(size, x.count - start);
    const data: VerifyJob = {
      kind: "verify", version: SNNC_VERSION, run, ...hashes, perSample: x.perSample, timesteps: x.timesteps, start, n,
    };
    jobs.push({ id: jobId(run, "verify", `${start}+${n}`), data, weight: n });
  }
  const out = await runJobs(x, async (redis) => {
    await putBlob(redis, x.binary);
    await putBlob(redis, x.reference);
    await putBlob(redis, imageBytes);
  }, jobs);
  const shards = jobs.map((j) => {
    const r = out.results.get(j.id) as ShardResult;
    const d = j.data as VerifyJob;
    if (!r || r.start !== d.start || r.n !== d.n) {
      throw fail("SNNC807", `job ${j.id} returned samples ${r?.start}+${r?.n}, expected ${d.start}+${d.n}`, {}, "workers and client disagree: check that they run the same snnc");
    }
    return r;
  });
  return { shard: mergeShards(shards, 0), jobs: jobs.length, workers: out.workers, resubmissions: out.resubmissions };
}
