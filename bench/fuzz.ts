/**
 * @fileoverview Long-mode binary fuzzing (issue 12): `SNNC_FUZZ_N` mutants (default 100,000) of small real
 * network.snnb files with every CRC recomputed, each through decode → loadNetwork → emulate → inspect's JSON.
 * Prints the mutant count, the time, the outcome per error code and every internal error (exit 1 if any).
 *   nice -n 10 npx tsx bench/fuzz.ts            # 100,000 mutants
 *   SNNC_FUZZ_N=5000 SNNC_FUZZ_SEED=3 npx tsx bench/fuzz.ts
 */
import { fuzz } from "../test/robustness/fuzz-lib.ts";

const n = Number(process.env.SNNC_FUZZ_N ?? 100_000);
const seed = Number(process.env.SNNC_FUZZ_SEED ?? 1);
const t0 = performance.now();
const r = await fuzz(n, seed, (done) => process.stderr.write(`\r${done} / ${n}`));
const seconds = (performance.now() - t0) / 1000;
process.stderr.write("\n");
console.log(`${r.mutants} mutants (seed ${seed}) in ${seconds.toFixed(1)} s: ${r.internal.length} internal errors`);
console.log(`outcomes: ${[...r.codes].sort().map(([k, v]) => `${k} ${v}`).join(", ")}`);
const seen = new Set<string>();
for (const x of r.internal) {
  const key = x.error.slice(0, 160);
  if (seen.has(key)) continue;
  seen.add(key);
  console.log(`internal: ${x.what}\n  ${x.error.slice(0, 600)}`);
}
process.exitCode = r.internal.length > 0 ? 1 : 0;
