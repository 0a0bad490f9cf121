/**
 * @fileoverview Conversion-quality charts of report.html: accuracy of the float SNN against timesteps on a
 * log2 axis with the ANN's accuracy as a reference line and the on-chip SNN as a marker (`chart-accuracy`),
 * and the per-layer ANN-vs-SNN relative error with the correlation beside each bar and the worst layer
 * highlighted (`chart-layer-error`).
 */
import type { Report } from "../build.ts";
import { fit, h, type Html, int, num, pct, textWidth } from "./markup.ts";
import { ACCENT, bottomAxis, category, chart, emptyNote, INK, leftAxis, linear, log, niceTicks, swatch } from "./svg.ts";

const W = 540;
/** Colour of the local-error series. */
const LOCAL = "#e0a030";

export function accuracyChart(r: Report): Html {
  const pts = [...r.conversion.accuracyVsTimesteps.points].sort((a, b) => a.timesteps - b.timesteps).filter((p) => p.timesteps > 0);
  const acc = r.accuracy;
  const H = 348;
  if (!acc && !pts.length) return chart("chart-accuracy", W, 160, "Accuracy against timesteps", emptyNote(W, 160, "no labelled data: accuracy was not measured"));
  if (!pts.length) return chart("chart-accuracy", W, 160, "Accuracy against timesteps", emptyNote(W, 160, "no accuracy-vs-timesteps points in the report"));
  const m = { left: 58, right: 24, top: 72, bottom: 46 };
  const ts = [...pts.map((p) => p.timesteps), r.timesteps];
  const tLo = Math.min(...ts) / Math.SQRT2;
  const tHi = Math.max(...ts) * Math.SQRT2;
  const x = log(2, tLo, tHi, m.left, W - m.right);
  const values = [...pts.map((p) => p.accuracy), ...(acc ? [acc.ann, acc.snn] : []), ...(r.conversion.accuracyVsTimesteps.ann !== null && r.conversion.accuracyVsTimesteps.ann !== undefined ? [r.conversion.accuracyVsTimesteps.ann] : [])];
  const yt = niceTicks(Math.max(0, Math.min(...values) - 0.03) * 100, Math.min(1, Math.max(...values) + 0.01) * 100, 5);
  const y = linear(yt.lo, yt.hi, H - m.bottom, m.top);
  const yv = (a: number) => y(a * 100);
  const xTicks = [...new Set(ts)].sort((a, b) => a - b);
  const shownX = xTicks.length > 10 ? xTicks.filter((t) => (t & (t - 1)) === 0) : xTicks;
  const d = pts.map((p, i) => `${i ? "L" : "M"}${x(p.timesteps).toFixed(1)} ${yv(p.accuracy).toFixed(1)}`).join(" ");
  const parts: (Html | null)[] = [
    leftAxis({ at: m.left, grid: W - m.left - m.right, ticks: yt.ticks, scale: y, format: (v) => `${Number(v.toPrecision(4))}%`, label: "top-1 accuracy" }),
    bottomAxis({ at: H - m.bottom, ticks: shownX, scale: x, format: (v) => String(v), label: "timesteps T (log₂ scale)" }),
  ];
  // The ANN on the curve's own samples when the report has it (older reports: on all samples).
  const annRef = r.conversion.accuracyVsTimesteps.ann ?? acc?.ann ?? null;
  if (annRef !== null) {
    const ya = yv(annRef);
    parts.push(h`<line class="reference" x1="${m.left}" x2="${W - m.right}" y1="${ya}" y2="${ya}" stroke="${INK}" stroke-dasharray="5 3"/><text class="ref-label" x="${W - m.right - 2}" y="${ya - 5}" text-anchor="end">ANN ${pct(annRef)}</text>`);
  }
  parts.push(h`<path class="curve" d="${d}" fill="none" stroke="${ACCENT}" stroke-width="2"/>`);
  for (const p of pts) {
    parts.push(h`<circle class="point" cx="${x(p.timesteps)}" cy="${yv(p.accuracy)}" r="3.5" fill="${ACCENT}"><title>float SNN, T = ${String(p.timesteps)}: ${pct(p.accuracy)}</title></circle>`);
  }
  const n = r.conversion.accuracyVsTimesteps.samples;
  // The chip point is measured on the compile's own samples, often more than the curve's: it is drawn with
  // the ANN on those same samples (a short dashed tick at its T) and both are labelled with their count, so
  // it is never read against the curve's ANN line.
  const separate = acc !== null && acc.samples !== n;
  if (acc) {
    const cx = x(r.timesteps);
    const cy = yv(acc.snn);
    if (separate) {
      const ya = yv(acc.ann);
      parts.push(h`<line class="chip-ann" x1="${cx - 22}" x2="${cx + 22}" y1="${ya}" y2="${ya}" stroke="${category(1)}" stroke-width="2" stroke-dasharray="4 2"><title>ANN on the same ${int(acc.samples)} samples as the chip point: ${pct(acc.ann)}</title></line>`);
    }
    const label = separate ? `chip ${pct(acc.snn)} vs ANN ${pct(acc.ann)} (${int(acc.samples)} samples)` : `chip ${pct(acc.snn)}`;
    const right = cx + 9 + textWidth(label, 11) <= W - m.right;
    parts.push(h`<path class="chip-point" d="M${cx} ${cy - 6}l6 6l-6 6l-6 -6z" fill="${category(1)}" stroke="#fff"><title>SNN on the chip (quantised), T = ${String(r.timesteps)}: ${pct(acc.snn)} on ${int(acc.samples)} samples (ANN ${pct(acc.ann)} on the same samples)</title></path><text class="ref-label chip-label-acc" x="${right ? cx + 9 : cx - 9}" y="${cy + 16}" text-anchor="${right ? "start" : "end"}">${label}</text>`);
  }
  parts.push(swatch(m.left, 16, ACCENT, `float SNN (first ${int(n)} samples, before quantisation)`, { line: true }));
  if (acc) {
    parts.push(swatch(m.left, 34, INK, `ANN (first ${int(r.conversion.accuracyVsTimesteps.ann !== null ? n : acc.samples)} samples)`, { line: true, dashed: true }));
    // Its own legend row: the text is long when the chip point has its own samples.
    parts.push(h`<path d="M${m.left + 8} ${42}l5 5l-5 5l-5 -5z" fill="${category(1)}"/><text class="legend" x="${m.left + 22}" y="52">SNN on the chip at T = ${String(r.timesteps)}${separate ? `, and the ANN (dashed tick) on the same ${int(acc.samples)} samples` : ""}</text>`);
  }
  return chart("chart-accuracy", W, H, "Accuracy against timesteps", parts);
}

