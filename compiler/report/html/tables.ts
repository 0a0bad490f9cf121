/**
 * @fileoverview Tables of report.html: the summary, layers (network joined with the run and the
 * diagnostics), quantisation, mapping figures, energy terms with their sources, conversion options and
 * checks, pass timings. Every cell is text escaped by `h`.
 */
import type { Report } from "../build.ts";
import { GRADE_COLOURS } from "./energy.ts";
import { h, Html, int, joules, num, pct, seconds } from "./markup.ts";

type Cell = string | Html | { readonly v: string | Html; readonly num?: boolean; readonly cls?: string };

function cell(c: Cell, tag: "td" | "th"): Html {
  const o = typeof c === "string" || c instanceof Html ? { v: c } : c;
  const cls = ["num" in o && o.num ? "num" : "", "cls" in o ? o.cls ?? "" : ""].filter(Boolean).join(" ");
  const attr = cls ? h` class="${cls}"` : null;
  return tag === "td" ? h`<td${attr}>${o.v}</td>` : h`<th${attr}>${o.v}</th>`;
}

const n = (v: string): Cell => ({ v, num: true });

export function table(head: readonly Cell[], rows: readonly (readonly Cell[])[], cls = ""): Html {
  return h`<div class="table-wrap"><table class="${cls}"><thead><tr>${head.map((c) => cell(c, "th"))}</tr></thead><tbody>${rows.map((r) => h`<tr>${r.map((c) => cell(c, "td"))}</tr>`)}</tbody></table></div>`;
}

function badge(ok: boolean, text: string): Html {
  return h`<span class="badge ${ok ? "ok" : "bad"}">${text}</span>`;
}

export function summaryTable(r: Report): Html {
  const a = r.accuracy;
  const v = r.verification;
  const mm = v.firstMismatch;
  const e = r.energy;
  const rows: [string, Html | string][] = [
    ["accuracy (ANN → SNN on the chip)", a
      ? h`<strong>${pct(a.ann, 2)} → ${pct(a.snn, 2)}</strong> <span class="muted">(${`${(a.snn - a.ann) * 100 >= 0 ? "+" : "−"}${Math.abs((a.snn - a.ann) * 100).toFixed(2)}`} points, ${int(a.samples)} samples)</span>`
      : h`<span class="muted">not measured: the data has no labels</span>`],
    ["bit-exact with the reference model", v.bitExact
      ? h`${badge(true, "yes")} <span class="muted">${int(v.samples)} samples, ${int(v.comparedSteps)} steps, ${int(v.comparedSpikes)} spikes compared</span>`
      : h`${badge(false, "NO")} ${mm ? `first mismatch: sample ${mm.sample}, step ${mm.timestep}, layer ${mm.layer}, neuron ${mm.neuron}, core ${mm.core}: expected ${mm.expected}, got ${mm.got}` : "no mismatch recorded"}`],
    ["neurons / synapses", `${int(r.network.neurons)} / ${int(r.network.synapses)}`],
    ["cores / chips", `${int(r.mapping.cores)} cores on ${r.mapping.chips} chip${r.mapping.chips === 1 ? "" : "s"} (mean utilisation ${pct(r.mapping.coreUtilisation.mean)})`],
    ["spikes / synaptic ops per inference", `${int(r.run.spikesPerInference)} / ${int(r.run.synapticOpsPerInference)}`],
    ["energy per inference", h`SNN on the target <strong>${joules(e.snnJoulesPerInference)}</strong> vs ANN ${joules(e.annJoulesPerInference)} (45 nm MACs): <strong>SNN/ANN = ${num(e.ratio)}×</strong><br><span class="muted">SNN under the 45 nm convention: ${joules(e.convention.joules)} (${num(e.convention.ratioToAnn)}× ANN)</span>`],
    ["latency per inference", `${seconds(r.latency.secondsPerInference)} (${r.latency.steps} steps × ${seconds(r.latency.secondsPerStep)}: T = ${r.latency.timesteps} + ${r.latency.readoutDepth}-step pipeline)`],
  ];
  return h`<table class="summary"><tbody>${rows.map(([k, val]) => h`<tr><th>${k}</th><td>${val}</td></tr>`)}</tbody></table>`;
}

function local(d: Report["conversion"]["diagnostics"]["layers"][number] | undefined): string {
  const v = (d as { localError?: number } | undefined)?.localError;
  return typeof v === "number" ? num(v) : "–";
}

