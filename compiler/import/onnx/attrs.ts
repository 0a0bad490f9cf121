/**
 * @fileoverview Reading one ONNX node: its attributes and its inputs as constants or activations (stage: import).
 * Every failure names the node (SNNC143 for a form snnc does not implement, SNNC147 for a malformed graph).
 */
import { fail } from "../../diagnostics.ts";
import { type AttributeProto, type Const, type NodeProto, num } from "./proto.ts";
import type { Act, Builder, Val } from "./values.ts";

export class NodeReader {
  readonly name: string;
  readonly op: string;
  private readonly attrs: Map<string, AttributeProto>;

  constructor(readonly node: NodeProto, readonly b: Builder, readonly layer: string) {
    this.name = layer;
    this.op = node.opType ?? "";
    this.attrs = new Map((node.attribute ?? []).map((a) => [a.name ?? "", a]));
  }

  get file(): string {
    return this.b.file;
  }

  loc(): { file: string; layer: string } {
    return { file: this.b.file, layer: this.name };
  }

  unsupported(what: string, hint?: string): never {
    throw fail("SNNC143", `${this.op} ${what} is not supported`, this.loc(), hint);
  }

  malformed(what: string): never {
    throw fail("SNNC147", `${this.op}: ${what}`, this.loc());
  }

  has(name: string): boolean {
    return this.attrs.has(name);
  }

  int(name: string, fallback: number): number {
    const a = this.attrs.get(name);
    return a ? num(a.i) : fallback;
  }

  float(name: string, fallback: number): number {
    const a = this.attrs.get(name);
    return a ? (a.f ?? 0) : fallback;
  }

  ints(name: string, fallback: readonly number[] | null): number[] | null {
    const a = this.attrs.get(name);
    return a ? (a.ints ?? []).map((v) => num(v)) : fallback === null ? null : [...fallback];
  }

  str(name: string, fallback: string): string {
    const a = this.attrs.get(name);
    return a?.s ? new TextDecoder().decode(a.s) : fallback;
  }

  attr(name: string): AttributeProto | undefined {
    return this.attrs.get(name);
  }

  /** Input k's tensor name ("" when the optional input is left out). */
  inputName(k: number): string {
    return this.node.input?.[k] ?? "";
  }

  hasInput(k: number): boolean {
    return this.inputName(k) !== "";
  }

  value(k: number): Val {
    const n = this.inputName(k);
    const v = this.b.values.get(n);
    if (!v) this.malformed(`input ${k} "${n}" is not produced by any earlier node, initializer or graph input`);
    return v;
  }

  act(k: number, what = "its data input"): Act {
    const v = this.value(k);
    if (v.kind !== "act") this.unsupported(`with a constant ${what}`, "constant subgraphs are folded only for shape arithmetic");
    return v;
  }

  constant(k: number, what: string): Const {
    const v = this.value(k);
    if (v.kind !== "const") this.unsupported(`with ${what} computed at run time`, `snnc needs ${what} as an initializer or Constant`);
    return v.t;
  }

  optionalConstant(k: number, what: string): Const | null {
    return this.hasInput(k) ? this.constant(k, what) : null;
  }

  /** Output names beyond the first must be unused (e.g. MaxPool indices, Dropout mask, BN running stats). */
  onlyFirstOutput(used: (name: string) => boolean): void {
    (this.node.output ?? []).slice(1).forEach((o) => {
      if (o && used(o)) this.unsupported(`output "${o}" (only the first output of this op is supported)`);
    });
  }

  set(k: number, v: Val): void {
    const n = this.node.output?.[k] ?? "";
    if (n) this.b.values.set(n, v);
  }
}
