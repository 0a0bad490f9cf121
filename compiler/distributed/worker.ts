/**
 * @fileoverview `snnc worker`: a BullMQ worker on the queue of its snnc version. It takes verify jobs (a
 * range of samples: bit-exactness, emulator scores, ANN classes) and sweep jobs (compile and evaluate one
 * point), one at a time, fetching the binary, the model and the data as content-addressed blobs (hash
 * checked). It registers itself (with its version) under snnc:workers:<id> while alive, so clients see it
 * and refuse workers of other versions. A job of another version is refused (SNNC805); a coded error fails
 * its job for good (the client reports it); anything else is retried (attempts). Long jobs yield every few
 * samples so the job's lock is renewed; a killed worker's job is taken over by another after lockDuration.
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { type EmuNetwork, loadNetwork } from "../../runtime/emulator/network.ts";
import { isSnncError } from "../diagnostics.ts";
import type { AnnGraph } from "../ir/ann.ts";
import type { QuantisedSnn } from "../ir/quantised.ts";
import { deserialize } from "../ir/serialize.ts";
import { SNNC_VERSION } from "../version.ts";
import { BlobCache } from "./blobs.ts";
import { type JobData, queueName, toWire, type VerifyJob, type Wire, WORKER_KEY_PREFIX, WORKER_TTL_MS, type WorkerInfo } from "./protocol.ts";
import { connect, Health, parseQueueUrl, redisOptions } from "./redis.ts";
import { verifyShard } from "./shard.ts";

export interface WorkerOptions {
  readonly url: string;
  /** The version this worker announces and accepts (default: this snnc's). */
  readonly version?: string;
  /** Job lock (ms): a killed worker's job goes to another worker after about this long. */
  readonly lockDurationMs?: number;
  /** How often stalled jobs are looked for (ms). */
  readonly stalledIntervalMs?: number;
  /** How long to ride out a Redis outage before giving up (SNNC802). */
  readonly outageSeconds?: number;
  readonly log?: (line: string) => void;
}

export interface RunningWorker {
  readonly info: WorkerInfo;
  /** Resolves when closed, rejects with SNNC802 when Redis stays away. */
  readonly done: Promise<number>;
  close(): Promise<void>;
}

interface Loaded {
  readonly net: EmuNetwork;
  readonly binary: Uint8Array;
}

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const url = parseQueueUrl(o.url);
  const version = o.version ?? SNNC_VERSION;
  const health = new Health(url, o.outageSeconds ?? 60);
  const redis = await connect(url, health);
  const log = o.log ?? (() => {});
  const info: WorkerInfo = { id: randomUUID().slice(0, 8), version, host: hostname(), pid: process.pid };
  const blobs = new BlobCache(redis);
  const nets = new Map<string, Loaded>();
  const refs = new Map<string, { graph: AnnGraph; quantised: QuantisedSnn }>();
  const images = new Map<string, Float32Array>();
  let jobs = 0;
  let sweepLoaded = false;

  const announce = () => redis.set(WORKER_KEY_PREFIX + info.id, JSON.stringify(info), "PX", WORKER_TTL_MS).catch(() => {});
  await announce();
  const beat = setInterval(() => void announce(), WORKER_TTL_MS / 3);

  async function runVerify(job: Job<JobData>, d: VerifyJob): Promise<Wire> {
    let loaded = nets.get(d.binary);
    if (!loaded) {
      const binary = await blobs.get(d.binary);
      loaded = { binary, net: loadNetwork(decodeBinary(binary)) };
      nets.clear();
      nets.set(d.binary, loaded);
    }
    let ref = refs.get(d.reference);
    if (!ref) {
      ref = deserialize<{ graph: AnnGraph; quantised: QuantisedSnn }>(await blobs.get(d.reference));
      refs.clear();
      refs.set(d.reference, ref);
    }
    let all = images.get(d.images);
    if (!all) {
      const bytes = await blobs.get(d.images);
      all = new Float32Array(bytes.slice().buffer);
      images.clear();
      images.set(d.images, all);
    }
    const shard = await verifyShard({
      graph: ref.graph, quantised: ref.quantised, binary: loaded.binary, net: loaded.net, timesteps: d.timesteps,
      images: all.subarray(d.start * d.perSample, (d.start + d.n) * d.perSample), start: d.start, n: d.n,
    }, (done) => job.updateProgress(done));
    return toWire(shard);
  }

  const processor = async (job: Job<JobData>): Promise<Wire> => {
    const d = job.data;
    if (d.version !== version) {
      throw new UnrecoverableError(`SNNC805: worker ${info.host}/${info.pid} runs snnc ${version}, the job comes from snnc ${d.version}`);
    }
    const t0 = performance.now();
    log(`job ${job.id} started (attempt ${job.attemptsMade + 1})`);
    try {
      let out: Wire;
      switch (d.kind) {
        case "verify":
          out = await runVerify(job, d);
          break;
        case "sweep": {
          const { runSweepJob } = await import("../sweep/job.ts");
          sweepLoaded = true;
          out = await runSweepJob(d, blobs);
          break;
        }
        default: {
          const never: never = d;
          throw new UnrecoverableError(`SNNC806: unknown job kind ${JSON.stringify((never as { kind: string }).kind)}`);
        }
      }
      jobs++;
      log(`job ${job.id} done in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
      return out;
    } catch (e) {
      if (isSnncError(e)) throw new UnrecoverableError(`${e.code}: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`);
      throw e;
    }
  };

  const worker = new Worker<JobData, Wire>(queueName(version), processor, {
    connection: redisOptions(url, health),
    concurrency: 1,
    lockDuration: o.lockDurationMs ?? 30000,
    stalledInterval: o.stalledIntervalMs ?? 15000,
    maxStalledCount: 5,
  });
  worker.on("error", (e) => log(`worker: ${e.message}`));
  let closing = false;
  const done = new Promise<number>((resolve, reject) => {
    const giveUp = () => {
      if (closing) return;
      closing = true;
      clearInterval(beat);
      void worker.close(true).catch(() => {});
      redis.disconnect();
      reject(health.lostError());
    };
    redis.on("end", giveUp);
    worker.on("closed", () => resolve(jobs));
  });
  await worker.waitUntilReady();
  log(`worker ${info.id} (snnc ${version}, pid ${info.pid}) on ${url.text}, queue ${queueName(version)}`);
  return {
    info,
    done,
    close: async () => {
      if (closing) return;
      closing = true;
      clearInterval(beat);
      await worker.close();
      if (sweepLoaded) await (await import("../sweep/job.ts")).closeSweepThreads();
      await redis.del(WORKER_KEY_PREFIX + info.id).catch(() => {});
      redis.disconnect();
    },
  };
}
