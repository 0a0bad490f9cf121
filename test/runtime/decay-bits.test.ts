/**
 * A target's decayBits reaches the neuron rule: a Loihi target file with decayBits = 10 (not 12) compiles,
 * its binary carries D = 10 in each profile, the emulator equals the reference model bit-exactly, and reading
 * its decays with 12 bits — the old hard-coded 4096 — gives other spikes. IF neurons with du = 2^D − 1 forget
 * u each step at any D, so the 10-bit network spikes like the 12-bit one.
 */
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate } from "../../runtime/emulator/run.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { compileCached, request } from "../helpers/compile.ts";
import { smallConvModel } from "../helpers/small.ts";
import { readNpy } from "../../compiler/data/npy.ts";

describe("decayBits from the target file", function () {
  this.timeout(300_000);

  it("10-bit decays: stored in the binary, bit-exact against the reference, different when read as 12-bit", async () => {
    const small = await smallConvModel();
    const spec = JSON.parse(readFileSync("targets/tiny.json", "utf8")) as { name: string; neuron: { decayBits: { value: number; source: string } } };
    spec.name = "tiny-decay10";
    spec.neuron.decayBits = { ...spec.neuron.decayBits, value: 10, source: "test: a 10-bit decay resolution" };
    const file = join(mkdtempSync(join(tmpdir(), "snnc-decay-")), "tiny-decay10.json");
    writeFileSync(file, JSON.stringify(spec));
    const ten = await compileCached(request(small.model, file, { data: small.data, reset: "zero", samples: 8 }));
    const twelve = await compileCached(request(small.model, "tiny", { data: small.data, reset: "zero", samples: 8 }));
    expect(ten.report.verification.bitExact).to.equal(true);
    const net = loadNetwork(decodeBinary(ten.binary));
    const loihiRules = net.rules.filter((r) => r.model === "loihi-cuba");
    expect(loihiRules.length).to.be.greaterThan(0);
    for (const r of loihiRules) {
      expect(r.decayBits).to.equal(10);
      expect(r.du).to.equal(1023);
    }
    const x = readNpy(readFileSync(small.data));
    const images = Float32Array.from(x.data.subarray(0, 4 * 36), (b) => (b as number) / 255);
    const T = decodeBinary(ten.binary).meta.timesteps;
    const run = (n: typeof net) => Array.from(emulate(n, images, 4, { timesteps: T }).scores);
    const scores10 = run(net);
    expect(scores10).to.deep.equal(run(loadNetwork(decodeBinary(twelve.binary))));
    const as12 = { ...net, rules: net.rules.map((r) => ({ ...r, decayBits: 12 })) };
    expect(run(as12)).to.not.deep.equal(scores10);
  });
});
