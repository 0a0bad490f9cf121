/**
 * @fileoverview What a client and its workers agree on: the queue (one per snnc version, so a worker of
 * another version never takes a job), the job payloads, the worker registry, and results on the wire
 * (ir/serialize.ts: gzip JSON with typed arrays kept exact, base64 in BullMQ's return value).
 *
 * Job ids are `<run>-<kind>-<key>`: a job is added once per run and range, its result is read back by id,
 * so a retried job (worker killed, stalled lock) replaces nothing and is counted once.
 */
import { deserialize, serialize } from "../ir/serialize.ts";
import { SNNC_VERSION } from "../version.ts";

export function queueName(version: string = SNNC_VERSION): string {
  return `snnc-v${version.replace(/[^0-9A-Za-z.+-]/g, "_")}`;
}

/** Registry of live workers: one key each, refreshed by the worker, expiring when it dies. */
export const WORKER_KEY_PREFIX = "snnc:workers:";
export const WORKER_TTL_MS = 6000;

export interface WorkerInfo {
  readonly id: string;
  readonly version: string;
  readonly host: string;
  readonly pid: number;
}

/** Marker of a running run: its absence after a reconnect means Redis lost the run's state. */
export function runKey(run: string): string {
  return `snnc:run:${run}`;
}

/** Verify one range of samples [start, start + n) of the images blob. */
export interface VerifyJob {
  readonly kind: "verify";
  readonly version: string;
  readonly run: string;
  readonly binary: string;
  readonly reference: string;
  readonly images: string;
  readonly perSample: number;
  readonly timesteps: number;
  readonly start: number;
  readonly n: number;
}

/** Compile and evaluate one point of a sweep. */
export interface SweepJob {
  readonly kind: "sweep";
  readonly version: string;
  readonly run: string;
  /** Blob of the model's files (bundle.ts), and the model's path inside it. */
  readonly model: string;
  readonly modelFile: string;
  /** Blobs of the evaluation images (float32 [count, ...shape]) and labels (int32). */
  readonly images: string;
  readonly labels: string | null;
  readonly sampleShape: readonly number[];
  readonly count: number;
  readonly point: SweepPointSpec;
}

export interface SweepPointSpec {
  readonly target: string;
  /** A target given as a .json file travels as its text. */
  readonly targetJson?: string;
  readonly method: string;
  readonly timesteps: number;
  readonly samples: number;
  readonly calibrationSamples: number;
  readonly verifySamples: number;
  readonly seed: number;
  readonly chips?: number;
}

export type JobData = VerifyJob | SweepJob;

export function jobId(run: string, kind: JobData["kind"], key: string): string {
  return `${run}-${kind}-${key}`;
}

/** BullMQ stores return values as JSON: results go as base64 of serialize(). */
export interface Wire {
  readonly wire: string;
}

export function toWire(x: unknown): Wire {
  return { wire: Buffer.from(serialize(x)).toString("base64") };
}

export function fromWire<T>(w: unknown): T {
  if (!w || typeof w !== "object" || typeof (w as Wire).wire !== "string") throw new Error("not a wire result");
  return deserialize<T>(new Uint8Array(Buffer.from((w as Wire).wire, "base64")));
}
