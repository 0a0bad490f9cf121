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
 *
 * Files named inside a file: HDF5 can name other files (external links, external raw-data storage), which
 * h5wasm (NODERAWFS) would open anywhere on disk. Every HDF5 call runs sandboxed: node's fs.openSync admits
 * only the file being read; any other open is recorded, refused, and reported as SNNC118 naming the path.
 * (`sandboxed`, `openH5`, `quietly` are shared with the NIR reader, import/nir/read.ts.)
 * A .keras zip's members are checked against LIMITS (declared sizes from the central directory, and the
 * compression ratio) before any member is inflated (SNNC119); only the two members used are inflated.
 */
import fs, { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { unzipSync } from "fflate";
import h5wasm from "h5wasm/node";
import { checkJsonDepth, checkLimit, LIMITS, truncateText } from "../../runtime/limits.ts";
import { fail, SnncError } from "../diagnostics.ts";
import { readRegularFile } from "../util/safe-path.ts";
import type { AnnGraph } from "../ir/ann.ts";
import { buildAnnGraph } from "./graph.ts";
import type { WeightSource, WeightTensor } from "./layers.ts";
import { type Json, type LayerSpec, modelConfigOf, parseTopology } from "./topology.ts";

type H5File = InstanceType<typeof h5wasm.File>;
type H5Group = InstanceType<typeof h5wasm.Group>;

/** The file HDF5 may open while `quietly` runs (null: any; set by `sandboxed`), and what else it tried. */
let allowedFile: string | null = null;
const refusedOpens: string[] = [];

/** Runs `body` with fd 2 muted: the HDF5 library (emscripten, raw node FS) writes its own error stack
 * straight to stderr with fs.writeSync, and snnc reports the failure as one coded diagnostic instead.
 * While `allowedFile` is set, fs.openSync refuses every other path (HDF5 external links and external
 * storage name files anywhere on disk). */
export function quietly<T>(body: () => T): T {
  const writeSync = fs.writeSync;
  const openSync = fs.openSync;
  if (allowedFile !== null) {
    const allowed = allowedFile;
    fs.openSync = ((p: fs.PathLike, ...rest: unknown[]) => {
      // A path that does not exist cannot leak anything (HDF5 probes its plugin folder): let it fail as is.
      if (resolve(String(p)) !== allowed && fs.existsSync(String(p))) {
        refusedOpens.push(String(p));
        const e = new Error(`EACCES: snnc refuses to open ${String(p)} from inside an HDF5 file`) as NodeJS.ErrnoException;
        e.code = "EACCES";
        throw e;
      }
      return (openSync as (...a: unknown[]) => number)(p, ...rest);
    }) as typeof fs.openSync;
  }
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
    fs.openSync = openSync;
  }
}

/** Runs `body` with HDF5 confined to `file`; SNNC118 when the file tried to open another one. */
export async function sandboxed<T>(file: string, shownAs: string, body: () => Promise<T>): Promise<T> {
  allowedFile = resolve(file);
  refusedOpens.length = 0;
  const check = () => {
    const other = refusedOpens[0];
    if (other !== undefined) {
      throw fail("SNNC118", `the HDF5 file names another file, "${truncateText(other)}" (an external link or external storage)`, { file: shownAs },
        "save the model with every weight inside the file (keras model.save())");
    }
  };
  try {
    const out = await body();
    check();
    return out;
  } catch (e) {
    check();
    throw e;
  } finally {
    allowedFile = null;
    refusedOpens.length = 0;
  }
}

export async function openH5(path: string, shownAs: string): Promise<H5File> {
  await h5wasm.ready;
  let f: H5File;
  try {
    f = quietly(() => new h5wasm.File(path, "r"));
  } catch (e) {
    throw fail("SNNC111", `cannot open as HDF5 (${truncateText(String((e as Error).message ?? e).split("\n")[0] ?? "")})`, { file: shownAs },
      "the file is damaged or not HDF5; re-save it with keras model.save()");
  }
  if (!f || (f as unknown as { file_id: bigint }).file_id < 0n) {
    throw fail("SNNC111", "cannot open as HDF5", { file: shownAs }, "the file is damaged or not HDF5; re-save it with keras model.save()");
  }
  return f;
}

export function isGroup(x: unknown): x is H5Group {
  return x instanceof h5wasm.Group;
}

export function isDataset(x: unknown): x is InstanceType<typeof h5wasm.Dataset> {
  return x instanceof h5wasm.Dataset;
}

export function decodeString(x: unknown): string {
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
  if (!isDataset(ds)) throw fail("SNNC111", `weight "${truncateText(name)}" is not a dataset`, { file, path: name });
  const declared = ds.shape ?? [];
  let elements = 1;
  for (const d of declared) elements *= d;
  checkLimit("tensorElements", elements, { file, path: name }, `weight ${truncateText(name)} elements`);
  let value: unknown;
  try {
    value = ds.value;
  } catch (e) {
    throw fail("SNNC111", `cannot read weight "${truncateText(name)}" (${truncateText(String((e as Error).message))})`, { file, path: name });
  }
  const shape = ds.shape ?? [];
  let data: Float32Array;
  if (value instanceof Float32Array) data = value;
  else if (ArrayBuffer.isView(value) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array)) {
    data = Float32Array.from(value as unknown as ArrayLike<number>);
  } else if (typeof value === "number") data = Float32Array.of(value);
  else throw fail("SNNC114", `weight "${truncateText(name)}" has a non-numeric dtype`, { file, path: name });
  return { name, shape, data };
}

