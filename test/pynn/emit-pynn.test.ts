/**
 * @fileoverview --emit-pynn: the PyNN script of a tiny network (conv, average pooling, dense, biases;
 * SpiNNaker, reset to zero), run with /usr/bin/python3 on pyNN.brian2, gives the reference integer model's
 * scores and per-population spike counts exactly, and the float SNN's classes; the refusals and the
 * reset-by-subtraction warning. The run is skipped, saying why, when pyNN.brian2 cannot be imported.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "chai";
import type { CompileOutcome } from "../../compiler/compile.ts";
import { writeNpy } from "../../compiler/data/npy.ts";
import { isSnncError } from "../../compiler/diagnostics.ts";
import type { QuantisedSnn } from "../../compiler/ir/quantised.ts";
import { emitPynn, PYNN_SCRIPT } from "../../compiler/pynn/emit.ts";
import { simulateFloat } from "../../compiler/simulate/float-snn.ts";
import { simulateInt } from "../../compiler/simulate/int-snn.ts";
import { loadTarget } from "../../compiler/target/load.ts";
import { loadDataset } from "../../compiler/data/dataset.ts";
import { compileCached, request } from "../helpers/compile.ts";
import { writeTinyModel } from "../helpers/tiny.ts";

const PYTHON = "/usr/bin/python3";
const SAMPLES = 3;
const T = 8;

function pynnAvailable(): string | null {
  const r = spawnSync(PYTHON, ["-c", "import pyNN.brian2"], { encoding: "utf8", timeout: 120_000 });
  if (r.error) return `${PYTHON} not runnable (${r.error.message})`;
  return r.status === 0 ? null : `pyNN.brian2 not importable (apt-get install python3-pynn): ${r.stderr.trim().split("\n").at(-1) ?? ""}`;
}

describe("--emit-pynn", function () {
  this.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), "snnc-pynn-"));
  let outcome: CompileOutcome;
  let images: Float32Array;

  before(async () => {
    const tiny = writeTinyModel(dir);
    outcome = await compileCached(request(tiny.model, "spinnaker", {
      data: tiny.data, timesteps: T, samples: 8, calibrationSamples: 16, verifySamples: 2, reset: "zero",
    }));
    const data = loadDataset(tiny.data, { inputShape: [6, 6, 1], limit: SAMPLES });
    images = data.images;
  });

  it("runs on pyNN.brian2 with the integer model's spikes and scores and the float SNN's classes", function () {
    const why = pynnAvailable();
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    const q = outcome.pipeline.quantised.q;
    const pynn = emitPynn(q, outcome.target, { snncVersion: "test", model: "tiny", timesteps: T });
    expect(pynn.warnings).to.deep.equal([]);
    const out = join(dir, "pynn");
    for (const [name, data] of pynn.files) {
      mkdirSync(dirname(join(out, name)), { recursive: true });
      writeFileSync(join(out, name), data);
    }
    writeFileSync(join(out, "x.npy"), writeNpy([SAMPLES, 6, 6, 1], images));
    const r = spawnSync(PYTHON, [join(out, PYNN_SCRIPT), "--input", join(out, "x.npy"), "--record", "all", "--codegen", "numpy", "--output", join(out, "out.json")],
      { encoding: "utf8", timeout: 280_000, cwd: out });
    expect(r.status, r.stderr.split("\n").slice(-8).join("\n")).to.equal(0);
    const got = JSON.parse(readFileSync(join(out, "out.json"), "utf8")) as { prediction: number[]; scores: number[][]; spikes: number[][] };

    // The integer reference model, sample by sample: scores and spike counts per population.
    for (let s = 0; s < SAMPLES; s++) {
      const per = 36;
      const one = images.subarray(s * per, (s + 1) * per);
      const ref = simulateInt(q, one, 1, { timesteps: T });
      expect(got.scores[s], `scores of sample ${s}`).to.deep.equal(Array.from(ref.scores));
      expect(got.spikes[s], `spikes per population of sample ${s}`).to.deep.equal(Array.from(ref.spikes));
    }
    // The float SNN's classes.
    const float = simulateFloat(outcome.pipeline.conversion.snn, images, SAMPLES, { timesteps: [T] }).scores.get(T) as Float32Array;
    const classes = float.length / SAMPLES;
    const floatPred = Array.from({ length: SAMPLES }, (_, s) => argmax(float.subarray(s * classes, (s + 1) * classes)));
    expect(got.prediction).to.deep.equal(floatPred);
  });

  it("warns (SNNC-W180) that reset by subtraction becomes reset to 0", () => {
    const q = outcome.pipeline.quantised.q;
    const sub: QuantisedSnn = { ...q, populations: q.populations.map((p) => ({ ...p, params: { ...p.params, reset: "subtract" as const } })) };
    const r = emitPynn(sub, outcome.target, { snncVersion: "test", model: "tiny", timesteps: T });
    expect(r.warnings.map((w) => w.code)).to.deep.equal(["SNNC-W180"]);
    expect(r.warnings[0]?.message).to.match(/c1, p1/);
  });

  it("snnc compile --emit-pynn for a Loihi target: SNNC180 before compiling, exit 1, nothing written", () => {
    const out = join(dir, "loihi-out");
    const r = spawnSync(process.execPath, ["compiler/cli/snnc.js", "compile", "examples/fashion-mnist/mlp/model.json", "-t", "loihi2", "--emit-pynn", "-o", out], { encoding: "utf8", timeout: 120_000 });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/^error SNNC180: /m);
    expect(existsSync(out)).to.equal(false);
  });

  it("refuses a Loihi target (SNNC180) and Poisson input (SNNC182)", () => {
    const q = outcome.pipeline.quantised.q;
    const code = (f: () => unknown): string | null => {
      try {
        f();
        return null;
      } catch (e) {
        return isSnncError(e) ? e.code : `not coded: ${String(e)}`;
      }
    };
    expect(code(() => emitPynn(q, loadTarget("loihi2"), { snncVersion: "t", model: "tiny", timesteps: T }))).to.equal("SNNC180");
    expect(code(() => emitPynn({ ...q, input: { ...q.input, encoding: "poisson" } }, outcome.target, { snncVersion: "t", model: "tiny", timesteps: T }))).to.equal("SNNC182");
  });
});

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if ((a[i] as number) > (a[best] as number)) best = i;
  return best;
}
