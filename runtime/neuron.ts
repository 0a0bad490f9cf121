/**
 * @fileoverview Integer neuron models of the targets: the one implementation run by the reference integer
 * simulator (compiler/simulate/int-snn.ts) and by the emulator (runtime/emulator). Integer maths only; every
 * overflow rule is named (`wrap24`, `saturate`).
 *
 * loihi-cuba (Intel Loihi CUBA LIF; hardware.md §2, Lava PyLifModelBitAcc, nengo-loihi emulator):
 *   u ← wrapS(decay(u, du + 1) + wrapQ(q))          q = this step's synaptic input, in state units; wrapQ: two's
 *                                                   complement at inputBits + 1 bits (the chip's synaptic input
 *                                                   accumulator, 21 bits + sign on Loihi; 0 = no limit)
 *   v ← saturateS(decay(v, dv) + u + bias)          bias = mantissa · 2^exponent (applied every step)
 *   spike when v > vth strictly (vth = mantissa << 6)
 *   decay(x, d) = sign(x) · ((|x| · (2^D − d)) >> D), i.e. truncation toward zero, with D the target's decay
 *   resolution (decayBits: 12 on Loihi, decays d/4096); the current's decay has the hardware's offset of 1
 *   (du = 0 still decays by 1/2^D), the voltage's none. S = 24 bits: u wraps at 24 bits (two's complement),
 *   v saturates at ±(2^23 − 1).
 *   reset: zero (Loihi's native rule, v ← 0, u kept), subtract (Loihi 2 microcode: v ← v − vth), or
 *   two-compartment subtract (Loihi 1, NxTF): the dendrite keeps integrating (no reset here) and a
 *   self-synapse of weight −vth, a real synapse in the tables, delivers the subtraction into u one step
 *   after the spike. Its spikes equal native subtraction's unless v saturates (test/runtime/neuron.test.ts).
 * fixed-if (SpiNNaker s16.15 `accum` integrate-and-fire):
 *   v ← saturate32(v + q + bias); spike when v ≥ θ; reset v ← 0 or v ← v − θ.
 *   With decays (du or dv > 0: leaky neurons read from NIR; sPyNNaker's LIF with exponential current
 *   synapses, its decay factors held with D = decayBits fraction bits):
 *   u ← saturate32(decay(u, du) + q); v ← saturate32(decay(v, dv) + u + bias), decay as Loihi's (truncation
 *   toward zero) but without the current's offset of 1 (du = 2^D: u is this step's input).
 * Multi-threshold (ECMT) neurons fire the largest level θ·2^k (k < levels) with v ≥ θ·2^k − θ/2 (graded
 * payload 2^k), or the negative level θn·2^k with −v ≥ θn·2^k − θn/2 (payload −2^k·nScale), and subtract it.
 */

import type { NeuronKind, NeuronModelName, ResetRule } from "./format/spec.ts";


/** Integer parameters of one population, as stored in the placement binary. */
export interface IntPopulationParams {
  readonly model: NeuronModelName;
  readonly kind: NeuronKind;
  readonly reset: ResetRule;
  readonly size: number;
  readonly channels: number;
  /** State width S (24 for Loihi, 32 for s16.15). */
  readonly stateBits: number;
  /** Effective threshold in state units (Loihi: vthMant << 6; fixed-if: θ raw). */
  readonly threshold: number;
  /** Current and voltage decays (Loihi, decayBits-bit); 0 for fixed-if. */
  readonly du: number;
  readonly dv: number;
  /** Decay resolution D (Loihi: the target's decayBits, 12; decays are d / 2^D); 0 for fixed-if. */
  readonly decayBits: number;
  /** Magnitude bits of one step's synaptic input (Loihi: the target's stepInputBits, 21): q wraps to
   * [−2^B, 2^B) before it enters u. 0 = no limit (fixed-if; targets without the figure). */
  readonly inputBits: number;
  /** Effective bias per channel in state units (mantissa · 2^exp already applied). */
  readonly bias: Int32Array;
  /** Initial v per channel. */
  readonly vInit: Int32Array;
  /** Multi-threshold: levels, ReLU expectation compensation (1) or a plain signed quantiser (0), the
   * negative base threshold (0 = no negative side) and its payload scale. */
  readonly mtLevels: number;
  readonly mtRelu: number;
  readonly mtNegThreshold: number;
  readonly mtNegPayload: number;
  /** Multi-threshold positive payload scale (ecmt's fine negative thresholds, quantise
   * fineNegativeShifts): absent = 1. In the placement binary's CMPT section (payload scales), not in the profile. */
  readonly mtPosPayload?: number;
}

