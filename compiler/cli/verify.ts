/**
 * @fileoverview `snnc verify <DIR>`: reruns the proof on a compiled directory. The emulator, reading only
 * network.snnb, against the reference integer model stored at compile time (reference.json.gz): every
 * neuron's spikes at every step must be identical; the first divergence is reported with its timestep,
 * layer, neuron and core, exit 1. Also ANN vs SNN accuracy on labelled data.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Argv } from "yargs";
import { fail } from "../diagnostics.ts";
import type { AnnGraph } from "../ir/ann.ts";
import type { QuantisedSnn } from "../ir/quantised.ts";
import type { CommandSpec } from "./main.ts";
import { examples, integer } from "./options.ts";

export interface VerifyArgs {
  dir: string;
  data?: string;
  samples: number;
}

export const verifyCommand: CommandSpec<VerifyArgs> = {
  command: "verify <dir>",
  describe: "prove a compiled binary: emulator vs the reference integer model, spike for spike; ANN vs SNN accuracy",
  builder: (y: Argv) => y
    .positional("dir", { type: "string", demandOption: true, describe: "output directory of snnc compile" })
    .option("data", { type: "string", describe: "labelled data (IDX or .npy); examples default to their shipped sample" })
    .option("samples", { alias: "n", default: 16, requiresArg: true, coerce: integer("samples"), describe: "samples to compare" })
    .epilogue(examples([
      ["snnc verify build/cnn-loihi --samples 100", "bit-exactness and accuracy on 100 samples"],
    ])) as unknown as Argv<VerifyArgs>,
  run: async (a) => {
    const [{ loadNetwork }, { emulateParallel }, { accuracyOf }, { loadDataset, sliceDataset }, { defaultData }, { deserialize }, { predictClasses }, { verifyBitExact }, { loadBinary }] = await Promise.all([
      import("../../runtime/emulator/network.ts"), import("../../runtime/emulator/parallel.ts"), import("../compile.ts"), import("../data/dataset.ts"), import("../data/resolve.ts"),
      import("../ir/serialize.ts"), import("../interp/ann-float.ts"), import("../verify/bitexact.ts"), import("./load.ts"),
    ]);
    const bin = loadBinary(a.dir);
    const refPath = join(a.dir, "reference.json.gz");
    if (!existsSync(refPath)) throw fail("SNNC602", `no reference.json.gz (the reference model) in ${a.dir}`, { file: a.dir }, "recompile with snnc compile");
    const ref = deserialize<{ graph: AnnGraph; quantised: QuantisedSnn; timesteps: number }>(new Uint8Array(readFileSync(refPath)));
    const inputShape = bin.decoded.meta.inputShape;
    let dataPath = a.data;
    if (!dataPath) {
      const reportPath = join(a.dir, "report.json");
      const model = existsSync(reportPath) ? (JSON.parse(readFileSync(reportPath, "utf8")) as { model?: string }).model : undefined;
      dataPath = model ? defaultData(model)?.path : undefined;
    }
    if (!dataPath) throw fail("SNNC153", "no data to verify with", { file: a.dir }, "give --data DATA");
    const data = sliceDataset(loadDataset(dataPath, { inputShape, limit: a.samples }), 0, a.samples);
    const net = loadNetwork(bin.decoded);
    const v = verifyBitExact(ref.quantised, bin.bytes, data.images, data.count, ref.timesteps, net);
    let accuracy: { ann: number; snn: number; samples: number } | null = null;
    if (data.labels) {
      const run = await emulateParallel(bin.bytes, net, data.images, data.count, { timesteps: ref.timesteps });
      const ann = predictClasses(ref.graph, data.images, data.count);
      let ok = 0;
      for (let i = 0; i < data.count; i++) if (ann[i] === data.labels[i]) ok++;
      accuracy = { ann: ok / data.count, snn: accuracyOf(run.scores, run.classes, data.labels, data.count), samples: data.count };
    }
    const json = { bitExact: v.bitExact, comparedSteps: v.comparedSteps, comparedSpikes: v.comparedSpikes, samples: v.samples, firstMismatch: v.firstMismatch, accuracy };
    if (!v.bitExact && v.firstMismatch) {
      const m = v.firstMismatch;
      const text = `MISMATCH at sample ${m.sample}, timestep ${m.timestep}, layer "${m.layer}", neuron ${m.neuron}, core ${m.core}: reference spike ${m.expected}, emulator ${m.got}`;
      return { json, text, exitCode: 1, stderr: `error SNNC601: ${text}` };
    }
    const text = [
      `bit-exact: ${v.samples} samples × ${ref.timesteps + ref.quantised.readoutDepth} steps, ${v.comparedSpikes} spikes identical (emulator from ${bin.path} vs reference model)`,
      accuracy ? `accuracy: ANN ${(accuracy.ann * 100).toFixed(2)}% → SNN ${(accuracy.snn * 100).toFixed(2)}% on ${accuracy.samples} samples` : "accuracy: no labels",
    ].join("\n");
    return { json, text };
  },
};
