/**
 * @fileoverview Canonical JSON for IR dumps and golden files: object keys sorted, typed arrays summarised as
 * `{dtype, length, min, max, sha256}` (the digest is over the little-endian bytes, first 16 hex digits),
 * floats written with up to 9 significant digits so dumps are stable across platforms.
 */
import { createHash } from "node:crypto";

type TypedArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

function isTypedArray(x: unknown): x is TypedArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

export function digest(bytes: ArrayBufferView): string {
  return createHash("sha256").update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).digest("hex").slice(0, 16);
}

function summarise(a: TypedArray): Record<string, unknown> {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { dtype: a.constructor.name, length: a.length, min: a.length ? min : null, max: a.length ? max : null, sha256: digest(a) };
}

function normalise(x: unknown): unknown {
  if (isTypedArray(x)) return summarise(x);
  if (typeof x === "number") return Number.isInteger(x) ? x : Number(x.toPrecision(9));
  if (typeof x === "bigint") return x.toString();
  if (Array.isArray(x)) return x.map(normalise);
  if (x instanceof Map) return normalise(Object.fromEntries(x));
  if (x instanceof Set) return [...x].map(normalise);
  if (x !== null && typeof x === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x).sort()) {
      const v = (x as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = normalise(v);
    }
    return out;
  }
  return x;
}

export function canonicalJson(x: unknown, indent = 2): string {
  return JSON.stringify(normalise(x), null, indent);
}
