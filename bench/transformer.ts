/**
 * @fileoverview Transformer benchmark (issue 13): a Vision Transformer converted with --method ecmt, its float
 * SNN's accuracy at T ∈ {1, 2, 4, 8, 16, 32} next to the ANN's, the SNN/ANN energy under the seed's
 * convention, and the compute nodes' placement and worst-case energy on each target's processor cores.
 *
 *   npx tsx bench/transformer.ts examples/fashion-mnist/vit/model.json [--samples 2000] [--calibration 256] [--targets loihi2,spinnaker2]
 *                                [--percentile 99] [--levels 8] [--out NAME] [--int loihi2 [--int-ts 4,8]]
 *   npx tsx bench/transformer.ts --tiny [--samples 200]     (the tests' hand-made tiny ViT on random 8×8
 *                                                           images: agreement with the ANN, not accuracy)
 *
 * ANN: the lowered network evaluated in float (convert/ecmt/forward.ts), which equals the ANN's layers
 * (test/convert/ecmt.test.ts pins it to a reference). Energy, seed's convention (ECMT's SOPMonitor):
 * E_SNN(T) = ops(T) × E_AC with ops = events through weighted layers (nonzero input × fan-out) plus the
 * matmul nodes' three partial products, summed over every step up to T's readout; E_ANN = MACs × E_MAC
 * (E_AC 0.9 pJ, E_MAC 4.6 pJ, Horowitz 45 nm). Unlike ECMT's monitor, the patch embedding counts on both sides.
 * Figures are of the float SNN, and of the float SNN with its compute nodes in the processors' fixed point
 * (runtime/compute.ts); with --int TARGET also of the integer reference model (quantise for TARGET, ranges from
 * the float SNN on 64 images as the compile does; simulate/int-snn.ts) at the --int-ts timesteps. The binary
 * section and the emulator for compute nodes are not implemented yet.
 * Writes bench/results/transformer.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { convert } from "../compiler/convert/index.ts";
import { forwardRaw } from "../compiler/convert/ecmt/forward.ts";
import { DEFAULT_CONVERT_OPTIONS } from "../compiler/convert/methods.ts";
import type { Dataset } from "../compiler/data/dataset.ts";
import { importModel } from "../compiler/import/index.ts";
import type { AnnGraph } from "../compiler/ir/ann.ts";
import { shapeSize } from "../compiler/ir/ann.ts";
import { argmaxRows } from "../compiler/interp/ann-float.ts";
import { planComputeNodes } from "../compiler/map/compute.ts";
import { annMacs } from "../compiler/report/build.ts";
import { E_AC, E_MAC } from "../compiler/report/energy.ts";
import { quantise } from "../compiler/quantise/index.ts";
import { simulateFloat } from "../compiler/simulate/float-snn.ts";
import { simulateInt } from "../compiler/simulate/int-snn.ts";
import { loadTarget } from "../compiler/target/load.ts";
import { tinyVit, tinyVitData } from "../test/helpers/tiny-vit.ts";
import { benchData } from "./lib/fashion.ts";
import { isBenchVitJson, loadBenchVit } from "./lib/vit-json.ts";

const arg = (name: string, d: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? d) : d;
};
const TINY = process.argv.includes("--tiny");
const MODEL = process.argv.slice(2).find((a, i, all) => !a.startsWith("--") && !(all[i - 1] ?? "").startsWith("--"));
const SAMPLES = Number(arg("--samples", TINY ? "200" : "2000"));
const CAL = Number(arg("--calibration", "256"));
const TARGETS = arg("--targets", "loihi,loihi2,spinnaker,spinnaker2").split(",");
const TS = [1, 2, 4, 8, 16, 32];
const PERCENTILE = process.argv.includes("--percentile") ? Number(arg("--percentile", "99")) : undefined;
const LEVELS = Number(arg("--levels", "8"));

if (!TINY && !MODEL) {
  console.error("usage: tsx bench/transformer.ts MODEL.json [--samples N] [--calibration N] [--targets a,b] | --tiny");
  process.exit(2);
}

const t0 = Date.now();
let graph: AnnGraph;
let calibration: Dataset;
let evalSet: Dataset;
let labels: Int32Array | null;
let describe: string;
if (TINY) {
  graph = tinyVit({ approximateGelu: true });
  calibration = tinyVitData(CAL, 23);
  evalSet = tinyVitData(SAMPLES, 11);
  labels = null;
  describe = `tiny ViT (tests' hand-made, random weights), ${SAMPLES} random 8×8 images; labels = the ANN's own predictions`;
} else {
  // the stand-in ViT of bench/lib/train-vit-torch.py, or any model the importer reads
  graph = isBenchVitJson(MODEL as string) ? loadBenchVit(MODEL as string) : await importModel(MODEL as string);
  const d = benchData(SAMPLES);
  calibration = d.calibration;
  evalSet = d.evalSet;
  labels = d.labels;
  describe = d.describe;
}
const n = evalSet.count;
const options = { ...DEFAULT_CONVERT_OPTIONS, method: "ecmt" as const, mtLevels: LEVELS, ...(PERCENTILE !== undefined ? { percentile: PERCENTILE } : {}) };
const conversion = convert(graph, options, { calibration, calibrationSamples: Math.min(CAL, calibration.count), warn: (w) => console.error(`warning ${w.code}: ${w.message}`) });
const { snn, raw } = conversion;

// ANN predictions through the lowered network (exact float evaluation of the ANN's layers).
const per = shapeSize(raw.inputShape);
const annPred = new Int32Array(n);
for (let s = 0; s < n; s += 32) {
  const B = Math.min(32, n - s);
  const vals = forwardRaw(raw, evalSet.images.subarray(s * per, (s + B) * per), B);
  annPred.set(argmaxRows(vals[raw.output] as Float32Array, B), s);
}
const truth = labels ?? annPred;
const acc = (pred: Int32Array): number => {
  let k = 0;
  for (let i = 0; i < n; i++) if (pred[i] === truth[i]) k++;
  return (100 * k) / n;
};
const annAcc = acc(annPred);

const sim = simulateFloat(snn, evalSet.images, n, { timesteps: TS, batchSize: 32 });
// the same network with the compute nodes in the processors' fixed point (runtime/compute.ts)
const fixedSim = simulateFloat(snn, evalSet.images, n, { timesteps: TS, batchSize: 32, fixedCompute: true });
// the integer reference model (compute nodes in runtime/compute.ts, neurons in the target's integer model)
const INT_TARGET = process.argv.includes("--int") ? arg("--int", "loihi2") : null;
const INT_TS = arg("--int-ts", "4,8").split(",").map(Number);
const intRows: { target: string; T: number; accuracy: number }[] = [];
if (INT_TARGET) {
  const ranges = simulateFloat(snn, calibration.images, Math.min(64, calibration.count), { timesteps: [Math.max(...INT_TS)], recordRanges: true });
  const { q } = quantise(snn, loadTarget(INT_TARGET), ranges, (w) => console.error(`warning ${w.code}: ${w.message}`));
  const classes = (q.populations[q.output] as { size: number }).size;
  for (const T of INT_TS) {
    const r = simulateInt(q, evalSet.images, n, { timesteps: T });
    const pred = Int32Array.from({ length: n }, (_, b) => {
      let best = 0;
      for (let j = 1; j < classes; j++) if ((r.scores[b * classes + j] as number) > (r.scores[b * classes + best] as number)) best = j;
      return best;
    });
    intRows.push({ target: INT_TARGET, T, accuracy: acc(pred) });
  }
}
const macs = annMacs(graph);
const rows = TS.map((T) => {
  const pred = argmaxRows(sim.scores.get(T) as Float32Array, n);
  const opsPerImage = (sim.ecmtOpsAt.get(T) ?? 0) / n;
  const fixedAccuracy = acc(argmaxRows(fixedSim.scores.get(T) as Float32Array, n));
  return { T, accuracy: acc(pred), fixedAccuracy, opsPerImage, energyRatio: (opsPerImage * E_AC.value) / (macs * E_MAC.value) };
});

const computeNodes = snn.populations.filter((p) => p.neuron.kind === "compute").length;
const plans = TARGETS.map((name) => {
  const target = loadTarget(name);
  try {
    const plan = planComputeNodes(snn, target);
    return {
      target: name, processorsNeeded: plan.processorsNeeded, processorsAvailable: plan.processorsAvailable,
      worstCaseMicrojoulesPerStep: plan.joulesPerStep * 1e6,
      maxCyclesPerStep: Math.max(...plan.nodes.map((x) => x.cyclesPerStep / x.processors)),
      budgetCycles: (plan.processor?.clockHz.value ?? 0) * (plan.processor?.stepBudgetSeconds.value ?? 0),
      grade: plan.processor?.joulesPerCycle.grade ?? "",
    };
  } catch (e) {
    return { target: name, error: (e as Error).message };
  }
});

console.log(`# transformer benchmark (--method ecmt, float SNN): ${describe}`);
console.log(`populations ${snn.populations.length} (compute nodes ${computeNodes}), readout depth ${snn.readoutDepth}, ANN ${macs} MACs/image\n`);
console.log(`| T | ANN ${labels ? "accuracy" : "agreement"} % | float SNN % | Δ points | SNN, fixed-point compute nodes % | ECMT ops/image | E_SNN/E_ANN (0.9 / 4.6 pJ) |`);
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.T} | ${annAcc.toFixed(2)} | ${r.accuracy.toFixed(2)} | ${(r.accuracy - annAcc).toFixed(2)} | ${r.fixedAccuracy.toFixed(2)} | ${r.opsPerImage.toFixed(0)} | ${r.energyRatio.toFixed(3)} |`);
for (const r of intRows) console.log(`integer reference model on ${r.target} (simulate/int-snn.ts), T = ${r.T}: ${r.accuracy.toFixed(2)} % (Δ ${(r.accuracy - annAcc).toFixed(2)} points)`);
console.log("\ncompute nodes on the processor cores (worst case: every input active):");
for (const p of plans) {
  if ("error" in p) console.log(`  ${p.target}: ${p.error}`);
  else console.log(`  ${p.target}: ${p.processorsNeeded} of ${p.processorsAvailable} processors; ${p.maxCyclesPerStep.toFixed(0)} of ${p.budgetCycles} cycles per step on the busiest; ${p.worstCaseMicrojoulesPerStep.toFixed(3)} µJ per step (${p.grade})`);
}
const seconds = (Date.now() - t0) / 1000;
console.log(`\n${seconds.toFixed(1)} s`);
mkdirSync("bench/results", { recursive: true });
const outName = arg("--out", `transformer${TINY ? "-tiny" : ""}`);
writeFileSync(`bench/results/${outName}.json`, `${JSON.stringify({ describe, model: TINY ? "tiny" : MODEL, samples: n, percentile: PERCENTILE ?? 99, levels: LEVELS, ann: annAcc, macs, rows, intRows, plans, seconds }, null, 2)}\n`);
