/**
 * @fileoverview Lowering: AnnGraph → RawSnn, the spiking structure with the ANN's own (unnormalised) weights.
 *
 * Walks the ANN in topological order keeping, per node, either the population views that carry its value
 * (after a nonlinearity, a pooling or the input) or a linear expression (a sum of weighted terms from
 * populations plus a bias) for pre-activations. Rules:
 *   Dense/Conv/DepthwiseConv on populations      → linear terms (one per view); fused ReLU makes a population
 *   BatchNormalization on a linear expression     → per-channel affine folded into every term and the bias
 *                                                  (the ANN's own epsilon; exact)
 *   Add of linear expressions and populations     → sum of terms; a population operand is a one-to-one term
 *   ReLU/ReLU6/RateNorm/QCFS on a linear expression → a population of spiking neurons
 *   AveragePooling/GlobalAveragePooling           → a population fed by a linear pooling projection
 *   MaxPooling                                    → a max-gate population, or average pooling (option)
 *   Flatten/Reshape/ZeroPadding/Concatenate       → views only, no neurons
 *   the graph output (linear/softmax)             → the readout population
 * Anything else (two linear layers in a row, BN after an activation, ...) is SNNC201 naming the layer.
 */
import { assertNever, fail, type Warning } from "../diagnostics.ts";
import type { Activation, AnnGraph, AnnNode, Conv2dOp, DenseOp, DepthwiseConv2dOp, PoolOp, Shape } from "../ir/ann.ts";
import { shapeSize } from "../ir/ann.ts";
import { window2d } from "../ir/shape.ts";
import type { ComputeOp, Connectivity, Operand, WindowGeometry } from "../ir/snn.ts";
import { concatViews, flatIndexOf, identityView, isSpatial, isWhole, padViews, reshapeViews, type Shape3, to3d, type View } from "./views.ts";

/** `compute` and `quantise` are made only by the ecmt lowering (convert/ecmt/lower.ts): an ECMT compute node,
 * and a multi-threshold signed quantiser of a linear expression or of a compute node's output. */
export type SiteKind = "input" | "relu" | "rateNorm" | "clipFloor" | "avgPool" | "maxPool" | "readout" | "relay" | "compute" | "quantise";

export interface RawTerm {
  readonly source: number;
  readonly conn: Connectivity;
  readonly origin: string;
  /** Operand of a two-operand compute node (ecmt matmul); absent elsewhere. */
  readonly operand?: Operand;
}

export interface RawPop {
  readonly id: number;
  readonly name: string;
  readonly shape: Shape3;
  readonly site: SiteKind;
  readonly terms: readonly RawTerm[];
  /** Raw bias per output channel (ANN units), or null. */
  readonly bias: Float32Array | null;
  /** ANN node whose output calibrates this population (activation; logits for the readout). */
  readonly statsNode: string;
  readonly relu6: boolean;
  readonly rateNormTheta?: number;
  readonly clipFloor?: { readonly levels: number; readonly lambda: number; readonly shift: number };
  /** Site `compute`: the operator and its constant per-element input (ANN units). */
  readonly compute?: { readonly op: ComputeOp; readonly offset: Float32Array | null };
}

export interface RawSnn {
  readonly name: string;
  readonly pops: readonly RawPop[];
  readonly input: number;
  readonly output: number;
  readonly inputShape: Shape;
  /** Graph with the output softmax removed, for calibrating logits. */
  readonly calibrationGraph: AnnGraph;
}

export interface LowerOptions {
  /** Replace max pooling by average pooling (with a warning) instead of a spiking max-gate. */
  readonly maxPoolAsAverage: boolean;
  /** Fold non-overlapping average pooling into the following Conv/Dense (no pooling neurons). */
  readonly foldPooling?: boolean;
}

type PopValue = { readonly kind: "pop"; readonly views: readonly View[]; readonly shape: Shape };

