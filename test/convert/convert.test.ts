/**
 * Conversion: the lowering folds BatchNormalization and merges Add branches exactly (the pre-activation of
 * every population equals the ANN's), every method converts every example it applies to, a long run
 * matches the ANN's predictions, diagnostics name the worst layer, and unsupported combinations give codes.
 */
import { expect } from "chai";
import { convert } from "../../compiler/convert/index.ts";
import { lowerAnn, type RawPop } from "../../compiler/convert/lower.ts";
import { DEFAULT_CONVERT_OPTIONS, type Method } from "../../compiler/convert/methods.ts";
import { layerDiagnostics } from "../../compiler/convert/diagnostics.ts";
import { loadDataset, sliceDataset } from "../../compiler/data/dataset.ts";
import { SnncError } from "../../compiler/diagnostics.ts";
import { importModel } from "../../compiler/import/index.ts";
import type { AnnGraph } from "../../compiler/ir/ann.ts";
import { argmaxRows, runAnn } from "../../compiler/interp/ann-float.ts";
import { quantise } from "../../compiler/quantise/index.ts";
import { scatterProjection } from "../../compiler/simulate/scatter.ts";
import { simulateFloat } from "../../compiler/simulate/float-snn.ts";
import { loadTarget } from "../../compiler/target/load.ts";
import { EXAMPLES, SAMPLE_DATA } from "../helpers/compile.ts";

const data = loadDataset(SAMPLE_DATA, { inputShape: [28, 28, 1], limit: 200 });
const ctx = { calibration: data, calibrationSamples: 128, warn: () => {} };

/** Pre-activation of a population from its raw terms applied to the ANN's source activations. */
function preActivation(pop: RawPop, pops: readonly RawPop[], acts: Map<string, Float32Array>, batch: number): Float32Array {
  const size = pop.shape[0] * pop.shape[1] * pop.shape[2];
  const out = new Float32Array(batch * size);
  for (const t of pop.terms) {
    const src = pops[t.source] as RawPop;
    const a = acts.get(src.statsNode) as Float32Array;
    const n = src.shape[0] * src.shape[1] * src.shape[2];
    // every source neuron "spikes" with its activation as the payload
    const slot = { idx: new Int32Array(batch * n), val: new Float32Array(batch * n), n: new Int32Array(batch).fill(n), stride: n };
    for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) {
      slot.idx[b * n + i] = i;
      slot.val[b * n + i] = a[b * n + i] as number;
    }
    scatterProjection(t.conn, slot, out, batch, n, size);
  }
  if (pop.bias) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (pop.bias[i % pop.shape[2]] as number);
  return out;
}

