/**
 * ECMT compute nodes in fixed point (runtime/compute.ts, LUTs from compiler/quantise/compute.ts) against the
 * float model (compiler/simulate/compute.ts): over 32 steps of random inputs, the cumulative output divided
 * by τ stays within a stated bound of the float operator of the mean input, for every operator.
 */
import { expect } from "chai";
import type { ComputeNeuron, ComputeOp } from "../../compiler/ir/snn.ts";
import { computePayloadShift, quantiseComputeNode } from "../../compiler/quantise/compute.ts";
import { applyMatmul, applyUnaryOp } from "../../compiler/simulate/compute.ts";
import { seededRng } from "../../compiler/util/rng.ts";
import { divRound, ecFixedMatmulStep, ecFixedStep, ONE, PAYLOAD_S16_15, payloadFormat } from "../../runtime/compute.ts";

/** Largest |E_fixed/τ − f(S/τ)| over all steps and elements, S the accumulated (quantised) input. */
function worstError(op: Exclude<ComputeOp, { kind: "matmul" }>, n: number, scale: number, center = 0, steps = 32): number {
  const rng = seededRng(9);
  const node = quantiseComputeNode({ kind: "compute", op, offset: null } satisfies ComputeNeuron);
  if (node.kind !== "unary") throw new Error("unary expected");
  const base = Float64Array.from({ length: n }, () => center + (rng() * 2 - 1) * scale);
  const S = new Float64Array(n);
  const E = new Float64Array(n);
  const payload = new Float64Array(n);
  const ref = new Float64Array(n);
  let worst = 0;
  for (let tau = 1; tau <= steps; tau++) {
    // spiky inputs around a per-element mean, in s16.15
    for (let i = 0; i < n; i++) S[i] = (S[i] as number) + Math.round(((base[i] as number) + (rng() * 2 - 1) * scale) * ONE);
    ecFixedStep(node.op, tau, S, E, payload, new Float64Array(n), new Float64Array(n), PAYLOAD_S16_15);
    applyUnaryOp(op, Float64Array.from(S, (v) => v / ONE / tau), ref);
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs((E[i] as number) / ONE / tau - (ref[i] as number)));
  }
  return worst;
}

