/**
 * @fileoverview `snnc inspect <file.snnb>`: decodes the placement binary and shows what is in it — header,
 * system, per core its blocks, neuron profiles and synapse counts, routing tables. `--json` includes per
 * core every neuron's quantised parameters and every synapse (source neuron, target compartment, effective
 * weight, delay), so the binary can be checked independently of the emulator.
 */
import type { Argv } from "yargs";
import { loadNetwork, synapseCount, synapsesFrom } from "../../runtime/emulator/network.ts";
import { GRADE_CODES } from "../../runtime/format/spec.ts";
import { NEURON_MODEL_CODES, RESET_CODES } from "../../runtime/format/spec.ts";
import { kindName } from "../report/build.ts";
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
    const delays = net.delivery.map((c) => c.delay);
    const perCoreSynapses = new Float64Array(net.cores);
    for (let a2 = 0; a2 < net.axonCore.length; a2++) perCoreSynapses[net.axonCore[a2] as number] = (perCoreSynapses[net.axonCore[a2] as number] as number) + (net.axonSynapses[a2] as number);
    const cores = d.cores.map((c, k) => {
      const rec = d.system.cores[k];
      const base = net.coreBase[k] as number;
      const summary = {
        core: k, chipX: rec?.chipX, chipY: rec?.chipY, index: rec?.index, tileX: rec?.tileX, tileY: rec?.tileY,
        neurons: c.profile.length, synapsesIn: perCoreSynapses[k],
        blocks: c.blocks.map((b) => ({ layer: d.meta.populations[b.pop]?.name, box: [b.y0, b.y1, b.x0, b.x1, b.c0, b.c1], first: b.first })),
        profiles: c.profiles.map((p) => ({ ...p, model: NEURON_MODEL_CODES[p.model], kind: kindName(p.kind), reset: RESET_CODES[p.reset] })),
      };
      if (!io.json) return summary;
      // Full dump: parameters of every neuron and its outgoing synapses (resolved through the tables).
      const neurons = Array.from(c.profile, (p, i) => ({
        compartment: i, layer: d.meta.populations[net.popOf[base + i] as number]?.name, neuron: net.popIndex[base + i], profile: p,
        biasMantissa: c.biasMantissa[i], biasExponent: c.biasExponent[i], vInit: c.vInit[i],
        synapsesOut: synapsesFrom(net, base + i),
      }));
      return { ...summary, neuronList: neurons };
    });
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
    const routingEntries = d.routing.kind === "spinnaker" ? d.routing.tables.reduce((x, t) => x + t.keys.length, 0) : d.routing.cores.reduce((x, c) => x + c.dstCore.length, 0);
    const json = {
      file: bin.path, bytes: bin.bytes.length, header: d.header, meta: d.meta,
      system: { ...d.system, cores: undefined, coresUsed: d.system.cores.length },
      neurons: net.neurons, synapses: synapseCount(net), selfSynapses, delays,
      routing: d.routing.kind === "spinnaker"
        ? { kind: "multicast", chips: d.routing.tables.length, entries: routingEntries, tables: io.json ? d.routing.tables.map((t) => ({ x: t.x, y: t.y, keys: Array.from(t.keys), masks: Array.from(t.masks), routes: Array.from(t.routes) })) : undefined }
        : { kind: "axon maps", entries: routingEntries },
      cost: { timing: d.cost.timing, energy: d.cost.energy, timingGrades: d.cost.timingGrades.map((g) => GRADE_CODES[g]), energyGrades: d.cost.energyGrades.map((g) => GRADE_CODES[g]) },
      cores,
      note: "synapse targets are global neuron indices (core base + compartment); weights are effective (mantissa × 2^shift)",
    };
    const lines = [
      `${bin.path}: snnc binary v${d.header.version}, ${bin.bytes.length} bytes, target ${d.header.targetName} (${d.meta.target.title})`,
      `model ${d.meta.model.name} (sha256 ${d.meta.model.sha256.slice(0, 16)}…), method ${d.meta.method}, T = ${d.meta.timesteps}, snnc ${d.meta.snncVersion}`,
      `system ${d.system.chipsX}×${d.system.chipsY} chips${d.system.torus ? " (torus)" : ""}, ${d.system.cores.length} cores on ${d.system.chipsUsed} chip(s); ${net.neurons} neurons, ${json.synapses} synapses (delays ${delays.join(", ")}); ${routingEntries} routing entries` +
        (selfSynapses > 0 ? `\n  (including ${selfSynapses} self-connections: the soft-reset link of two-compartment neurons, one synapse and one axon-map entry each)` : ""),
      "core  chip    slot  neurons  synapses-in  layers",
      ...cores.map((c) => `${String(c.core).padStart(4)}  ${`${c.chipX},${c.chipY}`.padEnd(6)}  ${String(c.index).padStart(4)}  ${String(c.neurons).padStart(7)}  ${String(c.synapsesIn).padStart(11)}  ${c.blocks.map((b) => b.layer).join(", ")}`),
    ];
    return { json, text: lines.join("\n") };
  },
};
