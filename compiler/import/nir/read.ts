/**
 * @fileoverview Reads a `.nir` file (NIR's HDF5 layout) into a NirDocument, with h5wasm, sandboxed as the
 * Keras reader is (import/keras-h5.ts: HDF5 may open no other file).
 *
 * Layout (neuromorphs/NIR nir/serialization.py, read here by our own code):
 *   /version              string dataset (e.g. "1.0")
 *   /node                 group: the top graph
 *   <graph>/type          string "NIRGraph"; <graph>/nodes/<name> one group per node; <graph>/edges a string
 *                         dataset of shape [E, 2] (source, target); <graph>/metadata optional group
 *   <node>/type           string (Input, Output, Affine, ..., NIRGraph); its parameters as datasets named as
 *                         the NIR dataclass fields (weight, bias, tau, tau_mem, tau_syn, r, v_leak, v_threshold,
 *                         v_reset, w_in, shape, kernel_size, stride, padding, dilation, groups, start_dim, ...).
 * Errors name the node (its path in the file): not NIR (SNNC160), unknown type (SNNC161), a parameter
 * missing or of the wrong form (SNNC162), NaN or infinity (SNNC163).
 */
import { checkLimit, truncateText } from "../../../runtime/limits.ts";
import { fail, SnncError } from "../../diagnostics.ts";
import { decodeString, isDataset, isGroup, openH5, quietly, sandboxed } from "../keras-h5.ts";
import { type Metadata, NIR_TYPES, type NirDocument, type NirGraph, type NirNode, type NirType, type Padding, type Tensor } from "./types.ts";

type H5Group = Parameters<typeof isGroup>[0] & { keys(): string[]; get(name: string): unknown };

/** A dataset as read: numbers (float64) or strings, with its shape. */
type Value = { readonly shape: readonly number[]; readonly numbers: Float64Array | null; readonly strings: string[] | null };

export async function readNir(path: string): Promise<NirDocument> {
  return sandboxed(path, path, async () => {
    let f: Awaited<ReturnType<typeof openH5>>;
    try {
      f = await openH5(path, path);
    } catch (e) {
      if (e instanceof SnncError && e.code === "SNNC111") {
        throw fail("SNNC160", `not an HDF5 file, so not a NIR graph (${truncateText(e.message)})`, { file: path }, "write the graph with nir.write(path, graph) (NIR's HDF5 layout)");
      }
      throw e;
    }
    try {
      return quietly(() => {
        try {
          return readDocument(f as unknown as H5Group, path);
        } catch (e) {
          if (e instanceof SnncError) throw e;
          throw fail("SNNC160", `unreadable NIR content (${truncateText(String((e as Error).message ?? e).split("\n")[0] ?? "")})`, { file: path });
        }
      });
    } finally {
      quietly(() => f.close());
    }
  });
}

function readDocument(root: H5Group, file: string): NirDocument {
  const node = root.get("node");
  if (!isGroup(node)) {
    throw fail("SNNC160", "the HDF5 file has no /node group: it is not a NIR graph", { file },
      "write the graph with nir.write(path, graph) (NIR's HDF5 layout: /version and /node)");
  }
  const version = root.keys().includes("version") ? stringOf(readValue(root.get("version"), file, "/version"), file, "/version") : "unknown";
  const g = readNode(node as H5Group, file, "/node");
  if (g.type !== "NIRGraph") throw fail("SNNC160", `/node is a ${g.type} node, not a NIRGraph`, { file, path: "/node" }, "the top node of a NIR file is a graph");
  return { version, graph: g };
}

function readValue(x: unknown, file: string, at: string): Value {
  if (!isDataset(x)) throw fail("SNNC162", `${at} is not a dataset`, { file, path: at });
  const shape = [...(x.shape ?? [])];
  let n = 1;
  for (const d of shape) n *= d;
  checkLimit("tensorElements", n, { file, path: at }, `${truncateText(at)} elements`);
  const v: unknown = x.value;
  if (typeof v === "string") return { shape, numbers: null, strings: [v] };
  if (v instanceof Uint8Array && x.dtype !== "<B" && x.dtype !== "|u1" && typeof x.dtype === "string" && x.dtype.startsWith("S")) return { shape, numbers: null, strings: [decodeString(v)] };
  if (Array.isArray(v)) {
    if (v.every((e) => typeof e === "string" || e instanceof Uint8Array)) return { shape, numbers: null, strings: v.map(decodeString) };
    if (v.every((e) => typeof e === "number")) return { shape, numbers: Float64Array.from(v as number[]), strings: null };
    throw fail("SNNC162", `${at} holds values of an unsupported type`, { file, path: at });
  }
  if (typeof v === "number") return { shape, numbers: Float64Array.of(v), strings: null };
  if (typeof v === "bigint") return { shape, numbers: Float64Array.of(Number(v)), strings: null };
  if (typeof v === "boolean") return { shape, numbers: Float64Array.of(v ? 1 : 0), strings: null };
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return { shape, numbers: Float64Array.from(v, (b) => Number(b)), strings: null };
  if (ArrayBuffer.isView(v)) return { shape, numbers: Float64Array.from(v as unknown as ArrayLike<number>), strings: null };
  throw fail("SNNC162", `${at} holds values of an unsupported type`, { file, path: at });
}