export function wrapBits(x: number, bits: number): number {
  const half = 2 ** (bits - 1);
  if (x >= -half && x < half) return x;
  const m = 2 ** bits;
  const r = ((x % m) + m) % m;
  return r >= half ? r - m : r;
}

/** u wraps at 24 bits (two's complement). Lava's model wraps −2^23 to +2^23; hardware registers do not. */
export function wrap24(x: number): number {
  return wrapBits(x, 24);
}

export function saturate(x: number, bits: number): number {
  const max = 2 ** (bits - 1) - 1;
  return x > max ? max : x < -max ? -max : x;
}

/** Loihi decay: sign(x) · ((|x| · (2^bits − d)) >> bits), truncation toward zero, exact in float64. */
export function loihiDecay(x: number, d: number, bits: number): number {
  if (x === 0) return 0;
  const one = 2 ** bits;
  const t = Math.floor((Math.abs(x) * (one - d)) / one);
  return x < 0 ? -t : t;
}

/** Per-population state: v, u (Loihi) and, for multi-threshold ReLU neurons, the cumulative output E. */
export interface IntState {
  readonly v: Float64Array;
  readonly u: Float64Array;
  readonly emitted: Float64Array | null;
}

export function newIntState(p: IntPopulationParams, batch: number): IntState {
  const n = p.size * batch;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = p.vInit[(i % p.size) % p.channels] as number;
  return { v, u: new Float64Array(n), emitted: p.kind === "mt" && p.mtRelu ? new Float64Array(n) : null };
}

/** The fields of a population's parameters the update rule reads (a profile in the binary). */
export type NeuronRule = Pick<IntPopulationParams, "model" | "kind" | "reset" | "stateBits" | "threshold" | "du" | "dv" | "decayBits" | "inputBits" | "mtLevels" | "mtRelu" | "mtNegThreshold" | "mtNegPayload" | "mtPosPayload">;

/**
 * One timestep of neurons [start, end) that share one rule. `q` holds each neuron's synaptic input sum
 * (state units, exact integers, read only), `bias` each neuron's bias. Spikes are appended to
 * (outIdx, outPayload) from position `count` as index − idxBase; returns the new count.
 */
