/**
 * @fileoverview `snnc sweep MODEL --targets … --methods … --timesteps …`: every combination compiled and
 * evaluated (worker threads here, or `snnc worker`s with --queue), written atomically as sweep.json,
 * sweep.csv and sweep.html (compiler/sweep/).
 */
import { basename, dirname, extname, join } from "node:path";
import type { Argv } from "yargs";
import type { CommandSpec } from "./main.ts";

export interface SweepArgs {
  model: string;
  targets: string;
  methods: string;
  timesteps: string;
  data?: string;
  out?: string;
  samples: number;
  "calibration-samples": number;
  "verify-samples": number;
  seed: number;
  chips?: number;
  queue?: string;
  workers?: number;
  "wait-workers": number;
}

export const sweepCommand: CommandSpec<SweepArgs> = {
  command: "sweep <model>",
  describe: "compile and evaluate every target × method × T; Pareto front of accuracy, energy and latency",
  builder: (y: Argv) => y
    .positional("model", { type: "string", demandOption: true, describe: "TF.js model.json, Keras .h5 or .keras" })
    .option("targets", { type: "string", demandOption: true, describe: "comma list of targets (names or .json files)" })
    .option("methods", { type: "string", default: "ecc", describe: "comma list of conversion methods" })
    .option("timesteps", { alias: "T", type: "string", default: "32", describe: "comma list of T" })
    .option("data", { type: "string", describe: "data for calibration and evaluation (examples default to their data)" })
    .option("out", { alias: "o", type: "string", describe: "output directory (default build/<model>-sweep)" })
    .option("samples", { type: "number", default: 1000, describe: "samples for accuracy, energy and latency per point" })
    .option("calibration-samples", { type: "number", default: 256, describe: "samples for activation statistics" })
    .option("verify-samples", { type: "number", default: 2, describe: "samples compared spike for spike per point" })
    .option("seed", { type: "number", default: 1, describe: "seed of placement and Poisson input" })
    .option("chips", { type: "number", describe: "size of the system in chips (default: each target's)" })
    .option("queue", { type: "string", describe: "run the points as jobs on snnc workers through this Redis (redis://HOST:PORT)" })
    .option("workers", { type: "number", describe: "without --queue: threads (default: all cores)" })
    .option("wait-workers", { type: "number", default: 30, describe: "with --queue: seconds to wait for a worker of this snnc version" })
    .example("snnc sweep examples/fashion-mnist/cnn/model.json --targets loihi2,spinnaker2 --methods ecc,mt --timesteps 4,8,16,32", "16 compiles, one Pareto report") as unknown as Argv<SweepArgs>,
  run: async (a, io) => {
    const [{ runSweep }, { renderCsv, renderHtml, renderJson }, { writeAtomically }] = await Promise.all([
      import("../sweep/run.ts"), import("../sweep/report.ts"), import("./output.ts"),
    ]);
    let task: ReturnType<typeof io.progress.task> | null = null;
    let shown = 0;
    const r = await runSweep({
      model: a.model, targets: a.targets, methods: a.methods, timesteps: a.timesteps, samples: a.samples,
      calibrationSamples: a["calibration-samples"], verifySamples: a["verify-samples"], seed: a.seed, waitWorkersSeconds: a["wait-workers"], warn: io.warn,
      ...(a.data !== undefined ? { data: a.data } : {}), ...(a.queue !== undefined ? { queue: a.queue } : {}), ...(a.workers !== undefined ? { threads: a.workers } : {}), ...(a.chips !== undefined ? { chips: a.chips } : {}),
      onDone: (done, total) => {
        task ??= io.progress.task("sweep", total);
        task.tick(done - shown);
        shown = done;
      },
    });
    (task as ReturnType<typeof io.progress.task> | null)?.done(`${r.points.length} points on ${r.ranOn}`);
    const base = basename(a.model, extname(a.model));
    const outDir = a.out ?? join("build", `${base === "model" ? basename(dirname(a.model)) : base}-sweep`);
    const written = writeAtomically(outDir, new Map<string, string>([["sweep.json", renderJson(r)], ["sweep.csv", renderCsv(r)], ["sweep.html", renderHtml(r)]]));
    const ok = r.points.filter((p) => p.ok).length;
    const text = [
      `swept ${r.points.length} points (${ok} compiled) of ${a.model} on ${r.ranOn} → ${outDir}`,
      ...r.pareto.map((i) => {
        const p = r.points[i];
        if (!p?.ok) return "";
        const m = p.metrics;
        return `  Pareto: ${p.target} ${p.method} T=${p.timesteps}: accuracy ${m.accuracy ? `${(m.accuracy.snn * 100).toFixed(2)}%` : "–"}, ${m.joulesPerInference.toExponential(3)} J, ${m.secondsPerInference.toExponential(3)} s per inference`;
      }),
      `  wrote ${written.map((f) => basename(f)).join(", ")}`,
    ].join("\n");
    return { json: { outDir, files: written, sweep: r }, text };
  },
};
