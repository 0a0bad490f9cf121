/**
 * @fileoverview The chip mesh of report.html (`chart-mesh`): every core in use at its location, coloured by
 * its bottleneck-resource utilisation (viridis, with a legend) or, toggled by the page, by layer; numbered
 * by layer, with a hover title per core; chip boundaries drawn, unused slots faint.
 *
 * Meshed chips (Loihi): a chip is tilesX × tilesY tiles, a tile a small block of cores. The report gives the
 * global tile of each core and its index on the chip; slots are filled tile by tile in serpentine order
 * (compiler/map/system.ts), so the cores per tile are inferred as the c with ⌊index / c⌋ = tile ordinal for
 * every core, and a core's slot in its tile is index mod c. Crossbar chips (SpiNNaker): a chip is a box of
 * cells by index. Only the bounding box of the chips in use is drawn; the cell size shrinks to fit.
 */
import type { Report } from "../build.ts";
import { compact, fit, h, type Html, int, pct, textWidth } from "./markup.ts";
import { category, chart, emptyNote, inkOn, VIRIDIS_STOPS, viridis } from "./svg.ts";

type Core = Report["mapping"]["coreList"][number];

const MAX_W = 1080;
const MAX_H = 760;
const LEGEND_W = 280;

/** Tile ordinal on a chip in the compiler's fill order (serpentine rows), or row-major as a fallback. */
function ordinal(tx: number, ty: number, tilesX: number, serpentine: boolean): number {
  return ty * tilesX + (serpentine && ty % 2 === 1 ? tilesX - 1 - tx : tx);
}

/** Cores per tile consistent with every core's index and tile, and the fill order that explains them. */
export function inferCoresPerTile(cores: readonly Core[], g: Report["mapping"]["grid"]): { perTile: number; serpentine: boolean } | null {
  for (const serpentine of [true, false]) {
    const ok: number[] = [];
    for (let c = 1; c <= 256; c++) {
      const fits = cores.every((k) => {
        const tx = k.tileX - k.chipX * g.tilesX;
        const ty = k.tileY - k.chipY * g.tilesY;
        return Math.floor(k.index / c) === ordinal(tx, ty, g.tilesX, serpentine);
      });
      if (fits) ok.push(c);
    }
    if (ok.length) return { perTile: ok.find((c) => (c & (c - 1)) === 0) ?? (ok[0] as number), serpentine };
  }
  return null;
}

interface Layout {
  /** Cell columns and rows of one tile, tiles per chip. */
  readonly sx: number;
  readonly sy: number;
  readonly tilesX: number;
  readonly tilesY: number;
  readonly slotsPerTile: number;
  /** A core's tile on its chip and its cell in the tile. */
  place(c: Core): { tx: number; ty: number; k: number };
}

function layoutOf(r: Report): { layout: Layout; note: string } {
  const g = r.mapping.grid;
  const cores = r.mapping.coreList;
  const square = (n: number) => {
    const sx = Math.max(1, Math.ceil(Math.sqrt(n)));
    return { sx, sy: Math.max(1, Math.ceil(n / sx)) };
  };
  if (!g.torus && g.tilesX * g.tilesY > 1) {
    const inferred = g.coresPerTile ? { perTile: g.coresPerTile, serpentine: true } : inferCoresPerTile(cores, g);
    if (inferred) {
      const { sx, sy } = square(inferred.perTile);
      return {
        layout: {
          sx, sy, tilesX: g.tilesX, tilesY: g.tilesY, slotsPerTile: inferred.perTile,
          place: (c) => ({ tx: c.tileX - c.chipX * g.tilesX, ty: c.tileY - c.chipY * g.tilesY, k: c.index % inferred.perTile }),
        },
        note: `each chip ${g.tilesX}×${g.tilesY} tiles of ${inferred.perTile} core${inferred.perTile === 1 ? "" : "s"}`,
      };
    }
    // Unknown fill order: cores of a tile in index order.
    const byTile = new Map<string, number[]>();
    for (const c of cores) {
      const key = `${c.tileX},${c.tileY}`;
      byTile.set(key, [...(byTile.get(key) ?? []), c.index].sort((a, b) => a - b));
    }
    const per = Math.max(1, ...[...byTile.values()].map((l) => l.length));
    const { sx, sy } = square(per);
    return {
      layout: {
        sx, sy, tilesX: g.tilesX, tilesY: g.tilesY, slotsPerTile: per,
        place: (c) => ({ tx: c.tileX - c.chipX * g.tilesX, ty: c.tileY - c.chipY * g.tilesY, k: (byTile.get(`${c.tileX},${c.tileY}`) ?? []).indexOf(c.index) }),
      },
      note: `each chip ${g.tilesX}×${g.tilesY} tiles`,
    };
  }
  const slots = Math.max(1, ...cores.map((c) => c.index + 1));
  const { sx, sy } = square(slots);
  return {
    layout: { sx, sy, tilesX: 1, tilesY: 1, slotsPerTile: slots, place: (c) => ({ tx: 0, ty: 0, k: c.index }) },
    note: `cores of a chip by index (${slots} slot${slots === 1 ? "" : "s"} shown per chip)`,
  };
}

