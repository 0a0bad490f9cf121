/**
 * The float SNN simulator's WebAssembly kernels (compiler/simulate/float-kernels.ts) against its JavaScript path:
 * delivery of random spikes with random payloads (1 and others) through dense, convolution (strides, dilation,
 * padding) and average-pool projections gives the same currents bit for bit; whole simulations of small
 * converted networks (a conv net with 3 channels: the update's scalar path; a BN-folded residual net with 4:
 * its SIMD path) give the same scores, counts, spikes, events and ranges; the layer-at-a-time simulator (bias
 * calibration) the same biases.
 */
import { expect } from "chai";
import { calibrateBiases } from "../../compiler/convert/biascal.ts";
import { calibrate } from "../../compiler/convert/calibrate.ts";
import { lowerAnn } from "../../compiler/convert/lower.ts";
import { calibrationSites, DEFAULT_CONVERT_OPTIONS, methodParams } from "../../compiler/convert/methods.ts";
import { normalise } from "../../compiler/convert/normalise.ts";
import type { Dataset } from "../../compiler/data/dataset.ts";
import { importModel } from "../../compiler/import/index.ts";
import type { AnnGraph } from "../../compiler/ir/ann.ts";
import type { Connectivity, SnnGraph, WindowGeometry } from "../../compiler/ir/snn.ts";
import { floatArena, floatKernelsAvailable, slotBytes, useFloatKernels } from "../../compiler/simulate/float-kernels.ts";
import { type FloatSimResult, simulateFloat } from "../../compiler/simulate/float-snn.ts";
import { invCountsOf, scatterProjection, type SpikeSlot } from "../../compiler/simulate/scatter.ts";
import { seededRng } from "../../compiler/util/rng.ts";
import { encodeModel, residualModel, saveOnnx } from "../helpers/onnx-models.ts";
import { smallConvModel } from "../helpers/small.ts";

function bits(a: ArrayLike<number>): number[] {
  return Array.from(a, (x) => (Object.is(x, -0) ? -1e-300 : x));
}

function geometry(inH: number, inW: number, inC: number, outC: number, k: number, s: number, d: number, pad: number): WindowGeometry {
  const outH = Math.floor((inH + 2 * pad - d * (k - 1) - 1) / s) + 1;
  const outW = Math.floor((inW + 2 * pad - d * (k - 1) - 1) / s) + 1;
  return { inH, inW, inC, outH, outW, outC, kh: k, kw: k, sh: s, sw: s, dh: d, dw: d, padTop: pad, padLeft: pad };
}

