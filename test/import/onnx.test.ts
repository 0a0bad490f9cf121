/**
 * ONNX import: every supported op against onnxruntime-web on the same inputs, layout mapping (NCHW model,
 * NHWC IR), and bad input → the exact code naming the node, for models built in code (test/helpers/onnx-models).
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import onnxProto from "onnx-proto";
import type { Dataset } from "../../compiler/data/dataset.ts";
import { importModel } from "../../compiler/import/index.ts";
import { checkWithOnnxRuntime } from "../../compiler/onnxruntime/check.ts";
import { allOpsModel, encodeModel, type ModelSpec, positive, saveOnnx } from "../helpers/onnx-models.ts";
import { expectError } from "../helpers/errors.ts";

const { onnx } = onnxProto;


function tinyConv(): ModelSpec {
  return {
    input: { name: "x", dims: [1, 1, 4, 4] },
    output: "y",
    inits: { w: { dims: [2, 1, 3, 3], data: positive(18, 1) }, wf: { dims: [8, 3], data: positive(24, 2) } },
    nodes: [
      { op: "Conv", inputs: ["x", "w"], outputs: ["c"], name: "conv" },
      { op: "Relu", inputs: ["c"], outputs: ["r"], name: "relu" },
      { op: "Flatten", inputs: ["r"], outputs: ["f"], name: "flat" },
      { op: "Gemm", inputs: ["f", "wf"], outputs: ["y"], name: "fc" },
    ],
  };
}

describe("ONNX import", function () {
  it("imports every supported op and matches onnxruntime-web to 1e-4 on NHWC samples", async () => {
    const path = saveOnnx(encodeModel(allOpsModel()));
    const graph = await importModel(path);
    expect(graph.format).to.equal("onnx");
    expect(graph.nodes[0]?.shape).to.deep.equal([8, 8, 2]);
    const kinds = new Set(graph.nodes.map((n) => n.op.kind));
    for (const k of ["conv2d", "depthwiseConv2d", "batchNorm", "add", "zeroPad", "avgPool", "maxPool", "concat", "flatten", "dense", "activation"]) {
      expect(kinds.has(k as never), k).to.equal(true);
    }
    const n = 8;
    const images = Float32Array.from({ length: n * 128 }, (_, i) => ((i * 7919) % 97) / 97);
    const data: Dataset = { images, labels: null, count: n, sampleShape: [8, 8, 2], source: "test" };
    const check = await checkWithOnnxRuntime(graph, path, data, n);
    expect(check.checked, check.note).to.equal(true);
    expect(check.samples).to.equal(n);
    expect(check.maxAbsDiff).to.be.below(1e-4);
  });

  it("a Flatten of a CHW map feeds Gemm rows in CHW order (weights permuted, data in NHWC)", async () => {
    const graph = await importModel(saveOnnx(encodeModel(tinyConv())));
    const seen = new Set<string>();
    for (const node of graph.nodes) {
      for (const i of node.inputs) expect(seen.has(i), `${node.name} reads ${i}`).to.equal(true);
      expect(seen.has(node.name)).to.equal(false);
      seen.add(node.name);
    }
    const fc = graph.nodes.find((x) => x.name === "fc");
    expect(fc?.op.kind).to.equal("dense");
    // IR input element (y, x, c) = ONNX element c*4 + y*2 + x: IR row 1 is (0, 0, c=1) = ONNX row 4.
    const k = (fc?.op as { kernel: Float32Array }).kernel;
    const wf = positive(24, 2);
    expect(Array.from(k.subarray(3, 6))).to.deep.equal(Array.from(wf.subarray(12, 15)));
  });

  it("truncated file → SNNC140 naming the node the bytes stop in", async () => {
    const bytes = encodeModel(allOpsModel());
    // Cut just after the first node's name: inside that node (its op type and attributes follow).
    const name = new TextEncoder().encode("n0_Conv");
    const at = Buffer.from(bytes).indexOf(Buffer.from(name));
    expect(at).to.be.above(0);
    const cut = at + name.length + 2;
    const e = await expectError(importModel(saveOnnx(bytes.subarray(0, cut))), "SNNC140");
    expect(e.loc.layer).to.equal("n0_Conv");
    expect(e.message).to.contain("Conv");
  });

  it("garbage bytes → SNNC140", async () => {
    await expectError(importModel(saveOnnx(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x7f, 1, 2]))), "SNNC140");
  });

  it("unsupported op → SNNC142 naming the node and the op", async () => {
    const spec = tinyConv();
    (spec.nodes[1] as { op: string }).op = "LeakyRelu";
    const e = await expectError(importModel(saveOnnx(encodeModel(spec))), "SNNC142");
    expect(e.loc.layer).to.equal("relu");
    expect(e.message).to.contain("LeakyRelu");
  });

  it("unsupported opset → SNNC141", async () => {
    await expectError(importModel(saveOnnx(encodeModel({ ...tinyConv(), opset: 9 }))), "SNNC141");
    await expectError(importModel(saveOnnx(encodeModel({ ...tinyConv(), opset: 22 }))), "SNNC141");
  });

  it("NaN initializer → SNNC146 naming the node that reads it", async () => {
    const spec = tinyConv();
    const w = positive(18, 1);
    w[5] = Number.NaN;
    spec.inits["w"] = { dims: [2, 1, 3, 3], data: w };
    const e = await expectError(importModel(saveOnnx(encodeModel(spec))), "SNNC146");
    expect(e.loc.layer).to.equal("conv");
  });

  it("dynamic image size → SNNC145 naming the input", async () => {
    const spec = tinyConv();
    spec.input.dims = [1, 1, "H", 4];
    const e = await expectError(importModel(saveOnnx(encodeModel(spec))), "SNNC145");
    expect(e.loc.layer).to.equal("x");
  });

  it("Conv with an unsupported form → SNNC143 naming the node", async () => {
    const spec = tinyConv();
    (spec.nodes[0] as { attrs?: object }).attrs = { auto_pad: "WEIRD" };
    const e = await expectError(importModel(saveOnnx(encodeModel(spec))), "SNNC143");
    expect(e.loc.layer).to.equal("conv");
  });

  describe("external data", () => {
    function external(location: string, length?: number): Uint8Array {
      const spec = tinyConv();
      const bytes = encodeModel(spec);
      const m = onnx.ModelProto.decode(bytes);
      const w = m.graph?.initializer?.find((t) => t.name === "w") as onnxProto.onnx.TensorProto;
      w.rawData = new Uint8Array(0);
      w.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      w.externalData = [{ key: "location", value: location }, ...(length !== undefined ? [{ key: "length", value: String(length) }] : [])];
      return onnx.ModelProto.encode(m).finish();
    }
    const weights = new Uint8Array(positive(18, 1).buffer);

    it("reads weights from a file next to the model", async () => {
      const dir = mkdtempSync(join(tmpdir(), "snnc-onnx-ext-"));
      writeFileSync(join(dir, "w.bin"), weights);
      const graph = await importModel(saveOnnx(external("w.bin", 72), dir));
      const conv = graph.nodes.find((x) => x.name === "conv")?.op as { kernel: Float32Array };
      expect(conv.kernel[0]).to.equal(positive(18, 1)[0]);
    });

    it("missing file → SNNC144", async () => {
      const dir = mkdtempSync(join(tmpdir(), "snnc-onnx-ext-"));
      const e = await expectError(importModel(saveOnnx(external("w.bin"), dir)), "SNNC144");
      expect(e.loc.layer).to.equal("conv");
    });

    it("a location outside the model's folder (.. or a symlink) → SNNC144", async () => {
      const outer = mkdtempSync(join(tmpdir(), "snnc-onnx-ext-"));
      const dir = join(outer, "m");
      mkdirSync(dir);
      writeFileSync(join(outer, "w.bin"), weights);
      await expectError(importModel(saveOnnx(external("../w.bin"), dir)), "SNNC144");
      symlinkSync(join(outer, "w.bin"), join(dir, "link.bin"));
      await expectError(importModel(saveOnnx(external("link.bin"), dir)), "SNNC144");
      await expectError(importModel(saveOnnx(external("/etc/passwd"), dir)), "SNNC144");
    });

    it("a file of the wrong size → SNNC144", async () => {
      const dir = mkdtempSync(join(tmpdir(), "snnc-onnx-ext-"));
      writeFileSync(join(dir, "w.bin"), weights.subarray(0, 40));
      await expectError(importModel(saveOnnx(external("w.bin"), dir)), "SNNC144");
      writeFileSync(join(dir, "w2.bin"), weights);
      await expectError(importModel(saveOnnx(external("w2.bin", 40), dir)), "SNNC144");
      expect(readFileSync(join(dir, "w2.bin")).length).to.equal(72);
    });
  });
});
