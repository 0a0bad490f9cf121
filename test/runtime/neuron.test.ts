/**
 * Integer neuron models against hand-computed traces: Loihi decay rounding toward zero (and the current's
 * offset of 1), u wrapping at 24 bits, v saturating at ±(2^23 − 1), the strict threshold, bias = mant · 2^exp,
 * the two-compartment soft reset, SpiNNaker fixed point, multi-threshold levels.
 */
import { expect } from "chai";
import { type IntPopulationParams, loihiDecay, mtLevel, newIntState, saturate, stepPopulation, wrap24 } from "../../runtime/neuron.ts";
import { mantissaExponent } from "../../runtime/input.ts";

function loihiNeuron(over: Partial<IntPopulationParams> = {}): IntPopulationParams {
  return {
    model: "loihi-cuba", kind: "if", reset: "zero", size: 1, channels: 1, stateBits: 24, threshold: 64 * 1000,
    du: 4095, dv: 0, decayBits: 12, inputBits: 0, bias: Int32Array.of(0), vInit: Int32Array.of(0), mtLevels: 0, mtRelu: 0, mtNegThreshold: 0, mtNegPayload: 1, ...over,
  };
}

/** Runs one neuron over the inputs; returns u, v and spike per step. With the two-compartment reset, the
 * self-synapse (weight −threshold, delay 1) is part of the input, as the tables deliver it. */
function trace(p: IntPopulationParams, inputs: number[]): { u: number[]; v: number[]; s: number[] } {
  const st = newIntState(p, 1);
  const idx = new Int32Array(1);
  const pl = new Int32Array(1);
  const cnt = new Int32Array(1);
  const out = { u: [] as number[], v: [] as number[], s: [] as number[] };
  let last = 0;
  for (const input of inputs) {
    const x = p.reset === "two-compartment" && last ? input - p.threshold : input;
    stepPopulation(p, st, Float64Array.of(x), 1, idx, pl, cnt, 1, null);
    last = cnt[0] as number;
    out.u.push(st.u[0] as number);
    out.v.push(st.v[0] as number);
    out.s.push(cnt[0] === 1 ? (pl[0] as number) : 0);
  }
  return out;
}