/** Average pooling not yet given neurons: the next Conv/Dense absorbs it, anything else materialises it. */
type PooledValue = {
  readonly kind: "pooled";
  readonly view: View;
  readonly fy: number;
  readonly fx: number;
  readonly pooledShape: Shape3;
  readonly shape: Shape;
  readonly materialize: () => PopValue;
};

type Value =
  | PopValue
  | PooledValue
  | { readonly kind: "linear"; readonly terms: readonly RawTerm[]; readonly bias: Float32Array | null; readonly shape: Shape; readonly softmax: boolean };

export function lowerAnn(graph: AnnGraph, options: LowerOptions, warn: (w: Warning) => void): RawSnn {
  if (graph.inputs.length !== 1) {
    throw fail("SNNC201", `the model has ${graph.inputs.length} inputs; conversion supports one`, { layer: graph.inputs[1] ?? "" }, "feed side inputs through the image or split the model");
  }
  if (graph.outputs.length !== 1) throw fail("SNNC201", `the model has ${graph.outputs.length} outputs; conversion supports one`, { layer: graph.outputs[1] ?? "" });
  const pops: RawPop[] = [];
  const values = new Map<string, Value>();
  const outputName = graph.outputs[0] as string;
  const addPop = (p: Omit<RawPop, "id">): number => {
    pops.push({ ...p, id: pops.length });
    return pops.length - 1;
  };
  const popValue = (id: number, shape: Shape): Value => ({ kind: "pop", views: [identityView(id, shape)], shape });

  /** A population of IF neurons fed by a pooling projection (average), or a max-gate population. */
  const spikingPool = (op: PoolOp | { kind: "globalAvgPool" }, src: PopValue, node: AnnNode): PopValue => {
    const layer = node.name;
    const view = src.views[0];
    if (src.views.length !== 1 || !view || !isSpatial(view) || !isWhole({ ...view, shape: view.layout })) {
      throw fail("SNNC201", "pooling of a padded or concatenated tensor is not supported in conversion", { layer });
    }
    const poolOp: PoolOp = op.kind === "globalAvgPool"
      ? { kind: "avgPool", poolSize: [view.layout[0], view.layout[1]], strides: [1, 1], padding: "valid" }
      : op;
    const geometry = geometryOf(view.layout, to3d(node.shape), poolOp.poolSize, poolOp.strides, [1, 1], poolOp.padding);
    let asMax = poolOp.kind === "maxPool";
    if (asMax && options.maxPoolAsAverage) {
      warn({ code: "SNNC-W201", message: "max pooling replaced by average pooling (spiking max-pool disabled); accuracy may drop", loc: { layer } });
      asMax = false;
    }
    const conn: Connectivity = asMax ? { kind: "maxPool", geometry } : { kind: "avgPool", geometry, scale: new Float32Array(geometry.inC).fill(1) };
    const id = addPop({ name: layer, shape: to3d(node.shape), site: asMax ? "maxPool" : "avgPool", terms: [{ source: view.pop, conn, origin: layer }], bias: null, statsNode: layer, relu6: false });
    return { kind: "pop", views: [identityView(id, node.shape)], shape: node.shape };
  };

  for (const node of graph.nodes) {
    const layer = node.name;
    const arg = (k = 0): Value => {
      const v = values.get(node.inputs[k] ?? "");
      if (!v) throw new Error(`internal: no value for ${node.inputs[k]}`);
      return v;
    };
    const needPop = (v: Value, what: string): PopValue => {
      if (v.kind === "pop") return v;
      if (v.kind === "pooled") {
        const m = v.materialize();
        return { ...m, views: reshapeViews(m.views, v.shape), shape: v.shape };
      }
      throw fail("SNNC201", `${what} takes the output of another linear layer with no activation in between`, { layer },
        "put a ReLU between the two layers, or fold them into one layer before converting");
    };
    const makeSite = (v: Value, site: SiteKind, extra: Partial<RawPop> = {}): Value => {
      const lin = v.kind === "linear" ? v : null;
      if (!lin) throw fail("SNNC201", `${node.sourceClass} applied to spikes (another activation's output) cannot be converted`, { layer });
      const id = addPop({ name: layer, shape: to3d(node.shape), site, terms: lin.terms, bias: lin.bias, statsNode: layer, relu6: false, ...extra });
      return popValue(id, node.shape);
    };
    const op = node.op;
    let value: Value;
    switch (op.kind) {
      case "input": {
        const id = addPop({ name: layer, shape: to3d(node.shape), site: "input", terms: [], bias: null, statsNode: layer, relu6: false });
        value = popValue(id, node.shape);
        break;
      }
      case "dense":
      case "conv2d":
      case "depthwiseConv2d": {
        const x = arg();
        const folded = x.kind === "pooled" ? foldedConn(op, x, node) : null;
        const src = folded ? null : needPop(x, node.sourceClass);
        const terms = folded && x.kind === "pooled"
          ? [{ source: x.view.pop, conn: folded, origin: layer }]
          : (src as PopValue).views.map((v) => ({ source: v.pop, conn: weightedConn(op, v, node, (src as PopValue).shape), origin: layer }));
        const lin: Value = { kind: "linear", terms, bias: op.bias ? Float32Array.from(op.bias) : null, shape: node.shape, softmax: op.activation === "softmax" };
        value = activateValue(lin, op.activation, makeSite);
        break;
      }
      case "batchNorm": {
        const x = arg();
        if (x.kind !== "linear") {
          throw fail("SNNC201", "BatchNormalization after an activation cannot be folded into the spiking network", { layer },
            "place BatchNormalization between a Conv/Dense and its activation");
        }
        value = foldAffine(x, op.gamma.map((g, c) => g / Math.sqrt((op.variance[c] as number) + op.epsilon)), op, layer);
        break;
      }
      case "activation":
        value = activateValue(arg(), op.activation, makeSite);
        break;
      case "rateNorm":
        value = makeSite(arg(), "rateNorm", { rateNormTheta: op.theta });
        break;
      case "clipFloor":
        value = makeSite(arg(), "clipFloor", { clipFloor: { levels: op.levels, lambda: op.lambda, shift: op.shift } });
        break;
      case "avgPool":
      case "maxPool":
      case "globalAvgPool": {
        const src = needPop(arg(), node.sourceClass);
        const pooled = options.foldPooling ? foldablePool(op, src, node) : null;
        if (pooled) {
          let made: PopValue | null = null;
          value = {
            ...pooled,
            materialize: () => {
              made ??= spikingPool(op, src, node);
              return made;
            },
          };
          break;
        }
        value = spikingPool(op, src, node);
        break;
      }
      case "flatten":
      case "reshape": {
        const x = arg();
        if (x.kind === "pooled") {
          value = { ...x, shape: node.shape };
          break;
        }
        value = x.kind === "pop" ? { kind: "pop", views: reshapeViews(x.views, node.shape), shape: node.shape } : reshapeLinear(x, node);
        break;
      }
      case "zeroPad": {
        const x = needPop(arg(), node.sourceClass);
        value = { kind: "pop", views: padViews(x.views, op.padding, layer), shape: node.shape };
        break;
      }
      case "concat": {
        const parts = node.inputs.map((_, k) => needPop(arg(k), node.sourceClass));
        value = { kind: "pop", views: concatViews(parts.map((p) => p.views), parts.map((p) => p.shape), op.axis, node.shape, layer), shape: node.shape };
        break;
      }
      case "add": {
        const terms: RawTerm[] = [];
        let bias: Float32Array | null = null;
        const channels = to3d(node.shape)[2];
        node.inputs.forEach((_, k) => {
          const x = arg(k);
          if (x.kind === "linear") {
            terms.push(...x.terms);
            if (x.bias) bias = addInto(bias, x.bias);
            return;
          }
          const px = needPop(x, node.sourceClass);
          const v = px.views[0];
          if (px.views.length !== 1 || !v || !isWhole(v)) {
            throw fail("SNNC201", "Add of a padded, reshaped or concatenated tensor is not supported", { layer });
          }
          terms.push({ source: v.pop, conn: { kind: "oneToOne", weights: new Float32Array(channels).fill(1) }, origin: layer });
        });
        value = { kind: "linear", terms, bias, shape: node.shape, softmax: false };
        break;
      }
      case "layerNorm":
      case "multiHeadAttention":
      case "softmax":
      case "positionEmbedding":
      case "classToken":
      case "globalAvgPool1d":
      case "tokenSlice":
        // Transformer operators: converted by `--method ecmt` only (issue 13, in progress).
        throw fail("SNNC201", `${node.sourceClass} is a transformer operator; only --method ecmt converts it`, { layer });
      default:
        assertNever(op, "op");
    }
    values.set(layer, value);
  }

  const outValue = values.get(outputName) as Value;
  const out = outValue.kind === "pooled" ? outValue.materialize() : outValue;
  let output: number;
  if (out.kind === "linear") {
    output = pops.length;
    pops.push({ id: output, name: outputName, shape: to3d(out.shape), site: "readout", terms: out.terms, bias: out.bias, statsNode: outputName, relu6: false });
  } else {
    const v = out.views[0];
    if (out.views.length !== 1 || !v || !isWhole(v)) throw fail("SNNC201", "the model output is a reshaped or concatenated tensor", { layer: outputName });
    output = v.pop;
  }
  for (const [name, v] of values) {
    if (v.kind === "linear" && v.softmax && name !== outputName) {
      throw fail("SNNC201", "softmax is only supported as the model's output activation", { layer: name });
    }
  }
  return { name: graph.name, pops, input: 0, output, inputShape: graph.nodes[0]?.shape ?? [], calibrationGraph: withoutOutputSoftmax(graph) };
}

