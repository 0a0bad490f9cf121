// Builds dist/: the compiler, runtime and back ends compiled to JavaScript (tsc, type-checking left to
// `npm run typecheck`), then a stamp file whose time compiler/cli/snnc.js compares with the sources' to
// notice a stale build; then the emulator's WebAssembly kernels (AssemblyScript, dist/wasm/emulator.wasm); then the standalone emulator's bundle, hoisted, type-checked and transpiled once
// (dist/emulator-bundle.json, used by `emulator-gen` while its sources are unchanged). Run by `npm ci` / `npm install` (the `prepare` script) and `npm run build`.
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
rmSync(join(root, "dist"), { recursive: true, force: true });
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
} catch {
  // Installed without devDependencies (npm ci --omit=dev): no tsc, so no dist/; snnc runs the sources with tsx.
  console.warn("snnc: typescript is not installed, dist/ not built; snnc will run its TypeScript sources through tsx");
  process.exit(0);
}
const r = spawnSync(process.execPath, [tsc, "-p", join(root, "compiler", "tsconfig.build.json"), "--noCheck"], { stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);
writeFileSync(join(root, "dist", ".stamp"), `${new Date().toISOString()}\n`);
// The emulator's WebAssembly SIMD kernels (runtime/wasm/emulator.as.ts → dist/wasm/emulator.wasm, loaded by
// runtime/emulator/wasm-load.ts). Without AssemblyScript (a devDependency) the emulator runs its JavaScript path.
let asc = null;
try {
  asc = await import("assemblyscript/asc");
} catch {
  console.warn("snnc: assemblyscript is not installed, the emulator's WebAssembly kernels were not built; it runs its JavaScript path");
}
// Likewise the float SNN simulator's (runtime/wasm/float-snn.as.ts → dist/wasm/float-snn.wasm, loaded by
// compiler/simulate/float-kernels.ts; without it the simulator runs its JavaScript path).
for (const name of asc ? ["emulator", "float-snn"] : []) {
  const out = await asc.main([join(root, "runtime", "wasm", `${name}.as.ts`), "-o", join(root, "dist", "wasm", `${name}.wasm`), "-O3", "--runtime", "stub", "--importMemory", "--noAssert", "--enable", "simd"], {});
  if (out.error) {
    console.error(`snnc: the WebAssembly kernels of runtime/wasm/${name}.as.ts did not compile: ${out.error.message}\n${out.stderr.toString()}`);
    process.exit(1);
  }
}
try {
  const { prebuildEmulator } = await import(new URL("../dist/compiler/emulator-gen/generate.js", import.meta.url).href);
  prebuildEmulator();
} catch (e) {
  // Not fatal: without the cache, emulator-gen bundles and checks the emulator in each compile process.
  console.warn(`snnc: the standalone emulator's bundle was not prebuilt (${e instanceof Error ? e.message : String(e)})`);
}
