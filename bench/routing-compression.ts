/**
 * @fileoverview Micro-benchmark of SpiNNaker routing: key allocation, trees/tables, compression and checkers.
 *
 * Input: none (synthetic, seeded). Output: figures on stdout; asserts nothing. Run:
 *   npx tsx bench/routing-compression.ts [blocks ...]      (default: 4000 20000)
 *
 * Network model: a 12 × 12 torus of 18-core chips (core 0 = monitor, 17 application cores), 1023-entry
 * routers. Source blocks (8–256 neurons) come in populations of 1–48 blocks on one source chip; a
 * population projects to 1–6 target chips (mostly within 3 hops, sometimes anywhere) and 1–3 cores on
 * each; each block takes its population's targets, but 30% of blocks drop one target chip or add one, so
 * routes differ inside populations. Printed: entries per chip before/after (max, total), compression time
 * and merge counts to the router capacity and to the minimum (the same compressor with `toMinimum`), each
 * also with ordered covering alone (no pair pass), and the time of both checkers on every result.
 */
import { allocateKeys } from "../compiler/map/spinnaker/keys.ts";
import type { SourceBlock } from "../compiler/map/spinnaker/keys.ts";
import { buildRoutingTables } from "../compiler/map/spinnaker/tables.ts";
import type { ChipTable, RouteSpec, RouteTarget } from "../compiler/map/spinnaker/tables.ts";
import { compressTables } from "../compiler/map/spinnaker/compress.ts";
import { checkCompression, checkRoutes } from "../compiler/verify/routes.ts";
import { isSnncError } from "../compiler/diagnostics.ts";
import { seededRng } from "../compiler/util/rng.ts";

const W = 12;
const H = 12;
const CAPACITY = 1023;

function network(nBlocks: number, seed: number): { blocks: SourceBlock[]; routes: RouteSpec[] } {
  const rand = seededRng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const wrap = (v: number, n: number): number => ((v % n) + n) % n;
  const nearChip = (c: readonly [number, number]): [number, number] =>
    rand() < 0.8 ? [wrap(c[0] + int(7) - 3, W), wrap(c[1] + int(7) - 3, H)] : [int(W), int(H)];
  const target = (src: readonly [number, number]): RouteTarget => ({ chip: nearChip(src), cores: Array.from({ length: 1 + int(3) }, () => 1 + int(17)) });
  const blocks: SourceBlock[] = [];
  const routes: RouteSpec[] = [];
  let pop = 0;
  while (blocks.length < nBlocks) {
    const src: [number, number] = [int(W), int(H)];
    const popTargets = Array.from({ length: 1 + int(6) }, () => target(src));
    const size = Math.min(1 + int(48), nBlocks - blocks.length);
    const neurons = 8 << int(6);
    for (let b = 0; b < size; b++) {
      const id = blocks.length;
      let targets = popTargets;
      if (rand() < 0.3) targets = targets.length > 1 && rand() < 0.5 ? targets.filter((_, i) => i !== int(targets.length)) : [...targets, target(src)];
      blocks.push({ id, neurons, group: pop });
      routes.push({ block: id, key: 0, mask: 0, sourceChip: src, targets, neurons });
    }
    pop++;
  }
  return { blocks, routes };
}

function ms(t: number): string {
  return `${t.toFixed(0)} ms`;
}

function run(nBlocks: number): void {
  console.log(`\n== ${nBlocks} source blocks, ${W}×${H} torus, ${CAPACITY}-entry routers ==`);
  const { blocks, routes: raw } = network(nBlocks, 0x5eed + nBlocks);
  let t = performance.now();
  const keys = allocateKeys(blocks);
  const routes = raw.map((r, i) => ({ ...r, key: keys.key[i] as number, mask: keys.mask[i] as number }));
  const tKeys = performance.now() - t;
  t = performance.now();
  const rt = buildRoutingTables(W, H, routes);
  const tTables = performance.now() - t;
  const hops = rt.trees.reduce((s, tr) => s + tr.hops, 0);
  console.log(`keys: ${ms(tKeys)} (space used 2^${Math.log2(keys.spaceUsed).toFixed(1)}); trees+tables: ${ms(tTables)}; mean hops/spike ${(hops / routes.length).toFixed(2)}`);
  console.log(`before: total ${rt.totalEntries} entries, max ${rt.maxEntries}/chip (${rt.defaultRouted} default-routed entries omitted), ${rt.tables.filter((x) => x.keys.length > CAPACITY).length} chips over capacity`);

  const modes = [
    { name: "to capacity         ", toMinimum: false, pairPass: true },
    { name: "to minimum          ", toMinimum: true, pairPass: true },
    { name: "OC only, to capacity", toMinimum: false, pairPass: false },
    { name: "OC only, to minimum ", toMinimum: true, pairPass: false },
  ];
  for (const mode of modes) {
    try {
      const c0 = performance.now();
      const ct = compressTables(rt.tables, keys, { capacity: CAPACITY, toMinimum: mode.toMinimum, pairPass: mode.pairPass });
      const compressMs = performance.now() - c0;
      console.log(`${mode.name}: total ${ct.totalAfter}, max ${ct.maxAfter}/chip, time ${ms(compressMs)}, ${ct.work} work units (${ct.pairMerges} pair merges, ${ct.coverMerges} ordered-covering merges)`);
      t = performance.now();
      let bad = 0;
      let slowest = 0;
      for (let c = 0; c < rt.tables.length; c++) {
        const t1 = performance.now();
        if (checkCompression(rt.tables[c] as ChipTable, ct.tables[c] as ChipTable, keys) !== null) bad++;
        slowest = Math.max(slowest, performance.now() - t1);
      }
      const tc = performance.now() - t;
      t = performance.now();
      const pr = checkRoutes(W, H, ct.tables, routes);
      const tr = performance.now() - t;
      console.log(`  checkCompression (${rt.tables.length} chips × ${blocks.length} blocks): ${ms(tc)} (slowest chip ${ms(slowest)}), ${bad} mismatches; checkRoutes: ${ms(tr)}, ${pr === null ? "ok" : pr.message}`);
    } catch (e) {
      if (!isSnncError(e)) throw e;
      console.log(`${mode.name}: ${e.code} ${e.message}`);
    }
  }
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const n of sizes.length > 0 ? sizes : [4000, 20000]) run(n);
