/**
 * Graded spikes on SpiNNaker and SpiNNaker 2: multicast packets with a 32-bit payload word. A tiny CNN with
 * `--method mt` and the hand-made tiny ViT with `--method ecmt` compile, map, emit and run bit-exact with the
 * integer reference on both; the payload packets are charged their own energy (72-bit packets) and the
 * software mt update its own time (the COST graded-packet trailer); a payload wider than the target's payload
 * width is SNNC330 naming the layer; Loihi 1 still refuses multi-threshold neurons (SNNC303).
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readNpy } from "../../compiler/data/npy.ts";
import { SnncError } from "../../compiler/diagnostics.ts";
import { quantise } from "../../compiler/quantise/index.ts";
import { loadTarget } from "../../compiler/target/load.ts";
import type { Target } from "../../compiler/target/schema.ts";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate } from "../../runtime/emulator/run.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { backEnd, emulateBinary, expectBitExact, tinyVitEcmt, verifiedBitExact } from "../helpers/backend.ts";
import { compileCached, request } from "../helpers/compile.ts";
import { writeTinyModel } from "../helpers/tiny.ts";

const SPINNAKERS = ["spinnaker", "spinnaker2"] as const;

describe("graded payload packets on SpiNNaker: mt", () => {
  const tiny = writeTinyModel(mkdtempSync(join(tmpdir(), "snnc-spinn-mt-")));
  const req = (target: string) => request(tiny.model, target, { method: "mt", data: tiny.data, timesteps: 8, samples: 8, calibrationSamples: 16, verifySamples: 4 });

  for (const name of SPINNAKERS) {
    it(`${name}: a tiny mt network verifies bit-exact; its graded spikes are 72-bit payload packets in the energy report`, async function () {
      this.timeout(120_000);
      const out = await compileCached(req(name));
      const r = out.report;
      expectBitExact(r.verification);
      const target = loadTarget(name);
      const pkt = target.neuron.gradedSpikes.packet;
      if (!pkt) throw new Error("no payload packet in the target");
      const sent = r.energy.breakdown.find((t) => t.term.startsWith("payload packets sent"));
      expect(sent?.joulesEach).to.equal(pkt.joules.value);
      expect(sent?.count).to.be.greaterThan(0);
      // every spike of the mt network's hidden layers is a payload packet; only the input layer's are binary
      const binary = r.energy.breakdown.find((t) => t.term === "spikes sent");
      expect((sent?.count ?? 0) + (binary?.count ?? 0)).to.be.closeTo(r.run.spikesPerInference, 1e-9);
      // the decoded COST trailer carries the target's packet and mt-update constants
      const decoded = decodeBinary(out.binary);
      expect(decoded.cost.graded).to.deep.include({ packetBits: 72, payloadBits: 32, packetJoules: pkt.joules.value, hopJoules: pkt.hopJoules.value });
      expect(decoded.cost.graded?.mtNeuronUpdateSeconds).to.equal(target.neuron.gradedSpikes.mtNeuronUpdateSeconds?.value);
    });
  }

  it("the software mt update costs time: a slower mt routine gives a longer step on the same spikes", async function () {
    this.timeout(120_000);
    const out = await compileCached(req("spinnaker2"));
    const decoded = decodeBinary(out.binary);
    const graded = decoded.cost.graded;
    if (!graded) throw new Error("no graded trailer");
    // a free-running clock (no 1 ms tick) so that busy time shows in the latency
    const free = { ...decoded, cost: { ...decoded.cost, timing: { ...decoded.cost.timing, tickSeconds: 0 } } };
    const slow = { ...free, cost: { ...free.cost, graded: { ...graded, mtNeuronUpdateSeconds: graded.mtNeuronUpdateSeconds * 10 } } };
    const x = readNpy(readFileSync(tiny.data));
    const images = Float32Array.from(x.data as ArrayLike<number>);
    const a = emulate(loadNetwork(free), images, 2, { timesteps: 8 });
    const b = emulate(loadNetwork(slow), images, 2, { timesteps: 8 });
    expect(b.counters.spikes).to.equal(a.counters.spikes);
    expect(b.counters.payloadSpikes).to.equal(a.counters.payloadSpikes);
    expect(b.counters.seconds).to.be.greaterThan(a.counters.seconds);
  });

  it("Loihi 1 has binary spikes only: mt stops in quantise with SNNC303 and a hint naming the targets with graded spikes", async function () {
    this.timeout(120_000);
    try {
      await compileCached(req("loihi"));
      expect.fail("expected SNNC303");
    } catch (e) {
      expect(e).to.be.instanceOf(SnncError);
      expect((e as SnncError).code).to.equal("SNNC303");
      expect((e as SnncError).hint).to.match(/spinnaker2/);
    }
  });
});

describe("graded payload packets on SpiNNaker: ecmt compute nodes", () => {
  const T = 6;
  const { data, conversion, float } = tinyVitEcmt(12, T);

  for (const name of SPINNAKERS) {
    it(`${name}: the tiny ViT's compute nodes sit on the ARM cores and the emulator is bit-exact with the integer reference`, () => {
      const target = loadTarget(name);
      const { q, back } = backEnd(conversion.snn, float, target, T);
      const computes = q.populations.filter((p) => p.compute).map((p) => p.id);
      expect(back.computePlan.nodes.map((n) => n.population)).to.deep.equal(computes);
      // the ARM cores are the neuron cores: compute nodes take only the cores the neurons left free
      const per = target.processors?.perChip.value ?? 0;
      const neuronSlots = new Set(back.routed.placement.map((l) => (l.chipY * back.routed.grid.chipsX + l.chipX) * per + l.index));
      const computeSlots = back.computePlan.nodes.flatMap((n) => n.assignments.map((a) => a.slot));
      expect(computeSlots.filter((s) => neuronSlots.has(s))).to.deep.equal([]);
      expect(back.computePlan.processorsAvailable).to.equal(back.routed.grid.chipsX * back.routed.grid.chipsY * per - neuronSlots.size);
      verifiedBitExact(q, back.binary, data.images, 4, T);
      const run = emulateBinary(back.binary, data.images, 2, T);
      expect(run.counters.gradedPackets).to.be.greaterThan(0);
      expect(run.counters.payloadSpikes).to.be.greaterThan(0);
    });
  }

  it("a payload wider than the target's payload width is SNNC330 naming the layer", () => {
    const t = loadTarget("spinnaker2");
    const g = t.neuron.gradedSpikes;
    const narrow: Target = { ...t, neuron: { ...t.neuron, gradedSpikes: { ...g, payloadBits: { value: 4, source: "test", grade: "estimate" } } } };
    try {
      quantise(conversion.snn, narrow, float, () => {});
      expect.fail("expected SNNC330");
    } catch (e) {
      expect(e).to.be.instanceOf(SnncError);
      expect((e as SnncError).code).to.equal("SNNC330");
      const layer = (e as SnncError).loc.layer;
      expect(conversion.snn.populations.find((p) => p.name === layer)?.neuron.kind).to.equal("mt");
    }
  });
});
