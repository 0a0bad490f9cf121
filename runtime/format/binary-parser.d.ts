// binary-parser ships types, but its package "exports" hides them from NodeNext resolution: this declares the
// part of its API snnc uses (https://github.com/keichi/binary-parser).
declare module "binary-parser" {
  interface ParserOptions {
    length?: number | string | ((item: unknown) => number);
    lengthInBytes?: number | string | ((item: unknown) => number);
    assert?: number | string | ((item: number | string) => boolean);
    type?: string | Parser;
    encoding?: string;
    stripNull?: boolean;
    formatter?: (item: unknown) => unknown;
  }
  export class Parser {
    constructor();
    endianness(e: "little" | "big"): this;
    uint8(name: string, options?: ParserOptions): this;
    uint16(name: string, options?: ParserOptions): this;
    uint32(name: string, options?: ParserOptions): this;
    int8(name: string, options?: ParserOptions): this;
    int16(name: string, options?: ParserOptions): this;
    int32(name: string, options?: ParserOptions): this;
    doublele(name: string, options?: ParserOptions): this;
    string(name: string, options: ParserOptions): this;
    buffer(name: string, options: ParserOptions): this;
    array(name: string, options: ParserOptions): this;
    nest(name: string, options: ParserOptions): this;
    skip(length: number | string, options?: ParserOptions): this;
    saveOffset(name: string): this;
    sizeOf(): number;
    parse(buffer: Uint8Array): unknown;
  }
}
