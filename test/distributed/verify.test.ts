/**
 * Distributed `snnc verify --queue` on real components: redis-server on a loopback port and `snnc worker`
 * child processes. The merged result must equal the local verify's (counts, accuracy, first mismatch) —
 * with 2 workers, after a worker is SIGKILLed mid-job, and after Redis is restarted mid-run. Workers of
 * another snnc version are refused; an unreachable Redis is a coded error with a hint.
 */
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { compileModel } from "../../compiler/compile.ts";
import { writeNpy } from "../../compiler/data/npy.ts";
import type { Warning } from "../../compiler/diagnostics.ts";
import { isSnncError } from "../../compiler/diagnostics.ts";
import { verifyCommand, type VerifyArgs } from "../../compiler/cli/verify.ts";
import { Progress } from "../../compiler/cli/progress.ts";
import { startWorker as startInProcessWorker } from "../../compiler/distributed/worker.ts";
import { mergeShards, type ShardResult, verifyShard } from "../../compiler/distributed/shard.ts";
import { loadDataset } from "../../compiler/data/dataset.ts";
import { verifyBitExact } from "../../compiler/verify/bitexact.ts";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate, newCounters } from "../../runtime/emulator/run.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { freePort, type RedisServer, startRedis, startWorker, stop, stopAll, waitForLine, type WorkerProcess } from "./cluster.ts";
import { request } from "../helpers/compile.ts";
import { smallConvModel } from "../helpers/small.ts";
import { seededRandom } from "../helpers/tfjs-models.ts";

const SAMPLES = 1536;

