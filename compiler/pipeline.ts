/**
 * @fileoverview The pass order, in one place:
 *
 *   AnnGraph ─convert─▶ SnnGraph ─measure─▶ activity ─quantise─▶ QuantisedSnn ─partition─▶ PartitionedSnn
 *     ─place─▶ PlacedSnn ─route─▶ RoutedSnn ─check─▶ (capacity, routes) ─emit─▶ network.snnb bytes
 *
 * `measure` runs the float SNN on calibration samples: the value ranges quantise needs and the firing rates
 * that weigh placement traffic.
 */
import { type Backend } from "../backends/backend.ts";
import { BACKENDS } from "../backends/index.ts";
import type { Metadata } from "../backends/common.ts";
import { convert, type ConversionResult } from "./convert/index.ts";
import type { ConvertOptions } from "./convert/methods.ts";
import type { Dataset } from "./data/dataset.ts";
import { fail } from "./diagnostics.ts";
import type { AnnGraph } from "./ir/ann.ts";
import type { PartitionedSnn, RoutedSnn, Traffic } from "./ir/mapped.ts";
import type { SnnGraph } from "./ir/snn.ts";
import { partition } from "./map/partition.ts";
import { place, type PlacementStats } from "./map/place.ts";
import { routeSpikes } from "./map/route.ts";
import type { SystemGrid } from "./map/system.ts";
import { estimateTraffic } from "./map/traffic.ts";
import { newRunner, type Pass, type PassContext, type PassTiming } from "./pass.ts";
import { quantise, type QuantiseResult } from "./quantise/index.ts";
import { simulateFloat } from "./simulate/float-snn.ts";
import type { Target } from "./target/schema.ts";
import { seededRng } from "./util/rng.ts";
import { checkCapacity } from "./verify/capacity.ts";

export interface CompileOptions extends ConvertOptions {
  readonly calibrationSamples: number;
  readonly chips?: number;
  readonly dumpIr?: string;
}

export interface Activity {
  readonly maxAbsV: Float64Array;
  readonly maxAbsInput: Float64Array;
  /** Spikes per neuron per step, per population. */
  readonly rates: number[];
}

export interface PipelineResult {
  readonly conversion: ConversionResult;
  readonly activity: Activity;
  readonly quantised: QuantiseResult;
  readonly partitioned: PartitionedSnn;
  readonly traffic: Traffic;
  readonly placement: PlacementStats;
  readonly grid: SystemGrid;
  readonly routed: RoutedSnn;
  readonly binary: Uint8Array;
  readonly timings: readonly PassTiming[];
}

const convertPass = (options: CompileOptions): Pass<AnnGraph, ConversionResult> => ({
  name: "convert",
  summary: "ANN to float SNN: calibration, thresholds, normalised weights, delays",
  run: (graph, ctx) => convert(graph, options, {
    calibration: ctx.calibration, calibrationSamples: options.calibrationSamples, warn: ctx.warn,
    onProgress: (stage, done, total) => ctx.progress(stage, done, total),
  }),
});

const measurePass = (options: CompileOptions): Pass<SnnGraph, Activity> => ({
  name: "measure",
  summary: "float SNN on calibration samples: state ranges and firing rates",
  run: (snn, ctx) => {
    const n = Math.min(64, ctx.calibration.count);
    const sim = simulateFloat(snn, ctx.calibration.images, n, { timesteps: [options.timesteps], recordRanges: true });
    const steps = options.timesteps + snn.readoutDepth;
    const rates = snn.populations.map((p) => (sim.totalSpikes[p.id] as number) / Math.max(1, n * steps * p.size));
    return { maxAbsV: sim.maxAbsV, maxAbsInput: sim.maxAbsInput, rates };
  },
});

const quantisePass: Pass<{ snn: SnnGraph; activity: Activity }, QuantiseResult> = {
  name: "quantise",
  summary: "weights, biases and thresholds to the target's fixed point",
  run: ({ snn, activity }, ctx) => quantise(snn, ctx.target, activity, ctx.warn),
};

const partitionPass: Pass<QuantiseResult, PartitionedSnn> = {
  name: "partition",
  summary: "neurons onto cores under every per-core limit",
  run: (q, ctx) => partition(q.q, ctx.target),
};

export function runPipeline(graph: AnnGraph, target: Target, calibration: Dataset, options: CompileOptions, meta: Omit<Metadata, "method" | "timesteps">, hooks: {
  warn: PassContext["warn"]; progress: PassContext["progress"]; stage: (name: string, seconds: number) => void;
}): PipelineResult {
  const ctx: PassContext = { target, rng: seededRng(options.seed), calibration, warn: hooks.warn, progress: hooks.progress };
  const runner = newRunner(hooks.stage, options.dumpIr);
  const conversion = runner.run(convertPass(options), graph, ctx, (c) => c.snn);
  const activity = runner.run(measurePass(options), conversion.snn, ctx);
  const quantised = runner.run(quantisePass, { snn: conversion.snn, activity }, ctx, (q) => ({ network: q.q, layers: q.layers }));
  const partitioned = runner.run(partitionPass, quantised, ctx, (p) => ({ cores: p.cores, blocks: p.blocks }));
  const placedAll = runner.run({
    name: "place",
    summary: "cores onto chips and tiles, minimising traffic × hops",
    run: (p: PartitionedSnn, c: PassContext) => {
      const traffic = estimateTraffic(p, activity.rates);
      return { traffic, ...place(p, c.target, traffic, { seed: options.seed, ...(options.chips !== undefined ? { chips: options.chips } : {}) }) };
    },
  }, partitioned, ctx, (r) => ({ placement: r.placed.placement, stats: r.stats }));
  const routed = runner.run({
    name: "route",
    summary: "spike routes: mesh dimension-order, or multicast key/mask tables with compression",
    run: (pl: typeof placedAll, c: PassContext): RoutedSnn => {
      const routing = routeSpikes(pl.placed, pl.grid, c.target, pl.traffic, activity.rates);
      return { ...pl.placed, traffic: pl.traffic, routing };
    },
  }, placedAll, ctx, (r) => r.routing);
  runner.run({
    name: "check",
    summary: "capacity of every core; routes reach every destination; compressed tables equal the originals",
    run: (r: RoutedSnn, c: PassContext) => checkCapacity(r, c.target),
  }, routed, ctx);
  const backend: Backend | undefined = BACKENDS.find((b) => b.family === target.family);
  if (!backend) throw fail("SNNC301", `no backend writes the "${target.family}" family`, { file: target.path ?? target.name });
  const binary = runner.run({
    name: "emit",
    summary: "the placement binary",
    run: (r: RoutedSnn, c: PassContext) => backend.encode(r, c.target, { ...meta, method: options.method, timesteps: options.timesteps }),
  }, routed, ctx, (b) => ({ bytes: b.length }));
  return { conversion, activity, quantised, partitioned, traffic: placedAll.traffic, placement: placedAll.stats, grid: placedAll.grid, routed, binary, timings: runner.timings };
}
