/**
 * Invalid numbers that survive every weight check: finite weights whose outputs overflow to infinity. The
 * import check against tfjs must raise SNNC120 (a NaN difference never exceeds a tolerance), not report
 * "max |interpreter − tfjs| = NaN" and carry on.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importModel } from "../../compiler/import/index.ts";
import { checkWithTfjs } from "../../compiler/tfjs/check.ts";
import { CodedError } from "../../runtime/errors.ts";

describe("robustness: invalid numbers", function () {
  this.timeout(120_000);

  it("an output that overflows to infinity is SNNC120 in the tfjs check, naming the output layer", async () => {
    const dir = mkdtempSync(join(tmpdir(), "snnc-overflow-"));
    try {
      writeFileSync(join(dir, "w.bin"), new Uint8Array(new Float32Array([3e38, 3e38, 3e38, 3e38, 0]).buffer));
      writeFileSync(join(dir, "model.json"), JSON.stringify({
        format: "layers-model",
        modelTopology: { class_name: "Sequential", config: { name: "m", layers: [{ class_name: "Dense", config: { name: "big", units: 1, activation: "linear", use_bias: true, batch_input_shape: [null, 4] } }] }, keras_version: "2.15.0", backend: "tensorflow" },
        weightsManifest: [{ paths: ["w.bin"], weights: [{ name: "big/kernel", shape: [4, 1], dtype: "float32" }, { name: "big/bias", shape: [1], dtype: "float32" }] }],
      }));
      const graph = await importModel(join(dir, "model.json"));
      const data = { images: new Float32Array([1, 1, 1, 1, 1, -1, 1, -1]), labels: null, count: 2, sampleShape: [4], source: "test" };
      let err: unknown = null;
      try {
        await checkWithTfjs(graph, join(dir, "model.json"), data, 2);
      } catch (e) {
        err = e;
      }
      expect(err, String(err)).to.be.instanceOf(CodedError);
      expect((err as CodedError).code).to.equal("SNNC120");
      expect((err as CodedError).loc.layer).to.equal("big");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
