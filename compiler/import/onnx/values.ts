/**
 * @fileoverview The import state of an ONNX graph: what each ONNX tensor name stands for, and the IR nodes
 * emitted so far (stage: import).
 *
 * A tensor is either a constant (initializer, Constant node or folded shape arithmetic) or an activation: an
 * AnnGraph node plus the tensor's ONNX per-sample shape (batch axis dropped) and how the IR stores it. The IR is
 * NHWC; ONNX is NCHW. `perm[i]` is the ONNX flat (row-major) index of IR flat element i, null for identity. An
 * image [C, H, W] stored as IR [H, W, C] has perm = hwcPerm(C, H, W). Reshape-like ops keep the memory and
 * change only the ONNX shape; a dense layer reading a permuted vector permutes its kernel rows instead of the data.
 */
import { fail } from "../../diagnostics.ts";
import type { AnnNode, AnnOp, Shape } from "../../ir/ann.ts";
import { inferShape } from "../../ir/shape.ts";
import type { Const } from "./proto.ts";

export interface Act {
  readonly kind: "act";
  readonly node: string;
  /** ONNX per-sample shape. */
  readonly shape: readonly number[];
  /** IR node shape. */
  readonly ir: Shape;
  readonly perm: Int32Array | null;
}

export type Val = { readonly kind: "const"; readonly t: Const } | Act;

export function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** IR flat index → ONNX flat index for an image [C, H, W] stored as [H, W, C]; null when that is the identity. */
export function hwcPerm(c: number, h: number, w: number): Int32Array | null {
  if (c === 1 || h * w === 1) return null;
  const p = new Int32Array(c * h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) p[(y * w + x) * c + k] = k * h * w + y * w + x;
  return p;
}

export function samePerm(a: Int32Array | null, b: Int32Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The graph being built: emitted IR nodes and the value of every ONNX tensor name. */
export class Builder {
  readonly nodes: AnnNode[] = [];
  readonly values = new Map<string, Val>();
  private readonly used = new Set<string>();
  /** Names given to ONNX nodes (an IR node emitted for a node takes that name). */
  readonly reserved = new Set<string>();
  /** The model's default-domain opset. */
  opset = 13;

  constructor(readonly file: string) {}

  uniqueName(base: string): string {
    let name = base || "node";
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** The IR name for a node: the node's own reserved name the first time, a fresh one after. */
  private irName(name: string): string {
    if (this.reserved.delete(name)) return name;
    return this.uniqueName(name);
  }

  /** Appends an IR node; its shape comes from the IR's own shape inference. */
  emit(name: string, sourceClass: string, op: AnnOp, inputs: readonly Act[]): { node: string; ir: Shape } {
    const unique = this.irName(name);
    const shape = inferShape(op, inputs.map((i) => i.ir), unique);
    this.nodes.push({ name: unique, sourceClass, op, inputs: inputs.map((i) => i.node), shape });
    return { node: unique, ir: shape };
  }

  /** The activation as an IR rank-1 vector (emitting a flatten when stored as an image). */
  vector(v: Act, layer: string, cls: string): Act {
    if (v.ir.length === 1) return v;
    const r = this.emit(`${layer}/flatten`, cls, { kind: "flatten" }, [v]);
    return { ...v, node: r.node, ir: r.ir };
  }

  /** The activation as an IR image [H, W, C] of its ONNX shape [C, H, W]. */
  image(v: Act, layer: string, cls: string): Act {
    if (v.shape.length !== 3) {
      throw fail("SNNC143", `${cls} needs an [N, C, H, W] input, this one is [N, ${v.shape.join(", ")}]`, { file: this.file, layer });
    }
    const [c = 0, h = 0, w = 0] = v.shape;
    if (!samePerm(v.perm, hwcPerm(c, h, w))) {
      throw fail("SNNC143", `${cls} reads a tensor whose NCHW layout snnc cannot map onto its NHWC layout without moving data`, { file: this.file, layer },
        "snnc maps reshapes that keep the channel order; a Transpose or Reshape that mixes channels and pixels before this node is not supported");
    }
    if (v.ir.length === 3 && v.ir[0] === h && v.ir[1] === w && v.ir[2] === c) return v;
    const r = this.emit(`${layer}/reshape`, cls, { kind: "reshape", targetShape: [h, w, c] }, [v]);
    return { ...v, node: r.node, ir: r.ir };
  }

  /** Drops IR nodes that no output depends on (they came from ONNX branches that end in constants or nowhere). */
  prune(outputs: readonly string[]): AnnNode[] {
    const need = new Set(outputs);
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i] as AnnNode;
      if (need.has(n.name)) for (const x of n.inputs) need.add(x);
    }
    return this.nodes.filter((n) => need.has(n.name) || n.op.kind === "input");
  }
}
