/**
 * @fileoverview The energy chart of report.html (`chart-energy`): one bar per term of the SNN's energy on
 * the target, coloured by the evidence grade of its constant, then the SNN total, the SNN under the 45 nm
 * AC/MAC convention and the ANN (45 nm MACs), all on one log axis in joules per inference (the terms span
 * orders of magnitude); terms with no energy are listed with the reason.
 */
import type { Grade } from "../../target/schema.ts";
import type { Report } from "../build.ts";
import { fit, h, type Html, joules, num, pct, textWidth } from "./markup.ts";
import { bottomAxis, chart, decades, GRID, INK, log, swatch } from "./svg.ts";

const WIDTH = 1080;

export const GRADE_COLOURS: Readonly<Record<Grade, string>> = {
  silicon: "#2f7d4f",
  datasheet: "#4e79a7",
  software: "#7ea6cf",
  "pre-silicon": "#e0a030",
  estimate: "#d1652a",
};

function share(f: number): string {
  return f > 0 && f < 0.001 ? "<0.1%" : pct(f);
}

interface Row {
  readonly label: string;
  readonly joules: number;
  readonly fill: string;
  readonly note: string;
  readonly title: string;
  readonly cls: string;
}

export function energyChart(r: Report): Html {
  const e = r.energy;
  const total = e.snnJoulesPerInference;
  const terms: Row[] = e.breakdown.map((t) => ({
    label: t.term, joules: t.joules, fill: GRADE_COLOURS[t.grade] ?? "#999",
    note: t.joules > 0 ? `${joules(t.joules)} · ${share(total > 0 ? t.joules / total : 0)} · ${t.grade}` : t.joulesEach === 0 ? `not modelled (${t.grade})` : `0 · no events`,
    title: `${t.term}: ${num(t.count)} × ${joules(t.joulesEach)} = ${joules(t.joules)} per inference\nconstant: ${t.source} (${t.grade})`,
    cls: "bar bar-term",
  }));
  const totals: Row[] = [
    { label: "SNN on the target (total)", joules: total, fill: INK, note: joules(total), title: `${e.model}`, cls: "bar bar-total" },
    {
      label: "SNN, 45 nm convention", joules: e.convention.joules, fill: "#8c96a3", note: `${joules(e.convention.joules)} · ${num(e.convention.ratioToAnn)}× ANN`,
      title: `first layer's ${num(e.convention.firstLayerOps)} synaptic ops at 4.6 pJ (MAC), other ${num(e.convention.otherOps)} at 0.9 pJ (AC)`, cls: "bar bar-total",
    },
    {
      label: "ANN, 45 nm MACs", joules: e.annJoulesPerInference, fill: "#b07aa1", note: `${joules(e.annJoulesPerInference)} · SNN/ANN = ${num(e.ratio)}×`,
      title: `${num(e.ann.macs)} MACs × ${joules(e.ann.joulesPerMac)}: ${e.ann.source} (${e.ann.grade})`, cls: "bar bar-total",
    },
  ];
  const all = [...terms, ...totals];
  const positive = all.map((x) => x.joules).filter((j) => j > 0);
  const lo0 = positive.length ? Math.min(...positive) : 1e-12;
  const hi0 = positive.length ? Math.max(...positive) : 1e-9;
  const ticks = decades(lo0, Math.max(hi0, lo0 * 10));
  const lo = ticks[0] as number;
  const hi = ticks[ticks.length - 1] as number;
  const labelW = Math.min(250, Math.max(150, ...all.map((x) => textWidth(x.label, 11) + 16)));
  const noteW = 190;
  const x0 = labelW;
  const x1 = WIDTH - noteW;
  const x = log(10, lo, hi, x0, x1);
  const rowH = 22;
  const sep = 14;
  const top = 12;
  const yOf = (i: number) => top + i * rowH + (i >= terms.length ? sep : 0);
  const plotH = yOf(all.length) - top;
  const rows = all.map((row, i) => {
    const y = yOf(i);
    const w = row.joules > 0 ? Math.max(1, x(row.joules) - x0) : 0;
    const noteX = row.joules > 0 ? Math.min(x0 + w + 5, x1 + 5) : x0 + 5;
    return h`<g class="row"><text class="row-label${i >= terms.length ? " strong" : ""}" x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${fit(row.label, labelW - 12, 11)}</text><rect class="${row.cls}" x="${x0}" y="${y + 4}" width="${w}" height="${rowH - 8}" fill="${row.fill}"><title>${row.title}</title></rect><text class="value${row.joules > 0 ? "" : " muted"}" x="${noteX}" y="${y + rowH / 2 + 4}">${row.note}<title>${row.title}</title></text></g>`;
  });
  const axisY = top + plotH + 4;
  const legendY = axisY + 50;
  const grades = (Object.keys(GRADE_COLOURS) as Grade[]);
  let lx = x0;
  const legend = grades.map((g) => {
    const s = swatch(lx, legendY, GRADE_COLOURS[g], g);
    lx += textWidth(g, 11) + 36;
    return s;
  });
  const body = [
    bottomAxis({ at: axisY, grid: -plotH - 4, ticks, scale: x, format: (v) => joules(v), label: "joules per inference (log scale)" }),
    h`<line x1="0" x2="${WIDTH}" y1="${top + terms.length * rowH + sep / 2}" y2="${top + terms.length * rowH + sep / 2}" stroke="${GRID}"/>`,
    ...rows,
    h`<text class="legend-title" x="${x0 - 8}" y="${legendY}" text-anchor="end">grade of the constant:</text>`,
    ...legend,
  ];
  return chart("chart-energy", WIDTH, legendY + 12, "Energy per inference: SNN terms on the target, SNN and ANN under the 45 nm convention", body);
}