function activateValue(x: Value, act: Activation, makeSite: (v: Value, s: SiteKind, extra?: Partial<RawPop>) => Value): Value {
  switch (act) {
    case "linear":
      return x;
    case "softmax":
      return x.kind === "linear" ? { ...x, softmax: true } : x;
    case "relu":
    case "relu6":
      // ReLU of spikes (non-negative rates), or of their average, is the identity.
      if (x.kind === "pop" || x.kind === "pooled") return x;
      return makeSite(x, "relu", { relu6: act === "relu6" });
    case "gelu":
    case "geluTanh":
      // GELU is a transformer operator: converted by `--method ecmt` only (issue 13, in progress).
      throw fail("SNNC201", "GELU is converted by --method ecmt only");
  }
}

function addInto(acc: Float32Array | null, b: Float32Array): Float32Array {
  const out = acc ? Float32Array.from(acc) : new Float32Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = (out[i] as number) + (b[i] as number);
  return out;
}

function geometryOf(inShape: Shape3, outShape: Shape3, k: readonly [number, number], s: readonly [number, number], d: readonly [number, number], padding: "valid" | "same"): WindowGeometry {
  const w = window2d(inShape, k, s, d, padding);
  return {
    inH: inShape[0], inW: inShape[1], inC: inShape[2], outH: outShape[0], outW: outShape[1], outC: outShape[2],
    kh: k[0], kw: k[1], sh: s[0], sw: s[1], dh: d[0], dw: d[1], padTop: w.padTop, padLeft: w.padLeft,
  };
}

