/**
 * @fileoverview The files of `snnc sweep`: sweep.json (the SweepResult), sweep.csv (one row per point) and
 * sweep.html — self-contained (no script, no fetch: report.html's stylesheet and CSP), two inline SVG charts of
 * SNN accuracy against energy and against latency per inference (log axes). Every evaluated point is one
 * circle (filled when it is on the accuracy–energy–latency Pareto set), the two-dimensional front of each chart
 * is a line; a table lists every point, failed ones with their error code. Pure functions of the result.
 */
import { Html, h, joules, pct, seconds } from "../report/html/markup.ts";
import { CSP, CSS } from "../report/html/style.ts";
import { bottomAxis, category, chart, decades, emptyNote, leftAxis, linear, log, niceTicks, swatch } from "../report/html/svg.ts";
import { front2d, type PointMetrics, pointLabel, type SweepPoint } from "./grid.ts";
import type { SweepResult } from "./run.ts";

export function renderJson(r: SweepResult): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

function csvCell(v: string | number | boolean | null): string {
  if (v === null) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = ["target", "method", "timesteps", "ok", "error", "ann_accuracy", "snn_accuracy", "samples", "joules_per_inference", "seconds_per_inference", "spikes_per_inference", "synaptic_ops_per_inference", "cores", "chips", "neurons", "synapses", "bit_exact", "pareto"] as const;

export function renderCsv(r: SweepResult): string {
  const pareto = new Set(r.pareto);
  const rows = r.points.map((p, i) => {
    const m = p.ok ? p.metrics : null;
    return [p.target, p.method, p.timesteps, p.ok, p.ok ? null : `${p.error.code}: ${p.error.message}`, m?.accuracy?.ann ?? null, m?.accuracy?.snn ?? null, m?.accuracy?.samples ?? null,
      m?.joulesPerInference ?? null, m?.secondsPerInference ?? null, m?.spikesPerInference ?? null, m?.synapticOpsPerInference ?? null, m?.cores ?? null, m?.chips ?? null,
      m?.neurons ?? null, m?.synapses ?? null, m?.bitExact ?? null, pareto.has(i)].map(csvCell).join(",");
  });
  return `${[CSV_COLUMNS.join(","), ...rows].join("\n")}\n`;
}

const W = 530;
const H = 340;
const M = { left: 64, right: 16, top: 34, bottom: 46 };

/** Accuracy (y) against a cost (x, log axis) of every evaluated point, the Pareto set filled, the 2-D front drawn. */
function scatter(id: string, r: SweepResult, cost: (m: PointMetrics) => number, xLabel: string, fmt: (v: number) => string): Html {
  const ok = r.points.map((p, i) => ({ p, i })).filter((x): x is { p: SweepPoint & { ok: true }; i: number } => x.p.ok && x.p.metrics.accuracy !== null && cost(x.p.metrics) > 0);
  const title = `SNN accuracy against ${xLabel}`;
  if (ok.length === 0) return chart(id, W, H, title, emptyNote(W, H, "no evaluated point with labelled data"));
  const costs = ok.map((x) => cost(x.p.metrics));
  const accs = ok.map((x) => x.p.metrics.accuracy?.snn ?? 0);
  let lo = Math.min(...costs);
  let hi = Math.max(...costs);
  if (hi <= lo * 1.0001) {
    lo /= 2;
    hi *= 2;
  }
  const dec = decades(lo, hi);
  const xs = log(10, dec[0] as number, dec[dec.length - 1] as number, M.left, W - M.right);
  const yt = niceTicks(Math.min(...accs), Math.max(...accs), 5);
  const ys = linear(yt.lo, yt.hi, H - M.bottom, M.top);
  const pareto = new Set(r.pareto);
  const targets = r.grid.targets;
  const colour = (t: string) => category(Math.max(0, targets.indexOf(t)));
  const front = front2d(r.points, cost).filter((i) => ok.some((x) => x.i === i)).map((i) => {
    const m = (r.points[i] as SweepPoint & { ok: true }).metrics;
    return `${xs(cost(m)).toFixed(2)},${ys(m.accuracy?.snn ?? 0).toFixed(2)}`;
  });
  const marks = ok.map(({ p, i }) => {
    const x = xs(cost(p.metrics));
    const y = ys(p.metrics.accuracy?.snn ?? 0);
    const c = colour(p.target);
    const label = `${pointLabel(p)}: accuracy ${pct(p.metrics.accuracy?.snn ?? 0, 2)}, ${fmt(cost(p.metrics))}${pareto.has(i) ? " (Pareto)" : ""}`;
    return h`<circle class="point${pareto.has(i) ? " pareto" : ""}" data-index="${String(i)}" cx="${x}" cy="${y}" r="${pareto.has(i) ? 5.5 : 4.5}" fill="${pareto.has(i) ? c : "#fff"}" stroke="${c}" stroke-width="2"><title>${label}</title></circle>`;
  });
  const legend = targets.map((t, k) => swatch(M.left + 8 + k * 150, 16, colour(t), t));
  return chart(id, W, H, title, h`${bottomAxis({ at: H - M.bottom, grid: -(H - M.top - M.bottom), ticks: dec, scale: xs, format: fmt, label: xLabel })}${leftAxis({ at: M.left, grid: W - M.left - M.right, ticks: yt.ticks, scale: ys, format: (v) => pct(v, 0), label: "SNN accuracy" })}<polyline class="front" points="${front.join(" ")}" fill="none" stroke="#66717e" stroke-width="1.5" stroke-dasharray="5 3"/>${marks}${legend}`);
}

export function renderHtml(r: SweepResult): string {
  const pareto = new Set(r.pareto);
  const okCount = r.points.filter((p) => p.ok).length;
  const rows = r.points.map((p, i) => {
    if (!p.ok) return h`<tr class="failed"><td>${p.target}</td><td>${p.method}</td><td>${String(p.timesteps)}</td><td colspan="6">${p.error.code}: ${p.error.message}</td></tr>`;
    const m = p.metrics;
    return h`<tr${pareto.has(i) ? h` class="pareto"` : null}><td>${p.target}</td><td>${p.method}</td><td>${String(p.timesteps)}</td><td>${m.accuracy ? pct(m.accuracy.snn, 2) : "–"}</td><td>${m.accuracy ? pct(m.accuracy.ann, 2) : "–"}</td><td>${joules(m.joulesPerInference)}</td><td>${seconds(m.secondsPerInference)}</td><td>${String(m.cores)}</td><td>${pareto.has(i) ? "yes" : ""}</td></tr>`;
  });
  const page = h`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>snnc sweep — ${r.model}</title><style>${new Html(CSS)}
table.sweep{border-collapse:collapse;font-size:13px;width:100%}table.sweep td,table.sweep th{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left}
tr.pareto td{font-weight:600}tr.failed td{color:var(--warn)}.charts{display:flex;flex-wrap:wrap;gap:12px}svg .front{pointer-events:none}</style></head>
<body><main><header><div class="kicker">snnc ${r.snncVersion} · design-space sweep</div><h1>${r.model}</h1>
<ul class="meta"><li><b>targets</b>${r.grid.targets.join(", ")}</li><li><b>methods</b>${r.grid.methods.join(", ")}</li><li><b>T</b>${r.grid.timesteps.join(", ")}</li><li><b>points</b>${String(okCount)} of ${String(r.points.length)} compiled</li><li><b>samples</b>${String(r.samples)}</li><li><b>ran on</b>${r.ranOn}</li></ul></header>
<section id="pareto"><h2>Accuracy, energy and latency: the Pareto front</h2><p class="lead">Each circle is one compiled point (target colour); filled circles are on the Pareto set over SNN accuracy (higher), energy and latency per inference (lower); the dashed line is each chart's two-dimensional front. Data: ${r.data}.</p>
<div class="charts">${scatter("chart-energy-accuracy", r, (m) => m.joulesPerInference, "energy per inference", (v) => joules(v, 2))}${scatter("chart-latency-accuracy", r, (m) => m.secondsPerInference, "latency per inference", seconds)}</div></section>
<section id="points"><h2>Every point</h2><table class="sweep"><thead><tr><th>target</th><th>method</th><th>T</th><th>SNN accuracy</th><th>ANN accuracy</th><th>energy / inference</th><th>latency / inference</th><th>cores</th><th>Pareto</th></tr></thead><tbody>${rows}</tbody></table></section>
</main></body></html>
`;
  return page.html;
}
