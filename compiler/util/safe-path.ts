/**
 * @fileoverview Opening a file that another file names (a weight shard of model.json, a labels file next to
 * an images file, ...), safely. Every loader that follows a path written inside a user's file goes through
 * `resolveInside` (and `readRegularFile` to read it); the ONNX importer's external-data files must too.
 *
 * Rules, checked before a single byte is read:
 *   - the named path is relative and, with every symlink resolved (realpath), lies inside the folder of the
 *     file that names it (`../../etc/passwd`, `/dev/zero`, a symlink out of the folder: SNNC118);
 *   - it is a regular file (a directory, a device, a FIFO: SNNC118, never EISDIR or a read until memory ends);
 *   - when the naming file implies a size (a manifest's byte count), the file has at most that size
 *     (`maxBytes`), so a huge file is refused from its stat, not after reading it.
 * Paths given on the command line by the user are the user's own choice and are not confined; they still go
 * through `readRegularFile` so that a directory or device is a coded error.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { truncateText } from "../../runtime/limits.ts";
import { type DiagnosticCode, fail } from "../diagnostics.ts";

export interface NamedBy {
  /** The file whose content names the path (for messages). */
  readonly file: string;
  /** JSON path (or similar) of the name inside that file. */
  readonly path?: string;
}

/**
 * Resolves `name` (as written inside `by.file`) against `folder` and checks that it stays inside it.
 * Returns the real path, or null when nothing exists there (the caller reports its own "missing" code).
 */
export function resolveInside(folder: string, name: string, by: NamedBy): string | null {
  const shown = truncateText(name);
  if (name.length === 0 || name.includes("\0") || isAbsolute(name) || /^[a-zA-Z]:[\\/]/.test(name)) {
    throw fail("SNNC118", `path "${shown}" is not a relative path inside the model's folder`, { file: by.file, ...(by.path ? { path: by.path } : {}) },
      "files named by a model must sit in its folder (or below it)");
  }
  const root = realpathSync(folder);
  const candidate = resolve(root, name);
  if (!within(root, candidate)) {
    throw fail("SNNC118", `path "${shown}" leaves the model's folder`, { file: by.file, ...(by.path ? { path: by.path } : {}) },
      "files named by a model must sit in its folder (or below it)");
  }
  if (!existsSync(candidate)) return null;
  const real = realpathSync(candidate);
  if (!within(root, real)) {
    throw fail("SNNC118", `path "${shown}" is a symbolic link that leaves the model's folder`, { file: by.file, ...(by.path ? { path: by.path } : {}) },
      "copy the file into the model's folder instead of linking it");
  }
  return real;
}

function within(root: string, p: string): boolean {
  const r = relative(root, p);
  return r === "" ? false : !r.startsWith(`..${sep}`) && r !== ".." && !isAbsolute(r);
}

/** Size of a path that must be a regular file (SNNC118 / `code` otherwise). */
export function regularFileSize(path: string, shownAs: string, code: DiagnosticCode = "SNNC118"): number {
  const st = statSync(path);
  if (!st.isFile()) {
    const kind = st.isDirectory() ? "a directory" : "not a regular file (a device, FIFO or socket)";
    throw fail(code, `expected a file, "${truncateText(shownAs)}" is ${kind}`, { file: shownAs }, "give a regular file");
  }
  return st.size;
}

/**
 * Reads a regular file of at most `maxBytes` bytes (checked from the open descriptor's stat, so the file
 * cannot be swapped for another between the check and the read). Directories, devices and larger files are
 * `code` errors, raised before anything is read.
 */
export function readRegularFile(path: string, shownAs: string, maxBytes: number, code: DiagnosticCode = "SNNC118"): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    const c = (e as NodeJS.ErrnoException).code;
    if (c === "EISDIR") throw fail(code, `expected a file, "${truncateText(shownAs)}" is a directory`, { file: shownAs }, "give a regular file");
    if (c === "ENOENT") throw fail("SNNC001", "file not found", { file: shownAs });
    throw fail(code, `cannot open "${truncateText(shownAs)}" (${c ?? (e as Error).message})`, { file: shownAs });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isDirectory() ? "a directory" : "not a regular file (a device, FIFO or socket)";
      throw fail(code, `expected a file, "${truncateText(shownAs)}" is ${kind}`, { file: shownAs }, "give a regular file");
    }
    if (st.size > maxBytes) {
      throw fail(code, `"${truncateText(shownAs)}" has ${st.size} bytes, more than the ${maxBytes} expected`, { file: shownAs },
        "the file does not belong to the model (or is damaged): re-export it");
    }
    const out = new Uint8Array(st.size);
    let off = 0;
    while (off < out.length) {
      const n = readSync(fd, out, off, out.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === out.length ? out : out.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}
