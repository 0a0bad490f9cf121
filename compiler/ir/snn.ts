/**
 * @fileoverview SnnGraph: the converted spiking network in float, the output of `convert` and the input of
 * `quantise` and of the float SNN simulator.
 *
 * A list of populations (groups of neurons of one model, NHWC shape [h, w, c]; vectors are [1, 1, n]): in
 * topological order for converted ANNs; networks read from NIR may be recurrent (projections may come from a
 * later population, or from the population itself; every delay is ≥ 1, so a step never waits on itself). Each population lists its incoming projections; a projection carries the source
 * population, a synaptic delay in timesteps (≥ 1: a spike sent at step t arrives at t + delay, as on Loihi
 * and SpiNNaker) and a structured connectivity (dense matrix, convolution, pooling, one-to-one) whose weights
 * are already normalised: a neuron's threshold is 1 (in units of its own input), so `weight` is the fraction
 * of a threshold one spike adds.
 *
 * Timing semantics (shared with the integer model and the emulator):
 *   - every population has a `depth`: the step at which its first meaningful input arrives (input = 0);
 *     projection delays are chosen so that all paths into a population arrive aligned;
 *   - the input is presented constantly; a run of T timesteps executes T + D steps (D = readout depth) and
 *     the readout integrates the window [D, D + T);
 *   - biases are added every step; the conversion makes the charge at the end of a neuron's window
 *     v0 + T * bias + inputs: a positive bias is cancelled in `vInit` (v0 - depth * bias), a negative bias
 *     of a firing neuron is spread over T + depth steps with vInit = v0 (convert/normalise.ts), so no neuron
 *     fires before its window.
 */
import type { Shape } from "./ann.ts";
import type { WindowWalk } from "../../runtime/window.ts";

/** Explicit 2-D window geometry (padding resolved; zero-padding layers folded in). */
export interface WindowGeometry extends WindowWalk {
  readonly inC: number;
  readonly outH: number;
  readonly outW: number;
  readonly outC: number;
}

export type Connectivity =
  /** weights [srcSize, dstSize], row = source neuron (NHWC flat), column = target neuron. */
  | { readonly kind: "dense"; readonly weights: Float32Array }
  /** kernel [kh, kw, inC, outC]; source is the [inH, inW, inC] population, padded by the geometry; the
   * outputs are the first outH·outW·outC neurons (flat NHWC) of the target, which may have more (ecmt: the
   * patch embedding fills the patch tokens of a sequence whose class token comes last). */
  | { readonly kind: "conv"; readonly geometry: WindowGeometry; readonly kernel: Float32Array }
  /** kernel [kh, kw, inC, multiplier]; output channel = c * multiplier + m. */
  | { readonly kind: "depthwise"; readonly geometry: WindowGeometry; readonly kernel: Float32Array; readonly multiplier: number }
  /** Average pooling as a linear map: each in-bounds input of channel c in the window adds
   * `scale[c] / count(window)`; outC = inC. */
  | { readonly kind: "avgPool"; readonly geometry: WindowGeometry; readonly scale: Float32Array }
  /** Max pooling (only into `maxGate` populations). */
  | { readonly kind: "maxPool"; readonly geometry: WindowGeometry }
  /** Source neuron i drives target neuron i with weight[channel of i] (identity shortcuts, per-channel scale). */
  | { readonly kind: "oneToOne"; readonly weights: Float32Array };

export type ConnectivityKind = Connectivity["kind"];

/**
 * Which operand of a two-operand compute node (a product of two spiking tensors) a projection feeds; absent on
 * every other projection.
 */
export type Operand = "left" | "right";

export interface Projection {
  readonly source: number;
  /** Operand tag: set on (and only on) the projections into a `compute` population whose op is `matmul`. */
  readonly operand?: Operand;
  readonly delay: number;
  readonly conn: Connectivity;
  /** The ANN node the weights came from, for messages and reports. */
  readonly origin: string;
}

export type ResetMode = "subtract" | "zero";

