/**
 * @fileoverview Discretisation: a checked NIR graph (FlatNir) and a time step dt → SnnGraph (float), the
 * `.nir` counterpart of `convert`. Pure: no I/O. The rules, with NIR's equations, are in docs/nir.md.
 *
 * Populations: one per neuron node (IF, LIF, CubaLIF, LI, CubaLI, I, Threshold), plus the input encoder
 * (an IF population, threshold 1, reset by subtraction, taking the Input's values as current with gain
 * 1 + 2^-10: a value of 1 is one spike per step on every target, so binary spike input passes through
 * unchanged) and, when the Output is fed by a
 * map rather than a neuron, an integrating readout named after the Output node.
 * Projections (maps.ts): every path from a population through memoryless nodes (Affine, Linear, Scale, Conv1d/2d,
 * SumPool2d, AvgPool2d, Flatten, Delay, subgraph Input/Output) to a neuron; at most one weighted node per
 * path (SNNC167 otherwise). Delay: 1 step (the synaptic step every target has) + round(delay / dt).
 * Normalisation: the membrane is measured from v_leak in units of (v_threshold − v_leak), so the threshold
 * is 1 and rest is 0; the input gain of the neuron (dt·r/τ …) folds into the weights and biases.
 * Shapes: NIR's [C, H, W] / [C, N] / [N] become populations [H, W, C] / [1, N, C] / [1, 1, N].
 * Recurrent edges are ordinary projections (delay ≥ 1); `depth` is the shortest delay path from the input.
 */
import { truncateText } from "../../../runtime/limits.ts";
import { fail, type Warning } from "../../diagnostics.ts";
import type { Shape } from "../../ir/ann.ts";
import type { Leak, NeuronModel, Population, Projection, SnnGraph } from "../../ir/snn.ts";
import { type FlatNir, type FlatNode, isLeafNeuron } from "./flatten.ts";
import { applyNode, nirToPop, type Path, perChannel, popShape, toConnectivity, uniform } from "./maps.ts";
import { type Tensor, tensorSize } from "./types.ts";

export { nirToPop, popShape } from "./maps.ts";

type Neuron = Extract<FlatNode, { type: "IF" | "LIF" | "CubaLIF" | "LI" | "CubaLI" | "I" | "Threshold" }>;

export interface NirLowering {
  readonly snn: SnnGraph;
  /** Which NIR node each population came from (population id order). */
  readonly nodeOf: readonly string[];
  readonly dt: number;
}

/** Input current per unit of input value into the encoder (see lowerNir). */
export const ENCODER_GAIN = 1 + 2 ** -10;

