/**
 * @fileoverview report.json: the figures of a compile (CONTRACT.md keys, camelCase), built from the pipeline,
 * the bit-exactness check and the emulator's counters. report.md and report.html are rendered from it.
 */
import type { EmulateResult } from "../../runtime/emulator/run.ts";
import type { CompileRequest } from "../compile.ts";
import type { Diagnostics } from "../convert/diagnostics.ts";
import type { NeuronKind } from "../../runtime/format/spec.ts";
import { assertNever } from "../diagnostics.ts";
import type { AnnGraph } from "../ir/ann.ts";
import { shapeSize } from "../ir/ann.ts";
import type { QPopulation } from "../ir/quantised.ts";
import { projectionSynapses, type Population } from "../ir/snn.ts";
import type { PipelineResult } from "../pipeline.ts";
import type { Target } from "../target/schema.ts";
import type { TfjsCheck } from "../tfjs/check.ts";
import type { BitExactResult } from "../verify/bitexact.ts";
import { SNNC_VERSION } from "../version.ts";
import { defaultPooling } from "../convert/methods.ts";
import { type EnergyReport, energyReport } from "./energy.ts";

export interface ReportLayer {
  readonly name: string;
  readonly kind: string;
  readonly shape: readonly number[];
  readonly neurons: number;
  readonly synapses: number;
  readonly cores: number;
}

export interface Report {
  readonly snncVersion: string;
  readonly target: string;
  readonly model: string;
  readonly method: string;
  readonly timesteps: number;
  readonly network: { readonly neurons: number; readonly synapses: number; readonly layers: readonly ReportLayer[] };
  readonly mapping: {
    readonly cores: number;
    readonly chips: number;
    readonly coreUtilisation: { readonly mean: number; readonly max: number; readonly perResource: Readonly<Record<string, { mean: number; max: number }>> };
    /** Hops per packet measured by the emulator (one packet per spike and destination core on meshes, one
     * multicast packet per spike on SpiNNaker). */
    readonly avgHops: number;
    /** The placement's estimate from calibration rates, and the same for the serpentine seed placement. */
    readonly estimatedAvgHops: number;
    readonly maxHops: number;
    readonly sequentialAvgHops: number;
    readonly maxLinkLoad: number;
    readonly routingEntries: { readonly total: number; readonly maxPerChip: number; readonly beforeCompression: { readonly total: number; readonly maxPerChip: number } };
    readonly coreList: readonly {
      readonly id: number; readonly chipX: number; readonly chipY: number; readonly index: number; readonly tileX: number; readonly tileY: number;
      readonly layers: readonly string[]; readonly utilisation: number;
      /** Per resource of the core's limits; `neurons` counts compartments (a Loihi soft-reset neuron takes 2). */
      readonly resources: Readonly<Record<string, number>>;
      /** Neurons placed on the core (absent in reports before 0.1.x's issue 18). */
      readonly neurons?: number;
    }[];
    readonly grid: { readonly chipsX: number; readonly chipsY: number; readonly tilesX: number; readonly tilesY: number; readonly coresPerTile: number; readonly coresPerChip: number; readonly torus: boolean };
  };
  readonly run: {
    readonly samples: number;
    readonly spikesPerInference: number;
    readonly synapticOpsPerInference: number;
    readonly neuronUpdatesPerInference: number;
    readonly hopsPerInference: number;
    readonly layers: readonly { readonly name: string; readonly spikesPerInference: number; readonly rate: number; readonly synapticOpsPerInference: number }[];
  };
  readonly energy: EnergyReport;
  /** ECMT compute nodes on the processors (absent: none): emulator counts per inference, and the busiest
   * processor's cycles per step (mean over the steps) against the step budget. */
  readonly computeNodes?: {
    readonly processor: string;
    readonly cyclesPerInference: number;
    readonly busiestCyclesPerStep: number;
    readonly budgetCyclesPerStep: number;
    readonly synapticEventsPerInference: number;
    readonly gradedPacketsPerInference: number;
  };
  readonly latency: { readonly timesteps: number; readonly steps: number; readonly readoutDepth: number; readonly secondsPerInference: number; readonly secondsPerStep: number };
  readonly accuracy: { readonly ann: number; readonly snn: number; readonly samples: number } | null;
  readonly verification: { readonly bitExact: boolean; readonly comparedSteps: number; readonly comparedSpikes: number; readonly samples: number; readonly firstMismatch: BitExactResult["firstMismatch"] };
  readonly targetInfo: { readonly name: string; readonly title: string; readonly family: string; readonly neuronModel: string };
  readonly conversion: {
    readonly options: Readonly<Record<string, unknown>>;
    /** `auto` normalisation (ecc's default): the network chosen and what each tried network measured against the
     * ANN on the calibration samples (class disagreements, score error); null without `auto`. */
    readonly normalisation?: { readonly chosen: string; readonly samples: number; readonly tried: readonly { readonly label: string; readonly disagreements: number; readonly scoreError: number }[] } | null;
    /** The method `auto` chose when no --method was given on a target with graded spikes: the methods it measured
     * (ecc's networks and mt's) and the one kept (also the report's `method`); absent otherwise. */
    readonly method?: { readonly chosen: string; readonly methods: readonly string[]; readonly samples: number } | null;
    readonly accuracyVsTimesteps: { readonly samples: number; readonly ann: number | null; readonly points: readonly { timesteps: number; accuracy: number }[] };
    readonly diagnostics: Diagnostics;
  };
  readonly quantisation: PipelineResult["quantised"]["layers"];
  readonly importCheck: TfjsCheck | null;
  readonly data: string;
  readonly timings: readonly { readonly pass: string; readonly seconds: number }[];
  /** Class names where the model has them (classes.json near the model; added by `snnc compile`). */
  readonly classNames?: readonly string[] | null;
  readonly raster: { readonly steps: number; readonly layers: readonly { readonly name: string; readonly neurons: number; readonly spikes: readonly (readonly [number, number])[] }[] };
}

