/**
 * @fileoverview Worker of parallel.ts: decodes the binary, loads the network and runs its shard of samples.
 */
import { parentPort, workerData } from "node:worker_threads";
import { decodeBinary } from "../format/reader.ts";
import { loadNetwork } from "./network.ts";
import { emulate } from "./run.ts";

const job = workerData as { binary: Uint8Array; images: Float32Array; count: number; timesteps: number; recordCounts: boolean; sampleOffset: number };
const net = loadNetwork(decodeBinary(job.binary));
const result = emulate(net, job.images, job.count, { timesteps: job.timesteps, recordCounts: job.recordCounts, sampleOffset: job.sampleOffset });
parentPort?.postMessage(result);
