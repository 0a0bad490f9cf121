/**
 * @fileoverview NIR in: hand-made graphs (test/helpers/nir.ts) read, checked and discretised, then compiled
 * through the whole back end: feed-forward LIF, recurrent CubaLIF (bit-exact on loihi2 and spinnaker2, and
 * split over several cores), and a nested subgraph (the same spikes as the flat graph).
 */
import { expect } from "chai";
import { type CompileOutcome, runCompile } from "../../compiler/compile.ts";
import { DEFAULT_CONVERT_OPTIONS, type Method } from "../../compiler/convert/methods.ts";
import type { Warning } from "../../compiler/diagnostics.ts";
import { flattenNir } from "../../compiler/import/nir/flatten.ts";
import { lowerNir } from "../../compiler/import/nir/lower.ts";
import { readNir } from "../../compiler/import/nir/read.ts";
import type { NirDocument } from "../../compiler/import/nir/types.ts";
import { simulateInt } from "../../compiler/simulate/int-snn.ts";
import { cubaLif, feedForwardLif, graph, li, linear, nestedLif, recurrentCubaLif, writeData, writeNirFile } from "../helpers/nir.ts";

const QUIET = { warn: () => {}, progress: () => {}, stage: () => {} };

async function compileNir(doc: NirDocument, target: string, data: string, over: Record<string, unknown> = {}): Promise<{ outcome: CompileOutcome; warnings: Warning[] }> {
  const model = await writeNirFile(doc);
  const warnings: Warning[] = [];
  const r = await runCompile({
    ...DEFAULT_CONVERT_OPTIONS, model, target, method: "ecc" as Method, timesteps: 16, samples: 24, calibrationSamples: 24, verifySamples: 6,
    tfjsCheck: false, data, emulator: false, ...over,
  }, { ...QUIET, warn: (w) => warnings.push(w) });
  if (!r.complete) throw new Error("stopped");
  return { outcome: r.outcome, warnings };
}

describe("NIR import", () => {
  const data16 = writeData(16, 24, 4, 7);

  it("reads every node of a file written in NIR's layout, with its metadata", async () => {
    const doc = await readNir(await writeNirFile(recurrentCubaLif()));
    expect(doc.version).to.equal("1.0");
    expect([...doc.graph.nodes.keys()]).to.have.members(["input", "w_in", "rec", "w_rec", "w_out", "readout", "output"]);
    expect(doc.graph.metadata.dt).to.equal(0.001);
    expect(doc.graph.edges).to.deep.include(["w_rec", "rec"]);
    const rec = doc.graph.nodes.get("rec");
    expect(rec?.type).to.equal("CubaLIF");
  });

  it("discretises LIF with forward Euler: vKeep = 1 − dt/τ, weights × dt·r/τ / (v_threshold − v_leak)", async () => {
    const doc = feedForwardLif();
    const flat = flattenNir(doc.graph, "ff.nir");
    const low = lowerNir(flat, 0.001, "ff", "ff.nir", () => {});
    const lif1 = low.snn.populations.find((p) => p.name === "lif1");
    expect(lif1?.leak?.vKeep).to.be.closeTo(1 - 0.001 / 0.005, 1e-12);
    expect(lif1?.leak?.iKeep).to.equal(0);
    const fc1 = doc.graph.nodes.get("fc1");
    if (fc1?.type !== "Affine" || lif1?.inputs[0]?.conn.kind !== "dense") throw new Error("shape of the test graph");
    // NIR weight[j][i] (out, in) → dense [src i, dst j], times dt·r/τ = 0.001·5/0.005 = 1.
    expect(lif1.inputs[0].conn.weights[3 * 12 + 5]).to.be.closeTo(fc1.weight.data[5 * 16 + 3] as number, 1e-6);
    expect(lif1.inputs[0].delay).to.equal(1);
    expect(low.snn.populations[low.snn.output]?.neuron.kind).to.equal("countReadout");
    expect(low.snn.readoutDepth).to.equal(2);
  });

  it("compiles a feed-forward LIF net bit-exactly on loihi2 and spinnaker2", async () => {
    for (const target of ["loihi2", "spinnaker2"]) {
      const { outcome } = await compileNir(feedForwardLif(), target, data16);
      expect(outcome.report.verification.bitExact, target).to.equal(true);
      expect(outcome.report.verification.comparedSpikes, target).to.be.greaterThan(100);
      expect(outcome.report.method).to.equal("nir");
    }
  });

  it("compiles a recurrent CubaLIF net bit-exactly on loihi2 and spinnaker2 (self-projection, delay 1)", async () => {
    for (const target of ["loihi2", "spinnaker2"]) {
      const { outcome } = await compileNir(recurrentCubaLif(), target, data16);
      const q = outcome.pipeline.quantised.q;
      const rec = q.populations.find((p) => p.name === "rec");
      expect(rec?.inputs.some((pr) => pr.source === rec.id && pr.delay === 1), target).to.equal(true);
      expect(rec?.params.du, target).to.be.greaterThan(0);
      expect(rec?.params.dv, target).to.be.greaterThan(0);
      expect(outcome.report.verification.bitExact, target).to.equal(true);
      // The recurrence matters: without the recurrent projection the spikes differ.
      const cut = { ...q, populations: q.populations.map((p) => (p.id === rec?.id ? { ...p, inputs: p.inputs.filter((pr) => pr.source !== p.id) } : p)) };
      const data = (await import("../../compiler/data/dataset.ts")).loadDataset(data16, { inputShape: [16], limit: 4 });
      const a = simulateInt(q, data.images, 4, { timesteps: 16 });
      const b = simulateInt(cut, data.images, 4, { timesteps: 16 });
      expect([...a.spikes]).to.not.deep.equal([...b.spikes]);
    }
  });

  it("maps a recurrent layer split over several cores (tiny targets: 64 neurons per core)", async () => {
    const dt = 0.001;
    const doc: NirDocument = {
      version: "1.0",
      graph: graph({
        input: { type: "Input", shape: [16], metadata: {} },
        w_in: linear(150, 16, 0.9, 3),
        rec: cubaLif(150, 0.004, 0.002, dt),
        w_rec: linear(150, 150, 0.15, 4),
        w_out: linear(4, 150, 0.3, 5),
        readout: li(4, 0.008, dt),
        output: { type: "Output", shape: [4], metadata: {} },
      }, [["input", "w_in"], ["w_in", "rec"], ["rec", "w_rec"], ["w_rec", "rec"], ["rec", "w_out"], ["w_out", "readout"], ["readout", "output"]], { dt }),
    };
    for (const target of ["tiny", "tiny-spinnaker"]) {
      const { outcome } = await compileNir(doc, target, data16, { verifySamples: 3 });
      expect(outcome.report.network.layers.find((l) => l.name === "rec")?.cores, target).to.be.greaterThan(1);
      expect(outcome.report.verification.bitExact, target).to.equal(true);
    }
  });

  it("flattens a nested subgraph: the same spikes as the flat graph", async () => {
    const flat = await compileNir(feedForwardLif(), "loihi2", data16);
    const nested = await compileNir(nestedLif(), "loihi2", data16);
    expect(nested.outcome.report.network.layers.map((l) => l.name)).to.include("block.lif");
    expect(nested.outcome.report.run.spikesPerInference).to.equal(flat.outcome.report.run.spikesPerInference);
    expect(nested.outcome.report.verification.comparedSpikes).to.equal(flat.outcome.report.verification.comparedSpikes);
  });
});
