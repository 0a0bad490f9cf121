/**
 * @fileoverview Byte writer and file assembler for network.snnb (used by the backends). Output depends only
 * on the values written: no timestamps, no map iteration order, so identical inputs give identical bytes.
 */
import { crc32 } from "./crc32.ts";
import { HEADER_BYTES, MAGIC, SECTION_ENTRY_BYTES, VERSION_MAJOR, VERSION_MINOR, fourcc } from "./spec.ts";

export class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(x: number): this {
    if (!(x >= 0 && x <= 0xff && Number.isInteger(x))) throw new Error(`internal: ${x} written to a u8 field`);
    this.ensure(1);
    this.view.setUint8(this.length, x);
    this.length += 1;
    return this;
  }
  i8(x: number): this {
    this.ensure(1);
    this.view.setInt8(this.length, x);
    this.length += 1;
    return this;
  }
  u16(x: number): this {
    if (!(x >= 0 && x <= 0xffff && Number.isInteger(x))) throw new Error(`internal: ${x} written to a u16 field`);
    this.ensure(2);
    this.view.setUint16(this.length, x, true);
    this.length += 2;
    return this;
  }
  i16(x: number): this {
    this.ensure(2);
    this.view.setInt16(this.length, x, true);
    this.length += 2;
    return this;
  }
  u32(x: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, x >>> 0, true);
    this.length += 4;
    return this;
  }
  i32(x: number): this {
    this.ensure(4);
    this.view.setInt32(this.length, x, true);
    this.length += 4;
    return this;
  }
  f64(x: number): this {
    this.ensure(8);
    this.view.setFloat64(this.length, x, true);
    this.length += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  /** Fixed-width ASCII, NUL padded. */
  ascii(s: string, width: number): this {
    const b = new Uint8Array(width);
    for (let i = 0; i < Math.min(s.length, width); i++) b[i] = s.charCodeAt(i) & 0x7f;
    return this.bytes(b);
  }
  align(n: number): this {
    while (this.length % n !== 0) this.u8(0);
    return this;
  }
  /** Overwrite a u32 written earlier (for offsets known later). */
  patchU32(at: number, x: number): void {
    this.view.setUint32(at, x >>> 0, true);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export interface FileHeader {
  readonly family: number;
  readonly neuronModel: number;
  readonly targetName: string;
  readonly flags: number;
}

export interface SectionBytes {
  readonly id: string;
  readonly bytes: Uint8Array;
}

/**
 * Header (64 B): magic u32 | major u16 | minor u16 | family u8 | model u8 | pad u16 | sections u32 |
 * file length u32 | pad 12 | target name 16 ASCII | flags u32 | section-table CRC u32 | pad 4 | header CRC u32
 * (over bytes 0..59, so it covers the table CRC too).
 * Section table: per section id u32 | offset u32 | length u32 | CRC u32. Sections start 8-byte aligned.
 */
export function assembleFile(h: FileHeader, sections: readonly SectionBytes[]): Uint8Array {
  const tableEnd = HEADER_BYTES + SECTION_ENTRY_BYTES * sections.length;
  let offset = Math.ceil(tableEnd / 8) * 8;
  const placed = sections.map((s) => {
    const at = offset;
    offset = Math.ceil((offset + s.bytes.length) / 8) * 8;
    return { ...s, at };
  });
  const total = offset;
  if (total > 0xffffffff) throw new Error("internal: binary larger than 4 GiB");
  const w = new ByteWriter();
  w.u32(MAGIC).u16(VERSION_MAJOR).u16(VERSION_MINOR).u8(h.family).u8(h.neuronModel).u16(0).u32(sections.length).u32(total);
  const table = new ByteWriter();
  for (const s of placed) table.u32(fourcc(s.id)).u32(s.at).u32(s.bytes.length).u32(crc32(s.bytes));
  const tableBytes = table.finish();
  w.bytes(new Uint8Array(12)).ascii(h.targetName, 16).u32(h.flags).u32(crc32(tableBytes)).bytes(new Uint8Array(4));
  const head = w.finish();
  w.u32(crc32(head, 0, 60));
  w.bytes(tableBytes);
  for (const s of placed) {
    while (w.length < s.at) w.u8(0);
    w.bytes(s.bytes);
  }
  while (w.length < total) w.u8(0);
  return w.finish();
}
