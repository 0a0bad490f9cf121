/**
 * @fileoverview Worker of parallel.ts: takes chunks of samples from the shared counter and runs them on its
 * copy of the loaded network; posts every chunk's result, tagged with its chunk number, at the end.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { EmulateResult } from "./run.ts";
import { type ChunkJob, runChunks } from "./parallel.ts";

const job = workerData as ChunkJob;
const out: { chunk: number; result: EmulateResult }[] = [];
runChunks(job, job.net.input.neurons.length, out);
parentPort?.postMessage(out);