interface Geometry {
  readonly cell: number;
  readonly gap: number;
  readonly tileGap: number;
  readonly pad: number;
  readonly chipGap: number;
  readonly label: number;
  readonly chipW: number;
  readonly chipH: number;
}

function geometry(l: Layout, chipsX: number, chipsY: number): Geometry {
  let best: Geometry | null = null;
  for (let cell = 34; cell >= 3; cell--) {
    const gap = cell >= 10 ? 2 : 1;
    const tileGap = l.tilesX * l.tilesY > 1 && l.slotsPerTile > 1 ? Math.max(3, Math.round(cell * 0.3)) : gap;
    const pad = Math.max(3, Math.round(cell * 0.25));
    const chipGap = Math.max(6, Math.round(cell * 0.5));
    const tileW = l.sx * (cell + gap) - gap;
    const tileH = l.sy * (cell + gap) - gap;
    const chipW = 2 * pad + l.tilesX * tileW + (l.tilesX - 1) * tileGap;
    const chipH = 2 * pad + l.tilesY * tileH + (l.tilesY - 1) * tileGap;
    const label = chipW >= 56 ? 15 : 0;
    best = { cell, gap, tileGap, pad, chipGap, label, chipW, chipH };
    const w = chipsX * (chipW + chipGap) - chipGap;
    const hgt = chipsY * (chipH + label + chipGap) - chipGap;
    if (w <= MAX_W && hgt <= MAX_H) return best;
  }
  return best as Geometry;
}

/** Width of a core's layer-number label ("1+9") at 9 px bold: digits and "+" are about 0.62 em each in the
 * report's sans-serif fonts (textWidth's narrow class for "1" under-counts them). */
export function labelWidth(numbers: string): number {
  return numbers.length * 9 * 0.62;
}

function coreTitle(c: Core, place: { tx: number; ty: number }, meshed: boolean): string {
  // The "neurons" resource counts compartments (a Loihi soft-reset neuron takes two): say so.
  const res = Object.entries(c.resources).map(([k, v]) => `${k === "neurons" ? "compartments" : k} ${int(v)}`).join(", ");
  const neurons = c.neurons !== undefined ? `\n${int(c.neurons)} neuron${c.neurons === 1 ? "" : "s"}` : "";
  const where = meshed ? `chip (${c.chipX}, ${c.chipY}), tile (${place.tx}, ${place.ty}), index ${c.index}` : `chip (${c.chipX}, ${c.chipY}), core index ${c.index}`;
  return `core ${c.id}: ${where}\nlayer${c.layers.length === 1 ? "" : "s"}: ${c.layers.join(", ")}\n${neurons}\nutilisation ${pct(c.utilisation)} (bottleneck resource)\n${res}`;
}

