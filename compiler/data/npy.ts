/**
 * @fileoverview NumPy `.npy` reader and writer (format versions 1.0, 2.0 and 3.0).
 *
 * Layout: | \x93NUMPY | major u8 | minor u8 | header_len u16 (v1) or u32 (v2+) LE | header (Python dict
 * literal, padded with spaces to a multiple of 64, ends in \n) | data |. Supported dtypes: |u1 |i1 <i2 <u2 <i4
 * <u4 <f4 <f8 <i8 <u8 (64-bit integers are read into Float64Array and must be exact). C order only.
 */
import { checkLimit, truncateText } from "../../runtime/limits.ts";
import { fail } from "../diagnostics.ts";
import type { NumericArray } from "./idx.ts";

export interface NpyArray {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly data: NumericArray | Uint16Array | Uint32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export function readNpy(bytes: Uint8Array, file = "<npy>"): NpyArray {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw fail("SNNC150", "not a .npy file (bad magic)", { file, byte: 0 }, "save arrays with numpy.save");
  }
  const major = bytes[6] ?? 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw fail("SNNC150", ".npy header truncated", { file, byte: bytes.length });
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw fail("SNNC150", `unsupported .npy version ${major}`, { file, byte: 6 });
  }
  const dataStart = headerStart + headerLen;
  if (bytes.length < dataStart) throw fail("SNNC150", ".npy header truncated", { file, byte: bytes.length });
  const header = new TextDecoder("latin1").decode(bytes.subarray(headerStart, dataStart));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw fail("SNNC150", `.npy header is not a dtype/shape dict: ${header.trim().slice(0, 80).replace(/[\r\n]/g, " ")}`, { file, byte: headerStart });
  }
  if (fortran === "True") {
    throw fail("SNNC150", ".npy array is in Fortran order", { file, byte: headerStart }, "save with numpy.ascontiguousarray(x)");
  }
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw fail("SNNC150", `bad .npy shape (${truncateText(shapeText)})`, { file, byte: headerStart });
  checkLimit("dataRank", shape.length, { file, byte: headerStart });
  const count = shape.reduce((a, b) => a * b, 1);
  checkLimit("dataElements", count, { file, byte: headerStart });
  const kind = descr.replace(/^[<|=]/, "");
  if (descr.startsWith(">") && !/^>[ui]1$|^\|/.test(descr)) {
    throw fail("SNNC150", `big-endian .npy dtype ${truncateText(descr)} is not supported`, { file, byte: headerStart }, "convert with x.astype('<f4')");
  }
  const width: Record<string, number> = { u1: 1, i1: 1, b1: 1, i2: 2, u2: 2, i4: 4, u4: 4, f4: 4, f8: 8, i8: 8, u8: 8 };
  const w = width[kind];
  if (w === undefined) throw fail("SNNC150", `unsupported .npy dtype ${truncateText(descr)}`, { file, byte: headerStart }, "use float32 or uint8");
  const need = dataStart + count * w;
  if (bytes.length < need) {
    throw fail("SNNC150", `.npy data truncated: ${bytes.length} bytes, shape needs ${need}`, { file, byte: bytes.length });
  }
  // A fresh, aligned copy for the typed-array views. Not `bytes.slice`: on a Node Buffer that is a view into
  // the shared pool, whose `.buffer` is the whole pool.
  const body = new Uint8Array(need - dataStart);
  body.set(bytes.subarray(dataStart, need));
  const buf = body.buffer;
  let data: NpyArray["data"];
  switch (kind) {
    case "u1": case "b1": data = new Uint8Array(buf); break;
    case "i1": data = new Int8Array(buf); break;
    case "i2": data = new Int16Array(buf); break;
    case "u2": data = new Uint16Array(buf); break;
    case "i4": data = new Int32Array(buf); break;
    case "u4": data = new Uint32Array(buf); break;
    case "f4": data = new Float32Array(buf); break;
    case "f8": data = new Float64Array(buf); break;
    default: {
      const big = kind === "i8" ? new BigInt64Array(buf) : new BigUint64Array(buf);
      const f = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const v = big[i] ?? 0n;
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
          throw fail("SNNC150", `.npy int64 value ${v} is not exactly representable`, { file, byte: dataStart + i * 8 });
        }
        f[i] = Number(v);
      }
      data = f;
    }
  }
  return { shape, dtype: descr, data };
}

export function writeNpy(shape: readonly number[], data: Float32Array | Float64Array | Uint8Array | Int32Array): Uint8Array {
  const descr = data instanceof Float32Array ? "<f4" : data instanceof Float64Array ? "<f8" : data instanceof Int32Array ? "<i4" : "|u1";
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
