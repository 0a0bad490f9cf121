/**
 * @fileoverview Scale-out benchmark (issue 17): `snnc verify` of the Fashion-MNIST test images on the CNN
 * locally, then with --queue on 1 and on 2 `snnc worker` processes (a redis-server started here on a free
 * loopback port); then a sweep of 2 targets × 2 methods × 4 T on the CNN as one run on 2 workers, and the same
 * sweep on local threads. Checks that every distributed result equals the local one and prints the wall times
 * (workers started and ready before the clock starts; blob upload included). Writes bench/results/scale.json.
 *
 *   nice -n 10 npx tsx bench/scale.ts [--samples 10000] [--target loihi2] [--sweep-samples 100] [--no-sweep] [--no-verify]
 */
import { isDeepStrictEqual } from "node:util";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Progress } from "../compiler/cli/progress.ts";
import { verifyCommand, type VerifyArgs } from "../compiler/cli/verify.ts";
import { writeAtomically } from "../compiler/cli/output.ts";
import { compileModel } from "../compiler/compile.ts";
import { DEFAULT_CONVERT_OPTIONS } from "../compiler/convert/methods.ts";
import { renderCsv, renderHtml, renderJson } from "../compiler/sweep/report.ts";
import { runSweep, type SweepRequest } from "../compiler/sweep/run.ts";
import { startRedis, startWorker, stop, stopAll, type WorkerProcess } from "../test/distributed/cluster.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const SAMPLES = Number(arg("samples", "10000"));
const TARGET = arg("target", "loihi2");
const SWEEP_SAMPLES = Number(arg("sweep-samples", "100"));
const SWEEP = !process.argv.includes("--no-sweep");
const VERIFY = !process.argv.includes("--no-verify");
/** --no-local: skip the local verify (the worker runs are then compared with each other). */
const LOCAL = !process.argv.includes("--no-local");
/** --dir DIR: reuse a directory with network.snnb and reference.json.gz instead of compiling. */
const REUSE = arg("dir", "");
/** --rounds R: alternate 1 and 2 workers R times (the background load of a shared machine drifts). */
const ROUNDS = Number(arg("rounds", "1"));
/**
 * --own-sessions: each worker in a session of its own (setsid). Linux's scheduler autogroups share the CPU
 * between sessions first; on a machine shared with other sessions, workers started from one session split
 * that session's share, whatever their number.
 */
const OWN_SESSION = process.argv.includes("--own-sessions");
const DATA = "/usr/share/datasets/fashion-mnist";
const MODEL = "examples/fashion-mnist/cnn/model.json";
const io = { progress: new Progress({ enabled: false, silent: true }), quiet: true, json: true, warn: (w: { code: string; message: string }) => console.error(`warning ${w.code}: ${w.message}`) };
/** snnc worker's default locks (30 s): a CNN slice under load can take seconds. */
const LOCKS = ["--lock-duration", "30000", "--stalled-interval", "15000"];
const secs = (t0: number) => (performance.now() - t0) / 1000;

try {
  let result: Record<string, unknown> = { samples: SAMPLES, target: TARGET };
  const redis = await startRedis();
  if (VERIFY) {
    const dir = REUSE || mkdtempSync(join(tmpdir(), "snnc-scale-"));
    let t0 = performance.now();
    if (!REUSE) {
      const compiled = await compileModel({
        ...DEFAULT_CONVERT_OPTIONS, model: MODEL, target: TARGET, method: "ecc", timesteps: 32, data: DATA,
        samples: 100, calibrationSamples: 256, verifySamples: 2, tfjsCheck: false,
      }, { warn: () => {}, progress: () => {}, stage: () => {} });
      writeFileSync(join(dir, "network.snnb"), compiled.binary);
      writeFileSync(join(dir, "reference.json.gz"), compiled.reference);
      console.log(`compiled ${MODEL} for ${TARGET} (ecc, T=32, ${compiled.report.mapping.cores} cores) in ${secs(t0).toFixed(1)} s → ${dir}`);
    }

    const args: VerifyArgs = { dir, data: DATA, samples: SAMPLES, "wait-workers": 120 };
    t0 = performance.now();
    let local: unknown = LOCAL ? (await verifyCommand.run(args, io)).json : null;
    const localSeconds = LOCAL ? secs(t0) : null;
    if (LOCAL) console.log(`local verify of ${SAMPLES} images: ${(localSeconds ?? 0).toFixed(1)} s  ${JSON.stringify(local)}`);

    const runs: { workers: number; seconds: number; identical: boolean }[] = [];
    for (const n of Array.from({ length: ROUNDS }, () => [1, 2]).flat()) {
      const ws: WorkerProcess[] = [];
      for (let i = 0; i < n; i++) ws.push(await startWorker(redis.url, LOCKS, OWN_SESSION));
      t0 = performance.now();
      const got = (await verifyCommand.run({ ...args, queue: redis.url }, io)).json;
      const seconds = secs(t0);
      local ??= got;
      const identical = isDeepStrictEqual(got, local);
      runs.push({ workers: n, seconds, identical });
      console.log(`verify --queue, ${n} worker(s): ${seconds.toFixed(1)} s, identical to ${LOCAL ? "local" : "the 1-worker run"}: ${identical}  ${JSON.stringify(got)}`);
      for (const w of ws) await stop(w.process);
    }
    const total = (n: number) => runs.filter((r) => r.workers === n).reduce((a, r) => a + r.seconds, 0);
    const speedup = total(1) / total(2);
    console.log(`speed-up of 2 workers over 1: ${speedup.toFixed(2)}×`);
    result = { ...result, local, localSeconds, runs, speedup };
  }
  let sweep: unknown = null;
  if (SWEEP) {
    const req: SweepRequest = {
      model: MODEL, data: DATA, targets: "loihi2,spinnaker2", methods: "ecc,mt", timesteps: "4,8,16,32",
      samples: SWEEP_SAMPLES, calibrationSamples: 256, verifySamples: 2, seed: 1, waitWorkersSeconds: 120,
    };
    const ws = [await startWorker(redis.url, LOCKS, OWN_SESSION), await startWorker(redis.url, LOCKS, OWN_SESSION)];
    let t0 = performance.now();
    const remote = await runSweep({ ...req, queue: redis.url, warn: io.warn });
    const remoteSeconds = secs(t0);
    for (const w of ws) await stop(w.process);
    console.log(`sweep of ${remote.points.length} points on 2 workers: ${remoteSeconds.toFixed(1)} s`);
    const out = "build/scale-sweep";
    writeAtomically(out, new Map([["sweep.json", renderJson(remote)], ["sweep.csv", renderCsv(remote)], ["sweep.html", renderHtml(remote)]]));
    console.log(`wrote ${out}/sweep.{json,csv,html}`);
    console.log(renderCsv(remote));
    t0 = performance.now();
    const here = await runSweep({ ...req, threads: 2 });
    const localSweepSeconds = secs(t0);
    const identical = isDeepStrictEqual(remote.points, here.points);
    console.log(`same sweep on 2 local threads: ${localSweepSeconds.toFixed(1)} s, identical: ${identical}`);
    sweep = { points: remote.points.length, compiled: remote.points.filter((p) => p.ok).length, pareto: remote.pareto, queueSeconds: remoteSeconds, localSeconds: localSweepSeconds, identical, samples: SWEEP_SAMPLES };
  }
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(`bench/results/scale${VERIFY ? (LOCAL ? "" : "-workers") : "-sweep"}.json`, `${JSON.stringify({ ...result, sweep }, null, 2)}\n`);
} finally {
  await stopAll();
}
