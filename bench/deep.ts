/**
 * @fileoverview Deep-network benchmark (issue 14): ONNX import agreement with onnxruntime, and accuracy against
 * timesteps of the converted networks, float SNN and integer SNN on loihi2.
 *
 *   npx tsx bench/deep.ts agreement [--samples 10000]
 *   npx tsx bench/deep.ts accuracy [--samples 2000] [--offset 0] [--ts 8,16,32,64] [--only resnet20:default,resnet56:mt] [--out file.json] [--chunk 250] [--choice-only]
 *
 * agreement: for each ONNX example, the classes of snnc's float interpreter against onnxruntime-web's on the test
 * images (disagreements, largest |logit difference|). accuracy: for each row (model × conversion options) and
 * each T, the network converted for that T (as `snnc compile -T T` does), the float SNN's accuracy and the integer
 * SNN's on loihi2 (compiler/simulate/int-snn: the reference integer model that the emulator reproduces spike for
 * spike), next to the ANN's. Calibration: the first 256 training images (compile's default count), disjoint from
 * the evaluated test images. Rows: `default` is `snnc compile -t loihi2` with no options (ecc, auto
 * normalisation, and, loihi2 carrying graded spikes, mt measured too); `default ecc only (loihi)` the same without
 * the mt trial (what a target without graded spikes gets). Writes bench/results/deep-agreement.json / deep-accuracy.json (rows run with --only
 * replace theirs, the others are kept).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
/** Test images per simulation call (accuracy): the row is written after each. */
const CHUNK = Number(arg("--chunk", "250"));
/** accuracy --choice-only: print what each row's conversion chose at each T, simulate nothing. */
const CHOICE_ONLY = process.argv.includes("--choice-only");
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
  /** --offset K: the test images from K on (a run that continues another's images; the rows say which). */
  const offset = Math.max(0, Number(arg("--offset", "0")));
  const n = Math.min(Number(arg("--samples", "2000")), test.count - offset);
  const TS = arg("--ts", "8,16,32,64").split(",").map(Number);
  const set = sliceDataset(test, offset, n);
  const labels = set.labels as Int32Array;
  const calibration = loadDataset(`${SYSTEM_FASHION_MNIST}/train-images-idx3-ubyte.gz`, { inputShape: shape, limit: 256 });
  const target = loadTarget("loihi2");
  interface Row { model: string; label: string; method: Method; options: Partial<ConvertOptions> }
  const ROWS: Row[] = [];
  for (const model of Object.keys(MODELS)) {
    // As `snnc compile -t loihi2` with no options: loihi2 carries graded spikes, so auto also measures mt.
    ROWS.push({ model, label: "default", method: "ecc", options: { tryMt: target.neuron.gradedSpikes.supported } });
    ROWS.push({ model, label: "default ecc only (loihi)", method: "ecc", options: {} });
    ROWS.push({ model, label: "ecc max (old default)", method: "ecc", options: { percentile: 100 } });
    ROWS.push({ model, label: "ecc p99.9", method: "ecc", options: { percentile: 99.9 } });
    ROWS.push({ model, label: "ecc search", method: "ecc", options: { normalisation: "search" } });
    ROWS.push({ model, label: "ttrbr", method: "ttrbr", options: {} });
    ROWS.push({ model, label: "mt", method: "mt", options: {} });
  }
  const header = `| model | conversion | images | ANN | ${TS.map((t) => `T=${t} float / int`).join(" | ")} | s |`;
  console.log(`# deep accuracy: ${n} Fashion-MNIST test images${offset ? ` from image ${offset}` : ""}, calibration ${calibration.count} training images, loihi2\n\n${header}\n|${header.split("|").slice(1, -1).map(() => "---").join("|")}|`);
  const out = OUT || "bench/results/deep-accuracy.json";
  const old = previous<{ key: string }>(out);
  type Result = { key: string; model: string; label: string; offset: number; samples: number; ann: number; float: Record<string, number>; int: Record<string, number>; chosen: Record<string, string>; samplesAt: Record<string, number>; annAt: Record<string, number>; seconds: number };
  const rows: Result[] = [];
  const annCache = new Map<string, Int32Array>();
  const correct = (pred: ArrayLike<number>, from: number, m: number) => {
    let ok = 0;
    for (let i = 0; i < m; i++) if (pred[i] === labels[from + i]) ok++;
    return ok;
  };
  const argmaxes = (scores: ArrayLike<number>, classes: number, m: number) => Int32Array.from({ length: m }, (_, i) => {
    let b = 0;
    for (let j = 1; j < classes; j++) if ((scores[i * classes + j] as number) > (scores[i * classes + b] as number)) b = j;
    return b;
  });
  for (const row of ROWS) {
    const key = `${row.model}:${row.label}`;
    if (ONLY && !ONLY.split(",").some((o) => o === key || o === row.model)) continue;
    const path = MODELS[row.model] as string;
    if (!existsSync(path)) continue;
    const graph = await importModel(path);
    if (!annCache.has(row.model)) annCache.set(row.model, predictClasses(graph, set.images, n));
    const annPred = annCache.get(row.model) as Int32Array;
    const t0 = performance.now();
    const r: Result = { key, model: row.model, label: row.label, offset, samples: 0, ann: 0, float: {}, int: {}, chosen: {}, samplesAt: {}, annAt: {}, seconds: 0 };
    rows.push(r);
    const save = () => {
      const done = TS.map((t) => r.samplesAt[t] ?? 0);
      r.samples = Math.min(...done);
      r.ann = correct(annPred, 0, r.samples) / Math.max(1, r.samples);
      r.seconds = (performance.now() - t0) / 1000;
      writeFileSync(out, `${JSON.stringify({ target: "loihi2", calibration: calibration.count, timesteps: TS, results: merge(out, rows, old) }, null, 2)}\n`);
    };
    for (const T of TS) {
      const conv = convert(graph, { ...DEFAULT_CONVERT_OPTIONS, method: row.method, timesteps: T, ...row.options }, { calibration, calibrationSamples: calibration.count, warn: () => {} });
      const classes = conv.snn.populations[conv.snn.output]?.size ?? 10;
      r.chosen[T] = conv.normalisation ? `${conv.normalisation.method}: ${conv.normalisation.chosen}` : row.method;
      console.log(`  ${key} T=${T}: ${r.chosen[T]} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      if (CHOICE_ONLY) continue;
      const ranges = simulateFloat(conv.snn, calibration.images, Math.min(64, calibration.count), { timesteps: [T], recordRanges: true });
      const { q } = quantise(conv.snn, target, ranges, () => {});
      let okF = 0;
      let okI = 0;
      // In chunks, written after each: a run stopped early keeps what it measured (samplesAt says how much).
      for (let s = 0; s < n; s += CHUNK) {
        const m = Math.min(CHUNK, n - s);
        const images = set.images.subarray(s * 28 * 28, (s + m) * 28 * 28);
        const fs = await simulateParallel(conv.snn, images, m, [T], WORKERS);
        okF += correct(argmaxes(fs.scores.get(T) as Float32Array, classes, m), s, m);
        const is = await simulateIntParallel(q, images, m, T, WORKERS);
        okI += correct(argmaxes(is.scores, classes, m), s, m);
        r.float[T] = okF / (s + m);
        r.int[T] = okI / (s + m);
        r.samplesAt[T] = s + m;
        r.annAt[T] = correct(annPred, 0, s + m) / (s + m);
        save();
        console.log(`  ${key} T=${T}: ${s + m} images: ANN ${pct(r.annAt[T] as number)} float ${pct(r.float[T] as number)} int ${pct(r.int[T] as number)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
    }
    if (CHOICE_ONLY) continue;
    save();
    console.log(`| ${row.model} | ${row.label} | ${r.samples} | ${pct(r.ann)} | ${TS.map((t) => `${pct(r.float[t] as number)} / ${pct(r.int[t] as number)}`).join(" | ")} | ${r.seconds.toFixed(0)} |  chosen: ${TS.map((t) => `T=${t} ${r.chosen[t]}`).join("; ")}`);
  }
}
