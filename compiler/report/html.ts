/**
 * @fileoverview report.html: one self-contained page rendered from report.json — inline CSS, inline SVG
 * charts drawn here in TypeScript (html/*.ts), a few lines of script for the mesh toggle, no network
 * requests (a Content-Security-Policy forbids them). Every string from the report is escaped.
 *
 * Chart ids (stable, tested): chart-mesh, chart-spikes, chart-energy, chart-accuracy, chart-layer-error,
 * chart-raster.
 */
import type { Report } from "./build.ts";
import { rasterChart, spikesChart } from "./html/activity.ts";
import { energyChart } from "./html/energy.ts";
import { h, type Html, int } from "./html/markup.ts";
import { meshChart } from "./html/mesh.ts";
import { accuracyChart, layerErrorChart } from "./html/quality.ts";
import { CSP, CSS, SCRIPT } from "./html/style.ts";
import { conversionTable, energyTable, layersTable, mappingTable, quantisationTable, summaryTable, timingsTable } from "./html/tables.ts";

function section(id: string, title: string, body: Html, lead?: string): Html {
  return h`<section id="${id}"><h2>${title}</h2>${lead ? h`<p class="lead">${lead}</p>` : null}${body}</section>`;
}

function header(r: Report): Html {
  const meta: [string, string][] = [
    ["method", r.method],
    ["T", `${r.timesteps} timesteps (${r.latency.steps} steps)`],
    ["neuron", r.targetInfo.neuronModel],
    ["data", r.data],
    ["snnc", r.snncVersion],
  ];
  return h`<header><div class="kicker">snnc compile report</div><h1>${r.model}</h1><p class="target">${r.targetInfo.title} <span class="muted">(target ${r.target}, ${r.targetInfo.family} family)</span></p><ul class="meta">${meta.map(([k, v]) => h`<li><b>${k}</b>${v}</li>`)}</ul><nav><a href="#summary">Summary</a><a href="#mapping">Chip mesh</a><a href="#activity">Spikes</a><a href="#energy">Energy</a><a href="#conversion">Conversion</a><a href="#raster">Raster</a><a href="#layers">Layers</a><a href="#quantisation">Quantisation</a><a href="#mapping-figures">Mapping</a><a href="#timings">Timings</a></nav></header>`;
}

function accuracyCaption(r: Report): string {
  const acc = r.accuracy;
  const n = r.conversion.accuracyVsTimesteps.samples;
  if (!acc) return "Accuracy not measured: the data has no labels.";
  return n === acc.samples
    ? `Float SNN before quantisation, the ANN and the on-chip (quantised) SNN, all on the same ${n} samples.`
    : `Float SNN before quantisation on the first ${n} samples; the ANN and the on-chip (quantised) SNN on ${acc.samples} samples, so the curve and the reference line need not agree exactly.`;
}

function errorCaption(r: Report): string {
  const d = r.conversion.diagnostics;
  const local = d.layers.some((l) => typeof (l as { localError?: number }).localError === "number");
  const what = local
    ? "Rate-coded estimate (spikes / T × spike value) against the ANN activation on the same inputs (cumulative: everything upstream included) and against the ANN layer fed with the SNN's own estimate of its inputs (local: what the layer itself loses); r is the Pearson correlation with the ANN."
    : "Rate-coded estimate (spikes / T × spike value) against the ANN activation on the same inputs; r is the Pearson correlation.";
  return d.worst ? `${what} Largest ${local ? "local " : ""}error: ${d.worst}.` : what;
}

export function renderHtml(r: Report): string {
  const mesh = meshChart(r);
  const raster = rasterChart(r);
  const e = r.energy;
  const meshToolbar = h`<div class="toolbar">colour cores by <label><input type="radio" name="mesh-colour" value="utilisation" checked> utilisation</label><label><input type="radio" name="mesh-colour" value="layer"> layer</label></div>`;
  const body = [
    header(r),
    section("summary", "Summary", summaryTable(r)),
    section("mapping", "Chip mesh", h`${meshToolbar}${mesh.svg}<p class="caption">${mesh.caption}</p>`,
      "Every core in use at its place on the chips. Utilisation is the core's most used resource (neurons, axons, synapse memory, profiles, formats) against the target's limit."),
    section("activity", "Spikes per layer", h`${spikesChart(r)}<p class="caption">Mean over ${int(r.run.samples)} evaluation samples on the emulated chip. Rate = spikes / (neurons × ${String(r.latency.steps)} steps). Total ${int(r.run.spikesPerInference)} spikes and ${int(r.run.synapticOpsPerInference)} synaptic ops per inference.</p>`),
    section("energy", "Energy per inference", h`${energyChart(r)}<p class="caption">Model: ${e.model}. Bars are colour-coded by the evidence grade of the constant behind each term; hover for counts and sources.</p><h3>Terms</h3>${energyTable(r)}<h3>Caveats</h3><ul class="caveats">${e.caveats.map((c) => h`<li>${c}</li>`)}</ul>`),
    section("conversion", "Conversion quality", h`<div class="two"><div><h3>Accuracy against timesteps</h3>${accuracyChart(r)}<p class="caption">${accuracyCaption(r)}</p></div><div><h3>Per-layer ANN vs SNN error</h3>${layerErrorChart(r)}<p class="caption">${errorCaption(r)}</p></div></div><h3>Options</h3>${conversionTable(r)}`),
    section("raster", "Spike raster", h`${raster.svg}<p class="caption">${raster.caption}</p>`),
    section("layers", "Layers", layersTable(r), "Network layers joined with the emulated run and the per-layer diagnostics; synaptic ops are those caused by the layer's spikes."),
    section("quantisation", "Quantisation", quantisationTable(r), "Per layer: state units per threshold, and for each incoming projection the weight format and its error in thresholds."),
    section("mapping-figures", "Mapping", mappingTable(r)),
    section("timings", "Pass timings", timingsTable(r)),
    h`<footer>Generated by snnc ${r.snncVersion}. Self-contained page: no fonts, scripts or images are fetched.</footer>`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>${h`snnc report: ${r.model} on ${r.targetInfo.title}`}</title>
<style>${CSS}</style></head>
<body><main>
${body.join("\n")}
</main>
<script>${SCRIPT}</script>
</body></html>
`;
}
