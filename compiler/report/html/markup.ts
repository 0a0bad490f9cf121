/**
 * @fileoverview Safe markup for report.html: the `h` tagged template escapes every interpolated string
 * (layer names and file paths come from user models), passes `Html` fragments through and prints numbers
 * as compact SVG coordinates; plus the number formats the page shows (percent, joules, seconds, counts).
 */

/** A fragment of markup that is already safe. */
export class Html {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export type Part = Html | string | number | null | undefined | false | readonly Part[];

const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for element content and quoted attribute values alike. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** A coordinate or size: at most two decimals, never NaN or Infinity in the markup. */
export function coord(n: number): string {
  if (!Number.isFinite(n)) return "0";
  if (Number.isInteger(n)) return String(n);
  const s = n.toFixed(2);
  return s.replace(/\.?0+$/, "") || "0";
}

function part(p: Part): string {
  if (p === null || p === undefined || p === false) return "";
  if (p instanceof Html) return p.html;
  if (typeof p === "number") return coord(p);
  if (typeof p === "string") return esc(p);
  return p.map(part).join("");
}

/** Markup template: strings are escaped, `Html` is kept, numbers are coordinates, arrays are joined. */
export function h(strings: TemplateStringsArray, ...values: readonly Part[]): Html {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += part(values[i]) + (strings[i + 1] ?? "");
  return new Html(out);
}

// ---------------------------------------------------------------------------------------------------------
// Number formats (text, not coordinates).

export function pct(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** Integer with thin-space thousands groups (12 544). */
export function int(x: number): string {
  const s = Math.round(x).toString();
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009");
}

/** Three significant digits, exponent outside [1e-2, 1e6). */
export function num(x: number, d = 3): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-2) return x.toExponential(d - 1);
  if (a >= 10 ** d) return int(x);
  return String(Number(x.toPrecision(d)));
}

/** Count with a k / M / G suffix (axis ticks, bar labels). */
export function compact(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e9) return `${Number((x / 1e9).toPrecision(3))}G`;
  if (a >= 1e6) return `${Number((x / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((x / 1e3).toPrecision(3))}k`;
  if (a >= 1 || a === 0) return String(Number(x.toPrecision(4)));
  return String(Number(x.toPrecision(2)));
}

const JOULE_UNITS: readonly (readonly [number, string])[] = [[1, "J"], [1e-3, "mJ"], [1e-6, "µJ"], [1e-9, "nJ"], [1e-12, "pJ"], [1e-15, "fJ"]];

export function joules(j: number, digits = 3): string {
  if (j === 0) return "0 J";
  for (const [s, u] of JOULE_UNITS) if (Math.abs(j) >= s * 0.9995) return `${Number((j / s).toPrecision(digits))} ${u}`;
  return `${j.toExponential(digits - 1)} J`;
}

export function seconds(s: number): string {
  if (s >= 1) return `${Number(s.toPrecision(3))} s`;
  if (s >= 1e-3) return `${Number((s * 1e3).toPrecision(3))} ms`;
  if (s >= 1e-6) return `${Number((s * 1e6).toPrecision(3))} µs`;
  return `${Number((s * 1e9).toPrecision(3))} ns`;
}

/** Approximate rendered width of `s` in the page's sans-serif at `size` px (for layout only). */
export function textWidth(s: string, size: number): number {
  let w = 0;
  for (const ch of s) w += /[il.,:;'|!()[\]ftj1 ]/.test(ch) ? 0.32 : /[mwMW@%]/.test(ch) ? 0.85 : /[A-Z0-9_#]/.test(ch) ? 0.64 : 0.54;
  return w * size;
}

/** `s` cut to fit `px` at `size` px, with an ellipsis when cut. */
export function fit(s: string, px: number, size: number): string {
  if (textWidth(s, size) <= px) return s;
  let out = s;
  while (out.length > 1 && textWidth(`${out}…`, size) > px) out = out.slice(0, -1);
  return `${out}…`;
}
