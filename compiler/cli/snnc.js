#!/usr/bin/env node
// snnc command-line entry. The compiler is TypeScript run through tsx's loader (no build step, so
// `npx snnc` works right after `npm ci`); all logic lives in main.ts.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
