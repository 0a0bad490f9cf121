/**
 * @fileoverview Normalisation: RawSnn + per-population scales → SnnGraph (normalised weights, delays, depth,
 * initial membranes).
 *
 * A population D with threshold θ_D[c] (ANN pre-activation units) fed by S whose spike stands for σ_S[c]
 * (ANN activation units) gets weights w · σ_S[c_in] / θ_D[c_out] and bias b[c] / θ_D[c]: one threshold of D
 * is 1 in the normalised units. This is threshold balancing / data-based weight normalisation (Rueckauer et
 * al. 2017; SpKeras' current normalisation) in one rule that also covers per-channel scales and Add (every
 * operand of an Add is scaled into the one output scale of the population after it).
 * Depth: input 0, else max over inputs of depth(source) + 1; delay = depth(D) - depth(S), so every path into
 * a population arrives aligned. Pre-window bias (see ir/snn.ts timing semantics): a neuron integrates its bias
 * from step 0 but its input arrives at step `depth`. A positive bias is cancelled in the initial membrane,
 * vInit[c] = v0 - depth * bias[c] (the membrane starts negative and reaches v0 at `depth`). A negative bias on a
 * neuron that fires cannot be cancelled that way: vInit = v0 + depth·|bias| would exceed the threshold and the
 * neuron would fire spurious spikes before its window (each one losing a threshold of charge and reaching the
 * next layers as false input), which ruined deep BN-folded networks at small T (ResNet-20: 11% at T = 32).
 * Instead such a bias is spread over the whole run: bias' = bias · T / (T + depth) with vInit = v0, so the
 * membrane only falls before the window and the charge at the window's end is again v0 + T·bias + inputs
 * (exact for the compile's T; a readout at another T' is off by depth·bias·(T − T')/(T + depth)).
 * Invariant: every PopParams vector (threshold, spikeValue) has one entry per channel of its population.
 */
import type { Connectivity, InputEncoding, NeuronModel, Population, Projection, SnnGraph } from "../ir/snn.ts";
import type { RawPop, RawSnn } from "./lower.ts";

export interface PopParams {
  readonly threshold: Float32Array;
  readonly spikeValue: Float32Array;
  readonly neuron: NeuronModel;
  /** Normalised initial membrane before the pre-charge correction (0.5 = half threshold). */
  readonly v0: number;
}

export interface NormaliseOptions {
  readonly method: string;
  readonly encoding: InputEncoding;
  readonly seed: number;
  /** The compile's T: negative biases of firing neurons are spread over T + depth steps (header). */
  readonly timesteps: number;
}

/** Populations in an order where every source comes before its consumers. */
export function topologicalPops(pops: readonly RawPop[]): RawPop[] {
  const byId = new Map(pops.map((p) => [p.id, p]));
  const done = new Set<number>();
  const out: RawPop[] = [];
  const visit = (p: RawPop, stack: Set<number>): void => {
    if (done.has(p.id)) return;
    if (stack.has(p.id)) throw new Error(`internal: population cycle at ${p.name}`);
    stack.add(p.id);
    for (const t of p.terms) visit(byId.get(t.source) as RawPop, stack);
    stack.delete(p.id);
    done.add(p.id);
    out.push(p);
  };
  for (const p of pops) visit(p, new Set());
  return out;
}

/** A population's normalised bias and initial membrane (header: pre-window bias) from its raw bias, its
 * parameters, channels C, depth d and the compile's T. */
export function normaliseBias(raw: Float32Array | null, pp: PopParams, C: number, d: number, T: number): { bias: Float32Array | null; vInit: Float32Array } {
  const bias = raw ? raw.map((b, c) => b / (pp.threshold[c % pp.threshold.length] as number)) : null;
  const vInit = new Float32Array(C);
  const fires = pp.neuron.kind === "if" || pp.neuron.kind === "countReadout";
  for (let c = 0; c < C; c++) {
    const b = bias ? (bias[c] as number) : 0;
    if (bias && fires && b < 0 && d > 0 && T > 0) {
      bias[c] = (b * T) / (T + d);
      vInit[c] = pp.v0;
    } else {
      vInit[c] = pp.v0 - d * b;
    }
  }
  return { bias, vInit };
}