export type NeuronModel =
  /** Integrate-and-fire: v += I; spike when v >= 1 (normalised threshold); reset by subtraction or to 0. */
  | { readonly kind: "if"; readonly reset: ResetMode }
  /**
   * ECMT multi-threshold neuron: levels ±2^k (k = 0..levels-1) of the positive threshold 1 and of
   * `negThreshold` on the negative side (0: none); fires at most one graded spike per step, the largest level
   * λ with r >= λ - 1/2 (r <= -(λ - θn/2) on the negative side), and subtracts it, where r is the residual:
   *   relu = false: r = v, the input accumulated minus what was fired (a signed quantiser);
   *   relu = true:  r = relu(S) - E with S the cumulative input and E the cumulative output: ECMT's
   *                 expectation compensation applied to ReLU (t·relu(S/t) = relu(S)), so the cumulative output
   *                 tracks the ANN's relu of the cumulative input and early spikes are corrected by negative ones.
   * Spike payload = ±λ.
   */
  | { readonly kind: "mt"; readonly levels: number; readonly negThreshold: number; readonly relu: boolean }
  /** Non-spiking readout: v integrates its input; scores = v at the end of the window. */
  | { readonly kind: "readout" }
  /** Spike-count readout: IF neurons whose spikes in the window are counted. */
  | { readonly kind: "countReadout"; readonly reset: ResetMode }
  /** Spiking max-pool gate: passes through, each step, the spikes of the window input with the largest
   * accumulated spike count so far (ties: first in window order). */
  | { readonly kind: "maxGate" }
  /**
   * ECMT compute node (not a neuron: it runs on a processor core). Every step τ = t − depth + 1 ≥ 1 of its
   * window it accumulates its input S(τ) = Σ inputs + offset (operand-wise for `matmul`) and emits the
   * expectation-compensated output as graded payloads (one per element, in ANN units, 0 = no payload):
   *   O(τ) = τ·f(S(τ)/τ) − (τ−1)·f(S(τ−1)/(τ−1))          (layerNorm, gelu, softmax, sum)
   *   O(τ) = S_L(τ)·S_R(τ)/τ − S_L(τ−1)·S_R(τ−1)/(τ−1)      (matmul of the two operands)
   * so the cumulative output is τ times f of the mean input. Its threshold and spike value are 1 (inputs and
   * payloads are ANN values); input arriving before the window is accumulated into S as well.
   */
  | ComputeNeuron;

/** Operators a compute node evaluates, each with its shape parameters (element layout NHWC flat). */
export type ComputeOp =
  /** LayerNorm over groups of `features` consecutive elements: (x − mean)/sqrt(var + epsilon)·gamma + beta. */
  | { readonly kind: "layerNorm"; readonly features: number; readonly epsilon: number; readonly gamma: Float32Array | null; readonly beta: Float32Array | null }
  /** Elementwise GELU: exact x·Φ(x), or the tanh approximation. */
  | { readonly kind: "gelu"; readonly approximate: boolean }
  /** Softmax over groups of `groupSize` consecutive elements. */
  | { readonly kind: "softmax"; readonly groupSize: number }
  /** The sum of its inputs, f = identity (a residual Add read by several layers, computed once): the EC step
   * then emits each step's input, O(τ) = S(τ) − S(τ−1). */
  | { readonly kind: "sum" }
  /**
   * Per-head product of two operands. Left operand [rows, heads·inner] (element (m, h·inner + k)); right
   * operand [cols, heads·inner] when `rightTransposed` (Q·Kᵀ: element (n, h·inner + k)), else
   * [inner, heads·cols] (A·V: element (k, h·cols + n)); output [rows, heads·cols], element (m, h·cols + n).
   */
  | { readonly kind: "matmul"; readonly heads: number; readonly rows: number; readonly inner: number; readonly cols: number; readonly rightTransposed: boolean };

export type ComputeOpKind = ComputeOp["kind"];

export interface ComputeNeuron {
  readonly kind: "compute";
  readonly op: ComputeOp;
  /** Constant input added every window step, per element (biases, position embedding, class token); null = 0. */
  readonly offset: Float32Array | null;
}

export type NeuronKind = NeuronModel["kind"];

/**
 * Leak of a population (spiking networks read from NIR; absent = a perfect integrator, as conversion makes).
 * Each step, in this order (forward Euler of NIR's equations, docs/nir.md):
 *   i ← iKeep · i + input          (the synaptic current; iKeep = 0: i is this step's input, no current state)
 *   v ← vKeep · v + i + bias       (vKeep = 1: no membrane leak)
 * then the neuron model's threshold and reset. Both fractions lie in [0, 1].
 */
