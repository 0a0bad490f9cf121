/**
 * @fileoverview `snnc inspect <file.snnb>`: decodes the placement binary and shows what is in it — header,
 * system, per core its blocks, neuron profiles and synapse counts, routing tables. `--json` (inspect-json.ts,
 * streamed) includes per core every neuron's quantised parameters and every synapse, the synapse tables as
 * stored, the input and output maps and the neuron rules: enough to re-simulate the network without snnc.
 */
import type { DecodedBinary } from "../../runtime/format/decoded.ts";
import type { Argv } from "yargs";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { coreSummaries, inspectJson, inspectSummary } from "./inspect-json.ts";
import { loadBinary } from "./load.ts";
import type { CommandSpec } from "./main.ts";

export interface InspectArgs {
  file: string;
  json?: boolean;
}

export const inspectCommand: CommandSpec<InspectArgs> = {
  command: "inspect <file>",
  describe: "decode a placement binary (network.snnb)",
  builder: (y: Argv) => y
    .positional("file", { type: "string", demandOption: true, describe: "network.snnb, or a compile output directory" })
    .example("snnc inspect build/cnn-loihi/network.snnb", "summary")
    .example("snnc inspect build/cnn-loihi/network.snnb --json > dump.json", "every neuron and synapse") as unknown as Argv<InspectArgs>,
  run: async (a, io) => {
    const bin = loadBinary(a.file);
    const d = bin.decoded;
    const net = loadNetwork(d);
    // Self-connections (a neuron's synapse onto itself): the soft-reset link of Loihi 1's two-compartment
    // neurons. The compile summary counts the network's synapses and routes without them.
    let selfSynapses = 0;
    for (const dl of net.delivery) {
      for (let s = 0; s < net.neurons; s++) {
        for (let r = dl.runStart[s] as number; r < (dl.runStart[s + 1] as number); r++) {
          const t0 = dl.runTarget[r] as number;
          if (s >= t0 && s < t0 + (dl.runLength[r] as number)) selfSynapses++;
        }
      }
    }
    const summary = inspectSummary(bin.path, bin.bytes.length, d, net, selfSynapses);
    const cores = coreSummaries(d, net);
    const delays = summary["delays"] as number[];
    const routingEntries = (summary["routing"] as { entries: number }).entries;
    const lines = [
      `${bin.path}: snnc binary v${d.header.version}, ${bin.bytes.length} bytes, target ${d.header.targetName} (${d.meta.target.title})`,
      `model ${d.meta.model.name} (sha256 ${d.meta.model.sha256.slice(0, 16)}…), method ${d.meta.method}, T = ${d.meta.timesteps}, snnc ${d.meta.snncVersion}`,
      `system ${d.system.chipsX}×${d.system.chipsY} chips${d.system.torus ? " (torus)" : ""}, ${d.system.cores.length} cores on ${d.system.chipsUsed} chip(s); ${net.neurons} neurons, ${summary["synapses"]} synapses (delays ${delays.join(", ")}); ${routingEntries} routing entries` +
        (selfSynapses > 0 ? `\n  (including ${selfSynapses} self-connections: the soft-reset link of two-compartment neurons, one synapse and one axon-map entry each)` : ""),
      ...computeLines(d),
      "core  chip    slot  neurons  synapses-in  layers",
      ...cores.map((c) => `${String(c["core"]).padStart(4)}  ${`${c["chipX"]},${c["chipY"]}`.padEnd(6)}  ${String(c["index"]).padStart(4)}  ${String(c["neurons"]).padStart(7)}  ${String(c["synapsesIn"]).padStart(11)}  ${(c["blocks"] as { layer: string }[]).map((b) => b.layer).join(", ")}`),
    ];
    // --json is streamed (the full dump of a large network is tens of MB).
    return { json: null, jsonChunks: io.json ? inspectJson(d, net, summary, cores) : undefined, text: lines.join("\n") };
  },
};

/** CMPT (docs/binary-format.md 5.5): one line per ECMT compute node, and the graded projections. */
function computeLines(d: DecodedBinary): string[] {
  const c = d.compute;
  if (!c) return [];
  const slots = new Set<string>();
  for (const n of c.nodes) for (const a of n.assignments) slots.add(`${a.chipX},${a.chipY},${a.index}`);
  const weights = c.projections.reduce((a, p) => a + p.weights.length, 0);
  return [
    `compute nodes: ${c.nodes.length} on ${slots.size} processors (${c.processor.perChip} per chip, ${c.processor.clockHz / 1e6} MHz, ${c.processor.dataMemoryBytes} bytes); ${c.projections.length} graded projections, ${weights} stored weights; values s16.${c.fracBits}`,
    ...c.nodes.map((n) => `  ${(d.meta.populations[n.pop]?.name ?? String(n.pop)).padEnd(28)} ${n.op.padEnd(9)} ${String(n.size).padStart(6)} elements, ${n.units} units (${n.slices} slice${n.slices > 1 ? "s" : ""}/row) on ${n.assignments.length} processor(s)${n.lut.length ? `, LUT ${n.lut.length}` : ""}, payloads ${n.payloadBits}-bit with ${c.fracBits - n.payloadShift} fraction bits`),
  ];
}
