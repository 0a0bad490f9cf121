/**
 * Graded input coding (--encoding graded): every step each nonzero pixel goes out as one graded payload of
 * pixel · gain (runtime/input.ts). A hand-made two-layer network checks the rule by hand in float and in
 * integers, the emulator bit-exact with the integer reference model and the generated emulator equal to it; the tiny ViT checks it through the
 * ECMT compute nodes; targets without graded spikes refuse it (SNNC340).
 */
import { expect } from "chai";
import { SnncError } from "../../compiler/diagnostics.ts";
import type { QuantisedSnn } from "../../compiler/ir/quantised.ts";
import type { Population, SnnGraph } from "../../compiler/ir/snn.ts";
import { runBackEnd } from "../../compiler/pipeline.ts";
import { quantise } from "../../compiler/quantise/index.ts";
import { simulateFloat } from "../../compiler/simulate/float-snn.ts";
import { effectiveWeights, simulateInt } from "../../compiler/simulate/int-snn.ts";
import { loadTarget } from "../../compiler/target/load.ts";
import { shiftRound } from "../../runtime/compute.ts";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate } from "../../runtime/emulator/run.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { gradedPayload } from "../../runtime/input.ts";
import { backEnd, emulateBinary, runGeneratedEmulator, scoreRows, tinyVitEcmt, verifiedBitExact } from "../helpers/backend.ts";

/** input [1,1,3] → IF hidden [1,1,2] (dense, delay 1) → readout [1,1,2] (dense, delay 1). */
function handNet(encoding: "current" | "graded"): SnnGraph {
  const one = (n: number, v: number) => new Float32Array(n).fill(v);
  const pop = (id: number, name: string, size: number, neuron: Population["neuron"], inputs: Population["inputs"], depth: number): Population => ({
    id, name, shape: [1, 1, size], size, neuron, bias: null, vInit: one(size, 0), inputs, depth, spikeValue: one(size, 1), threshold: one(size, 1),
  });
  const W1 = Float32Array.from([0.5, -0.25, 0.75, 0.5, -0.375, 0.125]); // [3, 2], row = source
  const W2 = Float32Array.from([1, -0.5, 0.25, 0.75]);
  return {
    name: "hand", method: "ecc", readoutDepth: 2, inputShape: [1, 1, 3], output: 2,
    input: { population: 0, encoding, gain: 0.8, seed: 1 },
    populations: [
      pop(0, "in", 3, { kind: "if", reset: "subtract" }, [], 0),
      pop(1, "h", 2, { kind: "if", reset: "subtract" }, [{ source: 0, delay: 1, conn: { kind: "dense", weights: W1 }, origin: "h" }], 1),
      pop(2, "out", 2, { kind: "readout" }, [{ source: 1, delay: 1, conn: { kind: "dense", weights: W2 }, origin: "out" }], 2),
    ],
  };
}

