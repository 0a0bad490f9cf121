/**
 * @fileoverview AssemblyScript source of the float SNN simulator's WebAssembly kernels (compiled by
 * compiler/build.js with asc to dist/wasm/float-snn.wasm; loaded and driven by compiler/simulate/float-kernels.ts).
 * Stage: the float SNN simulator's hot loops (compiler/simulate/scatter.ts's convolution and dense delivery,
 * float-snn.ts's integrate-and-fire update). Input: byte offsets of arrays in the instance's (imported) memory.
 * Output: the same arrays updated in place.
 *
 * Invariant: every result equals the JavaScript path's bit for bit. The JavaScript path computes in float64
 * and stores float32: a float32 sum of two float32 values rounded once (f32x4.add) is that (the float64 sum of
 * two float32 values rounded to float32 is the correctly rounded float32 sum); every other expression is
 * computed here in float64 in the JavaScript order, then demoted (round to nearest even, as a Float32Array
 * store). No allocation (runtime stub, no heap use).
 */

/** dst[k] += src[k] for k < n (float32 adds, four lanes per SIMD add). */
// @ts-ignore: decorator
@inline
function addRow(dst: usize, src: usize, n: i32): void {
  const end = dst + (<usize>n << 2);
  while (dst + 32 <= end) {
    v128.store(dst, f32x4.add(v128.load(dst), v128.load(src)));
    v128.store(dst, f32x4.add(v128.load(dst, 16), v128.load(src, 16)), 16);
    dst += 32;
    src += 32;
  }
  if (dst + 16 <= end) {
    v128.store(dst, f32x4.add(v128.load(dst), v128.load(src)));
    dst += 16;
    src += 16;
  }
  while (dst < end) {
    store<f32>(dst, load<f32>(dst) + load<f32>(src));
    dst += 4;
    src += 4;
  }
}

/** dst[k] = f32(f64(dst[k]) + p × f64(src[k])) for k < n (the JavaScript expression, two lanes per step). */
// @ts-ignore: decorator
@inline
function addRowScaled(dst: usize, src: usize, n: i32, p: f64): void {
  const end = dst + (<usize>n << 2);
  const pv = f64x2.splat(p);
  while (dst + 8 <= end) {
    const c = f64x2.promote_low_f32x4(v128.load64_zero(dst));
    const w = f64x2.promote_low_f32x4(v128.load64_zero(src));
    v128.store64_lane(dst, f32x4.demote_f64x2_zero(f64x2.add(c, f64x2.mul(pv, w))), 0);
    dst += 8;
    src += 8;
  }
  while (dst < end) {
    store<f32>(dst, <f32>(<f64>load<f32>(dst) + p * <f64>load<f32>(src)));
    dst += 4;
    src += 4;
  }
}

/**
 * Dense delivery for a batch of B samples (scatter.ts's "dense" case): sample b's spikes are
 * (idx, val)[b × stride + k] for k < n[b]; spike (i, p) adds p × w[i × cols + j] to current[b × cols + j].
 * Returns the synaptic events.
 */
export function scatterDense(idx: usize, val: usize, nArr: usize, stride: i32, B: i32, current: usize, w: usize, cols: i32): f64 {
  let events: f64 = 0;
  for (let b: i32 = 0; b < B; b++) {
    const base = <usize>(b * stride) << 2;
    const ob = current + (<usize>(b * cols) << 2);
    const n = load<i32>(nArr + (<usize>b << 2));
    for (let k: i32 = 0; k < n; k++) {
      const i = load<i32>(idx + base + (<usize>k << 2));
      const p = load<f32>(val + base + (<usize>k << 2));
      const row = w + (<usize>i * <usize>cols << 2);
      if (p == 1) addRow(ob, row, cols);
      else addRowScaled(ob, row, cols, <f64>p);
    }
    events += <f64>n * <f64>cols;
  }
  return events;
}

/**
 * Convolution delivery for a batch (scatter.ts's scatterWindow, kind "conv"): input (y, x, c) reaches output
 * (oy, ox) where oy·sh − padTop + ky·dh = y (and the same in x), adding p × kernel[ky, kx, c, ·] to its outC
 * currents. Returns the synaptic events.
 */
