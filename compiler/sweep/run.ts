/**
 * @fileoverview `snnc sweep` without the CLI: the grid's data prepared once (the first samples the compiles
 * use, as float32 x.npy + y.npy, so every point — on a thread here or on a worker elsewhere — compiles from
 * the same numbers), then every point evaluated on local threads or as BullMQ jobs, results in grid order
 * with their Pareto set.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadData } from "../compile.ts";
import { writeNpy } from "../data/npy.ts";
import type { Warning } from "../diagnostics.ts";
import { fail } from "../diagnostics.ts";
import { importModel } from "../import/index.ts";
import { SNNC_VERSION } from "../version.ts";
import { gridOf, paretoSet, pointLabel, type SweepPoint } from "./grid.ts";
import type { PointInput } from "./point.ts";

export interface SweepRequest {
  readonly model: string;
  readonly data?: string;
  readonly targets: string;
  readonly methods: string;
  readonly timesteps: string;
  readonly samples: number;
  readonly calibrationSamples: number;
  readonly verifySamples: number;
  readonly seed: number;
  readonly chips?: number;
  readonly queue?: string;
  readonly threads?: number;
  readonly waitWorkersSeconds?: number;
  readonly onDone?: (done: number, total: number) => void;
  readonly warn?: (w: Warning) => void;
}

export interface SweepResult {
  readonly snncVersion: string;
  readonly model: string;
  readonly data: string;
  readonly samples: number;
  readonly grid: { readonly targets: readonly string[]; readonly methods: readonly string[]; readonly timesteps: readonly number[] };
  readonly points: readonly SweepPoint[];
  /** Indices into points of the accuracy–energy–latency Pareto set. */
  readonly pareto: readonly number[];
  readonly ranOn: string;
}

export async function runSweep(r: SweepRequest): Promise<SweepResult> {
  const grid = gridOf(r.targets, r.methods, r.timesteps);
  for (const [name, v] of [["samples", r.samples], ["calibration-samples", r.calibrationSamples], ["verify-samples", r.verifySamples]] as const) {
    if (!Number.isInteger(v) || v < (name === "verify-samples" ? 0 : 1)) throw fail("SNNC003", `--${name} must be a positive integer, got ${v}`);
  }
  const graph = await importModel(r.model);
  const shape = graph.nodes.find((n) => n.name === graph.inputs[0])?.shape ?? [];
  const limit = Math.max(r.samples, r.calibrationSamples, r.verifySamples);
  const { data, why } = loadData({ model: r.model, ...(r.data !== undefined ? { data: r.data } : {}) }, shape, limit);
  const count = Math.min(limit, data.count);
  const images = data.images.slice(0, count * (data.images.length / Math.max(1, data.count)));
  const labels = data.labels ? data.labels.slice(0, count) : null;
  const common = { samples: r.samples, calibrationSamples: r.calibrationSamples, verifySamples: r.verifySamples, seed: r.seed, ...(r.chips !== undefined ? { chips: r.chips } : {}) };
  let points: SweepPoint[];
  let ranOn: string;
  if (r.queue !== undefined) {
    const { sweepOnQueue } = await import("./queue.ts");
    const q = await sweepOnQueue({ url: r.queue, model: r.model, grid, images, labels, sampleShape: data.sampleShape, count, common, waitWorkersSeconds: r.waitWorkersSeconds ?? 30, ...(r.onDone ? { onDone: r.onDone } : {}), ...(r.warn ? { warn: r.warn } : {}) });
    points = q.points;
    ranOn = `${q.workers} worker(s) on ${r.queue}`;
  } else {
    const dir = mkdtempSync(join(tmpdir(), "snnc-sweep-"));
    try {
      writeFileSync(join(dir, "x.npy"), writeNpy([count, ...data.sampleShape], images));
      if (labels) writeFileSync(join(dir, "y.npy"), writeNpy([count], labels));
      const inputs: PointInput[] = grid.map((spec) => ({ model: r.model, data: join(dir, "x.npy"), spec, ...common }));
      const { sweepLocal } = await import("./local.ts");
      const { availableParallelism } = await import("node:os");
      const threads = r.threads ?? availableParallelism();
      points = await sweepLocal(inputs, threads, (d) => r.onDone?.(d, grid.length));
      ranOn = `${Math.min(threads, grid.length)} thread(s)`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  for (const p of points) if (!p.ok) r.warn?.({ code: "SNNC-W802", message: `${pointLabel(p)} failed: ${p.error.code} ${p.error.message}` });
  const targets = [...new Set(grid.map((p) => p.target))];
  const methods = [...new Set(grid.map((p) => p.method))];
  const timesteps = [...new Set(grid.map((p) => p.timesteps))];
  return { snncVersion: SNNC_VERSION, model: r.model, data: why, samples: r.samples, grid: { targets, methods, timesteps }, points, pareto: paretoSet(points), ranOn };
}
