/**
 * @fileoverview Writes a TF.js Layers model as a Keras 2 `.h5` file and as a Keras 3 `.keras` archive, so the
 * Keras import paths of snnc run on real trained weights (Python Keras is not available on this machine).
 *
 *   npx tsx examples/tools/keras-export.ts examples/fashion-mnist/cnn/model.json
 *     → examples/fashion-mnist/cnn/model.h5 and model.keras
 *
 * Layouts written (the ones compiler/import/keras-h5.ts documents and reads):
 *   .h5:    attrs model_config/keras_version/backend; /model_weights/<layer> with attr weight_names and
 *           datasets <layer>/<var>:0 (nested groups, as h5py creates for names containing "/").
 *   .keras: zip of metadata.json, config.json (Keras 3 serialisation: module/class_name/config/
 *           registered_name, InputLayer batch_shape, `__keras_tensor__` inbound nodes) and model.weights.h5
 *           with /layers/<snake_case(class)>[_k]/vars/<i>.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import h5wasm from "h5wasm/node";
import { kerasSnakeCase } from "../../compiler/import/keras-h5.ts";
import type { WeightTensor } from "../../compiler/import/layers.ts";
import { readTfjsModel } from "../../compiler/import/tfjs.ts";
import { type Json, type JsonObject, isObject } from "../../compiler/import/topology.ts";

type H5Group = InstanceType<typeof h5wasm.Group>;

interface Layer {
  readonly className: string;
  readonly config: JsonObject;
  readonly inbound: Json | undefined;
}

function layersOf(modelConfig: JsonObject): Layer[] {
  const cfg = modelConfig["config"];
  const list = isObject(cfg) && Array.isArray(cfg["layers"]) ? cfg["layers"] : [];
  return list.filter(isObject).map((l) => ({
    className: String(l["class_name"]),
    config: l["config"] as JsonObject,
    inbound: l["inbound_nodes"],
  }));
}

/** Weights per layer name; a weight belongs to the longest layer name its own name starts with (a
 * MultiHeadAttention weight is `<layer>/query/kernel`, one scope deeper than `<layer>/kernel`). */
function weightsByLayer(tensors: readonly WeightTensor[], layerNames: readonly string[]): Map<string, WeightTensor[]> {
  const out = new Map<string, WeightTensor[]>();
  const names = [...layerNames].sort((a, b) => b.length - a.length);
  for (const t of tensors) {
    const layer = names.find((n) => t.name.startsWith(`${n}/`)) ?? t.name.split("/").slice(0, -1).join("/");
    out.set(layer, [...(out.get(layer) ?? []), t]);
  }
  return out;
}

/** Keras 3 keeps MultiHeadAttention's weights in sublayer groups named after these attributes. */
const V3_SUBLAYERS: Record<string, string> = { query: "_query_dense", key: "_key_dense", value: "_value_dense", attention_output: "_output_dense" };

function writeDataset(g: H5Group, path: string, t: WeightTensor): void {
  const parts = path.split("/");
  let cur = g;
  for (const p of parts.slice(0, -1)) cur = (cur.get(p) as H5Group | null) ?? cur.create_group(p);
  cur.create_dataset({ name: parts[parts.length - 1] ?? "w", data: t.data, shape: [...t.shape], dtype: "<f" });
}

/** Keras 2 legacy HDF5 model file. */
export async function writeKerasH5(modelJson: string, outPath: string): Promise<void> {
  await h5wasm.ready;
  const model = readTfjsModel(modelJson);
  const byLayer = weightsByLayer(model.tensors, layersOf(model.modelConfig).map((l) => String(l.config["name"])));
  const f = new h5wasm.File(outPath, "w");
  try {
    f.create_attribute("model_config", JSON.stringify(model.modelConfig));
    f.create_attribute("keras_version", "2.15.0");
    f.create_attribute("backend", "tensorflow");
    const mw = f.create_group("model_weights");
    const layers = layersOf(model.modelConfig);
    mw.create_attribute("layer_names", layers.map((l) => String(l.config["name"])));
    for (const l of layers) {
      const name = String(l.config["name"]);
      const g = mw.create_group(name);
      const ws = byLayer.get(name) ?? [];
      const names = ws.map((t) => `${t.name}:0`);
      // h5py writes an empty list for weightless layers; h5wasm cannot write empty attributes, so omit it.
      if (names.length > 0) g.create_attribute("weight_names", names);
      ws.forEach((t, i) => writeDataset(g, names[i] as string, t));
    }
  } finally {
    f.close();
  }
}

function kerasTensor(name: string): JsonObject {
  return { class_name: "__keras_tensor__", config: { shape: null, dtype: "float32", keras_history: [name, 0, 0] } };
}