describe("float SNN WebAssembly kernels", function () {
  this.timeout(120_000);
  before(function () {
    if (!floatKernelsAvailable()) this.skip();
  });
  after(() => useFloatKernels(true));

  it("deliver random spikes through dense, convolution and average-pool projections as the JavaScript path does", () => {
    const rng = seededRng(21);
    const B = 3;
    const cases: { conn: Connectivity; src: number; dst: number }[] = [];
    const dense = Float32Array.from({ length: 37 * 13 }, () => rng() * 2 - 1);
    cases.push({ conn: { kind: "dense", weights: dense }, src: 37, dst: 13 });
    for (const [k, s, d, pad, outC] of [[3, 1, 1, 1, 8], [3, 2, 1, 0, 5], [2, 1, 2, 1, 4], [5, 3, 1, 2, 7]] as const) {
      const g = geometry(9, 7, 3, outC, k, s, d, pad);
      cases.push({ conn: { kind: "conv", geometry: g, kernel: Float32Array.from({ length: k * k * 3 * outC }, () => rng() - 0.5) }, src: 9 * 7 * 3, dst: g.outH * g.outW * outC });
    }
    for (const [k, s, pad] of [[2, 2, 0], [3, 2, 1]] as const) {
      const g = geometry(8, 6, 4, 4, k, s, 1, pad);
      cases.push({ conn: { kind: "avgPool", geometry: g, scale: Float32Array.from({ length: 4 }, () => rng() + 0.5) }, src: 8 * 6 * 4, dst: g.outH * g.outW * 4 });
    }
    for (const { conn, src, dst } of cases) {
      const spikes: SpikeSlot = { idx: new Int32Array(B * src), val: new Float32Array(B * src), n: new Int32Array(B), stride: src };
      for (let b = 0; b < B; b++) {
        let k = 0;
        for (let i = 0; i < src; i++) {
          if (rng() < 0.4) continue;
          spikes.idx[b * src + k] = i;
          spikes.val[b * src + k] = rng() < 0.5 ? 1 : rng() * 3 - 1;
          k++;
        }
        spikes.n[b] = k;
      }
      const start = Float32Array.from({ length: B * dst }, () => rng() - 0.5);
      const js = Float32Array.from(start);
      const jsEvents = scatterProjection(conn, spikes, js, B, src, dst);
      const arena = floatArena();
      if (!arena) throw new Error("no kernels");
      arena.begin(10 * slotBytes(B * Math.max(src, dst)) + slotBytes(dense.length) + 4096);
      const w = conn.kind === "dense" ? conn.weights : conn.kind === "conv" ? conn.kernel : conn.kind === "avgPool" ? conn.scale : null;
      if (w) arena.constant(w);
      if (conn.kind === "avgPool") arena.constant(invCountsOf(conn.geometry));
      const mine: SpikeSlot = { idx: arena.i32(B * src), val: arena.f32(B * src), n: arena.i32(B), stride: src };
      mine.idx.set(spikes.idx);
      mine.val.set(spikes.val);
      mine.n.set(spikes.n);
      const wasm = arena.f32(B * dst);
      wasm.set(start);
      const wasmEvents = scatterProjection(conn, mine, wasm, B, src, dst, arena);
      expect(wasmEvents, conn.kind).to.equal(jsEvents);
      expect(bits(wasm), conn.kind).to.deep.equal(bits(js));
      expect(bits(js)).to.not.deep.equal(bits(start));
    }
  });

  function same(snn: SnnGraph, x: Float32Array, n: number, T: number): void {
    const opts = { timesteps: [T - 2, T], recordCounts: true, recordRanges: true, batchSize: 16 };
    useFloatKernels(false);
    const js: FloatSimResult = simulateFloat(snn, x, n, opts);
    useFloatKernels(true);
    const wasm = simulateFloat(snn, x, n, opts);
    for (const t of opts.timesteps) expect(bits(wasm.scores.get(t) as Float32Array)).to.deep.equal(bits(js.scores.get(t) as Float32Array));
    js.counts.forEach((c, i) => expect(c ? bits(c) : null).to.deep.equal(wasm.counts[i] ? bits(wasm.counts[i] as Float32Array) : null));
    expect(bits(wasm.totalSpikes)).to.deep.equal(bits(js.totalSpikes));
    expect(wasm.synapticEvents).to.equal(js.synapticEvents);
    expect([...wasm.ecmtOpsAt]).to.deep.equal([...js.ecmtOpsAt]);
    expect(bits(wasm.maxAbsV)).to.deep.equal(bits(js.maxAbsV));
    expect(bits(wasm.maxAbsInput)).to.deep.equal(bits(js.maxAbsInput));
    expect(js.totalSpikes.reduce((a, b) => a + b, 0)).to.be.above(0);
  }

  function images(count: number, seed: number): Float32Array {
    const rng = seededRng(seed);
    return Float32Array.from({ length: count * 36 }, () => rng());
  }

  for (const which of ["conv net (3 channels)", "residual net (4 channels)"] as const) {
    it(`simulate a ${which} as the JavaScript path does, and calibrate the same biases`, async () => {
      const graph: AnnGraph = which.startsWith("conv") ? await importModel((await smallConvModel(5, "fk")).model) : await importModel(saveOnnx(encodeModel(residualModel())));
      const T = 8;
      const data: Dataset = { images: images(40, 12), labels: null, count: 40, sampleShape: [6, 6, 1], source: "test" };
      const raw = lowerAnn(graph, { maxPoolAsAverage: true, foldPooling: false }, () => {});
      const cal = calibrate(raw.calibrationGraph, data, { sites: calibrationSites(raw), samples: 40 });
      const params = methodParams(raw, cal, { ...DEFAULT_CONVERT_OPTIONS, method: "ecc", percentile: 99, timesteps: T }, () => {});
      for (const encoding of ["current", "poisson"] as const) {
        const norm = { method: "ecc", encoding, seed: 3, timesteps: T };
        same(normalise(raw, params, norm), data.images, 40, T);
        useFloatKernels(false);
        const js = calibrateBiases(raw, params, data, norm, 40, 1);
        useFloatKernels(true);
        const wasm = calibrateBiases(raw, params, data, norm, 40, 1);
        expect(wasm.meanShift).to.deep.equal(js.meanShift);
        expect(wasm.snn).to.deep.equal(js.snn);
      }
    });
  }
});
