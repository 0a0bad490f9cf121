/**
 * Quantisation: every integer weight reproduces its float weight within the format's step; Loihi weight
 * exponents use the mantissa range without overflow; unrepresentable values are coded errors, not clipping;
 * target files are validated with the bad field named.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { SnncError } from "../../compiler/diagnostics.ts";
import { loadTarget } from "../../compiler/target/load.ts";
import { quantise } from "../../compiler/quantise/index.ts";
import type { SnnGraph } from "../../compiler/ir/snn.ts";
import { effectiveWeights } from "../../compiler/simulate/int-snn.ts";
import { compileCached, EXAMPLES, request } from "../helpers/compile.ts";

describe("quantisation", function () {
  this.timeout(300_000);

  for (const target of ["loihi", "loihi2", "spinnaker"]) {
    it(`${target}: quantised weights reproduce the float weights within the format's step`, async () => {
      const out = await compileCached(request(EXAMPLES.resnet, target));
      const snn = out.pipeline.conversion.snn;
      const q = out.pipeline.quantised.q;
      let checked = 0;
      for (const p of q.populations) {
        const fp = snn.populations[p.id];
        p.inputs.forEach((pr, k) => {
          const eff = effectiveWeights(pr);
          const f = fp?.inputs[k]?.conn;
          if (!eff || !f) return;
          const floats = f.kind === "dense" || f.kind === "oneToOne" ? f.weights : f.kind === "conv" || f.kind === "depthwise" ? f.kernel : null;
          if (!floats) return;
          // step of this projection's format: 2^shift (×2 for Loihi's even mixed-sign mantissas)
          const step = 2 ** Math.max(pr.posShift, pr.negShift) * (pr.signMode === "mixed" && pr.weightExponent !== null ? 2 : 1);
          for (let i = 0; i < floats.length; i++) {
            const err = Math.abs((eff[i] as number) - (floats[i] as number) * p.scale);
            expect(err, `${p.name} weight ${i}`).to.be.at.most(step / 2 + 1e-9);
          }
          // and the largest weight uses the top of the mantissa range (Loihi: exponent chosen to fit)
          if (pr.weightExponent !== null && pr.weightExponent > -6) {
            let m = 0;
            const src = pr.conn.kind === "dense" || pr.conn.kind === "oneToOne" ? pr.conn.weights : pr.conn.kind === "conv" || pr.conn.kind === "depthwise" ? pr.conn.kernel : new Int32Array();
            for (const x of src) m = Math.max(m, Math.abs(x));
            expect(m, `${p.name} mantissa range`).to.be.above(127 / 2);
            expect(m).to.be.at.most(256);
          }
          checked++;
        });
      }
      expect(checked).to.be.at.least(8);
    });
  }

  it("a weight beyond mantissa + exponent is a coded error naming the layer, not silent clipping", async () => {
    const out = await compileCached(request(EXAMPLES.mlp, "loihi"));
    const snn = out.pipeline.conversion.snn;
    // One synapse 1e7 thresholds strong: no threshold scale fits it on Loihi.
    const broken: SnnGraph = {
      ...snn,
      populations: snn.populations.map((p) => (p.name !== "fc2" ? p : {
        ...p, inputs: p.inputs.map((pr) => (pr.conn.kind !== "dense" ? pr : { ...pr, conn: { kind: "dense" as const, weights: pr.conn.weights.map((w, i) => (i === 0 ? 1e7 : w)) } })),
      })),
    };
    try {
      quantise(broken, loadTarget("loihi"), out.pipeline.activity, () => {});
      expect.fail("expected SNNC302");
    } catch (e) {
      expect(e).to.be.instanceOf(SnncError);
      expect((e as SnncError).code).to.equal("SNNC302");
      expect((e as SnncError).loc.layer).to.equal("fc2");
    }
  });

  it("rejects bad target files naming the field", () => {
    const dir = mkdtempSync(join(tmpdir(), "snnc-target-"));
    const base = JSON.parse(readFileSync("targets/loihi.json", "utf8"));
    const cases: [string, (t: any) => void, RegExp][] = [
      ["neurons", (t) => { t.core.neurons.value = -4; }, /core\.neurons\.value/],
      ["grade", (t) => { t.energy.synOpJoules.grade = "guess"; }, /energy\.synOpJoules\.grade/],
      ["missing", (t) => { delete t.timing.hopSecondsX; }, /timing\.hopSecondsX/],
      ["typo", (t) => { t.core.neuronz = t.core.neurons; }, /core\.neuronz/],
      ["kind", (t) => { t.routing.kind = "teleport"; }, /routing\.kind/],
      ["model", (t) => { t.neuron.model = "hodgkin-huxley"; }, /neuron\.model/],
      ["cross", (t) => { t.system.coresPerChip.value = 64; }, /usableCoresPerChip/],
      ["compartments", (t) => { t.neuron.softReset.compartmentsPerNeuron.value = 3; }, /neuron\.softReset\.compartmentsPerNeuron\.value/],
    ];
    for (const [name, edit, path] of cases) {
      const t = JSON.parse(JSON.stringify(base));
      edit(t);
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(t));
      try {
        loadTarget(file);
        expect.fail(`${name}: expected SNNC301`);
      } catch (e) {
        expect(e, name).to.be.instanceOf(SnncError);
        expect((e as SnncError).code).to.equal("SNNC301");
        expect((e as SnncError).message, name).to.match(path);
      }
    }
    writeFileSync(join(dir, "ok.json"), JSON.stringify(base));
    expect(loadTarget(join(dir, "ok.json")).name).to.equal("loihi");
    expect(() => loadTarget("no-such-chip")).to.throw(SnncError).with.property("code", "SNNC301");
  });

  it("every shipped target file is valid and grades every constant", () => {
    for (const name of ["loihi", "loihi2", "spinnaker", "spinnaker2", "tiny", "tiny-spinnaker"]) {
      const t = loadTarget(name);
      const walk = (x: unknown): void => {
        if (x && typeof x === "object") {
          const o = x as Record<string, unknown>;
          if ("value" in o && typeof o.value === "number") {
            expect(o.source, `${name}: source`).to.be.a("string").and.not.equal("");
            expect(["silicon", "pre-silicon", "software", "datasheet", "estimate"]).to.include(o.grade);
          }
          for (const v of Object.values(o)) walk(v);
        }
      };
      walk(t);
    }
  });
});