describe("loihi-cuba neuron", () => {
  it("decays u with truncation toward zero (du = 2047: factor 2048/4096)", () => {
    const r = trace(loihiNeuron({ du: 2047 }), [7, 0, -14, 0]);
    // u: 7; floor(7/2) = 3; 1 - 14 = -13; -(13/2 → 6) = -6 (not -7)
    expect(r.u).to.deep.equal([7, 3, -13, -6]);
    expect(r.v).to.deep.equal([7, 10, -3, -9]);
  });

  it("decays v toward zero with no offset (dv = 1024: factor 3072/4096) and u with the offset of 1 (du = 0)", () => {
    expect(loihiDecay(-9, 1024, 12)).to.equal(-6);
    expect(loihiDecay(9, 1024, 12)).to.equal(6);
    expect(loihiDecay(4096, 0 + 1, 12)).to.equal(4095); // du = 0 still decays by 1/4096
    expect(loihiDecay(100, 0, 12)).to.equal(100); // dv = 0 is a perfect integrator
    const r = trace(loihiNeuron({ du: 0, dv: 1024 }), [4096, 0]);
    expect(r.u).to.deep.equal([4096, 4095]);
    // v: decay(0) + 4096 = 4096; decay(4096, 1024) = 3072, + 4095
    expect(r.v).to.deep.equal([4096, 3072 + 4095]);
  });

  it("decays at the target's resolution: decayBits = 10 makes d / 1024 (not d / 4096)", () => {
    expect(loihiDecay(1000, 512, 10)).to.equal(500);
    expect(loihiDecay(-1000, 256, 10)).to.equal(-750);
    // du = 2^10 − 1 forgets u entirely at 10 bits (IF), where 12-bit arithmetic would keep 3/4 of it.
    const r = trace(loihiNeuron({ decayBits: 10, du: 1023 }), [100, 0, 0]);
    expect(r.u).to.deep.equal([100, 0, 0]);
    const wrong = trace(loihiNeuron({ decayBits: 12, du: 1023 }), [100, 0, 0]);
    expect(wrong.u).to.deep.equal([100, 75, 56]);
    // The general (leaky) path at 10 bits: u halves (du = 511), v keeps 3/4 (dv = 256).
    const leaky = trace(loihiNeuron({ decayBits: 10, du: 511, dv: 256 }), [64, 0]);
    expect(leaky.u).to.deep.equal([64, 32]);
    expect(leaky.v).to.deep.equal([64, 48 + 32]);
  });

  it("wraps one step's synaptic input at inputBits + sign before it enters u (Loihi's 21-bit accumulator)", () => {
    const r = trace(loihiNeuron({ inputBits: 21 }), [2 ** 21 - 1, 2 ** 21 + 5, -(2 ** 21), -(2 ** 21) - 3]);
    expect(r.u).to.deep.equal([2 ** 21 - 1, -(2 ** 21) + 5, -(2 ** 21), 2 ** 21 - 3]);
    const leaky = trace(loihiNeuron({ inputBits: 21, du: 2047 }), [2 ** 21 + 8]);
    expect(leaky.u).to.deep.equal([-(2 ** 21) + 8]);
    expect(trace(loihiNeuron({ inputBits: 0 }), [2 ** 21 + 5]).u).to.deep.equal([2 ** 21 + 5]);
  });

  it("wraps u at 24 bits (two's complement)", () => {
    expect(wrap24(2 ** 23)).to.equal(-(2 ** 23));
    expect(wrap24(2 ** 23 - 1)).to.equal(2 ** 23 - 1);
    expect(wrap24(-(2 ** 23) - 1)).to.equal(2 ** 23 - 1);
    const r = trace(loihiNeuron({ threshold: 2 ** 23 - 1 }), [2 ** 23 - 1, 2 ** 23, 2 ** 24 + 5]);
    expect(r.u).to.deep.equal([2 ** 23 - 1, -(2 ** 23), 5]);
  });

  it("saturates v at ±(2^23 − 1)", () => {
    expect(saturate(2 ** 23 + 100, 24)).to.equal(2 ** 23 - 1);
    expect(saturate(-(2 ** 23) - 100, 24)).to.equal(-(2 ** 23 - 1));
    const p = loihiNeuron({ threshold: 2 ** 23 - 1, vInit: Int32Array.of(2 ** 23 - 10) });
    const r = trace(p, [100, -(2 ** 22), -(2 ** 22), -(2 ** 22), -(2 ** 22)]);
    expect(r.v[0]).to.equal(2 ** 23 - 1); // saturated, never above the threshold it equals: no spike
    expect(r.s[0]).to.equal(0);
    expect(r.v[4]).to.equal(-(2 ** 23 - 1));
  });

  it("spikes only when v > vth strictly, then resets v to 0 and keeps u", () => {
    const p = loihiNeuron({ threshold: 6400, du: 2047 });
    const r = trace(p, [6400, 0]);
    expect(r.v[0]).to.equal(6400);
    expect(r.s[0]).to.equal(0); // equal is not above
    expect(r.s[1]).to.equal(1); // 6400 + 3200 > 6400
    expect(r.v[1]).to.equal(0);
    expect(r.u[1]).to.equal(3200);
  });

  it("adds bias = mantissa · 2^exponent every step", () => {
    const me = mantissaExponent(40, 13, 7);
    expect(me).to.deep.equal({ mantissa: 40, exponent: 0 });
    const big = mantissaExponent(100_000, 13, 7);
    expect(big.mantissa * 2 ** big.exponent).to.be.closeTo(100_000, 2 ** big.exponent / 2);
    expect(Math.abs(big.mantissa)).to.be.at.most(4095);
    const r = trace(loihiNeuron({ bias: Int32Array.of(5 * 8) }), [0, 0, 0]);
    expect(r.v).to.deep.equal([40, 80, 120]);
  });

  it("two-compartment soft reset (NxTF): the self-synapse subtracts vth one step after a spike; same spikes as native subtraction", () => {
    const inputs = [5000, 5000, 5000, 5000, 5000, 5000];
    const two = trace(loihiNeuron({ threshold: 6400, reset: "two-compartment" }), inputs);
    const sub = trace(loihiNeuron({ threshold: 6400, reset: "subtract" }), inputs);
    expect(two.s).to.deep.equal([0, 1, 1, 1, 0, 1]);
    expect(sub.s).to.deep.equal(two.s);
    expect(two.v).to.deep.equal([5000, 10000, 8600, 7200, 5800, 10800]);
    expect(sub.v).to.deep.equal([5000, 3600, 2200, 800, 5800, 4400]);
  });

  it("readout neurons integrate and never spike", () => {
    const r = trace(loihiNeuron({ kind: "readout", threshold: 10 }), [100, 100]);
    expect(r.s).to.deep.equal([0, 0]);
    expect(r.v).to.deep.equal([100, 200]);
  });
});

