/**
 * Transformer import (issue 13): every ViT layer from TF.js, Keras .h5 and Keras .keras, checked against tfjs
 * predict(); bad input (attention variants, mismatched dimensions) → coded errors naming the layer.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "chai";
import type * as tfTypes from "@tensorflow/tfjs";
import { importModel } from "../../compiler/import/index.ts";
import type { AnnGraph } from "../../compiler/ir/ann.ts";
import { runAnn } from "../../compiler/interp/ann-float.ts";
import { gelu } from "../../compiler/interp/ops.ts";
import { loadTf } from "../../compiler/tfjs/backend.ts";
import { annToTfjs } from "../../compiler/tfjs/from-ann.ts";
import { loadLayersModel } from "../../compiler/tfjs/io.ts";
import { writeKerasH5, writeKerasV3 } from "../../examples/tools/keras-export.ts";
import { randomArray, saveToTemp, seededRandom } from "../helpers/tfjs-models.ts";
import { tinyVit } from "../helpers/vit-models.ts";
import { expectError } from "../helpers/errors.ts";

const SNNC = join(import.meta.dirname, "..", "..", "compiler", "cli", "snnc.js");

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).to.equal(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

async function predict(model: tfTypes.LayersModel, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const tf = await loadTf();
  const t = tf.tensor(x, shape);
  const y = model.predict(t) as tfTypes.Tensor;
  const out = (await y.data()) as Float32Array;
  tf.dispose([t, y]);
  return out;
}

function ours(graph: AnnGraph, x: Float32Array, batch: number): Float32Array {
  return runAnn(graph, x, batch).get(graph.outputs[0] ?? "") as Float32Array;
}


describe("import: transformer layers", function () {
  const batch = 8;
  let path = "";
  let model: tfTypes.LayersModel;
  let x: Float32Array;
  let expected: Float32Array;

  before(async () => {
    model = await tinyVit();
    path = await saveToTemp(model, "vit");
    x = randomArray(batch * 64, seededRandom(11));
    expected = await predict(model, x, [batch, 8, 8, 1]);
  });

  it("imports every ViT layer from TF.js into the documented ops, matching tfjs predict to 1e-4", async () => {
    const g = await importModel(path);
    const kinds = g.nodes.map((n) => `${n.name}:${n.op.kind}`);
    expect(kinds).to.deep.equal([
      "input:input", "patch_embed:conv2d", "patch_reshape:reshape", "cls:classToken", "pos_embed:positionEmbedding",
      "ln1:layerNorm", "attn:multiHeadAttention", "add1:add", "ln2:layerNorm", "mlp1:dense", "mlp2:dense", "act_gelu:activation",
      "add2:add", "token_softmax:softmax", "cls_out:tokenSlice", "gap:globalAvgPool1d", "head_add:add", "head:dense",
    ]);
    const byName = new Map(g.nodes.map((n) => [n.name, n]));
    expect(byName.get("attn")?.shape).to.deep.equal([5, 8]);
    expect(byName.get("attn")?.inputs).to.deep.equal(["ln1"]);
    const mlp1 = byName.get("mlp1")?.op;
    const mlp2 = byName.get("mlp2")?.op;
    expect(mlp1?.kind === "dense" && mlp1.activation).to.equal("gelu");
    expect(mlp2?.kind === "dense" && mlp2.activation).to.equal("geluTanh");
    const ln2 = byName.get("ln2")?.op;
    expect(ln2?.kind === "layerNorm" && ln2.beta).to.equal(null);
    expect(maxAbsDiff(ours(g, x, batch), expected)).to.be.below(1e-4);
    // The model.json reloads in tfjs with the Keras-layout classes (what the compile-time check does).
    const reloaded = await loadLayersModel(path);
    expect(maxAbsDiff(await predict(reloaded, x, [batch, 8, 8, 1]), expected)).to.be.below(1e-5);
    reloaded.dispose();
  });

  it("imports the same model from Keras .h5 and .keras, and the graph rebuilds in tfjs (from-ann)", async () => {
    const dir = dirname(path);
    await writeKerasH5(path, join(dir, "model.h5"));
    await writeKerasV3(path, join(dir, "model.keras"));
    const tf = await loadTf();
    for (const file of ["model.h5", "model.keras"]) {
      const g = await importModel(join(dir, file));
      expect(g.nodes.find((n) => n.name === "attn")?.inputs, file).to.deep.equal(["ln1"]);
      expect(maxAbsDiff(ours(g, x, batch), expected), file).to.be.below(1e-4);
      const rebuilt = annToTfjs(tf, g);
      expect(rebuilt, file).to.not.equal(null);
      expect(maxAbsDiff(await predict(rebuilt as tfTypes.LayersModel, x, [batch, 8, 8, 1]), expected), file).to.be.below(1e-4);
      rebuilt?.dispose();
    }
  });

  it("reads an h5py-written Keras 2 file (MHA called as mha(x, x) with value in kwargs, axis [2]) and matches an independent NumPy forward pass", async () => {
    const dir = join(import.meta.dirname, "fixtures");
    const g = await importModel(join(dir, "keras2-mha.h5"));
    expect(g.nodes.map((n) => n.op.kind)).to.deep.equal(["input", "layerNorm", "multiHeadAttention", "add", "dense", "globalAvgPool1d", "dense"]);
    const ref = JSON.parse(readFileSync(join(dir, "keras2-mha.json"), "utf8")) as { shape: number[]; x: number[]; y: number[] };
    expect(maxAbsDiff(ours(g, Float32Array.from(ref.x), ref.shape[0] ?? 0), ref.y)).to.be.below(1e-5);
  });

  it("GELU of the interpreter matches tfjs' erf-based gelu activation to 1e-6", async () => {
    const tf = await loadTf();
    const xs = Float32Array.from({ length: 161 }, (_, i) => (i - 80) / 10);
    const t = tf.tensor(xs);
    const want = (await tf.layers.activation({ activation: "gelu" as "relu" }).apply(t) as tfTypes.Tensor).dataSync();
    t.dispose();
    expect(maxAbsDiff(xs.map(gelu), want)).to.be.below(1e-6);
  });

  describe("bad input", () => {
    function variant(edit: (layers: any[], json: any) => void, name: string): string {
      const json = JSON.parse(readFileSync(path, "utf8"));
      edit(json.modelTopology.config.layers, json);
      const p = join(dirname(path), name);
      writeFileSync(p, JSON.stringify(json));
      return p;
    }
    const attn = (layers: any[]) => layers.find((l) => l.config.name === "attn");

    it("an attention mask → SNNC122 unsupported attention variant, naming the layer", async () => {
      const p = variant((ls) => { attn(ls).inbound_nodes = [[["ln1", 0, 0, { attention_mask: ["add1", 0, 0] }]]]; }, "mask.json");
      const e = await expectError(importModel(p), "SNNC122");
      expect(e.loc.layer).to.equal("attn");
      expect(e.message).to.include("unsupported attention variant").and.include("mask");
    });

    it("cross-attention, a causal mask, other attention_axes or a relative-position class → SNNC122", async () => {
      const cases: [string, (ls: any[]) => void, string][] = [
        ["cross.json", (ls) => { attn(ls).inbound_nodes = [[["ln1", 0, 0, { value: ["add1", 0, 0] }]]]; }, "cross-attention"],
        ["causal.json", (ls) => { attn(ls).inbound_nodes = [[["ln1", 0, 0, { use_causal_mask: true }]]]; }, "causal"],
        ["axes.json", (ls) => { attn(ls).config.attention_axes = [1, 2]; }, "attention_axes"],
        ["relative.json", (ls) => { attn(ls).class_name = "RelativeMultiHeadAttention"; }, "RelativeMultiHeadAttention"],
      ];
      for (const [name, edit, words] of cases) {
        const e = await expectError(importModel(variant(edit, name)), "SNNC122");
        expect(e.loc.layer, name).to.equal("attn");
        expect(e.message, name).to.include(words);
      }
    });

    it("mismatched dimensions name the layer: attention heads vs kernel (SNNC105), position table vs tokens and class token vs width (SNNC105), Add of different widths (SNNC112)", async () => {
      const heads = await expectError(importModel(variant((ls) => { attn(ls).config.num_heads = 4; }, "heads.json")), "SNNC105");
      expect(heads.loc.layer).to.equal("attn");
      // Without the class token, 4 tokens reach the position embedding, whose table is [5, 8].
      const pos = await expectError(importModel(variant((ls) => {
        ls.splice(ls.findIndex((l) => l.config.name === "cls"), 1);
        ls.find((l) => l.config.name === "pos_embed").inbound_nodes = [[["patch_reshape", 0, 0, {}]]];
      }, "tokens.json")), "SNNC105");
      expect(pos.loc.layer).to.equal("pos_embed");
      // 16 features reach the class token, whose vector has 8.
      const cls = await expectError(importModel(variant((ls) => {
        ls.find((l) => l.config.name === "patch_reshape").config.target_shape = [2, 16];
      }, "width.json")), "SNNC105");
      expect(cls.loc.layer).to.equal("cls");
      const add = await expectError(importModel(variant((ls) => {
        // head_add gets the pooled [8] vector and the whole [5, 8] sequence.
        ls.splice(ls.findIndex((l) => l.config.name === "cls_out"), 1);
        ls.find((l) => l.config.name === "head_add").inbound_nodes = [[["gap", 0, 0, {}], ["token_softmax", 0, 0, {}]]];
      }, "add.json")), "SNNC112");
      expect(add.loc.layer).to.equal("head_add");
    });

    it("snnc compile on an unsupported attention variant exits 1 with one coded line and writes nothing", function () {
      this.timeout(60_000);
      const p = variant((ls) => { attn(ls).inbound_nodes = [[["ln1", 0, 0, { attention_mask: ["add1", 0, 0] }]]]; }, "mask-cli.json");
      const out = join(mkdtempSync(join(tmpdir(), "snnc-vit-out-")), "build");
      const r = spawnSync(process.execPath, [SNNC, "compile", p, "--target", "loihi2", "-o", out], { encoding: "utf8", timeout: 60_000 });
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stderr).to.match(/^error SNNC122: .*unsupported attention variant/m);
      expect(r.stderr).to.include('"attn"');
      expect(existsSync(out)).to.equal(false);
    });
  });
});
