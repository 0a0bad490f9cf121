/**
 * The energy model against a hand-computed case.
 */
import { expect } from "chai";
import { energyReport } from "../../compiler/report/energy.ts";
import { loadTarget } from "../../compiler/target/load.ts";

describe("energy model", () => {
  it("Loihi: Σ counts × Davies 2018 Table 2 energies, ANN at 4.6 pJ per MAC", () => {
    const t = loadTarget("loihi");
    const r = energyReport(t, { synapticOps: 1000, activeUpdates: 100, idleUpdates: 900, spikes: 50, hopsX: 20, hopsY: 10, latency: 1e-3, chips: 1, cores: 4 }, 10_000, 200);
    // 1000·23.6 + 100·81 + 900·52 + 50·1.7 + 20·3.0 + 10·4.0 pJ, static 0
    //   = 23 600 + 8 100 + 46 800 + 85 + 60 + 40 = 78 685 pJ
    expect(r.snnJoulesPerInference).to.be.closeTo(78_685e-12, 1e-18);
    expect(r.annJoulesPerInference).to.be.closeTo(46_000e-12, 1e-18);
    expect(r.ratio).to.be.closeTo(78_685 / 46_000, 1e-12);
    // convention: 200 first-layer ops × 4.6 pJ + 800 × 0.9 pJ = 1640 pJ
    expect(r.convention.joules).to.be.closeTo(1640e-12, 1e-18);
    expect(r.breakdown.find((b) => b.term === "synaptic ops")?.grade).to.equal("pre-silicon");
    expect(r.caveats.join(" ")).to.match(/pre-silicon/);
  });

  it("SpiNNaker: static power × latency dominates a real-time run", () => {
    const t = loadTarget("spinnaker");
    const r = energyReport(t, { synapticOps: 1000, activeUpdates: 0, idleUpdates: 0, spikes: 10, hopsX: 5, hopsY: 0, latency: 0.04, chips: 2, cores: 20 }, 1000, 0);
    // dynamic: 1000·8 nJ + 10·1 nJ + 5·1 nJ = 8.015 µJ; static: (2·0.35 + 20·0.034) W · 0.04 s = 55.2 mJ
    expect(r.snnJoulesPerInference).to.be.closeTo(8.015e-6 + 0.0552, 1e-9);
    const statics = r.breakdown.filter((b) => b.term.startsWith("static")).reduce((a, b) => a + b.joules, 0);
    expect(statics).to.be.closeTo(0.0552, 1e-12);
  });
});
