/**
 * Bad model input → the exact SnncError code, naming the layer or file location.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "chai";
import { loadDataset } from "../compiler/data/dataset.ts";
import { writeIdxU8 } from "../compiler/data/idx.ts";
import { formatDiagnostic } from "../compiler/diagnostics.ts";
import { importModel } from "../compiler/import/index.ts";
import { writeKerasH5 } from "../examples/tools/keras-export.ts";
import { allLayersSequential, functionalResidual, saveToTemp } from "./helpers/tfjs-models.ts";
import { expectError } from "./helpers/errors.ts";


describe("import errors", function () {
  let seqPath = "";
  let funPath = "";
  before(async () => {
    seqPath = await saveToTemp(await allLayersSequential(), "bad-seq");
    funPath = await saveToTemp(await functionalResidual(), "bad-fun");
  });

  function variant(base: string, edit: (json: any) => void, name = "variant.json"): string {
    const json = JSON.parse(readFileSync(base, "utf8"));
    edit(json);
    const p = join(dirname(base), name);
    writeFileSync(p, JSON.stringify(json));
    return p;
  }

  const layersOf = (json: any) => json.modelTopology.config.layers as any[];

  it("missing model file → SNNC001", async () => {
    await expectError(importModel("/nonexistent/model.json"), "SNNC001");
  });

  it("missing weight shard → SNNC103 naming the shard", async () => {
    const p = variant(seqPath, (j) => { j.weightsManifest[0].paths = ["nope.bin"]; });
    const e = await expectError(importModel(p), "SNNC103");
    expect(e.message).to.include("nope.bin");
  });

  it("truncated shard → SNNC104 with the byte offset", async () => {
    const dir = dirname(seqPath);
    const bin = readFileSync(join(dir, "weights.bin"));
    writeFileSync(join(dir, "short.bin"), bin.subarray(0, 1000));
    const p = variant(seqPath, (j) => { j.weightsManifest[0].paths = ["short.bin"]; });
    const e = await expectError(importModel(p), "SNNC104");
    expect(e.loc.byte).to.equal(1000);
    expect(e.loc.file).to.equal("short.bin");
    // One statement of where the shard ends, not two (issue 18).
    const line = formatDiagnostic(e);
    expect(line).to.match(/is cut short at byte 1000 in short\.bin$/m);
    expect(line.match(/1000/g)).to.have.length(1);
  });

  it("weight count not matching the layer shape → SNNC105 naming the layer", async () => {
    const p = variant(seqPath, (j) => {
      const fc1 = layersOf(j).find((l) => l.config.name === "fc1");
      fc1.config.units = 8; // the stored kernel is [in, 7]
    });
    const e = await expectError(importModel(p), "SNNC105");
    expect(e.loc.layer).to.equal("fc1");
  });

  it("NaN and Inf weights → SNNC106 naming the layer and the weight", async () => {
    for (const bad of [NaN, Infinity]) {
      const dir = dirname(seqPath);
      const bin = Buffer.from(readFileSync(join(dir, "weights.bin")));
      const json = JSON.parse(readFileSync(seqPath, "utf8"));
      // the first weight is conv_same/kernel
      bin.writeFloatLE(bad, 4 * 5);
      writeFileSync(join(dir, "nan.bin"), bin);
      json.weightsManifest[0].paths = ["nan.bin"];
      writeFileSync(join(dir, "nan.json"), JSON.stringify(json));
      const e = await expectError(importModel(join(dir, "nan.json")), "SNNC106");
      expect(e.loc.layer).to.equal("conv_same");
      expect(e.message).to.include("conv_same/kernel");
    }
  });

  it("unknown layer class → SNNC107 naming the layer and listing what is supported", async () => {
    const p = variant(seqPath, (j) => { layersOf(j).find((l) => l.config.name === "act_relu6").class_name = "LSTM"; });
    const e = await expectError(importModel(p), "SNNC107");
    expect(e.loc.layer).to.equal("act_relu6");
    expect(e.message).to.include("LSTM");
    expect(e.hint).to.include("Conv2D").and.include("DepthwiseConv2D").and.include("Concatenate");
  });

  it("unsupported option → SNNC108 naming the layer and the option path", async () => {
    const p = variant(seqPath, (j) => { layersOf(j).find((l) => l.config.name === "conv_strided").config.padding = "causal"; });
    const e = await expectError(importModel(p), "SNNC108");
    expect(e.loc.layer).to.equal("conv_strided");
    expect(e.loc.path).to.match(/layers\[\d+\]\.config\.padding$/);
    const sig = variant(seqPath, (j) => { layersOf(j).find((l) => l.config.name === "fc1").config.activation = "sigmoid"; }, "sig.json");
    expect((await expectError(importModel(sig), "SNNC108")).loc.layer).to.equal("fc1");
  });

  it("cyclic graph → SNNC109", async () => {
    const p = variant(funPath, (j) => {
      const c1 = layersOf(j).find((l) => l.config.name === "c1");
      c1.inbound_nodes = [[["c2", 0, 0, {}]]];
    });
    const e = await expectError(importModel(p), "SNNC109");
    expect(["c1", "c2", "bn2", "add", "add_relu", "cat_ch", "gap", "cat_side", "rs", "fl", "logits"]).to.include(e.loc.layer);
  });

  it("disconnected graph → SNNC110 (dangling layer, unknown inbound)", async () => {
    const dangling = variant(funPath, (j) => {
      layersOf(j).push({ class_name: "Dense", config: { name: "orphan", units: 2 }, inbound_nodes: [[["gap", 0, 0, {}]]] });
    });
    const e1 = await expectError(importModel(dangling), "SNNC110");
    expect(e1.loc.layer).to.equal("orphan");
    const unknown = variant(funPath, (j) => { layersOf(j).find((l) => l.config.name === "c2").inbound_nodes = [[["ghost", 0, 0, {}]]]; }, "u.json");
    const e2 = await expectError(importModel(unknown), "SNNC110");
    expect(e2.message).to.include("ghost");
  });

  it("corrupt .h5 → SNNC111", async () => {
    const dir = mkdtempSync(join(tmpdir(), "snnc-h5bad-"));
    const good = join(dir, "good.h5");
    await writeKerasH5(seqPath, good);
    const bytes = readFileSync(good);
    writeFileSync(join(dir, "junk.h5"), Buffer.from("this is not an hdf5 file at all".repeat(40)));
    await expectError(importModel(join(dir, "junk.h5")), "SNNC111");
    writeFileSync(join(dir, "cut.h5"), bytes.subarray(0, Math.floor(bytes.length / 3)));
    await expectError(importModel(join(dir, "cut.h5")), "SNNC111");
    rmSync(dir, { recursive: true, force: true });
  });

  it("graph model / non-model JSON → SNNC102 / SNNC101", async () => {
    const dir = dirname(seqPath);
    writeFileSync(join(dir, "graph.json"), JSON.stringify({ format: "graph-model", modelTopology: {} }));
    await expectError(importModel(join(dir, "graph.json")), "SNNC102");
    writeFileSync(join(dir, "junk.json"), "{ not json");
    await expectError(importModel(join(dir, "junk.json")), "SNNC101");
  });

  it("data of the wrong input shape → SNNC151", async () => {
    const dir = mkdtempSync(join(tmpdir(), "snnc-data-"));
    writeFileSync(join(dir, "t10k-images-idx3-ubyte.gz"), writeIdxU8([3, 10, 10], new Uint8Array(300)));
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte.gz"), writeIdxU8([3], new Uint8Array(3)));
    const e = await expectError(() => loadDataset(dir, { inputShape: [28, 28, 1] }), "SNNC151");
    expect(e.message).to.include("[10, 10]").and.include("[28, 28, 1]");
    const ok = loadDataset(dir, { inputShape: [10, 10, 1] });
    expect(ok.count).to.equal(3);
    expect(ok.sampleShape).to.deep.equal([10, 10, 1]);
  });
});
