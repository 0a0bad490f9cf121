/**
 * @fileoverview A design-space sweep's grid and its result points. Input: comma lists of targets, methods and
 * timesteps. Output: every combination (target-major order), and for results the Pareto set over accuracy
 * (higher is better), energy and latency per inference (lower is better). Pure functions.
 */
import { METHODS } from "../convert/methods.ts";
import { fail } from "../diagnostics.ts";

export interface PointSpec {
  /** As the user gave it: a target name or a .json path. */
  readonly target: string;
  readonly method: string;
  readonly timesteps: number;
}

export interface PointMetrics {
  readonly targetTitle: string;
  readonly accuracy: { readonly ann: number; readonly snn: number; readonly samples: number } | null;
  readonly joulesPerInference: number;
  readonly secondsPerInference: number;
  readonly spikesPerInference: number;
  readonly synapticOpsPerInference: number;
  readonly cores: number;
  readonly chips: number;
  readonly neurons: number;
  readonly synapses: number;
  readonly bitExact: boolean;
}

/** One evaluated combination: its metrics, or the coded error its compile stopped with. */
export type SweepPoint = PointSpec & ({ readonly ok: true; readonly metrics: PointMetrics } | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } });

export function splitList(name: string, text: string): string[] {
  const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) throw fail("SNNC810", `--${name} is empty`, {}, `give a comma-separated list, e.g. --${name} ${name === "timesteps" ? "4,8,16" : "a,b"}`);
  if (new Set(items).size !== items.length) throw fail("SNNC810", `--${name} lists a value twice: ${text}`);
  return items;
}

export function gridOf(targets: string, methods: string, timesteps: string): PointSpec[] {
  const ts = splitList("targets", targets);
  const ms = splitList("methods", methods);
  for (const m of ms) {
    if (!(METHODS as readonly string[]).includes(m)) throw fail("SNNC810", `unknown method "${m}"`, {}, `methods: ${METHODS.join(", ")}`);
  }
  const Ts = splitList("timesteps", timesteps).map((t) => {
    const v = Number(t);
    if (!Number.isInteger(v) || v < 1) throw fail("SNNC810", `--timesteps: "${t}" is not a positive integer`);
    return v;
  });
  return ts.flatMap((target) => ms.flatMap((method) => Ts.map((T) => ({ target, method, timesteps: T }))));
}

/** `a` dominates `b`: no worse in every objective and better in one. */
function dominates(a: PointMetrics, b: PointMetrics): boolean {
  const accA = a.accuracy?.snn ?? 0;
  const accB = b.accuracy?.snn ?? 0;
  const noWorse = accA >= accB && a.joulesPerInference <= b.joulesPerInference && a.secondsPerInference <= b.secondsPerInference;
  const better = accA > accB || a.joulesPerInference < b.joulesPerInference || a.secondsPerInference < b.secondsPerInference;
  return noWorse && better;
}

/** Indices of the points no other point dominates (accuracy ↑, energy ↓, latency ↓); failed points excluded. */
export function paretoSet(points: readonly SweepPoint[]): number[] {
  const out: number[] = [];
  points.forEach((p, i) => {
    if (!p.ok) return;
    if (!points.some((q, j) => j !== i && q.ok && dominates(q.metrics, p.metrics))) out.push(i);
  });
  return out;
}

/** The accuracy–`cost` front in two dimensions: points sorted by cost, each more accurate than all cheaper ones. */
export function front2d(points: readonly SweepPoint[], cost: (m: PointMetrics) => number): number[] {
  const ok = points.map((p, i) => ({ p, i })).filter((x) => x.p.ok) as { p: SweepPoint & { ok: true }; i: number }[];
  ok.sort((a, b) => cost(a.p.metrics) - cost(b.p.metrics) || (b.p.metrics.accuracy?.snn ?? 0) - (a.p.metrics.accuracy?.snn ?? 0));
  const out: number[] = [];
  let best = -Infinity;
  for (const { p, i } of ok) {
    const acc = p.metrics.accuracy?.snn ?? 0;
    if (acc > best) {
      out.push(i);
      best = acc;
    }
  }
  return out;
}

export function pointLabel(p: PointSpec): string {
  return `${p.target} ${p.method} T=${p.timesteps}`;
}
