/**
 * @fileoverview Keras importers: Keras 2 HDF5 (`.h5`) and Keras 3 archives (`.keras`), read with h5wasm.
 *
 * Keras 2 `.h5` (legacy format):
 *   /                 attr model_config = JSON {class_name, config}, keras_version, backend
 *   /model_weights    attr layer_names = [b"conv1", ...]
 *   /model_weights/<layer>            attr weight_names = [b"conv1/kernel:0", b"conv1/bias:0"]
 *   /model_weights/<layer>/<weight name>   dataset (the name may contain "/", i.e. nested groups)
 * Attributes above 64 KiB are split by Keras into `name0`, `name1`, ... chunks; both forms are read.
 * Keras 3 `.keras` (zip): `config.json` (the model config) + `model.weights.h5`:
 *   /layers/<snake_case(class)>[_k]/vars/<i>   dataset i of that layer, in creation order
 * where the k-th layer of a class (in model layer order) gets suffix `_k` (k ≥ 1) — Keras 3 does not use
 * layer names there. Weight order per layer is Keras' creation order (kernel, bias; gamma, beta, moving_mean,
 * moving_variance), which is the order the layer builders ask for.
 */
import fs, { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { unzipSync } from "fflate";
import h5wasm from "h5wasm/node";
import { fail, SnncError } from "../diagnostics.ts";
import type { AnnGraph } from "../ir/ann.ts";
import { buildAnnGraph } from "./graph.ts";
import type { WeightSource, WeightTensor } from "./layers.ts";
import { type Json, type LayerSpec, modelConfigOf, parseTopology } from "./topology.ts";

type H5File = InstanceType<typeof h5wasm.File>;
type H5Group = InstanceType<typeof h5wasm.Group>;

/** Runs `body` with fd 2 muted: the HDF5 library (emscripten, raw node FS) writes its own error stack
 * straight to stderr with fs.writeSync, and snnc reports the failure as one coded diagnostic instead. */
function quietly<T>(body: () => T): T {
  const writeSync = fs.writeSync;
  // Claim every byte written, or the caller retries forever.
  const muted = ((fd: number, buf: ArrayBufferView | string, offsetOrPos?: unknown, length?: unknown, ...rest: unknown[]) =>
    fd === 2
      ? typeof length === "number" ? length : typeof buf === "string" ? Buffer.byteLength(buf) : buf.byteLength
      : (writeSync as (...a: unknown[]) => number)(fd, buf, offsetOrPos, length, ...rest)) as typeof fs.writeSync;
  fs.writeSync = muted;
  try {
    return body();
  } finally {
    fs.writeSync = writeSync;
  }
}

async function openH5(path: string, shownAs: string): Promise<H5File> {
  await h5wasm.ready;
  let f: H5File;
  try {
    f = quietly(() => new h5wasm.File(path, "r"));
  } catch (e) {
    throw fail("SNNC111", `cannot open as HDF5 (${String((e as Error).message ?? e).split("\n")[0]})`, { file: shownAs },
      "the file is damaged or not HDF5; re-save it with keras model.save()");
  }
  if (!f || (f as unknown as { file_id: bigint }).file_id < 0n) {
    throw fail("SNNC111", "cannot open as HDF5", { file: shownAs }, "the file is damaged or not HDF5; re-save it with keras model.save()");
  }
  return f;
}

function isGroup(x: unknown): x is H5Group {
  return x instanceof h5wasm.Group;
}

function isDataset(x: unknown): x is InstanceType<typeof h5wasm.Dataset> {
  return x instanceof h5wasm.Dataset;
}

function decodeString(x: unknown): string {
  if (typeof x === "string") return x;
  if (x instanceof Uint8Array) return new TextDecoder().decode(x);
  return String(x);
}

/** Reads a string or string-list attribute, joining Keras' `name0`, `name1`, ... chunks. */
function stringsAttr(g: H5Group, name: string): string[] | null {
  const attrs = g.attrs;
  const read = (a: string): string[] => {
    const v = attrs[a]?.value;
    if (Array.isArray(v)) return v.map(decodeString);
    if (v === null || v === undefined) return [];
    return [decodeString(v)];
  };
  if (attrs[name]) return read(name);
  if (!attrs[`${name}0`]) return null;
  const out: string[] = [];
  for (let k = 0; attrs[`${name}${k}`]; k++) out.push(...read(`${name}${k}`));
  return out;
}

function toTensor(ds: unknown, name: string, file: string): WeightTensor {
  if (!isDataset(ds)) throw fail("SNNC111", `weight "${name}" is not a dataset`, { file, path: name });
  let value: unknown;
  try {
    value = ds.value;
  } catch (e) {
    throw fail("SNNC111", `cannot read weight "${name}" (${(e as Error).message})`, { file, path: name });
  }
  const shape = ds.shape ?? [];
  let data: Float32Array;
  if (value instanceof Float32Array) data = value;
  else if (ArrayBuffer.isView(value) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array)) {
    data = Float32Array.from(value as unknown as ArrayLike<number>);
  } else if (typeof value === "number") data = Float32Array.of(value);
  else throw fail("SNNC114", `weight "${name}" has a non-numeric dtype`, { file, path: name });
  return { name, shape, data };
}

