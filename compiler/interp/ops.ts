/**
 * @fileoverview Float kernels of the reference interpreter, batched over NHWC typed arrays.
 *
 * Semantics are TensorFlow's: 'same' windows pad as in ir/shape.ts; average pooling divides by the number of
 * in-bounds elements (padding is not counted); softmax is over the last axis. Accumulation is in float64, so
 * the interpreter is at least as exact as tfjs' float32 kernels. Dense and conv sum each output over its
 * nonzero inputs in input order (zeros skipped), eight outputs at a time in registers.
 */
import type { Activation, Conv2dOp, DenseOp, DepthwiseConv2dOp, PoolOp, Shape } from "../ir/ann.ts";
import { shapeSize } from "../ir/ann.ts";
import { window2d } from "../ir/shape.ts";

export function applyActivation(x: Float32Array, act: Activation, lastDim: number): void {
  switch (act) {
    case "linear":
      return;
    case "relu":
      for (let i = 0; i < x.length; i++) if ((x[i] as number) < 0) x[i] = 0;
      return;
    case "relu6":
      for (let i = 0; i < x.length; i++) x[i] = Math.min(Math.max(x[i] as number, 0), 6);
      return;
    case "softmax":
      for (let r = 0; r < x.length; r += lastDim) {
        let max = -Infinity;
        for (let j = 0; j < lastDim; j++) max = Math.max(max, x[r + j] as number);
        let sum = 0;
        for (let j = 0; j < lastDim; j++) sum += Math.exp((x[r + j] as number) - max);
        for (let j = 0; j < lastDim; j++) x[r + j] = Math.exp((x[r + j] as number) - max) / sum;
      }
      return;
    case "gelu":
      for (let i = 0; i < x.length; i++) x[i] = gelu(x[i] as number);
      return;
    case "geluTanh":
      for (let i = 0; i < x.length; i++) x[i] = geluTanh(x[i] as number);
      return;
  }
}

/** Exact GELU, x·Φ(x) = x/2·(1 + erf(x/√2)). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** GELU's tanh approximation: x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/**
 * erf(x) to about 1.2e-7 absolute: the Chebyshev-fitted complementary error function of Numerical Recipes
 * (Press et al., 3rd ed., §6.2.2, "erfc via exp of a polynomial"), coefficients as published there.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return x >= 0 ? 1 - erfc : erfc - 1;
}

/**
 * out[o + c] = f32(init(c) + Σ_e v[e] · w[off[e] + c]) for c < cols, over the gathered nonzero inputs e in
 * order: the same float64 sums, in the same order, as accumulating input by input, but with eight output
 * channels held in registers per pass over the inputs. init(c) = bias[c], or 0 without a bias.
 */
function gatheredDot(v: Float64Array, off: Int32Array, m: number, w: Float32Array, bias: Float32Array | null, cols: number, out: Float32Array, o: number): void {
  let c = 0;
  for (; c + 8 <= cols; c += 8) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    if (bias) {
      a0 = bias[c] as number; a1 = bias[c + 1] as number; a2 = bias[c + 2] as number; a3 = bias[c + 3] as number;
      a4 = bias[c + 4] as number; a5 = bias[c + 5] as number; a6 = bias[c + 6] as number; a7 = bias[c + 7] as number;
    }
    for (let e = 0; e < m; e++) {
      const x = v[e] as number;
      const r = (off[e] as number) + c;
      a0 += x * (w[r] as number); a1 += x * (w[r + 1] as number); a2 += x * (w[r + 2] as number); a3 += x * (w[r + 3] as number);
      a4 += x * (w[r + 4] as number); a5 += x * (w[r + 5] as number); a6 += x * (w[r + 6] as number); a7 += x * (w[r + 7] as number);
    }
    out[o + c] = a0; out[o + c + 1] = a1; out[o + c + 2] = a2; out[o + c + 3] = a3;
    out[o + c + 4] = a4; out[o + c + 5] = a5; out[o + c + 6] = a6; out[o + c + 7] = a7;
  }
  for (; c < cols; c++) {
    let a = bias ? (bias[c] as number) : 0;
    for (let e = 0; e < m; e++) a += (v[e] as number) * (w[(off[e] as number) + c] as number);
    out[o + c] = a;
  }
}

export function dense(op: DenseOp, x: Float32Array, batch: number, inN: number): Float32Array {
  const units = op.units;
  const out = new Float32Array(batch * units);
  const v = new Float64Array(inN);
  const off = new Int32Array(inN);
  for (let n = 0; n < batch; n++) {
    const xb = n * inN;
    let m = 0;
    for (let i = 0; i < inN; i++) {
      const xi = x[xb + i] as number;
      if (xi === 0) continue;
      v[m] = xi;
      off[m] = i * units;
      m++;
    }
    gatheredDot(v, off, m, op.kernel, op.bias, units, out, n * units);
  }
  applyActivation(out, op.activation, units);
  return out;
}

export function conv2d(op: Conv2dOp, x: Float32Array, batch: number, inShape: Shape): Float32Array {
  const g = window2d(inShape, op.kernelSize, op.strides, op.dilation, op.padding);
  const cin = inShape[2] ?? 0;
  const cout = op.filters;
  const out = new Float32Array(batch * g.outH * g.outW * cout);
  // The window's nonzero inputs in (ky, kx, ci) order, with their kernel rows.
  const v = new Float64Array(g.kh * g.kw * cin);
  const off = new Int32Array(g.kh * g.kw * cin);
  for (let n = 0; n < batch; n++) {
    const xb = n * g.inH * g.inW * cin;
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        let m = 0;
        for (let ky = 0; ky < g.kh; ky++) {
          const iy = oy * g.sh - g.padTop + ky * g.dh;
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < g.kw; kx++) {
            const ix = ox * g.sw - g.padLeft + kx * g.dw;
            if (ix < 0 || ix >= g.inW) continue;
            const xo = xb + (iy * g.inW + ix) * cin;
            const wo = (ky * g.kw + kx) * cin * cout;
            for (let ci = 0; ci < cin; ci++) {
              const xi = x[xo + ci] as number;
              if (xi === 0) continue;
              v[m] = xi;
              off[m] = wo + ci * cout;
              m++;
            }
          }
        }
        gatheredDot(v, off, m, op.kernel, op.bias, cout, out, ((n * g.outH + oy) * g.outW + ox) * cout);
      }
    }
  }
  applyActivation(out, op.activation, cout);
  return out;
}