/** The connectivity of a weighted layer restricted to one source view. */
function weightedConn(op: DenseOp | Conv2dOp | DepthwiseConv2dOp, v: View, node: AnnNode, inShape: Shape): Connectivity {
  const [h, w, c] = v.popShape;
  if (op.kind === "dense") {
    const inN = shapeSize(inShape);
    const units = op.units;
    if (isWhole(v) && shapeSize(v.shape) === inN) return { kind: "dense", weights: Float32Array.from(op.kernel) };
    const weights = new Float32Array(h * w * c * units);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) {
          const row = flatIndexOf(v, y, x, k);
          weights.set(op.kernel.subarray(row * units, (row + 1) * units), ((y * w + x) * c + k) * units);
        }
      }
    }
    return { kind: "dense", weights };
  }
  if (!isSpatial(v)) throw fail("SNNC201", `${node.sourceClass} on a flattened or reshaped tensor is not supported`, { layer: node.name });
  const full = geometryOf(v.layout, to3d(node.shape), op.kernelSize, op.strides, op.dilation, op.padding);
  // Source neuron (y, x) sits at (y + dy, x + dx) of the padded tensor: shift the padding by the offset.
  const geometry: WindowGeometry = { ...full, inH: h, inW: w, inC: c, padTop: full.padTop + v.dy, padLeft: full.padLeft + v.dx };
  const [kh, kw] = op.kernelSize;
  if (op.kind === "depthwiseConv2d") {
    if (v.dc !== 0 || c !== v.layout[2]) throw fail("SNNC201", "DepthwiseConv2D on concatenated channels is not supported", { layer: node.name });
    return { kind: "depthwise", geometry, kernel: Float32Array.from(op.kernel), multiplier: op.depthMultiplier };
  }
  const cinFull = v.layout[2];
  const cout = op.filters;
  let kernel: Float32Array;
  if (v.dc === 0 && c === cinFull) kernel = Float32Array.from(op.kernel);
  else {
    kernel = new Float32Array(kh * kw * c * cout);
    for (let t = 0; t < kh * kw; t++) {
      for (let k = 0; k < c; k++) {
        const src = (t * cinFull + k + v.dc) * cout;
        kernel.set(op.kernel.subarray(src, src + cout), (t * c + k) * cout);
      }
    }
  }
  return { kind: "conv", geometry, kernel };
}

