/**
 * @fileoverview Atomic output: every file of a command is first written complete into a temporary directory
 * next to the destination, then renamed into place, so a failure never leaves a half-written file.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fail } from "../diagnostics.ts";

export function writeAtomically(dir: string, files: ReadonlyMap<string, Uint8Array | string>): string[] {
  const target = resolve(dir);
  const parent = dirname(target);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw fail("SNNC002", `cannot create ${parent} (${(e as Error).message})`, { file: parent });
  }
  const tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
  const written: string[] = [];
  try {
    for (const [name, data] of files) {
      const p = join(tmp, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, data);
    }
    mkdirSync(target, { recursive: true });
    for (const name of files.keys()) {
      const dst = join(target, name);
      mkdirSync(dirname(dst), { recursive: true });
      if (existsSync(dst)) rmSync(dst, { force: true });
      renameSync(join(tmp, name), dst);
      written.push(dst);
    }
  } catch (e) {
    throw fail("SNNC002", `cannot write into ${target} (${(e as Error).message})`, { file: target });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return written;
}