export function stepRange(
  p: NeuronRule, v: Float64Array, u: Float64Array, emitted: Float64Array | null, q: Float64Array, bias: Float64Array,
  start: number, end: number, outIdx: Int32Array, outPayload: Int32Array, count: number, idxBase: number,
  activity: Int32Array | null = null, clearInput = false,
): number {
  const vth = p.threshold;
  const S = p.stateBits;
  const max = 2 ** (S - 1) - 1;
  const half = 2 ** (S - 1);
  const loihi = p.model === "loihi-cuba";
  const canSpike = p.kind !== "readout";
  const mt = p.kind === "mt";
  const reset = p.reset;
  // Fast path: Loihi IF (du = 2^D − 1 makes u this step's input; dv = 0 makes v a perfect integrator).
  const plainLoihi = loihi && p.du === 2 ** p.decayBits - 1 && p.dv === 0;
  // Loihi's synaptic input accumulator: q wraps to [−qHalf, qHalf) (Infinity: no limit).
  const qBits = loihi && p.inputBits > 0 ? p.inputBits + 1 : 0;
  const qHalf = qBits > 0 ? 2 ** p.inputBits : Infinity;
  // Fixed point with decays (leaky neurons) takes the general loop.
  const fixedLeaky = !loihi && (p.du !== 0 || p.dv !== 0);
  if ((plainLoihi || (!loihi && !fixedLeaky)) && !mt && canSpike) {
    return stepIf(v, u, q, bias, start, end, outIdx, outPayload, count, idxBase, activity, clearInput, vth, S, plainLoihi, reset, qBits);
  }
  let k = count;
  let active = 0;
  for (let i = start; i < end; i++) {
    const raw = q[i] as number;
    const qi = raw >= -qHalf && raw < qHalf ? raw : wrapBits(raw, qBits);
    let x: number;
    if (plainLoihi) {
      // u wraps at S bits (two's complement); the common case needs no wrap.
      const ui = qi >= -half && qi < half ? qi : wrapBits(qi, S);
      u[i] = ui;
      x = (v[i] as number) + ui + (bias[i] as number);
    } else if (loihi) {
      const ui = wrapBits(loihiDecay(u[i] as number, p.du + 1, p.decayBits) + qi, S);
      u[i] = ui;
      x = loihiDecay(v[i] as number, p.dv, p.decayBits) + ui + (bias[i] as number);
    } else if (fixedLeaky) {
      let ui = loihiDecay(u[i] as number, p.du, p.decayBits) + qi;
      ui = ui > max ? max : ui < -max ? -max : ui;
      u[i] = ui;
      x = loihiDecay(v[i] as number, p.dv, p.decayBits) + ui + (bias[i] as number);
    } else {
      x = (v[i] as number) + qi + (bias[i] as number);
    }
    x = x > max ? max : x < -max ? -max : x;
    let payload = 0;
    if (mt) {
      // ECMT: the residual is v itself, or relu(S) − E for expectation-compensated ReLU neurons.
      const r = emitted ? Math.max(x, 0) - (emitted[i] as number) : x;
      payload = mtLevel(r, vth, p.mtLevels, p.mtNegThreshold);
      const value = payload > 0 ? vth * payload : payload < 0 ? p.mtNegThreshold * payload : 0;
      if (emitted) emitted[i] = (emitted[i] as number) + value;
      else x -= value;
      if (payload < 0) payload *= p.mtNegPayload;
      else if (payload > 0 && p.mtPosPayload !== undefined) payload *= p.mtPosPayload;
    } else if (canSpike && (loihi ? x > vth : x >= vth)) {
      payload = 1;
      if (reset === "zero") x = 0;
      else if (reset === "subtract") x -= vth;
      // "two-compartment": no reset here; the self-synapse delivers −vth next step.
    }
    v[i] = x;
    if (raw !== 0 || payload !== 0) active++;
    if (clearInput) q[i] = 0;
    if (payload !== 0) {
      outIdx[k] = i - idxBase;
      outPayload[k] = payload;
      k++;
    }
  }
  if (activity) activity[0] = (activity[0] as number) + active;
  return k;
}

/** One timestep of population `p` for `batch` samples laid out [b · size + j] (reference simulator). */
/**
 * stepRange for integrate-and-fire neurons without decay (Loihi with du = 2^D − 1, dv = 0; or fixed-if): the
 * same arithmetic with the per-neuron branches on the rule taken out of the loop. Integer state, so the
 * strict Loihi threshold x > vth is x ≥ vth + 1, and the resets are x·keep − vth·sub.
 */