describe("distributed verify (BullMQ on redis-server, snnc worker processes)", function () {
  this.timeout(180_000);
  let redis: RedisServer;
  let dir: string;
  let data: string;
  let local: Record<string, unknown>;
  let model = "";
  const workers: WorkerProcess[] = [];

  function io(warnings: Warning[] = []) {
    return { progress: new Progress({ enabled: false, silent: true }), quiet: true, json: true, warn: (w: Warning) => warnings.push(w) };
  }
  function args(over: Partial<VerifyArgs> = {}): VerifyArgs {
    return { dir, data, samples: SAMPLES, "wait-workers": 20, ...over };
  }
  async function verify(over: Partial<VerifyArgs> = {}, warnings: Warning[] = []) {
    return (await verifyCommand.run(args(over), io(warnings))).json as Record<string, unknown>;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "snnc-dist-"));
    const small = await smallConvModel(7, "dist");
    model = small.model;
    const outcome = await compileModel(request(small.model, "targets/tiny.json", { data: small.data, samples: 16, calibrationSamples: 32, verifySamples: 2, timesteps: 8, chips: 4 }),
      { warn: () => {}, progress: () => {}, stage: () => {} });
    writeFileSync(join(dir, "network.snnb"), outcome.binary);
    writeFileSync(join(dir, "reference.json.gz"), outcome.reference);
    const rand = seededRandom(11);
    const x = new Uint8Array(SAMPLES * 36).map(() => Math.floor(rand() * 256));
    const y = new Int32Array(SAMPLES).map(() => Math.floor(rand() * 10));
    data = join(dir, "x.npy");
    writeFileSync(data, writeNpy([SAMPLES, 6, 6, 1], x));
    writeFileSync(join(dir, "y.npy"), writeNpy([SAMPLES], y));
    local = await verify();
    redis = await startRedis();
  });

  after(async () => {
    await stopAll();
  });

  it("merges shards by range, whatever their order, as one run", () => {
    const mk = (start: number, n: number, spikes: number, mismatch: boolean): ShardResult => ({
      start, n, steps: 10,
      bitExact: mismatch
        ? { bitExact: false, comparedSteps: 13, comparedSpikes: spikes, samples: n, firstMismatch: { sample: 1, timestep: 3, layer: "c1", neuron: 4, core: 0, expected: 1, got: 0 } }
        : { bitExact: true, comparedSteps: n * 10, comparedSpikes: spikes, samples: n, firstMismatch: null },
      run: {
        scores: Float64Array.from({ length: n * 2 }, (_, i) => start * 2 + i), classes: 2,
        counters: { ...newCounters(), spikes: n, synapticOps: 0, neuronUpdates: 0, activeUpdates: 0, idleUpdates: 0, hops: 0, packets: 0, hopsX: 0, hopsY: 0, cycles: 0, seconds: 0 },
        spikeCounts: null, coreSynOps: new Float64Array(1), coreSpikes: new Float64Array(1), coreBusySeconds: new Float64Array(1), routeSpikes: new Float64Array(1), popSpikes: new Float64Array(1), popSynOps: new Float64Array(1), emulationSeconds: 0,
      },
      annClasses: Int32Array.from({ length: n }, (_, i) => start + i),
    });
    const m = mergeShards([mk(8, 4, 30, true), mk(0, 4, 10, false), mk(4, 4, 20, false), mk(12, 4, 5, true)]);
    expect(Array.from(m.run.scores)).to.deep.equal(Array.from({ length: 32 }, (_, i) => i));
    expect(Array.from(m.annClasses)).to.deep.equal(Array.from({ length: 16 }, (_, i) => i));
    expect(m.run.counters.spikes).to.equal(16);
    expect(m.bitExact.firstMismatch?.sample).to.equal(9);
    expect(m.bitExact.comparedSpikes).to.equal(60);
    expect(m.bitExact.comparedSteps).to.equal(93);
    expect(m.bitExact.samples).to.equal(16);
    expect(() => mergeShards([mk(0, 4, 1, false), mk(2, 4, 1, false)])).to.throw(/do not tile/);
  });

  it("Poisson input: shards verified with their global offsets equal one run", async () => {
    const out = await compileModel(request(model, "targets/tiny.json", { data, samples: 8, calibrationSamples: 32, verifySamples: 1, timesteps: 8, chips: 4, encoding: "poisson" }),
      { warn: () => {}, progress: () => {}, stage: () => {} });
    const ds = loadDataset(data, { inputShape: [6, 6, 1], limit: 40 });
    const net = loadNetwork(decodeBinary(out.binary));
    const q = out.pipeline.quantised.q;
    const whole = verifyBitExact(q, out.binary, ds.images, 40, 8, net);
    const run = emulate(net, ds.images, 40, { timesteps: 8 });
    const shards: ShardResult[] = [];
    for (const [start, n] of [[0, 13], [13, 13], [26, 14]] as const) {
      shards.push(await verifyShard({ graph: out.graph as NonNullable<typeof out.graph>, quantised: q, binary: out.binary, net, timesteps: 8, images: ds.images.subarray(start * 36, (start + n) * 36), start, n }));
    }
    const merged = mergeShards(shards.reverse());
    expect(merged.bitExact).to.deep.equal(whole);
    expect(Array.from(merged.run.scores)).to.deep.equal(Array.from(run.scores));
    expect(merged.run.counters.spikes).to.equal(run.counters.spikes);
    expect(merged.run.counters.synapticOps).to.equal(run.counters.synapticOps);
  });

  it("2 workers: the same counts, accuracy and result as the local verify", async () => {
    workers.push(await startWorker(redis.url), await startWorker(redis.url));
    const got = await verify({ queue: redis.url, "job-samples": 128 });
    expect(got).to.deep.equal(local);
    expect((local.accuracy as { samples: number }).samples).to.equal(SAMPLES);
    // Both took jobs; at least the 12 ran (a job whose lock lapsed on a loaded machine may run twice: it is
    // read back once by id, as the equality above shows).
    const done = workers.map((w) => (w.log().match(/ done in /g) ?? []).length);
    expect(done[0]).to.be.greaterThan(0);
    expect(done[1]).to.be.greaterThan(0);
    expect(done[0]! + done[1]!).to.be.at.least(12);
  });

  it("a worker SIGKILLed mid-job: its job is retried on another worker, nothing lost or counted twice", async () => {
    for (const w of workers.splice(0)) await stop(w.process);
    const victim = await startWorker(redis.url);
    const pending = verify({ queue: redis.url, "job-samples": SAMPLES });
    const started = await waitForLine(victim.process, "stderr", /^job \S+ started/);
    await stop(victim.process, "SIGKILL");
    const jobId = /^job (\S+) started/.exec(started)?.[1];
    const rescuer = await startWorker(redis.url);
    workers.push(rescuer);
    const got = await pending;
    expect(got).to.deep.equal(local);
    expect(victim.log()).not.to.match(/ done in /);
    expect(rescuer.log()).to.include(`job ${jobId} done in`);
  });

  it("Redis restarted mid-run: the client resubmits the lost jobs and the result is still the local one", async () => {
    if (workers.length === 0) workers.push(await startWorker(redis.url));
    const warnings: Warning[] = [];
    const pending = verify({ queue: redis.url, "job-samples": 64 }, warnings);
    await waitForLine(workers[0]!.process, "stderr", / done in /);
    await stop(redis.process, "SIGKILL");
    redis = await startRedis(redis.port);
    const got = await pending;
    expect(got).to.deep.equal(local);
    expect(warnings.map((w) => w.code)).to.include("SNNC-W801");
  });

  it("refuses workers of another snnc version (SNNC804 on the client, SNNC805 on a stray job)", async () => {
    for (const w of workers.splice(0)) await stop(w.process);
    const other = await startInProcessWorker({ url: redis.url, version: "0.0.0-other", lockDurationMs: 1500, stalledIntervalMs: 500 });
    try {
      const warnings: Warning[] = [];
      const err = await verify({ queue: redis.url, "wait-workers": 1.5, samples: 64 }, warnings).then(() => null, (e: unknown) => e);
      expect(isSnncError(err) && err.code).to.equal("SNNC804");
      expect((err as Error).message).to.include("0.0.0-other");
      expect(warnings.map((w) => w.code)).to.include("SNNC-W800");
      const q = new Queue("snnc-v0.0.0-other", { connection: { host: "127.0.0.1", port: redis.port, maxRetriesPerRequest: null } });
      const job = await q.add("verify", { kind: "verify", version: "0.1.0-client" } as never, { jobId: "stray", attempts: 3 });
      let reason = "";
      for (let i = 0; i < 100 && !reason; i++) {
        await new Promise((r) => setTimeout(r, 50));
        reason = (await q.getJob(job.id as string))?.failedReason ?? "";
      }
      expect(reason).to.match(/^SNNC805: worker .* runs snnc 0\.0\.0-other, the job comes from snnc 0\.1\.0-client/);
      await q.close();
    } finally {
      await other.close();
    }
  });

  it("an unreachable Redis is SNNC801 with a hint, not a reconnect loop", async () => {
    const port = await freePort();
    const err = await verify({ queue: `redis://127.0.0.1:${port}`, samples: 8 }).then(() => null, (e: unknown) => e);
    expect(isSnncError(err) && err.code).to.equal("SNNC801");
    expect((err as { hint?: string }).hint).to.include("redis-server");
    const bad = await verify({ queue: "http://x", samples: 8 }).then(() => null, (e: unknown) => e);
    expect(isSnncError(bad) && bad.code).to.equal("SNNC800");
  });

  it("Redis gone for good mid-run: SNNC802 after the outage budget, no result", async () => {
    const probe = new Redis({ host: "127.0.0.1", port: redis.port, maxRetriesPerRequest: 1, retryStrategy: () => null });
    try {
      const pending = verify({ queue: redis.url, samples: 64, "wait-workers": 60, outage: 1 }).then(() => null, (e: unknown) => e);
      for (let i = 0; i < 200 && (await probe.keys("snnc:run:*")).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      await stop(redis.process, "SIGKILL");
      const err = await pending;
      expect(isSnncError(err) && err.code).to.equal("SNNC802");
    } finally {
      probe.disconnect();
    }
  });
});
