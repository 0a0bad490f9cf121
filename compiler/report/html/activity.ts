/**
 * @fileoverview Activity charts of report.html: spikes per inference and firing rate per layer
 * (`chart-spikes`, two bar panels sharing the layer axis) and the spike raster of the first sample
 * (`chart-raster`, one band per layer, one dot per spike, the end of the input window marked).
 */
import type { Report } from "../build.ts";
import { compact, fit, h, type Html, int, num, textWidth } from "./markup.ts";
import { ACCENT, bottomAxis, chart, category, emptyNote, linear, niceTicks } from "./svg.ts";

const WIDTH = 1080;

/** Dots drawn at most in the raster (the report keeps ≤ 48 neurons per layer, so this rarely binds). */
export const RASTER_DOT_CAP = 25000;

export function spikesChart(r: Report): Html {
  const layers = r.run.layers;
  if (!layers.length) return chart("chart-spikes", WIDTH, 120, "Spikes per layer", emptyNote(WIDTH, 120, "no layers"));
  const labelW = Math.min(190, Math.max(70, ...layers.map((l) => textWidth(l.name, 11) + 14)));
  const rowH = layers.length > 24 ? 14 : 22;
  const barH = rowH - 6;
  const top = 30;
  const plotH = layers.length * rowH;
  const gapX = 70;
  const panelW = (WIDTH - labelW - gapX - 60) / 2;
  const x0 = labelW;
  const x1 = labelW + panelW + gapX;
  const sTicks = niceTicks(0, Math.max(...layers.map((l) => l.spikesPerInference), 1e-9), 5);
  const rTicks = niceTicks(0, Math.max(...layers.map((l) => l.rate), 1e-9), 5);
  const sx = linear(0, sTicks.hi, x0, x0 + panelW);
  const rx = linear(0, rTicks.hi, x1, x1 + panelW);
  const rows = layers.map((l, i) => {
    const y = top + i * rowH;
    const ws = sx(l.spikesPerInference) - x0;
    const wr = rx(l.rate) - x1;
    const band = i % 2 ? null : h`<rect class="band" x="0" y="${y}" width="${WIDTH}" height="${rowH}"/>`;
    const label = h`<text class="row-label" x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${fit(l.name, labelW - 12, 11)}<title>${l.name}</title></text>`;
    const spikes = h`<rect class="bar bar-spikes" x="${x0}" y="${y + 3}" width="${Math.max(0, ws)}" height="${barH}" fill="${ACCENT}"><title>${l.name}: ${num(l.spikesPerInference)} spikes per inference</title></rect><text class="value" x="${x0 + ws + 4}" y="${y + rowH / 2 + 4}">${compact(l.spikesPerInference)}</text>`;
    const rate = h`<rect class="bar bar-rate" x="${x1}" y="${y + 3}" width="${Math.max(0, wr)}" height="${barH}" fill="${category(1)}"><title>${l.name}: ${num(l.rate)} spikes per neuron per step</title></rect><text class="value" x="${x1 + wr + 4}" y="${y + rowH / 2 + 4}">${num(l.rate)}</text>`;
    return { band, row: h`<g class="row">${label}${spikes}${rate}</g>` };
  });
  const axisY = top + plotH;
  const body = [
    h`<text class="panel-title" x="${x0}" y="16">spikes per inference</text><text class="panel-title" x="${x1}" y="16">firing rate (spikes / neuron / step)</text>`,
    ...rows.map((x) => x.band),
    bottomAxis({ at: axisY, grid: -plotH, ticks: sTicks.ticks, scale: sx, format: compact, label: `spikes per inference (mean of ${int(r.run.samples)} samples)` }),
    bottomAxis({ at: axisY, grid: -plotH, ticks: rTicks.ticks, scale: rx, format: (v) => String(Number(v.toPrecision(3))), label: `rate over ${r.latency.steps} steps` }),
    ...rows.map((x) => x.row),
  ];
  return chart("chart-spikes", WIDTH, axisY + 42, "Spikes per inference and firing rate per layer", body);
}