describe("graded input coding", () => {
  it("payload by hand: round half away from zero of pixel · gainScaled, saturated to the signed payload bits", () => {
    expect(gradedPayload(0.3, 16384, 16)).to.equal(4915); // 4915.2
    expect(gradedPayload(0.25, 2, 8)).to.equal(1); // 0.5 → 1
    expect(gradedPayload(-0.25, 2, 8)).to.equal(-1); // −0.5 → −1
    expect(gradedPayload(3, 16384, 16)).to.equal(32767); // 49152 saturates at 2^15 − 1
    expect(gradedPayload(-3, 16384, 16)).to.equal(-32767);
    expect(gradedPayload(0, 16384, 16)).to.equal(0); // nothing sent
  });

  const images = Float32Array.from([0.9, 0.2, 0.55, 0.1, 0.7, 0.35, 0.6, 0, 1]);
  const snn = handNet("graded");
  const target = loadTarget("loihi2");
  const T = 5;
  const float = simulateFloat(snn, images, 3, { timesteps: [T], recordRanges: true, recordCounts: true });
  const { q } = quantise(snn, target, float, () => {});

  it("float: every step the first layer receives exactly Σ pixel · gain · w (no input spikes to wait for)", () => {
    // hidden neuron 0 of sample 0 integrates 0.8 · (0.9·0.5 + 0.2·0.75 − 0.55·0.375) = 0.315 per step from step 1;
    // it fires at steps where the running sum crosses an integer: ⌊0.315 · 5⌋ = 1 spike in its 5-step window.
    const s1 = 0.8 * (0.9 * 0.5 + 0.2 * 0.75 + 0.55 * -0.375);
    expect(s1).to.be.closeTo(0.315, 1e-12);
    expect(float.counts[1]?.[0]).to.equal(Math.floor(s1 * T + 1e-9));
    // the input population sent one payload per nonzero pixel per step: 3 + 3 + 2 pixels over T + D steps
    expect(float.totalSpikes[0]).to.equal(8 * (T + snn.readoutDepth));
  });

  it("integer: payloads P = round(pixel · gain · 2^F), each target adds round(Σ P · w / 2^F) per step (by hand)", () => {
    const qin = q.input;
    if (qin.encoding !== "graded") throw new Error("not graded");
    expect(qin.payloadBits).to.equal(target.neuron.gradedSpikes.payloadBits?.value);
    // measured max pixel · gain = 0.8 < 1: F = ⌊log2((2^15 − 1) / 1.5)⌋ = 14 on 16-bit payloads
    expect(qin.fracBits).to.equal(14);
    expect(qin.gainScaled).to.equal(0.8 * 2 ** 14);
    const pr = q.populations[1]?.inputs[0];
    expect(pr?.payloadShift).to.equal(14);
    // the hidden layer's input of one step, sample 0, from the reference model's own rule
    const w = effectiveWeights(pr as NonNullable<typeof pr>) as Float64Array;
    const P = [0.9, 0.2, 0.55].map((x) => Math.max(-32767, Math.min(32767, Math.round(x * 0.8 * 2 ** 14))));
    expect(P).to.deep.equal([11796, 2621, 7209]);
    const h0 = shiftRound((P[0] as number) * (w[0] as number) + (P[1] as number) * (w[2] as number) + (P[2] as number) * (w[4] as number), 14);
    const S = q.populations[1]?.scale as number;
    expect(h0 / S).to.be.closeTo(0.315, 2 / S + 1e-4);
    // run: the hidden neuron's charge after its window = T · h0, its spikes ⌊T · h0 / S⌋
    const spikes: number[] = [];
    simulateInt(q, images, 1, { timesteps: T, onSpikes: (_t, pop, _s, idx, _p, n) => { if (pop === 1) for (let k = 0; k < n; k++) if (idx[k] === 0) spikes.push(1); } });
    expect(spikes.length).to.equal(Math.floor((T + 1) * h0 / S));
  });

  it("the emulator runs graded input bit-exact with the integer reference model; its payloads travel as graded packets", () => {
    const back = runBackEnd(q, target, T);
    const decoded = decodeBinary(back.binary);
    expect(decoded.input.encoding).to.equal(2);
    expect(decoded.input.payloadBits).to.equal(16);
    verifiedBitExact(q, back.binary, images, 3, T);
    const run = emulate(loadNetwork(decoded), images, 3, { timesteps: T });
    expect(run.counters.gradedPackets).to.equal(8 * (T + snn.readoutDepth));
    // the input's graded events are the first layer's synaptic ops (8 payloads × 2 targets per step)
    expect(run.popSynOps[0]).to.equal(8 * 2 * (T + snn.readoutDepth));
    const ref = simulateInt(q, images, 3, { timesteps: T });
    expect(Array.from(run.scores)).to.deep.equal(Array.from(ref.scores));
  });

  it("the generated standalone emulator reads the graded INPM and gives the runtime emulator's scores and graded packets", function () {
    this.timeout(300_000);
    const back = runBackEnd(q, target, T);
    const got = runGeneratedEmulator(back.binary, images, [3, 1, 1, 3], ["-T", String(T)]);
    const want = emulateBinary(back.binary, images, 3, T);
    expect(want.classes).to.equal(2);
    expect(got.scores).to.deep.equal(scoreRows(want, 3));
    expect(got.counters.gradedPackets).to.equal(want.counters.gradedPackets);
  });

  it("targets without graded spikes refuse graded input (SNNC340, naming the input layer); current input is unchanged", () => {
    for (const t of ["loihi", "spinnaker"]) {
      const tg = loadTarget(t);
      if (tg.neuron.gradedSpikes.supported) continue;
      expect(() => quantise(snn, tg, float, () => {})).to.throw(SnncError).with.property("code", "SNNC340");
    }
    const cur = quantise(handNet("current"), target, float, () => {}).q as QuantisedSnn;
    expect(cur.input.encoding).to.equal("current");
    expect(cur.populations[1]?.inputs[0]?.payloadShift).to.equal(undefined);
  });

  it("tiny ViT (ecmt, loihi2): graded input through the compute nodes, emulator bit-exact, integer tracks float", () => {
    const Tv = 6;
    const { data, conversion, float: f } = tinyVitEcmt(8, Tv, "graded");
    expect(conversion.snn.input.encoding).to.equal("graded");
    const { q: vq, back } = backEnd(conversion.snn, f, target, Tv);
    for (const p of vq.populations) for (const pr of p.inputs) if (pr.source === vq.input.population) expect(pr.payloadShift).to.equal(vq.input.encoding === "graded" ? vq.input.fracBits : -1);
    verifiedBitExact(vq, back.binary, data.images, 3, Tv);
    const S = vq.populations[vq.output]?.scale as number;
    const int = simulateInt(vq, data.images, data.count, { timesteps: Tv });
    const fs = f.scores.get(Tv) as Float32Array;
    const range = Math.max(...fs.map(Math.abs));
    let worst = 0;
    for (let i = 0; i < fs.length; i++) worst = Math.max(worst, Math.abs((int.scores[i] as number) / S - (fs[i] as number)));
    expect(worst / range).to.be.at.most(0.3);
  });
});
