/**
 * @fileoverview Event input ([T, ...] frames, one per step): the emulator and the reference integer model
 * agree spike for spike on a recurrent NIR net fed binary event frames, the frames matter (not the first
 * frame held), and `snnc run --events` reads [T, ...] and [N, T, ...] files (T defaults to the frame count).
 */
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate } from "../../runtime/emulator/run.ts";
import { main } from "../../compiler/cli/main.ts";
import { runCompile } from "../../compiler/compile.ts";
import { DEFAULT_CONVERT_OPTIONS, type Method } from "../../compiler/convert/methods.ts";
import { writeNpy } from "../../compiler/data/npy.ts";
import { seededRng } from "../../compiler/util/rng.ts";
import { verifyBitExact } from "../../compiler/verify/bitexact.ts";
import { recurrentCubaLif, writeData, writeEventData, writeNirFile } from "../helpers/nir.ts";

describe("NIR event input", function () {
  this.timeout(120_000);
  const frames = 12;
  const rng = seededRng(21);
  // 3 samples × 12 frames × 16 inputs of binary events (p = 0.3).
  const events = Float32Array.from({ length: 3 * frames * 16 }, () => (rng() < 0.3 ? 1 : 0));

  for (const target of ["loihi2", "spinnaker2"]) {
    it(`emulator = reference on event frames, recurrent CubaLIF (${target}); out dir for run --events`, async () => {
      const out = mkdtempSync(join(tmpdir(), "snnc-nir-ev-"));
      const model = await writeNirFile(recurrentCubaLif());
      const r = await runCompile({
        ...DEFAULT_CONVERT_OPTIONS, model, target, method: "ecc" as Method, timesteps: frames, samples: 8, calibrationSamples: 8, verifySamples: 2,
        tfjsCheck: false, data: writeData(16, 8, 4, 3), emulator: false,
      }, { warn: () => {}, progress: () => {}, stage: () => {} });
      if (!r.complete) throw new Error("stopped");
      const { binary, pipeline } = r.outcome;
      const v = verifyBitExact(pipeline.quantised.q, binary, events, 3, frames, undefined, 0, frames);
      expect(v.bitExact).to.equal(true);
      expect(v.comparedSpikes).to.be.greaterThan(50);
      // The frames matter: holding the first frame gives other spikes.
      const net = loadNetwork(decodeBinary(binary));
      const seq = emulate(net, events.subarray(0, frames * 16), 1, { timesteps: frames, frames, recordCounts: true });
      const held = emulate(net, events.subarray(0, 16), 1, { timesteps: frames, recordCounts: true });
      expect([...(seq.spikeCounts as Int32Array)]).to.not.deep.equal([...(held.spikeCounts as Int32Array)]);
      // snnc run --events: one sample [T, 16] and a batch [N, T, 16].
      writeFileSync(join(out, "network.snnb"), binary);
      writeFileSync(join(out, "one.npy"), writeNpy([frames, 16], events.slice(0, frames * 16)));
      writeFileSync(join(out, "batch.npy"), writeNpy([3, frames, 16], events));
      const outs: string[] = [];
      const w = process.stdout.write;
      process.stdout.write = ((s: string | Uint8Array) => (outs.push(String(s)), true)) as typeof process.stdout.write;
      try {
        expect(await main(["run", join(out, "network.snnb"), "--input", join(out, "one.npy"), "--events", "--json"])).to.equal(0);
        expect(await main(["run", join(out, "network.snnb"), "--input", join(out, "batch.npy"), "--events", "--json", "--workers", "1"])).to.equal(0);
      } finally {
        process.stdout.write = w;
      }
      const [one, batch] = outs.map((s) => JSON.parse(s) as { samples: number; timesteps: number; scores: number[][] });
      expect(one?.samples).to.equal(1);
      expect(one?.timesteps).to.equal(frames);
      expect(batch?.samples).to.equal(3);
      expect(one?.scores[0]).to.deep.equal([...seq.scores]);
      expect(batch?.scores[0]).to.deep.equal(one?.scores[0]);
    });
  }

  it("compile and verify evaluate on event data [N, T, ...] (uint8 counts taken as they are), bit-exact", async () => {
    const data = writeEventData(16, frames, 12, 4, 8);
    const ds = (await import("../../compiler/data/dataset.ts")).loadDataset(data, { inputShape: [16], events: true });
    expect(ds.frames).to.equal(frames);
    expect(Math.max(...ds.images)).to.equal(1);
    const model = await writeNirFile(recurrentCubaLif());
    const out = mkdtempSync(join(tmpdir(), "snnc-nir-evc-"));
    const outs: string[] = [];
    const w = process.stdout.write;
    process.stdout.write = ((s: string | Uint8Array) => (outs.push(String(s)), true)) as typeof process.stdout.write;
    try {
      expect(await main(["compile", model, "-t", "spinnaker2", "--calibration", data, "-T", String(frames), "--samples", "12", "--calibration-samples", "12",
        "--verify-samples", "4", "--no-emulator", "--quiet", "--json", "-o", join(out, "b")])).to.equal(0);
      expect(await main(["verify", join(out, "b"), "--data", data, "--json"])).to.equal(0);
    } finally {
      process.stdout.write = w;
    }
    const compiled = JSON.parse(outs[0] as string) as { report: { verification: { bitExact: boolean; comparedSpikes: number }; accuracy: { samples: number } } };
    const verified = JSON.parse(outs[1] as string) as { bitExact: boolean; samples: number; accuracy: { snn: number } };
    expect(compiled.report.verification.bitExact).to.equal(true);
    expect(compiled.report.verification.comparedSpikes).to.be.greaterThan(50);
    expect(compiled.report.accuracy.samples).to.equal(12);
    expect(verified.bitExact).to.equal(true);
    expect(verified.samples).to.equal(12);
  });
});