export function scatterConv(idx: usize, val: usize, nArr: usize, stride: i32, B: i32, current: usize, dstSize: i32, kernel: usize,
  inW: i32, inC: i32, outH: i32, outW: i32, outC: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padTop: i32, padLeft: i32): f64 {
  let events: f64 = 0;
  for (let b: i32 = 0; b < B; b++) {
    const base = <usize>(b * stride) << 2;
    const ob = b * dstSize;
    const n = load<i32>(nArr + (<usize>b << 2));
    for (let s: i32 = 0; s < n; s++) {
      const i = load<i32>(idx + base + (<usize>s << 2));
      const p = load<f32>(val + base + (<usize>s << 2));
      const pix = i / inC;
      const c = i - pix * inC;
      const y = pix / inW;
      const x = pix - y * inW;
      for (let ky: i32 = 0; ky < kh; ky++) {
        const ty = y + padTop - ky * dh;
        if (ty < 0) continue;
        // Stride 1 (the common case) needs no division.
        let oy = ty;
        if (sh != 1) {
          if (ty % sh != 0) continue;
          oy = ty / sh;
        }
        if (oy >= outH) continue;
        for (let kx: i32 = 0; kx < kw; kx++) {
          const tx = x + padLeft - kx * dw;
          if (tx < 0) continue;
          let ox = tx;
          if (sw != 1) {
            if (tx % sw != 0) continue;
            ox = tx / sw;
          }
          if (ox >= outW) continue;
          const o = current + (<usize>(ob + (oy * outW + ox) * outC) << 2);
          const wb = kernel + (<usize>(((ky * kw + kx) * inC + c) * outC) << 2);
          events += <f64>outC;
          if (p == 1) addRow(o, wb, outC);
          else addRowScaled(o, wb, outC, <f64>p);
        }
      }
    }
  }
  return events;
}

/**
 * One step of integrate-and-fire neurons for a batch (float-snn.ts's update, kinds "if" and "countReadout"):
 * x = (v + I) + bias[j mod C] in float64; x ≥ 1 fires (spike (j, 1) appended, x ← 0 with reset to zero, else
 * x − 1); v ← f32(x). Spikes per sample in neuron order; n[b] set. Two neurons per SIMD step when C is even,
 * without branches: the reset is a lane select, and each lane's spike is written at the next free place
 * whether or not it fires, the count advancing only for a spike (a place at or before the neuron's own,
 * inside the sample's part of the slot; places past the count are never read).
 */
export function updateIf(v: usize, I: usize, bias: usize, C: i32, n: i32, B: i32, idx: usize, val: usize, nArr: usize, zero: i32): void {
  const one = f64x2.splat(1);
  const pairs = (C & 1) == 0;
  for (let b: i32 = 0; b < B; b++) {
    const base = <usize>(b * n) << 2;
    let k: i32 = 0;
    let c: i32 = 0;
    let j: i32 = 0;
    if (pairs) {
      for (; j < n; j += 2) {
        const o = base + (<usize>j << 2);
        const x = f64x2.add(
          f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(v + o)), f64x2.promote_low_f32x4(v128.load64_zero(I + o))),
          f64x2.promote_low_f32x4(v128.load64_zero(bias + (<usize>c << 2))));
        const fired = f64x2.ge(x, one);
        const reset = zero != 0 ? f64x2.splat(0) : f64x2.sub(x, one);
        v128.store64_lane(v + o, f32x4.demote_f64x2_zero(v128.bitselect(reset, x, fired)), 0);
        const bits = i64x2.bitmask(fired);
        let at = base + (<usize>k << 2);
        store<i32>(idx + at, j);
        store<f32>(val + at, 1);
        k += bits & 1;
        at = base + (<usize>k << 2);
        store<i32>(idx + at, j + 1);
        store<f32>(val + at, 1);
        k += bits >> 1;
        c += 2;
        if (c == C) c = 0;
      }
    } else {
      for (; j < n; j++) {
        const at = base + (<usize>j << 2);
        let x = <f64>load<f32>(v + at) + <f64>load<f32>(I + at) + <f64>load<f32>(bias + (<usize>c << 2));
        if (++c == C) c = 0;
        if (x >= 1) {
          x = zero != 0 ? 0 : x - 1;
          store<i32>(idx + base + (<usize>k << 2), j);
          store<f32>(val + base + (<usize>k << 2), 1);
          k++;
        }
        store<f32>(v + at, <f32>x);
      }
    }
    store<i32>(nArr + (<usize>b << 2), k);
  }
}

