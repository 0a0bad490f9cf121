/**
 * @fileoverview Discretisation: a checked NIR graph (FlatNir) and a time step dt → SnnGraph (float), the
 * `.nir` counterpart of `convert`. Pure: no I/O. The rules, with NIR's equations, are in docs/nir.md.
 *
 * Populations: one per neuron node (IF, LIF, CubaLIF, LI, CubaLI, I, Threshold), plus the input encoder
 * (an IF population, threshold 1, reset by subtraction, taking the Input's values as current with gain
 * 1 + 2^-10: a value of 1 is one spike per step on every target, so binary spike input passes through
 * unchanged) and, when the Output is fed by a
 * map rather than a neuron, an integrating readout named after the Output node.
 * Projections: every path from a population through memoryless nodes (Affine, Linear, Scale, Conv1d/2d,
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
import type { Connectivity, Leak, NeuronModel, Population, Projection, SnnGraph, WindowGeometry } from "../../ir/snn.ts";
import { type FlatNir, type FlatNode, isLeafNeuron } from "./flatten.ts";
import { type Tensor, tensorSize } from "./types.ts";

type Neuron = Extract<FlatNode, { type: "IF" | "LIF" | "CubaLIF" | "LI" | "CubaLI" | "I" | "Threshold" }>;

/** Per-element linear map accumulated along a path (NIR flat indices). */
type PathMap =
  | { readonly kind: "identity"; readonly scale: Float64Array }
  | { readonly kind: "dense"; readonly w: Float64Array; readonly inN: number; readonly outN: number }
  | { readonly kind: "window"; readonly geometry: WindowGeometry; readonly kernel: Float64Array; readonly depthwise: boolean; readonly outScale: Float64Array };

interface Path {
  readonly map: PathMap;
  readonly bias: Float64Array | null;
  readonly delaySteps: number;
  readonly origin: string;
}

export interface NirLowering {
  readonly snn: SnnGraph;
  /** Which NIR node each population came from (population id order). */
  readonly nodeOf: readonly string[];
  readonly dt: number;
}

/** Input current per unit of input value into the encoder (see lowerNir). */
export const ENCODER_GAIN = 1 + 2 ** -10;

/** Population shape [h, w, c] of a NIR shape. */
export function popShape(s: readonly number[], file: string, node: string): readonly [number, number, number] {
  if (s.length === 1) return [1, 1, s[0] as number];
  if (s.length === 2) return [1, s[1] as number, s[0] as number];
  if (s.length === 3) return [s[1] as number, s[2] as number, s[0] as number];
  throw fail("SNNC167", `node ${truncateText(node)} has a ${s.length}-D shape [${s.join(", ")}]; snnc maps [N], [C, N] and [C, H, W]`, { file, layer: node });
}

/** Population index of NIR flat index k of a tensor of NIR shape s (channels first → channels last). */
export function nirToPop(s: readonly number[]): (k: number) => number {
  if (s.length <= 1) return (k) => k;
  const C = s[0] as number;
  const HW = tensorSize(s.slice(1));
  return (k) => (k % HW) * C + Math.floor(k / HW);
}

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

