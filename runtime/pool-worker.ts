/**
 * @fileoverview A kept worker of runtime/threads.ts's pool: for each message { module, fn, data } it imports the
 * module (once: the module cache keeps it), calls its export `fn` with `data` and posts { ok, result } or
 * { ok: false, error } back. Runs jobs one at a time, in the order they come.
 */
import { parentPort } from "node:worker_threads";
import { CodedError } from "./errors.ts";
import type { JobError } from "./threads.ts";

type Job = { readonly module: string; readonly fn: string; readonly data: unknown };

parentPort?.on("message", (job: Job) => {
  void (async () => {
    try {
      const mod = (await import(job.module)) as Record<string, unknown>;
      const f = mod[job.fn];
      if (typeof f !== "function") throw new Error(`internal: ${job.module} has no function ${job.fn}`);
      const result: unknown = await (f as (d: unknown) => unknown)(job.data);
      parentPort?.postMessage({ ok: true, result });
    } catch (e) {
      const error: JobError = !(e instanceof Error) ? { message: String(e) }
        : { message: e.message, ...(e.stack ? { stack: e.stack } : {}), ...(e instanceof CodedError ? { code: e.code, loc: e.loc, ...(e.hint !== undefined ? { hint: e.hint } : {}) } : {}) };
      parentPort?.postMessage({ ok: false, error });
    }
  })();
});
