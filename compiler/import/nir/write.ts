/**
 * @fileoverview NirDocument → the bytes of a `.nir` file (NIR's HDF5 layout, the one import/nir/read.ts
 * reads and nir.read loads), written with h5wasm.
 *
 * Layout written: /version (string), /node the top graph: type "NIRGraph", nodes/<name> (type + parameters
 * as float64 datasets named as NIR's dataclass fields, integers as int64), edges ([E, 2] strings), metadata
 * (only when not empty). h5wasm writes through the file system, so the file goes to a private temporary
 * folder and its bytes are returned (the caller writes them atomically with the other outputs).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import h5wasm from "h5wasm/node";
import { assertNever } from "../../diagnostics.ts";
import type { Metadata, NirDocument, NirGraph, NirNode, Tensor } from "./types.ts";

type H5Group = InstanceType<typeof h5wasm.Group>;

export async function writeNirBytes(doc: NirDocument): Promise<Uint8Array> {
  await h5wasm.ready;
  const dir = mkdtempSync(join(tmpdir(), "snnc-nir-"));
  const path = join(dir, "network.nir");
  try {
    const f = new h5wasm.File(path, "w");
    try {
      f.create_dataset({ name: "version", data: doc.version });
      writeNode(f.create_group("node"), doc.graph);
    } finally {
      f.close();
    }
    return new Uint8Array(readFileSync(path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function floats(g: H5Group, name: string, t: Tensor): void {
  // float64: time constants and gains survive the round trip exactly (weights are float32 values already).
  g.create_dataset({ name, data: Float64Array.from(t.data), shape: [...t.shape] });
}

function ints(g: H5Group, name: string, v: readonly number[], scalar = false): void {
  const data = BigInt64Array.from(v.map((x) => BigInt(Math.round(x))));
  g.create_dataset({ name, data, shape: scalar ? [] : [v.length] });
}

function metadata(g: H5Group, m: Metadata): void {
  const keys = Object.keys(m);
  if (keys.length === 0) return;
  const mg = g.create_group("metadata");
  for (const k of keys) {
    const v = m[k] as number | string;
    if (typeof v === "string") mg.create_dataset({ name: k, data: v });
    else mg.create_dataset({ name: k, data: Float64Array.of(v), shape: [] });
  }
}

function writeNode(g: H5Group, n: NirNode): void {
  g.create_dataset({ name: "type", data: n.type });
  metadata(g, n.metadata);
  switch (n.type) {
    case "Input":
      ints(g, "shape", n.shape);
      return;
    case "Output":
      if (n.shape) ints(g, "shape", n.shape);
      return;
    case "Affine":
      floats(g, "weight", n.weight);
      floats(g, "bias", n.bias);
      return;
    case "Linear":
      floats(g, "weight", n.weight);
      return;
    case "Scale":
      floats(g, "scale", n.scale);
      return;
    case "Conv1d":
    case "Conv2d":
      floats(g, "weight", n.weight);
      floats(g, "bias", n.bias);
      ints(g, "stride", n.stride);
      if (typeof n.padding === "string") g.create_dataset({ name: "padding", data: n.padding });
      else ints(g, "padding", n.padding);
      ints(g, "dilation", n.dilation);
      ints(g, "groups", [n.groups], true);
      if (n.inputShape) ints(g, "input_shape", n.inputShape);
      return;
    case "Flatten":
      ints(g, "start_dim", [n.startDim], true);
      ints(g, "end_dim", [n.endDim], true);
      if (n.inputType) ints(g, "input_type", n.inputType);
      return;
    case "SumPool2d":
    case "AvgPool2d":
      ints(g, "kernel_size", n.kernel);
      ints(g, "stride", n.stride);
      ints(g, "padding", n.padding);
      return;
    case "IF":
      floats(g, "r", n.r);
      floats(g, "v_threshold", n.vThreshold);
      floats(g, "v_reset", n.vReset);
      return;
    case "LIF":
      floats(g, "tau", n.tau);
      floats(g, "r", n.r);
      floats(g, "v_leak", n.vLeak);
      floats(g, "v_threshold", n.vThreshold);
      floats(g, "v_reset", n.vReset);
      return;
    case "CubaLIF":
      floats(g, "tau_mem", n.tauMem);
      floats(g, "tau_syn", n.tauSyn);
      floats(g, "r", n.r);
      floats(g, "v_leak", n.vLeak);
      floats(g, "v_threshold", n.vThreshold);
      floats(g, "v_reset", n.vReset);
      floats(g, "w_in", n.wIn);
      return;
    case "LI":
      floats(g, "tau", n.tau);
      floats(g, "r", n.r);
      floats(g, "v_leak", n.vLeak);
      return;
    case "CubaLI":
      floats(g, "tau_mem", n.tauMem);
      floats(g, "tau_syn", n.tauSyn);
      floats(g, "r", n.r);
      floats(g, "v_leak", n.vLeak);
      floats(g, "w_in", n.wIn);
      return;
    case "I":
      floats(g, "r", n.r);
      return;
    case "Threshold":
      floats(g, "threshold", n.threshold);
      return;
    case "Delay":
      floats(g, "delay", n.delay);
      return;
    case "NIRGraph":
      writeGraph(g, n);
      return;
    default:
      assertNever(n, "NIR node");
  }
}

function writeGraph(g: H5Group, n: NirGraph): void {
  const nodes = g.create_group("nodes");
  for (const [name, child] of n.nodes) writeNode(nodes.create_group(name), child);
  g.create_dataset({ name: "edges", data: n.edges.flatMap(([a, b]) => [a, b]), shape: [n.edges.length, 2] });
}