describe("fixed-if neuron (SpiNNaker s16.15)", () => {
  const fixed = (over: Partial<IntPopulationParams> = {}): IntPopulationParams => ({
    ...loihiNeuron(), model: "fixed-if", stateBits: 32, threshold: 32768, du: 0, dv: 0, reset: "subtract", ...over,
  });
  it("spikes when v ≥ θ and subtracts θ", () => {
    const r = trace(fixed(), [32768, 16384, 16384]);
    expect(r.s).to.deep.equal([1, 0, 1]);
    expect(r.v).to.deep.equal([0, 16384, 0]);
  });
  it("saturates at 32 bits", () => {
    const r = trace(fixed({ kind: "readout", reset: "zero" }), [2 ** 31 - 2, 10, -(2 ** 32)]);
    expect(r.v[1]).to.equal(2 ** 31 - 1);
    expect(r.v[2]).to.equal(-(2 ** 31 - 1));
  });
});

describe("multi-threshold level", () => {
  it("fires the largest level with v ≥ θ·2^k − θ/2, at most one per step", () => {
    expect(mtLevel(100, 64, 4, 0)).to.equal(2); // 100 ≥ 128 - 32 = 96
    expect(mtLevel(95, 64, 4, 0)).to.equal(1);
    expect(mtLevel(31, 64, 4, 0)).to.equal(0);
    expect(mtLevel(32, 64, 4, 0)).to.equal(1);
    expect(mtLevel(10_000, 64, 4, 0)).to.equal(8); // capped at the top level
    expect(mtLevel(-100, 64, 4, 64)).to.equal(-2);
  });
  it("fires the largest level whose threshold the residual reaches (the definition, on a sweep)", () => {
    // The definition: the largest k < levels with v ≥ θ·2^k − ⌊θ/2⌋ (−v ≥ θn·2^k − ⌊θn/2⌋ on the negative side).
    const byDefinition = (v: number, vth: number, levels: number, negTh: number): number => {
      for (let k = levels - 1; k >= 0; k--) if (v >= vth * 2 ** k - Math.floor(vth / 2)) return 2 ** k;
      if (negTh > 0) for (let k = levels - 1; k >= 0; k--) if (-v >= negTh * 2 ** k - Math.floor(negTh / 2)) return -(2 ** k);
      return 0;
    };
    let checked = 0;
    for (const [vth, negTh, levels] of [[64, 0, 4], [64, 64, 8], [37, 5, 8], [16384, 3, 10], [1, 1, 1], [7, 0, 1]] as const) {
      for (let v = -vth * 2 ** levels; v <= vth * 2 ** levels; v += Math.max(1, Math.floor(vth / 7))) {
        expect(mtLevel(v, vth, levels, negTh), `v ${v} θ ${vth} θn ${negTh} levels ${levels}`).to.equal(byDefinition(v, vth, levels, negTh));
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(1000);
  });
  it("subtracts the fired level (soft reset) and emits graded payloads", () => {
    const p = loihiNeuron({ kind: "mt", threshold: 64, mtLevels: 4, reset: "subtract" });
    const r = trace(p, [320, 0, 0]);
    // v 320 → fire 4 (256 ≥ 224), v 64 → fire 1, v 0
    expect(r.s).to.deep.equal([4, 1, 0]);
    expect(r.v).to.deep.equal([64, 0, 0]);
  });
});
