/**
 * @fileoverview Worker of parallel.ts: runs its shard of samples on its copy of the loaded network.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { EmuNetwork } from "./network.ts";
import { emulate } from "./run.ts";

const job = workerData as { net: EmuNetwork; images: Float32Array; count: number; timesteps: number; recordCounts: boolean; sampleOffset: number; frames: number };
const net = job.net;
const result = emulate(net, job.images, job.count, { timesteps: job.timesteps, recordCounts: job.recordCounts, sampleOffset: job.sampleOffset, frames: job.frames });
parentPort?.postMessage(result);
