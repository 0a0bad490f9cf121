/**
 * @fileoverview The check pass's part for ECMT compute nodes: an independent re-count of the compute plan and
 * the graded routes before the binary is written. Input: the full QuantisedSnn, the routed network, the plan,
 * the graded hops, the target. Checks: every compute node of the network is in the plan once; its processors
 * take its units exactly once, in order; every processor's units (of all nodes on it) stay within its memory
 * and per-step cycle budget; no processor slot lies outside the system; every graded projection has a route (finite hops).
 * Failures: SNNC404 (mapping check failed) naming the layer, SNNC412 (a graded route missing).
 */
import { fail } from "../diagnostics.ts";
import type { RoutedSnn } from "../ir/mapped.ts";
import type { QuantisedSnn } from "../ir/quantised.ts";
import type { ComputePlan } from "../map/compute.ts";
import { gradedProjections } from "../map/graded.ts";
import type { Target } from "../target/schema.ts";

export function checkCompute(q: QuantisedSnn, r: RoutedSnn, plan: ComputePlan, hops: readonly number[], target: Target): void {
  const nodes = q.populations.filter((p) => p.compute);
  if (nodes.length === 0) return;
  const proc = target.processors;
  if (!proc) throw fail("SNNC404", "compute nodes but no processor model", { layer: (nodes[0] as { name: string }).name });
  const budget = proc.clockHz.value * proc.stepBudgetSeconds.value;
  const slots = r.grid.chipsX * r.grid.chipsY * proc.perChip.value;
  // Per processor slot: cycles and bytes of every node's units on it, each LUT kind once.
  const load = new Map<number, { cycles: number; bytes: number; luts: Set<string> }>();
  const packetBits = target.neuron.gradedSpikes.payloadBits?.value ?? 32;
  for (const p of nodes) {
    const c = p.compute as NonNullable<QuantisedSnn["populations"][number]["compute"]>;
    if (c.payloadBits > packetBits || c.payloadShift < 0 || c.payloadShift > 15) {
      throw fail("SNNC404", `compute node sends ${c.payloadBits}-bit payloads with shift ${c.payloadShift}; ${target.name}'s graded packets carry ${packetBits} bits`, { layer: p.name });
    }
    const n = plan.nodes.filter((x) => x.population === p.id);
    if (n.length !== 1) throw fail("SNNC404", `compute node is in the plan ${n.length} times`, { layer: p.name });
    const node = n[0] as ComputePlan["nodes"][number];
    let next = 0;
    for (const a of node.assignments) {
      if (a.unitStart !== next || a.unitEnd <= a.unitStart) throw fail("SNNC404", `processor ${a.slot} takes units [${a.unitStart}, ${a.unitEnd}), expected from ${next}`, { layer: p.name });
      next = a.unitEnd;
      if (a.slot >= slots) throw fail("SNNC404", `processor slot ${a.slot} is outside the system of ${slots}`, { layer: p.name });
      const l = load.get(a.slot) ?? { cycles: 0, bytes: 0, luts: new Set<string>() };
      load.set(a.slot, l);
      const units = a.unitEnd - a.unitStart;
      l.bytes += units * node.unitBytes + (l.luts.has(node.op) ? 0 : node.lutBytes);
      l.luts.add(node.op);
      l.cycles += units * node.unitCycles;
      if (l.bytes > proc.dataMemoryBytes.value) throw fail("SNNC404", `processor ${a.slot} holds ${l.bytes} bytes, more than ${proc.dataMemoryBytes.value}`, { layer: p.name });
      if (l.cycles > budget * (1 + 1e-12)) throw fail("SNNC404", `processor ${a.slot} needs ${Math.ceil(l.cycles)} cycles per step, more than ${budget}`, { layer: p.name });
    }
    if (next !== node.units) throw fail("SNNC404", `processors take ${next} of ${node.units} units`, { layer: p.name });
  }
  const graded = gradedProjections(q);
  if (hops.length !== graded.length) throw fail("SNNC412", `${hops.length} graded routes for ${graded.length} graded projections`, {});
  graded.forEach((g, k) => {
    const h = hops[k] as number;
    if (!(Number.isFinite(h) && h >= 0)) throw fail("SNNC412", `graded projection from "${q.populations[g.projection.source]?.name}" has no route`, { layer: q.populations[g.dst]?.name ?? "" });
  });
}