export function rasterChart(r: Report): { svg: Html; caption: string } {
  const layers = r.raster.layers;
  const steps = Math.max(1, r.raster.steps);
  const total = layers.reduce((a, l) => a + l.spikes.length, 0);
  if (!layers.length) return { svg: chart("chart-raster", WIDTH, 120, "Spike raster", emptyNote(WIDTH, 120, "no raster recorded")), caption: "" };
  // Each band's labels: its name and "N spikes, M neurons" under it, right-aligned before the plot; the
  // label column is as wide as the widest of them (so none is clipped at the left edge), names cut to fit.
  const subLabel = (l: (typeof layers)[number]) => `${int(l.spikes.length)} spikes, ${l.neurons} neurons`;
  // textWidth is an estimate; fonts differ between machines, so the column gets 25% to spare.
  const labelW = Math.min(240, Math.max(80, ...layers.map((l) => 1.25 * Math.max(textWidth(l.name, 11), textWidth(subLabel(l), 10)) + 16)));
  const plotX = labelW;
  const plotW = WIDTH - labelW - 20;
  const top = 24;
  const bandGap = 6;
  const bandH = Math.max(24, Math.min(96, Math.floor(620 / layers.length) - bandGap));
  const x = linear(0, steps, plotX, plotX + plotW);
  const stepW = plotW / steps;
  let budget = RASTER_DOT_CAP;
  const parts: Html[] = [];
  layers.forEach((l, i) => {
    const y = top + i * (bandH + bandGap);
    const n = Math.max(1, l.neurons);
    const rowH = bandH / n;
    const radius = Math.max(1.6, Math.min(stepW * 0.3, rowH * 1.1, 3));
    const colour = category(i);
    const spikes = l.spikes.slice(0, Math.max(0, budget));
    budget -= spikes.length;
    const dots = spikes.map(([t, k]) => h`<circle class="spike" cx="${x(t + 0.5)}" cy="${y + (k + 0.5) * rowH}" r="${radius}" fill="${colour}"/>`);
    parts.push(h`<g class="raster-band"><rect class="band-bg" x="${plotX}" y="${y}" width="${plotW}" height="${bandH}"/><text class="row-label" x="${labelW - 8}" y="${y + bandH / 2}" text-anchor="end">${fit(l.name, (labelW - 12) / 1.25, 11)}<title>${l.name}</title></text><text class="sub-label" x="${labelW - 8}" y="${y + bandH / 2 + 13}" text-anchor="end">${fit(subLabel(l), (labelW - 12) / 1.25, 10)}</text>${dots}<title>${l.name}: ${l.spikes.length} spikes from its first ${l.neurons} neurons (rows) over ${steps} steps</title></g>`);
  });
  const axisY = top + layers.length * (bandH + bandGap) - bandGap + 4;
  // The input is presented at every one of the T + D steps; a layer at depth d sees it from step d, so the
  // readout (depth D) integrates steps D … D + T − 1: the first D steps fill the pipeline.
  const t = r.timesteps;
  const fill = steps - t;
  const leftText = `pipeline fill, ${fill} step${fill === 1 ? "" : "s"}`;
  const rightText = `readout window, T = ${t} steps (input presented at all ${steps} steps)`;
  const rightShort = `readout window, T = ${t} steps`;
  const room = plotX + plotW - x(fill) - 10;
  const right = textWidth(rightText, 10) < room ? rightText : rightShort;
  const tMark = fill > 0 && fill < steps
    ? h`<line class="marker" x1="${x(fill)}" x2="${x(fill)}" y1="${top - 16}" y2="${axisY}"/>${textWidth(leftText, 10) + 10 < fill * stepW + plotX - 4 ? h`<text class="marker-label" x="${x(fill) - 5}" y="${top - 6}" text-anchor="end">${leftText}</text>` : null}<text class="marker-label marker-readout" x="${x(fill) + 5}" y="${top - 6}">${right}</text>`
    : null;
  const ticks = niceTicks(0, steps, Math.min(12, steps)).ticks.filter((v) => v <= steps);
  parts.push(h`${tMark}`);
  parts.push(bottomAxis({ at: axisY, ticks, scale: x, format: (v) => String(v), label: "timestep of the first sample" }));
  const drawn = Math.min(total, RASTER_DOT_CAP);
  const caption = `First evaluation sample: each band is a layer, each row one of its first ≤ 48 neurons, each dot a spike (${int(total)} spikes${drawn < total ? `, the first ${int(drawn)} drawn` : ""}). The input is presented at all ${steps} steps; the readout counts the last T = ${t}${fill > 0 ? `, after ${fill} step${fill === 1 ? "" : "s"} that fill the layer pipeline` : ""}.`;
  return { svg: chart("chart-raster", WIDTH, axisY + 40, "Spike raster of the first sample", parts), caption };
}
