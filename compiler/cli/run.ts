/**
 * @fileoverview `snnc run <DIR|file.snnb> --input x.npy`: the cycle-accurate emulator on one input or a batch,
 * from the binary alone. Prints the prediction, class scores, per-layer spike counts and the emulator's
 * counters; `--trace FILE` records the spikes and u/v state of probed neurons at every step (bring-up traces
 * to diff against probes read from a chip; docs/traces.md).
 */
import type { Argv } from "yargs";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { emulateParallel } from "../../runtime/emulator/parallel.ts";
import { loadInputs } from "../data/dataset.ts";
import { checkLimit } from "../../runtime/limits.ts";
import { fail } from "../diagnostics.ts";
import { loadBinary } from "./load.ts";
import type { CommandSpec } from "./main.ts";
import { writeAtomically } from "./output.ts";
import { parseProbes, traceRecorder } from "./trace.ts";
import { basename, dirname } from "node:path";

export interface RunArgs {
  network: string;
  input: string;
  timesteps?: number;
  trace?: string;
  probe?: string[];
  workers?: number;
}

export const runCommand: CommandSpec<RunArgs> = {
  command: "run <network>",
  describe: "run the emulator from a compiled binary on an input (.npy)",
  builder: (y: Argv) => y
    .positional("network", { type: "string", demandOption: true, describe: "output directory of snnc compile, or a network.snnb" })
    .option("input", { alias: "i", type: "string", demandOption: true, describe: ".npy with one input of the model's shape, or a batch" })
    .option("timesteps", { alias: "T", type: "number", describe: "timesteps (default: the compiled T)" })
    .option("trace", { type: "string", describe: "write a per-step trace of probed neurons (.csv or .jsonl)" })
    .option("workers", { type: "number", describe: "threads for emulating large batches (default: all cores from 64 samples on; 1 = single thread)" })
    .option("probe", { type: "string", array: true, describe: "neurons to trace: layer:NAME[:i,j,...], core:K[:i,j,...] or chip:X,Y,SLOT[:i,j,...] (compartments of the core; default: the output layer)" })
    .example("snnc run build/cnn-loihi --input x.npy", "classify one image")
    .example("snnc run build/cnn-loihi -i x.npy --trace t.csv --probe layer:conv1:0,1,2 --probe core:3", "bring-up trace") as unknown as Argv<RunArgs>,
  run: async (a, io) => {
    const bin = loadBinary(a.network);
    const net = loadNetwork(bin.decoded);
    const meta = bin.decoded.meta;
    const T = a.timesteps ?? meta.timesteps;
    if (!Number.isInteger(T) || T < 1) throw fail("SNNC003", `--timesteps must be a positive integer, got ${T}`);
    checkLimit("timesteps", T, {}, "--timesteps");
    const inputs = loadInputs(a.input, meta.inputShape);
    for (const w of inputs.warnings ?? []) io.warn(w);
    if (a.probe && !a.trace) throw fail("SNNC003", "--probe picks the neurons of a trace: give --trace FILE (.csv, or .jsonl)");
    const probes = a.trace ? parseProbes(a.probe ?? [], net, meta) : null;
    const recorder = probes && a.trace ? traceRecorder(probes, net, a.trace) : null;
    if (a.workers !== undefined && (!Number.isInteger(a.workers) || a.workers < 1)) throw fail("SNNC003", `--workers must be an integer ≥ 1, got ${a.workers}`);
    // A trace sees every sample's steps in order: it runs on this thread alone.
    const result = await emulateParallel(bin.bytes, net, inputs.images, inputs.count, {
      timesteps: T, recordCounts: true,
      ...(recorder ? { onSpikes: recorder.onSpikes, onStep: recorder.onStep } : {}),
    }, recorder ? { workers: 1 } : a.workers !== undefined ? { workers: a.workers } : {});
    if (recorder && a.trace) writeAtomically(dirname(a.trace) || ".", new Map([[basename(a.trace), recorder.finish()]]));
    const classes = result.classes;
    const predictions: number[] = [];
    const scores: number[][] = [];
    for (let s = 0; s < inputs.count; s++) {
      const row = Array.from(result.scores.subarray(s * classes, (s + 1) * classes));
      let best = 0;
      for (let c = 1; c < classes; c++) if ((row[c] as number) > (row[best] as number)) best = c;
      predictions.push(best);
      scores.push(row);
    }
    // Per layer: one integer per neuron, summed over the inputs, in the layer's NHWC order.
    const counts = meta.populations.map((p) => new Array<number>(p.shape[0] * p.shape[1] * p.shape[2]).fill(0));
    const sc = result.spikeCounts as Int32Array;
    for (let g = 0; g < net.neurons; g++) {
      const pop = counts[net.popOf[g] as number];
      if (pop) pop[net.popIndex[g] as number] = sc[g] as number;
    }
    const c = result.counters;
    const json = {
      prediction: inputs.count === 1 ? predictions[0] : predictions,
      scores: inputs.count === 1 ? scores[0] : scores,
      samples: inputs.count,
      timesteps: T,
      spikeCounts: Object.fromEntries(meta.populations.map((p, i) => [p.name, counts[i]])),
      counters: { spikes: c.spikes, synapticOps: c.synapticOps, neuronUpdates: c.neuronUpdates, hops: c.hops, cycles: Math.round(c.cycles), activeUpdates: c.activeUpdates, idleUpdates: c.idleUpdates },
      latencySecondsPerInference: c.seconds / inputs.count,
      emulationSeconds: result.emulationSeconds,
      ...(a.trace ? { trace: a.trace } : {}),
    };
    const lines = predictions.map((p, s) => `sample ${s}: class ${p}  (scores ${(scores[s] ?? []).map((x) => x.toFixed(0)).join(" ")})`);
    lines.push(`${c.spikes} spikes, ${c.synapticOps} synaptic ops, ${(c.seconds / inputs.count * 1e3).toPrecision(3)} ms per inference on ${meta.target.title}; emulated in ${result.emulationSeconds.toFixed(3)} s`);
    for (const p of meta.populations) {
      const total = (counts[meta.populations.indexOf(p)] ?? []).reduce((x, y) => x + y, 0);
      lines.push(`  ${p.name.padEnd(16)} ${String(total).padStart(9)} spikes`);
    }
    if (a.trace) lines.push(`trace written to ${a.trace}`);
    return { json, text: lines.join("\n") };
  },
};