export function normalise(raw: RawSnn, params: ReadonlyMap<number, PopParams>, options: NormaliseOptions): SnnGraph {
  const ordered = topologicalPops(raw.pops);
  const newId = new Map(ordered.map((p, i) => [p.id, i]));
  const depth = new Map<number, number>();
  const pops: Population[] = [];
  for (const p of ordered) {
    const pp = params.get(p.id);
    if (!pp) throw new Error(`internal: no parameters for population ${p.name}`);
    const d = p.terms.length === 0 ? 0 : Math.max(...p.terms.map((t) => (depth.get(t.source) ?? 0) + 1));
    depth.set(p.id, d);
    const C = p.shape[2];
    const inputs: Projection[] = p.terms.map((t) => {
      const sp = params.get(t.source) as PopParams;
      return {
        source: newId.get(t.source) as number,
        delay: d - (depth.get(t.source) ?? 0),
        conn: scaleConn(t.conn, sp.spikeValue, pp.threshold),
        origin: t.origin,
        ...(t.operand ? { operand: t.operand } : {}),
      };
    });
    const { bias, vInit } = normaliseBias(p.bias, pp, C, d, options.timesteps);
    pops.push({
      id: newId.get(p.id) as number, name: p.name, shape: p.shape, size: p.shape[0] * p.shape[1] * C,
      neuron: pp.neuron, bias, vInit, inputs, depth: d, spikeValue: pp.spikeValue, threshold: pp.threshold,
    });
  }
  const inputPop = newId.get(raw.input) as number;
  const inParams = params.get(raw.input) as PopParams;
  const output = newId.get(raw.output) as number;
  return {
    name: raw.name,
    method: options.method,
    populations: pops,
    input: { population: inputPop, encoding: options.encoding, gain: 1 / Math.max(...inParams.threshold), seed: options.seed },
    output,
    readoutDepth: pops[output]?.depth ?? 0,
    inputShape: raw.inputShape,
  };
}

function scaleConn(conn: Connectivity, sigma: Float32Array, theta: Float32Array): Connectivity {
  const S = sigma.length;
  const D = theta.length;
  switch (conn.kind) {
    case "dense":
      return { kind: "dense", weights: scaleDense(conn.weights, sigma, theta) };
    case "conv": {
      const g = conn.geometry;
      const k = new Float32Array(conn.kernel.length);
      for (let i = 0; i < k.length; i++) {
        const co = i % g.outC;
        const ci = Math.floor(i / g.outC) % g.inC;
        k[i] = (conn.kernel[i] as number) * (sigma[ci % S] as number) / (theta[co % D] as number);
      }
      return { ...conn, kernel: k };
    }
    case "depthwise": {
      const g = conn.geometry;
      const k = new Float32Array(conn.kernel.length);
      for (let i = 0; i < k.length; i++) {
        const o = i % g.outC; // = c * multiplier + m
        const ci = Math.floor(o / conn.multiplier);
        k[i] = (conn.kernel[i] as number) * (sigma[ci % S] as number) / (theta[o % D] as number);
      }
      return { ...conn, kernel: k };
    }
    case "avgPool":
      return { ...conn, scale: conn.scale.map((s, c) => (s * (sigma[c % S] as number)) / (theta[c % D] as number)) };
    case "maxPool":
      return conn;
    case "oneToOne":
      return { kind: "oneToOne", weights: conn.weights.map((w, c) => (w * (sigma[c % S] as number)) / (theta[c % D] as number)) };
  }
}

/** Dense weights [src, dst]. A dense projection's destination is [1, 1, n], so theta has one entry per
 * column; the source channel of row i is i mod (source channels). */
function scaleDense(src: Float32Array, sigma: Float32Array, theta: Float32Array): Float32Array {
  const cols = theta.length;
  const S = sigma.length;
  const rows = src.length / cols;
  const out = new Float32Array(src.length);
  for (let i = 0; i < rows; i++) {
    const s = sigma[i % S] as number;
    for (let j = 0; j < cols; j++) out[i * cols + j] = ((src[i * cols + j] as number) * s) / (theta[j] as number);
  }
  return out;
}
