/**
 * Import: TF.js and Keras files → AnnGraph, checked against tfjs predict() on the same inputs.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "chai";
import type * as tfTypes from "@tensorflow/tfjs";
import { importModel } from "../compiler/import/index.ts";
import { shapeSize } from "../compiler/ir/ann.ts";
import { runAnn } from "../compiler/interp/ann-float.ts";
import { loadTf } from "../compiler/tfjs/backend.ts";
import { writeKerasH5, writeKerasV3 } from "../examples/tools/keras-export.ts";
import { allLayersSequential, functionalResidual, randomArray, saveToTemp, seededRandom } from "./helpers/tfjs-models.ts";

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).to.equal(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

async function tfPredict(model: tfTypes.LayersModel, inputs: { data: Float32Array; shape: number[] }[]): Promise<Float32Array> {
  const tf = await loadTf();
  const ts = inputs.map((i) => tf.tensor(i.data, i.shape));
  const y = model.predict(ts.length === 1 ? (ts[0] as tfTypes.Tensor) : ts) as tfTypes.Tensor;
  const out = (await y.data()) as Float32Array;
  tf.dispose([...ts, y]);
  return out;
}

describe("import", function () {
  const batch = 16;

  it("Sequential with every single-input layer matches tfjs predict (TF.js, Keras .h5, Keras .keras)", async () => {
    const model = await allLayersSequential();
    const path = await saveToTemp(model, "seq");
    const x = randomArray(batch * 12 * 12 * 2, seededRandom(7));
    const expected = await tfPredict(model, [{ data: x, shape: [batch, 12, 12, 2] }]);
    const h5 = join(dirname(path), "model.h5");
    const keras = join(dirname(path), "model.keras");
    await writeKerasH5(path, h5);
    await writeKerasV3(path, keras);
    for (const file of [path, h5, keras]) {
      const g = await importModel(file);
      expect(g.nodes.map((n) => n.name)).to.not.include("drop");
      const y = runAnn(g, x, batch).get(g.outputs[0] ?? "") as Float32Array;
      expect(maxAbsDiff(y, expected), file).to.be.at.most(1e-4);
    }
  });

  it("Functional model with two inputs, residual Add, Concatenate, GAP and Reshape matches tfjs predict", async () => {
    const model = await functionalResidual();
    const path = await saveToTemp(model, "fun");
    const rand = seededRandom(9);
    const img = randomArray(batch * 8 * 8 * 3, rand);
    const side = randomArray(batch * 5, rand, -1, 1);
    const expected = await tfPredict(model, [{ data: img, shape: [batch, 8, 8, 3] }, { data: side, shape: [batch, 5] }]);
    const keras = join(dirname(path), "model.keras");
    const h5 = join(dirname(path), "model.h5");
    await writeKerasV3(path, keras);
    await writeKerasH5(path, h5);
    for (const file of [path, h5, keras]) {
      const g = await importModel(file);
      expect(g.inputs).to.deep.equal(["img", "side"]);
      const add = g.nodes.find((n) => n.name === "add");
      expect(add?.inputs).to.deep.equal(["bn2", "bn_sc"]);
      const y = runAnn(g, new Map([["img", img], ["side", side]]), batch).get(g.outputs[0] ?? "") as Float32Array;
      expect(maxAbsDiff(y, expected), file).to.be.at.most(1e-4);
    }
  });

  it("reads weights split over several shards, cut mid-tensor", async () => {
    const model = await allLayersSequential(3);
    const path = await saveToTemp(model, "shards");
    const dir = dirname(path);
    const json = JSON.parse(readFileSync(path, "utf8"));
    const bin = readFileSync(join(dir, "weights.bin"));
    const cuts = [0, 13, 777, bin.length];
    json.weightsManifest[0].paths = cuts.slice(0, -1).map((_c: number, i: number) => `group1-shard${i + 1}of3.bin`);
    cuts.slice(0, -1).forEach((c, i) => writeFileSync(join(dir, `group1-shard${i + 1}of3.bin`), bin.subarray(c, cuts[i + 1])));
    writeFileSync(join(dir, "sharded.json"), JSON.stringify(json));
    const a = await importModel(path);
    const b = await importModel(join(dir, "sharded.json"));
    const x = randomArray(4 * 12 * 12 * 2, seededRandom(1));
    expect(maxAbsDiff(runAnn(a, x, 4).get("out") as Float32Array, runAnn(b, x, 4).get("out") as Float32Array)).to.equal(0);
  });

  it("dequantises uint8 and uint16 weights as value = q * scale + min", async () => {
    const model = await allLayersSequential(4);
    const path = await saveToTemp(model, "quant");
    const dir = dirname(path);
    const json = JSON.parse(readFileSync(path, "utf8"));
    const bin = readFileSync(join(dir, "weights.bin"));
    const floats = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    const parts: Buffer[] = [];
    const expectedByName = new Map<string, Float32Array>();
    let offset = 0;
    json.weightsManifest[0].weights.forEach((w: { name: string; shape: number[]; quantization?: object }, i: number) => {
      const n = shapeSize(w.shape);
      const vals = floats.subarray(offset, offset + n);
      offset += n;
      const dtype = i % 2 === 0 ? "uint8" : "uint16";
      const levels = dtype === "uint8" ? 255 : 65535;
      let min = Math.min(...vals);
      const max = Math.max(...vals);
      if (max === min) min = max - 1;
      const scale = (max - min) / levels;
      const q = dtype === "uint8" ? new Uint8Array(n) : new Uint16Array(n);
      const exp = new Float32Array(n);
      vals.forEach((v, k) => {
        q[k] = Math.round((v - min) / scale);
        exp[k] = (q[k] as number) * scale + min;
      });
      w.quantization = { dtype, scale, min };
      expectedByName.set(w.name, exp);
      parts.push(Buffer.from(q.buffer));
    });
    writeFileSync(join(dir, "weights.bin"), Buffer.concat(parts));
    writeFileSync(path, JSON.stringify(json));
    const g = await importModel(path);
    const fc1 = g.nodes.find((n) => n.name === "fc1");
    expect(fc1?.op.kind).to.equal("dense");
    if (fc1?.op.kind !== "dense") return;
    const exp = expectedByName.get("fc1/kernel") as Float32Array;
    expect(maxAbsDiff(fc1.op.kernel, exp)).to.be.below(1e-6);
    expect(maxAbsDiff(fc1.op.kernel, exp)).to.be.below(1e-6);
  });

  it("keeps a model.json importable from another directory with its shard next to it", async () => {
    const model = await allLayersSequential(5);
    const path = await saveToTemp(model, "copy");
    const other = mkdtempSync(join(tmpdir(), "snnc-copy2-"));
    copyFileSync(path, join(other, "model.json"));
    copyFileSync(join(dirname(path), "weights.bin"), join(other, "weights.bin"));
    const g = await importModel(join(other, "model.json"));
    expect(g.nodes.length).to.be.greaterThan(5);
  });
});