export interface Leak {
  readonly vKeep: number;
  readonly iKeep: number;
}

/**
 * How pixels enter the network (the input population's behaviour; one case per coding):
 *   current  the input population's neurons (integrate-and-fire; multi-threshold under mt and ecmt) with the
 *            pixel as a constant current (pixel · gain per step);
 *   poisson  a spike per step with probability min(pixel · gain, 1) (xorshift32, seeded per sample);
 *   graded   every step each nonzero pixel is sent as one graded payload of value pixel · gain (thresholds of
 *            the input population, so downstream weights are unchanged): the first layer receives the analog
 *            image each step, as ECMT's networks do. Needs a target with graded spikes.
 */
export type InputEncoding = "current" | "poisson" | "graded";

export const INPUT_ENCODINGS: readonly InputEncoding[] = ["current", "poisson", "graded"];

export interface Population {
  readonly id: number;
  /** ANN node whose activation the population carries. */
  readonly name: string;
  readonly shape: readonly [number, number, number];
  readonly size: number;
  readonly neuron: NeuronModel;
  /** Bias per channel, normalised (fraction of a threshold per step); null = none. */
  readonly bias: Float32Array | null;
  /** Initial membrane (normalised), per channel; already includes the pre-window bias correction (normalise.ts). */
  readonly vInit: Float32Array;
  readonly inputs: readonly Projection[];
  readonly depth: number;
  /** ANN activation value one spike (payload 1) stands for, per channel: activation ≈ rate * spikeValue. */
  readonly spikeValue: Float32Array;
  /** Threshold in ANN pre-activation units, per channel (normalised threshold 1 = this much ANN input). */
  readonly threshold: Float32Array;
  /** Membrane and synaptic-current decay (NIR neurons); absent = no leak. */
  readonly leak?: Leak;
}

export interface InputPopulationInfo {
  /** Which population receives the pixels, and how they enter. */
  readonly population: number;
  readonly encoding: InputEncoding;
  /** pixel → normalised current per step: current = pixel * gain. */
  readonly gain: number;
  /** Seed of the Poisson generator (encoding "poisson"). */
  readonly seed: number;
}

export interface SnnGraph {
  readonly name: string;
  readonly method: string;
  readonly populations: readonly Population[];
  readonly input: InputPopulationInfo;
  /** The readout population (class scores). */
  readonly output: number;
  /** Depth of the readout: a run of T steps executes T + readoutDepth steps. */
  readonly readoutDepth: number;
  /** Per-sample input shape the model takes. */
  readonly inputShape: Shape;
}

export function fanInSynapses(pop: Population, pops: readonly Population[]): number {
  let n = 0;
  for (const p of pop.inputs) n += projectionSynapses(p, pops[p.source] as Population, pop);
  return n;
}

/** Synapses of a window projection when expanded: every in-bounds kernel tap, times inC × outC for a convolution
 * (outC for depthwise and pooling, one channel to one). */
export function windowSynapses(kind: "conv" | "depthwise" | "avgPool" | "maxPool", g: WindowGeometry): number {
  let taps = 0;
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ky = 0; ky < g.kh; ky++) {
      const iy = oy * g.sh - g.padTop + ky * g.dh;
      if (iy < 0 || iy >= g.inH) continue;
      for (let ox = 0; ox < g.outW; ox++) {
        for (let kx = 0; kx < g.kw; kx++) {
          const ix = ox * g.sw - g.padLeft + kx * g.dw;
          if (ix >= 0 && ix < g.inW) taps++;
        }
      }
    }
  }
  return taps * (kind === "conv" ? g.inC * g.outC : g.outC);
}

/** Number of synapses a projection has when expanded (conv: every in-bounds kernel tap). */
export function projectionSynapses(p: Projection, src: Population, dst: Population): number {
  const c = p.conn;
  switch (c.kind) {
    case "dense":
      return src.size * dst.size;
    case "oneToOne":
      return dst.size;
    case "conv":
    case "depthwise":
    case "avgPool":
    case "maxPool": {
      return windowSynapses(c.kind, c.geometry);
    }
  }
}
