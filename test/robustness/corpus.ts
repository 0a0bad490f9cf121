/**
 * @fileoverview The malformed-input corpus (issue 12): a seeded generator that writes, into a temp folder,
 * about 60 hostile or careless inputs — TF.js models, Keras .h5 and .keras files, data and input arrays,
 * target files and placement binaries — each with the exact coded error it must give, and the command line
 * that feeds it to snnc. Generated at test time (test/robustness/corpus.test.ts), so nothing binary is
 * committed; the same seed gives the same bytes.
 *
 * Classes covered: paths that leave the model's folder (.., absolute, symlinks, devices), directories where
 * files are expected, deep nesting (JSON, inbound_nodes, activations), absurd sizes (padding, units, shapes,
 * manifests, archives, chip grids), invalid numbers (BatchNormalization statistics, NaN/Inf weights and
 * inputs, Infinity in a target, zero samples), untrusted binary fields (META timesteps, shapes, sha256),
 * huge echoed strings — and valid edge cases that must keep working (unicode names, uint8 data, flat inputs,
 * one-hot labels, extreme pixel values).
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { zipSync } from "fflate";
import h5wasm from "h5wasm/node";
import { writeNpy } from "../../compiler/data/npy.ts";
import { writeIdxU8 } from "../../compiler/data/idx.ts";
import { TARGETS_DIR } from "../../compiler/target/load.ts";
import { fourcc } from "../../runtime/format/spec.ts";
import { assemble, seedBinaries, seededRand, splitSections } from "./fuzz-lib.ts";

export interface CorpusCase {
  readonly name: string;
  /** The exact code snnc must give; null: a valid edge case that must succeed. */
  readonly code: string | null;
  /** snnc's command line (run in-process through main()). */
  readonly argv: readonly string[];
  /** Output folder that must not exist afterwards (compile cases). */
  readonly out?: string;
  /** A text the message must contain (e.g. the layer's name), or must stay under (length). */
  readonly mentions?: string;
}

type Layer = Record<string, unknown>;
interface Weight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const u8 = (s: string) => new TextEncoder().encode(s);

/** A seeded float32 tensor in [-0.5, 0.5). */
function tensor(rand: () => number, name: string, shape: readonly number[]): Weight {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, shape, data: Float32Array.from({ length: n }, () => rand() - 0.5) };
}

function dense(name: string, units: number, extra: Layer = {}): Layer {
  return { class_name: "Dense", config: { name, units, activation: "linear", use_bias: true, ...extra } };
}

function shardBytes(weights: readonly Weight[]): Uint8Array {
  const total = weights.reduce((a, w) => a + w.data.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const w of weights) {
    out.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), o);
    o += w.data.byteLength;
  }
  return out;
}

/** Writes a TF.js Layers model (Sequential) with one shard; `edit` changes the JSON before it is written. */
function tfjsModel(dir: string, layers: readonly Layer[], weights: readonly Weight[], edit?: (root: Record<string, unknown>) => void, shard?: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const root: Record<string, unknown> = {
    format: "layers-model",
    modelTopology: { class_name: "Sequential", config: { name: "m", layers }, keras_version: "2.15.0", backend: "tensorflow" },
    weightsManifest: [{ paths: ["group1-shard1of1.bin"], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: "float32" })) }],
  };
  edit?.(root);
  writeFileSync(join(dir, "group1-shard1of1.bin"), shard ?? shardBytes(weights));
  const file = join(dir, "model.json");
  writeFileSync(file, typeof root.__raw === "string" ? root.__raw : JSON.stringify(root));
  return file;
}

function manifestOf(root: Record<string, unknown>): { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] } {
  return (root.weightsManifest as { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[])[0] as never;
}

function tinyTarget(dir: string, name: string, edit: (t: Record<string, any>) => void): string {
  const t = JSON.parse(readFileSync(join(TARGETS_DIR, "tiny.json"), "utf8")) as Record<string, any>;
  edit(t);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, typeof t.__raw === "string" ? t.__raw : JSON.stringify(t));
  return file;
}