export function layersTable(r: Report): Html {
  const run = new Map(r.run.layers.map((l) => [l.name, l]));
  const diag = new Map(r.conversion.diagnostics.layers.map((l) => [l.name, l]));
  return table(
    ["#", "layer", "kind", "shape", n("neurons"), n("synapses in"), n("cores"), n("spikes / inference"), n("rate"), n("synaptic ops / inference"), n("rel. error (cumulative)"), n("rel. error (local)"), n("correlation")],
    r.network.layers.map((l, i) => {
      const x = run.get(l.name) ?? r.run.layers[i];
      const d = diag.get(l.name);
      return [n(String(i + 1)), { v: l.name, cls: l.name === r.conversion.diagnostics.worst ? "strong" : "" }, l.kind, l.shape.join("×"), n(int(l.neurons)), n(int(l.synapses)), n(String(l.cores)),
        n(x ? num(x.spikesPerInference) : "–"), n(x ? num(x.rate) : "–"), n(x ? num(x.synapticOpsPerInference) : "–"), n(d ? num(d.relativeError) : "–"), n(local(d)), n(d ? d.correlation.toFixed(4) : "–")];
    }),
  );
}

export function quantisationTable(r: Report): Html {
  const rows: Cell[][] = [];
  for (const l of r.quantisation) {
    const ps = l.projections.length ? l.projections : [null];
    ps.forEach((p, i) => rows.push([
      i === 0 ? l.name : "", n(i === 0 ? (Number.isInteger(l.scale) ? int(l.scale) : num(l.scale)) : ""), n(i === 0 ? int(l.thresholdMantissa) : ""),
      p ? p.origin : "–", { v: p ? p.format : "–", cls: "fmt" }, n(p ? p.relRmsError.toExponential(2) : "–"),
      n(p ? `${p.maxAbsError.toExponential(2)} / ${p.halfStep.toExponential(2)}` : "–"), n(p ? pct(p.zeroed, 2) : "–"), n(i === 0 ? l.biasMaxAbsError.toExponential(2) : ""),
    ]));
  }
  return table(["layer", n("scale (units / threshold)"), n("threshold mantissa"), "weights of", "weight format", n("rel. RMS weight error"), n("max error / half step (thr.)"), n("weights → 0"), n("bias max error (thr.)")], rows);
}

export function mappingTable(r: Report): Html {
  const m = r.mapping;
  const re = m.routingEntries;
  const rows: Cell[][] = [
    ["cores / chips", `${int(m.cores)} / ${m.chips} (system: ${m.grid.chipsX}×${m.grid.chipsY} chips${m.grid.torus ? ", hex-torus" : `, ${m.grid.tilesX}×${m.grid.tilesY} tiles per chip`})`],
    ["core utilisation (bottleneck resource)", `mean ${pct(m.coreUtilisation.mean)}, max ${pct(m.coreUtilisation.max)}`],
    ...Object.entries(m.coreUtilisation.perResource).map(([k, v]): Cell[] => [{ v: `· ${k === "neurons" ? "compartments" : k}`, cls: "indent" }, h`<span class="meter"><span style="width:${Math.min(100, v.mean * 100)}%"></span></span> mean ${pct(v.mean)}, max ${pct(v.max)}`]),
    ["hops per spike (placed / sequential placement)", `${m.avgHops.toFixed(2)} / ${m.sequentialAvgHops.toFixed(2)}, max ${m.maxHops}`],
    ["hops per inference (emulated)", num(r.run.hopsPerInference)],
    ["max link load (spikes per step, estimated)", num(m.maxLinkLoad)],
    ["routing entries (total / max per chip)", `${int(re.total)} / ${int(re.maxPerChip)}`],
    ["routing entries before compression", `${int(re.beforeCompression.total)} / ${int(re.beforeCompression.maxPerChip)}`],
    ["neuron updates per inference", int(r.run.neuronUpdatesPerInference)],
  ];
  return table(["figure", "value"], rows, "kv");
}

export function energyTable(r: Report): Html {
  return table(["term", n("count / inference"), n("each"), n("energy"), "grade", "source"], r.energy.breakdown.map((t) => [
    t.term, n(num(t.count)), n(joules(t.joulesEach)), n(joules(t.joules)), h`<span class="grade" style="--g:${GRADE_COLOURS[t.grade] ?? "#999"}">${t.grade}</span>`, { v: t.source, cls: "source" },
  ]));
}

export function conversionTable(r: Report): Html {
  const rows: Cell[][] = Object.entries(r.conversion.options).map(([k, v]) => [k, v === null || v === undefined ? "default" : typeof v === "object" ? JSON.stringify(v) : String(v)]);
  const ic = r.importCheck;
  rows.push(["import check", ic ? (ic.checked ? `interpreter vs ${ic.against}: max |diff| = ${ic.maxAbsDiff.toExponential(2)} on ${ic.samples} samples` : ic.note) : "not run"]);
  return table(["option", "value"], rows, "kv");
}

export function timingsTable(r: Report): Html {
  const total = r.timings.reduce((a, t) => a + t.seconds, 0);
  return table(["pass", n("seconds"), "share"], [
    ...r.timings.map((t): Cell[] => [t.pass, n(t.seconds.toFixed(3)), h`<span class="meter"><span style="width:${total > 0 ? (t.seconds / total) * 100 : 0}%"></span></span> ${pct(total > 0 ? t.seconds / total : 0)}`]),
    [{ v: "total", cls: "strong" }, n(total.toFixed(3)), ""],
  ]);
}