/**
 * Average-pool delivery for a batch (scatter.ts's scatterWindow, kind "avgPool"): input (y, x, c) adds
 * p × scale[c] × inv[oy, ox] (float64, in that order) to output (oy, ox, c) of every window holding it
 * (inv = 1 / the window's in-bounds inputs). Returns the synaptic events.
 */
export function scatterAvgPool(idx: usize, val: usize, nArr: usize, stride: i32, B: i32, current: usize, dstSize: i32, scale: usize, inv: usize,
  inW: i32, inC: i32, outH: i32, outW: i32, outC: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padTop: i32, padLeft: i32): f64 {
  let events: f64 = 0;
  for (let b: i32 = 0; b < B; b++) {
    const base = <usize>(b * stride) << 2;
    const ob = b * dstSize;
    const n = load<i32>(nArr + (<usize>b << 2));
    for (let s: i32 = 0; s < n; s++) {
      const i = load<i32>(idx + base + (<usize>s << 2));
      const p = <f64>load<f32>(val + base + (<usize>s << 2));
      const pix = i / inC;
      const c = i - pix * inC;
      const y = pix / inW;
      const x = pix - y * inW;
      const ps = p * <f64>load<f32>(scale + (<usize>c << 2));
      if (dh == 1 && dw == 1) {
        // Undilated windows: the outputs holding (y, x) are a range per axis (two divisions each instead of
        // two per tap); each gets one add, so the order over them does not matter.
        const ty = y + padTop;
        const tx = x + padLeft;
        const oy1 = min<i32>(outH - 1, ty / sh);
        const ox1 = min<i32>(outW - 1, tx / sw);
        const ox0 = (max<i32>(0, tx - kw + 1) + sw - 1) / sw;
        for (let oy = (max<i32>(0, ty - kh + 1) + sh - 1) / sh; oy <= oy1; oy++) {
          for (let ox = ox0; ox <= ox1; ox++) {
            const o = current + (<usize>(ob + (oy * outW + ox) * outC + c) << 2);
            store<f32>(o, <f32>(<f64>load<f32>(o) + ps * <f64>load<f32>(inv + (<usize>(oy * outW + ox) << 2))));
            events += 1;
          }
        }
        continue;
      }
      for (let ky: i32 = 0; ky < kh; ky++) {
        const ty = y + padTop - ky * dh;
        if (ty < 0) continue;
        // Stride 1 (the common case) needs no division.
        let oy = ty;
        if (sh != 1) {
          if (ty % sh != 0) continue;
          oy = ty / sh;
        }
        if (oy >= outH) continue;
        for (let kx: i32 = 0; kx < kw; kx++) {
          const tx = x + padLeft - kx * dw;
          if (tx < 0) continue;
          let ox = tx;
          if (sw != 1) {
            if (tx % sw != 0) continue;
            ox = tx / sw;
          }
          if (ox >= outW) continue;
          const o = current + (<usize>(ob + (oy * outW + ox) * outC + c) << 2);
          store<f32>(o, <f32>(<f64>load<f32>(o) + ps * <f64>load<f32>(inv + (<usize>(oy * outW + ox) << 2))));
          events += 1;
        }
      }
    }
  }
  return events;
}

/** Largest |v| and |input + bias| seen so far. */
let rangeV: f64 = 0;
let rangeInput: f64 = 0;

export function lastRangeV(): f64 {
  return rangeV;
}

export function lastRangeInput(): f64 {
  return rangeInput;
}

/**
 * float-snn.ts's trackRanges over [0, count) neurons of C channels: input = I + bias[j mod C] (float64), the
 * largest |input| and |v + input| folded into mv and mi (read back with lastRangeV / lastRangeInput).
 */
