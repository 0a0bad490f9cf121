/**
 * @fileoverview Transformer benchmark (issue 13): a Vision Transformer converted with --method ecmt, its float
 * SNN's accuracy at T ∈ {1, 2, 4, 8, 16, 32} next to the ANN's, the SNN/ANN energy under the seed's
 * convention, and the compute nodes' placement and worst-case energy on each target's processor cores.
 *
 *   npx tsx bench/transformer.ts examples/fashion-mnist/vit/model.json [--samples 2000] [--calibration 256] [--targets loihi2,spinnaker2]
 *                                [--percentile 99] [--levels 8] [--out NAME] [--int loihi2[,spinnaker2] [--int-ts 4,8]]
 *                                [--offset K: the test images from K on] [--split train: training images instead, from K ≥ 1,000] [--workers 2] [--chunk 200] [--fixed-compute] [--encoding current|poisson|graded] [--ts 1,2,4,8,16,32]
 *   npx tsx bench/transformer.ts --tiny [--samples 200]     (the tests' hand-made tiny ViT on random 8×8
 *                                                           images: agreement with the ANN, not accuracy)
 *
 * ANN: the lowered network evaluated in float (convert/ecmt/forward.ts), which equals the ANN's layers
 * (test/convert/ecmt.test.ts pins it to a reference). Energy, seed's convention (ECMT's SOPMonitor):
 * E_SNN(T) = ops(T) × E_AC with ops = events through weighted layers (nonzero input × fan-out) plus the
 * matmul nodes' three partial products, summed over every step up to T's readout; E_ANN = MACs × E_MAC
 * (E_AC 0.9 pJ, E_MAC 4.6 pJ, Horowitz 45 nm). Unlike ECMT's monitor, the patch embedding counts on both sides.
 * Figures are of the float SNN (with --fixed-compute also of the float SNN with its compute nodes in the
 * processors' fixed point, runtime/compute.ts); with --int TARGETS also of the integer reference model (quantise
 * for each target, ranges from the float SNN on 64 images as the compile does; simulate/int-snn.ts) at the
 * --int-ts timesteps. The images run in chunks of --chunk, each cut over --workers worker threads
 * (bench/lib/transformer-worker.ts); the table and bench/results/NAME.json (default transformer.json) are
 * rewritten after every chunk, so a run cut short keeps the images it finished ("partial": true).
 * --encoding: the input coding (ir/snn.ts InputEncoding; default current, as the compile's); with graded input the input population's events are multiply-accumulates of a
 * pixel payload by a weight and are charged E_MAC in the energy ratio (the other events E_AC). --ts: the float
 * checkpoints (default all six; fewer and smaller T run faster).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { convert } from "../compiler/convert/index.ts";
import { forwardRaw } from "../compiler/convert/ecmt/forward.ts";
import { DEFAULT_CONVERT_OPTIONS, defaultPercentile } from "../compiler/convert/methods.ts";
import { INPUT_FINEST_LEVEL } from "../compiler/convert/ecmt/index.ts";
import type { Dataset } from "../compiler/data/dataset.ts";
import { importModel } from "../compiler/import/index.ts";
import type { AnnGraph } from "../compiler/ir/ann.ts";
import { INPUT_ENCODINGS, type InputEncoding } from "../compiler/ir/snn.ts";
import { shapeSize } from "../compiler/ir/ann.ts";
import { argmaxRows } from "../compiler/interp/ann-float.ts";
import { planComputeNodes } from "../compiler/map/compute.ts";
import { annMacs } from "../compiler/report/build.ts";
import { E_AC, E_MAC } from "../compiler/report/energy.ts";
import { quantise } from "../compiler/quantise/index.ts";
import { simulateFloat } from "../compiler/simulate/float-snn.ts";
import { loadTarget } from "../compiler/target/load.ts";
import { runWorker, shardsOf } from "../runtime/threads.ts";
import { tinyVit, tinyVitData } from "../test/helpers/tiny-vit.ts";
import { benchData } from "./lib/fashion.ts";
import { isBenchVitJson, loadBenchVit } from "./lib/vit-json.ts";
import { runShard, type TransformerShard, type TransformerShardResult } from "./lib/transformer-worker.ts";

const arg = (name: string, d: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? d) : d;
};
const TINY = process.argv.includes("--tiny");
const MODEL = process.argv.slice(2).find((a, i, all) => !a.startsWith("--") && !(all[i - 1] ?? "").startsWith("--"));
const SAMPLES = Number(arg("--samples", TINY ? "200" : "2000"));
const CAL = Number(arg("--calibration", "256"));
const TARGETS = arg("--targets", "loihi,loihi2,spinnaker,spinnaker2").split(",");
/** The float SNN's timesteps (--ts; default the issue's 1, 2, 4, 8, 16, 32): a shorter list shortens the float
 * run, which goes to the largest T. */
