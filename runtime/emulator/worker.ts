/**
 * @fileoverview Job of parallel.ts run by a kept worker (runtime/threads.ts's pool): takes chunks of samples
 * from the shared counter and runs them on its copy of the loaded network; returns every chunk's result, tagged
 * with its chunk number. Importing parallel.ts installs the WebAssembly kernels in the worker (wasm-load.ts).
 */
import type { EmulateResult } from "./run.ts";
import { type ChunkJob, runChunks } from "./parallel.ts";

export function runChunkJob(job: ChunkJob): { chunk: number; result: EmulateResult }[] {
  const out: { chunk: number; result: EmulateResult }[] = [];
  runChunks(job, job.net.input.neurons.length, out);
  return out;
}