/** y = scale[c] * x + shift[c] applied to a linear expression (BatchNormalization). */
function foldAffine(x: Extract<Value, { kind: "linear" }>, scale: Float32Array, bn: { beta: Float32Array; mean: Float32Array }, layer: string): Value {
  const C = scale.length;
  const terms = x.terms.map((t) => ({ ...t, conn: scaleOutputs(t.conn, scale, layer), origin: t.origin }));
  const bias = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const b = x.bias ? (x.bias[c] as number) : 0;
    bias[c] = (b - (bn.mean[c] as number)) * (scale[c] as number) + (bn.beta[c] as number);
  }
  return { kind: "linear", terms, bias, shape: x.shape, softmax: x.softmax };
}

function scaleOutputs(conn: Connectivity, scale: Float32Array, layer: string): Connectivity {
  const C = scale.length;
  switch (conn.kind) {
    case "dense": {
      const w = Float32Array.from(conn.weights);
      for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) * (scale[i % C] as number);
      return { kind: "dense", weights: w };
    }
    case "conv":
    case "depthwise": {
      const k = Float32Array.from(conn.kernel);
      // conv: last axis is the output channel; depthwise: (c * multiplier + m) is, and the kernel's last two
      // axes flatten to exactly that index.
      for (let i = 0; i < k.length; i++) k[i] = (k[i] as number) * (scale[i % C] as number);
      return { ...conn, kernel: k };
    }
    case "oneToOne":
      return { kind: "oneToOne", weights: conn.weights.map((w, c) => w * (scale[c] as number)) };
    case "avgPool":
    case "maxPool":
      throw fail("SNNC201", "BatchNormalization after pooling cannot be folded", { layer });
  }
}

function reshapeLinear(x: Value, node: AnnNode): Value {
  if (x.kind === "linear" && shapeSize(x.shape) === shapeSize(node.shape) && to3d(x.shape).join() === to3d(node.shape).join()) {
    return { ...x, shape: node.shape };
  }
  throw fail("SNNC201", `${node.sourceClass} of a pre-activation (no ReLU before it) is not supported`, { layer: node.name },
    "apply the activation before flattening or reshaping");
}