const TS = arg("--ts", "1,2,4,8,16,32").split(",").map(Number);
const ENCODING = arg("--encoding", "current") as InputEncoding;
if (!INPUT_ENCODINGS.includes(ENCODING)) {
  console.error(`--encoding: one of ${INPUT_ENCODINGS.join(", ")}`);
  process.exit(2);
}
const PERCENTILE = process.argv.includes("--percentile") ? Number(arg("--percentile", "99")) : undefined;
const LEVELS = Number(arg("--levels", "8"));
const WORKERS = Math.max(1, Number(arg("--workers", "2")));
const CHUNK = Math.max(1, Number(arg("--chunk", "200")));
const FIXED = process.argv.includes("--fixed-compute");

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
  const split = arg("--split", "test");
  if (split !== "test" && split !== "train") {
    console.error(`--split: test or train, not ${split}`);
    process.exit(2);
  }
  const d = benchData(SAMPLES, Number(arg("--offset", "0")), split);
  calibration = d.calibration;
  evalSet = d.evalSet;
  labels = d.labels;
  describe = d.describe;
}
const n = evalSet.count;
const options = { ...DEFAULT_CONVERT_OPTIONS, method: "ecmt" as const, encoding: ENCODING, mtLevels: LEVELS, ...(PERCENTILE !== undefined ? { percentile: PERCENTILE } : {}) };
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

// the integer reference models (compute nodes in runtime/compute.ts, neurons in the target's integer model)
const INT_TARGETS = process.argv.includes("--int") ? arg("--int", "loihi2").split(",") : [];
const INT_TS = arg("--int-ts", "4,8").split(",").map(Number);
const ints: TransformerShard["ints"] = [];
const intErrors: { target: string; error: string }[] = [];
if (INT_TARGETS.length > 0) {
  const ranges = simulateFloat(snn, calibration.images, Math.min(64, calibration.count), { timesteps: [Math.max(...INT_TS)], recordRanges: true });
  for (const target of INT_TARGETS) {
    try {
      ints.push({ target, q: quantise(snn, loadTarget(target), ranges, (w) => console.error(`warning ${w.code}: ${w.message}`)).q });
    } catch (e) {
      intErrors.push({ target, error: (e as Error).message });
      console.error(`${target}: ${(e as Error).message}`);
    }
  }
}

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

// Chunks of CHUNK images, each cut into WORKERS shards run in worker threads; results are written after every
// chunk, so a run cut short keeps the images it finished.
const macs = annMacs(graph);
const classes = (snn.populations[snn.output] as { size: number }).size;
const scoreSets = new Map(TS.map((T) => [T, new Float32Array(n * classes)]));
const fixedSets = new Map(TS.map((T) => [T, new Float32Array(n * classes)]));
const opsAt = new Map(TS.map((T) => [T, 0]));
const inputOpsAt = new Map(TS.map((T) => [T, 0]));
const intPreds = new Map<string, Int32Array>();
const computeNodes = snn.populations.filter((p) => p.neuron.kind === "compute").length;
let done = 0;
for (let c0 = 0; c0 < n; c0 += CHUNK) {
  const cn = Math.min(CHUNK, n - c0);
  const shards = shardsOf(cn, WORKERS);
  const results = await Promise.all(shards.map(({ start, n: sn }) => {
    const shard: TransformerShard = {
      snn, images: evalSet.images.slice((c0 + start) * per, (c0 + start + sn) * per), count: sn, sampleOffset: c0 + start,
      timesteps: TS, fixed: FIXED, ints, intTimesteps: INT_TS,
    };
    return WORKERS === 1 ? Promise.resolve(runShard(shard)) : runWorker<TransformerShardResult>(new URL("./lib/transformer-worker.js", import.meta.url), shard);
  }));
  results.forEach((r, i) => {
    const at = c0 + (shards[i] as { start: number }).start;
    for (const [T, sc] of r.scores) scoreSets.get(T)?.set(sc, at * classes);
    for (const [T, sc] of r.fixedScores) fixedSets.get(T)?.set(sc, at * classes);
    for (const [T, o] of r.ops) opsAt.set(T, (opsAt.get(T) ?? 0) + o);
    for (const [T, o] of r.inputOps) inputOpsAt.set(T, (inputOpsAt.get(T) ?? 0) + o);
    for (const ip of r.intPred) {
      const key = `${ip.target}:${ip.T}`;
      if (!intPreds.has(key)) intPreds.set(key, new Int32Array(n));
      intPreds.get(key)?.set(ip.pred, at);
    }
  });
  done = c0 + cn;
  report(done, done < n);
}

