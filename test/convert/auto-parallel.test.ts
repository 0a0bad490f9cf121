/**
 * `auto` normalisation with its float SNN trials over worker threads (simulateMany, as the compile's convert
 * pass runs them) against the single-thread selection: the same candidate, the same measured figures, the
 * same network, and the chosen trial's ranges equal to the measure pass's own simulation. Also simulateMany's pieces (and simulateParallel's shards) against simulateFloat for networks ×
 * samples cut unevenly, with Poisson input too.
 */
import { expect } from "chai";
import { convert, convertWith } from "../../compiler/convert/index.ts";
import { DEFAULT_CONVERT_OPTIONS } from "../../compiler/convert/methods.ts";
import { loadDataset } from "../../compiler/data/dataset.ts";
import { importModel } from "../../compiler/import/index.ts";
import { simulateFloat } from "../../compiler/simulate/float-snn.ts";
import { simulateMany, simulateParallel } from "../../compiler/simulate/parallel.ts";
import { EXAMPLES, SAMPLE_DATA } from "../helpers/compile.ts";

describe("auto normalisation over worker threads", function () {
  this.timeout(120_000);
  const data = loadDataset(SAMPLE_DATA, { inputShape: [28, 28, 1], limit: 70 });
  const ctx = { calibration: data, calibrationSamples: 70, warn: () => {} };

  it("chooses the same candidate with the same figures and network as the single-thread selection", async () => {
    const graph = await importModel(EXAMPLES.mlp);
    const options = { ...DEFAULT_CONVERT_OPTIONS, method: "ecc" as const, timesteps: 16 };
    const one = convert(graph, options, ctx);
    const calls: number[] = [];
    const many = await convertWith(graph, options, ctx, (snns, images, n, t, ranges) => {
      calls.push(snns.length);
      return simulateMany(snns, images, n, t, 4, ranges);
    });
    // The three candidates in one call, then the best one's rule per channel, then the better of the two with
    // calibrated biases.
    expect(calls).to.deep.equal([3, 1, 1]);
    expect(one.normalisation?.tried).to.have.length(5);
    expect(many.normalisation?.chosen).to.equal(one.normalisation?.chosen);
    expect(many.normalisation?.tried).to.deep.equal(one.normalisation?.tried);
    expect(many.normalisation?.samples).to.equal(70);
    expect(many.snn).to.deep.equal(one.snn);
    // The chosen trial's ranges on the first 64 samples: what the measure pass would simulate, exactly.
    const measured = simulateFloat(one.snn, data.images, 64, { timesteps: [16], recordRanges: true });
    for (const r of [one.normalisation?.ranges, many.normalisation?.ranges]) {
      expect(r?.samples).to.equal(64);
      expect(Array.from(r?.maxAbsV ?? [])).to.deep.equal(Array.from(measured.maxAbsV));
      expect(Array.from(r?.maxAbsInput ?? [])).to.deep.equal(Array.from(measured.maxAbsInput));
      expect(Array.from(r?.totalSpikes ?? [])).to.deep.equal(Array.from(measured.totalSpikes));
    }
    // simulateMany cuts 3 networks × 70 samples into 3 even shares (pieces straddle networks): the same scores.
    const got = (await simulateMany([one.snn, many.snn, one.snn], data.images, 70, 16, 3)).scores;
    const want = simulateFloat(one.snn, data.images, 70, { timesteps: [16] }).scores.get(16) as Float32Array;
    for (const g of got) expect(Array.from(g)).to.deep.equal(Array.from(want));
  });

  it("Poisson input: pieces seeded by their global sample index give simulateFloat's scores", async () => {
    const graph = await importModel(EXAMPLES.mlp);
    const snn = convert(graph, { ...DEFAULT_CONVERT_OPTIONS, method: "ecc" as const, timesteps: 16, encoding: "poisson" as const, normalisation: "percentile" as const, percentile: 99.9 }, ctx).snn;
    const want = simulateFloat(snn, data.images, 70, { timesteps: [16] }).scores.get(16) as Float32Array;
    const got = (await simulateMany([snn, snn], data.images, 70, 16, 3)).scores;
    for (const g of got) expect(Array.from(g)).to.deep.equal(Array.from(want));
    const parallel = await simulateParallel(snn, data.images, 70, [16], 3);
    expect(Array.from(parallel.scores.get(16) as Float32Array)).to.deep.equal(Array.from(want));
  });
});
