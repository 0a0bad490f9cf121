/**
 * @fileoverview Input coding on a CNN example (issue 13, graded input): the float SNN of one method with the
 * IF-coded input (current) and with graded pixel payloads, at T = 2, 4, 8, 16, on the first N Fashion-MNIST
 * test images (calibration: bench/lib/fashion.ts). Float only (the integer model follows the same rule,
 * test/convert/graded-input.test.ts).
 *
 *   npx tsx bench/input-coding.ts [N=500] [model=cnn] [method=mt]
 */
import { convert } from "../compiler/convert/index.ts";
import { DEFAULT_CONVERT_OPTIONS, METHODS, type Method } from "../compiler/convert/methods.ts";
import { accuracyOf } from "../compiler/compile.ts";
import { importModel } from "../compiler/import/index.ts";
import { predictClasses } from "../compiler/interp/ann-float.ts";
import { simulateFloat } from "../compiler/simulate/float-snn.ts";
import { benchData } from "./lib/fashion.ts";

const N = Number(process.argv[2] ?? 500);
const model = process.argv[3] ?? "cnn";
const method = (process.argv[4] ?? "mt") as Method;
if (!METHODS.includes(method)) throw new Error(`method: one of ${METHODS.join(", ")}`);
const TS = [2, 4, 8, 16];
const { calibration, evalSet, labels, n, describe } = benchData(N);
const graph = await importModel(`examples/fashion-mnist/${model}/model.json`);
const ann = predictClasses(graph, evalSet.images, n);
let ok = 0;
for (let i = 0; i < n; i++) if (ann[i] === labels[i]) ok++;
console.log(`${describe}; ${model}, --method ${method}; ANN ${((100 * ok) / n).toFixed(2)} %`);
for (const encoding of ["current", "graded"] as const) {
  const t0 = Date.now();
  const conv = convert(graph, { ...DEFAULT_CONVERT_OPTIONS, method, timesteps: 32, encoding }, { calibration, calibrationSamples: calibration.count, warn: () => {} });
  const sim = simulateFloat(conv.snn, evalSet.images, n, { timesteps: TS });
  const acc = TS.map((T) => `T=${T} ${(100 * accuracyOf(sim.scores.get(T) as Float32Array, 10, labels, n)).toFixed(2)}`);
  console.log(`${encoding}: ${acc.join("  ")}  synaptic events/img ${(sim.synapticEvents / n / 1e6).toFixed(2)} M (T = 16 run)  ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