function report(m: number, partial: boolean): void {
  const accOn = (pred: Int32Array): number => {
    let k = 0;
    for (let i = 0; i < m; i++) if (pred[i] === truth[i]) k++;
    return (100 * k) / m;
  };
  const annM = accOn(annPred);
  const rows = TS.map((T) => {
    const opsPerImage = (opsAt.get(T) ?? 0) / m;
    const inputOpsPerImage = (inputOpsAt.get(T) ?? 0) / m;
    const macOps = ENCODING === "graded" ? inputOpsPerImage : 0;
    return {
      T, accuracy: accOn(argmaxRows((scoreSets.get(T) as Float32Array).subarray(0, m * classes), m)),
      ...(FIXED ? { fixedAccuracy: accOn(argmaxRows((fixedSets.get(T) as Float32Array).subarray(0, m * classes), m)) } : {}),
      opsPerImage, inputOpsPerImage, energyRatio: ((opsPerImage - macOps) * E_AC.value + macOps * E_MAC.value) / (macs * E_MAC.value),
    };
  });
  const intRows = [...intPreds.entries()].map(([key, pred]) => {
    const [target, T] = key.split(":");
    return { target: target as string, T: Number(T), accuracy: accOn(pred) };
  });
  const seconds = (Date.now() - t0) / 1000;
  console.log(`\n# transformer benchmark (--method ecmt, --encoding ${ENCODING}): ${describe}${partial ? ` — ${m} of ${n} images so far` : ""}`);
  console.log(`populations ${snn.populations.length} (compute nodes ${computeNodes}), readout depth ${snn.readoutDepth}, ANN ${macs} MACs/image, ${seconds.toFixed(0)} s\n`);
  console.log(`| T | ANN ${labels ? "accuracy" : "agreement"} % | float SNN % | Δ points |${FIXED ? " SNN, fixed-point compute nodes % |" : ""}${ints.map((x) => ` integer ${x.target} % |`).join("")} ECMT ops/image | E_SNN/E_ANN (0.9 / 4.6 pJ) |`);
  console.log(`|---|---|---|---|${FIXED ? "---|" : ""}${ints.map(() => "---|").join("")}---|---|`);
  for (const r of rows) {
    const intCells = ints.map((x) => {
      const ir = intRows.find((y) => y.target === x.target && y.T === r.T);
      return ir ? ` ${ir.accuracy.toFixed(2)} (Δ ${(ir.accuracy - annM).toFixed(2)}) |` : " |";
    }).join("");
    console.log(`| ${r.T} | ${annM.toFixed(2)} | ${r.accuracy.toFixed(2)} | ${(r.accuracy - annM).toFixed(2)} |${"fixedAccuracy" in r ? ` ${(r.fixedAccuracy as number).toFixed(2)} |` : ""}${intCells} ${(r.opsPerImage / 1e6).toFixed(2)} M | ${r.energyRatio.toFixed(3)} |`);
  }
  for (const e of intErrors) console.log(`integer reference on ${e.target}: ${e.error}`);
  mkdirSync("bench/results", { recursive: true });
  const outName = arg("--out", `transformer${TINY ? "-tiny" : ""}`);
  writeFileSync(`bench/results/${outName}.json`, `${JSON.stringify({
    describe, model: TINY ? "tiny" : MODEL, command: `npx tsx bench/transformer.ts ${process.argv.slice(2).join(" ")}`, samples: m, planned: n, partial,
    percentile: PERCENTILE ?? defaultPercentile("ecmt"), inputFinestLevel: INPUT_FINEST_LEVEL, levels: LEVELS, encoding: ENCODING, ann: annM, macs, rows, intRows, intErrors, plans, seconds,
  }, null, 2)}\n`);
}
console.log("\ncompute nodes on the processor cores (worst case: every input active):");
for (const p of plans) {
  if ("error" in p) console.log(`  ${p.target}: ${p.error}`);
  else console.log(`  ${p.target}: ${p.processorsNeeded} of ${p.processorsAvailable} processors; ${p.maxCyclesPerStep.toFixed(0)} of ${p.budgetCycles} cycles per step on the busiest; ${p.worstCaseMicrojoulesPerStep.toFixed(3)} µJ per step (${p.grade})`);
}
report(done, false);
