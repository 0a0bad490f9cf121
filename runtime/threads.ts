/**
 * @fileoverview Worker-thread plumbing shared by the emulator's and the simulators' parallel runs: contiguous
 * shards of a batch, one worker run to its single result message, and the process's pool of kept workers.
 *
 * The pool (`runPooled`): a job is (module, exported function, data); an idle kept worker runs it, else a new
 * worker is started and kept. Workers load each job module once (their module cache), so a compile's later
 * parallel runs (convert's trials, verify, evaluate) pay no start-up. A job's function is called with the data
 * (structured clone, as workerData is) and its return value is posted back. Idle workers are unref'd: they keep
 * the process alive only while they run a job. A worker that fails (exits or throws outside a job) is dropped
 * and its job rejected. A job's coded error (SNNCnnn) comes back as a CodedError with its code, location and
 * hint; any other as an Error with its message and stack.
 */
import { Worker } from "node:worker_threads";
import { CodedError, type ErrorLocation } from "./errors.ts";

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

/** A job's failure as a pooled worker posts it (pool-worker.ts). */
export interface JobError {
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
  readonly loc?: ErrorLocation;
  readonly hint?: string;
}

function errorOf(e: JobError): Error {
  const out = e.code !== undefined ? new CodedError(e.code, e.message, e.loc ?? {}, e.hint) : new Error(e.message);
  if (e.stack) out.stack = e.stack;
  return out;
}

/** A job module's exported function as the pool calls it. */
export type PooledJob<D, R> = (data: D) => R;

interface Kept {
  readonly worker: Worker;
  busy: boolean;
}

const kept: Kept[] = [];
let started = 0;

/** Workers the pool has started since the process began (for tests and benchmarks). */
export function pooledWorkersStarted(): number {
  return started;
}

/** The pool's worker script: the compiled one next to this module, or in the sources the bootstrap that
 * registers tsx (workers do not inherit the parent's loader). */
const POOL_WORKER = new URL("./pool-worker.js", import.meta.url);

/** The sibling `name` (without extension) of the module at `url`, with that module's extension (.ts when run
 * from the sources, .js from dist/): the job module to pass to runPooled. */
export function jobModule(url: string, name: string): URL {
  return new URL(`./${name}${url.endsWith(".ts") ? ".ts" : ".js"}`, url);
}

/** Runs `fn` of the job module `module` on `data` in a kept worker; resolves with its return value. */
export function runPooled<R>(module: URL, fn: string, data: unknown): Promise<R> {
  let k = kept.find((w) => !w.busy);
  if (!k) {
    const worker = new Worker(POOL_WORKER);
    started++;
    k = { worker, busy: false };
    kept.push(k);
  }
  const w = k;
  w.busy = true;
  w.worker.ref();
  return new Promise<R>((resolve, reject) => {
    const done = (): void => {
      w.worker.off("message", onMessage);
      w.worker.off("error", onError);
      w.worker.off("exit", onExit);
    };
    const drop = (e: Error): void => {
      done();
      const i = kept.indexOf(w);
      if (i >= 0) kept.splice(i, 1);
      void w.worker.terminate();
      reject(e);
    };
    const onMessage = (m: { ok: true; result: R } | { ok: false; error: JobError }): void => {
      done();
      w.busy = false;
      w.worker.unref();
      if (m.ok) resolve(m.result);
      else reject(errorOf(m.error));
    };
    const onError = (e: Error): void => drop(e);
    const onExit = (code: number): void => drop(new Error(`internal: a pooled worker exited (code ${code})`));
    w.worker.on("message", onMessage);
    w.worker.once("error", onError);
    w.worker.once("exit", onExit);
    w.worker.postMessage({ module: module.href, fn, data });
  });
}