function stepIf(
  v: Float64Array, u: Float64Array, q: Float64Array, bias: Float64Array, start: number, end: number,
  outIdx: Int32Array, outPayload: Int32Array, count: number, idxBase: number, activity: Int32Array | null,
  clearInput: boolean, vth: number, S: number, loihi: boolean, reset: ResetRule, qBits: number,
): number {
  const max = 2 ** (S - 1) - 1;
  const half = 2 ** (S - 1);
  const qHalf = qBits > 0 ? 2 ** (qBits - 1) : Infinity;
  const fire = loihi ? vth + 1 : vth;
  const keep = reset === "zero" ? 0 : 1;
  const sub = reset === "subtract" ? vth : 0;
  let k = count;
  let active = 0;
  if (loihi && clearInput) {
    // The emulator's case, with the flags taken out of the loop, one range test for both wraps in the common
    // case, the activity count without a branch and the input cleared by one fill after the loop.
    const lim = Math.min(qHalf, half);
    for (let i = start; i < end; i++) {
      let qi = q[i] as number;
      const received = qi !== 0 ? 1 : 0;
      // q wraps at the input width, u at S bits (two's complement); the common case needs neither.
      if (qi < -lim || qi >= lim) {
        if (qi < -qHalf || qi >= qHalf) qi = wrapBits(qi, qBits);
        if (qi < -half || qi >= half) qi = wrapBits(qi, S);
      }
      u[i] = qi;
      let x = (v[i] as number) + qi + (bias[i] as number);
      x = x > max ? max : x < -max ? -max : x;
      if (x >= fire) {
        v[i] = x * keep - sub;
        outIdx[k] = i - idxBase;
        outPayload[k] = 1;
        k++;
        active++;
      } else {
        v[i] = x;
        active += received;
      }
    }
    q.fill(0, start, end);
    if (activity) activity[0] = (activity[0] as number) + active;
    return k;
  }
  for (let i = start; i < end; i++) {
    const raw = q[i] as number;
    let qi = raw;
    if (loihi) {
      // q wraps at the input width, u at S bits (two's complement); the common case needs neither.
      if (qi < -qHalf || qi >= qHalf) qi = wrapBits(qi, qBits);
      if (qi < -half || qi >= half) qi = wrapBits(qi, S);
      u[i] = qi;
    }
    let x = (v[i] as number) + qi + (bias[i] as number);
    x = x > max ? max : x < -max ? -max : x;
    if (x >= fire) {
      v[i] = x * keep - sub;
      outIdx[k] = i - idxBase;
      outPayload[k] = 1;
      k++;
      active++;
    } else {
      v[i] = x;
      if (raw !== 0) active++;
    }
    if (clearInput) q[i] = 0;
  }
  if (activity) activity[0] = (activity[0] as number) + active;
  return k;
}

export function stepPopulation(
  p: IntPopulationParams, s: IntState, q: Float64Array, batch: number,
  outIdx: Int32Array, outPayload: Int32Array, outCount: Int32Array, stride: number,
  biasOverride: Float64Array | null,
): void {
  const n = p.size;
  const bias = biasOverride ?? perNeuronBias(p, batch);
  for (let b = 0; b < batch; b++) {
    outCount[b] = stepRange(p, s.v, s.u, s.emitted, q, bias, b * n, (b + 1) * n, outIdx, outPayload, b * stride, b * n) - b * stride;
  }
}

const biasCache = new WeakMap<IntPopulationParams, Float64Array>();

/** The per-channel bias expanded to every neuron of `batch` samples (cached per population). */
function perNeuronBias(p: IntPopulationParams, batch: number): Float64Array {
  const cached = biasCache.get(p);
  if (cached && cached.length >= batch * p.size) return cached;
  const out = new Float64Array(batch * p.size);
  for (let i = 0; i < out.length; i++) out[i] = p.bias[(i % p.size) % p.channels] as number;
  biasCache.set(p, out);
  return out;
}

/** Multi-threshold level: +2^k for the largest k < levels with v ≥ vth·2^k − vth/2 (integer halving floors),
 * −2^k on the negative side with θn, 0 when neither fires. */
export function mtLevel(v: number, vth: number, levels: number, negTh: number): number {
  // The levels' thresholds grow with k, so the largest level that fires is found going up from 2^0 (most
  // spikes are of the lowest levels); products of integers below 2^53, exact.
  const top = 2 ** (levels - 1);
  const half = Math.floor(vth / 2);
  if (v >= vth - half) {
    let lvl = 1;
    while (lvl < top && v >= vth * (lvl * 2) - half) lvl *= 2;
    return lvl;
  }
  if (negTh > 0) {
    const nh = Math.floor(negTh / 2);
    if (-v >= negTh - nh) {
      let lvl = 1;
      while (lvl < top && -v >= negTh * (lvl * 2) - nh) lvl *= 2;
      return -lvl;
    }
  }
  return 0;
}
