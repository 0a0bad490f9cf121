/**
 * @fileoverview Worker of compiler/simulate/parallel.ts: runs the float SNN simulator, or the reference integer
 * simulator, on a shard of the samples.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { QuantisedSnn } from "../ir/quantised.ts";
import type { SnnGraph } from "../ir/snn.ts";
import { simulateFloat } from "../simulate/float-snn.ts";
import { simulateInt } from "../simulate/int-snn.ts";

const data = workerData as
  | { kind: "float"; snn: SnnGraph; images: Float32Array; count: number; timesteps: number[] }
  | { kind: "int"; q: QuantisedSnn; images: Float32Array; count: number; timesteps: number };
if (data.kind === "int") {
  const sim = simulateInt(data.q, data.images, data.count, { timesteps: data.timesteps });
  parentPort?.postMessage({ scores: sim.scores, events: sim.synapticEvents });
} else {
  const sim = simulateFloat(data.snn, data.images, data.count, { timesteps: data.timesteps });
  parentPort?.postMessage({ scores: [...sim.scores.entries()], events: sim.synapticEvents, spikes: Array.from(sim.totalSpikes) });
}