function guard<T>(file: string, body: () => T): T {
  try {
    return quietly(body);
  } catch (e) {
    if (e instanceof SnncError) throw e;
    throw fail("SNNC111", `unreadable HDF5 content (${truncateText(String((e as Error).message ?? e).split("\n")[0] ?? "")})`, { file },
      "the file is damaged; re-save it with keras model.save()");
  }
}

export async function importKerasH5(path: string): Promise<AnnGraph> {
  return sandboxed(path, path, () => importKerasH5Confined(path));
}

async function importKerasH5Confined(path: string): Promise<AnnGraph> {
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
        throw fail("SNNC111", `model_config is not JSON (${truncateText((e as Error).message)})`, { file: path });
      }
      checkJsonDepth(config, { file: path, path: "model_config" });
      const topology = parseTopology(modelConfigOf(config, path), path);
      const root = f.get("model_weights");
      const weightsRoot = isGroup(root) ? root : f; // save_weights() files keep layers at the root
      return buildAnnGraph(topology, h5LegacyWeights(weightsRoot, file), "keras-h5");
    });
  } finally {
    quietly(() => f.close());
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
        // A suffix may span scopes ("query/kernel" of MultiHeadAttention): match whole trailing path segments.
        const i = names.findIndex((n, k) => {
          const bare = n.replace(/:\d+$/, "");
          return !used.has(k) && (bare === s || bare.endsWith(`/${s}`));
        });
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

/** The members of a .keras archive snnc reads. */
const KERAS_MEMBERS = new Set(["config.json", "model.weights.h5"]);

/**
 * Inflates the members snnc needs, after checking each one's declared size (central directory) and
 * compression ratio against LIMITS: the size budget is enforced before any byte is inflated.
 */
export function unzipKeras(bytes: Uint8Array, path: string): Record<string, Uint8Array> {
  let budget = 0;
  try {
    return unzipSync(bytes, {
      filter: (info) => {
        if (!KERAS_MEMBERS.has(info.name)) return false;
        const loc = { file: path, path: info.name };
        checkLimit("archiveMember", info.originalSize, loc, `declared size of archive member ${info.name}:`);
        budget += info.originalSize;
        checkLimit("archiveMember", budget, loc, "declared size of the archive members together:");
        if (info.compression !== 0) checkLimit("archiveRatio", info.originalSize / Math.max(1, info.size), loc, `archive member ${info.name} compression ratio`);
        else if (info.originalSize !== info.size) throw fail("SNNC111", `stored member ${info.name} declares ${info.originalSize} bytes in ${info.size}`, loc);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof SnncError) throw e;
    if (e && typeof e === "object" && "code" in e && typeof (e as { code: unknown }).code === "string" && String((e as { code: string }).code).startsWith("SNNC")) throw e;
    throw fail("SNNC111", `not a readable .keras zip archive (${truncateText(String((e as Error).message))})`, { file: path }, "re-save with keras model.save('model.keras')");
  }
}

export async function importKerasV3(path: string): Promise<AnnGraph> {
  const entries = unzipKeras(readRegularFile(path, path, LIMITS.archiveMember.max, "SNNC111"), path);
  const configBytes = entries["config.json"];
  const weightsBytes = entries["model.weights.h5"];
  if (!configBytes) throw fail("SNNC111", ".keras archive has no config.json", { file: path });
  if (!weightsBytes) throw fail("SNNC111", ".keras archive has no model.weights.h5", { file: path });
  let config: Json;
  try {
    config = JSON.parse(new TextDecoder().decode(configBytes)) as Json;
  } catch (e) {
    throw fail("SNNC111", `config.json is not JSON (${truncateText((e as Error).message)})`, { file: path });
  }
  checkJsonDepth(config, { file: path, path: "config.json" });
  const topology = parseTopology(modelConfigOf(config, path), path);
  const dir = mkdtempSync(join(tmpdir(), "snnc-keras-"));
  const weightsPath = join(dir, "model.weights.h5");
  writeFileSync(weightsPath, weightsBytes);
  try {
    return await sandboxed(weightsPath, `${path}!model.weights.h5`, async () => {
      const f = await openH5(weightsPath, `${path}!model.weights.h5`);
      try {
        return guard(path, () => buildAnnGraph(topology, v3Weights(f, topology.layers, basename(path)), "keras-v3"));
      } finally {
        quietly(() => f.close());
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Keras 3 sublayer groups of MultiHeadAttention, by the weight-name scope Keras 2 and TF.js use. */
const V3_SUBLAYERS: Record<string, string> = { query: "_query_dense", key: "_key_dense", value: "_value_dense", attention_output: "_output_dense" };

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
      if (!isGroup(vars) && !suffixes.some((x) => x.includes("/"))) return out;
      // Plain suffixes are the layer's own vars, in order; "query/kernel"-style suffixes live in a sublayer's
      // group (Keras 3 MultiHeadAttention: _query_dense, _key_dense, _value_dense, _output_dense), in order.
      const perGroup = new Map<string, number>();
      suffixes.forEach((s) => {
        const slash = s.lastIndexOf("/");
        const sub = slash < 0 ? null : s.slice(0, slash);
        const key = sub ?? "";
        const i = perGroup.get(key) ?? 0;
        perGroup.set(key, i + 1);
        const holder = sub === null ? vars : isGroup(g) ? g.get(V3_SUBLAYERS[sub] ?? sub) : null;
        const hv = sub === null ? holder : isGroup(holder) ? holder.get("vars") : null;
        const ds = isGroup(hv) ? hv.get(String(i)) : null;
        const where = `layers/${groupOf.get(layer.name)}${sub === null ? "" : `/${V3_SUBLAYERS[sub] ?? sub}`}/vars/${i}`;
        if (ds) out.set(s, toTensor(ds, where, file));
      });
      return out;
    },
  };
}
