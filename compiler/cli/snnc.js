#!/usr/bin/env node
// snnc command-line entry. Runs the compiled JavaScript in dist/ (built by `npm ci` through the `prepare`
// script, or `npm run build`); when dist/ is missing or older than a TypeScript source, or SNNC_TSX=1, it runs
// the TypeScript sources through tsx instead (slower start, always current). All logic lives in main.ts.
import { existsSync, readdirSync, statSync } from "node:fs";

const root = new URL("../../", import.meta.url);
const stamp = new URL("dist/.stamp", root);

/** Newest modification time (ms) of the .ts files under the source folders, stopping early above `limit`. */
function newestSource(limit) {
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (newest > limit) return;
      if (e.isDirectory()) walk(new URL(`${e.name}/`, dir));
      else if (e.name.endsWith(".ts")) newest = Math.max(newest, statSync(new URL(e.name, dir)).mtimeMs);
    }
  };
  for (const d of ["compiler/", "runtime/", "backends/"]) if (existsSync(new URL(d, root))) walk(new URL(d, root));
  return newest;
}

function useDist() {
  if (process.env.SNNC_TSX === "1" || !existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  if (newestSource(built) <= built) return true;
  process.stderr.write("snnc: a source file is newer than dist/, running the sources through tsx (npm run build refreshes dist/)\n");
  return false;
}

let main;
if (useDist()) ({ main } = await import(new URL("dist/compiler/cli/main.js", root).href));
else {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("./main.ts"));
}
process.exitCode = await main(process.argv.slice(2));