/** Replaces the META section of a binary (JSON edited by `edit`) and reseals every checksum. */
function withMeta(bytes: Uint8Array, edit: (m: Record<string, any>) => string | void): Uint8Array {
  const { head, sections } = splitSections(bytes);
  const k = sections.findIndex((s) => s.id === fourcc("META"));
  const meta = JSON.parse(new TextDecoder().decode(sections[k]?.data)) as Record<string, any>;
  const raw = edit(meta);
  sections[k] = { id: fourcc("META"), data: u8(raw ?? JSON.stringify(meta)) };
  return assemble(head, sections);
}

/** A ZIP whose central directory and local header declare `declared` bytes for the first member. */
function zipDeclaring(members: Record<string, Uint8Array>, declared: number): Uint8Array {
  const z = zipSync(members, { level: 9 });
  const v = new DataView(z.buffer, z.byteOffset, z.byteLength);
  for (let i = 0; i + 4 <= z.length; i++) {
    const sig = v.getUint32(i, true);
    if (sig === 0x02014b50) v.setUint32(i + 24, declared, true); // central directory: uncompressed size
    if (sig === 0x04034b50) v.setUint32(i + 22, declared, true); // local header: uncompressed size
  }
  return z;
}

async function kerasH5(file: string, config: unknown, weightsOf: (g: InstanceType<typeof h5wasm.Group>) => void): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(file, "w");
  try {
    f.create_attribute("model_config", JSON.stringify(config));
    f.create_attribute("keras_version", "2.15.0");
    const mw = f.create_group("model_weights") as InstanceType<typeof h5wasm.Group>;
    weightsOf(mw);
  } finally {
    f.close();
  }
}

