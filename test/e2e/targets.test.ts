/**
 * Every example model on every target: compiles, fits (capacity checker), routes check out, and the emulator
 * running from network.snnb alone reproduces the reference integer model spike for spike. report.json has
 * every contract key with real values.
 */
import { expect } from "chai";
import { compileModel } from "../../compiler/compile.ts";
import { SnncError, type Warning } from "../../compiler/diagnostics.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { compileCached, EXAMPLES, request } from "../helpers/compile.ts";

const TARGETS = ["loihi", "loihi2", "spinnaker", "spinnaker2"] as const;

describe("examples × targets (bit-exact)", function () {
  this.timeout(600_000);
  for (const [name, model] of Object.entries(EXAMPLES)) {
    for (const target of TARGETS) {
      it(`${name} on ${target}: fits, routes, bit-exact, full report`, async () => {
        const out = await compileCached(request(model, target));
        const r = out.report;
        expect(r.verification.bitExact, JSON.stringify(r.verification.firstMismatch)).to.equal(true);
        expect(r.verification.comparedSpikes).to.be.greaterThan(1000);
        // The limits, read back from the binary (not from the capacity checker the compile already ran).
        const bin = decodeBinary(out.binary);
        const core = out.target.core;
        let placed = 0;
        bin.cores.forEach((c, i) => {
          expect(c.profile.length, `core ${i}: compartments`).to.be.within(1, core.neurons.value);
          expect(c.profiles.length, `core ${i}: neuron profiles`).to.be.at.most(core.neuronProfiles.value);
          for (const b of c.blocks) placed += (b.y1 - b.y0) * (b.x1 - b.x0) * (b.c1 - b.c0);
        });
        expect(placed, "every neuron on exactly one core").to.equal(out.pipeline.quantised.q.populations.reduce((a, p) => a + p.size, 0));
        const routing = out.target.routing;
        if (bin.routing.kind === "spinnaker" && routing.kind === "multicast-keymask") {
          for (const t of bin.routing.tables) expect(t.keys.length, `router (${t.x},${t.y})`).to.be.at.most(routing.entriesPerRouter.value);
        }
        // contract keys with real values
        expect(r).to.include.keys("snncVersion", "target", "model", "method", "timesteps", "network", "mapping", "run", "energy", "latency", "accuracy", "verification");
        expect(r.target).to.equal(target);
        expect(r.network.neurons).to.be.greaterThan(100);
        expect(r.network.synapses).to.be.greaterThan(r.network.neurons);
        for (const l of r.network.layers) {
          expect(l).to.include.keys("name", "kind", "neurons", "synapses", "cores");
          expect(l.cores).to.be.greaterThan(0);
        }
        expect(r.mapping.cores).to.equal(out.pipeline.routed.cores.length);
        expect(r.mapping.chips).to.be.greaterThan(0);
        expect(r.mapping.coreUtilisation.max).to.be.within(0.01, 1);
        expect(r.mapping.avgHops).to.be.a("number");
        expect(r.mapping.routingEntries.total).to.be.greaterThan(0);
        expect(r.mapping.routingEntries.maxPerChip).to.be.greaterThan(0);
        expect(r.run.samples).to.equal(16);
        expect(r.run.spikesPerInference).to.be.greaterThan(0);
        expect(r.run.synapticOpsPerInference).to.be.greaterThan(r.run.spikesPerInference);
        expect(r.run.layers.map((l) => l.name)).to.deep.equal(r.network.layers.map((l) => l.name));
        expect(r.energy.snnJoulesPerInference).to.be.greaterThan(0);
        expect(r.energy.annJoulesPerInference).to.be.greaterThan(0);
        expect(r.energy.ratio).to.be.closeTo(r.energy.snnJoulesPerInference / r.energy.annJoulesPerInference, 1e-12);
        expect(r.latency.secondsPerInference).to.be.greaterThan(0);
        expect(r.latency.timesteps).to.equal(16);
        expect(r.accuracy?.samples).to.equal(16);
        expect(r.accuracy?.snn).to.be.at.least(0.5); // 16 easy samples; the benches measure accuracy properly
        expect(r.verification.firstMismatch).to.equal(null);
      });
    }
  }

  it("mt on loihi2: where folded pooling overflows a core's axons, pooling stays spiking (warning), bit-exact", async () => {
    const warnings: Warning[] = [];
    const out = await compileModel(request(EXAMPLES.cnn, "loihi2", { method: "mt" }), { warn: (w) => warnings.push(w), progress: () => {}, stage: () => {} });
    expect(warnings.map((w) => w.code)).to.include("SNNC-W203");
    expect(out.report.verification.bitExact).to.equal(true);
    expect(out.report.network.layers.map((l) => l.name)).to.include("pool2");
    expect(out.report.conversion.options.pooling).to.equal("spiking");
    // Chosen explicitly, folding is an error naming the layer.
    try {
      await compileModel(request(EXAMPLES.cnn, "loihi2", { method: "mt", pooling: "fold" }), { warn: () => {}, progress: () => {}, stage: () => {} });
      expect.fail("expected SNNC402");
    } catch (e) {
      expect((e as SnncError).code).to.equal("SNNC402");
      expect((e as SnncError).message).to.match(/fan-in axons/);
    }
  });
});
