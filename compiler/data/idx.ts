/**
 * @fileoverview IDX reader and writer (the MNIST / Fashion-MNIST container), gzip-aware.
 *
 * Layout (big-endian):  | 0x00 0x00 | type u8 | ndims u8 | dim0 u32 | ... | dimN-1 u32 | data ... |
 * type: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64. Data are row-major, big-endian.
 * A file starting 0x1f 0x8b is gunzipped first.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { checkLimit, truncateText } from "../../runtime/limits.ts";
import { fail } from "../diagnostics.ts";

/** Largest inflated data file (checked by zlib as it inflates: a gzip bomb stops there). */
const GUNZIP_MAX_BYTES = 2 ** 31 - 1;

export type NumericArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  readonly shape: readonly number[];
  readonly data: NumericArray;
}

const TYPES: Record<number, { bytes: number; make: (n: number) => NumericArray; read: (v: DataView, o: number) => number }> = {
  0x08: { bytes: 1, make: (n) => new Uint8Array(n), read: (v, o) => v.getUint8(o) },
  0x09: { bytes: 1, make: (n) => new Int8Array(n), read: (v, o) => v.getInt8(o) },
  0x0b: { bytes: 2, make: (n) => new Int16Array(n), read: (v, o) => v.getInt16(o, false) },
  0x0c: { bytes: 4, make: (n) => new Int32Array(n), read: (v, o) => v.getInt32(o, false) },
  0x0d: { bytes: 4, make: (n) => new Float32Array(n), read: (v, o) => v.getFloat32(o, false) },
  0x0e: { bytes: 8, make: (n) => new Float64Array(n), read: (v, o) => v.getFloat64(o, false) },
};

export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return new Uint8Array(gunzipSync(bytes, { maxOutputLength: GUNZIP_MAX_BYTES }));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw fail("SNNC157", `gzip stream inflates to more than ${GUNZIP_MAX_BYTES} bytes`, { file }, "give a smaller data file");
      }
      throw fail("SNNC150", `gzip stream is corrupt (${truncateText((e as Error).message)})`, { file });
    }
  }
  return bytes;
}

export function readIdx(raw: Uint8Array, file = "<idx>"): IdxArray {
  const bytes = maybeGunzip(raw, file);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw fail("SNNC150", "not an IDX file (bad magic)", { file, byte: 0 }, "IDX files start with two zero bytes");
  }
  const type = TYPES[bytes[2] ?? 0];
  if (!type) throw fail("SNNC150", `unknown IDX element type 0x${(bytes[2] ?? 0).toString(16)}`, { file, byte: 2 });
  const ndims = bytes[3] ?? 0;
  checkLimit("dataRank", ndims, { file, byte: 3 });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) throw fail("SNNC150", "IDX header truncated", { file, byte: bytes.length });
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  checkLimit("dataElements", count, { file, byte: 4 });
  const need = headerBytes + count * type.bytes;
  if (bytes.length < need) {
    throw fail("SNNC150", `IDX data truncated: ${bytes.length} bytes, header promises ${need}`, { file, byte: bytes.length });
  }
  let data: NumericArray;
  if (type.bytes === 1) {
    data = type.make(count);
    (data as Uint8Array).set(bytes.subarray(headerBytes, headerBytes + count));
  } else {
    data = type.make(count);
    for (let i = 0; i < count; i++) data[i] = type.read(view, headerBytes + i * type.bytes);
  }
  return { shape, data };
}

/** Writes a uint8 IDX (used for the shipped data sample). */
export function writeIdxU8(shape: readonly number[], data: Uint8Array, gzip = true): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header, 0);
  out.set(data, header.length);
  return gzip ? new Uint8Array(gzipSync(out, { level: 9 })) : out;
}
