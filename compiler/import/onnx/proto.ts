/**
 * @fileoverview ONNX file → decoded ModelProto and constant tensors (stage: import, I/O at the boundary).
 *
 * Input: the bytes of a `.onnx` file and its folder (for external data). Output: the ModelProto decoded with
 * onnx-proto (protobufjs code generated from the official onnx.proto) and `readTensor`, which turns a
 * TensorProto into a `Const` (dims + values as float64, exact for float32 and for integers below 2^53).
 * Boundary checks: a file that does not decode is SNNC140 naming the node or initializer the bytes stop in;
 * external data must name a regular file inside the model's folder (after realpath) holding the bytes the
 * tensor needs (SNNC144); unsupported element types are SNNC148.
 */
import { closeSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import onnxProto from "onnx-proto";
import { fail } from "../../diagnostics.ts";

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

/** A constant tensor: ONNX dims (row-major) and its values. */
export interface Const {
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

type LongLike = number | { toNumber(): number } | null | undefined;

export function num(v: LongLike): number {
  if (v === null || v === undefined) return 0;
  return typeof v === "number" ? v : v.toNumber();
}

/** Decodes the model; a failure is SNNC140 naming the graph element the bytes stop in. */
export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    const where = locateDamage(bytes);
    throw fail("SNNC140", `not a readable ONNX model: ${(e as Error).message}${where.what ? `; the bytes stop inside ${where.what}` : ""}`,
      { file, ...(where.layer ? { layer: where.layer } : {}), ...(where.byte !== undefined ? { byte: where.byte } : {}) },
      "the file is truncated or not an ONNX ModelProto: export it again (torch.onnx.export / onnx.save)");
  }
}

/** Walks the protobuf wire format of ModelProto.graph to find the node or initializer that is cut or broken. */
function locateDamage(bytes: Uint8Array): { what?: string; layer?: string; byte?: number } {
  const r = new Wire(bytes);
  let last: { what: string; layer: string } | null = null;
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 !== 7 || (tag & 7) !== 2) {
        r.skipType(tag & 7);
        continue;
      }
      const len = r.uint32();
      const end = Math.min(r.pos + len, r.len);
      while (r.pos < end) {
        const start = r.pos;
        const t = r.uint32();
        const field = t >>> 3;
        if ((field === 1 || field === 5) && (t & 7) === 2) {
          const n = r.uint32();
          const body = bytes.subarray(r.pos, Math.min(r.pos + n, bytes.length));
          const elem = field === 1 ? describeNode(body) : describeTensor(body);
          if (r.pos + n > bytes.length) return { what: `${elem.what} (cut at byte ${bytes.length})`, layer: elem.layer, byte: start };
          last = elem;
          r.pos += n;
        } else {
          r.skipType(t & 7);
        }
      }
    }
  } catch {
    return last ? { what: `the bytes after ${last.what}`, layer: last.layer, byte: r.pos } : { byte: r.pos };
  }
  return last ? { what: `the graph (last readable element: ${last.what})`, layer: last.layer } : {};
}

/** A minimal protobuf wire reader (varints, skips, strings) that can read a cut message up to the cut. */
class Wire {
  pos = 0;
  readonly len: number;
  constructor(private readonly b: Uint8Array) {
    this.len = b.length;
  }
  uint32(): number {
    let v = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (this.pos >= this.len) throw new RangeError("varint cut");
      const byte = this.b[this.pos++] as number;
      if (shift < 32) v += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return v;
    }
    throw new RangeError("varint too long");
  }
  skipType(wire: number): void {
    if (wire === 0) this.uint32();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) {
      const n = this.uint32();
      this.pos += n;
    }
    else if (wire === 5) this.pos += 4;
    else throw new RangeError(`wire type ${wire}`);
    if (this.pos > this.len) throw new RangeError("cut");
  }
  string(): string {
    const n = this.uint32();
    if (this.pos + n > this.len) throw new RangeError("cut");
    const s = new TextDecoder().decode(this.b.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
}

/** Reads a string field from a possibly cut message. */
function stringField(body: Uint8Array, want: number): string | null {
  const r = new Wire(body);
  try {
    while (r.pos < r.len) {
      const t = r.uint32();
      if (t >>> 3 === want && (t & 7) === 2) return r.string();
      r.skipType(t & 7);
    }
  } catch {
    return null;
  }
  return null;
}

function describeNode(body: Uint8Array): { what: string; layer: string } {
  const name = stringField(body, 3) ?? "";
  const op = stringField(body, 4) ?? "?";
  const output = stringField(body, 2) ?? "";
  const layer = name || output || "?";
  return { what: `node "${layer}" (${op})`, layer };
}

function describeTensor(body: Uint8Array): { what: string; layer: string } {
  const name = stringField(body, 8) ?? "?";
  return { what: `initializer "${name}"`, layer: name };
}

const ELEMENT = { 1: "float32", 2: "uint8", 3: "int8", 6: "int32", 7: "int64", 11: "float64" } as const;
const BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 11: 8 };
const TYPE_NAMES: Record<number, string> = { 10: "float16", 16: "bfloat16", 9: "bool", 8: "string", 4: "uint16", 5: "int16", 12: "uint32", 13: "uint64" };

