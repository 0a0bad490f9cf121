/**
 * @fileoverview `snnc run <DIR|file.snnb> --input x.npy`: the cycle-accurate emulator on one input or a batch,
 * from the binary alone. Prints the prediction, class scores, per-layer spike counts and the emulator's
 * counters; `--trace FILE` records the spikes and u/v state of probed neurons at every step (bring-up traces
 * to diff against probes read from a chip; docs/traces.md). On a batch the text says which figures are totals
 * over the batch and which are per inference; class names come from report.json where compile found them.
 * `--json`: `prediction` and `scores` have one entry per input, whatever the number of inputs.
 */
import { basename, dirname } from "node:path";
import type { Argv } from "yargs";
import { fail } from "../diagnostics.ts";
import { classNamesOf } from "./classes.ts";
import type { CommandSpec } from "./main.ts";
import { examples, integer } from "./options.ts";

export interface RunArgs {
  network: string;
  input: string;
  timesteps?: number;
  trace?: string;
  probe?: string[];
  workers?: number;
  events?: boolean;
}

export const runCommand: CommandSpec<RunArgs> = {
  command: "run <network>",
  describe: "run the emulator from a compiled binary on an input (.npy)",
  builder: (y: Argv) => y
    .positional("network", { type: "string", demandOption: true, describe: "output directory of snnc compile, or a network.snnb" })
    .option("input", { alias: "i", type: "string", demandOption: true, describe: ".npy with one input of the model's shape, or a batch" })
    .option("timesteps", { alias: "T", requiresArg: true, coerce: integer("timesteps"), describe: "timesteps (integer ≥ 1; default: the compiled T)" })
    .option("trace", { type: "string", describe: "write a per-step trace of probed neurons (.csv or .jsonl)" })
    .option("workers", { requiresArg: true, coerce: integer("workers"), describe: "threads for emulating large batches (default: all cores from 64 samples on; 1 = single thread)" })
    .option("events", { type: "boolean", default: false, describe: "the input is event frames [T, ...] (or [N, T, ...]): frame t is presented at step t, nothing after the last; T defaults to the frame count" })
    .option("probe", { type: "string", array: true, describe: "neurons to trace: layer:NAME[:i,j,...], core:K[:i,j,...] or chip:X,Y,SLOT[:i,j,...] (compartments of the core; default: the output layer)" })
    .epilogue(examples([
      ["snnc run build/cnn-loihi --input x.npy", "classify one image"],
      ["snnc run build/cnn-loihi -i x.npy --trace t.csv --probe layer:conv1:0,1,2 --probe core:3", "bring-up trace"],
      ["snnc run build/srnn-loihi2 --input events.npy --events", "a spiking network on event frames [T, ...]"],
    ])) as unknown as Argv<RunArgs>,
  run: async (a, io) => {
    if (a.probe && !a.trace) throw fail("SNNC003", "--probe picks the neurons of a trace: give --trace FILE (.csv, or .jsonl)");
    const [{ loadBinary }, { loadNetwork }, { emulateParallel }, { loadInputs }, { checkLimit }, { parseProbes, traceRecorder }, { writeAtomically }] = await Promise.all([
      import("./load.ts"), import("../../runtime/emulator/network.ts"), import("../../runtime/emulator/parallel.ts"), import("../data/dataset.ts"), import("../../runtime/limits.ts"), import("./trace.ts"), import("./output.ts"),
    ]);
    const bin = loadBinary(a.network);
    const net = loadNetwork(bin.decoded);
    const meta = bin.decoded.meta;
    const events = a.events ? (await import("../data/dataset.ts")).loadEvents(a.input, meta.inputShape) : null;
    const T = a.timesteps ?? events?.frames ?? meta.timesteps;
    checkLimit("timesteps", T, {}, "--timesteps");
    const inputs = events ? { images: events.images, count: events.count } : loadInputs(a.input, meta.inputShape);
    for (const w of ("warnings" in inputs ? inputs.warnings : undefined) ?? []) io.warn(w);
    const probes = a.trace ? parseProbes(a.probe ?? [], net, meta) : null;
    const recorder = probes && a.trace ? traceRecorder(probes, net, a.trace) : null;
    // A trace sees every sample's steps in order: it runs on this thread alone.
    const result = await emulateParallel(bin.bytes, net, inputs.images, inputs.count, {
      timesteps: T, recordCounts: true, ...(events ? { frames: events.frames } : {}),
      ...(recorder ? { onSpikes: recorder.onSpikes, onStep: recorder.onStep } : {}),
    }, recorder ? { workers: 1 } : a.workers !== undefined ? { workers: a.workers } : {});
    if (recorder && a.trace) writeAtomically(dirname(a.trace) || ".", new Map([[basename(a.trace), recorder.finish()]]));
    const classes = result.classes;
    const names = classNamesOf(bin.dir, classes);
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
    const n = inputs.count;
    const json = {
      prediction: predictions,
      scores,
      ...(names ? { classNames: predictions.map((p) => names[p] ?? null) } : {}),
      samples: n,
      timesteps: T,
      spikeCounts: Object.fromEntries(meta.populations.map((p, i) => [p.name, counts[i]])),
      counters: { spikes: c.spikes, synapticOps: c.synapticOps, neuronUpdates: c.neuronUpdates, hops: c.hops, cycles: Math.round(c.cycles), activeUpdates: c.activeUpdates, idleUpdates: c.idleUpdates },
      latencySecondsPerInference: c.seconds / n,
      emulationSeconds: result.emulationSeconds,
      ...(a.trace ? { trace: a.trace } : {}),
    };
    const lines = predictions.map((p, s) => `${n > 1 ? `sample ${s}: ` : ""}class ${p}${names?.[p] !== undefined ? ` (${names[p]})` : ""}  scores ${(scores[s] ?? []).map((x) => x.toFixed(0)).join(" ")}`);
    const per = (x: number) => (n > 1 ? (x / n).toFixed(1) : String(x));
    lines.push(`on ${meta.target.title}, T = ${T}:`);
    lines.push(`  per inference: ${per(c.spikes)} spikes, ${per(c.synapticOps)} synaptic ops, ${(c.seconds / n * 1e3).toPrecision(3)} ms on the chip${n > 1 ? ` (mean of ${n} inputs)` : ""}`);
    if (n > 1) lines.push(`  batch of ${n} inputs: ${c.spikes} spikes, ${c.synapticOps} synaptic ops in total`);
    lines.push(`  emulated in ${result.emulationSeconds.toFixed(3)} s${n > 1 ? ` for the ${n} inputs` : ""}`);
    lines.push(n > 1 ? `spikes per layer (total over the ${n} inputs):` : "spikes per layer:");
    for (const [i, p] of meta.populations.entries()) {
      const total = (counts[i] ?? []).reduce((x, y) => x + y, 0);
      lines.push(`  ${p.name.padEnd(16)} ${String(total).padStart(9)}`);
    }
    if (a.trace) lines.push(`trace written to ${a.trace}`);
    return { json, text: lines.join("\n") };
  },
};