export function lowerNir(flat: FlatNir, dt: number, name: string, file: string, warn: (w: Warning) => void): NirLowering {
  const nodes = flat.nodes;
  const out = new Map<string, string[]>();
  for (const [a, b] of flat.edges) out.set(a, [...(out.get(a) ?? []), b]);
  const shapeOf = (k: string) => flat.shapes.get(k) as readonly number[];

  // Populations: the input encoder first, then neurons in breadth-first order from the Input.
  const order: string[] = [flat.input];
  const seen = new Set(order);
  for (let i = 0; i < order.length; i++) {
    for (const b of out.get(order[i] as string) ?? []) {
      if (!seen.has(b)) {
        seen.add(b);
        order.push(b);
      }
    }
  }
  const popNodes = order.filter((k) => k === flat.input || isLeafNeuron(nodes.get(k) as FlatNode));
  // The Output: a neuron feeding it directly is the readout; otherwise an integrating readout of its own.
  const outPreds = flat.edges.filter(([, b]) => b === flat.output).map(([a]) => a);
  const directReadout = outPreds.length === 1 && isLeafNeuron(nodes.get(outPreds[0] as string) as FlatNode) ? outPreds[0] as string : null;
  if (!directReadout) popNodes.push(flat.output);

  // Paths from every population through memoryless nodes.
  const incoming = new Map<string, { source: string; path: Path }[]>();
  for (const src of popNodes) {
    if (src === flat.output) continue;
    const startShape = shapeOf(src);
    const start: Path = { map: { kind: "identity", scale: new Float64Array(tensorSize(startShape)).fill(1) }, bias: null, delaySteps: 0, origin: src };
    const walk = (at: string, path: Path, shape: readonly number[], visiting: Set<string>): void => {
      for (const b of out.get(at) ?? []) {
        const n = nodes.get(b) as FlatNode;
        if (isLeafNeuron(n) || (b === flat.output && !directReadout)) {
          incoming.set(b, [...(incoming.get(b) ?? []), { source: src, path }]);
          continue;
        }
        if (b === flat.output) continue;
        if (visiting.has(b)) continue; // an algebraic loop: flattenNir has already refused it
        const next = applyNode(b, n, path, shape, shapeOf(b), dt, file, warn);
        walk(b, next, shapeOf(b), new Set([...visiting, b]));
      }
    };
    walk(src, start, startShape, new Set());
  }
  // The encoder's gain: a value of 1 must cross a strict threshold too (Loihi fires at v > θ), or binary events
  // would not pass through there; 1 + 2^-10 leaves 2^-10 behind per spike (one extra spike after 1,024).
  let gain = ENCODER_GAIN;
  // Direct input: the Input drives one IF neuron node through identity/Scale paths only (as snnc's own
  // --emit-nir writes the input population): that node is the input population, the scale its gain.
  const direct = directInput(flat, incoming, nodes, dt, file, warn);
  if (direct) {
    gain = direct.gain;
    popNodes.splice(popNodes.indexOf(flat.input), 1);
    popNodes.splice(popNodes.indexOf(direct.node), 1);
    popNodes.unshift(direct.node);
    incoming.set(direct.node, (incoming.get(direct.node) ?? []).filter((e) => e.source !== flat.input));
  }
  const popId = new Map(popNodes.map((k, i) => [k, i]));

  const populations: Population[] = [];
  for (const k of popNodes) {
    const id = popId.get(k) as number;
    const nirShape = k === flat.output ? shapeOf((outPreds[0] ?? k)) : shapeOf(k);
    const shape = popShape(nirShape, file, k);
    const size = shape[0] * shape[1] * shape[2];
    const C = shape[2];
    const toPop = nirToPop(nirShape);
    const n = nodes.get(k) as FlatNode;
    const d = k === flat.input || k === flat.output ? null : neuronDynamics(k, n as Neuron, size, dt, file, warn);
    const vInit = snncInitial(n, C, k, file);
    // Per NIR element: factor on the input (gain / (θ − v_leak)).
    const factor = d ? d.factor : new Float64Array(size).fill(1);
    const inputs: Projection[] = [];
    const biasAcc = new Float64Array(size);
    let hasBias = false;
    for (const { source, path } of incoming.get(k) ?? []) {
      const srcShape = shapeOf(source);
      const conn = toConnectivity(path.map, srcShape, nirShape, factor, k, file);
      inputs.push({ source: popId.get(source) as number, delay: 1 + path.delaySteps, conn, origin: path.origin });
      if (path.bias) {
        hasBias = true;
        for (let j = 0; j < size; j++) biasAcc[j] = (biasAcc[j] as number) + (path.bias[j] as number) * (factor[j] as number) * (d?.biasFactor ?? 1);
      }
    }
    let bias: Float32Array | null = null;
    if (hasBias) {
      bias = perChannel(biasAcc, nirShape, C, toPop, k, "bias", file);
      if (d && d.leak && d.leak.iKeep > 0) {
        warn({ code: "SNNC-W161", message: `the bias into ${k} (CubaLIF/CubaLI) enters the membrane at its steady-state value b·R/(1 − iKeep); the synaptic current's rise over the first ≈ ${(1 / (1 - d.leak.iKeep)).toFixed(1)} steps is not modelled`, loc: { layer: k } });
      }
    }
    const neuron: NeuronModel = k === flat.input ? { kind: "if", reset: "subtract" } : k === flat.output ? { kind: "readout" } : (d as Dynamics).neuron;
    populations.push({
      id, name: k, shape, size, neuron: snncReset(n, neuron), bias, vInit, inputs, depth: 0,
      spikeValue: new Float32Array(C).fill(1), threshold: new Float32Array(C).fill(1),
      ...(d && d.leak ? { leak: d.leak } : {}),
    });
  }
  // Readout: a spiking neuron counts its spikes; a non-spiking one is read at the end.
  const outputId = popId.get(directReadout ?? flat.output) as number;
  const outPop = populations[outputId] as Population;
  if (outPop.neuron.kind === "if") populations[outputId] = { ...outPop, neuron: { kind: "countReadout", reset: outPop.neuron.reset } };
  // depth: shortest delay path from the input (Dijkstra on small graphs: repeated relaxation).
  const depth = populations.map(() => Infinity);
  depth[0] = 0;
  for (let changed = true; changed;) {
    changed = false;
    for (const p of populations) {
      for (const pr of p.inputs) {
        const dd = (depth[pr.source] as number) + pr.delay;
        if (dd < (depth[p.id] as number)) {
          depth[p.id] = dd;
          changed = true;
        }
      }
    }
  }
  const finalPops = populations.map((p) => ({ ...p, depth: Number.isFinite(depth[p.id]) ? depth[p.id] as number : 0 }));
  const inShape = shapeOf(flat.input);
  const inputShape: Shape = inShape.length === 1 ? [inShape[0] as number] : [...popShape(inShape, file, flat.input)];
  return {
    snn: {
      name, method: "nir", populations: finalPops, input: { population: 0, encoding: "current", gain, seed: 1 },
      output: outputId, readoutDepth: depth[outputId] as number, inputShape,
    },
    nodeOf: popNodes,
    dt,
  };
}

