/**
 * @fileoverview Benchmark: the --emit-pynn script on pyNN.brian2 against snnc's float SNN (and its integer
 * reference model), for the Fashion-MNIST MLP and CNN compiled for SpiNNaker. For each model and reset mode,
 * compiles (T = 32), writes the script, runs it on the first N test images in chunks until N are done or the
 * time budget is spent, and prints the class agreement with the float SNN and with the integer model, the
 * exact-score matches with the integer model, and the accuracies. Prints one JSON line per run.
 *
 *   npx tsx bench/pynn.ts [--models mlp,cnn] [--resets zero,subtract] [--samples 1000] [--budget 600]
 *                         [--chunk 100] [--codegen numpy|cython] [--offset K: start at test image K]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runCompile } from "../compiler/compile.ts";
import { DEFAULT_CONVERT_OPTIONS } from "../compiler/convert/methods.ts";
import { writeNpy } from "../compiler/data/npy.ts";
import { emitPynn, PYNN_SCRIPT } from "../compiler/pynn/emit.ts";
import { simulateFloat } from "../compiler/simulate/float-snn.ts";
import { simulateInt } from "../compiler/simulate/int-snn.ts";
import { SNNC_VERSION } from "../compiler/version.ts";
import { benchData } from "./lib/fashion.ts";

const PYTHON = "/usr/bin/python3";
const T = 32;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : dflt;
}

function argmaxRows(scores: ArrayLike<number>, n: number, classes: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < n; s++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if ((scores[s * classes + c] as number) > (scores[s * classes + best] as number)) best = c;
    out.push(best);
  }
  return out;
}

async function main(): Promise<void> {
  const models = arg("models", "mlp,cnn").split(",");
  const resets = arg("resets", "zero,subtract").split(",") as ("zero" | "subtract")[];
  const samples = Number(arg("samples", "1000"));
  const budget = Number(arg("budget", "600"));
  const chunk = Number(arg("chunk", "100"));
  const codegen = arg("codegen", "numpy");
  const offset = Number(arg("offset", "0"));
  const data = benchData(samples, offset);
  console.log(`# --emit-pynn on pyNN.brian2 vs snnc, spinnaker, T = ${T}: ${data.describe}; budget ${budget} s per run, chunks of ${chunk}, Brian 2 codegen ${codegen}`);
  const per = 28 * 28;
  for (const model of models) {
    for (const reset of resets) {
      const r = await runCompile({
        ...DEFAULT_CONVERT_OPTIONS, model: `examples/fashion-mnist/${model}/model.json`, target: "spinnaker", method: "ecc", reset,
        timesteps: T, samples: 16, calibrationSamples: 256, verifySamples: 0, tfjsCheck: false, emulator: false,
      }, { warn: () => {}, progress: () => {}, stage: () => {} });
      if (!r.complete) throw new Error("compile stopped early");
      const q = r.outcome.pipeline.quantised.q;
      const snn = r.outcome.pipeline.conversion.snn;
      const pynn = emitPynn(q, r.outcome.target, { snncVersion: SNNC_VERSION, model, timesteps: T });
      const dir = mkdtempSync(join(tmpdir(), "snnc-pynn-bench-"));
      for (const [name, bytes] of pynn.files) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), bytes);
      }
      const pred: number[] = [];
      const scores: number[][] = [];
      const t0 = Date.now();
      for (let start = 0; start < data.n && (Date.now() - t0) / 1000 < budget; start += chunk) {
        const n = Math.min(chunk, data.n - start);
        const x = data.evalSet.images.subarray(start * per, (start + n) * per);
        writeFileSync(join(dir, "x.npy"), writeNpy([n, 28, 28, 1], x));
        const p = spawnSync(PYTHON, [join(dir, PYNN_SCRIPT), "-i", join(dir, "x.npy"), "-o", join(dir, "out.json"), "--codegen", codegen], { encoding: "utf8", maxBuffer: 1 << 26 });
        if (p.status !== 0) throw new Error(`network_pynn.py failed: ${p.stderr.split("\n").slice(-6).join("\n")}`);
        const out = JSON.parse(readFileSync(join(dir, "out.json"), "utf8")) as { prediction: number[]; scores: number[][] };
        pred.push(...out.prediction);
        scores.push(...out.scores);
      }
      const seconds = (Date.now() - t0) / 1000;
      const n = pred.length;
      const images = data.evalSet.images.subarray(0, n * per);
      const floatScores = simulateFloat(snn, images, n, { timesteps: [T] }).scores.get(T) as Float32Array;
      const intSim = simulateInt(q, images, n, { timesteps: T });
      const classes = intSim.classes;
      const floatPred = argmaxRows(floatScores, n, classes);
      const intPred = argmaxRows(intSim.scores, n, classes);
      let agreeFloat = 0;
      let agreeInt = 0;
      let exact = 0;
      let correct = 0;
      let floatCorrect = 0;
      for (let s = 0; s < n; s++) {
        if (pred[s] === floatPred[s]) agreeFloat++;
        if (pred[s] === intPred[s]) agreeInt++;
        if ((scores[s] as number[]).every((v, c) => v === intSim.scores[s * classes + c])) exact++;
        if (pred[s] === data.labels[s]) correct++;
        if (floatPred[s] === data.labels[s]) floatCorrect++;
      }
      const row = {
        model, reset, offset, images: n, seconds: Math.round(seconds), synapses: pynn.synapses, warnings: pynn.warnings.map((w) => w.code),
        agreementWithFloatSnn: agreeFloat / n, agreementWithIntegerModel: agreeInt / n, exactScoresVsIntegerModel: exact / n,
        accuracyPynn: correct / n, accuracyFloatSnn: floatCorrect / n,
      };
      console.log(JSON.stringify(row));
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
