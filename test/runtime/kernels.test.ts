/**
 * The emulator's WebAssembly kernels (runtime/emulator/kernels.ts) against its JavaScript path: on small
 * synthetic networks of each layout (dense rows, convolutions, random sparse) mapped for every target, and on
 * variants whose rules the kernels do not run (leaky Loihi, multi-threshold) so that the mixed path is used,
 * both give the same spike raster (every step's indices and payloads), scores (the readout membranes),
 * counters (cycles, seconds, energy's inputs), per-core and per-route figures. Networks outside the 32-bit
 * bound fall back (auto) or are refused (SNNC812); an unusable module is SNNC811.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { convStack, denseStack, randomNetwork } from "../../compiler/ir/synthetic.ts";
import { runBackEnd } from "../../compiler/pipeline.ts";
import { loadTarget } from "../../compiler/target/load.ts";
import { seededRng } from "../../compiler/util/rng.ts";
import { installKernels, kernelsAvailable } from "../../runtime/emulator/kernels.ts";
import { type EmuNetwork, loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate, type EmulateResult } from "../../runtime/emulator/run.ts";
import "../../runtime/emulator/wasm-load.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";

const TARGETS = ["loihi", "loihi2", "spinnaker", "spinnaker2"] as const;

function run(net: EmuNetwork, images: Float32Array, count: number, kernels: "js" | "wasm", frames = 1): { r: EmulateResult; raster: number[][] } {
  const raster: number[][] = [];
  const r = emulate(net, images, count, {
    timesteps: 12, kernels, recordCounts: true, frames,
    onSpikes: (_s, _t, idx, payload, n) => raster.push([...idx.subarray(0, n), ...payload.subarray(0, n)]),
  });
  return { r, raster };
}

function expectSame(net: EmuNetwork, images: Float32Array, count: number, frames = 1): void {
  const a = run(net, images, count, "js", frames);
  const b = run(net, images, count, "wasm", frames);
  expect(a.r.counters.spikes, "the network spikes").to.be.greaterThan(0);
  expect(b.raster).to.deep.equal(a.raster);
  expect(Array.from(b.r.scores)).to.deep.equal(Array.from(a.r.scores));
  expect(b.r.counters).to.deep.equal(a.r.counters);
  for (const k of ["spikeCounts", "coreSynOps", "coreSpikes", "coreBusySeconds", "routeSpikes", "popSpikes", "popSynOps"] as const) {
    expect(Array.from(b.r[k] ?? []), k).to.deep.equal(Array.from(a.r[k] ?? []));
  }
}

function images(n: number, seed: number): Float32Array {
  const rng = seededRng(seed);
  return Float32Array.from({ length: n }, () => rng());
}

describe("emulator WebAssembly kernels", function () {
  this.timeout(120_000);

  it("are built and installed (dist/wasm/emulator.wasm)", () => {
    expect(kernelsAvailable()).to.equal(true);
  });

  for (const t of TARGETS) {
    it(`${t}: dense, conv and random networks give the JS path's spikes, membranes and counters`, () => {
      const target = loadTarget(t);
      const nets = [
        { q: denseStack(target, 48, 2, 3), inputs: 48 },
        { q: convStack(target, 8, 8, 2, 6, 2, 5), inputs: 8 * 8 * 2 },
        { q: randomNetwork(target, 600, 20, 7).q, inputs: 100 },
      ];
      for (const { q, inputs } of nets) {
        const net = loadNetwork(decodeBinary(runBackEnd(q, target, 12).binary));
        expectSame(net, images(3 * inputs, 11), 3);
      }
    });
  }

  it("mixed: rules the kernels do not run (leaky, multi-threshold) take the JS update on the same Int32 inputs", () => {
    const target = loadTarget("loihi");
    const net = loadNetwork(decodeBinary(runBackEnd(denseStack(target, 48, 2, 4), target, 12).binary));
    const last = net.rules.length - 2;
    const leaky = { ...net, rules: net.rules.map((r, i) => (i === last ? { ...r, du: 3000, dv: 400 } : r)) };
    expectSame(leaky, images(3 * 48, 12), 3);
    const mt = { ...net, rules: net.rules.map((r, i) => (i === last ? { ...r, kind: "mt" as const, mtLevels: 3, mtNegThreshold: r.threshold, mtNegPayload: 2 } : r)) };
    expectSame(mt, images(3 * 48, 13), 3);
  });

  it("event input (a new input frame per step, then none) keeps the kernels' biases in step", () => {
    for (const t of ["loihi", "spinnaker"]) {
      const target = loadTarget(t);
      const net = loadNetwork(decodeBinary(runBackEnd(denseStack(target, 32, 2, 8), target, 12).binary));
      expectSame(net, images(2 * 5 * 32, 16), 2, 5);
    }
  });

  it("a network beyond the 32-bit input bound runs the JS path (auto) and is refused by \"wasm\" (SNNC812)", () => {
    const target = loadTarget("spinnaker");
    const net = loadNetwork(decodeBinary(runBackEnd(denseStack(target, 48, 1, 2), target, 12).binary));
    const d = net.delivery[0];
    if (!d || !(d.weights instanceof Int32Array)) throw new Error("expected integer weights");
    const big = { ...net, delivery: [{ ...d, weights: Int32Array.from(d.weights, (w) => (w > 0 ? 2 ** 30 : w)) }, ...net.delivery.slice(1)] };
    const x = images(2 * 48, 14);
    expect(() => emulate(big, x, 2, { timesteps: 12, kernels: "wasm" })).to.throw(/WebAssembly emulator path cannot run/).with.property("code", "SNNC812");
    expect(Array.from(emulate(big, x, 2, { timesteps: 12 }).scores)).to.deep.equal(Array.from(emulate(big, x, 2, { timesteps: 12, kernels: "js" }).scores));
  });

  it("an unusable module is SNNC811 at the first emulation; the JS path still runs", () => {
    const target = loadTarget("loihi");
    const net = loadNetwork(decodeBinary(runBackEnd(denseStack(target, 16, 1, 6), target, 12).binary));
    const good = readFileSync(new URL("../../dist/wasm/emulator.wasm", import.meta.url));
    try {
      installKernels(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 255]), "corrupt.wasm");
      expect(kernelsAvailable()).to.equal(false);
      expect(() => emulate(net, images(16, 15), 1, { timesteps: 12 })).to.throw(/unusable/).with.property("code", "SNNC811");
      expect(emulate(net, images(16, 15), 1, { timesteps: 12, kernels: "js" }).scores.length).to.equal(10);
    } finally {
      installKernels(new Uint8Array(good), "dist/wasm/emulator.wasm");
    }
    expect(kernelsAvailable()).to.equal(true);
  });
});
