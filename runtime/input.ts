/**
 * @fileoverview How input pixels enter the integer network; shared by the reference integer simulator and the
 * emulator so both turn a float pixel into the same integers.
 *
 * current encoding: each input neuron's bias is the pixel's current, quantised like any bias:
 *   x = roundHalfAway(pixel · gainScaled); bias = mantissa · 2^exponent with the smallest exponent ≤ expMax
 *   such that |mantissa| ≤ 2^(mantBits−1) − 1 (mantissa = roundHalfAway(x / 2^exponent)).
 * poisson encoding: neuron j of sample b spikes at a step when the next xorshift32 draw of the sample's
 *   generator (seed + sample index) is below floor(min(pixel · gain, 1) · 2^32).
 * graded encoding: every step, input neuron j sends one graded payload P = gradedPayload(pixel, gainScaled,
 *   payloadBits) when P ≠ 0, with gainScaled = gain · 2^fracBits:
 *   P = clamp(roundHalfAway(pixel · gainScaled), −(2^(payloadBits−1) − 1), 2^(payloadBits−1) − 1);
 *   the receiving projections divide Σ P · weight by 2^fracBits (payloadShift), rounded half away from zero.
 */

export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Smallest-exponent mantissa/exponent pair for an integer value (Loihi bias: 13-bit mantissa, exp ≤ 7). */
export function mantissaExponent(x: number, mantBits: number, expMax: number): { mantissa: number; exponent: number } {
  const max = 2 ** (mantBits - 1) - 1;
  let e = 0;
  while (e < expMax && Math.abs(roundHalfAway(x / 2 ** e)) > max) e++;
  const m = Math.max(-max, Math.min(max, roundHalfAway(x / 2 ** e)));
  return { mantissa: m, exponent: e };
}

export function inputBias(pixel: number, gainScaled: number, mantBits: number, expMax: number): number {
  const { mantissa, exponent } = mantissaExponent(roundHalfAway(pixel * gainScaled), mantBits, expMax);
  return mantissa * 2 ** exponent;
}

/** Graded input: the payload pixel j sends every step (0: nothing sent). */
export function gradedPayload(pixel: number, gainScaled: number, payloadBits: number): number {
  const max = 2 ** (payloadBits - 1) - 1;
  return Math.max(-max, Math.min(max, roundHalfAway(pixel * gainScaled)));
}

export function poissonThreshold(pixel: number, gain: number): number {
  return Math.floor(Math.min(Math.max(pixel * gain, 0), 1) * 4294967296);
}

/** xorshift32 (Marsaglia 2003): the Poisson input generator of the integer model and the emulator. */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}