function withoutOutputSoftmax(graph: AnnGraph): AnnGraph {
  const out = graph.outputs[0];
  return {
    ...graph,
    nodes: graph.nodes.map((n) => {
      if (n.name !== out) return n;
      const op = n.op;
      if ((op.kind === "dense" || op.kind === "conv2d" || op.kind === "depthwiseConv2d") && op.activation === "softmax") return { ...n, op: { ...op, activation: "linear" as const } };
      if (op.kind === "activation" && op.activation === "softmax") return { ...n, op: { kind: "activation" as const, activation: "linear" as const } };
      return n;
    }),
  };
}

/** Non-overlapping valid average pooling of a whole spatial population, with sizes dividing the input. */
function foldablePool(op: PoolOp | { kind: "globalAvgPool" }, src: PopValue, node: AnnNode): Omit<PooledValue, "materialize"> | null {
  const view = src.views[0];
  if (src.views.length !== 1 || !view || !isSpatial(view) || !isWhole({ ...view, shape: view.layout })) return null;
  const [h, w, c] = view.layout;
  let fy: number;
  let fx: number;
  if (op.kind === "globalAvgPool") {
    fy = h;
    fx = w;
  } else {
    if (op.kind !== "avgPool" || op.padding !== "valid") return null;
    [fy, fx] = op.poolSize;
    if (op.strides[0] !== fy || op.strides[1] !== fx || h % fy !== 0 || w % fx !== 0) return null;
  }
  return { kind: "pooled", view, fy, fx, pooledShape: [h / fy, w / fx, c], shape: node.shape };
}

/** The connectivity of Conv/Dense composed with the pooling before it (weights / window area), or null when
 * the composition does not apply (dilated kernels, reshaped images). */
function foldedConn(op: DenseOp | Conv2dOp | DepthwiseConv2dOp, x: PooledValue, node: AnnNode): Connectivity | null {
  const [h, w, c] = x.view.layout;
  const area = x.fy * x.fx;
  const [ph, pw] = [x.pooledShape[0], x.pooledShape[1]];
  if (op.kind === "dense") {
    const units = op.units;
    const weights = new Float32Array(h * w * c * units);
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        for (let k = 0; k < c; k++) {
          const row = ((Math.floor(y / x.fy) * pw + Math.floor(xx / x.fx)) * c + k) * units;
          const dst = ((y * w + xx) * c + k) * units;
          for (let j = 0; j < units; j++) weights[dst + j] = (op.kernel[row + j] as number) / area;
        }
      }
    }
    return { kind: "dense", weights };
  }
  const logical = to3d(x.shape);
  if (logical[0] !== ph || logical[1] !== pw || op.dilation[0] !== 1 || op.dilation[1] !== 1) return null;
  const pooledGeom = geometryOf(x.pooledShape, to3d(node.shape), op.kernelSize, op.strides, op.dilation, op.padding);
  const [kh, kw] = op.kernelSize;
  const KH = kh * x.fy;
  const KW = kw * x.fx;
  const per = op.kind === "conv2d" ? c * op.filters : c * op.depthMultiplier;
  const kernel = new Float32Array(KH * KW * per);
  for (let ky = 0; ky < KH; ky++) {
    for (let kx = 0; kx < KW; kx++) {
      const from = (Math.floor(ky / x.fy) * kw + Math.floor(kx / x.fx)) * per;
      const to = (ky * KW + kx) * per;
      for (let i = 0; i < per; i++) kernel[to + i] = (op.kernel[from + i] as number) / area;
    }
  }
  const geometry: WindowGeometry = {
    inH: h, inW: w, inC: c, outH: pooledGeom.outH, outW: pooledGeom.outW, outC: pooledGeom.outC,
    kh: KH, kw: KW, sh: op.strides[0] * x.fy, sw: op.strides[1] * x.fx, dh: 1, dw: 1,
    padTop: pooledGeom.padTop * x.fy, padLeft: pooledGeom.padLeft * x.fx,
  };
  return op.kind === "conv2d" ? { kind: "conv", geometry, kernel } : { kind: "depthwise", geometry, kernel, multiplier: op.depthMultiplier };
}
