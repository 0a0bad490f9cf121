/**
 * Mapping on the tiny test targets (2 chips × 2 cores × 64 neurons, Loihi neurons; a 3×3 SpiNNaker-like torus
 * with 24-entry routers): multi-core and multi-chip placements that the checkers accept and the emulator
 * runs bit-exactly; the capacity error for a system too small; and fewer cores than nengo-loihi's rule.
 */
import { expect } from "chai";
import { SnncError } from "../../compiler/diagnostics.ts";
import { nengoRuleCores } from "../../compiler/map/nengo-rule.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { compileCached, EXAMPLES, request } from "../helpers/compile.ts";
import { type SmallModel, smallConvModel } from "../helpers/small.ts";

describe("mapping", function () {
  this.timeout(300_000);
  let small: SmallModel;
  before(async () => {
    small = await smallConvModel();
  });

  it("tiny target: the network spreads over several cores of both chips, fits, and runs bit-exactly", async () => {
    const out = await compileCached(request(small.model, "tiny", { data: small.data, reset: "zero", samples: 8 }));
    const r = out.pipeline.routed;
    expect(r.cores.length).to.be.at.least(3);
    expect(r.chipsUsed).to.equal(2);
    expect(new Set(r.placement.map((l) => `${l.chipX},${l.chipY}`)).size).to.equal(2);
    for (const c of r.cores) expect(c.resources.neurons).to.be.at.most(64);
    // Read back from the binary: every core within the tiny target's 64 compartments, on two chips.
    const bin = decodeBinary(out.binary);
    for (const c of bin.cores) expect(c.profile.length).to.be.within(1, 64);
    expect(new Set(bin.system.cores.map((c) => `${c.chipX},${c.chipY}`)).size).to.equal(2);
    expect(out.report.verification.bitExact).to.equal(true);
    expect(out.report.mapping.chips).to.equal(2);
  });

  it("too big for the system: SNNC401 with the cores and chips needed; --chips makes it fit", async () => {
    // Reset by subtraction needs two compartments per neuron on Loihi 1: twice the cores.
    try {
      await compileCached(request(small.model, "tiny", { data: small.data }));
      expect.fail("expected SNNC401");
    } catch (e) {
      expect(e).to.be.instanceOf(SnncError);
      const err = e as SnncError;
      expect(err.code).to.equal("SNNC401");
      expect(err.message).to.match(/needs \d+ cores \(\d+ chips of 2\)/);
      expect(err.hint).to.match(/--chips \d+/);
      const needed = Number(/--chips (\d+)/.exec(err.hint ?? "")?.[1]);
      const out = await compileCached(request(small.model, "tiny", { data: small.data, chips: needed, samples: 8 }));
      expect(out.pipeline.routed.chipsUsed).to.equal(needed);
      expect(out.report.verification.bitExact).to.equal(true);
    }
  });

  it("tiny SpiNNaker torus: multicast over several chips, 24-entry routers respected, bit-exact", async () => {
    const out = await compileCached(request(small.model, "tiny-spinnaker", { data: small.data, samples: 8 }));
    const r = out.pipeline.routed;
    expect(r.chipsUsed).to.be.at.least(2);
    if (r.routing.kind !== "multicast") throw new Error("expected multicast routing");
    expect(r.routing.maxEntriesAfter).to.be.at.most(24);
    for (const t of r.routing.tables) expect(t.keys.length).to.be.at.most(24);
    expect(out.report.verification.bitExact).to.equal(true);
  });

  it("placement is deterministic for a seed and beats the sequential seed on hops", async () => {
    const a = await compileCached(request(EXAMPLES.cnn, "loihi"));
    const b = await compileCached(request(EXAMPLES.cnn, "loihi", { samples: 15 }));
    expect(a.pipeline.routed.placement).to.deep.equal(b.pipeline.routed.placement);
    expect(a.pipeline.placement.avgHops).to.be.at.most(a.pipeline.placement.seedAvgHops);
  });

  it("uses fewer cores than nengo-loihi's splitting rule on the examples", async () => {
    for (const model of [EXAMPLES.cnn, EXAMPLES.mlp, EXAMPLES.resnet]) {
      for (const target of ["loihi", "loihi2"]) {
        const out = await compileCached(request(model, target));
        const nengo = nengoRuleCores(out.pipeline.quantised.q, out.target);
        expect(out.pipeline.routed.cores.length, `${model} on ${target}`).to.be.below(nengo.total);
      }
    }
  });
});
