/**
 * @fileoverview report.md: the compile report for people, rendered from report.json.
 */
import type { Report } from "./build.ts";

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const num = (x: number, d = 3) => (Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-2 && x !== 0) ? x.toExponential(d - 1) : x.toPrecision(d));

export function joules(j: number): string {
  if (j === 0) return "0 J";
  const units: [number, string][] = [[1, "J"], [1e-3, "mJ"], [1e-6, "µJ"], [1e-9, "nJ"], [1e-12, "pJ"]];
  for (const [s, u] of units) if (Math.abs(j) >= s) return `${(j / s).toPrecision(3)} ${u}`;
  return `${(j / 1e-15).toPrecision(3)} fJ`;
}

export function seconds(s: number): string {
  if (s >= 1) return `${s.toPrecision(3)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toPrecision(3)} ms`;
  if (s >= 1e-6) return `${(s * 1e6).toPrecision(3)} µs`;
  return `${(s * 1e9).toPrecision(3)} ns`;
}

function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

export function renderMarkdown(r: Report): string {
  const out: string[] = [];
  out.push(`# snnc report: ${r.model} on ${r.targetInfo.title}`);
  out.push("");
  out.push(`snnc ${r.snncVersion} · method \`${r.method}\` · T = ${r.timesteps} timesteps (${r.latency.steps} steps with the ${r.latency.readoutDepth}-step pipeline) · data: ${r.data}`);
  out.push("");
  out.push("## Summary");
  out.push("");
  out.push(table(["figure", "value"], [
    ["accuracy (ANN → SNN on the chip)", r.accuracy ? `${pct(r.accuracy.ann)} → ${pct(r.accuracy.snn)} on ${r.accuracy.samples} samples` : "no labelled data"],
    ["bit-exact with the reference model", r.verification.bitExact ? `yes (${r.verification.samples} samples, ${r.verification.comparedSteps} steps, ${r.verification.comparedSpikes} spikes)` : `NO: first mismatch ${JSON.stringify(r.verification.firstMismatch)}`],
    ["neurons / synapses", `${r.network.neurons} / ${r.network.synapses}`],
    ["cores / chips", `${r.mapping.cores} / ${r.mapping.chips}`],
    ["spikes / synaptic ops per inference", `${num(r.run.spikesPerInference)} / ${num(r.run.synapticOpsPerInference)}`],
    ["energy per inference (SNN on target)", joules(r.energy.snnJoulesPerInference)],
    ["energy per inference (ANN, 45 nm MACs)", `${joules(r.energy.annJoulesPerInference)} (SNN/ANN = ${num(r.energy.ratio)})`],
    ["latency per inference", seconds(r.latency.secondsPerInference)],
  ]));
  out.push("");
  out.push("## Layers");
  out.push("");
  out.push(table(["layer", "kind", "shape", "neurons", "synapses in", "cores", "spikes/inference", "rate (spikes/neuron/step)", "synaptic ops its spikes cause"], r.network.layers.map((l, i) => {
    const run = r.run.layers[i];
    return [l.name, l.kind, l.shape.join("×"), l.neurons, l.synapses, l.cores, num(run?.spikesPerInference ?? 0), num(run?.rate ?? 0), num(run?.synapticOpsPerInference ?? 0)];
  })));
  out.push("");
  out.push("Synaptic ops are counted at the source: the fan-out of each spike (on Loihi 1 with the two-compartment reset, each spike also drives its neuron's self-synapse).");
  out.push("");
  out.push("## Conversion");
  out.push("");
  const auto = r.conversion.normalisation;
  const chose = r.conversion.method;
  if (chose) {
    out.push(`Method (no --method given, the target carries graded spikes): measured ${chose.methods.map((m) => `\`${m}\``).join(" and ")}, kept **${chose.chosen}** (the network closest to the ANN below).`);
    out.push("");
  }
  if (auto) {
    out.push(`Thresholds (\`auto\` normalisation): chose **${auto.chosen}**, measured against the ANN at T = ${r.timesteps} on ${auto.samples} calibration samples:`);
    out.push("");
    out.push(table(["network tried", "class disagreements", "score error"], auto.tried.map((t) => [t.label === auto.chosen ? `**${t.label}**` : t.label, t.disagreements, num(t.scoreError)])));
    out.push("");
  }
  if (r.conversion.accuracyVsTimesteps.points.length) {
    const cv = r.conversion.accuracyVsTimesteps;
    out.push(`Float SNN accuracy against timesteps (first ${cv.samples} samples, before quantisation; the ANN gets ${cv.ann === null ? "-" : pct(cv.ann)} on them):`);
    out.push("");
    out.push(table(["T", ...r.conversion.accuracyVsTimesteps.points.map((p) => String(p.timesteps))], [["accuracy", ...r.conversion.accuracyVsTimesteps.points.map((p) => pct(p.accuracy))]]));
    out.push("");
  }
  const d = r.conversion.diagnostics;
  out.push(`Per-layer ANN vs SNN (float, T = ${d.timesteps}, ${d.samples} samples): rate-coded estimate against the ANN activation (cumulative), and against the ANN layer fed with the SNN's own inputs (local: what the layer itself loses). Largest local error: **${d.worst ?? "-"}**.`);
  out.push("");
  out.push(table(["layer", "correlation", "cumulative rel. RMS error", "local rel. RMS error", "rate"], d.layers.map((l) => [l.name, l.correlation.toFixed(4), l.relativeError.toFixed(4), l.localError.toFixed(4), num(l.rate)])));
  out.push("");
  out.push("## Quantisation");
  out.push("");
  out.push(table(["layer", "scale (state units per threshold)", "incoming weights: format", "rel. RMS weight error", "weights → 0", "bias max error (thresholds)"],
    r.quantisation.map((l) => [l.name, l.scale, l.projections.map((p) => `${p.origin}: ${p.format}`).join("; ") || "-", l.projections.map((p) => p.relRmsError.toExponential(2)).join("; ") || "-", l.projections.map((p) => pct(p.zeroed)).join("; ") || "-", l.biasMaxAbsError.toExponential(2)])));
  out.push("");
  out.push("## Mapping");
  out.push("");
  const m = r.mapping;
  out.push(table(["figure", "value"], [
    ["cores / chips", `${m.cores} / ${m.chips} (system ${m.grid.chipsX}×${m.grid.chipsY} chips)`],
    ["core utilisation (bottleneck resource)", `mean ${pct(m.coreUtilisation.mean)}, max ${pct(m.coreUtilisation.max)}`],
    ...Object.entries(m.coreUtilisation.perResource).map(([k, v]) => [`  ${k === "neurons" ? "compartments" : k}`, `mean ${pct(v.mean)}, max ${pct(v.max)}`]),
    ["hops per packet, measured by the emulator", m.avgHops.toFixed(2)],
    ["hops per packet, placement estimate (placed / sequential seed)", `${m.estimatedAvgHops.toFixed(2)} / ${m.sequentialAvgHops.toFixed(2)}`],
    ["max hops", String(m.maxHops)],
    ["max link load (spikes/step, estimated)", num(m.maxLinkLoad)],
    ["routing entries (total / max per chip)", `${m.routingEntries.total} / ${m.routingEntries.maxPerChip} (before compression ${m.routingEntries.beforeCompression.total} / ${m.routingEntries.beforeCompression.maxPerChip})`],
  ]));
  out.push("");
  out.push("## Energy");
  out.push("");
  out.push(`Model: ${r.energy.model}.`);
  out.push("");
  out.push(table(["term", "count per inference", "each", "energy", "grade", "source"], r.energy.breakdown.map((t) => [t.term, num(t.count), joules(t.joulesEach), joules(t.joules), t.grade, t.source])));
  out.push("");
  out.push(`ANN: ${num(r.energy.ann.macs)} MACs × ${joules(r.energy.ann.joulesPerMac)} = ${joules(r.energy.annJoulesPerInference)} (${r.energy.ann.source}). SNN under the same 45 nm convention (first layer at E_MAC, others at E_AC = 0.9 pJ): ${joules(r.energy.convention.joules)} (ratio ${num(r.energy.convention.ratioToAnn)}).`);
  out.push("");
  out.push("Caveats:");
  for (const c of r.energy.caveats) out.push(`- ${c}`);
  out.push("");
  if (r.importCheck) {
    out.push("## Import check");
    out.push("");
    out.push(r.importCheck.checked ? `Float interpreter vs ${r.importCheck.against}: max |diff| = ${r.importCheck.maxAbsDiff.toExponential(2)} on ${r.importCheck.samples} samples.` : r.importCheck.note);
    out.push("");
  }
  out.push("## Pass timings");
  out.push("");
  out.push(table(["pass", "seconds"], r.timings.map((t) => [t.pass, t.seconds.toFixed(3)])));
  out.push("");
  return out.join("\n");
}
