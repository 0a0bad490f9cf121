/**
 * @fileoverview ecmt lowering: AnnGraph (a Vision Transformer, or any graph of the layers below) → RawSnn with
 * ECMT compute nodes (Huang et al., arXiv 2502.21193; checks in docs/conversion.md).
 *
 * Token tensors [tokens, features] become populations of shape [1, tokens, features] (features = channels),
 * so a token-wise Dense is a 1×1 convolution and Dense biases stay per channel. Values are populations or
 * linear expressions (weighted terms from populations + per-channel bias + per-element offset). Rules:
 *   Conv2D/Dense on a spiking population          → linear terms (a compute node's output is first quantised)
 *   Reshape of a linear expression or population   → the same terms/neurons, flat NHWC order kept
 *   ClassToken / PositionEmbedding on a linear     → a per-element offset (the class token is kept as the last
 *                                                    token internally; slices and the table follow)
 *   Add                                            → sum of terms, biases and offsets
 *   a linear value read by two or more layers      → a `sum` compute node (f = identity), read one-to-one
 *   LayerNormalization, GELU, in-graph Softmax     → an EC compute node on the linear expression
 *   MultiHeadAttention                             → quantise input → q, k, v quantisers (MT neurons on the
 *                                                    linear maps) → matmul QKᵀ node → softmax node (scale
 *                                                    1/√keyDim on its input) → quantiser → matmul A·V node →
 *                                                    quantiser → output kernel as linear terms
 *   ReLU on a linear expression                    → ECMT ReLU neurons (as --method mt)
 *   TokenSlice / GlobalAveragePooling1D            → of a population: folded into the next Dense (per-token
 *                                                    weights); of a linear expression: its terms reduced to
 *                                                    dense maps onto the features
 *   the graph output (linear, softmax)             → the readout (the final Dense reads the compute node's
 *                                                    graded output directly, as ECMT's head reads its norm)
 * Multi-threshold quantisers sit on every linear → non-linear path: every Conv/Dense reads spikes.
 * Anything else is SNNC210 naming the layer; inconsistent dimensions are SNNC212.
 */
import { fail, type Warning } from "../../diagnostics.ts";
import type { AnnGraph, AnnNode, MultiHeadAttentionOp, Shape } from "../../ir/ann.ts";
import { shapeSize } from "../../ir/ann.ts";
import { window2d } from "../../ir/shape.ts";
import type { ComputeOp, Connectivity } from "../../ir/snn.ts";
import { scatterProjection } from "../../simulate/scatter.ts";
import type { RawPop, RawSnn, RawTerm, SiteKind } from "../lower.ts";
import type { Shape3 } from "../views.ts";

type PopV = { readonly kind: "pop"; readonly pop: number; readonly shape: Shape3 };
type LinV = { readonly kind: "linear"; readonly terms: readonly RawTerm[]; readonly bias: Float32Array | null; readonly offset: Float32Array | null; readonly shape: Shape3; readonly softmax: boolean };
/** A token reduction (slice or mean) of a population, waiting for the Dense that absorbs it. */
type ReduceV = { readonly kind: "reduce"; readonly pop: number; readonly tokenWeights: Float32Array; readonly srcShape: Shape3; readonly shape: Shape3 };
type Value = PopV | LinV | ReduceV;

export function tokenShape(shape: Shape): Shape3 {
  if (shape.length === 3) return [shape[0] as number, shape[1] as number, shape[2] as number];
  if (shape.length === 2) return [1, shape[0] as number, shape[1] as number];
  return [1, 1, shapeSize(shape)];
}

