/**
 * @fileoverview Installs the emulator's WebAssembly kernels (kernels.ts) from the file compiler/build.js
 * compiles from runtime/wasm/emulator.as.ts: dist/wasm/emulator.wasm, found from the sources (runtime/emulator/)
 * and from the built copy (dist/runtime/emulator/). Imported for its effect by parallel.ts (so by every
 * emulation of the CLI, compile, verify and the workers) and by compiler/verify/bitexact.ts. Not part of the
 * standalone emulator (it uses import.meta), which therefore runs the JavaScript path. No file: nothing is
 * installed and the emulator runs the JavaScript path; likewise when runtime/wasm/emulator.as.ts is newer than the
 * file (a stale build: `npm run build` refreshes it); `SNNC_KERNELS=js` skips loading.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { installKernels } from "./kernels.ts";

const candidates = ["../../dist/wasm/emulator.wasm", "../../wasm/emulator.wasm"].map((p) => fileURLToPath(new URL(p, import.meta.url)));
const found = candidates.find((p) => existsSync(p));
const source = ["../../runtime/wasm/emulator.as.ts", "../../../runtime/wasm/emulator.as.ts"].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((p) => existsSync(p));
const stale = found !== undefined && source !== undefined && statSync(source).mtimeMs > statSync(found).mtimeMs;
if (found && !stale && process.env.SNNC_KERNELS !== "js") installKernels(new Uint8Array(readFileSync(found)), found);