/** Rewrites one layer entry into the Keras 3 serialisation. */
function v3Layer(l: Layer, functional: boolean): JsonObject {
  const config: JsonObject = { ...l.config };
  if (l.className === "InputLayer" && config["batch_input_shape"] !== undefined) {
    config["batch_shape"] = config["batch_input_shape"] as Json;
    delete config["batch_input_shape"];
  }
  const entry: JsonObject = { module: "keras.layers", class_name: l.className, config, registered_name: null };
  if (functional) {
    entry["name"] = config["name"] as Json;
    const calls = Array.isArray(l.inbound) ? l.inbound : [];
    entry["inbound_nodes"] = calls.map((call) => {
      const refs = (Array.isArray(call) ? call : []).map((r) => kerasTensor(String(Array.isArray(r) ? r[0] : "")));
      // Keras 3 self-attention is called as mha(x, x): query and value as two positional arguments.
      if (l.className === "MultiHeadAttention" && refs.length === 1 && refs[0]) return { args: [refs[0], refs[0]], kwargs: {} };
      return { args: refs.length === 1 ? refs : [refs], kwargs: {} };
    });
  }
  return entry;
}

/** Keras 3 `.keras` archive. */
export async function writeKerasV3(modelJson: string, outPath: string): Promise<void> {
  await h5wasm.ready;
  const model = readTfjsModel(modelJson);
  const byLayer = weightsByLayer(model.tensors, layersOf(model.modelConfig).map((l) => String(l.config["name"])));
  const cls = String(model.modelConfig["class_name"]);
  const functional = cls !== "Sequential";
  const layers = layersOf(model.modelConfig);
  const cfg = model.modelConfig["config"] as JsonObject;
  const v3Layers: JsonObject[] = [];
  if (!functional && layers[0] && layers[0].className !== "InputLayer") {
    const shape = layers[0].config["batch_input_shape"] ?? null;
    v3Layers.push({ module: "keras.layers", class_name: "InputLayer", config: { batch_shape: shape, dtype: "float32", name: "input_layer" }, registered_name: null });
  }
  for (const l of layers) {
    const e = v3Layer(l, functional);
    if (!functional) delete (e["config"] as JsonObject)["batch_input_shape"];
    v3Layers.push(e);
  }
  const endpoint = (x: Json | undefined): Json => (Array.isArray(x) && x.length === 1 ? (x[0] as Json) : (x ?? null));
  const v3Config: JsonObject = functional
    ? { name: cfg["name"] ?? "model", layers: v3Layers, input_layers: endpoint(cfg["input_layers"]), output_layers: endpoint(cfg["output_layers"]) }
    : { name: cfg["name"] ?? "sequential", layers: v3Layers };
  const config = { module: "keras", class_name: functional ? "Functional" : "Sequential", config: v3Config, registered_name: null };

  const dir = mkdtempSync(join(tmpdir(), "snnc-keras-out-"));
  const h5Path = join(dir, "model.weights.h5");
  try {
    const f = new h5wasm.File(h5Path, "w");
    try {
      const root = f.create_group("layers");
      const used = new Map<string, number>();
      for (const l of [...(functional ? [] : [{ className: "InputLayer", config: { name: "input_layer" } as JsonObject, inbound: undefined }]), ...layers]) {
        const base = kerasSnakeCase(l.className);
        const k = used.get(base);
        used.set(base, k === undefined ? 0 : k + 1);
        const g = root.create_group(k === undefined ? base : `${base}_${k + 1}`);
        const vars = g.create_group("vars");
        const layerName = String(l.config["name"]);
        const counts = new Map<string, number>();
        for (const t of byLayer.get(layerName) ?? []) {
          // "<layer>/query/kernel" → sublayer group _query_dense/vars/<i>; "<layer>/kernel" → vars/<i>.
          const scope = t.name.slice(layerName.length + 1).split("/").slice(0, -1).join("/");
          const sub = V3_SUBLAYERS[scope] ?? scope;
          const subGroup = scope === "" ? null : ((g.get(sub) as H5Group | null) ?? g.create_group(sub));
          const target = subGroup === null ? vars : ((subGroup.get("vars") as H5Group | null) ?? subGroup.create_group("vars"));
          const i = counts.get(scope) ?? 0;
          counts.set(scope, i + 1);
          target.create_dataset({ name: String(i), data: t.data, shape: [...t.shape], dtype: "<f" });
        }
      }
    } finally {
      f.close();
    }
    const zip = zipSync({
      "metadata.json": new TextEncoder().encode(JSON.stringify({ keras_version: "3.6.0", date_saved: "2026-11-23@00:00:00" })),
      "config.json": new TextEncoder().encode(JSON.stringify(config)),
      "model.weights.h5": new Uint8Array(readFileSync(h5Path)),
    });
    writeFileSync(outPath, zip);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const src = process.argv[2];
  if (!src) {
    console.error("usage: tsx examples/tools/keras-export.ts <model.json>");
    process.exit(2);
  }
  const base = src.replace(/model\.json$/, "model");
  await writeKerasH5(src, `${base}.h5`);
  await writeKerasV3(src, `${base}.keras`);
  console.log(`wrote ${base}.h5 and ${base}.keras`);
}
