/**
 * @fileoverview Mapping benchmark: partition + place + route (+ the capacity and route checkers) on the
 * example models and on synthetic conv and dense networks of ~10k, ~100k and ~1M neurons (the largest with
 * ≥ 100M synapses). Each case runs in its own process so its peak memory (max RSS) is its own.
 *
 *   npx tsx bench/mapping.ts [--only conv-1M] [--targets loihi,spinnaker]
 *
 * Prints per case: neurons, synapses, wall time of mapping, peak RSS, cores vs nengo-loihi's splitting rule,
 * hops per spike (annealed vs the sequential seed placement), routing entries before / after compression and
 * a plain ordered-covering baseline run to the minimum. Writes bench/results/mapping.json.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DEFAULT_CONVERT_OPTIONS } from "../compiler/convert/methods.ts";
import type { QuantisedSnn, QPopulation } from "../compiler/ir/quantised.ts";
import { visitAxons } from "../compiler/map/axons.ts";
import { nengoRuleCores } from "../compiler/map/nengo-rule.ts";
import { multicastRoutes } from "../compiler/map/route-multicast.ts";
import { buildRoutingTables } from "../compiler/map/spinnaker/tables.ts";
import { compressTables } from "../compiler/map/spinnaker/compress.ts";
import { loadTarget } from "../compiler/target/load.ts";
import { runCompile } from "../compiler/compile.ts";
import { runMapping } from "../compiler/pipeline.ts";
import { convStack, denseStack } from "../compiler/ir/synthetic.ts";

const CASES: Record<string, () => Promise<{ q: (target: string) => Promise<QuantisedSnn> }>> = {};

/** An example through the pipeline up to quantise (ecc; reset by subtraction where the target has it). */
async function exampleQ(model: string, target: string): Promise<QuantisedSnn> {
  const t = loadTarget(target);
  const reset = t.neuron.resetModes.includes("subtract") || t.neuron.softReset ? "subtract" : "zero";
  const r = await runCompile({
    ...DEFAULT_CONVERT_OPTIONS, method: "ecc", reset, model: `examples/fashion-mnist/${model}/model.json`, target,
    data: "examples/fashion-mnist/data", calibrationSamples: 128, samples: 1, verifySamples: 0, tfjsCheck: false, stopAfter: "quantise",
  }, { warn: () => {}, progress: () => {}, stage: () => {} });
  const q = r.complete ? r.outcome.pipeline.quantised.q : r.state.quantised?.q;
  if (!q) throw new Error("internal: no quantised network");
  return q;
}

for (const m of ["cnn", "mlp", "resnet"]) CASES[m] = async () => ({ q: (t) => exampleQ(m, t) });
const synthetic: Record<string, (t: string) => QuantisedSnn> = {
  "conv-10k": (t) => convStack(loadTarget(t), 32, 32, 1, 5, 2),
  "conv-100k": (t) => convStack(loadTarget(t), 64, 64, 1, 8, 3),
  "conv-1M": (t) => convStack(loadTarget(t), 128, 128, 4, 16, 4),
  "dense-10k": (t) => denseStack(loadTarget(t), 1000, 10),
  "dense-100k": (t) => denseStack(loadTarget(t), 1000, 100),
  "dense-1M": (t) => denseStack(loadTarget(t), 1000, 1000),
};
for (const [k, f] of Object.entries(synthetic)) CASES[k] = async () => ({ q: async (t) => f(t) });

function synapses(q: QuantisedSnn): number {
  let n = 0;
  for (const p of q.populations) {
    for (const pr of p.inputs) {
      const src = q.populations[pr.source] as QPopulation;
      if (pr.conn.kind === "dense") {
        n += src.size * p.size;
        continue;
      }
      visitAxons(pr.conn, { y0: 0, y1: p.shape[0], x0: 0, x1: p.shape[1], c0: 0, c1: p.shape[2] }, p, src, (_s, _f, len) => {
        n += len;
      });
    }
  }
  return n;
}

