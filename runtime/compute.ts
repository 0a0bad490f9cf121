/**
 * @fileoverview Fixed-point ECMT compute nodes (the integer model of ir/snn.ts `compute`), for one sample and
 * one step. Integer maths only, in JS numbers kept below 2^53 (every product and sum below is bounded so; the
 * rules that keep them there are named: `clampAccum`, `clampDeviation`). A processor core would run the same
 * operations in 32/64-bit integers.
 *
 * Formats (docs/binary-format.md "compute nodes"):
 *   values     s16.15 (SpiNNaker's `accum`): x = int / 2^15, saturating at ±(2^31 − 1) (`clampAccum`);
 *              S (accumulated input), E (cumulative output sent) and offsets use it; payloads: PayloadFormat
 *   GELU LUT   GELU_LUT_SIZE + 1 entries, s16.15, x = −8 … 8 in steps of 1/32, linear interpolation;
 *              x ≥ 8 → x, x < −8 → 0
 *   exp LUT    EXP_LUT_SIZE + 1 entries, u1.30, exp(x) for x = −16 … 0 in steps of 1/16, interpolated;
 *              x < −16 → 0
 *   rsqrt LUT  RSQRT_LUT_SIZE + 1 entries, u2.28, 1/sqrt(m) for m = 1/4 … 1 in steps of 1/256, interpolated
 * Rounding: `divRound` rounds half away from zero; shifts of signed values round the same way.
 * Step (EC, as the float model, simulate/compute.ts): S += input (+ offset in the window);
 *   mean = divRound(S, τ); C = τ·f(mean) (the cumulative output, s16.15);
 *   matmul: S_L, S_R accumulated; P = Σ_k S_L·S_R (exact, s.30); C = divRound(P, τ·2^15).
 * Payload (PayloadFormat: the graded packets' width and the node's payload shift p): the payload is what C
 * has gained since the last step in units of 2^(p − 15), saturated to the packet's width:
 *   payload = clamp(shiftRound(C, p) − E / 2^p, ±max); E += payload · 2^p
 * so E is the cumulative output already sent (a multiple of 2^p). Payloads telescope: after step τ the sent
 * sum is C(τ) rounded to 2^(p − 15), unless a step saturated, whose rest goes out with the next steps. With
 * p = 0 and 32-bit packets this is payload = C(τ) − C(τ−1) (s16.15) whenever no saturation occurs.
 */

export const FRAC_BITS = 15;
export const ONE = 1 << FRAC_BITS;
const ACCUM_MAX = 2 ** 31 - 1;
/** |x − mean| in LayerNorm is clamped to 2^22 (±128.0) so squares stay exact. */
const DEVIATION_MAX = 2 ** 22;

export const GELU_LUT_SIZE = 512;
export const GELU_MIN = -8;
export const GELU_STEP_SHIFT = 10; // 1/32 in s16.15 = 2^10
export const EXP_LUT_SIZE = 256;
export const EXP_STEP_SHIFT = 11; // 1/16 in s16.15 = 2^11
export const EXP_FRAC = 30;
export const RSQRT_LUT_SIZE = 192;
export const RSQRT_FRAC = 28;

/** The payloads a compute node sends: value · 2^(15 − shift), |payload| ≤ max (2^(bits − 1) − 1 of the
 * target's graded packets). */
export interface PayloadFormat {
  readonly shift: number;
  readonly max: number;
}
/** s16.15 payloads in 32-bit packets (no payload shift). */
export const PAYLOAD_S16_15: PayloadFormat = { shift: 0, max: ACCUM_MAX };

/** The format of a node's payloads: shift p (0 … FRAC_BITS) and the packets' signed width. */
export function payloadFormat(shift: number, bits: number): PayloadFormat {
  return { shift, max: 2 ** (bits - 1) - 1 };
}

/** One payload: C's gain since E (the cumulative output sent, a multiple of 2^shift), saturated; E advanced. */
function emit(cum: number, E: Float64Array, i: number, payload: Int32Array | Float64Array, f: PayloadFormat): void {
  const sent = E[i] as number;
  const d = shiftRound(cum, f.shift) - sent / 2 ** f.shift;
  const p = d > f.max ? f.max : d < -f.max ? -f.max : d;
  payload[i] = p;
  E[i] = sent + p * 2 ** f.shift;
}

export function clampAccum(x: number): number {
  return x > ACCUM_MAX ? ACCUM_MAX : x < -ACCUM_MAX ? -ACCUM_MAX : x;
}

function clampDeviation(x: number): number {
  return x > DEVIATION_MAX ? DEVIATION_MAX : x < -DEVIATION_MAX ? -DEVIATION_MAX : x;
}

/** a / b rounded half away from zero (b > 0; a, b integers). */
export function divRound(a: number, b: number): number {
  const q = Math.floor((2 * Math.abs(a) + b) / (2 * b));
  return a < 0 ? -q : q;
}

/** x / 2^s rounded half away from zero. */
export function shiftRound(x: number, s: number): number {
  return s <= 0 ? x * 2 ** -s : divRound(x, 2 ** s);
}

