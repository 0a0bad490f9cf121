/**
 * @fileoverview TF.js Layers `model.json` importer.
 *
 * Input: `model.json` (`modelTopology` + `weightsManifest`) and the binary shards it lists. Each manifest group
 * is the concatenation of its `paths`; its `weights` lie back to back in that byte stream, little-endian, in
 * the dtype given, or quantised as tfjs writes them (`quantization: {dtype: uint8|uint16, scale, min}`:
 * value = q * scale + min; `float16`: IEEE half). Output: an AnnGraph (via topology.ts and graph.ts).
 * Errors: missing shard SNNC103, short shard SNNC104 (with the byte offset), bad dtype SNNC114. Shard paths go
 * through compiler/util/safe-path.ts: inside the model's folder, regular files, and the group's byte count
 * (from the manifest, within LIMITS) checked against the shards' sizes before any shard is read (SNNC118).
 */
import { basename, dirname } from "node:path";
import { checkedProduct, checkJsonDepth, checkLimit, truncateText } from "../../runtime/limits.ts";
import { fail } from "../diagnostics.ts";
import { readRegularFile, regularFileSize, resolveInside } from "../util/safe-path.ts";
import type { AnnGraph } from "../ir/ann.ts";
import { buildAnnGraph } from "./graph.ts";
import type { WeightSource, WeightTensor } from "./layers.ts";
import { type Json, type JsonObject, isObject, type LayerSpec, modelConfigOf, parseTopology } from "./topology.ts";

interface ManifestEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: { readonly dtype: string; readonly scale?: number; readonly min?: number };
}

/** model.json itself (topology + manifest, no weights). */
const MODEL_JSON_MAX_BYTES = 512 * 1024 * 1024;

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

export interface TfjsModelFile {
  /** The parsed model.json. */
  readonly root: JsonObject;
  /** `{class_name, config}` of the model. */
  readonly modelConfig: JsonObject;
  /** Every weight of the manifest, decoded to float32, in manifest order. */
  readonly tensors: readonly WeightTensor[];
}

/** Reads model.json and its shards, checking every byte count. */
export function readTfjsModel(modelPath: string): TfjsModelFile {
  let root: Json;
  const text = new TextDecoder().decode(readRegularFile(modelPath, modelPath, MODEL_JSON_MAX_BYTES));
  try {
    root = JSON.parse(text) as Json;
  } catch (e) {
    throw fail("SNNC101", `model.json is not valid JSON (${truncateText((e as Error).message)})`, { file: modelPath });
  }
  checkJsonDepth(root, { file: modelPath });
  if (!isObject(root)) throw fail("SNNC101", "model.json is not a JSON object", { file: modelPath });
  if (root["format"] === "graph-model") {
    throw fail("SNNC102", "this is a TF.js graph model", { file: modelPath }, "snnc reads TF.js Layers models (format layers-model) and Keras files");
  }
  const modelConfig = modelConfigOf(root["modelTopology"] ?? root, modelPath);
  return { root, modelConfig, tensors: readWeights(root, dirname(modelPath), modelPath) };
}

export function importTfjs(modelPath: string): AnnGraph {
  const model = readTfjsModel(modelPath);
  const topology = parseTopology(model.modelConfig, modelPath);
  return buildAnnGraph(topology, namedWeightSource(model.tensors, basename(modelPath)), "tfjs-layers");
}

