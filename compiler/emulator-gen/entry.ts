/**
 * @fileoverview Entry point of the bundled standalone emulator (bundle.ts starts its module graph here):
 * emulator/emulator.js reads ../network.snnb by default and prints to stdout / stderr. Not imported by snnc.
 */
import { dirname, join } from "node:path";
import { BUILT_FOR } from "./built-for.ts";
import { standaloneMain } from "./main.ts";

try {
  process.exitCode = standaloneMain(process.argv.slice(2), join(dirname(process.argv[1] ?? "."), "..", "network.snnb"), BUILT_FOR, {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  });
} catch (e) {
  process.stderr.write(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 70;
}