describe("ecmt: compute nodes in fixed point vs float", () => {
  it("divRound rounds half away from zero", () => {
    expect([divRound(5, 2), divRound(-5, 2), divRound(4, 3), divRound(-4, 3), divRound(7, 7)]).to.deep.equal([3, -3, 1, -1, 1]);
  });

  it("GELU (exact and tanh) within 5e-4 for inputs in ±6", () => {
    expect(worstError({ kind: "gelu", approximate: false }, 64, 6)).to.be.lessThan(5e-4);
    expect(worstError({ kind: "gelu", approximate: true }, 64, 6)).to.be.lessThan(5e-4);
  });

  it("softmax over groups of 17 within 1e-3", () => {
    expect(worstError({ kind: "softmax", groupSize: 17 }, 68, 4)).to.be.lessThan(1e-3);
  });

  it("layer norm of 64 features within 2e-3 (gamma ≈ 1, beta ≈ 0.1)", () => {
    const rng = seededRng(4);
    const gamma = Float32Array.from({ length: 64 }, () => 1 + (rng() - 0.5) * 0.4);
    const beta = Float32Array.from({ length: 64 }, () => (rng() - 0.5) * 0.2);
    expect(worstError({ kind: "layerNorm", features: 64, epsilon: 1e-6, gamma, beta }, 128, 3, 0.5)).to.be.lessThan(2e-3);
  });

  it("matmul (Q·Kᵀ and A·V layouts): the rounding of the division only, ≤ 2^-15 per step", () => {
    for (const rightTransposed of [true, false]) {
      const op = { kind: "matmul" as const, heads: 2, rows: 5, inner: 4, cols: 5, rightTransposed };
      const node = quantiseComputeNode({ kind: "compute", op, offset: null });
      if (node.kind !== "matmul") throw new Error("matmul expected");
      const rng = seededRng(2);
      const SL = new Float64Array(40);
      const SR = new Float64Array(40);
      const E = new Float64Array(50);
      const payload = new Float64Array(50);
      const ref = new Float64Array(50);
      let worst = 0;
      for (let tau = 1; tau <= 32; tau++) {
        for (let i = 0; i < 40; i++) SL[i] = (SL[i] as number) + Math.round((rng() * 2 - 1) * 3 * ONE);
        for (let i = 0; i < 40; i++) SR[i] = (SR[i] as number) + Math.round((rng() * 2 - 1) * 3 * ONE);
        ecFixedMatmulStep(node.op, tau, SL, SR, E, payload, PAYLOAD_S16_15);
        applyMatmul(op, Float64Array.from(SL, (v) => v / ONE), Float64Array.from(SR, (v) => v / ONE), 1 / tau, ref);
        for (let i = 0; i < 50; i++) worst = Math.max(worst, Math.abs((E[i] as number) / ONE - (ref[i] as number)));
      }
      expect(worst).to.be.at.most(0.5 / ONE + 1e-12);
    }
  });

  it("matmul beyond 2^53: products of large operands are exact (BigInt fallback)", () => {
    const op = { heads: 1, rows: 1, inner: 2, cols: 1, rightTransposed: true };
    const E = new Float64Array(1);
    const p = new Float64Array(1);
    // (2^30 + 1)·(2^30 + 3) + (2^30)·(2^30) = 2^61 + 4·2^30 + 3, over 2^15 → 2^46 + 2^17 + 3/2^15 → rounds to 2^46 + 2^17
    ecFixedMatmulStep(op, 1, [2 ** 30 + 1, 2 ** 30], [2 ** 30 + 3, 2 ** 30], E, p, PAYLOAD_S16_15);
    expect(E[0]).to.equal(2 ** 31 - 1); // saturates (clampAccum): the value 2^46 + 2^17 does not fit s16.15
    ecFixedMatmulStep(op, 1, [2 ** 22 + 1, 3], [2 ** 31 - 1, 2 ** 31 - 1], E, p, PAYLOAD_S16_15);
    const exact = (BigInt(2 ** 22 + 1) * BigInt(2 ** 31 - 1) + 3n * BigInt(2 ** 31 - 1) + (1n << 14n)) / (1n << 15n);
    expect(BigInt(E[0] as number)).to.equal(exact > BigInt(2 ** 31 - 1) ? BigInt(2 ** 31 - 1) : exact);
  });

  it("narrow payloads: the cumulative output's gain in units of 2^shift, saturated, the rest sent later (hand-computed)", () => {
    // sum node (f = identity) at τ = 1: the cumulative output C is S itself. Format: shift 4, 8-bit packets (|p| ≤ 127).
    const f = payloadFormat(4, 8);
    const E = new Float64Array(1);
    const p = new Float64Array(1);
    const sent: number[] = [];
    for (const C of [1000, 1000, 5000, 5000, -24]) {
      ecFixedStep({ kind: "sum" }, 1, [C], E, p, new Float64Array(1), new Float64Array(1), f);
      sent.push(p[0] as number);
    }
    // 1000/16 = 62.5 → 63; no change → 0; 5000/16 = 312.5 → 313: +250 saturates to 127, then the rest 123;
    // −24/16 = −1.5 → −2: −315 saturates to −127.
    expect(sent).to.deep.equal([63, 0, 127, 123, -127]);
    expect(E[0]).to.equal((313 - 127) * 16);
  });

  it("payload shift: the most fraction bits that keep 1.5 × the largest payload inside the packets", () => {
    expect(computePayloadShift(5, 16)).to.equal(3); // 32767 / 7.5 = 4369 → 12 fraction bits
    expect(computePayloadShift(5, 32)).to.equal(0); // s16.15
    expect(computePayloadShift(0, 16)).to.equal(0); // nothing measured: s16.15 resolution, saturating at ±1
    expect(computePayloadShift(0.6, 16)).to.equal(0); // 0.9 · 2^15 = 29491 fits 16 bits
    expect(computePayloadShift(0.7, 16)).to.equal(1); // 1.05 · 2^15 = 34406 does not; 14 fraction bits do
    expect(computePayloadShift(1000, 8)).to.equal(15); // integer payloads, saturating
  });
});
