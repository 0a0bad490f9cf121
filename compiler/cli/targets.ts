/**
 * @fileoverview `snnc targets`: the shipped target descriptions, their limits and where the numbers come from.
 */
import { loadTarget, targetNames } from "../target/load.ts";
import type { Target } from "../target/schema.ts";
import type { CommandSpec } from "./main.ts";
import { examples } from "./options.ts";

/** `v` to 12 significant digits: 8000.000000000001 (a product of floats) prints as 8000. */
export function tidy(v: number): number {
  return Number(v.toPrecision(12));
}

function summary(t: Target) {
  const chips = t.system.chips.width * t.system.chips.height;
  return {
    name: t.name,
    title: t.title,
    family: t.family,
    neuronModel: t.neuron.model,
    chips,
    topology: `${t.system.chips.kind} ${t.system.chips.width}×${t.system.chips.height}`,
    coresPerChip: t.system.usableCoresPerChip.value,
    neuronsPerCore: t.core.neurons.value,
    fanInAxons: t.core.fanInAxons.value,
    synapseMemoryBits: t.core.synapseMemoryBits.value,
    weightBits: t.neuron.weightBits.value,
    resetModes: t.neuron.resetModes,
    softReset: t.neuron.softReset?.construction ?? null,
    gradedSpikes: t.neuron.gradedSpikes.supported,
    routing: t.routing.kind,
    synOpPicojoules: tidy(t.energy.synOpJoules.value * 1e12),
    synOpEnergyGrade: t.energy.synOpJoules.grade,
  };
}

export const targetsCommand: CommandSpec<{ json?: boolean }> = {
  command: "targets",
  describe: "list the targets and their limits",
  builder: (y) => y.epilogue(examples([["snnc targets", "table of the shipped targets"], ["snnc targets --json", "the same as JSON"]])) as never,
  run: async () => {
    const rows = targetNames().map((n) => summary(loadTarget(n)));
    const header = ["target", "neuron model", "chips", "cores/chip", "neurons/core", "weight bits", "reset", "graded", "routing", "pJ/synop (grade)"];
    const lines = rows.map((r) => [
      r.name, r.neuronModel, `${r.chips} (${r.topology})`, String(r.coresPerChip), String(r.neuronsPerCore), String(r.weightBits),
      r.resetModes.join("+") + (r.softReset ? " (+subtract via 2 compartments)" : ""), r.gradedSpikes ? "yes" : "no", r.routing,
      `${r.synOpPicojoules.toPrecision(3)} (${r.synOpEnergyGrade})`,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
    const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
    return { json: { targets: rows }, text: [fmt(header), ...lines.map(fmt)].join("\n") };
  },
};
