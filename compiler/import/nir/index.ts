/**
 * @fileoverview The `.nir` entry points the pipeline uses: is this a NIR file, read it (sandboxed HDF5), the
 * per-sample input shape its data must have, and the time step that discretises it.
 *
 * dt: the top graph's metadata `dt` (a number) when present, else `--dt`; neither is SNNC169. Both present
 * and different: the file's wins, with SNNC-W164 saying so (the graph was trained at its own dt).
 */
import { existsSync, statSync } from "node:fs";
import { extname } from "node:path";
import { fail, type Warning } from "../../diagnostics.ts";
import type { Shape } from "../../ir/ann.ts";
import type { FlatNir } from "./flatten.ts";
import { popShape } from "./lower.ts";
import { readNir } from "./read.ts";
import type { NirDocument, NirGraph } from "./types.ts";

export function isNirFile(path: string): boolean {
  return extname(path).toLowerCase() === ".nir";
}

export async function importNir(path: string): Promise<NirDocument> {
  if (!existsSync(path)) throw fail("SNNC001", `model file ${path} not found`, { file: path }, "give a NIR graph (.nir)");
  if (!statSync(path).isFile()) throw fail("SNNC001", "the model path is not a regular file", { file: path }, "give a NIR graph (.nir)");
  return readNir(path);
}

/** The data's per-sample shape: [N] for a vector Input, else the NHWC form of the Input's [C, H, W]. */
export function nirInputShape(g: NirGraph, file: string): Shape {
  for (const [name, n] of g.nodes) {
    if (n.type === "Input") return n.shape.length === 1 ? [...n.shape] : [...popShape(n.shape, file, name)];
  }
  throw fail("SNNC167", "the graph has no Input node", { file }, "a NIR graph needs one Input node");
}

export function nirTimeStep(flat: FlatNir, given: number | undefined, file: string, warn?: (w: Warning) => void): number {
  const meta = flat.metadata.dt;
  if (typeof meta === "number") {
    if (!(meta > 0) || !Number.isFinite(meta)) throw fail("SNNC168", `the file's metadata gives dt = ${meta}`, { file, path: "/node/metadata/dt" }, "dt must be a positive number");
    if (given !== undefined && given !== meta) {
      warn?.({ code: "SNNC-W164", message: `the file's metadata gives dt = ${meta}; --dt ${given} is ignored`, loc: { file } });
    }
    return meta;
  }
  if (given === undefined) {
    throw fail("SNNC169", "the NIR graph's metadata has no dt, and --dt was not given", { file },
      "give the time step the network was trained with: --dt 0.001 (in the unit of its time constants)");
  }
  return given;
}
