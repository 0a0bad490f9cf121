/**
 * @fileoverview A sweep job on a worker: the model bundle and the sweep's data (hash-checked blobs) unpacked
 * once per worker into a temp directory, then the point evaluated on a worker thread (so the worker's event
 * loop keeps renewing the job's lock during a long compile).
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeNpy } from "../data/npy.ts";
import type { BlobCache } from "../distributed/blobs.ts";
import { type SweepJob, toWire, type Wire } from "../distributed/protocol.ts";
import { PointPool } from "./local.ts";
import { unpackModel } from "./bundle.ts";

/** One compile thread per worker process, started with its first sweep job. */
let pool: PointPool | null = null;

/** Distinguishes this process's temporary files. */
let tmpCounter = 0;

export async function closeSweepThreads(): Promise<void> {
  await pool?.close();
  pool = null;
}

export async function runSweepJob(d: SweepJob, blobs: BlobCache): Promise<Wire> {
  const dir = join(tmpdir(), `snnc-sweep-${process.pid}`, `${d.model.slice(0, 16)}-${d.images.slice(0, 16)}`);
  const modelPath = join(dir, "model", d.modelFile);
  if (!existsSync(join(dir, "ready"))) {
    mkdirSync(join(dir, "model"), { recursive: true });
    unpackModel(await blobs.get(d.model), join(dir, "model"));
    const img = await blobs.get(d.images);
    writeFileSync(join(dir, "x.npy"), writeNpy([d.count, ...d.sampleShape], new Float32Array(img.slice().buffer)));
    if (d.labels) writeFileSync(join(dir, "y.npy"), writeNpy([d.count], new Int32Array((await blobs.get(d.labels)).slice().buffer)));
    writeFileSync(join(dir, "ready.tmp"), "");
    renameSync(join(dir, "ready.tmp"), join(dir, "ready"));
  }
  let targetPath: string | undefined;
  if (d.point.targetJson !== undefined) {
    targetPath = join(dir, `target-${Buffer.from(d.point.target).toString("hex").slice(0, 40)}.json`);
    // Written whole then renamed: other jobs (on this worker's threads or other workers sharing the folder)
    // may be reading the same file, and must never see it half-written.
    const tmp = `${targetPath}.${process.pid}.${++tmpCounter}.tmp`;
    writeFileSync(tmp, d.point.targetJson);
    renameSync(tmp, targetPath);
  }
  const p = d.point;
  pool ??= new PointPool(1);
  const point = await pool.run({
    model: modelPath, data: join(dir, "x.npy"), spec: { target: p.target, method: p.method, timesteps: p.timesteps },
    samples: p.samples, calibrationSamples: p.calibrationSamples, verifySamples: p.verifySamples, seed: p.seed,
    ...(p.chips !== undefined ? { chips: p.chips } : {}),
    ...(targetPath !== undefined ? { targetPath } : {}),
  });
  return toWire(point);
}