export function trackRanges(v: usize, I: usize, bias: usize, C: i32, count: i32, mv: f64, mi: f64): void {
  let c: i32 = 0;
  let j: i32 = 0;
  if ((C & 1) == 0) {
    // Two lanes: pmax(m, a) = m < a ? a : m, the scalar rule's; the lanes' maxima are folded the same way.
    let mv2 = f64x2.splat(mv);
    let mi2 = f64x2.splat(mi);
    for (; j < count; j += 2) {
      const at = <usize>j << 2;
      const input = f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(I + at)), f64x2.promote_low_f32x4(v128.load64_zero(bias + (<usize>c << 2))));
      c += 2;
      if (c == C) c = 0;
      mi2 = f64x2.pmax(mi2, f64x2.abs(input));
      mv2 = f64x2.pmax(mv2, f64x2.abs(f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(v + at)), input)));
    }
    for (let l: i32 = 0; l < 2; l++) {
      const a = l == 0 ? f64x2.extract_lane(mi2, 0) : f64x2.extract_lane(mi2, 1);
      if (a > mi) mi = a;
      const w = l == 0 ? f64x2.extract_lane(mv2, 0) : f64x2.extract_lane(mv2, 1);
      if (w > mv) mv = w;
    }
  }
  for (; j < count; j++) {
    const at = <usize>j << 2;
    const input = <f64>load<f32>(I + at) + <f64>load<f32>(bias + (<usize>c << 2));
    if (++c == C) c = 0;
    const a = abs<f64>(input);
    if (a > mi) mi = a;
    const w = abs<f64>(<f64>load<f32>(v + at) + input);
    if (w > mv) mv = w;
  }
  rangeV = mv;
  rangeInput = mi;
}

/** A step's spikes counted: counts[b × size + i] += p for every spike (i, p) of sample b (float32 adds). */
export function addCounts(idx: usize, val: usize, nArr: usize, stride: i32, B: i32, counts: usize, size: i32): void {
  for (let b: i32 = 0; b < B; b++) {
    const base = <usize>(b * stride) << 2;
    const cb = counts + (<usize>(b * size) << 2);
    const n = load<i32>(nArr + (<usize>b << 2));
    for (let k: i32 = 0; k < n; k++) {
      const at = cb + (<usize>load<i32>(idx + base + (<usize>k << 2)) << 2);
      store<f32>(at, load<f32>(at) + load<f32>(val + base + (<usize>k << 2)));
    }
  }
}

/**
 * The input population's step under current encoding for a batch, for integrate-and-fire input populations only
 * (float-snn.ts calls it when the population is not multi-threshold; ecmt and mt inputs take emitInput's
 * multi-threshold rule): x = v + pixel × gain
 * in float64; x ≥ 1 fires (spike (j, 1) appended; x ← 0 with reset to zero, else x − 1); v ← f32(x). With
 * `ranges`, then folds max(|pixel × gain|) and max(|v| + |pixel × gain|) (the new v) into mi and mv (float-snn.ts's input
 * ranges: f64.max is Math.max on these non-negative values), read back with lastRangeV / lastRangeInput.
 */
export function emitCurrent(v: usize, pixels: usize, gain: f64, n: i32, B: i32, idx: usize, val: usize, nArr: usize, zero: i32, ranges: i32, mv: f64, mi: f64): void {
  for (let b: i32 = 0; b < B; b++) {
    const base = <usize>(b * n) << 2;
    let k: i32 = 0;
    for (let j: i32 = 0; j < n; j++) {
      const at = base + (<usize>j << 2);
      let x = <f64>load<f32>(v + at) + <f64>load<f32>(pixels + at) * gain;
      if (x >= 1) {
        x = zero != 0 ? 0 : x - 1;
        store<i32>(idx + base + (<usize>k << 2), j);
        store<f32>(val + base + (<usize>k << 2), 1);
        k++;
      }
      store<f32>(v + at, <f32>x);
    }
    store<i32>(nArr + (<usize>b << 2), k);
  }
  if (ranges != 0) {
    const count = n * B;
    for (let i: i32 = 0; i < count; i++) {
      const at = <usize>i << 2;
      const a = abs<f64>(<f64>load<f32>(pixels + at) * gain);
      mi = max<f64>(mi, a);
      mv = max<f64>(mv, abs<f64>(<f64>load<f32>(v + at)) + a);
    }
    rangeV = mv;
    rangeInput = mi;
  }
}
