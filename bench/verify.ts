/**
 * @fileoverview Bit-exactness at scale: every example model compiled for every target (ecc, T=32, the
 * shipped methods' default options; mt on loihi2 too), then the emulator, reading network.snnb alone,
 * against the reference integer model on more images than the tests use: every neuron's spikes at every
 * step compared. Prints a Markdown table (spikes compared, bit-exact, ANN and on-chip SNN accuracy, cores,
 * energy per inference) and writes bench/results/verify.json.
 *
 *   npx tsx bench/verify.ts [--samples 200] [--only cnn:mt,cnn-qcfs:qcfs]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { compileModel } from "../compiler/compile.ts";
import { DEFAULT_CONVERT_OPTIONS, type Method } from "../compiler/convert/methods.ts";

const i = process.argv.indexOf("--samples");
const SAMPLES = i >= 0 ? Number(process.argv[i + 1]) : 200;
const o = process.argv.indexOf("--only");
const ONLY = o >= 0 ? (process.argv[o + 1] ?? "").split(",") : null;
const CASES: { model: string; method: Method; targets: string[] }[] = [
  { model: "cnn", method: "ecc", targets: ["loihi", "loihi2", "spinnaker", "spinnaker2"] },
  { model: "resnet", method: "ecc", targets: ["loihi", "loihi2", "spinnaker", "spinnaker2"] },
  { model: "mlp", method: "ecc", targets: ["loihi", "loihi2", "spinnaker", "spinnaker2"] },
  { model: "cnn", method: "mt", targets: ["loihi2"] },
  { model: "cnn-qcfs", method: "qcfs", targets: ["loihi", "spinnaker"] },
];

console.log(`# verify benchmark: ${SAMPLES} images per case compared spike for spike (emulator from network.snnb vs reference model)\n`);
const header = "| model | method | target | cores | images | spikes compared | bit-exact | ANN | SNN on chip | µJ / inference | s |";
const lines = [header, "|---|---|---|---|---|---|---|---|---|---|---|"];
const results: unknown[] = [];
for (const c of CASES) {
  if (ONLY && !ONLY.includes(`${c.model}:${c.method}`)) continue;
  for (const target of c.targets) {
    const t0 = performance.now();
    const out = await compileModel({
      ...DEFAULT_CONVERT_OPTIONS, model: `examples/fashion-mnist/${c.model}/model.json`, target, method: c.method, timesteps: 32,
      samples: SAMPLES, calibrationSamples: 256, verifySamples: SAMPLES, tfjsCheck: false,
    }, { warn: () => {}, progress: () => {}, stage: () => {} });
    const seconds = (performance.now() - t0) / 1000;
    const r = out.report;
    const v = r.verification;
    const acc = r.accuracy;
    const line = `| ${c.model} | ${c.method} | ${target} | ${r.mapping.cores} | ${v.samples} | ${v.comparedSpikes} | ${v.bitExact ? "yes" : `NO (${JSON.stringify(v.firstMismatch)})`} | ${acc ? (acc.ann * 100).toFixed(1) : "-"} | ${acc ? (acc.snn * 100).toFixed(1) : "-"} | ${(r.energy.snnJoulesPerInference * 1e6).toPrecision(3)} | ${seconds.toFixed(0)} |`;
    lines.push(line);
    console.log(line);
    results.push({ model: c.model, method: c.method, target, cores: r.mapping.cores, verification: v, accuracy: acc, energy: r.energy.snnJoulesPerInference, seconds });
  }
}
console.log(`\n${lines.join("\n")}`);
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/verify.json", `${JSON.stringify({ samples: SAMPLES, results }, null, 2)}\n`);
