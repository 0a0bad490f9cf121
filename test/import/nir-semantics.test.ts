/**
 * @fileoverview The discretisation against an independent reading of NIR: a direct forward-Euler simulation of
 * the NIR graph in NIR's own layout (channels first, PyTorch convolution and pooling, Flatten, Affine), written
 * here from NIR's equations (docs/nir.md), against snnc's float SNN simulation of the lowered graph (channels
 * last, folded gains, normalised membranes). Same spikes per layer and the same readout, on a conv net with
 * SumPool2d, Flatten and an LI readout, and on the recurrent CubaLIF net.
 */
import { expect } from "chai";
import { flattenNir } from "../../compiler/import/nir/flatten.ts";
import { ENCODER_GAIN, lowerNir } from "../../compiler/import/nir/lower.ts";
import type { NirDocument, NirNode, Tensor } from "../../compiler/import/nir/types.ts";
import { simulateFloat } from "../../compiler/simulate/float-snn.ts";
import { seededRng } from "../../compiler/util/rng.ts";
import { full, graph, li, randomTensor, recurrentCubaLif } from "../helpers/nir.ts";

const DT = 0.001;

function convNet(): NirDocument {
  const conv: NirNode = { type: "Conv2d", weight: randomTensor([3, 2, 3, 3], 0.5, 31), bias: randomTensor([3], 0.05, 32), stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, inputShape: [6, 6], metadata: {} };
  const lifC: NirNode = { type: "LIF", tau: full([3, 6, 6], 0.004), r: full([3, 6, 6], 4), vLeak: full([3, 6, 6], 0), vThreshold: full([3, 6, 6], 1), vReset: full([3, 6, 6], 0), metadata: {} };
  const lifP: NirNode = { type: "LIF", tau: full([3, 3, 3], 0.003), r: full([3, 3, 3], 3), vLeak: full([3, 3, 3], 0), vThreshold: full([3, 3, 3], 1.5), vReset: full([3, 3, 3], 0), metadata: {} };
  return {
    version: "1.0",
    graph: graph({
      input: { type: "Input", shape: [2, 6, 6], metadata: {} },
      conv, lifC,
      pool: { type: "SumPool2d", kernel: [2, 2], stride: [2, 2], padding: [0, 0], metadata: {} },
      lifP,
      flat: { type: "Flatten", startDim: 1, endDim: -1, inputType: [3, 3, 3], metadata: {} },
      fc: { type: "Affine", weight: randomTensor([4, 27], 0.6, 33), bias: full([4], 0.01), metadata: {} },
      out: li(4, 0.005, DT),
      output: { type: "Output", shape: [4], metadata: {} },
    }, [["input", "conv"], ["conv", "lifC"], ["lifC", "pool"], ["pool", "lifP"], ["lifP", "flat"], ["flat", "fc"], ["fc", "out"], ["out", "output"]], { dt: DT }),
  };
}

type Vec = Float64Array;
const at = (t: Tensor, j: number) => (t.data.length === 1 ? t.data[0] : t.data[j]) as number;

/** One memoryless node on a CHW vector. */
function apply(n: NirNode, x: Vec, inShape: readonly number[]): Vec {
  switch (n.type) {
    case "Flatten": case "Input": case "Output": return x;
    case "Affine": case "Linear": {
      const [o, i] = n.weight.shape as [number, number];
      const y = new Float64Array(o);
      for (let r = 0; r < o; r++) {
        let s = n.type === "Affine" ? (n.bias.data[r] as number) : 0;
        for (let c = 0; c < i; c++) s += (n.weight.data[r * i + c] as number) * (x[c] as number);
        y[r] = s;
      }
      return y;
    }
    case "Conv2d": {
      const [co, ci, kh, kw] = n.weight.shape as [number, number, number, number];
      const [, H, W] = inShape as [number, number, number];
      const p = n.padding as number[];
      const y = new Float64Array(co * H * W);
      for (let o = 0; o < co; o++) for (let yy = 0; yy < H; yy++) for (let xx = 0; xx < W; xx++) {
        let s = n.bias.data[o] as number;
        for (let c = 0; c < ci; c++) for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
          const iy = yy + a - (p[0] as number);
          const ix = xx + b - (p[1] as number);
          if (iy >= 0 && iy < H && ix >= 0 && ix < W) s += (n.weight.data[((o * ci + c) * kh + a) * kw + b] as number) * (x[(c * H + iy) * W + ix] as number);
        }
        y[(o * H + yy) * W + xx] = s;
      }
      return y;
    }
    case "SumPool2d": {
      const [C, H, W] = inShape as [number, number, number];
      const [k0, k1] = n.kernel as [number, number];
      const oh = Math.floor(H / k0);
      const ow = Math.floor(W / k1);
      const y = new Float64Array(C * oh * ow);
      for (let c = 0; c < C; c++) for (let a = 0; a < oh; a++) for (let b = 0; b < ow; b++) {
        let s = 0;
        for (let u = 0; u < k0; u++) for (let v = 0; v < k1; v++) s += x[(c * H + a * k0 + u) * W + b * k1 + v] as number;
        y[(c * oh + a) * ow + b] = s;
      }
      return y;
    }
    default: throw new Error(`reference: ${n.type}`);
  }
}

