/**
 * @fileoverview Deep-network benchmark (issue 14): ONNX import agreement with onnxruntime, and accuracy against
 * timesteps of the converted networks, float SNN and integer SNN on loihi2.
 *
 *   npx tsx bench/deep.ts agreement [--samples 10000]
 *   npx tsx bench/deep.ts accuracy [--samples 2000] [--ts 8,16,32,64] [--only resnet20:default,resnet56:mt] [--out file.json]
 *
 * agreement: for each ONNX example, the classes of snnc's float interpreter against onnxruntime-web's on the test
 * images (disagreements, largest |logit difference|). accuracy: for each row (model × conversion options) and
 * each T, the network converted for that T (as `snnc compile -T T` does), the float SNN's accuracy and the integer
 * SNN's on loihi2 (compiler/simulate/int-snn: the reference integer model that the emulator reproduces spike for
 * spike), next to the ANN's. Calibration: the first 256 training images (compile's default count), disjoint from
 * the evaluated test images. Writes bench/results/deep-agreement.json / deep-accuracy.json (rows run with --only
 * replace theirs, the others are kept).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { accuracyOf } from "../compiler/compile.ts";
import { convert } from "../compiler/convert/index.ts";
import { type ConvertOptions, DEFAULT_CONVERT_OPTIONS, type Method } from "../compiler/convert/methods.ts";
import { loadDataset, sliceDataset } from "../compiler/data/dataset.ts";
import { SYSTEM_FASHION_MNIST } from "../compiler/data/resolve.ts";
import { importModel } from "../compiler/import/index.ts";
import { predictClasses, runAnn } from "../compiler/interp/ann-float.ts";
import { onnxSession } from "../compiler/onnxruntime/check.ts";
import { quantise } from "../compiler/quantise/index.ts";
import { simulateFloat } from "../compiler/simulate/float-snn.ts";
import { simulateIntParallel, simulateParallel } from "../compiler/simulate/parallel.ts";
import { loadTarget } from "../compiler/target/load.ts";

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? d) : d;
};
const MODE = process.argv[2] ?? "accuracy";
const WORKERS = Number(arg("--workers", "2"));
const ONLY = arg("--only", "");
/** Where the rows go (default bench/results/deep-<mode>.json). */
const OUT = arg("--out", "");
const shape = [28, 28, 1];
const test = loadDataset(`${SYSTEM_FASHION_MNIST}/t10k-images-idx3-ubyte.gz`, { inputShape: shape });
const MODELS: Record<string, string> = {
  mlp: "examples/fashion-mnist/mlp/model.json",
  cnn: "examples/fashion-mnist/cnn/model.json",
  resnet: "examples/fashion-mnist/resnet/model.json",
  resnet20: "examples/fashion-mnist/resnet20/model.onnx",
  resnet56: "examples/fashion-mnist/resnet56/model.onnx",
};
const pct = (a: number) => (a * 100).toFixed(2);
mkdirSync("bench/results", { recursive: true });

/** The rows a file held before this run (kept by merge only when --only runs a subset). */
function previous<T extends { key: string }>(file: string): T[] {
  return ONLY && existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { results: T[] }).results : [];
}

function merge<T extends { key: string }>(file: string, rows: T[], old: T[] = previous<T>(file)): T[] {
  const ran = new Set(rows.map((r) => r.key));
  return [...old.filter((r) => !ran.has(r.key)), ...rows];
}

