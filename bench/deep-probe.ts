/**
 * @fileoverview Conversion probe (issue 14): one model, one conversion, the float SNN's accuracy at T on the first
 * N test images, with the class histogram; `DIAG=1` adds the per-layer diagnostics, `NODES=1` lists the graph.
 *
 *   OPTS='{"percentile":100}' [METHOD=ecc] npx tsx bench/deep-probe.ts resnet20 100 32
 *
 * OPTS: ConvertOptions as JSON (e.g. {"perChannel":true}, {"normalisation":"search"}); METHOD: --method.
 * Calibration: the first 256 training images.
 */
import { accuracyOf } from "../compiler/compile.ts";
import { convert } from "../compiler/convert/index.ts";
import { DEFAULT_CONVERT_OPTIONS, type Method } from "../compiler/convert/methods.ts";
import { layerDiagnostics } from "../compiler/convert/diagnostics.ts";
import { loadDataset, sliceDataset } from "../compiler/data/dataset.ts";
import { SYSTEM_FASHION_MNIST } from "../compiler/data/resolve.ts";
import { importModel } from "../compiler/import/index.ts";
import { predictClasses } from "../compiler/interp/ann-float.ts";
import { simulateFloat } from "../compiler/simulate/float-snn.ts";
const model = process.argv[2] ?? "resnet20"; const n = Number(process.argv[3] ?? 100); const T = Number(process.argv[4] ?? 256);
const shape = [28, 28, 1];
const test = sliceDataset(loadDataset(`${SYSTEM_FASHION_MNIST}/t10k-images-idx3-ubyte.gz`, { inputShape: shape }), 0, n);
const calibration = loadDataset(`${SYSTEM_FASHION_MNIST}/train-images-idx3-ubyte.gz`, { inputShape: shape, limit: 256 });
const path = model.endsWith(".json") || model.endsWith(".onnx") ? model : `examples/fashion-mnist/${model}/model.${model.startsWith("resnet") && model !== "resnet" ? "onnx" : "json"}`;
const graph = await importModel(path);
const labels = test.labels as Int32Array;
const pred = predictClasses(graph, test.images, n); let ok = 0; for (let i = 0; i < n; i++) if (pred[i] === labels[i]) ok++;
console.log("ANN", ok / n);
if (process.env.NODES) console.log(graph.nodes.map((x) => `${x.name}:${x.op.kind}${"activation" in x.op ? "/" + String((x.op as { activation?: string }).activation) : ""}<-${x.inputs.join(",")}`).join("\n"));
const conv = convert(graph, { ...DEFAULT_CONVERT_OPTIONS, method: (process.env.METHOD ?? "ecc") as Method, timesteps: T, ...JSON.parse(process.env.OPTS ?? "{}") }, { calibration, calibrationSamples: 256, warn: () => {} });
const fs = simulateFloat(conv.snn, test.images, n, { timesteps: [32, 64, 128, 256].filter((t) => t <= T) });
for (const [t, s] of fs.scores) { const h = new Array(10).fill(0); for (let i = 0; i < n; i++) { let b = 0; for (let j = 1; j < 10; j++) if ((s[i * 10 + j] as number) > (s[i * 10 + b] as number)) b = j; h[b]++; } console.log("T", t, accuracyOf(s, 10, labels, n), h.join(","), Array.from(s.subarray(0, 10)).map((v) => v.toFixed(2)).join(" ")); }
if (conv.normalisation) console.log("chosen", conv.normalisation.chosen, JSON.stringify(conv.normalisation.tried));
if (process.env.DIAG) { const d = layerDiagnostics(graph, conv.snn, test.images, 20, T);
for (const l of d.layers) console.log(l.name, l.correlation.toFixed(3), l.relativeError.toFixed(3), l.localError.toFixed(3), l.rate.toFixed(3)); }
if (process.env.DIAG) console.log(conv.snn.populations.map((p) => `${p.name} d=${p.depth}`).join(" "));