export interface ReportInput {
  readonly request: CompileRequest;
  readonly target: Target;
  /** The ANN (null for a NIR graph: a spiking network from the start). */
  readonly graph: AnnGraph | null;
  readonly pipeline: PipelineResult;
  readonly verification: BitExactResult;
  readonly run: EmulateResult;
  readonly evalCount: number;
  readonly accuracy: Report["accuracy"];
  readonly curve: Report["conversion"]["accuracyVsTimesteps"];
  readonly diagnostics: Diagnostics;
  readonly raster: readonly { t: number; pop: number; neuron: number }[];
  readonly tfjs: TfjsCheck | null;
  readonly dataSource: string;
}

function autoChoice(conversion: PipelineResult["conversion"]): NonNullable<Report["conversion"]["normalisation"]> | null {
  const auto = "normalisation" in conversion ? conversion.normalisation : undefined;
  return auto ? { chosen: auto.chosen, samples: auto.samples, tried: auto.tried.map((t) => ({ ...t })) } : null;
}

function withMethodChoice(conversion: PipelineResult["conversion"]): { method?: NonNullable<Report["conversion"]["method"]> } {
  const auto = "normalisation" in conversion ? conversion.normalisation : undefined;
  return auto && auto.methods.length > 1 ? { method: { chosen: auto.method, methods: [...auto.methods], samples: auto.samples } } : {};
}

export function kindName(kind: NeuronKind): string {
  switch (kind) {
    case "input": return "input";
    case "if": return "if";
    case "mt": return "multi-threshold";
    case "readout": return "readout";
    case "count-readout": return "count-readout";
    case "max-gate": return "max-gate";
    default: return assertNever(kind, "neuron kind");
  }
}

/** Multiply-accumulates of the ANN's weighted layers (the 45 nm convention counts these). */
export function annMacs(graph: AnnGraph): number {
  const shapes = new Map(graph.nodes.map((n) => [n.name, n.shape]));
  let macs = 0;
  for (const n of graph.nodes) {
    const op = n.op;
    const inShape = shapes.get(n.inputs[0] ?? "") ?? [];
    if (op.kind === "dense") macs += shapeSize(inShape) * op.units;
    else if (op.kind === "conv2d") macs += shapeSize(n.shape) * op.kernelSize[0] * op.kernelSize[1] * (inShape[2] ?? 0);
    else if (op.kind === "depthwiseConv2d") macs += shapeSize(n.shape) * op.kernelSize[0] * op.kernelSize[1];
    else if (op.kind === "multiHeadAttention") {
      // q, k, v and output projections per token, then Q·Kᵀ and A·V per head
      const tokens = inShape[0] ?? 1;
      const features = inShape[1] ?? 0;
      macs += tokens * features * op.heads * (2 * op.keyDim + op.valueDim) + tokens * op.heads * op.valueDim * op.outDim
        + op.heads * tokens * tokens * (op.keyDim + op.valueDim);
    }
  }
  return macs;
}

/** A NIR graph has no ANN: its frame-based counterpart is one multiply-accumulate per synapse (one pass of
 * the same weights, as a non-spiking network would compute once per inference). */
export function synapseMacs(snn: { readonly populations: readonly Population[] }): number {
  let n = 0;
  for (const p of snn.populations) for (const pr of p.inputs) n += projectionSynapses(pr, snn.populations[pr.source] as Population, p);
  return n;
}

