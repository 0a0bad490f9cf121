/**
 * Binary fuzzing on every CI run: mutants of small real network.snnb files (every CRC recomputed, so they
 * reach the structural and range checks) through decode, loadNetwork, a short emulate, `snnc inspect --json`
 * and `snnc run`. Nothing but coded errors may escape. The long mode is bench/fuzz.ts (SNNC_FUZZ_N).
 */
import { expect } from "chai";
import { fuzz } from "./fuzz-lib.ts";

describe("robustness: binary fuzzing", function () {
  // SNNC_FUZZ_N=100000 npx mocha test/robustness/fuzz.test.ts is the long mode in the test runner (no timeout).
  this.timeout(process.env.SNNC_FUZZ_N ? 0 : 240_000);

  it("1,500 (or SNNC_FUZZ_N) CRC-resealed mutants give coded errors only, with range checks (SNNC506) reached", async () => {
    const r = await fuzz(Number(process.env.SNNC_FUZZ_N ?? 1500), 11);
    const shown = r.internal.slice(0, 5).map((x) => `${x.what}: ${x.error}`).join("\n");
    expect(r.internal.length, shown).to.equal(0);
    const codes = [...r.codes.keys()];
    expect(codes.every((c) => /^(ok|SNNC50[1-7])$/.test(c)), codes.join(", ")).to.equal(true);
    // The mutants reach every layer of checks, and some still run.
    expect(r.codes.get("SNNC504") ?? 0).to.be.greaterThan(100);
    expect(r.codes.get("SNNC506") ?? 0).to.be.greaterThan(40);
    expect(r.codes.get("ok") ?? 0).to.be.greaterThan(50);
  });
});