export function depthwiseConv2d(op: DepthwiseConv2dOp, x: Float32Array, batch: number, inShape: Shape): Float32Array {
  const g = window2d(inShape, op.kernelSize, op.strides, op.dilation, op.padding);
  const cin = inShape[2] ?? 0;
  const mult = op.depthMultiplier;
  const cout = cin * mult;
  const w = op.kernel;
  const out = new Float32Array(batch * g.outH * g.outW * cout);
  const acc = new Float64Array(cout);
  for (let n = 0; n < batch; n++) {
    const xb = n * g.inH * g.inW * cin;
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        if (op.bias) for (let c = 0; c < cout; c++) acc[c] = op.bias[c] as number;
        else acc.fill(0);
        for (let ky = 0; ky < g.kh; ky++) {
          const iy = oy * g.sh - g.padTop + ky * g.dh;
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < g.kw; kx++) {
            const ix = ox * g.sw - g.padLeft + kx * g.dw;
            if (ix < 0 || ix >= g.inW) continue;
            const xo = xb + (iy * g.inW + ix) * cin;
            const wo = (ky * g.kw + kx) * cin * mult;
            for (let ci = 0; ci < cin; ci++) {
              const v = x[xo + ci] as number;
              for (let m = 0; m < mult; m++) acc[ci * mult + m] = (acc[ci * mult + m] as number) + v * (w[wo + ci * mult + m] as number);
            }
          }
        }
        out.set(acc, ((n * g.outH + oy) * g.outW + ox) * cout);
      }
    }
  }
  applyActivation(out, op.activation, cout);
  return out;
}

export function pool(op: PoolOp, x: Float32Array, batch: number, inShape: Shape): Float32Array {
  const g = window2d(inShape, op.poolSize, op.strides, [1, 1], op.padding);
  const c = inShape[2] ?? 0;
  const out = new Float32Array(batch * g.outH * g.outW * c);
  const isMax = op.kind === "maxPool";
  const acc = new Float64Array(c);
  for (let n = 0; n < batch; n++) {
    const xb = n * g.inH * g.inW * c;
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        acc.fill(isMax ? -Infinity : 0);
        let count = 0;
        for (let ky = 0; ky < g.kh; ky++) {
          const iy = oy * g.sh - g.padTop + ky;
          if (iy < 0 || iy >= g.inH) continue;
          for (let kx = 0; kx < g.kw; kx++) {
            const ix = ox * g.sw - g.padLeft + kx;
            if (ix < 0 || ix >= g.inW) continue;
            count++;
            const xo = xb + (iy * g.inW + ix) * c;
            if (isMax) for (let k = 0; k < c; k++) acc[k] = Math.max(acc[k] as number, x[xo + k] as number);
            else for (let k = 0; k < c; k++) acc[k] = (acc[k] as number) + (x[xo + k] as number);
          }
        }
        const o = ((n * g.outH + oy) * g.outW + ox) * c;
        for (let k = 0; k < c; k++) out[o + k] = isMax ? (acc[k] as number) : (acc[k] as number) / count;
      }
    }
  }
  return out;
}

export function globalAvgPool(x: Float32Array, batch: number, inShape: Shape): Float32Array {
  const [h = 0, w = 0, c = 0] = inShape;
  const out = new Float32Array(batch * c);
  const acc = new Float64Array(c);
  for (let n = 0; n < batch; n++) {
    acc.fill(0);
    const xb = n * h * w * c;
    for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) acc[k] = (acc[k] as number) + (x[xb + p * c + k] as number);
    for (let k = 0; k < c; k++) out[n * c + k] = (acc[k] as number) / (h * w);
  }
  return out;
}

export function zeroPad(x: Float32Array, batch: number, inShape: Shape, pad: readonly [readonly [number, number], readonly [number, number]]): Float32Array {
  const [h = 0, w = 0, c = 0] = inShape;
  const [[t, b], [l, r]] = pad;
  const oh = h + t + b;
  const ow = w + l + r;
  const out = new Float32Array(batch * oh * ow * c);
  for (let n = 0; n < batch; n++) {
    for (let y = 0; y < h; y++) {
      const src = ((n * h + y) * w) * c;
      const dst = ((n * oh + y + t) * ow + l) * c;
      out.set(x.subarray(src, src + w * c), dst);
    }
  }
  return out;
}

export function concat(xs: readonly Float32Array[], shapes: readonly Shape[], axis: number, batch: number, outShape: Shape): Float32Array {
  const out = new Float32Array(batch * shapeSize(outShape));
  const outer = batch * shapeSize(outShape.slice(0, axis));
  const outInner = shapeSize(outShape.slice(axis));
  let offset = 0;
  xs.forEach((x, k) => {
    const inner = shapeSize((shapes[k] ?? []).slice(axis));
    for (let o = 0; o < outer; o++) out.set(x.subarray(o * inner, (o + 1) * inner), o * outInner + offset);
    offset += inner;
  });
  return out;
}