describe("conversion", function () {
  this.timeout(300_000);
  let resnet: AnnGraph;
  let cnn: AnnGraph;
  let eccCnn: ReturnType<typeof convert> | null = null;
  /** The CNN converted with ecc, once for the tests that only read it (one fixed normalisation: what they check
   * does not depend on auto's choice, tested in auto-parallel.test.ts and biascal.test.ts). */
  const cnnEcc = () => {
    eccCnn ??= convert(cnn, { ...DEFAULT_CONVERT_OPTIONS, method: "ecc", normalisation: "percentile", percentile: 99.9 }, ctx);
    return eccCnn;
  };
  before(async () => {
    resnet = await importModel(EXAMPLES.resnet);
    cnn = await importModel(EXAMPLES.cnn);
  });

  it("BN folding and Add merging are exact: each population's pre-activation equals the ANN's (≤ 1e-5 relative)", () => {
    const raw = lowerAnn(resnet, { maxPoolAsAverage: false }, () => {});
    const batch = 8;
    // ANN values before each activation: keep everything.
    const acts = runAnn(raw.calibrationGraph, data.images.subarray(0, batch * 784), batch, { keep: "all" });
    let checked = 0;
    for (const pop of raw.pops) {
      if (pop.site !== "relu" && pop.site !== "readout") continue;
      const got = preActivation(pop, raw.pops, acts, batch);
      // The ANN pre-activation is the input of the population's activation node (or the readout's output).
      const node = resnet.nodes.find((n) => n.name === pop.statsNode);
      const preName = pop.site === "readout" ? pop.statsNode : node?.op.kind === "activation" ? (node.inputs[0] as string) : null;
      if (!preName) continue;
      const want = acts.get(preName) as Float32Array;
      let maxErr = 0;
      let maxVal = 0;
      for (let i = 0; i < want.length; i++) {
        maxErr = Math.max(maxErr, Math.abs((got[i] as number) - (want[i] as number)));
        maxVal = Math.max(maxVal, Math.abs(want[i] as number));
      }
      expect(maxErr / maxVal, pop.name).to.be.below(1e-5);
      checked++;
    }
    expect(checked).to.be.at.least(4); // the stem, both residual Adds (BN on both branches), the readout
  });

  // ttrbr tunes every layer's threshold by simulating the network up to it for 5 candidate percentiles
  // (quadratic in depth): at T = 32 on 32 samples the three examples took ~140 s alone. The test checks that
  // the method converts each example (the same code paths: restructuring, every layer tuned), not its
  // accuracy (bench/conversion measures that), so it tunes at T = 8 on 8 calibration samples.
  const fast: Partial<Record<Method, { timesteps: number; samples: number }>> = { ttrbr: { timesteps: 8, samples: 8 } };
  for (const method of ["ecc", "ttrbr", "mt"] as Method[]) {
    it(`${method} converts every example model`, async () => {
      const f = fast[method];
      const c = f ? { ...ctx, calibration: sliceDataset(data, 0, f.samples) } : ctx;
      for (const path of Object.values(EXAMPLES)) {
        const g = await importModel(path);
        // T = 8 and 32 calibration samples (ttrbr: 8): what this test checks (populations, delays) depends on neither.
        // Without ecc's bias calibration (auto's last candidate; ~half a simulation per layer): structure only.
        const r = convert(g, { ...DEFAULT_CONVERT_OPTIONS, method, timesteps: f?.timesteps ?? 8, biasCalibration: false }, { ...c, calibrationSamples: f?.samples ?? 32 });
        expect(r.snn.populations.length).to.be.greaterThan(2);
        expect(r.snn.method).to.equal(method);
        for (const p of r.snn.populations) for (const pr of p.inputs) expect(pr.delay).to.be.at.least(1);
        // ttrbr restructures the ResNet's residual blocks: its shortcuts pass through relay populations.
        if (method === "ttrbr" && path === EXAMPLES.resnet) expect(r.snn.populations.some((p) => p.name.includes("/relay"))).to.equal(true);
      }
    });
  }

  it("with enough timesteps the SNN predicts what the ANN predicts", () => {
    const n = 64;
    // Converted for the T it runs (negative biases are spread over T + depth steps, normalise.ts).
    const r = convert(cnn, { ...DEFAULT_CONVERT_OPTIONS, method: "ecc", percentile: 100, timesteps: 256 }, ctx);
    const sim = simulateFloat(r.snn, data.images.subarray(0, n * 784), n, { timesteps: [256] });
    const snn = argmaxRows(sim.scores.get(256) as Float32Array, n);
    const ann = argmaxRows(runAnn(cnn, data.images.subarray(0, n * 784), n).get("fc2") as Float32Array, n);
    let agree = 0;
    for (let i = 0; i < n; i++) if (snn[i] === ann[i]) agree++;
    expect(agree / n).to.be.at.least(0.97);
  });

  it("diagnostics name the layer that loses accuracy", () => {
    const r = cnnEcc();
    // Sabotage pool1: weights 40× too small make its rates collapse; pool2 inherits the damage but its
    // local error stays small, so the local error points at pool1.
    const pops = r.snn.populations.map((p) => (p.name === "pool1" ? { ...p, inputs: p.inputs.map((pr) => ({ ...pr, conn: pr.conn.kind === "avgPool" ? { ...pr.conn, scale: pr.conn.scale.map((s) => s / 40) } : pr.conn })) } : p));
    const d = layerDiagnostics(cnn, { ...r.snn, populations: pops }, data.images, 32, 32);
    expect(d.worst).to.equal("pool1");
    const healthy = layerDiagnostics(cnn, r.snn, data.images, 32, 32);
    for (const l of healthy.layers) expect(l.correlation, l.name).to.be.above(0.8);
    // The counts of a longer run to T = 40 on more samples (as compile's accuracy curve), windowed to T = 32: the same.
    const curve = simulateFloat(r.snn, data.images, 36, { timesteps: [8, 40], recordCounts: true, countWindow: 32 });
    expect(layerDiagnostics(cnn, r.snn, data.images, 32, 32, curve.counts)).to.deep.equal(healthy);
  });

  it("unsupported combinations give coded errors", async () => {
    const ecc = cnnEcc();
    expect(() => convert(cnn, { ...DEFAULT_CONVERT_OPTIONS, method: "rnl" }, ctx)).to.throw(SnncError).with.property("code", "SNNC202");
    expect(() => convert(cnn, { ...DEFAULT_CONVERT_OPTIONS, method: "qcfs" }, ctx)).to.throw(SnncError).with.property("code", "SNNC202");
    const mt = convert(cnn, { ...DEFAULT_CONVERT_OPTIONS, method: "mt" }, ctx);
    const ranges = { maxAbsV: new Float64Array(20).fill(2), maxAbsInput: new Float64Array(20).fill(1) };
    // Multi-threshold neurons need graded spikes: Loihi 1 has none (binary spikes only); Loihi 2 has graded
    // spikes, SpiNNaker and SpiNNaker 2 multicast packets with a payload word.
    expect(() => quantise(mt.snn, loadTarget("loihi"), ranges, () => {})).to.throw(SnncError).with.property("code", "SNNC303");
    for (const t of ["loihi2", "spinnaker", "spinnaker2"]) expect(() => quantise(mt.snn, loadTarget(t), ranges, () => {})).to.not.throw();
    expect(() => quantise(ecc.snn, loadTarget("loihi"), ranges, () => {})).to.not.throw();
  });
});
