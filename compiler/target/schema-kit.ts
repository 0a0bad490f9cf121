/**
 * @fileoverview A small schema combinator: one declaration gives both the TypeScript type (`Infer<typeof s>`)
 * and its validator (`s.parse(x, path)`), so the two cannot drift apart. Used by the target schema
 * (schema.ts); no dependency (zod 4 takes 0.2–0.4 s to import, against a CLI start-up budget of 0.3 s).
 *
 * A validator throws `SchemaIssue` at the first problem: the JSON path (`core.neurons.value`), what was
 * expected and what was found, shown safely (Infinity as Infinity, long strings cut). The caller turns it
 * into its coded diagnostic. Unknown object keys are issues too (a misspelt field is never ignored), except
 * `$comment`.
 */
import { truncateText } from "../../runtime/limits.ts";

export class SchemaIssue extends Error {
  constructor(readonly path: string, readonly expected: string, readonly got: unknown) {
    super(`${path || "(root)"} is ${shown(got)}; expected ${expected}`);
  }
}

/** A value as a message shows it: `missing`, numbers as JS prints them (Infinity, not null), JSON else. */
export function shown(x: unknown): string {
  if (x === undefined) return "missing";
  if (typeof x === "number") return String(x);
  if (typeof x === "string") return JSON.stringify(truncateText(x, 60));
  if (typeof x === "object" && x !== null) return Array.isArray(x) ? `a list of ${x.length}` : "an object";
  return String(x);
}

export interface Schema<T> {
  readonly parse: (x: unknown, path: string) => T;
  /** Set by `optional()`: the key may be absent from its object. */
  readonly optional?: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

type Fields = Record<string, Schema<unknown>>;
type RequiredKeys<F extends Fields> = { [K in keyof F]: F[K] extends { optional: true } ? never : K }[keyof F];
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends { optional: true } ? K : never }[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<F extends Fields> = Simplify<{ readonly [K in RequiredKeys<F>]: Infer<F[K]> } & { readonly [K in OptionalKeys<F>]?: Infer<F[K]> }>;

const join = (path: string, key: string | number) => (typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key);

export interface NumberOptions {
  readonly int?: boolean;
  readonly min?: number;
  readonly max?: number;
}

export function num(opts: NumberOptions = {}): Schema<number> {
  return {
    parse: (v, p) => {
      if (typeof v !== "number" || !Number.isFinite(v)) throw new SchemaIssue(p, "a finite number", v);
      if (opts.int && !Number.isInteger(v)) throw new SchemaIssue(p, "an integer", v);
      if (opts.min !== undefined && v < opts.min) throw new SchemaIssue(p, `a number ≥ ${opts.min}`, v);
      if (opts.max !== undefined && v > opts.max) throw new SchemaIssue(p, `a number ≤ ${opts.max}`, v);
      return v;
    },
  };
}

export const str: Schema<string> = {
  parse: (v, p) => {
    if (typeof v !== "string" || v.length === 0) throw new SchemaIssue(p, "a non-empty string", v);
    return v;
  },
};

export const bool: Schema<boolean> = {
  parse: (v, p) => {
    if (typeof v !== "boolean") throw new SchemaIssue(p, "true or false", v);
    return v;
  },
};

export function oneOf<const V extends readonly string[]>(values: V): Schema<V[number]> {
  return {
    parse: (v, p) => {
      if (typeof v !== "string" || !values.includes(v)) throw new SchemaIssue(p, `one of ${values.map((s) => JSON.stringify(s)).join(", ")}`, v);
      return v as V[number];
    },
  };
}

export function arrayOf<T>(item: Schema<T>, minLength = 0): Schema<readonly T[]> {
  return {
    parse: (v, p) => {
      if (!Array.isArray(v) || v.length < minLength) throw new SchemaIssue(p, `a list${minLength ? ` of at least ${minLength}` : ""}`, v);
      return v.map((e, i) => item.parse(e, join(p, i)));
    },
  };
}

export function optional<T>(s: Schema<T>): Schema<T> & { optional: true } {
  return { parse: s.parse, optional: true };
}

export function object<const F extends Fields>(fields: F): Schema<ObjectOf<F>> {
  return {
    parse: (v, p) => {
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new SchemaIssue(p, "an object", v);
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (!(k in fields) && k !== "$comment") throw new SchemaIssue(join(p, k), `no such field (known: ${Object.keys(fields).join(", ")})`, o[k]);
      }
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(fields)) {
        if (o[k] === undefined) {
          if (s.optional) continue;
          throw new SchemaIssue(join(p, k), "a value", undefined);
        }
        out[k] = s.parse(o[k], join(p, k));
      }
      return out as ObjectOf<F>;
    },
  };
}

/** A union told apart by its `kind` field: `byKind({ mesh2d: object({...}), ... })`; each variant gets
 * `kind` typed as its literal key. */
export function byKind<const V extends Record<string, Fields>>(variants: V): Schema<{ [K in keyof V]: Simplify<{ readonly kind: K } & ObjectOf<V[K]>> }[keyof V]> {
  const schemas = Object.fromEntries(Object.entries(variants).map(([k, f]) => [k, object({ kind: oneOf([k]), ...f })]));
  return {
    parse: (v, p) => {
      const kind = (v as { kind?: unknown } | null)?.kind;
      const s = typeof kind === "string" && Object.hasOwn(schemas, kind) ? schemas[kind] : undefined;
      if (!s) {
        if (typeof v !== "object" || v === null || Array.isArray(v)) throw new SchemaIssue(p, "an object", v);
        throw new SchemaIssue(join(p, "kind"), `one of ${Object.keys(variants).join(", ")}`, kind);
      }
      return s.parse(v, p) as never;
    },
  };
}
