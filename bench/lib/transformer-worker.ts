/**
 * @fileoverview Worker of bench/transformer.ts: one shard of the evaluated images through the float SNN (every
 * checkpoint T, with ECMT's operation count), optionally the float SNN with fixed-point compute nodes, and the
 * integer reference model of each quantised target at each integer T. Samples are independent, so the shards'
 * results put back in order equal a single-thread run's.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { QuantisedSnn } from "../../compiler/ir/quantised.ts";
import type { SnnGraph } from "../../compiler/ir/snn.ts";
import { simulateFloat } from "../../compiler/simulate/float-snn.ts";
import { simulateInt } from "../../compiler/simulate/int-snn.ts";

export interface TransformerShard {
  readonly snn: SnnGraph;
  readonly images: Float32Array;
  readonly count: number;
  readonly sampleOffset: number;
  readonly timesteps: number[];
  readonly fixed: boolean;
  readonly ints: { readonly target: string; readonly q: QuantisedSnn }[];
  readonly intTimesteps: number[];
}

export interface TransformerShardResult {
  readonly scores: [number, Float32Array][];
  readonly fixedScores: [number, Float32Array][];
  readonly ops: [number, number][];
  /** The part of `ops` out of the input population, per T. */
  readonly inputOps: [number, number][];
  /** Predicted classes per (target, T). */
  readonly intPred: { target: string; T: number; pred: Int32Array }[];
}

export function runShard(d: TransformerShard): TransformerShardResult {
  const sim = simulateFloat(d.snn, d.images, d.count, { timesteps: d.timesteps, batchSize: 32, sampleOffset: d.sampleOffset });
  const fixed = d.fixed ? simulateFloat(d.snn, d.images, d.count, { timesteps: d.timesteps, batchSize: 32, sampleOffset: d.sampleOffset, fixedCompute: true }) : null;
  const intPred: TransformerShardResult["intPred"] = [];
  for (const { target, q } of d.ints) {
    const classes = (q.populations[q.output] as { size: number }).size;
    for (const T of d.intTimesteps) {
      const r = simulateInt(q, d.images, d.count, { timesteps: T, sampleOffset: d.sampleOffset });
      const pred = Int32Array.from({ length: d.count }, (_, b) => {
        let best = 0;
        for (let j = 1; j < classes; j++) if ((r.scores[b * classes + j] as number) > (r.scores[b * classes + best] as number)) best = j;
        return best;
      });
      intPred.push({ target, T, pred });
    }
  }
  return { scores: [...sim.scores.entries()], fixedScores: fixed ? [...fixed.scores.entries()] : [], ops: [...sim.ecmtOpsAt.entries()], inputOps: [...sim.inputOpsAt.entries()], intPred };
}

if (parentPort && workerData) parentPort.postMessage(runShard(workerData as TransformerShard));
