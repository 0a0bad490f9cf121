/**
 * @fileoverview Output folders. `checkWritable` proves, before any work, that a folder can be created and
 * written (a file in the way, /proc, /sys, no permission → SNNC002 at once, not after a long compile).
 * `writeAtomically` writes every file of a command complete into a temporary folder next to the destination,
 * then renames them into place, so a failure never leaves a half-written file. Folders are created one level
 * at a time (never `mkdirSync(..., { recursive: true })`, which spins for ever on procfs on Node 20).
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fail } from "../diagnostics.ts";

const HINT = "choose another output folder with -o DIR (one you can write, not under /proc or /sys)";

/** The nearest existing folder at or above `abs`, and the missing folders below it (outermost first). */
function existingAncestor(abs: string): { base: string; missing: string[] } {
  const missing: string[] = [];
  let p = abs;
  while (!existsSync(p)) {
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  return { base: p, missing };
}

/** Creates `abs` and its missing parents one level at a time; errors name the folder that failed. */
function makeDirs(abs: string): void {
  const { base, missing } = existingAncestor(abs);
  if (!statSync(base).isDirectory()) throw fail("SNNC002", `cannot create ${abs}: ${base} is a file, not a folder`, { file: abs }, HINT);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw fail("SNNC002", `cannot create ${d} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: d }, HINT);
    }
  }
}

/** Fails at once (SNNC002 with a hint) unless `dir` is, or can be created as, a folder snnc can write into. */
export function checkWritable(dir: string): void {
  const abs = resolve(dir);
  const { base } = existingAncestor(abs);
  if (!statSync(base).isDirectory()) {
    throw fail("SNNC002", base === abs ? `cannot write into ${dir}: it is a file, not a folder` : `cannot create ${dir}: ${base} is a file, not a folder`, { file: dir }, HINT);
  }
  let probe: string;
  try {
    probe = mkdtempSync(join(base, ".snnc-write-check-"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw fail("SNNC002", base === abs ? `cannot write into ${dir} (${why})` : `cannot create ${dir}: cannot write into ${base} (${why})`, { file: dir }, HINT);
  }
  rmSync(probe, { recursive: true, force: true });
}

/** `abs` relative to the current folder (`build/cnn-loihi/report.json`), absolute if it lies outside it. */
export function displayPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel === "" ? "." : rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? abs : rel;
}

export function writeAtomically(dir: string, files: ReadonlyMap<string, Uint8Array | string>): string[] {
  const target = resolve(dir);
  const parent = dirname(target);
  makeDirs(parent);
  let tmp: string;
  try {
    tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
  } catch (e) {
    throw fail("SNNC002", `cannot write into ${parent} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: parent }, HINT);
  }
  const written: string[] = [];
  try {
    for (const [name, data] of files) {
      const p = join(tmp, name);
      makeDirs(dirname(p));
      writeFileSync(p, data);
    }
    makeDirs(target);
    for (const name of files.keys()) {
      const dst = join(target, name);
      makeDirs(dirname(dst));
      if (existsSync(dst)) rmSync(dst, { force: true });
      renameSync(join(tmp, name), dst);
      written.push(dst);
    }
  } catch (e) {
    throw fail("SNNC002", `cannot write into ${target} (${(e as Error).message})`, { file: target }, HINT);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return written;
}
