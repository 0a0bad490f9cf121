/**
 * @fileoverview Loading a compiled network for `run`, `verify`, `inspect` and `report`: a directory written by
 * `snnc compile` or a network.snnb file.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { decodeBinary } from "../../runtime/format/reader.ts";
import type { DecodedBinary } from "../../runtime/format/decoded.ts";
import { fail } from "../diagnostics.ts";
import { readRegularFile } from "../util/safe-path.ts";

/** Largest placement binary read (a device or a huge file is refused from its stat, before reading). */
const BINARY_MAX_BYTES = 2 ** 31 - 1;

export interface LoadedBinary {
  readonly path: string;
  readonly dir: string | null;
  readonly bytes: Uint8Array;
  readonly decoded: DecodedBinary;
}

export function binaryPath(dirOrFile: string): { file: string; dir: string | null } {
  if (!existsSync(dirOrFile)) throw fail("SNNC001", `${dirOrFile} not found`, { file: dirOrFile }, "give the output directory of snnc compile or a network.snnb file");
  if (statSync(dirOrFile).isDirectory()) {
    const file = join(dirOrFile, "network.snnb");
    if (!existsSync(file)) throw fail("SNNC001", `no network.snnb in ${dirOrFile}`, { file: dirOrFile }, "compile first: snnc compile <model> --target <target> -o DIR");
    return { file, dir: dirOrFile };
  }
  return { file: dirOrFile, dir: null };
}

export function loadBinary(dirOrFile: string): LoadedBinary {
  const { file, dir } = binaryPath(dirOrFile);
  const bytes = readRegularFile(file, file, BINARY_MAX_BYTES, "SNNC501");
  try {
    return { path: file, dir, bytes, decoded: decodeBinary(bytes) };
  } catch (e) {
    const err = e as { loc?: { file?: string } };
    if (err && typeof err === "object" && err.loc && !err.loc.file) (err.loc as { file?: string }).file = file;
    throw e;
  }
}