const RESOURCES = ["neurons", "fanInAxons", "fanOutAxons", "synapseBits", "neuronProfiles", "synapseFormats"] as const;

export function buildReport(x: ReportInput): Report {
  const { pipeline, target, run, request } = x;
  const routed = pipeline.routed;
  const q = pipeline.quantised.q;
  const snn = pipeline.conversion.snn;
  const samples = Math.max(1, x.evalCount);
  const steps = request.timesteps + q.readoutDepth;
  const limits: Record<string, number> = {
    neurons: target.core.neurons.value, fanInAxons: target.core.fanInAxons.value, fanOutAxons: target.core.fanOutAxons.value,
    synapseBits: target.core.synapseMemoryBits.value, neuronProfiles: target.core.neuronProfiles.value, synapseFormats: target.core.synapseFormats.value,
  };
  const popCores = q.populations.map((p) => new Set((routed.popBlocks[p.id] ?? []).map((b) => routed.blockCore[b] as number)).size);
  const layers: ReportLayer[] = q.populations.map((p: QPopulation) => {
    const sp = snn.populations[p.id] as Population;
    const synapses = sp.inputs.reduce((a, pr) => a + projectionSynapses(pr, snn.populations[pr.source] as Population, sp), 0);
    return { name: p.name, kind: kindName(p.params.kind), shape: p.shape, neurons: p.size, synapses, cores: popCores[p.id] as number };
  });
  const perResource: Record<string, { mean: number; max: number }> = {};
  for (const k of RESOURCES) {
    const u = routed.cores.map((c) => (c.resources[k] as number) / (limits[k] as number));
    perResource[k] = { mean: u.reduce((a, b) => a + b, 0) / Math.max(1, u.length), max: Math.max(0, ...u) };
  }
  const coreUtil = routed.cores.map((c) => Math.max(...RESOURCES.map((k) => (c.resources[k] as number) / (limits[k] as number))));
  const coreList = routed.cores.map((c, i) => {
    const loc = routed.placement[i];
    const resources: Record<string, number> = {};
    for (const k of RESOURCES) resources[k] = c.resources[k] as number;
    return {
      id: i, chipX: loc?.chipX ?? 0, chipY: loc?.chipY ?? 0, index: loc?.index ?? 0, tileX: loc?.tileX ?? 0, tileY: loc?.tileY ?? 0,
      layers: [...new Set(c.blocks.map((b) => q.populations[routed.blocks[b]?.pop ?? 0]?.name ?? ""))], utilisation: coreUtil[i] as number, resources,
      neurons: c.blocks.reduce((a, b) => a + (routed.blocks[b]?.size ?? 0), 0),
    };
  });
  const routing = routed.routing;
  const entries = routing.kind === "multicast"
    ? { total: routing.entriesAfter, maxPerChip: routing.maxEntriesAfter, beforeCompression: { total: routing.entriesBefore, maxPerChip: routing.maxEntriesBefore } }
    : meshEntries(routed);
  const c = run.counters;
  const latency = c.seconds / samples;
  const firstLayerOps = (run.popSynOps[q.input.population] ?? 0) / samples;
  const energy = energyReport(target, {
    synapticOps: c.synapticOps / samples, activeUpdates: c.activeUpdates / samples, idleUpdates: c.idleUpdates / samples,
    spikes: c.spikes / samples, hopsX: c.hopsX / samples, hopsY: c.hopsY / samples, latency, chips: routed.chipsUsed, cores: routed.cores.length,
    computeCycles: c.computeCycles / samples, gradedPackets: c.gradedPackets / samples, gradedHops: c.gradedHops / samples, gradedSynapticOps: c.computeEvents / samples,
    payloadSpikes: c.payloadSpikes / samples, payloadHops: c.payloadHops / samples,
  }, x.graph ? annMacs(x.graph) : synapseMacs(snn), firstLayerOps);
  // Raster: per layer the 48 most active neurons of the first sample, renumbered 0..47 by activity.
  const RASTER_NEURONS = 48;
  const byPop = new Map<number, (readonly [number, number])[]>();
  const chosen = new Map<number, Map<number, number>>();
  const activity = new Map<number, Map<number, number>>();
  for (const s of x.raster) {
    const m = activity.get(s.pop) ?? new Map<number, number>();
    m.set(s.neuron, (m.get(s.neuron) ?? 0) + 1);
    activity.set(s.pop, m);
  }
  for (const [pop, m] of activity) {
    const top = [...m.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, RASTER_NEURONS).map(([n]) => n).sort((a, b) => a - b);
    chosen.set(pop, new Map(top.map((n, i) => [n, i])));
  }
  for (const s of x.raster) {
    const row = chosen.get(s.pop)?.get(s.neuron);
    if (row === undefined) continue;
    const list = byPop.get(s.pop) ?? [];
    list.push([s.t, row]);
    byPop.set(s.pop, list);
  }
  return {
    snncVersion: SNNC_VERSION,
    target: target.name,
    model: request.model,
    method: snn.method === "nir" ? "nir" : request.method,
    timesteps: request.timesteps,
    network: {
      neurons: layers.reduce((a, l) => a + l.neurons, 0),
      synapses: layers.reduce((a, l) => a + l.synapses, 0),
      layers,
    },
    mapping: {
      cores: routed.cores.length, chips: routed.chipsUsed,
      coreUtilisation: { mean: coreUtil.reduce((a, b) => a + b, 0) / Math.max(1, coreUtil.length), max: Math.max(0, ...coreUtil), perResource },
      avgHops: c.packets > 0 ? c.hops / c.packets : 0, estimatedAvgHops: pipeline.placement.avgHops,
      maxHops: pipeline.placement.maxHops, sequentialAvgHops: pipeline.placement.seedAvgHops,
      maxLinkLoad: Math.max(0, ...routing.linkLoad.values()),
      routingEntries: entries, coreList,
      grid: {
        chipsX: routed.grid.chipsX, chipsY: routed.grid.chipsY, tilesX: routed.grid.tilesX, tilesY: routed.grid.tilesY,
        coresPerTile: routed.grid.coresPerTile, coresPerChip: routed.grid.coresPerChip, torus: routed.grid.torus,
      },
    },
    run: {
      samples: x.evalCount,
      spikesPerInference: c.spikes / samples,
      synapticOpsPerInference: c.synapticOps / samples,
      neuronUpdatesPerInference: c.neuronUpdates / samples,
      hopsPerInference: c.hops / samples,
      layers: q.populations.map((p) => ({
        name: p.name,
        spikesPerInference: (run.popSpikes[p.id] ?? 0) / samples,
        rate: (run.popSpikes[p.id] ?? 0) / samples / (p.size * steps),
        synapticOpsPerInference: (run.popSynOps[p.id] ?? 0) / samples,
      })),
    },
    energy,
    ...(c.computeCycles > 0 && target.processors ? {
      computeNodes: {
        processor: target.processors.kind, cyclesPerInference: c.computeCycles / samples, busiestCyclesPerStep: c.computeBusiestCycles / (samples * steps),
        budgetCyclesPerStep: target.processors.clockHz.value * target.processors.stepBudgetSeconds.value,
        synapticEventsPerInference: c.computeEvents / samples, gradedPacketsPerInference: c.gradedPackets / samples,
      },
    } : {}),
    latency: { timesteps: request.timesteps, steps, readoutDepth: q.readoutDepth, secondsPerInference: latency, secondsPerStep: latency / steps },
    accuracy: x.accuracy,
    verification: {
      bitExact: x.verification.bitExact, comparedSteps: x.verification.comparedSteps, comparedSpikes: x.verification.comparedSpikes,
      samples: x.verification.samples, firstMismatch: x.verification.firstMismatch,
    },
    targetInfo: { name: target.name, title: target.title, family: target.family, neuronModel: target.neuron.model },
    conversion: {
      options: {
        method: request.method, percentile: request.percentile ?? null, perChannel: request.perChannel, reset: request.reset,
        readout: request.readout, encoding: q.input.encoding, maxPool: request.maxPool, pooling: request.pooling ?? defaultPooling(request.method),
        mtLevels: request.mtLevels, calibrationSamples: request.calibrationSamples,
      },
      normalisation: autoChoice(pipeline.conversion),
      // Only when auto chose the method (the key is absent otherwise).
      ...withMethodChoice(pipeline.conversion),
      accuracyVsTimesteps: x.curve,
      diagnostics: x.diagnostics,
    },
    quantisation: pipeline.quantised.layers,
    importCheck: x.tfjs,
    data: x.dataSource,
    timings: pipeline.timings,
    raster: { steps, layers: q.populations.map((p) => ({ name: p.name, neurons: Math.min(RASTER_NEURONS, p.size), spikes: byPop.get(p.id) ?? [] })) },
  };
}

/** Loihi: entries of the per-core output axon maps (one per neuron and destination core), per chip. */
function meshEntries(r: PipelineResult["routed"]): Report["mapping"]["routingEntries"] {
  const perChip = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < r.traffic.src.length; i++) {
    const loc = r.placement[r.traffic.src[i] as number];
    const key = `${loc?.chipX},${loc?.chipY}`;
    const n = r.traffic.axons[i] as number;
    perChip.set(key, (perChip.get(key) ?? 0) + n);
    total += n;
  }
  const max = Math.max(0, ...perChip.values());
  return { total, maxPerChip: max, beforeCompression: { total, maxPerChip: max } };
}
