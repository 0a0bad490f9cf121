/**
 * @fileoverview The client side of a distributed run: uploads the run's blobs, adds its jobs (ids fixed by
 * run and range), follows them to the end and returns each job's result by id. Input: the planned jobs and an
 * upload function; output: a Map job id → result (decoded from the wire), every job exactly once.
 *
 * Robustness: results are read back from Redis by job id (events only wake the loop and move the progress
 * bar), so a missed event or a retried job loses or doubles nothing. When Redis comes back without the run's
 * marker (restarted, state lost), the blobs are uploaded again and every unfinished job re-added (SNNC-W801);
 * when it stays away longer than `outageSeconds`, SNNC802. Workers of another snnc version are refused
 * (SNNC-W800); no worker of this version for `waitWorkersSeconds` is SNNC804. A job that failed with a coded
 * error fails the run with that code.
 */
import { type Job, Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { DIAGNOSTICS, type DiagnosticCode, fail, type Warning } from "../diagnostics.ts";
import { SNNC_VERSION } from "../version.ts";
import { fromWire, type JobData, queueName, runKey, type Wire, WORKER_KEY_PREFIX, type WorkerInfo } from "./protocol.ts";
import { connect, Health, parseQueueUrl, redisOptions } from "./redis.ts";

export interface PlannedJob {
  readonly id: string;
  readonly data: JobData;
  /** Units of work (samples) for the progress bar. */
  readonly weight: number;
}

export interface ClientOptions {
  readonly url: string;
  /** Give up (SNNC804) when no worker of this version is seen for this long. */
  readonly waitWorkersSeconds?: number;
  /** Give up (SNNC802) when Redis is away for this long. */
  readonly outageSeconds?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly warn?: (w: Warning) => void;
}

export interface JobsRun {
  readonly results: Map<string, unknown>;
  /** Times Redis lost the run's state and the run was resubmitted. */
  readonly resubmissions: number;
  readonly workers: readonly WorkerInfo[];
}

const POLL_MS = 200;
/** Finished jobs stay a day at most (the client removes its own at the end of the run). */
const JOB_OPTIONS = { attempts: 3, backoff: { type: "fixed", delay: 500 }, removeOnComplete: { age: 86400 }, removeOnFail: { age: 86400 } } as const;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);
}

/** Live workers in the registry. */
export async function listWorkers(redis: Redis): Promise<WorkerInfo[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `${WORKER_KEY_PREFIX}*`, "COUNT", 200);
    cursor = next;
    keys.push(...found);
  } while (cursor !== "0");
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((v) => {
    try {
      return v ? [JSON.parse(v) as WorkerInfo] : [];
    } catch {
      return [];
    }
  });
}

/** A failed job's reason as the coded error the worker raised (SNNC806 when it was not coded). */
function jobError(job: Job, id: string): Error {
  const reason = job.failedReason ?? "unknown";
  const m = /^(SNNC\d{3}): ([\s\S]*)$/.exec(reason);
  const code = m?.[1];
  if (code && code in DIAGNOSTICS) return fail(code as DiagnosticCode, `${m?.[2] ?? ""} (job ${id})`);
  return fail("SNNC806", `job ${id} failed on a worker after ${job.attemptsMade} attempt(s): ${reason}`, {}, "see the worker's log (snnc worker prints each job)");
}