if (MODE === "agreement") {
  const n = Math.min(Number(arg("--samples", "10000")), test.count);
  const set = sliceDataset(test, 0, n);
  const rows: { key: string; model: string; samples: number; disagreements: number; maxAbsDiff: number; annAccuracy: number; ortAccuracy: number; against: string }[] = [];
  console.log(`# ONNX import agreement: ${n} Fashion-MNIST test images\n\n| model | images | class disagreements | max abs logit difference | accuracy (snnc) | accuracy (onnxruntime) |\n|---|---|---|---|---|---|`);
  for (const model of ["resnet20", "resnet56"]) {
    if (ONLY && !ONLY.split(",").includes(model)) continue;
    const path = MODELS[model] as string;
    const graph = await importModel(path);
    const session = await onnxSession(path);
    const theirs = await session.run(set.images, n, shape);
    const per = 28 * 28;
    let dis = 0;
    let max = 0;
    let okOurs = 0;
    let okTheirs = 0;
    for (let s = 0; s < n; s += 500) {
      const m = Math.min(500, n - s);
      const ours = runAnn(graph, set.images.subarray(s * per, (s + m) * per), m).get(graph.outputs[0] ?? "") as Float32Array;
      for (let i = 0; i < m; i++) {
        let a = 0;
        let b = 0;
        for (let j = 0; j < 10; j++) {
          const o = ours[i * 10 + j] as number;
          const t = theirs[(s + i) * 10 + j] as number;
          max = Math.max(max, Math.abs(o - t));
          if (o > (ours[i * 10 + a] as number)) a = j;
          if (t > (theirs[(s + i) * 10 + b] as number)) b = j;
        }
        if (a !== b) dis++;
        const label = set.labels?.[s + i];
        if (a === label) okOurs++;
        if (b === label) okTheirs++;
      }
    }
    const r = { key: model, model, samples: n, disagreements: dis, maxAbsDiff: max, annAccuracy: okOurs / n, ortAccuracy: okTheirs / n, against: session.against };
    rows.push(r);
    console.log(`| ${model} | ${n} | ${dis} | ${max.toExponential(2)} | ${pct(r.annAccuracy)} | ${pct(r.ortAccuracy)} |`);
  }
  const out = OUT || "bench/results/deep-agreement.json";
  writeFileSync(out, `${JSON.stringify({ results: merge(out, rows) }, null, 2)}\n`);
} else {
  const n = Math.min(Number(arg("--samples", "2000")), test.count);
  const TS = arg("--ts", "8,16,32,64").split(",").map(Number);
  const set = sliceDataset(test, 0, n);
  const labels = set.labels as Int32Array;
  const calibration = loadDataset(`${SYSTEM_FASHION_MNIST}/train-images-idx3-ubyte.gz`, { inputShape: shape, limit: 256 });
  const target = loadTarget("loihi2");
  interface Row { model: string; label: string; method: Method; options: Partial<ConvertOptions> }
  const ROWS: Row[] = [];
  for (const model of Object.keys(MODELS)) {
    ROWS.push({ model, label: "default", method: "ecc", options: {} });
    ROWS.push({ model, label: "ecc max (old default)", method: "ecc", options: { percentile: 100 } });
    ROWS.push({ model, label: "ecc p99.9", method: "ecc", options: { percentile: 99.9 } });
    ROWS.push({ model, label: "ecc search", method: "ecc", options: { normalisation: "search" } });
    ROWS.push({ model, label: "ttrbr", method: "ttrbr", options: {} });
    ROWS.push({ model, label: "mt", method: "mt", options: {} });
  }
  const header = `| model | conversion | images | ANN | ${TS.map((t) => `T=${t} float / int`).join(" | ")} | s |`;
  console.log(`# deep accuracy: ${n} Fashion-MNIST test images, calibration ${calibration.count} training images, loihi2\n\n${header}\n|${header.split("|").slice(1, -1).map(() => "---").join("|")}|`);
  const out = OUT || "bench/results/deep-accuracy.json";
  const old = previous<{ key: string }>(out);
  const rows: { key: string; model: string; label: string; samples: number; ann: number; float: Record<string, number>; int: Record<string, number>; seconds: number }[] = [];
  const annCache = new Map<string, number>();
  for (const row of ROWS) {
    const key = `${row.model}:${row.label}`;
    if (ONLY && !ONLY.split(",").some((o) => o === key || o === row.model)) continue;
    const path = MODELS[row.model] as string;
    if (!existsSync(path)) continue;
    const graph = await importModel(path);
    if (!annCache.has(row.model)) {
      const pred = predictClasses(graph, set.images, n);
      let ok = 0;
      for (let i = 0; i < n; i++) if (pred[i] === labels[i]) ok++;
      annCache.set(row.model, ok / n);
    }
    const t0 = performance.now();
    const float: Record<string, number> = {};
    const int: Record<string, number> = {};
    for (const T of TS) {
      const conv = convert(graph, { ...DEFAULT_CONVERT_OPTIONS, method: row.method, timesteps: T, ...row.options }, { calibration, calibrationSamples: calibration.count, warn: () => {} });
      const classes = conv.snn.populations[conv.snn.output]?.size ?? 10;
      const fs = await simulateParallel(conv.snn, set.images, n, [T], WORKERS);
      float[T] = accuracyOf(fs.scores.get(T) as Float32Array, classes, labels, n);
      const ranges = simulateFloat(conv.snn, calibration.images, Math.min(64, calibration.count), { timesteps: [T], recordRanges: true });
      const { q } = quantise(conv.snn, target, ranges, () => {});
      const is = await simulateIntParallel(q, set.images, n, T, WORKERS);
      int[T] = accuracyOf(is.scores, classes, labels, n);
    }
    const ann = annCache.get(row.model) as number;
    const r = { key, model: row.model, label: row.label, samples: n, ann, float, int, seconds: (performance.now() - t0) / 1000 };
    rows.push(r);
    // Written after every row: a run stopped early keeps what it measured.
    writeFileSync(out, `${JSON.stringify({ target: "loihi2", calibration: calibration.count, timesteps: TS, results: merge(out, rows, old) }, null, 2)}\n`);
    console.log(`| ${row.model} | ${row.label} | ${n} | ${pct(ann)} | ${TS.map((t) => `${pct(float[t] as number)} / ${pct(int[t] as number)}`).join(" | ")} | ${r.seconds.toFixed(0)} |`);
  }
}