/** The IF node the Input drives directly (identity/Scale paths, one uniform gain), else null. */
function directInput(flat: FlatNir, incoming: Map<string, { source: string; path: Path }[]>, nodes: FlatNir["nodes"], dt: number, file: string, warn: (w: Warning) => void): { node: string; gain: number } | null {
  const targets = [...incoming].filter(([, list]) => list.some((e) => e.source === flat.input));
  if (targets.length !== 1) return null;
  const [node, list] = targets[0] as [string, { source: string; path: Path }[]];
  const n = nodes.get(node) as FlatNode;
  if (n.type !== "IF" || list.length !== 1 || node === flat.output) return null;
  const e = list[0] as { source: string; path: Path };
  if (e.path.map.kind !== "identity" || e.path.bias || e.path.delaySteps !== 0) return null;
  const size = e.path.map.scale.length;
  const d = neuronDynamics(node, n, size, dt, file, warn);
  const g = (e.path.map.scale[0] as number) * (d.factor[0] as number);
  for (let j = 0; j < size; j++) if ((e.path.map.scale[j] as number) * (d.factor[j] as number) !== g) return null;
  return { node, gain: g };
}

/** snnc's own metadata (export.ts): reset by subtraction, which NIR cannot say. */
function snncReset(n: FlatNode | undefined, neuron: NeuronModel): NeuronModel {
  if (n && n.metadata.snnc_reset === "subtract" && (neuron.kind === "if" || neuron.kind === "countReadout")) return { ...neuron, reset: "subtract" };
  return neuron;
}

/** snnc's own metadata (export.ts): the initial membrane per channel (normalised), else 0. */
function snncInitial(n: FlatNode | undefined, C: number, node: string, file: string): Float32Array {
  const text = n?.metadata.snnc_v_init;
  if (typeof text !== "string") return new Float32Array(C);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = null;
  }
  if (!Array.isArray(v) || v.length !== C || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw fail("SNNC162", `metadata snnc_v_init of node ${truncateText(node)} is not ${C} finite numbers`, { file, layer: node });
  }
  return Float32Array.from(v as number[]);
}

interface Dynamics {
  readonly neuron: NeuronModel;
  readonly leak: Leak | null;
  /** Per element: weight factor (input gain over threshold distance). */
  readonly factor: Float64Array;
  /** Extra factor on a constant bias (CubaLIF: its steady state through the synaptic current). */
  readonly biasFactor: number;
}

function keep(tau: number, dt: number, what: string, node: string, file: string): number {
  if (!(tau > 0)) throw fail("SNNC168", `${what} of node ${truncateText(node)} is ${tau} (must be > 0)`, { file, layer: node });
  if (dt > tau) {
    throw fail("SNNC168", `${what} ${tau} of node ${truncateText(node)} is shorter than the time step ${dt}: forward Euler is unstable there`, { file, layer: node },
      "give a smaller --dt (or a dt in the file's metadata)");
  }
  return 1 - dt / tau;
}

