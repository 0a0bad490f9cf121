/**
 * @fileoverview `snnc verify <DIR>`: reruns the proof on a compiled directory. The emulator, reading only
 * network.snnb, against the reference integer model stored at compile time (reference.json.gz): every
 * neuron's spikes at every step must be identical; the first divergence is reported with its timestep,
 * layer, neuron and core, exit 1. Also ANN vs SNN accuracy on labelled data. With `--queue redis://…` the
 * samples go as jobs to `snnc worker`s (compiler/distributed/), merged into the same result.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Argv } from "yargs";
import { fail } from "../diagnostics.ts";
import type { AnnGraph } from "../ir/ann.ts";
import type { QuantisedSnn } from "../ir/quantised.ts";
import type { SnnGraph } from "../ir/snn.ts";
import type { BitExactResult } from "../verify/bitexact.ts";
import type { CommandSpec } from "./main.ts";
import { examples, integer } from "./options.ts";

export interface VerifyArgs {
  dir: string;
  data?: string;
  samples: number;
  queue?: string;
  "job-samples"?: number;
  "wait-workers": number;
  outage?: number;
}

export const verifyCommand: CommandSpec<VerifyArgs> = {
  command: "verify <dir>",
  describe: "prove a compiled binary: emulator vs the reference integer model, spike for spike; ANN vs SNN accuracy",
  builder: (y: Argv) => y
    .positional("dir", { type: "string", demandOption: true, describe: "output directory of snnc compile" })
    .option("data", { type: "string", describe: "labelled data (IDX or .npy); examples default to their shipped sample" })
    .option("samples", { alias: "n", default: 16, requiresArg: true, coerce: integer("samples"), describe: "samples to compare" })
    .option("queue", { type: "string", describe: "run the samples as jobs on snnc workers through this Redis (redis://HOST:PORT)" })
    .option("job-samples", { requiresArg: true, coerce: integer("job-samples"), describe: "with --queue: samples per job (default: about 40 jobs)" })
    .option("wait-workers", { default: 30, requiresArg: true, coerce: integer("wait-workers", 0), describe: "with --queue: seconds to wait for a worker of this snnc version" })
    .option("outage", { requiresArg: true, coerce: integer("outage", 0), describe: "with --queue: seconds to wait for a lost Redis before failing (SNNC802; default 30)" })
    .epilogue(examples([
      ["snnc verify build/cnn-loihi --samples 100", "bit-exactness and accuracy on 100 samples"],
      ["snnc verify build/cnn-loihi --data /usr/share/datasets/fashion-mnist -n 10000 --queue redis://127.0.0.1:6379", "10,000 samples on the workers of a Redis"],
    ])) as unknown as Argv<VerifyArgs>,
  run: async (a, io) => {
    const [{ loadNetwork }, { emulateParallel }, { accuracyOf }, { loadDataset, sliceDataset }, { defaultData }, { deserialize }, { predictClasses }, { verifyBitExact }, { loadBinary }] = await Promise.all([
      import("../../runtime/emulator/network.ts"), import("../../runtime/emulator/parallel.ts"), import("../compile.ts"), import("../data/dataset.ts"), import("../data/resolve.ts"),
      import("../ir/serialize.ts"), import("../interp/ann-float.ts"), import("../verify/bitexact.ts"), import("./load.ts"),
    ]);
    const { simulateFloat } = await import("../simulate/float-snn.ts");
    const bin = loadBinary(a.dir);
    const refPath = join(a.dir, "reference.json.gz");
    if (!existsSync(refPath)) throw fail("SNNC602", `no reference.json.gz (the reference model) in ${a.dir}`, { file: a.dir }, "recompile with snnc compile");
    // graph: the ANN; a NIR graph's reference is its float SNN (`snn`) instead.
    const ref = deserialize<{ graph: AnnGraph | null; snn?: SnnGraph; quantised: QuantisedSnn; timesteps: number }>(new Uint8Array(readFileSync(refPath)));
    if (!ref.graph && a.queue !== undefined) {
      throw fail("SNNC171", "verify --queue needs an ANN reference; this network was compiled from a NIR graph", { file: a.dir }, "run snnc verify without --queue");
    }
    const inputShape = bin.decoded.meta.inputShape;
    let dataPath = a.data;
    if (!dataPath) {
      const reportPath = join(a.dir, "report.json");
      const model = existsSync(reportPath) ? (JSON.parse(readFileSync(reportPath, "utf8")) as { model?: string }).model : undefined;
      dataPath = model ? defaultData(model)?.path : undefined;
    }
    if (!dataPath) throw fail("SNNC153", "no data to verify with", { file: a.dir }, "give --data DATA");
    // Event data [N, T, ...] only for a network read from NIR (its reference is the float SNN).
    const data = sliceDataset(loadDataset(dataPath, { inputShape, limit: a.samples, events: !ref.graph }), 0, a.samples);
    let v: BitExactResult;
    let accuracy: { ann: number; snn: number; samples: number } | null = null;
    if (a.queue !== undefined) {
      const { verifyOnQueue } = await import("../distributed/verify.ts");
      const task = io.progress.task("verify-queue", data.count);
      let shown = 0;
      const q = await verifyOnQueue({
        url: a.queue, binary: bin.bytes, reference: new Uint8Array(readFileSync(refPath)), images: data.images, count: data.count,
        perSample: data.images.length / data.count, timesteps: ref.timesteps, waitWorkersSeconds: a["wait-workers"], warn: io.warn,
        ...(a["job-samples"] !== undefined ? { jobSamples: a["job-samples"] } : {}),
        ...(a.outage !== undefined ? { outageSeconds: a.outage } : {}),
        onProgress: (done) => {
          task.tick(done - shown);
          shown = done;
        },
      });
      task.done(`${q.jobs} jobs on ${q.workers.length} worker(s)`);
      v = q.shard.bitExact;
      if (data.labels) accuracy = { ann: agreement(q.shard.annClasses, data.labels, data.count), snn: accuracyOf(q.shard.run.scores, q.shard.run.classes, data.labels, data.count), samples: data.count };
    } else {
      const net = loadNetwork(bin.decoded);
      const frames = data.frames ?? 1;
      v = verifyBitExact(ref.quantised, bin.bytes, data.images, data.count, ref.timesteps, net, 0, frames);
      if (data.labels) {
        const run = await emulateParallel(bin.bytes, net, data.images, data.count, { timesteps: ref.timesteps, frames });
        const ann = ref.graph ? predictClasses(ref.graph, data.images, data.count) : floatSnnClasses(ref.snn as SnnGraph, data.images, data.count, ref.timesteps, frames, simulateFloat);
        accuracy = { ann: agreement(ann, data.labels, data.count), snn: accuracyOf(run.scores, run.classes, data.labels, data.count), samples: data.count };
      }
    }
    const json = { bitExact: v.bitExact, comparedSteps: v.comparedSteps, comparedSpikes: v.comparedSpikes, samples: v.samples, firstMismatch: v.firstMismatch, accuracy };
    if (!v.bitExact && v.firstMismatch) {
      const m = v.firstMismatch;
      const text = `MISMATCH at sample ${m.sample}, timestep ${m.timestep}, layer "${m.layer}", neuron ${m.neuron}, core ${m.core}: reference spike ${m.expected}, emulator ${m.got}`;
      return { json, text, exitCode: 1, stderr: `error SNNC601: ${text}` };
    }
    const text = [
      `bit-exact: ${v.samples} samples × ${ref.timesteps + ref.quantised.readoutDepth} steps, ${v.comparedSpikes} spikes identical (emulator from ${bin.path} vs reference model)`,
      accuracy ? `accuracy: ${ref.graph ? "ANN" : "float SNN"} ${(accuracy.ann * 100).toFixed(2)}% → ${ref.graph ? "SNN" : "target"} ${(accuracy.snn * 100).toFixed(2)}% on ${accuracy.samples} samples` : "accuracy: no labels",
    ].join("\n");
    return { json, text };
  },
};

/** The float SNN's classes after T steps (a NIR graph's reference). */
function floatSnnClasses(snn: SnnGraph, images: Float32Array, count: number, T: number, frames: number, sim: typeof import("../simulate/float-snn.ts").simulateFloat): Int32Array {
  const r = sim(snn, images, count, { timesteps: [T], frames });
  const scores = r.scores.get(T) as Float32Array;
  return Int32Array.from({ length: count }, (_, i) => {
    let best = 0;
    for (let j = 1; j < r.classes; j++) if ((scores[i * r.classes + j] as number) > (scores[i * r.classes + best] as number)) best = j;
    return best;
  });
}

function agreement(classes: Int32Array, labels: Int32Array, count: number): number {
  let ok = 0;
  for (let i = 0; i < count; i++) if (classes[i] === labels[i]) ok++;
  return ok / count;
}
