// Builds dist/: the compiler, runtime and back ends compiled to JavaScript (tsc, type-checking left to
// `npm run typecheck`), then a stamp file whose time compiler/cli/snnc.js compares with the sources' to
// notice a stale build. Run by `npm ci` / `npm install` (the `prepare` script) and `npm run build`.
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
rmSync(join(root, "dist"), { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json"), "--noCheck"], { stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);
writeFileSync(join(root, "dist", ".stamp"), `${new Date().toISOString()}\n`);