export async function runJobs(o: ClientOptions, upload: (redis: Redis) => Promise<void>, jobs: readonly PlannedJob[]): Promise<JobsRun> {
  const url = parseQueueUrl(o.url);
  const outage = o.outageSeconds ?? 30;
  const waitWorkers = o.waitWorkersSeconds ?? 30;
  const health = new Health(url, outage);
  const redis = await connect(url, health);
  const name = queueName(SNNC_VERSION);
  const queue = new Queue<JobData, Wire>(name, { connection: redisOptions(url, health) });
  const events = new QueueEvents(name, { connection: redisOptions(url, health) });
  queue.on("error", () => {});
  events.on("error", () => {});
  const run = (jobs[0]?.data.run ?? "none");
  const results = new Map<string, unknown>();
  const partial = new Map<string, number>();
  const weights = new Map(jobs.map((j) => [j.id, j.weight]));
  const total = jobs.reduce((a, j) => a + j.weight, 0);
  const refused = new Set<string>();
  let resubmissions = 0;
  let seen: WorkerInfo[] = [];
  let wake: () => void = () => {};
  const report = () => {
    let done = 0;
    for (const [id, w] of weights) done += results.has(id) ? w : Math.min(w, partial.get(id) ?? 0);
    o.onProgress?.(done, total);
  };
  events.on("progress", ({ jobId, data }) => {
    if (weights.has(jobId) && typeof data === "number") partial.set(jobId, data);
    report();
  });
  events.on("completed", () => wake());
  events.on("failed", () => wake());

  const submit = async (ids: readonly string[]) => {
    await upload(redis);
    await redis.set(runKey(run), SNNC_VERSION, "EX", 24 * 3600);
    const want = new Set(ids);
    await queue.addBulk(jobs.filter((j) => want.has(j.id)).map((j) => ({ name: j.data.kind, data: j.data, opts: { ...JOB_OPTIONS, jobId: j.id } })));
  };

  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    await submit(jobs.map((j) => j.id));
    report();
    let lastOk = Date.now();
    let workersSeenAt = Date.now();
    let lastWorkerCheck = 0;
    while (results.size < jobs.length) {
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, POLL_MS);
      });
      try {
        const now = Date.now();
        if (now - lastWorkerCheck > 1000) {
          lastWorkerCheck = now;
          seen = await withTimeout(listWorkers(redis), 2000);
          for (const w of seen) {
            if (w.version === SNNC_VERSION || refused.has(w.id)) continue;
            refused.add(w.id);
            o.warn?.({ code: "SNNC-W800", message: `worker ${w.id} on ${w.host} (pid ${w.pid}) runs snnc ${w.version}, this client ${SNNC_VERSION}: refused (it takes no job of this run)` });
          }
          if (seen.some((w) => w.version === SNNC_VERSION)) workersSeenAt = now;
          else if (now - workersSeenAt > waitWorkers * 1000) {
            const others = seen.filter((w) => w.version !== SNNC_VERSION).map((w) => `${w.host}/${w.pid} (snnc ${w.version})`);
            throw fail("SNNC804", `no worker of snnc ${SNNC_VERSION} on ${url.text} for ${waitWorkers} s${others.length ? `; refused: ${others.join(", ")}` : ""}`, {},
              `start workers of this version: snnc worker --queue ${url.text}`);
          }
        }
        if ((await withTimeout(redis.exists(runKey(run)), 2000)) === 0) {
          const missing = jobs.filter((j) => !results.has(j.id)).map((j) => j.id);
          resubmissions++;
          o.warn?.({ code: "SNNC-W801", message: `Redis lost this run's state (restarted?): ${missing.length} unfinished job(s) and the blobs submitted again` });
          for (const id of missing) partial.delete(id);
          await withTimeout(submit(missing), 30000);
        }
        const open = jobs.filter((j) => !results.has(j.id));
        const got = await withTimeout(Promise.all(open.map((j) => queue.getJob(j.id))), 5000);
        got.forEach((job, k) => {
          const id = (open[k] as PlannedJob).id;
          if (!job || !job.finishedOn) return;
          if (job.returnvalue) results.set(id, fromWire(job.returnvalue));
          else if (job.failedReason) throw jobError(job as Job, id);
        });
        lastOk = Date.now();
        report();
      } catch (e) {
        if (e instanceof Error && "code" in e && typeof (e as { code: unknown }).code === "string" && (e as { code: string }).code.startsWith("SNNC")) throw e;
        if (health.gaveUp || Date.now() - lastOk > outage * 1000) throw health.lostError();
      }
    }
    return { results, resubmissions, workers: seen.filter((w) => w.version === SNNC_VERSION) };
  } finally {
    // Done or failed: the run's jobs and marker go (blobs stay, content-addressed, until they expire).
    if (redis.status === "ready") {
      await withTimeout(Promise.all(jobs.map((j) => queue.remove(j.id).catch(() => 0))), 3000).catch(() => {});
      await withTimeout(redis.del(runKey(run)), 1000).catch(() => 0);
    }
    await Promise.allSettled([withTimeout(queue.close(), 2000), withTimeout(events.close(), 2000)]);
    redis.disconnect();
  }
}
