/**
 * @fileoverview A sweep on BullMQ workers: the model bundle and the data uploaded once as blobs, one job per
 * point (id = run + point), results read back by id into grid order.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { fail, type Warning } from "../diagnostics.ts";
import { putBlob, sha256 } from "../distributed/blobs.ts";
import { runJobs, type PlannedJob } from "../distributed/client.ts";
import { jobId, type SweepJob } from "../distributed/protocol.ts";
import { SNNC_VERSION } from "../version.ts";
import { bundleModel } from "./bundle.ts";
import type { PointSpec, SweepPoint } from "./grid.ts";

export interface QueueSweepInput {
  readonly url: string;
  readonly model: string;
  readonly grid: readonly PointSpec[];
  readonly images: Float32Array;
  readonly labels: Int32Array | null;
  readonly sampleShape: readonly number[];
  readonly count: number;
  readonly common: { samples: number; calibrationSamples: number; verifySamples: number; seed: number; chips?: number };
  readonly waitWorkersSeconds: number;
  readonly onDone?: (done: number, total: number) => void;
  readonly warn?: (w: Warning) => void;
}

export async function sweepOnQueue(x: QueueSweepInput): Promise<{ points: SweepPoint[]; workers: number }> {
  const model = bundleModel(x.model);
  const imageBytes = new Uint8Array(x.images.buffer, x.images.byteOffset, x.images.byteLength);
  const labelBytes = x.labels ? new Uint8Array(x.labels.buffer, x.labels.byteOffset, x.labels.byteLength) : null;
  const run = newRunId();
  const texts = new Map(x.grid.map((p) => [p.target, targetText(p.target)]));
  const jobs: PlannedJob[] = x.grid.map((p, i) => {
    const targetJson = texts.get(p.target);
    const data: SweepJob = {
      kind: "sweep", version: SNNC_VERSION, run, model: sha256(model.bytes), modelFile: model.modelFile,
      images: sha256(imageBytes), labels: labelBytes ? sha256(labelBytes) : null, sampleShape: x.sampleShape, count: x.count,
      point: { ...p, ...x.common, ...(targetJson !== undefined ? { targetJson } : {}) },
    };
    return { id: jobId(run, "sweep", String(i)), data, weight: 1 };
  });
  const out = await runJobs({
    url: x.url, waitWorkersSeconds: x.waitWorkersSeconds,
    ...(x.onDone ? { onProgress: x.onDone } : {}), ...(x.warn ? { warn: x.warn } : {}),
  }, async (redis) => {
    await putBlob(redis, model.bytes);
    await putBlob(redis, imageBytes);
    if (labelBytes) await putBlob(redis, labelBytes);
  }, jobs);
  const points = jobs.map((j, i) => {
    const p = out.results.get(j.id) as SweepPoint | undefined;
    const want = x.grid[i] as PointSpec;
    if (!p || p.target !== want.target || p.method !== want.method || p.timesteps !== want.timesteps) {
      throw fail("SNNC807", `job ${j.id} returned another point than ${want.target} ${want.method} T=${want.timesteps}`);
    }
    return p;
  });
  return { points, workers: out.workers.length };
}

/** A target given as a file travels as its text; a name is looked up on the worker. */
export function targetText(target: string): string | undefined {
  return target.endsWith(".json") || target.includes("/") ? readFileSync(target, "utf8") : undefined;
}

export function newRunId(): string {
  return randomUUID().replace(/-/g, "").slice(0, 12);
}