/**
 * Direct NIR simulation: the Input feeds an IF encoder (value × (1 + 2^-10) = current, threshold 1, reset by
 * subtraction: docs/nir.md);
 * every edge into a neuron carries the source's spikes of the previous step through the maps on the path.
 */
function referenceRun(doc: NirDocument, pixelsChw: Vec, T: number): { spikes: Map<string, number>; scores: Vec } {
  const g = doc.graph;
  const out = new Map<string, string[]>();
  for (const [a, b] of g.edges) out.set(a, [...(out.get(a) ?? []), b]);
  const shapeOf = new Map<string, readonly number[]>();
  const neurons = [...g.nodes].filter(([, n]) => ["LIF", "LI", "CubaLIF", "CubaLI", "IF"].includes(n.type)).map(([k]) => k);
  const sizeOf = (k: string): number => { const n = g.nodes.get(k) as NirNode & { vLeak?: Tensor; r?: Tensor }; return (n.type === "LI" || n.type === "CubaLI" ? n.vLeak : (n as { vThreshold: Tensor }).vThreshold)?.data.length ?? 0; };
  // Paths: from each source (input or neuron) through maps to neurons; shapes tracked.
  const inShape = (g.nodes.get("input") as Extract<NirNode, { type: "Input" }>).shape;
  shapeOf.set("input", inShape);
  const paths: { from: string; to: string; nodes: string[] }[] = [];
  const walk = (from: string, at: string, chain: string[]) => {
    for (const b of out.get(at) ?? []) {
      if (neurons.includes(b)) paths.push({ from, to: b, nodes: chain });
      else if (b !== "output") walk(from, b, [...chain, b]);
    }
  };
  walk("input", "input", []);
  for (const k of neurons) walk(k, k, []);
  const nirShape = (k: string): readonly number[] => {
    const n = g.nodes.get(k) as { vThreshold?: Tensor; vLeak?: Tensor };
    return k === "input" ? inShape : (n.vThreshold ?? n.vLeak as Tensor).shape;
  };
  const state = new Map(neurons.map((k) => [k, { v: new Float64Array(sizeOf(k)), i: new Float64Array(sizeOf(k)), s: new Float64Array(sizeOf(k)) }]));
  const enc = { v: new Float64Array(pixelsChw.length), s: new Float64Array(pixelsChw.length) };
  const spikes = new Map<string, number>(neurons.map((k) => [k, 0]));
  const readout = [...g.edges].find(([, b]) => b === "output")?.[0] as string;
  const D = 3; // conv net: the readout is 3 synapses deep; recurrent net: 2 (extra steps just continue)
  for (let t = 0; t < T + D; t++) {
    const prev = new Map<string, Vec>([["input", enc.s.slice()], ...neurons.map((k) => [k, (state.get(k) as { s: Vec }).s.slice()] as [string, Vec])]);
    // encoder
    for (let j = 0; j < enc.v.length; j++) {
      let v = (enc.v[j] as number) + (pixelsChw[j] as number) * ENCODER_GAIN;
      enc.s[j] = 0;
      if (v >= 1) { v -= 1; enc.s[j] = 1; }
      enc.v[j] = v;
    }
    for (const k of neurons) {
      const n = g.nodes.get(k) as NirNode;
      const st = state.get(k) as { v: Vec; i: Vec; s: Vec };
      const x = new Float64Array(st.v.length);
      for (const p of paths.filter((q) => q.to === k)) {
        let y = prev.get(p.from) as Vec;
        let shape = nirShape(p.from);
        for (const m of p.nodes) {
          const node = g.nodes.get(m) as NirNode;
          y = apply(node, y, shape);
          shape = node.type === "Conv2d" ? [node.weight.shape[0] as number, shape[1] as number, shape[2] as number]
            : node.type === "SumPool2d" ? [shape[0] as number, (shape[1] as number) / 2, (shape[2] as number) / 2]
            : node.type === "Flatten" ? [y.length] : node.type === "Affine" || node.type === "Linear" ? [y.length] : shape;
        }
        for (let j = 0; j < x.length; j++) x[j] = (x[j] as number) + (y[j] as number);
      }
      for (let j = 0; j < x.length; j++) {
        st.s[j] = 0;
        if (n.type === "LIF") {
          const a = DT / at(n.tau, j);
          let v = (st.v[j] as number) + a * (at(n.vLeak, j) - (st.v[j] as number) + at(n.r, j) * (x[j] as number));
          if (v >= at(n.vThreshold, j)) { v = at(n.vReset, j); st.s[j] = 1; }
          st.v[j] = v;
        } else if (n.type === "CubaLIF") {
          const as = DT / at(n.tauSyn, j);
          const am = DT / at(n.tauMem, j);
          st.i[j] = (st.i[j] as number) + as * (-(st.i[j] as number) + at(n.wIn, j) * (x[j] as number));
          let v = (st.v[j] as number) + am * (at(n.vLeak, j) - (st.v[j] as number) + at(n.r, j) * (st.i[j] as number));
          if (v >= at(n.vThreshold, j)) { v = at(n.vReset, j); st.s[j] = 1; }
          st.v[j] = v;
        } else if (n.type === "LI") {
          const a = DT / at(n.tau, j);
          st.v[j] = (st.v[j] as number) + a * (at(n.vLeak, j) - (st.v[j] as number) + at(n.r, j) * (x[j] as number));
        }
        spikes.set(k, (spikes.get(k) as number) + (st.s[j] as number));
      }
    }
  }
  return { spikes, scores: (state.get(readout) as { v: Vec }).v };
}

