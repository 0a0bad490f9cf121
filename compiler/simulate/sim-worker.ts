/**
 * @fileoverview Job of compiler/simulate/parallel.ts run by a kept worker (runtime/threads.ts's pool): the float
 * SNN simulator, or the reference integer simulator, on a shard of the samples; or several float SNNs on pieces
 * of the samples (simulateMany).
 */
import type { QuantisedSnn } from "../ir/quantised.ts";
import type { SnnGraph } from "../ir/snn.ts";
import { simulateFloat, simulatePiece } from "../simulate/float-snn.ts";
import { simulateInt } from "../simulate/int-snn.ts";

export type SimJob =
  | { kind: "float"; snn: SnnGraph; images: Float32Array; count: number; timesteps: number[]; sampleOffset: number }
  | { kind: "floatMany"; snns: SnnGraph[]; images: Float32Array; timesteps: number; cut: number; pieces: { net: number; start: number; n: number }[] }
  | { kind: "int"; q: QuantisedSnn; images: Float32Array; count: number; timesteps: number; sampleOffset: number };

export function simJob(data: SimJob): unknown {
  if (data.kind === "floatMany") return data.pieces.map((p) => simulatePiece(data.snns[p.net] as SnnGraph, data.images, p, data.timesteps, data.cut));
  if (data.kind === "int") {
    const sim = simulateInt(data.q, data.images, data.count, { timesteps: data.timesteps, sampleOffset: data.sampleOffset });
    return { scores: sim.scores, events: sim.synapticEvents };
  }
  const sim = simulateFloat(data.snn, data.images, data.count, { timesteps: data.timesteps, sampleOffset: data.sampleOffset });
  return { scores: [...sim.scores.entries()], events: sim.synapticEvents, spikes: Array.from(sim.totalSpikes) };
}