/** The layer's local error (against the ANN layer fed with the SNN's own inputs), when the report has it. */
function localError(l: Report["conversion"]["diagnostics"]["layers"][number]): number | null {
  const v = (l as { localError?: number }).localError;
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

export function layerErrorChart(r: Report): Html {
  const d = r.conversion.diagnostics;
  const layers = d.layers;
  if (!layers.length) return chart("chart-layer-error", W, 160, "Per-layer ANN vs SNN error", emptyNote(W, 160, "no per-layer diagnostics"));
  const hasLocal = layers.some((l) => localError(l) !== null);
  const labelW = Math.min(170, Math.max(70, ...layers.map((l) => textWidth(l.name, 11) + 14)));
  const rightW = 150;
  const barH = layers.length > 20 ? 6 : 9;
  const rowH = hasLocal ? 2 * barH + 12 : barH + 14;
  const top = hasLocal ? 48 : 28;
  const plotH = layers.length * rowH;
  const ticks = niceTicks(0, Math.max(...layers.map((l) => Math.max(l.relativeError, localError(l) ?? 0)), 1e-6), 4);
  const x0 = labelW;
  const x1 = W - rightW;
  const x = linear(0, ticks.hi, x0, x1);
  const bands = layers.map((l, i) => (l.name === d.worst ? h`<rect class="worst-band" x="0" y="${top + i * rowH}" width="${W}" height="${rowH}"/>` : null));
  const rows = layers.map((l, i) => {
    const yy = top + i * rowH + 6;
    const worst = l.name === d.worst;
    const local = localError(l);
    const w = Math.max(0, x(l.relativeError) - x0);
    const wl = local === null ? 0 : Math.max(0, x(local) - x0);
    const title = `${l.name}: cumulative relative RMS error ${num(l.relativeError)}${local === null ? "" : `, local ${num(local)}`}, correlation ${l.correlation.toFixed(4)}, rate ${num(l.rate)} (${int(l.neurons)} neurons)`;
    const cumulative = h`<rect class="bar bar-error" x="${x0}" y="${yy}" width="${w}" height="${barH}" fill="${ACCENT}"><title>${title}</title></rect><text class="value" x="${x0 + w + 4}" y="${yy + barH - 1}">${num(l.relativeError)}</text>`;
    const localBar = local === null ? null : h`<rect class="bar bar-local" x="${x0}" y="${yy + barH + 2}" width="${wl}" height="${barH}" fill="${LOCAL}"><title>${title}</title></rect><text class="value" x="${x0 + wl + 4}" y="${yy + 2 * barH + 1}">${num(local)}</text>`;
    const labelY = top + i * rowH + rowH / 2 + 4;
    return h`<g class="row${worst ? " worst" : ""}"><text class="row-label${worst ? " strong" : ""}" x="${labelW - 8}" y="${labelY}" text-anchor="end">${fit(l.name, labelW - 12, 11)}<title>${l.name}</title></text>${cumulative}${localBar}<text class="value corr" x="${W - 8}" y="${labelY}" text-anchor="end">${worst ? h`<tspan class="worst-tag">worst · </tspan>` : null}r = ${l.correlation.toFixed(4)}<title>${title}</title></text></g>`;
  });
  const axisY = top + plotH + 2;
  const legend = hasLocal
    ? [swatch(x0, 34, ACCENT, "cumulative: vs the ANN"), swatch(x0 + textWidth("cumulative: vs the ANN", 11) + 34, 34, LOCAL, "local: vs the ANN layer on the SNN's inputs")]
    : [];
  const body = [
    h`<text class="panel-title" x="${x0}" y="16">relative RMS error of the rate-coded estimate</text><text class="panel-title" x="${W - 8}" y="16" text-anchor="end">correlation</text>`,
    ...legend,
    ...bands,
    bottomAxis({ at: axisY, grid: -plotH - 2, ticks: ticks.ticks, scale: x, format: (v) => String(Number(v.toPrecision(3))), label: `RMS(SNN − reference) / RMS(reference), T = ${d.timesteps}, ${d.samples} samples` }),
    ...rows,
  ];
  return chart("chart-layer-error", W, axisY + 42, "Per-layer ANN vs SNN error", body);
}