function stringOf(v: Value, file: string, at: string): string {
  if (!v.strings || v.strings.length !== 1) throw fail("SNNC162", `${at} is not a string`, { file, path: at });
  return v.strings[0] as string;
}

function readMetadata(g: H5Group, file: string, at: string): Metadata {
  if (!g.keys().includes("metadata")) return {};
  const m = g.get("metadata");
  if (!isGroup(m)) return {};
  const out: Record<string, number | string> = {};
  for (const k of (m as H5Group).keys()) {
    const x = (m as H5Group).get(k);
    if (!isDataset(x)) continue;
    const v = readValue(x, file, `${at}/metadata/${k}`);
    if (v.strings && v.strings.length === 1) out[k] = v.strings[0] as string;
    else if (v.numbers && v.numbers.length === 1) out[k] = v.numbers[0] as number;
  }
  return out;
}

function readNode(g: H5Group, file: string, at: string): NirNode {
  const keys = g.keys();
  if (!keys.includes("type")) throw fail("SNNC160", `${at} has no type: not a NIR node`, { file, path: at }, "write the graph with nir.write (NIR's HDF5 layout)");
  const type = stringOf(readValue(g.get("type"), file, `${at}/type`), file, `${at}/type`);
  if (!(NIR_TYPES as readonly string[]).includes(type)) {
    throw fail("SNNC161", `node ${truncateText(nameOf(at))} has unknown NIR type "${truncateText(type)}"`, { file, layer: nameOf(at), path: at },
      `snnc reads ${NIR_TYPES.join(", ")}`);
  }
  const metadata = readMetadata(g, file, at);
  const has = (k: string) => keys.includes(k);
  const value = (k: string): Value => {
    if (!has(k)) throw fail("SNNC162", `node ${truncateText(nameOf(at))} (${type}) has no ${k}`, { file, layer: nameOf(at), path: `${at}/${k}` });
    return readValue(g.get(k), file, `${at}/${k}`);
  };
  const t = (k: string): Tensor => {
    const v = value(k);
    if (!v.numbers) throw fail("SNNC162", `${k} of node ${truncateText(nameOf(at))} is not numeric`, { file, layer: nameOf(at), path: `${at}/${k}` });
    for (const x of v.numbers) {
      if (!Number.isFinite(x)) {
        throw fail("SNNC163", `${k} of node ${truncateText(nameOf(at))} (${type}) holds ${x}`, { file, layer: nameOf(at), path: `${at}/${k}` },
          "NIR parameters must be finite numbers; re-export the trained network");
      }
    }
    return { shape: v.shape, data: v.numbers };
  };
  const ints = (k: string, dims: number, fallback?: number[]): number[] => {
    if (!has(k) && fallback) return fallback;
    const x = t(k);
    const a = [...x.data].map((v) => Math.round(v));
    if (a.some((v, i) => v !== x.data[i])) throw fail("SNNC162", `${k} of node ${truncateText(nameOf(at))} is not an integer`, { file, layer: nameOf(at), path: `${at}/${k}` });
    return a.length === 1 && dims > 1 ? Array.from({ length: dims }, () => a[0] as number) : a;
  };
  const scalarInt = (k: string, fallback: number): number => (has(k) ? (ints(k, 1)[0] ?? fallback) : fallback);
  const vReset = (like: Tensor): Tensor => (has("v_reset") ? t("v_reset") : { shape: like.shape, data: new Float64Array(like.data.length) });
  const nt = type as NirType;
  switch (nt) {
    case "Input":
      return { type: nt, shape: ints("shape", 1), metadata };
    case "Output":
      return { type: nt, shape: has("shape") ? ints("shape", 1) : null, metadata };
    case "Affine":
      return { type: nt, weight: t("weight"), bias: t("bias"), metadata };
    case "Linear":
      return { type: nt, weight: t("weight"), metadata };
    case "Scale":
      return { type: nt, scale: t("scale"), metadata };
    case "Conv1d":
    case "Conv2d": {
      const dims = nt === "Conv1d" ? 1 : 2;
      const weight = t("weight");
      let padding: Padding;
      const pv = value("padding");
      if (pv.strings) {
        const s = pv.strings[0];
        if (s !== "same" && s !== "valid") throw fail("SNNC162", `padding of node ${truncateText(nameOf(at))} is "${truncateText(String(s))}" (same, valid or integers)`, { file, layer: nameOf(at) });
        padding = s;
      } else padding = ints("padding", dims);
      const bias = has("bias") ? t("bias") : { shape: [weight.shape[0] ?? 0], data: new Float64Array(weight.shape[0] ?? 0) };
      return {
        type: nt, weight, bias, stride: ints("stride", dims, Array(dims).fill(1)), padding, dilation: ints("dilation", dims, Array(dims).fill(1)),
        groups: scalarInt("groups", 1), inputShape: has("input_shape") ? ints("input_shape", dims) : null, metadata,
      };
    }
    case "Flatten":
      return { type: nt, startDim: scalarInt("start_dim", 1), endDim: scalarInt("end_dim", -1), inputType: has("input_type") ? readShapeOrGroup(g, "input_type", file, at) : null, metadata };
    case "SumPool2d":
    case "AvgPool2d":
      return { type: nt, kernel: ints("kernel_size", 2), stride: ints("stride", 2), padding: ints("padding", 2, [0, 0]), metadata };
    case "IF": {
      const vThreshold = t("v_threshold");
      return { type: nt, r: t("r"), vThreshold, vReset: vReset(vThreshold), metadata };
    }
    case "LIF": {
      const vThreshold = t("v_threshold");
      return { type: nt, tau: t("tau"), r: t("r"), vLeak: t("v_leak"), vThreshold, vReset: vReset(vThreshold), metadata };
    }
    case "CubaLIF": {
      const vThreshold = t("v_threshold");
      return {
        type: nt, tauMem: t("tau_mem"), tauSyn: t("tau_syn"), r: t("r"), vLeak: t("v_leak"), vThreshold, vReset: vReset(vThreshold),
        wIn: has("w_in") ? t("w_in") : { shape: vThreshold.shape, data: new Float64Array(vThreshold.data.length).fill(1) }, metadata,
      };
    }
    case "LI":
      return { type: nt, tau: t("tau"), r: t("r"), vLeak: t("v_leak"), metadata };
    case "CubaLI": {
      const vLeak = t("v_leak");
      return {
        type: nt, tauMem: t("tau_mem"), tauSyn: t("tau_syn"), r: t("r"), vLeak,
        wIn: has("w_in") ? t("w_in") : { shape: vLeak.shape, data: new Float64Array(vLeak.data.length).fill(1) }, metadata,
      };
    }
    case "I":
      return { type: nt, r: t("r"), metadata };
    case "Threshold":
      return { type: nt, threshold: t("threshold"), metadata };
    case "Delay":
      return { type: nt, delay: t("delay"), metadata };
    case "NIRGraph":
      return readGraph(g, file, at, metadata);
  }
}