async function runCase(name: string, targetName: string): Promise<Record<string, unknown>> {
  const target = loadTarget(targetName);
  const q = await (await (CASES[name] as () => Promise<{ q: (t: string) => Promise<QuantisedSnn> }>)()).q(targetName);
  const neurons = q.populations.reduce((a, p) => a + p.size, 0);
  const syn = synapses(q);
  const m = runMapping(q, target);
  const parts = m.partitioned;
  const placed = { placed: m.placed, grid: m.grid, stats: m.placement };
  const routing = m.routed.routing;
  const secondsOf = (pass: string) => m.timings.find((t) => t.pass === pass)?.seconds ?? 0;
  const nengo = target.neuron.model === "loihi-cuba" ? nengoRuleCores(q, target).total : null;
  let baseline: Record<string, number> | null = null;
  if (routing.kind === "multicast") {
    // Plain ordered covering (no pair pass) run to the minimum, PACMAN's classic use, on the same tables.
    const { keys, routes } = multicastRoutes(placed.placed, placed.grid, target);
    const built = buildRoutingTables(placed.grid.chipsX, placed.grid.chipsY, routes);
    const b0 = performance.now();
    const plain = compressTables(built.tables, { key: keys.key, mask: keys.mask }, { capacity: 1 << 30, toMinimum: true, pairPass: false });
    baseline = { seconds: (performance.now() - b0) / 1000, entries: plain.totalAfter, maxEntries: plain.maxAfter };
  }
  const rss = process.resourceUsage().maxRSS * 1024;
  return {
    case: name, target: targetName, neurons, synapses: syn, cores: parts.cores.length, chips: placed.placed.chipsUsed,
    nengoCores: nengo, coresVsNengo: nengo ? parts.cores.length / nengo : null,
    avgHops: placed.stats.avgHops, sequentialAvgHops: placed.stats.seedAvgHops,
    entriesBefore: routing.kind === "multicast" ? routing.entriesBefore : null, entriesAfter: routing.kind === "multicast" ? routing.entriesAfter : null,
    maxEntriesBefore: routing.kind === "multicast" ? routing.maxEntriesBefore : null, maxEntriesAfter: routing.kind === "multicast" ? routing.maxEntriesAfter : null,
    baseline,
    seconds: { partition: secondsOf("partition"), place: secondsOf("place"), route: secondsOf("route"), check: secondsOf("check"), total: m.timings.reduce((a, t) => a + t.seconds, 0) },
    peakRssBytes: rss,
  };
}

const argv = process.argv;
const caseArg = argv.indexOf("--case");
if (caseArg >= 0) {
  const [name, target] = (argv[caseArg + 1] ?? "").split("@") as [string, string];
  const out = await runCase(name, target);
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else {
  const only = argv.includes("--only") ? (argv[argv.indexOf("--only") + 1] ?? "").split(",") : Object.keys(CASES);
  const targets = argv.includes("--targets") ? (argv[argv.indexOf("--targets") + 1] ?? "").split(",") : ["loihi", "spinnaker"];
  const results: Record<string, unknown>[] = [];
  console.log("| case | target | neurons | synapses | cores | nengo rule | ratio | chips | hops (annealed / sequential) | entries before → after (max/chip) | mapping s | peak RSS |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const name of only) {
    for (const target of targets) {
      const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--case", `${name}@${target}`], { encoding: "utf8", maxBuffer: 1 << 26, timeout: 3_600_000 });
      const line = r.stdout.trim().split("\n").pop() ?? "";
      if (r.status !== 0 || !line.startsWith("{")) {
        console.log(`| ${name} | ${target} | failed: ${(r.stderr.trim().split("\n").find((l) => l.startsWith("error")) ?? r.stderr.trim().split("\n").pop() ?? "").slice(0, 120)} |`);
        continue;
      }
      const x = JSON.parse(line) as Record<string, any>;
      results.push(x);
      const entries = x.entriesBefore === null ? "-" : `${x.entriesBefore} → ${x.entriesAfter} (${x.maxEntriesBefore} → ${x.maxEntriesAfter}); plain OC to min: ${x.baseline.entries} in ${x.baseline.seconds.toFixed(2)} s`;
      console.log(`| ${name} | ${target} | ${x.neurons} | ${(x.synapses / 1e6).toFixed(1)} M | ${x.cores} | ${x.nengoCores ?? "-"} | ${x.coresVsNengo === null ? "-" : x.coresVsNengo.toFixed(2)} | ${x.chips} | ${x.avgHops.toFixed(2)} / ${x.sequentialAvgHops.toFixed(2)} | ${entries} | ${x.seconds.total.toFixed(1)} | ${(x.peakRssBytes / 2 ** 30).toFixed(2)} GiB |`);
    }
  }
  mkdirSync("bench/results", { recursive: true });
  // With --only, the rows run here replace theirs in the results file and the others are kept.
  const OUT = "bench/results/mapping.json";
  const key = (r: Record<string, unknown>) => `${r.case}@${r.target}`;
  const ran = new Set(results.map(key));
  const kept = argv.includes("--only") && existsSync(OUT) ? (JSON.parse(readFileSync(OUT, "utf8")) as Record<string, unknown>[]).filter((r) => !ran.has(key(r))) : [];
  const order = Object.keys(CASES);
  const merged = [...kept, ...results].sort((a, b) => order.indexOf(String(a.case)) - order.indexOf(String(b.case)));
  writeFileSync(OUT, `${JSON.stringify(merged, null, 2)}\n`);
}

