/**
 * The worst-case step input of compiler/verify/input-bound.ts against brute force over the binary's own
 * synapses (per layer: the largest sum of positive and of negative weights into one neuron, self-synapses
 * included), and the 21-bit accumulator of targets/tiny.json end to end: a target file with a 12-bit
 * accumulator gets SNNC-W310 naming the layers that can overflow, still verifies bit-exactly (emulator and
 * reference wrap alike) and spikes differently from the 21-bit compile.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { compileModel } from "../../compiler/compile.ts";
import type { Warning } from "../../compiler/diagnostics.ts";
import { inputBounds } from "../../compiler/verify/input-bound.ts";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { compileCached, request } from "../helpers/compile.ts";
import { smallConvModel } from "../helpers/small.ts";

/** Per layer: max over its neurons of Σ positive weights in, min of Σ negative weights in. */
function bruteForce(bin: Uint8Array): Map<string, { max: number; min: number }> {
  const net = loadNetwork(decodeBinary(bin));
  const pos = new Float64Array(net.neurons);
  const neg = new Float64Array(net.neurons);
  for (const d of net.delivery) {
    for (let s = 0; s < net.neurons; s++) {
      for (let r = d.runStart[s] as number; r < (d.runStart[s + 1] as number); r++) {
        for (let k = 0; k < (d.runLength[r] as number); k++) {
          const w = d.weights[(d.runWeight[r] as number) + k] as number;
          const t = (d.runTarget[r] as number) + k;
          if (w > 0) pos[t] = (pos[t] as number) + w;
          else neg[t] = (neg[t] as number) + w;
        }
      }
    }
  }
  const out = new Map<string, { max: number; min: number }>();
  for (let i = 0; i < net.neurons; i++) {
    const name = net.meta.populations[net.popOf[i] as number]?.name as string;
    const b = out.get(name) ?? { max: 0, min: 0 };
    out.set(name, { max: Math.max(b.max, pos[i] as number), min: Math.min(b.min, neg[i] as number) });
  }
  return out;
}

describe("worst-case synaptic input per step", function () {
  this.timeout(300_000);

  it("equals brute force over the binary's synapses, per layer (zero reset and two-compartment self-synapses)", async () => {
    const small = await smallConvModel();
    const zero = await compileCached(request(small.model, "tiny", { data: small.data, reset: "zero", samples: 8 }));
    const soft = await compileCached(request(small.model, "loihi", { data: small.data, samples: 8 }));
    for (const out of [zero, soft]) {
      const brute = bruteForce(out.binary);
      const bounds = inputBounds(out.pipeline.quantised.q);
      expect(bounds.length).to.be.greaterThan(2);
      for (const b of bounds) expect({ layer: b.layer, max: b.max, min: b.min }).to.deep.equal({ layer: b.layer, ...brute.get(b.layer) });
    }
  });

  it("a 12-bit accumulator: SNNC-W310 names the layers, the compile stays bit-exact, the spikes change", async () => {
    const small = await smallConvModel();
    const spec = JSON.parse(readFileSync("targets/tiny.json", "utf8")) as { name: string; neuron: { stepInputBits: { value: number; source: string } } };
    expect(spec.neuron.stepInputBits.value).to.equal(21);
    spec.name = "tiny-q12";
    spec.neuron.stepInputBits = { ...spec.neuron.stepInputBits, value: 12, source: "test: a 12-bit input accumulator" };
    const file = join(mkdtempSync(join(tmpdir(), "snnc-qbits-")), "tiny-q12.json");
    writeFileSync(file, JSON.stringify(spec));
    const warnings: Warning[] = [];
    const req = request(small.model, file, { data: small.data, reset: "zero", samples: 8 });
    const narrow = await compileModel(req, { warn: (w) => warnings.push(w), progress: () => {}, stage: () => {} });
    const wide = await compileCached(request(small.model, "tiny", { data: small.data, reset: "zero", samples: 8 }));
    const flagged = warnings.filter((w) => w.code === "SNNC-W310").map((w) => w.loc?.layer);
    const over = inputBounds(narrow.pipeline.quantised.q).filter((b) => b.max > 2 ** 12 - 1 || b.min < -(2 ** 12)).map((b) => b.layer);
    expect(over.length).to.be.greaterThan(0);
    expect(flagged).to.deep.equal(over);
    expect(warnings.find((w) => w.code === "SNNC-W310")?.message).to.match(/beyond the 12-bit \(\+ sign\) input accumulator/);
    expect(decodeBinary(narrow.binary).system.stepInputBits).to.equal(12);
    expect(narrow.report.verification.bitExact).to.equal(true);
    expect(narrow.report.run.spikesPerInference).to.not.equal(wide.report.run.spikesPerInference);
    // The 21-bit tiny compile is far from its bound: no warning there.
    expect(inputBounds(wide.pipeline.quantised.q).every((b) => b.max < 2 ** 21 && b.min >= -(2 ** 21))).to.equal(true);
  });
});
