/**
 * @fileoverview Hand-made NIR graphs for tests: tiny feed-forward, recurrent and nested networks built as
 * NirDocuments (deterministic weights from a seeded generator), written to `.nir` files with snnc's own
 * writer, plus matching .npy data (images in [0, 1], labels 0..classes−1).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeNpy } from "../../compiler/data/npy.ts";
import { type Metadata, type NirDocument, type NirGraph, type NirNode, type Tensor, tensor } from "../../compiler/import/nir/types.ts";
import { writeNirBytes } from "../../compiler/import/nir/write.ts";
import { seededRng } from "../../compiler/util/rng.ts";

export const full = (shape: readonly number[], v: number): Tensor => tensor(shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(v));

export function randomTensor(shape: readonly number[], scale: number, seed: number): Tensor {
  const rng = seededRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(shape, Array.from({ length: n }, () => (rng() * 2 - 1) * scale));
}

export function graph(nodes: Record<string, NirNode>, edges: [string, string][], metadata: Metadata = {}): NirGraph {
  return { type: "NIRGraph", nodes: new Map(Object.entries(nodes)), edges, metadata };
}

export const lif = (n: number, tau: number, r: number, th = 1): NirNode => ({ type: "LIF", tau: full([n], tau), r: full([n], r), vLeak: full([n], 0), vThreshold: full([n], th), vReset: full([n], 0), metadata: {} });
export const cubaLif = (n: number, tauMem: number, tauSyn: number, dt: number, th = 1): NirNode => ({
  type: "CubaLIF", tauMem: full([n], tauMem), tauSyn: full([n], tauSyn), r: full([n], tauMem / dt), vLeak: full([n], 0), vThreshold: full([n], th),
  vReset: full([n], 0), wIn: full([n], tauSyn / dt), metadata: {},
});
export const li = (n: number, tau: number, dt: number): NirNode => ({ type: "LI", tau: full([n], tau), r: full([n], tau / dt), vLeak: full([n], 0), metadata: {} });
export const affine = (out: number, inn: number, scale: number, seed: number, bias = 0): NirNode => ({ type: "Affine", weight: randomTensor([out, inn], scale, seed), bias: full([out], bias), metadata: {} });
export const linear = (out: number, inn: number, scale: number, seed: number): NirNode => ({ type: "Linear", weight: randomTensor([out, inn], scale, seed), metadata: {} });

/** Input [16] → Affine → LIF(12) → Affine → LIF(4) → Output (dt 1 ms in the metadata). */
export function feedForwardLif(): NirDocument {
  return {
    version: "1.0",
    graph: graph({
      input: { type: "Input", shape: [16], metadata: {} },
      fc1: affine(12, 16, 0.6, 1, 0.02),
      lif1: lif(12, 0.005, 5),
      fc2: affine(4, 12, 0.8, 2),
      lif2: lif(4, 0.01, 10),
      output: { type: "Output", shape: [4], metadata: {} },
    }, [["input", "fc1"], ["fc1", "lif1"], ["lif1", "fc2"], ["fc2", "lif2"], ["lif2", "output"]], { dt: 0.001 }),
  };
}

/** Input [16] → Linear → CubaLIF(10) ⟲ Linear (recurrent) → Linear → LI(4) → Output. */
export function recurrentCubaLif(dt = 0.001): NirDocument {
  return {
    version: "1.0",
    graph: graph({
      input: { type: "Input", shape: [16], metadata: {} },
      w_in: linear(10, 16, 0.9, 3),
      rec: cubaLif(10, 0.004, 0.002, dt),
      w_rec: linear(10, 10, 0.5, 4),
      w_out: linear(4, 10, 0.7, 5),
      readout: li(4, 0.008, dt),
      output: { type: "Output", shape: [4], metadata: {} },
    }, [["input", "w_in"], ["w_in", "rec"], ["rec", "w_rec"], ["w_rec", "rec"], ["rec", "w_out"], ["w_out", "readout"], ["readout", "output"]], { dt }),
  };
}

/** The feed-forward net with its hidden layer inside a subgraph `block` (Input → Affine → LIF → Output). */
export function nestedLif(): NirDocument {
  const block = graph({
    in: { type: "Input", shape: [16], metadata: {} },
    fc: affine(12, 16, 0.6, 1, 0.02),
    lif: lif(12, 0.005, 5),
    out: { type: "Output", shape: [12], metadata: {} },
  }, [["in", "fc"], ["fc", "lif"], ["lif", "out"]]);
  return {
    version: "1.0",
    graph: graph({
      input: { type: "Input", shape: [16], metadata: {} },
      block,
      fc2: affine(4, 12, 0.8, 2),
      lif2: lif(4, 0.01, 10),
      output: { type: "Output", shape: [4], metadata: {} },
    }, [["input", "block"], ["block", "fc2"], ["fc2", "lif2"], ["lif2", "output"]], { dt: 0.001 }),
  };
}

export async function writeNirFile(doc: NirDocument, dir = mkdtempSync(join(tmpdir(), "snnc-nir-test-")), name = "net.nir"): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, await writeNirBytes(doc));
  return path;
}

/** x.npy [count, per] uniform in [0, 1] and y.npy labels in [0, classes); returns the folder. */
export function writeData(per: number, count: number, classes: number, seed: number, dir = mkdtempSync(join(tmpdir(), "snnc-nir-data-"))): string {
  const rng = seededRng(seed);
  const x = Float32Array.from({ length: per * count }, () => rng());
  const y = Int32Array.from({ length: count }, () => Math.floor(rng() * classes));
  writeFileSync(join(dir, "x.npy"), writeNpy([count, per], x));
  writeFileSync(join(dir, "y.npy"), writeNpy([count], y));
  return dir;
}

/** Binary event frames x.npy [count, frames, per] (p = 0.3) and labels y.npy; returns the folder. */
export function writeEventData(per: number, frames: number, count: number, classes: number, seed: number, dir = mkdtempSync(join(tmpdir(), "snnc-nir-ev-"))): string {
  const rng = seededRng(seed);
  const x = Uint8Array.from({ length: per * frames * count }, () => (rng() < 0.3 ? 1 : 0));
  const y = Int32Array.from({ length: count }, () => Math.floor(rng() * classes));
  writeFileSync(join(dir, "x.npy"), writeNpy([count, frames, per], x));
  writeFileSync(join(dir, "y.npy"), writeNpy([count], y));
  return dir;
}
