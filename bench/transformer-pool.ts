/**
 * @fileoverview Pools `bench/transformer.ts` results over disjoint image ranges into one table: accuracies and
 * energy ratios weighted by each file's image count. The files must be complete runs of one model with the same
 * percentile, input finest level (results from before stop 18 carry it as an annotation, or not at all), levels and
 * encoding, on the same split, with ranges (--offset, samples) that do not overlap;
 * anything else exits 2 naming the file.
 *
 *   npx tsx bench/transformer-pool.ts bench/results/A.json bench/results/B.json ... [--ts 4,8]
 */
import { readFileSync } from "node:fs";

interface Row { readonly T: number; readonly accuracy: number; readonly energyRatio: number; readonly opsPerImage: number }
interface IntRow { readonly target: string; readonly T: number; readonly accuracy: number }
interface Result {
  readonly describe: string; readonly model: string; readonly command: string; readonly samples: number; readonly partial: boolean;
  readonly percentile: number; readonly inputFinestLevel?: number; readonly levels: number; readonly encoding: string; readonly ann: number;
  readonly rows: readonly Row[]; readonly intRows: readonly IntRow[];
}

const die = (msg: string): never => {
  console.error(`transformer-pool: ${msg}`);
  process.exit(2);
};
const files = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && all[i - 1] !== "--ts");
const tsArg = process.argv.indexOf("--ts");
const wanted = tsArg >= 0 ? (process.argv[tsArg + 1] ?? "").split(",").map(Number) : null;
if (files.length === 0) die("usage: npx tsx bench/transformer-pool.ts RESULT.json ... [--ts 4,8]");

const results = files.map((f) => {
  let r: Result;
  try {
    r = JSON.parse(readFileSync(f, "utf8")) as Result;
  } catch (e) {
    return die(`${f}: ${(e as Error).message}`);
  }
  if (r.partial) die(`${f}: a partial run (${r.samples} images)`);
  const offset = /--offset (\d+)/.exec(r.command)?.[1];
  const split = /--split (\w+)/.exec(r.command)?.[1] ?? "test";
  return { f, r, from: Number(offset ?? 0), split };
});
const first = results[0] as (typeof results)[number];
const span = (x: (typeof results)[number]): string => `${x.from}–${x.from + x.r.samples - 1}`;
for (const x of results) {
  for (const key of ["model", "percentile", "inputFinestLevel", "levels", "encoding"] as const) {
    if (x.r[key] !== first.r[key]) die(`${x.f}: ${key} ${String(x.r[key])}, not ${String(first.r[key])} as in ${first.f}`);
  }
  if (x.split !== first.split) die(`${x.f}: split ${x.split}, not ${first.split}`);
}
const sorted = [...results].sort((a, b) => a.from - b.from);
for (let i = 1; i < sorted.length; i++) {
  const a = sorted[i - 1] as (typeof sorted)[number];
  const b = sorted[i] as (typeof sorted)[number];
  if (a.from + a.r.samples > b.from) die(`${b.f}: images from ${b.from} overlap ${a.f} (${span(a)})`);
}

const n = results.reduce((s, x) => s + x.r.samples, 0);
const floatRow = (r: Result, T: number): Row | undefined => r.rows.find((y) => y.T === T);
const intAccuracy = (r: Result, target: string, T: number): number | undefined => r.intRows.find((y) => y.target === target && y.T === T)?.accuracy;
const pooled = (get: (r: Result) => number | undefined, what: string): number => {
  let s = 0;
  for (const x of results) {
    const v = get(x.r);
    if (v === undefined) die(`${x.f}: no ${what}`);
    s += (v as number) * x.r.samples;
  }
  return s / n;
};
const ts = wanted ?? first.r.rows.map((r) => r.T);
const targets = [...new Set(first.r.intRows.map((r) => r.target))];
const ann = pooled((r) => r.ann, "ANN accuracy");
const ranges = sorted.map(span).join(", ");
console.log(`# ${n} ${first.split} images (${ranges}) from ${results.length} runs; percentile ${first.r.percentile}, input finest level ${first.r.inputFinestLevel ?? "not recorded"}, levels ${first.r.levels}, encoding ${first.r.encoding}`);
console.log(`ANN ${ann.toFixed(2)} %\n`);
const fmt = (v: number): string => `${v.toFixed(2)} | ${v - ann >= 0 ? "+" : "−"}${Math.abs(v - ann).toFixed(2)}`;
console.log(`| T | float SNN | Δ |${targets.map((t) => ` integer ${t} | Δ |`).join("")} E_SNN / E_ANN |`);
console.log(`|---|---|---|${targets.map(() => "---|---|").join("")}---|`);
for (const T of ts) {
  const fl = pooled((r) => floatRow(r, T)?.accuracy, `float SNN row at T = ${T}`);
  const cells = targets.map((t) => ` ${fmt(pooled((r) => intAccuracy(r, t, T), `integer ${t} at T = ${T}`))} |`).join("");
  const e = pooled((r) => floatRow(r, T)?.energyRatio, `energy at T = ${T}`);
  console.log(`| ${T} | ${fmt(fl)} |${cells} ${e.toFixed(3)} |`);
}
console.log("\nper run:");
for (const x of sorted) {
  const cells = ts.map((T) => `T=${T}: ${targets.map((t) => `${t} ${((intAccuracy(x.r, t, T) ?? Number.NaN) - x.r.ann).toFixed(2)}`).join(", ")}`).join("; ");
  console.log(`  ${span(x)} (ANN ${x.r.ann.toFixed(2)}): ${cells}`);
}