/** Flatten's input_type: a dataset (nir.write) or a group {input: dataset} (dataclass dicts). */
function readShapeOrGroup(g: H5Group, k: string, file: string, at: string): number[] | null {
  let x = g.get(k);
  if (isGroup(x)) x = (x as H5Group).keys().includes("input") ? (x as H5Group).get("input") : null;
  if (!isDataset(x)) return null;
  const v = readValue(x, file, `${at}/${k}`);
  return v.numbers ? [...v.numbers].map((d) => Math.round(d)) : null;
}

function readGraph(g: H5Group, file: string, at: string, metadata: Metadata): NirGraph {
  const nodesGroup = g.keys().includes("nodes") ? g.get("nodes") : null;
  if (!isGroup(nodesGroup)) throw fail("SNNC160", `graph ${truncateText(nameOf(at))} has no nodes group`, { file, path: at });
  const nodes = new Map<string, NirNode>();
  for (const k of (nodesGroup as H5Group).keys()) {
    const child = (nodesGroup as H5Group).get(k);
    if (!isGroup(child)) throw fail("SNNC160", `${at}/nodes/${truncateText(k)} is not a group: not a NIR node`, { file, path: `${at}/nodes/${k}` });
    nodes.set(k, readNode(child as H5Group, file, `${at}/nodes/${k}`));
  }
  const edges: [string, string][] = [];
  if (g.keys().includes("edges")) {
    const v = readValue(g.get("edges"), file, `${at}/edges`);
    const s = v.strings ?? [];
    if ((v.numbers && v.numbers.length > 0) || s.length % 2 !== 0) throw fail("SNNC165", `edges of graph ${truncateText(nameOf(at))} are not pairs of node names`, { file, path: `${at}/edges` });
    for (let i = 0; i < s.length; i += 2) edges.push([s[i] as string, s[i + 1] as string]);
  }
  return { type: "NIRGraph", nodes, edges, metadata };
}

/** The node's name for messages: its path with the /nodes/ levels dropped (a.b for node b of subgraph a). */
function nameOf(at: string): string {
  const parts = at.split("/").filter((p) => p !== "" && p !== "nodes");
  if (parts[0] === "node") parts.shift();
  return parts.length ? parts.join(".") : "(top graph)";
}