function uniform(t: Tensor, what: string, node: string, file: string): number {
  const v = t.data[0] as number;
  for (const x of t.data) {
    if (x !== v) throw fail("SNNC167", `${what} of node ${truncateText(node)} differs between neurons (${v} and ${x}); snnc needs one value per node`, { file, layer: node }, "split the node into nodes of equal time constants");
  }
  return v;
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

/** Applies memoryless node n to the path (signal of NIR shape inShape → outShape). */
function applyNode(name: string, n: FlatNode, path: Path, inShape: readonly number[], outShape: readonly number[], dt: number, file: string, warn: (w: Warning) => void): Path {
  const m = path.map;
  const outN = tensorSize(outShape);
  const twoWeighted = () => fail("SNNC167", `node ${truncateText(name)} (${n.type}) follows another weighted node (${truncateText(path.origin)}) with no neuron between them`, { file, layer: name },
    "snnc maps one weighted node (Affine, Linear, Conv, pooling) between two neurons; fold the two maps into one");
  switch (n.type) {
    case "Pass":
    case "Flatten":
    case "Input":
    case "Output":
      return path;
    case "Delay": {
      const d = uniform(n.delay, "delay", name, file);
      const steps = Math.round(d / dt);
      if (Math.abs(steps * dt - d) > 1e-9 * Math.max(1, Math.abs(d))) {
        warn({ code: "SNNC-W163", message: `delay ${d} of ${name} is not a multiple of dt = ${dt}: rounded to ${steps} steps (error ${(steps * dt - d).toPrecision(3)})`, loc: { layer: name } });
      }
      if (steps < 0) throw fail("SNNC168", `delay of node ${truncateText(name)} is negative`, { file, layer: name });
      return { ...path, delaySteps: path.delaySteps + steps };
    }
    case "Scale": {
      const s = (j: number) => (n.scale.data.length === 1 ? n.scale.data[0] : n.scale.data[j]) as number;
      const bias = path.bias ? path.bias.map((b, j) => b * s(j)) : null;
      if (m.kind === "identity") return { ...path, bias, map: { kind: "identity", scale: m.scale.map((x, j) => x * s(j)) } };
      if (m.kind === "dense") {
        const w = m.w.slice();
        for (let i = 0; i < m.inN; i++) for (let j = 0; j < m.outN; j++) w[i * m.outN + j] = (w[i * m.outN + j] as number) * s(j);
        return { ...path, bias, map: { ...m, w } };
      }
      return { ...path, bias, map: { ...m, outScale: m.outScale.map((x, j) => x * s(j)) } };
    }
    case "Affine":
    case "Linear": {
      if (m.kind !== "identity") throw twoWeighted();
      const W = n.weight;
      const [o, inn] = [W.shape[0] as number, W.shape[1] as number];
      const w = new Float64Array(inn * o);
      for (let j = 0; j < o; j++) for (let i = 0; i < inn; i++) w[i * o + j] = (W.data[j * inn + i] as number) * (m.scale[i] as number);
      const bias = n.type === "Affine" ? Float64Array.from(n.bias.data) : null;
      return { ...path, bias: addBias(path.bias, bias, o), map: { kind: "dense", w, inN: inn, outN: o }, origin: name };
    }
    case "Conv1d":
    case "Conv2d":
    case "SumPool2d":
    case "AvgPool2d": {
      if (m.kind !== "identity") throw twoWeighted();
      const two = inShape.length === 3;
      const [C, H, Wd] = two ? [inShape[0], inShape[1], inShape[2]] as number[] : [inShape[0], 1, inShape[1]] as number[];
      const [oC, oH, oW] = two ? [outShape[0], outShape[1], outShape[2]] as number[] : [outShape[0], 1, outShape[1]] as number[];
      // The input scale must be one value per channel to fold into the kernel.
      const HW = (H as number) * (Wd as number);
      const chScale = new Float64Array(C as number);
      for (let c = 0; c < (C as number); c++) {
        chScale[c] = m.scale[c * HW] as number;
        for (let q = 0; q < HW; q++) if (m.scale[c * HW + q] !== chScale[c]) throw fail("SNNC167", `a Scale before ${truncateText(name)} differs within a channel`, { file, layer: name });
      }
      let kh: number; let kw: number; let sh: number; let sw: number; let dh = 1; let dw = 1; let pt: number; let pl: number;
      let kernel: Float64Array;
      let depthwise: boolean;
      let bias: Float64Array | null = null;
      if (n.type === "Conv1d" || n.type === "Conv2d") {
        const ws = n.weight.shape;
        kh = two ? ws[2] as number : 1;
        kw = two ? ws[3] as number : ws[2] as number;
        sh = two ? n.stride[0] ?? 1 : 1;
        sw = two ? n.stride[1] ?? 1 : n.stride[0] ?? 1;
        dh = two ? n.dilation[0] ?? 1 : 1;
        dw = two ? n.dilation[1] ?? 1 : n.dilation[0] ?? 1;
        const pad = (i: number, size: number, k: number, s: number, d: number, o: number): number =>
          n.padding === "valid" ? 0 : n.padding === "same" ? Math.floor(Math.max(0, (o - 1) * s + (k - 1) * d + 1 - size) / 2) : n.padding[i] ?? 0;
        pt = two ? pad(0, H as number, kh, sh, dh, oH as number) : 0;
        pl = two ? pad(1, Wd as number, kw, sw, dw, oW as number) : pad(0, Wd as number, kw, sw, dw, oW as number);
        const cinG = ws[1] as number;
        if (n.groups === 1) {
          depthwise = false;
          kernel = new Float64Array(kh * kw * (C as number) * (oC as number));
          for (let co = 0; co < (oC as number); co++) for (let ci = 0; ci < (C as number); ci++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
            kernel[((y * kw + x) * (C as number) + ci) * (oC as number) + co] = (n.weight.data[((co * cinG + ci) * kh + y) * kw + x] as number) * (chScale[ci] as number);
          }
        } else if (n.groups === C && cinG === 1) {
          depthwise = true;
          const mult = (oC as number) / (C as number);
          kernel = new Float64Array(kh * kw * (C as number) * mult);
          for (let c = 0; c < (C as number); c++) for (let q = 0; q < mult; q++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
            kernel[((y * kw + x) * (C as number) + c) * mult + q] = (n.weight.data[((c * mult + q) * kh + y) * kw + x] as number) * (chScale[c] as number);
          }
        } else {
          throw fail("SNNC167", `node ${truncateText(name)} has groups = ${n.groups}; snnc maps groups 1 and depthwise (groups = input channels)`, { file, layer: name });
        }
        bias = Float64Array.from({ length: outN }, (_, j) => n.bias.data[Math.floor(j / ((oH as number) * (oW as number)))] as number);
      } else {
        const pool = n as Extract<FlatNode, { type: "SumPool2d" | "AvgPool2d" }>;
        [kh, kw] = [pool.kernel[0] as number, pool.kernel[1] as number];
        [sh, sw] = [pool.stride[0] as number, pool.stride[1] as number];
        [pt, pl] = [pool.padding[0] as number, pool.padding[1] as number];
        depthwise = true;
        const v = pool.type === "SumPool2d" ? 1 : 1 / (kh * kw); // AvgPool2d divides by the whole window (count_include_pad)
        kernel = new Float64Array(kh * kw * (C as number));
        for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < (C as number); c++) kernel[(y * kw + x) * (C as number) + c] = v * (chScale[c] as number);
      }
      const geometry: WindowGeometry = { inH: H as number, inW: Wd as number, inC: C as number, outH: oH as number, outW: oW as number, outC: oC as number, kh, kw, sh, sw, dh, dw, padTop: pt, padLeft: pl };
      return { ...path, bias: addBias(path.bias, bias, outN), map: { kind: "window", geometry, kernel, depthwise, outScale: new Float64Array(outN).fill(1) }, origin: name };
    }
    default:
      throw fail("SNNC167", `node ${truncateText(name)} (${n.type}) cannot sit on an edge`, { file, layer: name });
  }
}