export function meshChart(r: Report): { svg: Html; caption: string } {
  const cores = r.mapping.coreList;
  if (!cores.length) return { svg: chart("chart-mesh", 640, 120, "Chip mesh", emptyNote(640, 120, "no cores in the mapping")), caption: "No cores." };
  const g = r.mapping.grid;
  const meshed = !g.torus && g.tilesX * g.tilesY > 1;
  const { layout, note } = layoutOf(r);
  const layerIdx = new Map<string, number>();
  for (const l of r.network.layers) if (!layerIdx.has(l.name)) layerIdx.set(l.name, layerIdx.size);
  for (const c of cores) for (const n of c.layers) if (!layerIdx.has(n)) layerIdx.set(n, layerIdx.size);

  const cx0 = Math.min(...cores.map((c) => c.chipX));
  const cx1 = Math.max(...cores.map((c) => c.chipX));
  const cy0 = Math.min(...cores.map((c) => c.chipY));
  const cy1 = Math.max(...cores.map((c) => c.chipY));
  const nx = cx1 - cx0 + 1;
  const ny = cy1 - cy0 + 1;
  const geo = geometry(layout, nx, ny);
  const tileW = layout.sx * (geo.cell + geo.gap) - geo.gap;
  const tileH = layout.sy * (geo.cell + geo.gap) - geo.gap;
  const meshW = nx * (geo.chipW + geo.chipGap) - geo.chipGap;
  const meshH = ny * (geo.chipH + geo.label + geo.chipGap) - geo.chipGap;
  const left = 10;
  const top = 8;
  const chipLeft = (cx: number) => left + (cx - cx0) * (geo.chipW + geo.chipGap);
  const chipTop = (cy: number) => top + (cy - cy0) * (geo.chipH + geo.label + geo.chipGap) + geo.label;
  const cellXY = (cx: number, cy: number, tx: number, ty: number, k: number) => ({
    x: chipLeft(cx) + geo.pad + tx * (tileW + geo.tileGap) + (k % layout.sx) * (geo.cell + geo.gap),
    y: chipTop(cy) + geo.pad + ty * (tileH + geo.tileGap) + Math.floor(k / layout.sx) * (geo.cell + geo.gap),
  });

  const used = new Set(cores.map((c) => `${c.chipX},${c.chipY}`));
  const parts: Html[] = [];
  for (let cy = cy0; cy <= cy1; cy++) {
    for (let cx = cx0; cx <= cx1; cx++) {
      const x = chipLeft(cx);
      const y = chipTop(cy);
      const inUse = used.has(`${cx},${cy}`);
      if (geo.label) parts.push(h`<text class="chip-label" x="${x}" y="${y - 4}">${inUse ? `chip (${cx}, ${cy})` : `(${cx}, ${cy}) unused`}</text>`);
      parts.push(h`<rect class="${inUse ? "chip" : "chip unused"}" x="${x}" y="${y}" width="${geo.chipW}" height="${geo.chipH}" rx="${Math.min(6, geo.pad)}"/>`);
      if (!inUse) continue;
      for (let ty = 0; ty < layout.tilesY; ty++) {
        for (let tx = 0; tx < layout.tilesX; tx++) {
          const o = cellXY(cx, cy, tx, ty, 0);
          if (meshed && layout.slotsPerTile > 1) parts.push(h`<rect class="tile" x="${o.x - 1.5}" y="${o.y - 1.5}" width="${tileW + 3}" height="${tileH + 3}" rx="2"/>`);
          for (let k = 0; k < layout.slotsPerTile; k++) {
            const p = cellXY(cx, cy, tx, ty, k);
            parts.push(h`<rect class="slot" x="${p.x}" y="${p.y}" width="${geo.cell}" height="${geo.cell}"/>`);
          }
        }
      }
    }
  }
  for (const c of cores) {
    const place = layout.place(c);
    const p = cellXY(c.chipX, c.chipY, place.tx, place.ty, Math.max(0, place.k));
    const fill = viridis(c.utilisation);
    const idx = c.layers.map((n) => layerIdx.get(n) ?? 0);
    const layerFill = category(idx[0] ?? 0);
    const numbers = idx.map((i) => String(i + 1)).join("+");
    const label = geo.cell >= 46 ? fit(c.layers.join("+"), geo.cell - 4, 9) : geo.cell >= 16 && labelWidth(numbers) <= geo.cell - 4 ? numbers : "";
    const alt = idx.length > 1 ? h`<path class="alt" d="M${p.x + geo.cell * 0.45} ${p.y}h${geo.cell * 0.55}v${geo.cell * 0.55}z" fill="${category(idx[1] ?? 0)}"/>` : null;
    const text = label ? h`<text class="core-label" x="${p.x + geo.cell / 2}" y="${p.y + geo.cell / 2 + 3.2}" text-anchor="middle" style="--ink-layer:${inkOn(layerFill)}" fill="${inkOn(fill)}">${label}</text>` : null;
    parts.push(h`<g class="core-g"><rect class="core" data-core="${c.id}" data-layers="${c.layers.join(" ")}" x="${p.x}" y="${p.y}" width="${geo.cell}" height="${geo.cell}" rx="${geo.cell >= 10 ? 2 : 0.5}" fill="${fill}" style="--layer:${layerFill}"/>${alt}${text}<title>${coreTitle(c, place, meshed)}</title></g>`);
  }

  // Legends: the utilisation scale, then the layer numbers and colours; beside the mesh when it fits.
  const names = [...layerIdx.keys()];
  const side = meshW + 40 + LEGEND_W <= MAX_W;
  const lx = side ? left + meshW + 40 : left;
  let y = side ? top + 14 : top + meshH + 26;
  const legend: Html[] = [];
  const barW = 220;
  legend.push(h`<defs><linearGradient id="mesh-util-gradient">${VIRIDIS_STOPS.map((s, i) => h`<stop offset="${i / (VIRIDIS_STOPS.length - 1)}" stop-color="${s}"/>`)}</linearGradient></defs>`);
  legend.push(h`<g class="legend util-legend"><text class="legend-title" x="${lx}" y="${y}">core utilisation (bottleneck resource)</text><rect x="${lx}" y="${y + 6}" width="${barW}" height="10" fill="url(#mesh-util-gradient)"/>${[0, 0.25, 0.5, 0.75, 1].map((t) => h`<line x1="${lx + t * barW}" x2="${lx + t * barW}" y1="${y + 16}" y2="${y + 20}"/><text x="${lx + t * barW}" y="${y + 31}" text-anchor="middle">${pct(t, 0)}</text>`)}</g>`);
  const slotY = side ? y + 50 : y + 6;
  const slotX = side ? lx : lx + barW + 40;
  legend.push(h`<g class="legend"><rect class="slot" x="${slotX}" y="${slotY}" width="10" height="10"/><text x="${slotX + 16}" y="${slotY + 9}">free core slot${meshed ? "" : " (by index)"}</text></g>`);
  y += side ? 90 : 52;
  const counts = names.map((n) => cores.filter((c) => c.layers.includes(n)).length);
  const itemW = side ? LEGEND_W : Math.min(260, Math.max(120, ...names.map((n, i) => textWidth(`${i + 1} ${n} (${counts[i]})`, 11) + 48)));
  const perRow = side ? 1 : Math.max(1, Math.floor((MAX_W - lx + 20) / itemW));
  legend.push(h`<text class="legend-title" x="${lx}" y="${y}">layers: number on the cores (cores)</text>`);
  y += 8;
  names.forEach((n, i) => {
    const x = lx + (i % perRow) * itemW;
    const yy = y + 16 + Math.floor(i / perRow) * 18;
    const counted = counts[i] ?? 0;
    const room = itemW - 28 - textWidth(`${i + 1}  (${counted})`, 11);
    legend.push(h`<g class="legend"><rect x="${x}" y="${yy - 9}" width="12" height="10" rx="2" fill="${category(i)}"/><text x="${x + 17}" y="${yy}"><tspan font-weight="600">${String(i + 1)}</tspan> ${fit(n, room, 11)} <tspan class="muted">(${compact(counted)})</tspan><title>${n}: ${counted} core${counted === 1 ? "" : "s"}</title></text></g>`);
  });
  const legendBottom = y + 16 + Math.ceil(names.length / perRow) * 18;
  const width = side ? Math.max(640, lx + LEGEND_W) : Math.max(640, left + meshW + 10);
  const height = Math.max(top + meshH + 10, legendBottom);
  const system = `${g.chipsX}×${g.chipsY} ${g.torus ? "hex-torus" : "mesh"} of chips`;
  const shown = nx * ny > 1 ? `; drawn: chips x ${cx0}–${cx1}, y ${cy0}–${cy1}` : "";
  const caption = `${int(r.mapping.cores)} core${r.mapping.cores === 1 ? "" : "s"} on ${r.mapping.chips} chip${r.mapping.chips === 1 ? "" : "s"} of a ${system}${shown}; ${note}${g.torus ? "; chip-to-chip links (E/W, N/S, NE/SW, wrapping) not drawn" : ""}. Hover a core for its layers and resources.`;
  return { svg: chart("chart-mesh", width, height, `Chip mesh: ${r.mapping.cores} cores coloured by utilisation`, [...parts, ...legend]), caption };
}