function interpolate(lut: Int32Array, i: number, frac: number, shift: number): number {
  const a = lut[i] as number;
  const b = lut[i + 1] as number;
  return a + shiftRound((b - a) * frac, shift);
}

export function geluFixed(x: number, lut: Int32Array): number {
  const lo = GELU_MIN * ONE;
  if (x < lo) return 0;
  const u = x - lo;
  const i = Math.floor(u / 2 ** GELU_STEP_SHIFT);
  if (i >= GELU_LUT_SIZE) return x;
  return interpolate(lut, i, u - i * 2 ** GELU_STEP_SHIFT, GELU_STEP_SHIFT);
}

/** exp(x) for x ≤ 0 in s16.15, as u1.30. */
export function expFixed(x: number, lut: Int32Array): number {
  const u = x + 16 * ONE;
  if (u < 0) return 0;
  const i = Math.min(EXP_LUT_SIZE - 1, Math.floor(u / 2 ** EXP_STEP_SHIFT));
  return interpolate(lut, i, u - i * 2 ** EXP_STEP_SHIFT, EXP_STEP_SHIFT);
}

/** 1/sqrt(v / 2^30) for v ≥ 1 (s.30), as u.28: normalise v = m·4^k with m in [2^28, 2^30), read the LUT. */
export function rsqrtFixed(v: number, lut: Int32Array): number {
  let k = 0;
  let m = v;
  while (m >= 2 ** 30) {
    m /= 4;
    k++;
  }
  while (m < 2 ** 28) {
    m *= 4;
    k--;
  }
  // m is an integer times 4^-k: keep the integer part for the index (k > 0 loses the low bits, as a shift does)
  m = Math.floor(m);
  const off = m - 2 ** 28;
  const i = Math.min(RSQRT_LUT_SIZE - 1, Math.floor(off / 2 ** 22));
  const r = interpolate(lut, i, off - i * 2 ** 22, 22);
  return shiftRound(r, k);
}

/** f of one sample's mean input (s16.15) for the single-operand operators. */
export type FixedOp =
  | { readonly kind: "sum" }
  | { readonly kind: "gelu"; readonly lut: Int32Array }
  | { readonly kind: "softmax"; readonly groupSize: number; readonly lut: Int32Array }
  | { readonly kind: "layerNorm"; readonly features: number; readonly epsilon: number; readonly gamma: Int32Array | null; readonly beta: Int32Array | null; readonly lut: Int32Array };

export function applyFixed(op: FixedOp, x: ArrayLike<number>, out: Int32Array | Float64Array): void {
  const n = out.length;
  switch (op.kind) {
    case "sum":
      for (let i = 0; i < n; i++) out[i] = clampAccum(x[i] as number);
      return;
    case "gelu":
      for (let i = 0; i < n; i++) out[i] = clampAccum(geluFixed(x[i] as number, op.lut));
      return;
    case "softmax": {
      const g = op.groupSize;
      const e = new Float64Array(g);
      for (let s = 0; s < n; s += g) {
        let m = -Infinity;
        for (let i = 0; i < g; i++) m = Math.max(m, x[s + i] as number);
        let sum = 0;
        for (let i = 0; i < g; i++) sum += (e[i] = expFixed((x[s + i] as number) - m, op.lut));
        for (let i = 0; i < g; i++) out[s + i] = divRound((e[i] as number) * ONE, sum);
      }
      return;
    }
    case "layerNorm": {
      const F = op.features;
      const d = new Float64Array(F);
      for (let s = 0; s < n; s += F) {
        let sum = 0;
        for (let i = 0; i < F; i++) sum += x[s + i] as number;
        const mean = divRound(sum, F);
        let sq = 0;
        for (let i = 0; i < F; i++) {
          const v = clampDeviation((x[s + i] as number) - mean);
          d[i] = v;
          sq += v * v;
        }
        const variance = divRound(sq, F) + op.epsilon; // s.30; epsilon already in s.30, ≥ 1
        const inv = rsqrtFixed(Math.max(1, variance), op.lut); // u.28
        for (let i = 0; i < F; i++) {
          const y = shiftRound((d[i] as number) * inv, RSQRT_FRAC); // s16.15
          const g = op.gamma ? (op.gamma[i] as number) : ONE;
          const b = op.beta ? (op.beta[i] as number) : 0;
          out[s + i] = clampAccum(shiftRound(y * g, FRAC_BITS) + b);
        }
      }
      return;
    }
  }
}

/** S[i] ← clampAccum(S[i] + input[i] (+ offset[i] inside the window)): the accumulation every compute node does
 * each step before its EC step (single-operand nodes: S; matmul: S_L and S_R, without offset). */
export function ecAccumulate(S: Int32Array | Float64Array, input: ArrayLike<number>, offset: ArrayLike<number> | null, inWindow: boolean): void {
  const n = S.length;
  for (let i = 0; i < n; i++) S[i] = clampAccum((S[i] as number) + (input[i] as number) + (inWindow && offset ? (offset[i] as number) : 0));
}

