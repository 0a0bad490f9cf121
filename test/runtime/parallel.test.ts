/**
 * The emulator over worker threads equals the single-thread run: scores, spike counts per neuron, integer
 * counters, per-population and per-core figures (Poisson input too: seeds follow the global sample index).
 */
import { expect } from "chai";
import { loadDataset } from "../../compiler/data/dataset.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { chunkSize, emulateParallel, threadsFor } from "../../runtime/emulator/parallel.ts";
import { emulate } from "../../runtime/emulator/run.ts";
import { compileCached, EXAMPLES, request, SAMPLE_DATA } from "../helpers/compile.ts";

describe("emulator on worker threads", function () {
  this.timeout(300_000);

  it("threadsFor: one thread for small batches or workers 1, else at most the batch / 8", () => {
    expect(threadsFor(10, { workers: 4 })).to.equal(1);
    expect(threadsFor(1000, { workers: 1 })).to.equal(1);
    expect(threadsFor(1000, { workers: 3 })).to.equal(3);
    expect(threadsFor(16, { workers: 4, minSamples: 1 })).to.equal(2);
  });

  it("chunkSize: at most 16 samples, at least 8 chunks per thread when the batch allows", () => {
    expect(chunkSize(1000, 2)).to.equal(16);
    expect(chunkSize(100, 2)).to.equal(7);
    expect(chunkSize(30, 3)).to.equal(2);
    expect(chunkSize(3, 4)).to.equal(1);
  });

  for (const encoding of ["current", "poisson"] as const) {
    it(`3 threads equal 1 thread (${encoding} input)`, async () => {
      const out = await compileCached(request(EXAMPLES.mlp, "loihi", { encoding }));
      const net = loadNetwork(decodeBinary(out.binary));
      const data = loadDataset(SAMPLE_DATA, { inputShape: [28, 28, 1], limit: 30 });
      const one = emulate(net, data.images, 30, { timesteps: 16, recordCounts: true });
      const seen = new Set<number>();
      const many = await emulateParallel(out.binary, net, data.images, 30, {
        timesteps: 16, recordCounts: true, onSpikes: (sample) => seen.add(sample),
      }, { workers: 3, minSamples: 1 });
      expect(Array.from(many.scores)).to.deep.equal(Array.from(one.scores));
      expect(Array.from(many.spikeCounts as Int32Array)).to.deep.equal(Array.from(one.spikeCounts as Int32Array));
      for (const k of ["spikes", "synapticOps", "neuronUpdates", "activeUpdates", "idleUpdates", "hops", "packets"] as const) {
        expect(many.counters[k], k).to.equal(one.counters[k]);
      }
      expect(many.counters.seconds).to.be.closeTo(one.counters.seconds, one.counters.seconds * 1e-9);
      expect(Array.from(many.popSynOps)).to.deep.equal(Array.from(one.popSynOps));
      expect(Array.from(many.coreSynOps)).to.deep.equal(Array.from(one.coreSynOps));
      expect(Array.from(many.routeSpikes)).to.deep.equal(Array.from(one.routeSpikes));
      // The calling thread ran the first chunk with the callbacks (and no other sample had them).
      expect([...seen].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: chunkSize(30, 3) }, (_, i) => i));
      expect(one.counters.spikes).to.be.greaterThan(0);
    });
  }
});
