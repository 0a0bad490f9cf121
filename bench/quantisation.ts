/**
 * @fileoverview Quantisation benchmark (issue: integer SNN within 0.5 points of the float SNN at T=32): the
 * Fashion-MNIST CNN converted once (ecc, T=32), then for each target quantised to its fixed-point formats
 * and run on the reference integer simulator (compiler/simulate/int-snn, the model the emulator reproduces
 * spike for spike), next to the float SNN on the same images.
 *
 *   npx tsx bench/quantisation.ts [--samples 2000] [--workers 2] [--targets loihi,loihi2,spinnaker,spinnaker2]
 *
 * Calibration as bench/conversion. Prints a Markdown table and writes bench/results/quantisation.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { convert } from "../compiler/convert/index.ts";
import { DEFAULT_CONVERT_OPTIONS } from "../compiler/convert/methods.ts";
import { accuracyOf } from "../compiler/compile.ts";
import { importModel } from "../compiler/import/index.ts";
import { predictClasses } from "../compiler/interp/ann-float.ts";
import { quantise } from "../compiler/quantise/index.ts";
import { simulateFloat } from "../compiler/simulate/float-snn.ts";
import { loadTarget } from "../compiler/target/load.ts";
import { simulateIntParallel, simulateParallel } from "../compiler/simulate/parallel.ts";
import { benchData } from "./lib/fashion.ts";

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? d) : d;
};
const SAMPLES = Number(arg("--samples", "2000"));
const WORKERS = Number(arg("--workers", "2"));
const TARGETS = arg("--targets", "loihi,loihi2,spinnaker,spinnaker2").split(",");
const MODEL = arg("--model", "cnn");
const T = 32;

const { full, calibration, evalSet, labels, n, describe } = benchData(SAMPLES);
console.log(`# quantisation benchmark: ${MODEL}, ecc, T=${T}, ${describe}, ${WORKERS} workers\n`);

const graph = await importModel(`examples/fashion-mnist/${MODEL}/model.json`);
const annPred = predictClasses(graph, evalSet.images, n);
let annOk = 0;
for (let i = 0; i < n; i++) if (annPred[i] === labels[i]) annOk++;
const conv = convert(graph, { ...DEFAULT_CONVERT_OPTIONS, method: "ecc", timesteps: T }, { calibration, calibrationSamples: calibration.count, warn: () => {} });
const classes = conv.snn.populations[conv.snn.output]?.size ?? 10;
const floatSim = await simulateParallel(conv.snn, evalSet.images, n, [T], WORKERS);
const floatAcc = accuracyOf(floatSim.scores.get(T) as Float32Array, classes, labels, n);
// State ranges for quantisation, as the compile pipeline measures them (64 calibration samples).
const ranges = simulateFloat(conv.snn, calibration.images, Math.min(64, calibration.count), { timesteps: [T], recordRanges: true });

const header = "| target | neuron model | weight format | ANN | float SNN | integer SNN | Δ (points) | worst layer rel. RMS weight error | s |";
const lines = [header, "|---|---|---|---|---|---|---|---|---|"];
const results: unknown[] = [];
for (const name of TARGETS) {
  const target = loadTarget(name);
  const warnings: string[] = [];
  const t0 = performance.now();
  const { q, layers } = quantise(conv.snn, target, ranges, (w) => warnings.push(w.message));
  const sim = await simulateIntParallel(q, evalSet.images, n, T, WORKERS);
  const seconds = (performance.now() - t0) / 1000;
  const intAcc = accuracyOf(sim.scores, classes, labels, n);
  let worst = { layer: "", rel: 0 };
  for (const l of layers) for (const p of l.projections) if (p.relRmsError > worst.rel) worst = { layer: l.name, rel: p.relRmsError };
  const format = layers.find((l) => l.projections.length > 0)?.projections[0]?.format ?? "";
  const delta = (intAcc - floatAcc) * 100;
  const line = `| ${name} | ${target.neuron.model} | ${format} | ${(annOk / n * 100).toFixed(2)} | ${(floatAcc * 100).toFixed(2)} | ${(intAcc * 100).toFixed(2)} | ${delta >= 0 ? "+" : ""}${delta.toFixed(2)} | ${(worst.rel * 100).toPrecision(2)} % (${worst.layer}) | ${seconds.toFixed(0)} |`;
  lines.push(line);
  console.log(line);
  results.push({ target: name, neuronModel: target.neuron.model, ann: annOk / n, floatSnn: floatAcc, intSnn: intAcc, deltaPoints: delta, worstRelRmsError: worst, warnings, synapticEventsPerImage: sim.events / n, seconds });
}
console.log(`\n${lines.join("\n")}`);
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/quantisation.json", `${JSON.stringify({ model: MODEL, method: "ecc", timesteps: T, samples: n, calibration: calibration.count, full, results }, null, 2)}\n`);
