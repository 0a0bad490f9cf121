/**
 * @fileoverview Synthetic QuantisedSnn networks for the benchmarks and tests, built directly in the quantised IR (no
 * ANN): stacks of convolutions or of dense layers of a given size, and a random recurrent IF network. Weights
 * are seeded random mantissas; neuron parameters are the target's plain IF with reset to zero (or by
 * subtraction where native).
 */
import type { NeuronKind } from "../../runtime/format/spec.ts";
import type { IntPopulationParams } from "../../runtime/neuron.ts";
import type { QConnectivity, QPopulation, QProjection, QuantisedSnn } from "./quantised.ts";
import type { WindowGeometry } from "./snn.ts";
import type { Target } from "../target/schema.ts";
import { seededRng } from "../util/rng.ts";

function params(target: Target, kind: NeuronKind, size: number, channels: number, threshold: number, bias: number): IntPopulationParams {
  const loihi = target.neuron.model === "loihi-cuba";
  return {
    model: target.neuron.model, kind, reset: target.neuron.resetModes.includes("subtract") ? "subtract" : "zero",
    size, channels, stateBits: target.neuron.stateBits.value, threshold, du: loihi ? 4095 : 0, dv: 0,
    bias: new Int32Array(channels).fill(bias), vInit: new Int32Array(channels), decayBits: 12, inputBits: 0, mtLevels: 0, mtRelu: 0, mtNegThreshold: 0, mtNegPayload: 1,
  };
}

function pop(id: number, name: string, shape: [number, number, number], p: IntPopulationParams, inputs: QProjection[], depth: number): QPopulation {
  const C = shape[2];
  return { id, name, shape, size: shape[0] * shape[1] * C, params: p, inputs, depth, scale: p.threshold, thresholdMantissa: p.threshold / 64, biasMantissa: new Int32Array(C).fill(p.bias[0] ?? 0), biasExponent: new Int32Array(C) };
}

function projection(source: number, conn: QConnectivity, target: Target): QProjection {
  const loihi = target.neuron.model === "loihi-cuba";
  return { source, delay: 1, conn, posShift: loihi ? 6 : 4, negShift: loihi ? 6 : 4, signMode: "mixed", weightExponent: loihi ? 0 : null, origin: "synthetic" };
}

function randomMantissas(n: number, rng: () => number, loihi: boolean): Int32Array {
  const out = new Int32Array(n);
  // excitatory-leaning, so activity propagates
  for (let i = 0; i < n; i++) out[i] = 2 * Math.round(((rng() - 0.35) * (loihi ? 254 : 65534)) / 2);
  return out;
}

function wrap(name: string, target: Target, pops: QPopulation[], inputShape: number[]): QuantisedSnn {
  const S = pops[0]?.params.threshold ?? 64;
  return {
    name, method: "synthetic", target: target.name, populations: pops,
    input: { population: 0, encoding: "current", gainScaled: S * 0.6, biasMantissaBits: target.neuron.biasMantissaBits.value, biasExponentMax: target.neuron.biasExponentMax?.value ?? 0, gain: 0.6, seed: 1 },
    output: pops.length - 1, readoutDepth: pops.length - 1, inputShape,
  };
}

/** Input h×w×c0 and `layers` 3×3 'same' convolutions of c channels each, then a 10-neuron dense readout. */
export function convStack(target: Target, h: number, w: number, c0: number, c: number, layers: number, seed = 1): QuantisedSnn {
  const rng = seededRng(seed);
  const loihi = target.neuron.model === "loihi-cuba";
  const S = loihi ? 64 * 4096 : 1 << 20;
  const pops: QPopulation[] = [pop(0, "input", [h, w, c0], params(target, "input", h * w * c0, c0, S, 0), [], 0)];
  let prevC = c0;
  for (let l = 1; l <= layers; l++) {
    const g: WindowGeometry = { inH: h, inW: w, inC: prevC, outH: h, outW: w, outC: c, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 1, padLeft: 1 };
    const conn: QConnectivity = { kind: "conv", geometry: g, kernel: randomMantissas(9 * prevC * c, rng, loihi) };
    pops.push(pop(l, `conv${l}`, [h, w, c], params(target, "if", h * w * c, c, S, 0), [projection(l - 1, conn, target)], l));
    prevC = c;
  }
  // Readout from the last layer through a dense map to 10 classes would be huge: take the readout from a
  // global average of the last layer instead. A global average neuron has one input per pixel; above 4,096
  // pixels (more than a Loihi core's fan-in axons) a 4×4 average pooling comes first.
  let last = layers;
  let gh = h;
  let gw = w;
  if (h * w > 4096) {
    const pg: WindowGeometry = { inH: h, inW: w, inC: c, outH: h / 4, outW: w / 4, outC: c, kh: 4, kw: 4, sh: 4, sw: 4, dh: 1, dw: 1, padTop: 0, padLeft: 0 };
    gh = h / 4;
    gw = w / 4;
    pops.push(pop(last + 1, "pool", [gh, gw, c], params(target, "if", gh * gw * c, c, S, 0), [projection(last, { kind: "avgPool", geometry: pg, table: new Int32Array(c * 17).fill(2) }, target)], last + 1));
    last++;
  }
  const g: WindowGeometry = { inH: gh, inW: gw, inC: c, outH: 1, outW: 1, outC: c, kh: gh, kw: gw, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 0, padLeft: 0 };
  const table = new Int32Array(c * (gh * gw + 1)).fill(2);
  pops.push(pop(last + 1, "gap", [1, 1, c], params(target, "if", c, c, S, 0), [projection(last, { kind: "avgPool", geometry: g, table }, target)], last + 1));
  pops.push(pop(last + 2, "readout", [1, 1, 10], params(target, "readout", 10, 10, S, 0), [projection(last + 1, { kind: "dense", weights: randomMantissas(c * 10, rng, loihi) }, target)], last + 2));
  return wrap(`conv-${h}x${w}x${c}x${layers}`, target, pops, [h, w, c0]);
}

