/**
 * @fileoverview Weight quantisation of one projection: float normalised weights × scale S → integer
 * mantissas in a format (sign mode, shifts), with error statistics for the quantisation report.
 */
import { roundHalfAway } from "../../runtime/input.ts";
import type { QConnectivity, SignMode } from "../ir/quantised.ts";
import type { Connectivity } from "../ir/snn.ts";

export interface WeightFormat {
  readonly signMode: SignMode;
  /** effective = mantissa · 2^shift (positive / negative mantissas). */
  readonly posShift: number;
  readonly negShift: number;
  readonly weightExponent: number | null;
  readonly maxMantissa: number;
  /** Mantissas must be even (Loihi mixed sign mode). */
  readonly even: boolean;
}

export interface WeightStats {
  readonly maxAbsError: number;
  readonly relRmsError: number;
  readonly zeroed: number;
  readonly halfStep: number;
}

/** The float weights of a connectivity (avgPool: its per-channel scales, the largest weight of a window of 1). */
export function connWeights(conn: Connectivity): Float32Array | null {
  switch (conn.kind) {
    case "dense":
    case "oneToOne":
      return conn.weights;
    case "conv":
    case "depthwise":
      return conn.kernel;
    case "avgPool":
      return conn.scale;
    case "maxPool":
      return null;
  }
}

class ErrorTally {
  private sumSq = 0;
  private sumW = 0;
  private maxErr = 0;
  private nonzero = 0;
  private zeroed = 0;

  constructor(private readonly S: number) {}

  add(w: number, effective: number): void {
    const e = Math.abs(effective / this.S - w);
    if (e > this.maxErr) this.maxErr = e;
    this.sumSq += e * e;
    this.sumW += w * w;
    if (w !== 0) {
      this.nonzero++;
      if (effective === 0) this.zeroed++;
    }
  }

  stats(halfStep: number): WeightStats {
    return {
      maxAbsError: this.maxErr,
      relRmsError: this.sumW > 0 ? Math.sqrt(this.sumSq / this.sumW) : 0,
      zeroed: this.nonzero > 0 ? this.zeroed / this.nonzero : 0,
      halfStep,
    };
  }
}

export function quantiseWeight(x: number, fmt: WeightFormat): number {
  const shift = x < 0 ? fmt.negShift : fmt.posShift;
  const y = x / 2 ** shift;
  let m = fmt.even ? 2 * roundHalfAway(y / 2) : roundHalfAway(y);
  // Mixed sign (even mantissas): -256..254 for an 8-bit field; otherwise ±maxMantissa.
  const lowest = fmt.even ? -(fmt.maxMantissa + 2) : -fmt.maxMantissa;
  if (m > fmt.maxMantissa) m = fmt.maxMantissa;
  if (m < lowest) m = lowest;
  if (fmt.signMode === "excitatory" && m < 0) m = 0;
  if (fmt.signMode === "inhibitory" && m > 0) m = 0;
  return m;
}

function effective(m: number, fmt: WeightFormat): number {
  return m * 2 ** (m < 0 ? fmt.negShift : fmt.posShift);
}

function quantiseArray(w: Float32Array, S: number, fmt: WeightFormat, tally: ErrorTally): Int32Array {
  const out = new Int32Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const x = w[i] as number;
    const m = quantiseWeight(x * S, fmt);
    out[i] = m;
    tally.add(x, effective(m, fmt));
  }
  return out;
}

export function quantiseConn(conn: Connectivity, S: number, fmt: WeightFormat): { conn: QConnectivity; stats: WeightStats } {
  const tally = new ErrorTally(S);
  const halfStep = 2 ** Math.max(fmt.posShift, fmt.negShift) * (fmt.even ? 1 : 0.5) / S;
  switch (conn.kind) {
    case "dense":
      return { conn: { kind: "dense", weights: quantiseArray(conn.weights, S, fmt, tally) }, stats: tally.stats(halfStep) };
    case "oneToOne":
      return { conn: { kind: "oneToOne", weights: quantiseArray(conn.weights, S, fmt, tally) }, stats: tally.stats(halfStep) };
    case "conv":
      return { conn: { kind: "conv", geometry: conn.geometry, kernel: quantiseArray(conn.kernel, S, fmt, tally) }, stats: tally.stats(halfStep) };
    case "depthwise":
      return { conn: { kind: "depthwise", geometry: conn.geometry, kernel: quantiseArray(conn.kernel, S, fmt, tally), multiplier: conn.multiplier }, stats: tally.stats(halfStep) };
    case "avgPool": {
      const g = conn.geometry;
      const window = g.kh * g.kw;
      const table = new Int32Array(g.inC * (window + 1));
      for (let c = 0; c < g.inC; c++) {
        for (let n = 1; n <= window; n++) {
          const x = (conn.scale[c] as number) / n;
          const m = quantiseWeight(x * S, fmt);
          table[c * (window + 1) + n] = m;
          tally.add(x, effective(m, fmt));
        }
      }
      return { conn: { kind: "avgPool", geometry: g, table }, stats: tally.stats(halfStep) };
    }
    case "maxPool":
      return { conn: { kind: "maxPool", geometry: conn.geometry }, stats: tally.stats(0) };
  }
}