export interface TensorContext {
  readonly file: string;
  /** The model's folder, already passed through realpath. */
  readonly dir: string;
  /** The node that uses the tensor, for messages. */
  readonly layer: string;
}

/** TensorProto → Const. Raw, typed-field and external storage; element types float32/64, int8/32/64, uint8. */
export function readTensor(t: TensorProto, ctx: TensorContext): Const {
  const name = t.name ?? "";
  const dims = (t.dims ?? []).map((d) => num(d as LongLike));
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw fail("SNNC147", `tensor "${name}" has dims [${dims.join(", ")}]`, { file: ctx.file, layer: ctx.layer });
  const count = dims.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  if (!(type in ELEMENT)) {
    throw fail("SNNC148", `tensor "${name}" has element type ${TYPE_NAMES[type] ?? type}`, { file: ctx.file, layer: ctx.layer },
      "snnc reads float32, float64, int8, uint8, int32 and int64 tensors: export the model in float32");
  }
  const size = BYTES[type] as number;
  let raw: Uint8Array | null = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) raw = readExternal(t, count * size, ctx);
  const out = new Float64Array(count);
  if (raw) {
    if (raw.length !== count * size) {
      throw fail("SNNC147", `tensor "${name}" holds ${raw.length} bytes, its dims [${dims.join(", ")}] need ${count * size}`, { file: ctx.file, layer: ctx.layer });
    }
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) {
      switch (type) {
        case 1: out[i] = v.getFloat32(i * 4, true); break;
        case 2: out[i] = v.getUint8(i); break;
        case 3: out[i] = v.getInt8(i); break;
        case 6: out[i] = v.getInt32(i * 4, true); break;
        case 7: out[i] = Number(v.getBigInt64(i * 8, true)); break;
        default: out[i] = v.getFloat64(i * 8, true);
      }
    }
    return { dims, data: out };
  }
  const typed: readonly LongLike[] =
    type === 1 ? (t.floatData ?? []) : type === 11 ? (t.doubleData ?? []) : type === 7 ? (t.int64Data ?? []) as LongLike[] : (t.int32Data ?? []);
  if (typed.length !== count) {
    throw fail("SNNC147", `tensor "${name}" holds ${typed.length} values, its dims [${dims.join(", ")}] need ${count}`, { file: ctx.file, layer: ctx.layer });
  }
  for (let i = 0; i < count; i++) out[i] = num(typed[i]);
  return { dims, data: out };
}

/** Reads external data: `location` must resolve, after realpath, to a regular file inside the model's folder. */
function readExternal(t: TensorProto, expected: number, ctx: TensorContext): Uint8Array {
  const name = t.name ?? "";
  const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? "", e.value ?? ""]));
  const location = kv.get("location") ?? "";
  const loc = { file: ctx.file, layer: ctx.layer };
  const bad = (why: string): never => {
    throw fail("SNNC144", `external data of tensor "${name}": ${why}`, loc, "keep the external data files next to the .onnx file, as onnx.save_model(..., save_as_external_data=True) writes them");
  };
  if (!location || isAbsolute(location) || location.includes("\0")) bad(`location "${location}" must be a relative file name`);
  let real: string;
  try {
    real = realpathSync(resolve(ctx.dir, location));
  } catch {
    return bad(`file "${location}" not found next to the model`);
  }
  const rel = relative(ctx.dir, real);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel) || rel.split(sep).includes("..")) bad(`"${location}" resolves outside the model's folder`);
  const st = statSync(real);
  if (!st.isFile()) bad(`"${location}" is not a regular file`);
  const offset = Number(kv.get("offset") ?? "0");
  const length = kv.has("length") ? Number(kv.get("length")) : expected;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) bad(`offset ${kv.get("offset")} / length ${kv.get("length")} are not byte counts`);
  if (length !== expected) bad(`length ${length} bytes, the tensor needs ${expected}`);
  if (offset + length > st.size) bad(`"${location}" has ${st.size} bytes, the tensor needs bytes ${offset}..${offset + length}`);
  const buf = new Uint8Array(length);
  const fd = openSync(real, "r");
  try {
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, offset + got);
      if (n <= 0) bad(`"${location}" ended early`);
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}

/** The model's folder after realpath (external data must stay inside it). */
export function modelDir(path: string): string {
  return realpathSync(join(resolve(path), ".."));
}
