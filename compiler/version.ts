/**
 * @fileoverview snnc's version, read from package.json (one source of truth), and the package's root folder
 * (where package.json and targets/ are), found the same way from the TypeScript sources (compiler/) and from
 * the compiled JavaScript (dist/compiler/).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The nearest folder above this module holding snnc's package.json. */
export const PACKAGE_ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "snnc") return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("internal: snnc's package.json not found above " + fileURLToPath(import.meta.url));
    dir = up;
  }
})();

export const SNNC_VERSION: string = (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;