/** Writes the corpus into `root` and returns its cases. */
export async function buildCorpus(root: string, seed = 12): Promise<CorpusCase[]> {
  const rand = seededRand(seed);
  const cases: CorpusCase[] = [];
  const out = (name: string) => join(root, "out", name);
  let n = 0;
  const dirFor = (name: string) => join(root, `${String(++n).padStart(2, "0")}-${name}`);

  // Shared valid pieces: a Dense 4 → 3 model, data for it, the tiny target.
  const okLayers = [dense("d", 3, { batch_input_shape: [null, 4] })];
  const okWeights = () => [tensor(rand, "d/kernel", [4, 3]), tensor(rand, "d/bias", [3])];
  const dataDir = join(root, "data");
  mkdirSync(dataDir, { recursive: true });
  const x = Float32Array.from({ length: 32 }, () => rand());
  writeFileSync(join(dataDir, "x.npy"), writeNpy([8, 4], x));
  writeFileSync(join(dataDir, "y.npy"), writeNpy([8], Int32Array.from({ length: 8 }, (_, i) => i % 3)));
  const data = join(dataDir, "x.npy");
  const compile = (name: string, model: string, code: string | null, opts: { target?: string; data?: string; mentions?: string } = {}): void => {
    cases.push({
      name, code, out: out(name), ...(opts.mentions ? { mentions: opts.mentions } : {}),
      argv: ["compile", model, "--target", opts.target ?? "tiny", "-o", out(name), "--calibration", opts.data ?? data, "--samples", "4",
        "--calibration-samples", "8", "--verify-samples", "1", "-T", "4", "--no-tfjs-check", "--no-emulator", "--quiet"],
    });
  };
  const model = (name: string, code: string, layers: readonly Layer[], weights: readonly Weight[], edit?: (r: Record<string, unknown>) => void, shard?: Uint8Array, mentions?: string) => {
    compile(name, tfjsModel(dirFor(name), layers, weights, edit, shard), code, mentions ? { mentions } : {});
  };

  // --- Paths named by a model ---
  model("shard-dotdot", "SNNC118", okLayers, okWeights(), (r) => { manifestOf(r).paths = ["../../../../../../etc/passwd"]; });
  model("shard-absolute-device", "SNNC118", okLayers, okWeights(), (r) => { manifestOf(r).paths = ["/dev/zero"]; });
  {
    const d = dirFor("shard-symlink-out");
    const file = tfjsModel(d, okLayers, okWeights(), (r) => { manifestOf(r).paths = ["link.bin"]; });
    writeFileSync(join(root, "secret.bin"), new Uint8Array(60));
    symlinkSync(join(root, "secret.bin"), join(d, "link.bin"));
    compile("shard-symlink-out", file, "SNNC118");
  }
  {
    const d = dirFor("shard-symlink-device");
    const file = tfjsModel(d, okLayers, okWeights(), (r) => { manifestOf(r).paths = ["zero.bin"]; });
    symlinkSync("/dev/zero", join(d, "zero.bin"));
    compile("shard-symlink-device", file, "SNNC118");
  }
  {
    const d = dirFor("shard-directory");
    const file = tfjsModel(d, okLayers, okWeights(), (r) => { manifestOf(r).paths = ["sub"]; });
    mkdirSync(join(d, "sub"));
    compile("shard-directory", file, "SNNC118");
  }
  model("shard-missing", "SNNC103", okLayers, okWeights(), (r) => { manifestOf(r).paths = ["nope.bin"]; });
  model("shard-truncated", "SNNC104", okLayers, okWeights(), undefined, new Uint8Array(20));
  model("shard-too-long", "SNNC105", okLayers, okWeights(), undefined, new Uint8Array(4096));
  model("shard-empty-name", "SNNC118", okLayers, okWeights(), (r) => { manifestOf(r).paths = [""]; });
  model("manifest-huge-shape", "SNNC116", okLayers, okWeights(), (r) => { (manifestOf(r).weights[0] as { shape: number[] }).shape = [65536, 65536, 65536]; });
  model("manifest-int32", "SNNC114", okLayers, okWeights(), (r) => { (manifestOf(r).weights[0] as { dtype: string }).dtype = "int32"; });
  model("manifest-not-list", "SNNC101", okLayers, okWeights(), (r) => { r.weightsManifest = { paths: [] }; });
  {
    const d = dirFor("model-is-directory");
    mkdirSync(join(d, "model.json"), { recursive: true });
    compile("model-is-directory", join(d, "model.json"), "SNNC001");
  }
  model("model-not-json", "SNNC101", okLayers, okWeights(), (r) => { r.__raw = "{ this is not json"; });

  // --- Deep nesting ---
  model("json-deep-100k", "SNNC115", okLayers, okWeights(), (r) => { r.__raw = `{"modelTopology": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`; });
  model("json-deep-config", "SNNC115", [dense("d", 3, { batch_input_shape: [null, 4], extra: JSON.parse(`${"[".repeat(300)}${"]".repeat(300)}`) })], okWeights());
  model("activation-deep", "SNNC108", [dense("d", 3, { batch_input_shape: [null, 4], activation: JSON.parse(`${'{"config":'.repeat(200)}"relu"${"}".repeat(200)}`) })], okWeights());
  {
    // A Functional model whose inbound_nodes nest 200 deep around a reference to a missing layer.
    const nested = JSON.parse(`${"[".repeat(200)}["ghost", 0, 0, {}]${"]".repeat(200)}`);
    const layers = [
      { class_name: "InputLayer", config: { name: "in", batch_input_shape: [null, 4] }, inbound_nodes: [] },
      { class_name: "Dense", config: { name: "d", units: 3, activation: "linear" }, inbound_nodes: [nested] },
    ];
    model("inbound-deep", "SNNC110", layers, okWeights(), (r) => {
      r.modelTopology = { class_name: "Functional", config: { name: "m", layers, input_layers: [["in", 0, 0]], output_layers: [["d", 0, 0]] } };
    });
  }

  // --- Absurd sizes ---
  model("zeropad-2^20", "SNNC116", [
    { class_name: "Reshape", config: { name: "r", target_shape: [2, 2, 1], batch_input_shape: [null, 4] } },
    { class_name: "ZeroPadding2D", config: { name: "zp", padding: 2 ** 20 } },
    { class_name: "Flatten", config: { name: "f" } }, dense("d", 3)], okWeights(), undefined, undefined, "zp");
  model("zeropad-area", "SNNC116", [
    { class_name: "Reshape", config: { name: "r", target_shape: [2, 2, 1], batch_input_shape: [null, 4] } },
    { class_name: "ZeroPadding2D", config: { name: "zp", padding: 60000 } },
    { class_name: "Flatten", config: { name: "f" } }, dense("d", 3)], okWeights());
  model("dense-2^20-units", "SNNC116", [dense("d", 2 ** 20, { batch_input_shape: [null, 4] })], okWeights());
  model("dense-0-units", "SNNC121", [dense("d", 0, { batch_input_shape: [null, 4] })], [tensor(rand, "d/kernel", [4, 0]), tensor(rand, "d/bias", [0])], undefined, undefined, "0 units");
  model("input-1e6x1e6", "SNNC116", [dense("d", 3, { batch_input_shape: [null, 1e6, 1e6] })], okWeights());
  model("layers-5000", "SNNC116", [dense("d0", 1, { batch_input_shape: [null, 4] }), ...Array.from({ length: 4999 }, (_, i) => dense(`d${i + 1}`, 1))], okWeights());
  model("reshape-1e10", "SNNC116", [{ class_name: "Reshape", config: { name: "r", target_shape: [1e10], batch_input_shape: [null, 4] } }, dense("d", 3)], okWeights());

  // --- Invalid numbers ---
  const bnLayers = [dense("d", 3, { batch_input_shape: [null, 4] }), { class_name: "BatchNormalization", config: { name: "bn", epsilon: 0.001 } }];
  const bnWeights = (variance: number[], eps?: number) => {
    const w = [...okWeights(), { name: "bn/gamma", shape: [3], data: Float32Array.of(1, 1, 1) }, { name: "bn/beta", shape: [3], data: Float32Array.of(0, 0, 0) },
      { name: "bn/moving_mean", shape: [3], data: Float32Array.of(0, 0, 0) }, { name: "bn/moving_variance", shape: [3], data: Float32Array.from(variance) }];
    return { w, layers: eps === undefined ? bnLayers : [bnLayers[0] as Layer, { class_name: "BatchNormalization", config: { name: "bn", epsilon: eps } }] };
  };
  { const b = bnWeights([1, -4, 1]); model("bn-negative-variance", "SNNC117", b.layers, b.w, undefined, undefined, "bn"); }
  { const b = bnWeights([1, 0, 1], 0); model("bn-zero-denominator", "SNNC117", b.layers, b.w, undefined, undefined, "bn"); }
  model("bn-epsilon-infinity", "SNNC108", [bnLayers[0] as Layer, { class_name: "BatchNormalization", config: { name: "bn", epsilon: 1 } }], bnWeights([1, 1, 1]).w,
    (r) => { r.__raw = JSON.stringify(r).replace('"epsilon":1', '"epsilon":1e999'); });
  { const w = okWeights(); (w[0] as Weight).data[5] = NaN; model("weight-nan", "SNNC106", okLayers, w); }
  { const w = okWeights(); (w[1] as Weight).data[0] = -Infinity; model("weight-inf", "SNNC106", okLayers, w); }

  // --- Huge echoed strings, unknown structure ---
  model("class-name-1MB", "SNNC107", [{ class_name: "X".repeat(1_000_000), config: { name: "big", batch_input_shape: [null, 4] } }], okWeights(), undefined, undefined, "characters");
  model("cycle", "SNNC109", [], okWeights(), (r) => {
    const layers = [
      { class_name: "InputLayer", config: { name: "in", batch_input_shape: [null, 4] }, inbound_nodes: [] },
      { class_name: "Dense", config: { name: "a", units: 3 }, inbound_nodes: [[["in", 0, 0, {}], ["b", 0, 0, {}]]] },
      { class_name: "Dense", config: { name: "b", units: 3 }, inbound_nodes: [[["a", 0, 0, {}]]] },
    ];
    r.modelTopology = { class_name: "Functional", config: { name: "m", layers, input_layers: [["in", 0, 0]], output_layers: [["b", 0, 0]] } };
  });

  // --- Keras files ---
  const kerasConfig = { class_name: "Sequential", config: { name: "m", layers: [{ class_name: "Dense", config: { name: "d", units: 3, activation: "linear", batch_input_shape: [null, 4] } }] } };
  {
    const d = dirFor("h5-external-link");
    mkdirSync(d, { recursive: true });
    await kerasH5(join(d, "outside.h5"), kerasConfig, (mw) => {
      const g = mw.create_group("d") as InstanceType<typeof h5wasm.Group>;
      g.create_dataset({ name: "kernel:0", data: new Float32Array(12), shape: [4, 3] });
      g.create_dataset({ name: "bias:0", data: new Float32Array(3), shape: [3] });
    });
    const inner = join(d, "inner");
    mkdirSync(inner);
    await kerasH5(join(inner, "model.h5"), kerasConfig, (mw) => {
      mw.create_external_link(join(d, "outside.h5"), "/model_weights/d", "d");
      const g = mw.get("d") as unknown as { create_attribute?: unknown };
      void g;
    });
    compile("h5-external-link", join(inner, "model.h5"), "SNNC118");
  }
  {
    const d = dirFor("h5-garbage");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "model.h5"), Uint8Array.from({ length: 4096 }, () => Math.floor(rand() * 256)));
    compile("h5-garbage", join(d, "model.h5"), "SNNC111");
  }
  {
    const d = dirFor("keras-zip-bomb");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "model.keras"), zipDeclaring({ "config.json": u8(JSON.stringify(kerasConfig)), "model.weights.h5": new Uint8Array(1 << 20) }, 0xfffffff0));
    compile("keras-zip-bomb", join(d, "model.keras"), "SNNC119");
  }
  {
    const d = dirFor("keras-not-zip");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "model.keras"), u8("PK\u0003\u0004 not really a zip"));
    compile("keras-not-zip", join(d, "model.keras"), "SNNC111");
  }
  {
    const d = dirFor("keras-deep-config");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "model.keras"), zipSync({ "config.json": u8(`${"[".repeat(50_000)}${"]".repeat(50_000)}`), "model.weights.h5": new Uint8Array(8) }));
    compile("keras-deep-config", join(d, "model.keras"), "SNNC115");
  }

  // --- Data for compile ---
  const okModel = tfjsModel(join(root, "ok-model"), okLayers, okWeights());
  const dataCase = (name: string, code: string, write: (d: string) => string) => {
    const d = dirFor(name);
    mkdirSync(d, { recursive: true });
    compile(name, okModel, code, { data: write(d) });
  };
  dataCase("data-nan", "SNNC154", (d) => { const v = Float32Array.from(x); v[7] = NaN; writeFileSync(join(d, "x.npy"), writeNpy([8, 4], v)); return join(d, "x.npy"); });
  dataCase("data-inf", "SNNC154", (d) => { const v = Float32Array.from(x); v[0] = Infinity; writeFileSync(join(d, "x.npy"), writeNpy([8, 4], v)); return join(d, "x.npy"); });
  dataCase("data-zero-samples", "SNNC155", (d) => { writeFileSync(join(d, "x.npy"), writeNpy([0, 4], new Float32Array(0))); return join(d, "x.npy"); });
  dataCase("data-huge-shape", "SNNC157", (d) => {
    const b = writeNpy([8, 4], x);
    const text = new TextDecoder("latin1").decode(b.subarray(10, 10 + new DataView(b.buffer).getUint16(8, true)));
    const h = text.replace("(8, 4)", "(99999, 99999, 99999)").padEnd(text.length);
    writeFileSync(join(d, "x.npy"), Uint8Array.from([...b.subarray(0, 10), ...u8(h.slice(0, text.length)), ...b.subarray(10 + text.length)]));
    return join(d, "x.npy");
  });
  dataCase("data-rank-20", "SNNC157", (d) => {
    const shape = [1, ...new Array<number>(19).fill(1)];
    writeFileSync(join(d, "x.npy"), writeNpy(shape, new Float32Array(1)));
    return join(d, "x.npy");
  });
  dataCase("data-is-device", "SNNC156", () => "/dev/zero");
  dataCase("data-idx-truncated", "SNNC150", (d) => { writeFileSync(join(d, "images-idx3-ubyte"), writeIdxU8([8, 2, 2], new Uint8Array(32), false).subarray(0, 30)); return join(d, "images-idx3-ubyte"); });
  dataCase("data-labels-mismatch", "SNNC152", (d) => {
    writeFileSync(join(d, "x.npy"), writeNpy([8, 4], x));
    writeFileSync(join(d, "y.npy"), writeNpy([5], new Int32Array(5)));
    return join(d, "x.npy");
  });
  dataCase("data-labels-not-one-hot", "SNNC152", (d) => {
    writeFileSync(join(d, "x.npy"), writeNpy([8, 4], x));
    writeFileSync(join(d, "y.npy"), writeNpy([8, 3], new Float32Array(24).fill(0.5)));
    return join(d, "x.npy");
  });

  // --- Targets ---
  const tdir = join(root, "targets");
  mkdirSync(tdir, { recursive: true });
  const target = (name: string, code: string, edit: (t: Record<string, any>) => void, mentions?: string) =>
    compile(name, okModel, code, { target: tinyTarget(tdir, name, edit), ...(mentions ? { mentions } : {}) });
  target("target-grid-65537x1", "SNNC315", (t) => { t.system.chips.width = 65537; }, "system.chips.width");
  target("target-grid-1e9x1e9", "SNNC315", (t) => { t.system.chips.width = 1e9; t.system.chips.height = 1e9; });
  target("target-grid-60000x60000", "SNNC315", (t) => { t.system.chips.width = 60000; t.system.chips.height = 60000; }, "chip grid");
  target("target-neurons-70000", "SNNC315", (t) => { t.core.neurons.value = 70000; });
  target("target-tiles-300", "SNNC315", (t) => { t.system.coreLayout.tilesX = 300; });
  target("target-infinity", "SNNC301", (t) => { t.__raw = JSON.stringify(t).replace(/"synOpSeconds":\{"value":[^,]+,/, '"synOpSeconds":{"value":1e999,'); }, "Infinity");
  target("target-deep", "SNNC301", (t) => { t.__raw = `${"[".repeat(100_000)}${"]".repeat(100_000)}`; });
  target("target-unknown-field", "SNNC301", (t) => { t.core.neuronz = t.core.neurons; }, "core.neuronz");
  {
    mkdirSync(join(tdir, "dir.json"), { recursive: true });
    compile("target-is-directory", okModel, "SNNC301", { target: join(tdir, "dir.json") });
  }

  // --- Binaries and run inputs ---
  const bdir = join(root, "binaries");
  mkdirSync(bdir, { recursive: true });
  const seedBin = (seedBinaries()[0] as { bytes: Uint8Array }).bytes;
  const meta = JSON.parse(new TextDecoder().decode(splitSections(seedBin).sections.find((s) => s.id === fourcc("META"))?.data)) as { inputShape: number[] };
  const per = meta.inputShape.reduce((a, b) => a * b, 1);
  writeFileSync(join(bdir, "ok.snnb"), seedBin);
  const okInput = join(bdir, "ok.npy");
  writeFileSync(okInput, writeNpy([1, ...meta.inputShape], Float32Array.from({ length: per }, () => rand())));
  const run = (name: string, code: string | null, bin: string, input: string, mentions?: string) =>
    cases.push({ name, code, argv: ["run", bin, "--input", input, "--quiet"], ...(mentions ? { mentions } : {}) });
  const binCase = (name: string, code: string, bytes: Uint8Array, cmd: "run" | "inspect" = "run") => {
    const f = join(bdir, `${name}.snnb`);
    writeFileSync(f, bytes);
    if (cmd === "run") run(name, code, f, okInput);
    else cases.push({ name, code, argv: ["inspect", f, "--json", "--quiet"] });
  };
  binCase("meta-timesteps-1e9", "SNNC507", withMeta(seedBin, (m) => { m.timesteps = 1e9; }));
  binCase("meta-population-shape", "SNNC504", withMeta(seedBin, (m) => { m.populations[0].shape = [1e9, 1e9, 1e9]; }));
  binCase("meta-sha256-missing", "SNNC504", withMeta(seedBin, (m) => { delete m.model.sha256; }), "inspect");
  binCase("meta-nested", "SNNC504", withMeta(seedBin, (m) => { m.target.title = "__DEEP__"; return JSON.stringify(m).replace('"__DEEP__"', `${"[".repeat(50_000)}${"]".repeat(50_000)}`); }), "inspect");
  binCase("meta-inputshape-huge", "SNNC507", withMeta(seedBin, (m) => { m.inputShape = [65536, 65536, 65536]; }));
  const withSection = (name: string, edit: (v: DataView) => void) => {
    const { head, sections } = splitSections(seedBin);
    const k = sections.findIndex((s) => s.id === fourcc(name));
    const data = (sections[k] as { data: Uint8Array }).data.slice();
    edit(new DataView(data.buffer));
    sections[k] = { id: fourcc(name), data };
    return assemble(head, sections);
  };
  binCase("cost-nan", "SNNC506", withSection("COST", (v) => v.setFloat64(0, NaN, true)), "inspect");
  binCase("cost-negative-infinity", "SNNC506", withSection("COST", (v) => v.setFloat64(8, -Infinity, true)));
  binCase("input-encoding-7", "SNNC506", withSection("INPM", (v) => v.setUint8(0, 7)));
  binCase("input-gain-nan", "SNNC506", withSection("INPM", (v) => v.setFloat64(16, NaN, true)));
  binCase("meta-not-json", "SNNC504", withMeta(seedBin, () => "{oops"), "inspect");
  cases.push({ name: "run-timesteps-1e9", code: "SNNC507", argv: ["run", join(bdir, "ok.snnb"), "--input", okInput, "--timesteps", "1000000000", "--quiet"] });
  cases.push({ name: "compile-timesteps-1e9", code: "SNNC507", out: out("compile-timesteps-1e9"), argv: ["compile", okModel, "-t", "tiny", "-o", out("compile-timesteps-1e9"), "-T", "1000000000", "--quiet"] });
  run("run-input-directory", "SNNC156", join(bdir, "ok.snnb"), bdir);
  run("run-binary-device", "SNNC501", "/dev/zero", okInput);
  {
    const f = join(bdir, "nan.npy");
    const v = Float32Array.from({ length: per }, () => rand());
    v[per - 1] = NaN;
    writeFileSync(f, writeNpy([1, ...meta.inputShape], v));
    run("run-input-nan", "SNNC154", join(bdir, "ok.snnb"), f);
  }
  {
    const f = join(bdir, "inf.npy");
    writeFileSync(f, writeNpy([1, ...meta.inputShape], new Float32Array(per).fill(-Infinity)));
    run("run-input-inf", "SNNC154", join(bdir, "ok.snnb"), f);
  }
  {
    const f = join(bdir, "zero.npy");
    writeFileSync(f, writeNpy([0, ...meta.inputShape], new Float32Array(0)));
    run("run-input-zero-samples", "SNNC155", join(bdir, "ok.snnb"), f);
  }
  {
    const f = join(bdir, "wrong.npy");
    writeFileSync(f, writeNpy([per + 1], new Float32Array(per + 1)));
    run("run-input-wrong-size", "SNNC151", join(bdir, "ok.snnb"), f);
  }

  // --- Reports ---
  const report = (name: string, write: (d: string) => void, format = "md") => {
    const d = dirFor(name);
    mkdirSync(d, { recursive: true });
    write(d);
    cases.push({ name, code: "SNNC701", argv: ["report", d, "--format", format, "--quiet"] });
  };
  report("report-empty-object", (d) => writeFileSync(join(d, "report.json"), "{}"));
  report("report-deep", (d) => writeFileSync(join(d, "report.json"), `${"[".repeat(100_000)}${"]".repeat(100_000)}`), "json");
  report("report-is-directory", (d) => mkdirSync(join(d, "report.json")));

  // --- Valid edge cases (must succeed) ---
  {
    const f = join(bdir, "flat.npy");
    writeFileSync(f, writeNpy([per], Float32Array.from({ length: per }, () => rand())));
    run("valid-flat-input", null, join(bdir, "ok.snnb"), f);
  }
  {
    const f = join(bdir, "uint8.npy");
    writeFileSync(f, writeNpy([2, ...meta.inputShape], Uint8Array.from({ length: 2 * per }, (_, i) => (i % 2 ? 255 : 0))));
    run("valid-uint8-extremes", null, join(bdir, "ok.snnb"), f);
  }
  {
    const f = join(bdir, "extreme.npy");
    writeFileSync(f, writeNpy([3, ...meta.inputShape], Float32Array.from({ length: 3 * per }, (_, i) => [0, 255, 3.4e38, -3.4e38][i % 4] as number)));
    run("valid-extreme-floats", null, join(bdir, "ok.snnb"), f);
  }
  return cases;
}