function readWeights(root: JsonObject, dir: string, modelPath: string): WeightTensor[] {
  const manifest = root["weightsManifest"];
  if (manifest === undefined) return [];
  if (!Array.isArray(manifest)) throw fail("SNNC101", "weightsManifest is not a list", { file: modelPath, path: "weightsManifest" });
  const out: WeightTensor[] = [];
  let totalBytes = 0;
  manifest.forEach((group, g) => {
    const path = `weightsManifest[${g}]`;
    if (!isObject(group) || !Array.isArray(group["paths"]) || !Array.isArray(group["weights"])) {
      throw fail("SNNC101", "manifest group needs paths and weights", { file: modelPath, path });
    }
    // The manifest says how many bytes the group holds: check it, and the shards' sizes, before reading.
    const entries = group["weights"].map((w, i) => {
      const where = `${path}.weights[${i}]`;
      const entry = parseEntry(w, modelPath, where);
      const count = checkedProduct(entry.shape, "tensorElements", { file: modelPath, path: where }, `weight ${truncateText(entry.name)} elements`);
      const storedType = entry.quantization?.dtype ?? entry.dtype;
      const width = BYTES[storedType];
      if (width === undefined || (entry.dtype !== "float32" && entry.quantization === undefined)) {
        throw fail("SNNC114", `weight ${truncateText(entry.name)} has dtype ${truncateText(entry.dtype)}${entry.quantization ? ` quantised as ${truncateText(storedType)}` : ""}`,
          { file: modelPath, path: where }, "weights must be float32, or uint8/uint16/float16-quantised float32");
      }
      return { entry, count, bytes: count * width, where };
    });
    const groupBytes = entries.reduce((a, e) => a + e.bytes, 0);
    totalBytes += groupBytes;
    checkLimit("weightBytes", totalBytes, { file: modelPath, path });
    const shards: { file: string; real: string; size: number }[] = [];
    for (const p of group["paths"]) {
      if (typeof p !== "string") throw fail("SNNC101", "shard path is not a string", { file: modelPath, path });
      const real = resolveInside(dir, p, { file: modelPath, path });
      if (real === null) {
        throw fail("SNNC103", `weight shard "${truncateText(p)}" is missing`, { file: modelPath, path }, `put ${truncateText(p)} next to model.json`);
      }
      shards.push({ file: p, real, size: regularFileSize(real, p) });
    }
    const stored = shards.reduce((a, s) => a + s.size, 0);
    if (stored < groupBytes) {
      // Name the first weight that runs past the end of the shards.
      let offset = 0;
      for (const e of entries) {
        if (offset + e.bytes > stored) {
          const where = shardAt(shards, stored);
          throw fail("SNNC104", `weight ${truncateText(e.entry.name)} needs ${offset + e.bytes} bytes of its weight group; ${shards.length > 1 ? "the last shard" : "the shard"} is cut short`,
            { file: where.file, byte: where.byte }, "the shard is truncated: re-export the model");
        }
        offset += e.bytes;
      }
    }
    if (stored !== groupBytes) {
      throw fail("SNNC105", `manifest weights use ${groupBytes} bytes but the shards hold ${stored}`, { file: modelPath, path },
        "the manifest and the shards do not belong together");
    }
    const stream = concat(shards.map((s) => readRegularFile(s.real, s.file, s.size)));
    if (stream.length !== groupBytes) throw fail("SNNC104", `the shards changed while being read (${stream.length} of ${groupBytes} bytes)`, { file: modelPath, path });
    let offset = 0;
    for (const e of entries) {
      out.push({ name: e.entry.name, shape: e.entry.shape, data: decode(stream, offset, e.count, e.entry) });
      offset += e.bytes;
    }
  });
  return out;
}

function parseEntry(w: Json, file: string, path: string): ManifestEntry {
  if (!isObject(w) || typeof w["name"] !== "string" || !Array.isArray(w["shape"])) {
    throw fail("SNNC101", "manifest weight entry needs name and shape", { file, path });
  }
  const shape = w["shape"];
  if (!shape.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0)) {
    throw fail("SNNC101", `weight ${truncateText(w["name"])} has a bad shape`, { file, path });
  }
  const q = w["quantization"];
  const entry: ManifestEntry = { name: w["name"], shape: shape as number[], dtype: typeof w["dtype"] === "string" ? w["dtype"] : "float32" };
  if (isObject(q) && typeof q["dtype"] === "string") {
    const quantization: { dtype: string; scale?: number; min?: number } = { dtype: q["dtype"] };
    if (typeof q["scale"] === "number") quantization.scale = q["scale"];
    if (typeof q["min"] === "number") quantization.min = q["min"];
    return { ...entry, quantization };
  }
  return entry;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1 && parts[0]) return parts[0];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function shardAt(shards: { file: string; size: number }[], streamByte: number): { file: string; byte: number } {
  const last = shards[shards.length - 1];
  return { file: last?.file ?? "?", byte: last ? streamByte - (shards.reduce((a, s) => a + s.size, 0) - last.size) : 0 };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function decode(stream: Uint8Array, offset: number, count: number, entry: ManifestEntry): Float32Array {
  const view = new DataView(stream.buffer, stream.byteOffset + offset, stream.byteLength - offset);
  const out = new Float32Array(count);
  const q = entry.quantization;
  if (!q) {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  const scale = q.scale ?? 1;
  const min = q.min ?? 0;
  switch (q.dtype) {
    case "uint8":
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i) * scale + min;
      return out;
    case "uint16":
      for (let i = 0; i < count; i++) out[i] = view.getUint16(2 * i, true) * scale + min;
      return out;
    case "float16":
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    default:
      throw fail("SNNC114", `quantisation dtype ${q.dtype} is not supported`, {}, "uint8, uint16 or float16");
  }
}

/** A weight source keyed by variable name: `<layer>/<suffix>`, or `.../<layer>/<suffix>` in a nested scope,
 * with Keras' `:0` tensor suffix ignored. */
export function namedWeightSource(tensors: readonly WeightTensor[], file: string): WeightSource {
  const byName = new Map<string, WeightTensor>();
  for (const t of tensors) byName.set(t.name.replace(/:\d+$/, ""), t);
  return {
    file,
    layerWeights(layer: LayerSpec, suffixes: readonly string[]): Map<string, WeightTensor> {
      const out = new Map<string, WeightTensor>();
      for (const s of suffixes) {
        const exact = byName.get(`${layer.name}/${s}`);
        if (exact) {
          out.set(s, exact);
          continue;
        }
        const nested = [...byName.entries()].filter(([n]) => n.endsWith(`/${layer.name}/${s}`));
        if (nested.length === 1 && nested[0]) out.set(s, nested[0][1]);
      }
      return out;
    },
  };
}
