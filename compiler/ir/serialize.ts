/**
 * @fileoverview Lossless JSON (gzip) for IR objects with typed arrays: a typed array becomes
 * `{"$typed": "Int32Array", "base64": "..."}` (little-endian bytes). Used for `reference.json.gz`, which lets
 * `snnc verify` rerun the reference integer model and the ANN without the original model file.
 */
import { gunzipSync, gzipSync } from "node:zlib";

const CTORS = { Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Uint8Array, Uint16Array, Uint32Array } as const;
type CtorName = keyof typeof CTORS;

export function serialize(x: unknown): Uint8Array {
  const json = JSON.stringify(x, (_k, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const name = v.constructor.name as CtorName;
      if (!(name in CTORS)) throw new Error(`internal: cannot serialise ${name}`);
      return { $typed: name, base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
    }
    if (v instanceof Map) return { $map: [...v.entries()] };
    return v;
  });
  return new Uint8Array(gzipSync(json, { level: 6 }));
}

export function deserialize<T>(bytes: Uint8Array): T {
  return JSON.parse(gunzipSync(bytes).toString("utf8"), (_k, v: unknown) => {
    if (v && typeof v === "object" && "$typed" in v && "base64" in v) {
      const t = v as { $typed: CtorName; base64: string };
      const buf = Buffer.from(t.base64, "base64");
      const Ctor = CTORS[t.$typed];
      const copy = new Uint8Array(buf.length);
      copy.set(buf);
      return new Ctor(copy.buffer, 0, buf.length / Ctor.BYTES_PER_ELEMENT);
    }
    if (v && typeof v === "object" && "$map" in v) return new Map((v as { $map: [unknown, unknown][] }).$map);
    return v;
  }) as T;
}
