/**
 * @fileoverview --emit-nir round trips: compile a NIR graph, export its float SNN as NIR, compile that file:
 * the same float SNN (populations, leaks, weights) and identical spikes on the target (loihi2, spinnaker2);
 * and a converted ANN (reset by subtraction, pre-charged membranes kept in snnc metadata) the same way.
 */
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CompileOutcome, runCompile } from "../../compiler/compile.ts";
import { DEFAULT_CONVERT_OPTIONS, type Method } from "../../compiler/convert/methods.ts";
import type { Warning } from "../../compiler/diagnostics.ts";
import { exportNir } from "../../compiler/import/nir/export.ts";
import type { NirLowering } from "../../compiler/import/nir/lower.ts";
import type { NirDocument } from "../../compiler/import/nir/types.ts";
import { writeNirBytes } from "../../compiler/import/nir/write.ts";
import { simulateInt } from "../../compiler/simulate/int-snn.ts";
import { loadDataset } from "../../compiler/data/dataset.ts";
import { compileCached, EXAMPLES, request } from "../helpers/compile.ts";
import { recurrentCubaLif, writeData, writeNirFile } from "../helpers/nir.ts";

async function compileFile(model: string, target: string, data: string): Promise<CompileOutcome> {
  const r = await runCompile({
    ...DEFAULT_CONVERT_OPTIONS, model, target, method: "ecc" as Method, timesteps: 16, samples: 16, calibrationSamples: 16, verifySamples: 4,
    tfjsCheck: false, data, emulator: false,
  }, { warn: () => {}, progress: () => {}, stage: () => {} });
  if (!r.complete) throw new Error("stopped");
  return r.outcome;
}

async function exported(doc: NirDocument): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "snnc-nir-rt-"));
  const path = join(dir, "network.nir");
  writeFileSync(path, await writeNirBytes(doc));
  return path;
}

function spikesOf(o: CompileOutcome, data: string, per: number[]): number[] {
  const ds = loadDataset(data, { inputShape: per, limit: 8 });
  const trace: number[] = [];
  simulateInt(o.pipeline.quantised.q, ds.images, 8, {
    timesteps: 16,
    onSpikes: (t, pop, sample, idx, _payload, n) => {
      for (let k = 0; k < n; k++) trace.push(sample, t, pop, idx[k] as number);
    },
  });
  return trace;
}

describe("NIR out (--emit-nir) and round trip", () => {
  const data = writeData(16, 16, 4, 11);

  for (const target of ["loihi2", "spinnaker2"]) {
    it(`compile → NIR → compile gives identical spikes (recurrent CubaLIF, ${target})`, async () => {
      const first = await compileFile(await writeNirFile(recurrentCubaLif()), target, data);
      const low = first.pipeline.conversion as NirLowering;
      const back = await compileFile(await exported(exportNir(low.snn, low.dt, () => {})), target, data);
      const a = first.pipeline.conversion.snn;
      const b = back.pipeline.conversion.snn;
      const structure = (s: typeof a) => s.populations.map((p) => [p.shape, p.neuron, p.inputs.map((pr) => [pr.source, pr.delay, pr.conn.kind])]);
      expect(structure(b)).to.deep.equal(structure(a));
      b.populations.forEach((p, i) => {
        expect(p.leak?.vKeep ?? 1).to.be.closeTo(a.populations[i]?.leak?.vKeep ?? 1, 1e-12);
        expect(p.leak?.iKeep ?? 0).to.be.closeTo(a.populations[i]?.leak?.iKeep ?? 0, 1e-12);
      });
      expect(back.pipeline.quantised.q.populations.map((p) => [p.params.du, p.params.dv, p.scale])).to.deep.equal(first.pipeline.quantised.q.populations.map((p) => [p.params.du, p.params.dv, p.scale]));
      const sa = spikesOf(first, data, [16]);
      expect(sa.length).to.be.greaterThan(400);
      expect(spikesOf(back, data, [16])).to.deep.equal(sa);
      expect(back.report.verification.bitExact).to.equal(true);
    });
  }

  it("a converted ANN (subtract reset, pre-charge) round-trips to identical spikes, with SNNC-W165", async () => {
    const first = await compileCached(request(EXAMPLES.mlp, "loihi2"));
    const warnings: Warning[] = [];
    const path = await exported(exportNir(first.pipeline.conversion.snn, 0.001, (w) => warnings.push(w)));
    expect(warnings.map((w) => w.code)).to.include("SNNC-W165");
    const back = await compileFile(path, "loihi2", "examples/fashion-mnist/data");
    expect(back.pipeline.quantised.q.populations.map((p) => [p.params.reset, p.scale, p.params.threshold]))
      .to.deep.equal(first.pipeline.quantised.q.populations.map((p) => [p.params.reset, p.scale, p.params.threshold]));
    const ds = loadDataset("examples/fashion-mnist/data", { inputShape: [28, 28, 1], limit: 4 });
    const run = (o: CompileOutcome) => simulateInt(o.pipeline.quantised.q, ds.images, 4, { timesteps: 16 });
    expect([...run(back).scores]).to.deep.equal([...run(first).scores]);
  });
});