function neuronDynamics(k: string, n: Neuron, size: number, dt: number, file: string, warn: (w: Warning) => void): Dynamics {
  const at = (t: Tensor, j: number) => (t.data.length === 1 ? t.data[0] : t.data[j]) as number;
  const factor = new Float64Array(size);
  const thresholdScale = (th: Tensor, leak: Tensor | null, reset: Tensor | null): void => {
    for (let j = 0; j < size; j++) {
      const vl = leak ? at(leak, j) : 0;
      const span = at(th, j) - vl;
      if (!(span > 0)) throw fail("SNNC168", `v_threshold of node ${truncateText(k)} is not above its v_leak (neuron ${j}: ${at(th, j)} ≤ ${vl})`, { file, layer: k });
      if (reset && at(reset, j) !== vl) {
        throw fail("SNNC168", `node ${truncateText(k)} resets to v_reset = ${at(reset, j)}, not to its rest v_leak = ${vl} (neuron ${j}); the targets reset to rest`, { file, layer: k },
          "export the network with v_reset equal to v_leak");
      }
      factor[j] = (factor[j] as number) / span;
    }
  };
  switch (n.type) {
    case "IF": {
      for (let j = 0; j < size; j++) factor[j] = dt * at(n.r, j);
      thresholdScale(n.vThreshold, null, n.vReset);
      return { neuron: { kind: "if", reset: "zero" }, leak: null, factor, biasFactor: 1 };
    }
    case "LIF": {
      const tau = uniform(n.tau, "tau", k, file);
      for (let j = 0; j < size; j++) factor[j] = (dt * at(n.r, j)) / tau;
      thresholdScale(n.vThreshold, n.vLeak, n.vReset);
      return { neuron: { kind: "if", reset: "zero" }, leak: { vKeep: keep(tau, dt, "tau", k, file), iKeep: 0 }, factor, biasFactor: 1 };
    }
    case "CubaLIF":
    case "CubaLI": {
      const tm = uniform(n.tauMem, "tau_mem", k, file);
      const ts = uniform(n.tauSyn, "tau_syn", k, file);
      const iKeep = keep(ts, dt, "tau_syn", k, file);
      for (let j = 0; j < size; j++) factor[j] = ((dt * at(n.wIn, j)) / ts) * ((dt * at(n.r, j)) / tm);
      if (n.type === "CubaLIF") thresholdScale(n.vThreshold, n.vLeak, n.vReset);
      else uniform(n.vLeak, "v_leak", k, file);
      const leak = { vKeep: keep(tm, dt, "tau_mem", k, file), iKeep };
      // A constant bias reaches the membrane through the current, in steady state 1/(1 − iKeep) times larger.
      return { neuron: n.type === "CubaLIF" ? { kind: "if", reset: "zero" } : { kind: "readout" }, leak, factor, biasFactor: 1 / (1 - iKeep) };
    }
    case "LI": {
      const tau = uniform(n.tau, "tau", k, file);
      uniform(n.vLeak, "v_leak", k, file);
      for (let j = 0; j < size; j++) factor[j] = (dt * at(n.r, j)) / tau;
      return { neuron: { kind: "readout" }, leak: { vKeep: keep(tau, dt, "tau", k, file), iKeep: 0 }, factor, biasFactor: 1 };
    }
    case "I": {
      for (let j = 0; j < size; j++) factor[j] = dt * at(n.r, j);
      return { neuron: { kind: "readout" }, leak: null, factor, biasFactor: 1 };
    }
    case "Threshold": {
      for (let j = 0; j < size; j++) {
        const th = at(n.threshold, j);
        if (!(th > 0)) throw fail("SNNC168", `threshold of node ${truncateText(k)} is ${th} (snnc maps thresholds > 0)`, { file, layer: k });
        factor[j] = 1 / th;
      }
      warn({ code: "SNNC-W162", message: `Threshold node ${k} becomes a neuron that forgets its membrane each step (v kept × 1/2^decayBits on Loihi): z = H(x − θ) with the strict > of NIR taken as ≥`, loc: { layer: k } });
      return { neuron: { kind: "if", reset: "zero" }, leak: { vKeep: 0, iKeep: 0 }, factor, biasFactor: 1 };
    }
  }
}