/** CHW pixels of an HWC sample. */
function toChw(hwc: Float32Array, C: number, H: number, W: number): Vec {
  const out = new Float64Array(C * H * W);
  for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[(c * H + y) * W + x] = hwc[(y * W + x) * C + c] as number;
  return out;
}

describe("NIR semantics: snnc's lowering against a direct simulation of the NIR graph", () => {
  it("conv net (Conv2d padding 1 + bias, LIF, SumPool2d, LIF, Flatten, Affine, LI): same spikes per layer and readout", () => {
    const doc = convNet();
    const low = lowerNir(flattenNir(doc.graph, "conv.nir"), DT, "conv", "conv.nir", () => {});
    expect(low.snn.readoutDepth).to.equal(3);
    const rng = seededRng(5);
    const T = 24;
    for (let s = 0; s < 3; s++) {
      const hwc = Float32Array.from({ length: 72 }, () => rng());
      const ref = referenceRun(doc, toChw(hwc, 2, 6, 6), T);
      const sim = simulateFloat(low.snn, hwc, 1, { timesteps: [T] });
      for (const p of low.snn.populations) {
        if (ref.spikes.has(p.name)) expect(sim.totalSpikes[p.id], p.name).to.equal(ref.spikes.get(p.name));
      }
      const total = [...ref.spikes.values()].reduce((a, b) => a + b, 0);
      expect(total).to.be.greaterThan(20);
      const scores = sim.scores.get(T) as Float32Array;
      ref.scores.forEach((v, j) => expect(scores[j]).to.be.closeTo(v, 1e-4 * Math.max(1, Math.abs(v))));
    }
  });

  it("recurrent CubaLIF net: same spikes per layer and readout", () => {
    const doc = recurrentCubaLif(DT);
    const low = lowerNir(flattenNir(doc.graph, "rec.nir"), DT, "rec", "rec.nir", () => {});
    const rng = seededRng(6);
    const T = 30;
    for (let s = 0; s < 3; s++) {
      const x = Float32Array.from({ length: 16 }, () => rng());
      const ref = referenceRun(doc, Float64Array.from(x), T - 1);
      const sim = simulateFloat(low.snn, x, 1, { timesteps: [T] });
      const rec = low.snn.populations.find((p) => p.name === "rec");
      expect(sim.totalSpikes[rec?.id ?? -1]).to.equal(ref.spikes.get("rec"));
      expect(ref.spikes.get("rec")).to.be.greaterThan(5);
      const scores = sim.scores.get(T) as Float32Array;
      ref.scores.forEach((v, j) => expect(scores[j]).to.be.closeTo(v, 1e-4 * Math.max(1, Math.abs(v))));
    }
  });
});
