/**
 * @fileoverview Chart primitives for report.html, rendered server-side as SVG markup: scales, nice ticks,
 * axes with tick labels, the sequential (viridis) and categorical palettes, and the chart frame.
 */
import { type Html, h, type Part } from "./markup.ts";

export type Scale = (v: number) => number;

export function linear(d0: number, d1: number, r0: number, r1: number): Scale {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

export function log(base: number, d0: number, d1: number, r0: number, r1: number): Scale {
  const l = (v: number) => Math.log(v) / Math.log(base);
  const s = linear(l(d0), l(d1), r0, r1);
  return (v) => s(l(Math.max(v, Number.MIN_VALUE)));
}

/** Round tick values covering [lo, hi] with about `count` steps (1, 2, 5 × 10^k), and the widened domain. */
export function niceTicks(lo: number, hi: number, count = 5): { ticks: number[]; lo: number; hi: number } {
  if (!(hi > lo)) hi = lo + (lo === 0 ? 1 : Math.abs(lo));
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag);
  const a = Math.floor(lo / step + 1e-9) * step;
  const b = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = a; v <= b + step * 1e-6; v += step) ticks.push(Number(v.toPrecision(12)));
  return { ticks, lo: a, hi: b };
}

/** Decades covering [lo, hi] (both > 0). */
export function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo) + 1e-9); e <= Math.ceil(Math.log10(hi) - 1e-9); e++) out.push(10 ** e);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Colour.

const VIRIDIS = ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"];

function hexRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Sequential colour for t in [0, 1] (viridis: dark purple → yellow). */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const a = hexRgb(VIRIDIS[i] as string);
  const b = hexRgb(VIRIDIS[i + 1] as string);
  const f = x - i;
  const c = a.map((v, k) => Math.round(v + ((b[k] as number) - v) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

export const VIRIDIS_STOPS: readonly string[] = VIRIDIS;

/** Dark or light text for a fill. */
export function inkOn(fill: string): string {
  const [r, g, b] = hexRgb(fill);
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#1d2733" : "#ffffff";
}

const CATEGORICAL = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/** Categorical colour of the i-th layer (cycles after ten). */
export function category(i: number): string {
  return CATEGORICAL[((i % CATEGORICAL.length) + CATEGORICAL.length) % CATEGORICAL.length] as string;
}

export const INK = "#1d2733";
export const GRID = "#e3e7ec";
export const ACCENT = "#3b6ea8";

// ---------------------------------------------------------------------------------------------------------
// Frame and axes.

/** An inline chart: a stable id, a viewBox scaled to the container's width, an accessible title. */
export function chart(id: string, width: number, height: number, title: string, body: Part): Html {
  return h`<svg id="${id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-title"><title id="${id}-title">${title}</title>${body}</svg>`;
}

export interface AxisOptions {
  /** Pixel position of the axis line (y for a bottom axis, x for a left axis). */
  readonly at: number;
  /** Extent of the gridlines across the plot, from `at` (negative = up / left). */
  readonly grid?: number;
  readonly ticks: readonly number[];
  readonly scale: Scale;
  readonly format: (v: number) => string;
  readonly label?: string;
  /** Label position along the axis (centre of the plot). */
  readonly labelAt?: number;
}

export function bottomAxis(o: AxisOptions): Html {
  const xs = o.ticks.map((t) => o.scale(t));
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return h`<g class="axis">${o.ticks.map((t) => {
    const x = o.scale(t);
    return h`${o.grid ? h`<line class="grid" x1="${x}" x2="${x}" y1="${o.at}" y2="${o.at + o.grid}"/>` : null}<line x1="${x}" x2="${x}" y1="${o.at}" y2="${o.at + 4}"/><text x="${x}" y="${o.at + 15}" text-anchor="middle">${o.format(t)}</text>`;
  })}<line x1="${lo}" x2="${hi}" y1="${o.at}" y2="${o.at}"/>${o.label ? h`<text class="axis-label" x="${o.labelAt ?? (lo + hi) / 2}" y="${o.at + 31}" text-anchor="middle">${o.label}</text>` : null}</g>`;
}

export function leftAxis(o: AxisOptions): Html {
  const ys = o.ticks.map((t) => o.scale(t));
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  return h`<g class="axis">${o.ticks.map((t) => {
    const y = o.scale(t);
    return h`${o.grid ? h`<line class="grid" x1="${o.at}" x2="${o.at + o.grid}" y1="${y}" y2="${y}"/>` : null}<line x1="${o.at - 4}" x2="${o.at}" y1="${y}" y2="${y}"/><text x="${o.at - 7}" y="${y + 3.5}" text-anchor="end">${o.format(t)}</text>`;
  })}<line x1="${o.at}" x2="${o.at}" y1="${lo}" y2="${hi}"/>${o.label ? h`<text class="axis-label" transform="translate(${o.at - 42} ${o.labelAt ?? (lo + hi) / 2}) rotate(-90)" text-anchor="middle">${o.label}</text>` : null}</g>`;
}

/** A legend swatch and its text; returns the markup and the width used. */
export function swatch(x: number, y: number, fill: string, text: string, opts: { dashed?: boolean; line?: boolean } = {}): Html {
  const mark = opts.line
    ? h`<line x1="${x}" x2="${x + 16}" y1="${y - 4}" y2="${y - 4}" stroke="${fill}" stroke-width="2"${opts.dashed ? h` stroke-dasharray="5 3"` : null}/>`
    : h`<rect x="${x}" y="${y - 9}" width="12" height="10" rx="2" fill="${fill}"/>`;
  return h`<g class="legend">${mark}<text x="${x + (opts.line ? 21 : 17)}" y="${y}">${text}</text></g>`;
}

/** A note drawn in the middle of an empty chart. */
export function emptyNote(width: number, height: number, text: string): Html {
  return h`<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="6" fill="#f7f9fb" stroke="${GRID}"/><text class="empty" x="${width / 2}" y="${height / 2 + 4}" text-anchor="middle">${text}</text>`;
}