function addBias(a: Float64Array | null, b: Float64Array | null, n: number): Float64Array | null {
  if (!b) return a && a.length === n ? a : null;
  return a && a.length === n ? a.map((x, j) => x + (b[j] as number)) : b;
}

/** One value per channel of a per-element vector (NIR order), or SNNC167 when it varies in a channel. */
function perChannel(v: Float64Array, nirShape: readonly number[], C: number, toPop: (k: number) => number, node: string, what: string, file: string): Float32Array {
  const out = new Float32Array(C);
  const set = new Uint8Array(C);
  for (let k = 0; k < v.length; k++) {
    const c = toPop(k) % C;
    const x = v[k] as number;
    if (set[c] && Math.fround(x) !== out[c] && Math.abs(x - (out[c] as number)) > 1e-6 * Math.abs(x)) {
      throw fail("SNNC167", `the ${what} into ${truncateText(node)} differs within a channel of shape [${nirShape.join(", ")}]`, { file, layer: node });
    }
    out[c] = x;
    set[c] = 1;
  }
  return out;
}

/** A path's map, times each destination element's factor, in population (channels-last) order. */
function toConnectivity(m: PathMap, srcShape: readonly number[], dstShape: readonly number[], factor: Float64Array, node: string, file: string): Connectivity {
  const srcPop = nirToPop(srcShape);
  const dstPop = nirToPop(dstShape);
  const dstN = tensorSize(dstShape);
  const C = popShape(dstShape, file, node)[2];
  switch (m.kind) {
    case "identity": {
      if (m.scale.length !== dstN) throw fail("SNNC164", `the edge into ${truncateText(node)} carries ${m.scale.length} values for ${dstN} neurons`, { file, layer: node });
      const w = m.scale.map((x, j) => x * (factor[j] as number));
      return { kind: "oneToOne", weights: perChannel(w, dstShape, C, dstPop, node, "weight", file) };
    }
    case "dense": {
      if (m.outN !== dstN) throw fail("SNNC164", `the edge into ${truncateText(node)} carries ${m.outN} values for ${dstN} neurons`, { file, layer: node });
      const weights = new Float32Array(m.inN * m.outN);
      for (let i = 0; i < m.inN; i++) {
        const si = srcPop(i);
        for (let j = 0; j < m.outN; j++) weights[si * m.outN + dstPop(j)] = (m.w[i * m.outN + j] as number) * (factor[j] as number);
      }
      return { kind: "dense", weights };
    }
    case "window": {
      const g = m.geometry;
      const f = new Float64Array(g.outC);
      const per = g.outH * g.outW;
      for (let c = 0; c < g.outC; c++) {
        f[c] = (factor[c * per] as number) * (m.outScale[c * per] as number);
        for (let q = 0; q < per; q++) {
          if (Math.abs((factor[c * per + q] as number) * (m.outScale[c * per + q] as number) - (f[c] as number)) > 1e-9 * Math.abs(f[c] as number)) {
            throw fail("SNNC167", `the neuron parameters of ${truncateText(node)} differ within a channel after a convolution or pooling`, { file, layer: node });
          }
        }
      }
      if (m.depthwise) {
        const mult = g.outC / g.inC;
        const kernel = new Float32Array(m.kernel.length);
        // kernel layout [kh, kw, inC, mult]: index ((y·kw + x)·inC + c)·mult + q → output channel c·mult + q.
        for (let i = 0; i < m.kernel.length; i++) {
          const q = i % mult;
          const c = Math.floor(i / mult) % g.inC;
          kernel[i] = (m.kernel[i] as number) * (f[c * mult + q] as number);
        }
        return { kind: "depthwise", geometry: g, kernel, multiplier: mult };
      }
      const kernel = Float32Array.from(m.kernel, (x, i) => x * (f[i % g.outC] as number));
      return { kind: "conv", geometry: g, kernel };
    }
  }
}
