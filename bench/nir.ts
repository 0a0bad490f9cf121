/**
 * @fileoverview Benchmark: the directly-trained recurrent SNN (examples/fashion-mnist/srnn, exported to NIR
 * by examples/train/srnn_fashion.py) on the emulator of each target, against its float torch model, on the
 * 10,000 Fashion-MNIST test images. Goal (issue 15): within 1.0 point of torch on loihi2 and spinnaker2.
 *
 * Uses only the user contract (CONTRACT.md): `snnc compile graph.nir --target T -o DIR` and
 * `snnc run DIR --input events.npy --json` (its `prediction`, one entry per input). The events are the test
 * images as the training script encodes them ([N, 28, 84] uint8, written by `srnn_fashion.py --events`).
 * It needs the NIR importer (issue 15's `compile *.nir`); without it the compile step fails and this says so.
 *
 *   npx tsx bench/nir.ts [--targets loihi2,spinnaker2] [--samples 10000]
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readNpy, writeNpy } from "../compiler/data/npy.ts";
import { maybeGunzip, readIdx } from "../compiler/data/idx.ts";

const PYTHON = "/usr/bin/python3";
const EXAMPLE = "examples/fashion-mnist/srnn";
const LABELS = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : dflt;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr.trim().split("\n").slice(-4).join("\n")}`);
  return r.stdout;
}

function main(): void {
  const targets = arg("targets", "loihi2,spinnaker2").split(",");
  const samples = Number(arg("samples", "10000"));
  const dir = mkdtempSync(join(tmpdir(), "snnc-nir-bench-"));
  const events = join(dir, "events.npy");
  run(PYTHON, ["examples/train/srnn_fashion.py", "--out", EXAMPLE, "--events", String(samples), events]);
  const torchPred = readNpy(readFileSync(join(EXAMPLE, "torch-test-predictions.npy")));
  const labels = readIdx(maybeGunzip(readFileSync(LABELS), LABELS));
  const record = JSON.parse(readFileSync(join(EXAMPLE, "record.json"), "utf8")) as { testAccuracy: number };
  let torchCorrect = 0;
  for (let s = 0; s < samples; s++) if (Number(torchPred.data[s]) === Number(labels.data[s])) torchCorrect++;
  console.log(`# srnn (NIR) on the emulator vs torch, ${samples} test images; torch ${(100 * torchCorrect / samples).toFixed(2)}% (record.json: ${(100 * record.testAccuracy).toFixed(2)}% on 10,000)`);
  // The compile emulates the N samples itself (report.json accuracy.snn: the chip's accuracy on the emulator,
  // bit-exact with the reference); run --input gives its per-image classes, compared with torch's.
  const data = join(dir, "data");
  mkdirSync(data);
  copyFileSync(events, join(data, "x.npy"));
  writeFileSync(join(data, "y.npy"), writeNpy([samples], Uint8Array.from(labels.data.subarray(0, samples))));
  for (const target of targets) {
    const out = join(dir, target);
    const t0 = Date.now();
    run("node", ["compiler/cli/snnc.js", "compile", join(EXAMPLE, "graph.nir"), "--target", target, "--calibration", data,
      "-T", "28", "--samples", String(samples), "--no-emulator", "-o", out, "--quiet"]);
    const seconds = Math.round((Date.now() - t0) / 1000);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as { accuracy: { ann: number; snn: number; samples: number }; verification: { bitExact: boolean } };
    const res = JSON.parse(run("node", ["compiler/cli/snnc.js", "run", out, "--input", events, "--events", "--json"])) as { prediction: number[] };
    let correct = 0;
    let agree = 0;
    for (let s = 0; s < samples; s++) {
      if (res.prediction[s] === Number(labels.data[s])) correct++;
      if (res.prediction[s] === Number(torchPred.data[s])) agree++;
    }
    const acc = correct / samples;
    console.log(JSON.stringify({
      target, samples, accuracy: acc, compileAccuracy: report.accuracy.snn, floatSnnAccuracy: report.accuracy.ann, bitExact: report.verification.bitExact,
      torchAccuracy: torchCorrect / samples, pointsBelowTorch: 100 * (torchCorrect / samples - acc), agreementWithTorch: agree / samples, compileSeconds: seconds,
    }));
  }
  rmSync(dir, { recursive: true, force: true });
}

main();