/** One EC step of a single-operand node: S already holds this step's accumulated input. */
export function ecFixedStep(op: FixedOp, tau: number, S: ArrayLike<number>, E: Float64Array, payload: Int32Array | Float64Array, mean: Float64Array, fx: Float64Array, f: PayloadFormat): void {
  const n = E.length;
  for (let i = 0; i < n; i++) mean[i] = divRound(S[i] as number, tau);
  applyFixed(op, mean, fx);
  for (let i = 0; i < n; i++) emit(clampAccum(tau * (fx[i] as number)), E, i, payload, f);
}

/** Matmul layouts as ir/snn.ts `matmul`; S_L, S_R in s16.15. */
export interface FixedMatmul {
  readonly heads: number;
  readonly rows: number;
  readonly inner: number;
  readonly cols: number;
  readonly rightTransposed: boolean;
}

/** Largest magnitude a JS number holds exactly (2^53): sums beyond it fall back to BigInt. */
const SAFE = 2 ** 53;

/** The same dot product in BigInt, divided by τ·2^15 and rounded half away from zero. */
function bigDotDivRound(op: FixedMatmul, SL: ArrayLike<number>, SR: ArrayLike<number>, m: number, h: number, n: number, tau: number): number {
  const { heads: H, inner: K, cols: N } = op;
  let acc = 0n;
  for (let k = 0; k < K; k++) {
    const r = op.rightTransposed ? (SR[n * H * K + h * K + k] as number) : (SR[k * H * N + h * N + n] as number);
    acc += BigInt(SL[m * H * K + h * K + k] as number) * BigInt(r);
  }
  const b = BigInt(tau * ONE);
  const mag = acc < 0n ? -acc : acc;
  const q = (2n * mag + b) / (2n * b);
  return Number(acc < 0n ? -q : q);
}

export function ecFixedMatmulStep(op: FixedMatmul, tau: number, SL: ArrayLike<number>, SR: ArrayLike<number>, E: Float64Array, payload: Int32Array | Float64Array, f: PayloadFormat): void {
  const { heads: H, rows: M, inner: K, cols: N } = op;
  for (let m = 0; m < M; m++) {
    for (let h = 0; h < H; h++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        let exact = true;
        for (let k = 0; k < K; k++) {
          const r = op.rightTransposed ? (SR[n * H * K + h * K + k] as number) : (SR[k * H * N + h * N + n] as number);
          const p = (SL[m * H * K + h * K + k] as number) * r;
          acc += p;
          if (Math.abs(p) >= SAFE || Math.abs(acc) >= SAFE) exact = false;
        }
        const o = m * H * N + h * N + n;
        emit(clampAccum(exact ? divRound(acc, tau * ONE) : bigDotDivRound(op, SL, SR, m, h, n, tau)), E, o, payload, f);
      }
    }
  }
}

/** Operations of a compute node's step other than its synaptic input (one MAC per synapse event, counted
 * apart), per sample: the EC update and the operator. The mapper's budget (compiler/map/compute.ts) and the
 * emulator's cycle counters (runtime/emulator/compute-nodes.ts) both use this one count. */
export interface ComputeOps {
  mac: number;
  add: number;
  lookup: number;
  divide: number;
}

export type ComputeShape =
  | { readonly kind: "sum"; readonly size: number }
  | { readonly kind: "gelu"; readonly size: number }
  | { readonly kind: "softmax"; readonly size: number; readonly groupSize: number }
  | { readonly kind: "layerNorm"; readonly size: number; readonly features: number }
  | { readonly kind: "matmul"; readonly size: number; readonly op: FixedMatmul };

export function computeOpsPerStep(s: ComputeShape): ComputeOps {
  const n = s.size;
  switch (s.kind) {
    case "matmul": {
      const o = s.op;
      const left = o.rows * o.heads * o.inner;
      const right = o.rightTransposed ? o.cols * o.heads * o.inner : o.inner * o.heads * o.cols;
      // incremental form: x·S_R + S_L·y − x·y over every output, then E = S_LR / τ
      return { mac: 3 * o.rows * o.heads * o.inner * o.cols + n, add: left + right + 2 * n, lookup: 0, divide: 1 };
    }
    case "layerNorm":
      return { mac: 4 * n, add: 4 * n, lookup: n / s.features, divide: 1 };
    case "softmax":
      return { mac: 3 * n, add: 4 * n, lookup: n, divide: n / s.groupSize + 1 };
    case "gelu":
      return { mac: 2 * n, add: 2 * n, lookup: n, divide: 1 };
    case "sum":
      // O(t) = the step's input: S(t) kept, one difference per element
      return { mac: n, add: 2 * n, lookup: 0, divide: 1 };
  }
}

/** Rows a node splits by (tokens; softmax groups; matmul output rows) and the columns of a row (the most a row
 * can be sliced into). */
export function computeRows(s: ComputeShape, tokens: number): { rows: number; columns: number } {
  switch (s.kind) {
    case "matmul": return { rows: s.op.rows, columns: s.op.heads * s.op.cols };
    case "layerNorm": return { rows: s.size / s.features, columns: s.features };
    case "softmax": return { rows: s.size / s.groupSize, columns: s.groupSize };
    case "gelu":
    case "sum": return { rows: tokens, columns: s.size / tokens };
  }
}