export function lowerEcmt(graph: AnnGraph, warn: (w: Warning) => void): RawSnn {
  void warn;
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw fail("SNNC210", "ecmt converts models with one input and one output", { layer: graph.outputs[1] ?? graph.inputs[1] ?? "" });
  }
  const pops: RawPop[] = [];
  const values = new Map<string, Value>();
  /** Patch tokens before the class token was added (the class token is then internal token `classTokenLast`). */
  let classTokenLast: number | null = null;
  /** The ANN's token index of internal token t, and back. */
  const annToken = (t: number, tokens: number): number => (classTokenLast === null || tokens !== classTokenLast + 1 ? t : t === classTokenLast ? 0 : t + 1);
  const internalToken = (i: number, tokens: number): number => (classTokenLast === null || tokens !== classTokenLast + 1 ? i : i === 0 ? classTokenLast : i - 1);
  const quantisers = new Map<number, number>();
  const outputName = graph.outputs[0] as string;
  const add = (p: Omit<RawPop, "id" | "relu6"> & { relu6?: boolean }): number => {
    pops.push({ relu6: false, ...p, id: pops.length });
    return pops.length - 1;
  };
  const size = (s: Shape3): number => s[0] * s[1] * s[2];
  const computePop = (name: string, shape: Shape3, op: ComputeOp, terms: readonly RawTerm[], offset: Float32Array | null): PopV =>
    ({ kind: "pop", pop: add({ name, shape, site: "compute", terms, bias: null, statsNode: name, compute: { op, offset } }), shape });
  const identity = (pop: number, shape: Shape3, origin: string, operand?: "left" | "right"): RawTerm =>
    ({ source: pop, conn: { kind: "oneToOne", weights: new Float32Array(shape[2]).fill(1) }, origin, ...(operand ? { operand } : {}) });

  /** The spiking form of a value: MT neurons (cached per compute node) on compute outputs and linear maps. */
  const spikes = (v: Value, name: string, layer: string): PopV => {
    if (v.kind === "reduce") throw fail("SNNC210", "a token slice or token mean must feed a Dense layer", { layer });
    if (v.kind === "linear") {
      if (v.offset) throw fail("SNNC210", "a position embedding or class token must reach a LayerNormalization before any other layer", { layer });
      return { kind: "pop", pop: add({ name, shape: v.shape, site: "quantise", terms: v.terms, bias: v.bias, statsNode: name }), shape: v.shape };
    }
    const src = pops[v.pop] as RawPop;
    if (src.site !== "compute") return v;
    let q = quantisers.get(v.pop);
    if (q === undefined) {
      const qn = `${src.name}/spikes`;
      q = add({ name: qn, shape: src.shape, site: "quantise", terms: [identity(v.pop, src.shape, src.name)], bias: null, statsNode: qn });
      quantisers.set(v.pop, q);
    }
    return { kind: "pop", pop: q, shape: src.shape };
  };
  const asLinear = (v: Value, layer: string): LinV => {
    if (v.kind === "linear") return v;
    if (v.kind === "reduce") throw fail("SNNC210", "a token slice or token mean must feed a Dense layer", { layer });
    return { kind: "linear", terms: [identity(v.pop, v.shape, layer)], bias: null, offset: null, shape: v.shape, softmax: false };
  };
  const offsetOf = (v: LinV): Float32Array | null => {
    if (!v.bias && !v.offset) return null;
    const n = size(v.shape);
    const C = v.shape[2];
    const o = v.offset ? Float32Array.from(v.offset) : new Float32Array(n);
    if (v.bias) for (let i = 0; i < n; i++) o[i] = (o[i] as number) + (v.bias[i % C] as number);
    return o;
  };

  // A linear value that several layers read (the residual stream after an Add, the embedded patches) is computed
  // once, by a `sum` compute node: each reader then gets its graded output through a one-to-one link instead of a
  // copy of every synapse behind it (ECMT adds the residual stream in float; its Linear layers run once).
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const shared = (v: Value, layer: string): Value => {
    if (v.kind !== "linear" || v.softmax || (readers.get(layer) ?? 0) < 2 || v.terms.every((t) => t.conn.kind === "oneToOne")) return v;
    return computePop(layer, v.shape, { kind: "sum" }, v.terms, offsetOf(v));
  };

  for (const node of graph.nodes) {
    const layer = node.name;
    const arg = (k = 0): Value => {
      const v = values.get(node.inputs[k] ?? "");
      if (!v) throw new Error(`internal: no value for ${node.inputs[k]}`);
      return v;
    };
    const shape = tokenShape(node.shape);
    const op = node.op;
    let value: Value;
    switch (op.kind) {
      case "input":
        value = { kind: "pop", pop: add({ name: layer, shape, site: "input", terms: [], bias: null, statsNode: layer }), shape };
        break;
      case "conv2d": {
        const x = spikes(arg(), `${layer}/in`, layer);
        const [h, w, c] = x.shape;
        if (op.dilation[0] !== 1 || op.dilation[1] !== 1 || c * op.kernelSize[0] * op.kernelSize[1] * op.filters !== op.kernel.length) {
          throw fail("SNNC212", "Conv2D kernel does not match its input", { layer });
        }
        const win = window2d([h, w, c], op.kernelSize, op.strides, op.dilation, op.padding);
        const conn: Connectivity = {
          kind: "conv", kernel: Float32Array.from(op.kernel),
          geometry: { inH: h, inW: w, inC: c, outH: win.outH, outW: win.outW, outC: op.filters, kh: win.kh, kw: win.kw, sh: win.sh, sw: win.sw, dh: 1, dw: 1, padTop: win.padTop, padLeft: win.padLeft },
        };
        value = activate({ kind: "linear", terms: [{ source: x.pop, conn, origin: layer }], bias: op.bias ? Float32Array.from(op.bias) : null, offset: null, shape, softmax: false }, op.activation, node);
        break;
      }
      case "dense": {
        const x = arg();
        const units = op.units;
        let term: RawTerm;
        if (x.kind === "reduce") {
          const src = node.name === outputName ? { kind: "pop" as const, pop: x.pop, shape: x.srcShape } : spikes({ kind: "pop", pop: x.pop, shape: x.srcShape }, `${layer}/in`, layer);
          const [, tokens, F] = x.srcShape;
          if (F * units !== op.kernel.length) throw fail("SNNC212", `Dense kernel is ${op.kernel.length / units}×${units}, its input has ${F} features`, { layer });
          const weights = new Float32Array(tokens * F * units);
          for (let t = 0; t < tokens; t++) {
            const wt = x.tokenWeights[t] as number;
            if (wt === 0) continue;
            for (let i = 0; i < F * units; i++) weights[t * F * units + i] = wt * (op.kernel[i] as number);
          }
          term = { source: src.pop, conn: { kind: "dense", weights }, origin: layer };
        } else {
          const direct = node.name === outputName && x.kind === "pop";
          const src = direct ? (x as PopV) : spikes(x, `${layer}/in`, layer);
          const F = src.shape[2];
          if (F * units !== op.kernel.length) throw fail("SNNC212", `Dense kernel is ${op.kernel.length / units}×${units}, its input has ${F} features`, { layer });
          const [h, w] = [src.shape[0], src.shape[1]];
          const conn: Connectivity = h * w === 1
            ? { kind: "dense", weights: Float32Array.from(op.kernel) }
            : { kind: "conv", kernel: Float32Array.from(op.kernel), geometry: { inH: h, inW: w, inC: F, outH: h, outW: w, outC: units, kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 0, padLeft: 0 } };
          term = { source: src.pop, conn, origin: layer };
        }
        value = activate({ kind: "linear", terms: [term], bias: op.bias ? Float32Array.from(op.bias) : null, offset: null, shape, softmax: false }, op.activation, node);
        break;
      }
      case "activation":
        value = activate(asLinear(arg(), layer), op.activation, node);
        break;
      case "softmax":
        value = node.name === outputName ? { ...asLinear(arg(), layer), softmax: true } : activate(asLinear(arg(), layer), "softmax", node);
        break;
      case "flatten":
      case "reshape": {
        const x = arg();
        if (x.kind === "reduce") throw fail("SNNC210", "reshape of a token slice or token mean", { layer });
        value = { ...x, shape };
        break;
      }
      case "classToken": {
        // The class token is kept as the LAST token internally (attention, LayerNorm and token-wise layers do
        // not depend on token order): the patch embedding's terms then fill the first tokens unchanged (a
        // convolution's outputs are the first neurons of the target population) and no weight is copied.
        const x = asLinear(arg(), layer);
        const [, tokens, F] = x.shape;
        if (op.token.length !== F || shape[1] !== tokens + 1) throw fail("SNNC212", `class token has ${op.token.length} features, the sequence ${F}`, { layer });
        if (classTokenLast !== null) throw fail("SNNC210", "a second class token", { layer });
        classTokenLast = tokens;
        const offset = new Float32Array((tokens + 1) * F);
        const inner = offsetOf(x);
        if (inner) offset.set(inner, 0);
        offset.set(op.token, tokens * F);
        value = { kind: "linear", terms: x.terms, bias: null, offset, shape, softmax: false };
        break;
      }
      case "positionEmbedding": {
        const x = asLinear(arg(), layer);
        if (op.table.length !== size(x.shape)) throw fail("SNNC212", `position table has ${op.table.length} values, the sequence ${size(x.shape)}`, { layer });
        const offset = x.offset ? Float32Array.from(x.offset) : new Float32Array(size(x.shape));
        const F = x.shape[2];
        for (let i = 0; i < offset.length; i++) {
          const t = Math.floor(i / F);
          offset[i] = (offset[i] as number) + (op.table[annToken(t, x.shape[1]) * F + (i % F)] as number);
        }
        value = { ...x, offset };
        break;
      }
      case "add": {
        const parts = node.inputs.map((_, k) => asLinear(arg(k), layer));
        const n = size(shape);
        let bias: Float32Array | null = null;
        let offset: Float32Array | null = null;
        for (const p of parts) {
          if (size(p.shape) !== n) throw fail("SNNC212", "Add of tensors of different sizes", { layer });
          if (p.bias) bias = sum(bias, p.bias);
          if (p.offset) offset = sum(offset, p.offset);
        }
        value = { kind: "linear", terms: parts.flatMap((p) => p.terms), bias, offset, shape, softmax: false };
        break;
      }
      case "layerNorm": {
        const x = asLinear(arg(), layer);
        const F = x.shape[2];
        if ((op.gamma && op.gamma.length !== F) || (op.beta && op.beta.length !== F)) throw fail("SNNC212", `LayerNormalization parameters do not have ${F} features`, { layer });
        value = computePop(layer, x.shape, { kind: "layerNorm", features: F, epsilon: op.epsilon, gamma: op.gamma, beta: op.beta }, x.terms, offsetOf(x));
        break;
      }
      case "multiHeadAttention":
        value = attention(op, spikes(arg(), `${layer}/in`, layer), node);
        break;
      case "tokenSlice":
      case "globalAvgPool1d": {
        const x = arg();
        if (x.kind === "reduce") throw fail("SNNC210", `${node.sourceClass} of a token slice or mean`, { layer });
        const tokens = x.shape[1];
        const tokenWeights = new Float32Array(tokens);
        if (op.kind === "tokenSlice") {
          if (op.index < 0 || op.index >= tokens) throw fail("SNNC212", `token ${op.index} of ${tokens}`, { layer });
          tokenWeights[internalToken(op.index, tokens)] = 1;
        } else tokenWeights.fill(1 / tokens);
        value = x.kind === "pop" ? { kind: "reduce", pop: x.pop, tokenWeights, srcShape: x.shape, shape } : reduceLinear(pops, x, tokenWeights, shape);
        break;
      }
      default:
        throw fail("SNNC210", `${node.sourceClass} (${op.kind}) is not converted by --method ecmt`, { layer },
          "ecmt converts Vision Transformers: Conv2D patch embedding, Reshape, class token, position embedding, LayerNormalization, MultiHeadAttention, Dense (GELU/ReLU), Add, token slice or GlobalAveragePooling1D");
    }
    values.set(layer, shared(value, layer));
  }

  function activate(x: LinV, act: string, node: AnnNode): Value {
    const layer = node.name;
    switch (act) {
      case "linear":
        return x;
      case "softmax":
        if (node.name === outputName) return { ...x, softmax: true };
        return computePop(layer, x.shape, { kind: "softmax", groupSize: x.shape[2] }, x.terms, offsetOf(x));
      case "gelu":
      case "geluTanh":
        return computePop(layer, x.shape, { kind: "gelu", approximate: act === "geluTanh" }, x.terms, offsetOf(x));
      case "relu":
        if (x.offset) throw fail("SNNC210", "ReLU of a position embedding", { layer });
        return { kind: "pop", pop: add({ name: layer, shape: x.shape, site: "relu" as SiteKind, terms: x.terms, bias: x.bias, statsNode: layer }), shape: x.shape };
      default:
        throw fail("SNNC210", `activation ${act} is not converted by --method ecmt`, { layer });
    }
  }

  function attention(op: MultiHeadAttentionOp, x: PopV, node: AnnNode): Value {
    const layer = node.name;
    const [, N, F] = x.shape;
    const { heads: H, keyDim: dk, valueDim: dv, outDim } = op;
    const check = (what: string, got: number, want: number): void => {
      if (got !== want) throw fail("SNNC212", `MultiHeadAttention ${what} has ${got} values, expected ${want} (features ${F}, heads ${H}, key ${dk}, value ${dv}, output ${outDim})`, { layer });
    };
    check("query kernel", op.queryKernel.length, F * H * dk);
    check("key kernel", op.keyKernel.length, F * H * dk);
    check("value kernel", op.valueKernel.length, F * H * dv);
    check("output kernel", op.outputKernel.length, H * dv * outDim);
    if (op.queryBias) check("query bias", op.queryBias.length, H * dk);
    if (op.keyBias) check("key bias", op.keyBias.length, H * dk);
    if (op.valueBias) check("value bias", op.valueBias.length, H * dv);
    if (op.outputBias) check("output bias", op.outputBias.length, outDim);
    const tokenwise = (kernel: Float32Array, outC: number): Connectivity =>
      ({ kind: "conv", kernel: Float32Array.from(kernel), geometry: { inH: 1, inW: N, inC: F, outH: 1, outW: N, outC, kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 0, padLeft: 0 } });
    const proj = (what: string, kernel: Float32Array, bias: Float32Array | null, outC: number): PopV =>
      spikes({ kind: "linear", terms: [{ source: x.pop, conn: tokenwise(kernel, outC), origin: layer }], bias: bias ? Float32Array.from(bias) : null, offset: null, shape: [1, N, outC], softmax: false }, `${layer}/${what}`, layer);
    const q = proj("query", op.queryKernel, op.queryBias, H * dk);
    const k = proj("key", op.keyKernel, op.keyBias, H * dk);
    const v = proj("value", op.valueKernel, op.valueBias, H * dv);
    const scoreShape: Shape3 = [1, N, H * N];
    const scores = computePop(`${layer}/scores`, scoreShape, { kind: "matmul", heads: H, rows: N, inner: dk, cols: N, rightTransposed: true },
      [identity(q.pop, q.shape, layer, "left"), identity(k.pop, k.shape, layer, "right")], null);
    const scaled: RawTerm = { source: scores.pop, conn: { kind: "oneToOne", weights: new Float32Array(H * N).fill(1 / Math.sqrt(dk)) }, origin: layer };
    const probs = computePop(`${layer}/softmax`, scoreShape, { kind: "softmax", groupSize: N }, [scaled], null);
    const a = spikes(probs, "", layer);
    const ctx = computePop(`${layer}/context`, [1, N, H * dv], { kind: "matmul", heads: H, rows: N, inner: N, cols: dv, rightTransposed: false },
      [identity(a.pop, a.shape, layer, "left"), identity(v.pop, v.shape, layer, "right")], null);
    const c = spikes(ctx, "", layer);
    return { kind: "linear", terms: [{ source: c.pop, conn: tokenwise(op.outputKernel, outDim), origin: layer }], bias: op.outputBias ? Float32Array.from(op.outputBias) : null, offset: null, shape: [1, N, outDim], softmax: false };
  }

  const out = values.get(outputName) as Value;
  let output: number;
  if (out.kind === "linear") {
    if (out.offset) throw fail("SNNC210", "the model output carries a position embedding or class token", { layer: outputName });
    output = add({ name: outputName, shape: out.shape, site: "readout", terms: out.terms, bias: out.bias, statsNode: outputName });
  } else throw fail("SNNC210", "ecmt needs a Dense (or other linear) output layer as the readout", { layer: outputName });
  return { name: graph.name, pops, input: 0, output, inputShape: graph.nodes[0]?.shape ?? [], calibrationGraph: graph };
}

