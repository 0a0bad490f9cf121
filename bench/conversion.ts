/**
 * @fileoverview Conversion benchmark (issue: accuracy against timesteps): for each method on the example
 * models, the float SNN's accuracy at T ∈ {4, 8, 16, 32, 64, 128, 256} on Fashion-MNIST test images next to
 * the ANN's, from one run per method (readouts at every T come from one simulation: see simulate/float-snn).
 *
 *   npx tsx bench/conversion.ts [--samples 1000] [--workers 2] [--only cnn:ecc,resnet:mt]
 *
 * Calibration uses the first 1,000 training images when Debian's dataset-fashion-mnist is installed (else
 * the shipped sample's last 500 images, disjoint from the evaluated ones). Prints a Markdown table and
 * writes bench/results/conversion.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { convert } from "../compiler/convert/index.ts";
import { DEFAULT_CONVERT_OPTIONS, type ConvertOptions, type Method } from "../compiler/convert/methods.ts";
import { accuracyOf } from "../compiler/compile.ts";
import { importModel } from "../compiler/import/index.ts";
import { predictClasses } from "../compiler/interp/ann-float.ts";
import { simulateParallel } from "../compiler/simulate/parallel.ts";
import { benchData } from "./lib/fashion.ts";

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? d) : d;
};
const SAMPLES = Number(arg("--samples", "1000"));
const WORKERS = Number(arg("--workers", "2"));
const ONLY = arg("--only", "");
const TS = [4, 8, 16, 32, 64, 128, 256];

interface Row {
  readonly model: string;
  readonly method: Method;
  readonly label: string;
  readonly options: Partial<ConvertOptions>;
}

const ROWS: Row[] = [
  { model: "cnn", method: "ecc", label: "ecc", options: {} },
  { model: "cnn", method: "ttrbr", label: "ttrbr", options: {} },
  { model: "cnn", method: "mt", label: "mt", options: {} },
  { model: "cnn", method: "mt", label: "mt (p95)", options: { percentile: 95 } },
  { model: "cnn-rnl", method: "rnl", label: "rnl", options: {} },
  { model: "cnn-qcfs", method: "qcfs", label: "qcfs (L=8)", options: {} },
  { model: "resnet", method: "ecc", label: "ecc", options: {} },
  { model: "resnet", method: "ecc", label: "ecc (p99.9)", options: { percentile: 99.9 } },
  { model: "resnet", method: "ttrbr", label: "ttrbr", options: {} },
  { model: "resnet", method: "mt", label: "mt", options: {} },
];

const { full, calibration, evalSet, labels, n, describe } = benchData(SAMPLES);
console.log(`# conversion benchmark: ${describe}, ${WORKERS} workers\n`);
interface Result {
  readonly model: string;
  readonly label: string;
  readonly samples: number;
  readonly ann: number;
  readonly accuracy: Record<string, number>;
  readonly eventsPerImage: number;
  readonly seconds: number;
}
const header = `| model | method | images | ANN | ${TS.map((t) => `T=${t}`).join(" | ")} | events/img (T=256) | s |`;
const pct = (a: number) => (a * 100).toFixed(2);
const format = (r: Result) =>
  `| ${r.model} | ${r.label} | ${r.samples} | ${pct(r.ann)} | ${TS.map((t) => pct(r.accuracy[t] as number)).join(" | ")} | ${(r.eventsPerImage / 1e6).toFixed(1)} M | ${r.seconds.toFixed(0)} |`;
const results: Result[] = [];
const annCache = new Map<string, number>();
for (const row of ROWS) {
  if (ONLY && !ONLY.split(",").includes(`${row.model}:${row.label}`) && !ONLY.split(",").includes(row.model)) continue;
  const path = `examples/fashion-mnist/${row.model}/model.json`;
  if (!existsSync(path)) continue;
  const graph = await importModel(path);
  if (!annCache.has(row.model)) {
    const ann = predictClasses(graph, evalSet.images, n);
    let ok = 0;
    for (let i = 0; i < n; i++) if (ann[i] === labels[i]) ok++;
    annCache.set(row.model, ok / n);
  }
  const t0 = performance.now();
  const conv = convert(graph, { ...DEFAULT_CONVERT_OPTIONS, method: row.method, timesteps: 32, ...row.options }, { calibration, calibrationSamples: calibration.count, warn: () => {} });
  const sim = await simulateParallel(conv.snn, evalSet.images, n, TS, WORKERS);
  const acc = TS.map((t) => accuracyOf(sim.scores.get(t) as Float32Array, 10, labels, n));
  const seconds = (performance.now() - t0) / 1000;
  const ann = annCache.get(row.model) as number;
  const r: Result = { model: row.model, label: row.label, samples: n, ann, accuracy: Object.fromEntries(TS.map((t, i) => [t, acc[i] as number])), eventsPerImage: sim.events / n, seconds };
  console.log(format(r));
  results.push({ ...r, method: row.method, options: row.options } as Result);
}
mkdirSync("bench/results", { recursive: true });
// With --only, the rows run here replace theirs in the results file and the others are kept (each row
// records its own sample count).
const OUT = "bench/results/conversion.json";
const kept: Result[] = [];
if (ONLY && existsSync(OUT)) {
  const old = JSON.parse(readFileSync(OUT, "utf8")) as { results: Result[] };
  const ran = new Set(results.map((r) => `${r.model}:${r.label}`));
  for (const r of old.results) if (!ran.has(`${r.model}:${r.label}`)) kept.push(r);
}
const order = (r: Result) => ROWS.findIndex((x) => x.model === r.model && x.label === r.label);
const merged = [...kept, ...results].sort((a, b) => order(a) - order(b));
console.log(`\n${[header, `|${header.split("|").slice(1, -1).map(() => "---").join("|")}|`, ...merged.map(format)].join("\n")}`);
writeFileSync(OUT, `${JSON.stringify({ calibration: calibration.count, full, timesteps: TS, results: merged }, null, 2)}\n`);
