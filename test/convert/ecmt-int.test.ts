/**
 * ECMT's integer back end on the hand-made tiny ViT: quantise keeps the compute nodes (s16.15 operator and
 * LUTs, s16.15 input weights, payloads in loihi2's 16-bit packets with 15 − p fraction bits, and payloadShift
 * 15 − p on every projection out of them) and the integer reference model (simulate/int-snn.ts)
 * runs the network end to end in integers; its scores agree with the float SNN whose compute nodes run in the
 * same fixed point (fixedCompute), within measured bounds (the remaining difference is the integer neurons'
 * rounding, docs/conversion.md).
 */
import { expect } from "chai";
import { convert } from "../../compiler/convert/index.ts";
import { DEFAULT_CONVERT_OPTIONS } from "../../compiler/convert/methods.ts";
import { quantise } from "../../compiler/quantise/index.ts";
import { simulateFloat } from "../../compiler/simulate/float-snn.ts";
import { simulateInt } from "../../compiler/simulate/int-snn.ts";
import { loadTarget } from "../../compiler/target/load.ts";
import { ONE } from "../../runtime/compute.ts";
import { tinyVit, tinyVitData } from "../helpers/tiny-vit.ts";

describe("ecmt: integer compute nodes (quantise + integer reference model)", () => {
  const data = tinyVitData(48);
  const conversion = convert(tinyVit({ approximateGelu: true }), { ...DEFAULT_CONVERT_OPTIONS, method: "ecmt" }, { calibration: data, calibrationSamples: 48, warn: () => {} });
  const { snn } = conversion;
  const Ts = [8, 32];
  const float = simulateFloat(snn, data.images, data.count, { timesteps: Ts, fixedCompute: true, recordRanges: true });
  const { q } = quantise(snn, loadTarget("loihi2"), float, () => {});

  it("quantise keeps every compute node with its fixed-point operator, s16.15 input weights, 16-bit payloads and payloadShift 15 − p out of it", () => {
    const computes = q.populations.filter((p) => p.compute);
    expect(computes.map((p) => p.name)).to.deep.equal(snn.populations.filter((p) => p.neuron.kind === "compute").map((p) => p.name));
    for (const p of computes) {
      expect(p.scale).to.equal(ONE);
      expect(p.compute?.payloadBits).to.equal(16);
      // 1.5 × the node's largest measured payload fits 16 bits at 15 − p fraction bits, and not at one more
      const m = 1.5 * (float.maxAbsV[p.id] as number);
      const frac = 15 - (p.compute?.payloadShift as number);
      expect(m * 2 ** frac).to.be.at.most(2 ** 15 - 1);
      if (frac < 15) expect(m * 2 ** (frac + 1)).to.be.greaterThan(2 ** 15 - 1);
      const src = snn.populations[p.id];
      p.inputs.forEach((pr, k) => {
        expect([pr.posShift, pr.negShift]).to.deep.equal([0, 0]);
        expect(pr.operand).to.equal(src?.inputs[k]?.operand);
      });
    }
    for (const p of q.populations) {
      for (const pr of p.inputs) {
        const src = q.populations[pr.source];
        expect(pr.payloadShift ?? 0).to.equal(src?.compute ? 15 - src.compute.payloadShift : Math.log2(src?.params.mtPosPayload ?? 1));
      }
    }
    // ecmt's signed quantisers keep their negative thresholds in steps of 2^-k (fc1/spikes: θn ≈ 0.079)
    const gs = q.populations.find((p) => p.name === "fc1/spikes")?.params;
    const k = Math.log2(gs?.mtPosPayload ?? 1);
    expect(k).to.be.greaterThan(0);
    const thn = (snn.populations.find((p) => p.name === "fc1/spikes")?.neuron as { negThreshold: number }).negThreshold;
    expect(Math.abs((gs?.mtNegPayload as number) / 2 ** k - thn)).to.be.at.most(2 ** -(k + 1));
    const ln = q.populations.find((p) => p.name === "ln1")?.compute;
    expect(ln?.kind === "unary" && ln.op.kind === "layerNorm" && ln.op.lut.length > 0).to.equal(true);
  });

  it("the input population's multi-threshold neurons fire alike in the float and the integer model (pixel currents differ only by the bias rounding)", () => {
    // Both runs last 32 + D steps. Measured: 72,934 integer and 72,930 float spikes; the float model stepping
    // its input as integrate-and-fire neurons (its rule before stop 17) sent 71,408.
    const int = simulateInt(q, data.images, data.count, { timesteps: 32 });
    const i = int.spikes[q.input.population] as number;
    const f = float.totalSpikes[q.input.population] as number;
    expect(Math.abs(i - f)).to.be.at.most(0.001 * i);
  });

  it("integer scores track the float SNN with fixed-point compute nodes: same class on ≥ 95%, |Δ| ≤ 20% (T = 8), 6% (T = 32) of the score range", () => {
    const S = q.populations[q.output]?.scale as number;
    // measured 12.3% and 3.9%
    for (const [T, bound] of [[8, 0.2], [32, 0.06]] as const) {
      const f = float.scores.get(T) as Float32Array;
      const int = simulateInt(q, data.images, data.count, { timesteps: T });
      const range = Math.max(...f.map(Math.abs));
      let worst = 0;
      let same = 0;
      for (let b = 0; b < data.count; b++) {
        for (let j = 0; j < 3; j++) worst = Math.max(worst, Math.abs((int.scores[b * 3 + j] as number) / S - (f[b * 3 + j] as number)));
        const am = (x: ArrayLike<number>): number => [0, 1, 2].reduce((best, j) => ((x[b * 3 + j] as number) > (x[b * 3 + best] as number) ? j : best), 0);
        if (am(f) === am(int.scores)) same++;
      }
      expect(worst / range, `T = ${T}`).to.be.at.most(bound);
      expect(same / data.count, `T = ${T}`).to.be.at.least(0.95);
      // every compute node emitted payloads (the network ran through them)
      for (const p of q.populations) if (p.compute) expect(int.spikes[p.id], p.name).to.be.greaterThan(0);
    }
  });
});
