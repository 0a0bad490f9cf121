/**
 * @fileoverview Integer neuron models of the targets: the one implementation run by the reference integer
 * simulator (compiler/simulate/int-snn.ts) and by the emulator (runtime/emulator). Integer maths only; every
 * overflow rule is named (`wrap24`, `saturate`).
 *
 * loihi-cuba (Intel Loihi CUBA LIF; hardware.md §2, Lava PyLifModelBitAcc, nengo-loihi emulator):
 *   u ← wrapS(decay(u, du + 1) + q)                 q = this step's synaptic input, in state units
 *   v ← saturateS(decay(v, dv) + u + bias)          bias = mantissa · 2^exponent (applied every step)
 *   spike when v > vth strictly (vth = mantissa << 6)
 *   decay(x, d) = sign(x) · ((|x| · (4096 − d)) >> 12), i.e. truncation toward zero; the current's decay has
 *   the hardware's offset of 1 (du = 0 still decays by 1/4096), the voltage's none. S = 24 bits: u wraps at
 *   24 bits (two's complement), v saturates at ±(2^23 − 1).
 *   reset: zero (Loihi's native rule, v ← 0, u kept), subtract (Loihi 2 microcode: v ← v − vth), or
 *   two-compartment subtract (Loihi 1, NxTF): the dendrite keeps integrating and a self-synapse of weight
 *   −vth delivers the subtraction one step after the spike: v(t) = sat(decay(v) + u + bias − vth·s(t−1)).
 * fixed-if (SpiNNaker s16.15 `accum` integrate-and-fire):
 *   v ← saturate32(v + q + bias); spike when v ≥ θ; reset v ← 0 or v ← v − θ.
 * Multi-threshold (ECMT) neurons fire the largest level θ·2^k (k < levels) with v ≥ θ·2^k − θ/2 (graded
 * payload 2^k), or the negative level θn·2^k with −v ≥ θn·2^k − θn/2 (payload −2^k·nScale), and subtract it.
 */

export const MODEL_LOIHI_CUBA = 1;
export const MODEL_FIXED_IF = 2;

export const KIND_IF = 0;
export const KIND_MT = 1;
export const KIND_READOUT = 2;
export const KIND_COUNT_READOUT = 3;
export const KIND_MAX_GATE = 4;
export const KIND_INPUT = 5;

export const RESET_ZERO = 0;
export const RESET_SUBTRACT = 1;
export const RESET_TWO_COMPARTMENT = 2;

/** Integer parameters of one population, as stored in the placement binary. */
export interface IntPopulationParams {
  readonly model: number;
  readonly kind: number;
  readonly reset: number;
  readonly size: number;
  readonly channels: number;
  /** State width S (24 for Loihi, 32 for s16.15). */
  readonly stateBits: number;
  /** Effective threshold in state units (Loihi: vthMant << 6; fixed-if: θ raw). */
  readonly threshold: number;
  /** Current and voltage decays (Loihi, 12-bit); 0 for fixed-if. */
  readonly du: number;
  readonly dv: number;
  /** Effective bias per channel in state units (mantissa · 2^exp already applied). */
  readonly bias: Int32Array;
  /** Initial v per channel. */
  readonly vInit: Int32Array;
  /** Multi-threshold: levels and the negative base threshold (0 = no negative side) and its payload scale. */
  readonly mtLevels: number;
  readonly mtNegThreshold: number;
  readonly mtNegPayload: number;
}

export function wrapBits(x: number, bits: number): number {
  const m = 2 ** bits;
  const half = 2 ** (bits - 1);
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

/** Loihi decay: sign(x) · ((|x| · (4096 − d)) >> 12), truncation toward zero, exact in float64. */
export function loihiDecay(x: number, d: number): number {
  if (x === 0) return 0;
  const t = Math.floor((Math.abs(x) * (4096 - d)) / 4096);
  return x < 0 ? -t : t;
}

/** Per-population state: v (and u for Loihi), last step's spikes (two-compartment reset). */
export interface IntState {
  readonly v: Float64Array;
  readonly u: Float64Array;
  readonly spiked: Uint8Array;
}

export function newIntState(p: IntPopulationParams, batch: number): IntState {
  const n = p.size * batch;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = p.vInit[(i % p.size) % p.channels] as number;
  return { v, u: new Float64Array(n), spiked: new Uint8Array(n) };
}

/**
 * One timestep of `p` for `batch` samples. `q` holds each neuron's synaptic input sum (state units, exact
 * integers) and is left untouched. `biasOverride` (input populations) gives a per-neuron bias for each
 * sample. Spikes are written to (outIdx, outPayload) at b·stride and their count per sample to outCount.
 */
export function stepPopulation(
  p: IntPopulationParams, s: IntState, q: Float64Array, batch: number,
  outIdx: Int32Array, outPayload: Int32Array, outCount: Int32Array, stride: number,
  biasOverride: Float64Array | null,
): void {
  const n = p.size;
  const C = p.channels;
  const v = s.v;
  const u = s.u;
  const spiked = s.spiked;
  const vth = p.threshold;
  const S = p.stateBits;
  const loihi = p.model === MODEL_LOIHI_CUBA;
  const canSpike = p.kind !== KIND_READOUT;
  for (let b = 0; b < batch; b++) {
    let k = 0;
    const base = b * n;
    const ob = b * stride;
    for (let j = 0; j < n; j++) {
      const i = base + j;
      const bias = biasOverride ? (biasOverride[i] as number) : (p.bias[j % C] as number);
      let x: number;
      if (loihi) {
        // u: decay with the hardware's offset of 1, add the input, wrap at S bits.
        const ui = wrapBits(loihiDecay(u[i] as number, p.du + 1) + (q[i] as number), S);
        u[i] = ui;
        let vin = loihiDecay(v[i] as number, p.dv) + ui + bias;
        if (p.reset === RESET_TWO_COMPARTMENT && spiked[i]) vin -= vth; // NxTF self-synapse, one step late
        x = saturate(vin, S);
      } else {
        x = saturate((v[i] as number) + (q[i] as number) + bias, S);
      }
      let payload = 0;
      if (canSpike) {
        if (p.kind === KIND_MT) {
          payload = mtLevel(x, vth, p.mtLevels, p.mtNegThreshold);
          if (payload > 0) x -= vth * payload;
          else if (payload < 0) x += p.mtNegThreshold * -payload;
          if (payload < 0) payload *= p.mtNegPayload;
        } else if (loihi ? x > vth : x >= vth) {
          payload = 1;
          if (p.reset === RESET_ZERO) x = 0;
          else if (p.reset === RESET_SUBTRACT) x -= vth;
        }
      }
      v[i] = x;
      spiked[i] = payload !== 0 ? 1 : 0;
      if (payload !== 0) {
        outIdx[ob + k] = j;
        outPayload[ob + k] = payload;
        k++;
      }
    }
    outCount[b] = k;
  }
}

/** Multi-threshold level: +2^k for the largest k < levels with v ≥ vth·2^k − vth/2 (integer halving floors),
 * −2^k on the negative side with θn, 0 when neither fires. */
export function mtLevel(v: number, vth: number, levels: number, negTh: number): number {
  const half = Math.floor(vth / 2);
  if (v >= vth - half) {
    let k = levels - 1;
    while (k > 0 && v < vth * 2 ** k - half) k--;
    return 2 ** k;
  }
  if (negTh > 0) {
    const nh = Math.floor(negTh / 2);
    if (-v >= negTh - nh) {
      let k = levels - 1;
      while (k > 0 && -v < negTh * 2 ** k - nh) k--;
      return -(2 ** k);
    }
  }
  return 0;
}
