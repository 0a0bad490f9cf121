/**
 * @fileoverview A model's files as one blob for the workers of a sweep: the model file and, for a TF.js
 * model.json, the weight shards it names; unpacked into a directory on the worker.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { deserialize, serialize } from "../ir/serialize.ts";

interface Bundle {
  readonly modelFile: string;
  readonly files: readonly { readonly name: string; readonly bytes: Uint8Array }[];
}

export function bundleModel(path: string): { bytes: Uint8Array; modelFile: string } {
  const modelFile = basename(path);
  const files = [{ name: modelFile, bytes: new Uint8Array(readFileSync(path)) }];
  if (path.endsWith(".json")) {
    try {
      const json = JSON.parse(readFileSync(path, "utf8")) as { weightsManifest?: { paths?: string[] }[] };
      for (const g of json.weightsManifest ?? []) {
        for (const p of g.paths ?? []) files.push({ name: p, bytes: new Uint8Array(readFileSync(join(dirname(path), p))) });
      }
    } catch {
      // a bad model.json travels as it is; the worker's compile reports it
    }
  }
  return { bytes: serialize({ modelFile, files } satisfies Bundle), modelFile };
}

/** Writes the bundle's files into `dir`; returns the model file's path. */
export function unpackModel(bytes: Uint8Array, dir: string): string {
  const b = deserialize<Bundle>(bytes);
  for (const f of b.files) {
    if (f.name.includes("..") || f.name.startsWith("/")) continue;
    mkdirSync(dirname(join(dir, f.name)), { recursive: true });
    writeFileSync(join(dir, f.name), f.bytes);
  }
  return join(dir, b.modelFile);
}
