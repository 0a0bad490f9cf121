/**
 * @fileoverview Worker of bench/lib/parallel.ts: runs the float SNN simulator on a shard of the samples.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { SnnGraph } from "../../compiler/ir/snn.ts";
import { simulateFloat } from "../../compiler/simulate/float-snn.ts";

const { snn, images, count, timesteps } = workerData as { snn: SnnGraph; images: Float32Array; count: number; timesteps: number[] };
const sim = simulateFloat(snn, images, count, { timesteps });
parentPort?.postMessage({ scores: [...sim.scores.entries()], events: sim.synapticEvents, spikes: Array.from(sim.totalSpikes) });