/** Input of `width` neurons, `layers` dense layers of `width`, a 10-neuron readout. */
export function denseStack(target: Target, width: number, layers: number, seed = 1): QuantisedSnn {
  const rng = seededRng(seed);
  const loihi = target.neuron.model === "loihi-cuba";
  const S = loihi ? 64 * 4096 : 1 << 20;
  const pops: QPopulation[] = [pop(0, "input", [1, 1, width], params(target, "input", width, width, S, 0), [], 0)];
  for (let l = 1; l <= layers; l++) {
    pops.push(pop(l, `dense${l}`, [1, 1, width], params(target, "if", width, width, S, 0), [projection(l - 1, { kind: "dense", weights: randomMantissas(width * width, rng, loihi) }, target)], l));
  }
  pops.push(pop(layers + 1, "readout", [1, 1, 10], params(target, "readout", 10, 10, S, 0), [projection(layers, { kind: "dense", weights: randomMantissas(width * 10, rng, loihi) }, target)], layers + 1));
  return wrap(`dense-${width}x${layers}`, target, pops, [width]);
}

export interface RandomNetwork {
  readonly q: QuantisedSnn;
  /** The recurrent population's synapses (for the Brian2 twin): source, target, effective weight. */
  readonly pre: Int32Array;
  readonly post: Int32Array;
  readonly weight: Float64Array;
}

/**
 * A random recurrent IF network: `n` neurons, each with `k` random outgoing synapses (80% excitatory), driven
 * by a constant bias that makes each neuron fire about every `period` steps on its own; a 100-neuron input
 * that also projects sparsely; a 10-neuron readout. Targets of each source are sorted (increasing).
 */
export function randomNetwork(target: Target, n: number, k: number, seed = 1): RandomNetwork {
  const rng = seededRng(seed);
  const loihi = target.neuron.model === "loihi-cuba";
  const S = loihi ? 64 * 4096 : 1 << 20;
  const shift = loihi ? 6 : 4;
  const rowStart = new Int32Array(n + 1);
  const col = new Int32Array(n * k);
  const w = new Int32Array(n * k);
  for (let i = 0; i < n; i++) {
    rowStart[i + 1] = (i + 1) * k;
    const targets = new Set<number>();
    while (targets.size < k) targets.add(Math.floor(rng() * n));
    const sorted = [...targets].sort((a, b) => a - b);
    for (let j = 0; j < k; j++) {
      col[i * k + j] = sorted[j] as number;
      // mantissas so that one spike moves the target by ±~1/(2k) to 1/k of a threshold, inhibition stronger
      const mag = Math.max(2, Math.round(((S / (k * 2 ** shift)) * (0.5 + rng())) / 2) * 2);
      w[i * k + j] = rng() < 0.8 ? mag : -2 * mag;
    }
  }
  const bias = Math.round(S / 40);
  const inN = 100;
  const inRowC = new Int32Array(inN + 1);
  const inColC: number[] = [];
  const inWC: number[] = [];
  for (let i = 0; i < inN; i++) {
    const t = [...new Set(Array.from({ length: 50 }, () => Math.floor(rng() * n)))].sort((a, b) => a - b);
    for (const x of t) {
      inColC.push(x);
      inWC.push(Math.round(S / (4 * 2 ** shift) / 2) * 2);
    }
    inRowC[i + 1] = inColC.length;
  }
  const rec: QConnectivity = { kind: "sparse", rowStart, col, weights: w };
  const inConn: QConnectivity = { kind: "sparse", rowStart: inRowC, col: Int32Array.from(inColC), weights: Int32Array.from(inWC) };
  const outRow = new Int32Array(n + 1);
  const outCol: number[] = [];
  const outW: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 100 === 0) {
      outCol.push(i % 10);
      outW.push(2);
    }
    outRow[i + 1] = outCol.length;
  }
  const shapeR: [number, number, number] = n > 0xffff && n % 1000 === 0 ? [1, n / 1000, 1000] : [1, 1, n];
  const pops: QPopulation[] = [
    pop(0, "input", [1, 1, inN], params(target, "input", inN, inN, S, 0), [], 0),
    // A flat shape while the binary's 16-bit layer coordinates allow it, else [1, n / 1000, 1000].
    pop(1, "random", shapeR, params(target, "if", n, shapeR[2], S, bias), [projection(0, inConn, target), projection(1, rec, target)], 1),
    pop(2, "readout", [1, 1, 10], params(target, "readout", 10, 10, S, 0), [projection(1, { kind: "sparse", rowStart: outRow, col: Int32Array.from(outCol), weights: Int32Array.from(outW) }, target)], 2),
  ];
  const pre = new Int32Array(n * k);
  for (let i = 0; i < n; i++) pre.fill(i, i * k, (i + 1) * k);
  const weight = Float64Array.from(w, (m) => m * 2 ** shift);
  return { q: wrap(`random-${n}x${k}`, target, pops, [inN]), pre, post: col, weight };
}