function guard<T>(file: string, body: () => T): T {
  try {
    return quietly(body);
  } catch (e) {
    if (e instanceof SnncError) throw e;
    throw fail("SNNC111", `unreadable HDF5 content (${String((e as Error).message ?? e).split("\n")[0]})`, { file },
      "the file is damaged; re-save it with keras model.save()");
  }
}

export async function importKerasH5(path: string): Promise<AnnGraph> {
  const file = basename(path);
  const f = await openH5(path, path);
  try {
    return guard(path, () => {
      const configText = stringsAttr(f, "model_config");
      if (configText === null || configText.length === 0) {
        const hint = f.keys().includes("layers") ? "this looks like a Keras 3 weights file: give the .keras archive" : "save the whole model (model.save('m.h5')), not only its weights";
        throw fail("SNNC102", "HDF5 file has no model_config attribute", { file: path }, hint);
      }
      let config: Json;
      try {
        config = JSON.parse(configText.join("")) as Json;
      } catch (e) {
        throw fail("SNNC111", `model_config is not JSON (${(e as Error).message})`, { file: path });
      }
      const topology = parseTopology(modelConfigOf(config, path), path);
      const root = f.get("model_weights");
      const weightsRoot = isGroup(root) ? root : f; // save_weights() files keep layers at the root
      return buildAnnGraph(topology, h5LegacyWeights(weightsRoot, file), "keras-h5");
    });
  } finally {
    f.close();
  }
}

function h5LegacyWeights(root: H5Group, file: string): WeightSource {
  return {
    file,
    layerWeights(layer: LayerSpec, suffixes: readonly string[]): Map<string, WeightTensor> {
      const out = new Map<string, WeightTensor>();
      const g = root.get(layer.name);
      if (!isGroup(g)) return out;
      const names = stringsAttr(g, "weight_names") ?? [];
      const tensors = names.map((n) => toTensor(g.get(n), `${layer.name}/${n}`, file));
      const used = new Set<number>();
      // Match by variable name first (".../kernel:0"), then fill the rest by position.
      suffixes.forEach((s) => {
        const i = names.findIndex((n, k) => !used.has(k) && n.replace(/:\d+$/, "").split("/").pop() === s);
        if (i >= 0) {
          used.add(i);
          out.set(s, tensors[i] as WeightTensor);
        }
      });
      suffixes.forEach((s, pos) => {
        if (out.has(s)) return;
        const t = tensors[pos];
        if (t && !used.has(pos)) {
          used.add(pos);
          out.set(s, t);
        }
      });
      return out;
    },
  };
}

/** Keras' `to_snake_case` (as used to name weight groups in Keras 3 archives). */
export function kerasSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, "")
    .replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

export async function importKerasV3(path: string): Promise<AnnGraph> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(new Uint8Array(readFileSync(path)));
  } catch (e) {
    throw fail("SNNC111", `not a readable .keras zip archive (${(e as Error).message})`, { file: path }, "re-save with keras model.save('model.keras')");
  }
  const configBytes = entries["config.json"];
  const weightsBytes = entries["model.weights.h5"];
  if (!configBytes) throw fail("SNNC111", ".keras archive has no config.json", { file: path });
  if (!weightsBytes) throw fail("SNNC111", ".keras archive has no model.weights.h5", { file: path });
  let config: Json;
  try {
    config = JSON.parse(new TextDecoder().decode(configBytes)) as Json;
  } catch (e) {
    throw fail("SNNC111", `config.json is not JSON (${(e as Error).message})`, { file: path });
  }
  const topology = parseTopology(modelConfigOf(config, path), path);
  const dir = mkdtempSync(join(tmpdir(), "snnc-keras-"));
  const weightsPath = join(dir, "model.weights.h5");
  writeFileSync(weightsPath, weightsBytes);
  try {
    const f = await openH5(weightsPath, `${path}!model.weights.h5`);
    try {
      return guard(path, () => buildAnnGraph(topology, v3Weights(f, topology.layers, basename(path)), "keras-v3"));
    } finally {
      f.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function v3Weights(f: H5File, layers: readonly LayerSpec[], file: string): WeightSource {
  // Group name of each layer: snake_case(class) with a per-class counter in model layer order.
  const groupOf = new Map<string, string>();
  const used = new Map<string, number>();
  for (const l of layers) {
    const base = kerasSnakeCase(l.className);
    const k = used.get(base);
    used.set(base, k === undefined ? 0 : k + 1);
    groupOf.set(l.name, k === undefined ? base : `${base}_${k + 1}`);
  }
  const layersGroup = f.get("layers");
  return {
    file,
    layerWeights(layer: LayerSpec, suffixes: readonly string[]): Map<string, WeightTensor> {
      const out = new Map<string, WeightTensor>();
      if (!isGroup(layersGroup)) return out;
      const g = layersGroup.get(groupOf.get(layer.name) ?? layer.name) ?? layersGroup.get(layer.name);
      const vars = isGroup(g) ? g.get("vars") : null;
      if (!isGroup(vars)) return out;
      suffixes.forEach((s, i) => {
        const ds = vars.get(String(i));
        if (ds) out.set(s, toTensor(ds, `layers/${groupOf.get(layer.name)}/vars/${i}`, file));
      });
      return out;
    },
  };
}
