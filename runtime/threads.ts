/**
 * @fileoverview Worker-thread plumbing shared by the emulator's and the simulators' parallel runs: contiguous
 * shards of a batch, and one worker run to its single result message.
 */
import { Worker } from "node:worker_threads";

export interface Shard {
  readonly start: number;
  readonly n: number;
}

/** `count` samples cut into at most `parts` contiguous, non-empty shards of equal size (the last shorter). */
export function shardsOf(count: number, parts: number): Shard[] {
  const size = Math.ceil(count / Math.max(1, parts));
  const out: Shard[] = [];
  for (let start = 0; start < count; start += size) out.push({ start, n: Math.min(size, count - start) });
  return out;
}

/** Starts the worker script at `url` with `data` and resolves with the first message it posts. */
export function runWorker<R>(url: URL, data: unknown): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const worker = new Worker(url, { workerData: data });
    worker.once("message", (m: R) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}