/** A token slice or mean of a linear expression (e.g. the residual stream before the final LayerNorm): each
 * term becomes a dense map onto the F features (its columns weighted per token and summed), the per-element
 * offset and the bias a per-feature bias. */
function reduceLinear(pops: readonly RawPop[], x: LinV, tokenWeights: Float32Array, shape: Shape3): LinV {
  const [, tokens, F] = x.shape;
  const n = tokens * F;
  const terms = x.terms.map((t) => {
    const src = pops[t.source] as RawPop;
    const srcSize = src.shape[0] * src.shape[1] * src.shape[2];
    const weights = new Float32Array(srcSize * F);
    const row = new Float32Array(n);
    const slot = { idx: new Int32Array(1), val: new Float32Array([1]), n: new Int32Array([1]), stride: 1 };
    for (let i = 0; i < srcSize; i++) {
      row.fill(0);
      slot.idx[0] = i;
      scatterProjection(t.conn, slot, row, 1, srcSize, n);
      for (let k = 0; k < n; k++) {
        const w = row[k] as number;
        if (w !== 0) weights[i * F + (k % F)] = (weights[i * F + (k % F)] as number) + w * (tokenWeights[Math.floor(k / F)] as number);
      }
    }
    return { ...t, conn: { kind: "dense" as const, weights } };
  });
  const weightSum = tokenWeights.reduce((a, v) => a + v, 0);
  const bias = new Float32Array(F);
  for (let f = 0; f < F; f++) bias[f] = (x.bias ? (x.bias[f] as number) : 0) * weightSum;
  if (x.offset) for (let k = 0; k < n; k++) bias[k % F] = (bias[k % F] as number) + (x.offset[k] as number) * (tokenWeights[Math.floor(k / F)] as number);
  return { kind: "linear", terms, bias, offset: null, shape, softmax: false };
}

function sum(acc: Float32Array | null, b: Float32Array): Float32Array {
  const out = acc ? Float32Array.from(acc) : new Float32Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = (out[i] as number) + (b[i] as number);
  return out;
}
