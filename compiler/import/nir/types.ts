/**
 * @fileoverview NIR (Neuromorphic Intermediate Representation, neuromorphs/NIR; Pedersen et al., Nature
 * Communications 2024) as typed data: the graph a `.nir` file holds, before discretisation.
 *
 * Stage: produced by import/nir/read.ts (HDF5 → NirGraph), consumed by import/nir/check.ts and
 * import/nir/lower.ts (NirGraph → SnnGraph), produced again by import/nir/export.ts (SnnGraph → NirGraph).
 * Invariants: every parameter is a float64 tensor with its NIR shape (PyTorch order: channels first);
 * names are the file's node names; a NIRGraph node nests its own nodes and edges.
 */

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** Metadata: the file's `metadata` group, numbers and strings only (anything else is dropped). */
export type Metadata = Readonly<Record<string, number | string>>;

export type Padding = readonly number[] | "same" | "valid";

export type NirNode =
  | { readonly type: "Input"; readonly shape: readonly number[]; readonly metadata: Metadata }
  | { readonly type: "Output"; readonly shape: readonly number[] | null; readonly metadata: Metadata }
  | { readonly type: "Affine"; readonly weight: Tensor; readonly bias: Tensor; readonly metadata: Metadata }
  | { readonly type: "Linear"; readonly weight: Tensor; readonly metadata: Metadata }
  | { readonly type: "Scale"; readonly scale: Tensor; readonly metadata: Metadata }
  | {
    readonly type: "Conv1d" | "Conv2d"; readonly weight: Tensor; readonly bias: Tensor; readonly stride: readonly number[];
    readonly padding: Padding; readonly dilation: readonly number[]; readonly groups: number;
    /** Spatial input shape ([N] or [H, W]) where the file gives it. */
    readonly inputShape: readonly number[] | null; readonly metadata: Metadata;
  }
  | { readonly type: "Flatten"; readonly startDim: number; readonly endDim: number; readonly inputType: readonly number[] | null; readonly metadata: Metadata }
  | { readonly type: "SumPool2d" | "AvgPool2d"; readonly kernel: readonly number[]; readonly stride: readonly number[]; readonly padding: readonly number[]; readonly metadata: Metadata }
  | { readonly type: "IF"; readonly r: Tensor; readonly vThreshold: Tensor; readonly vReset: Tensor; readonly metadata: Metadata }
  | { readonly type: "LIF"; readonly tau: Tensor; readonly r: Tensor; readonly vLeak: Tensor; readonly vThreshold: Tensor; readonly vReset: Tensor; readonly metadata: Metadata }
  | {
    readonly type: "CubaLIF"; readonly tauMem: Tensor; readonly tauSyn: Tensor; readonly r: Tensor; readonly vLeak: Tensor;
    readonly vThreshold: Tensor; readonly vReset: Tensor; readonly wIn: Tensor; readonly metadata: Metadata;
  }
  | { readonly type: "LI"; readonly tau: Tensor; readonly r: Tensor; readonly vLeak: Tensor; readonly metadata: Metadata }
  | { readonly type: "CubaLI"; readonly tauMem: Tensor; readonly tauSyn: Tensor; readonly r: Tensor; readonly vLeak: Tensor; readonly wIn: Tensor; readonly metadata: Metadata }
  | { readonly type: "I"; readonly r: Tensor; readonly metadata: Metadata }
  | { readonly type: "Threshold"; readonly threshold: Tensor; readonly metadata: Metadata }
  | { readonly type: "Delay"; readonly delay: Tensor; readonly metadata: Metadata }
  | NirGraph;

export interface NirGraph {
  readonly type: "NIRGraph";
  readonly nodes: ReadonlyMap<string, NirNode>;
  readonly edges: readonly (readonly [string, string])[];
  readonly metadata: Metadata;
}

export type NirType = NirNode["type"];

export const NIR_TYPES: readonly NirType[] = [
  "Input", "Output", "Affine", "Linear", "Scale", "Conv1d", "Conv2d", "Flatten", "SumPool2d", "AvgPool2d",
  "IF", "LIF", "CubaLIF", "LI", "CubaLI", "I", "Threshold", "Delay", "NIRGraph",
];

/** Neuron nodes: they hold state; every other node is a memoryless map applied to the signal on an edge. */
export type NirNeuron = Extract<NirNode, { type: "IF" | "LIF" | "CubaLIF" | "LI" | "CubaLI" | "I" | "Threshold" }>;

export function isNeuron(n: NirNode): n is NirNeuron {
  switch (n.type) {
    case "IF": case "LIF": case "CubaLIF": case "LI": case "CubaLI": case "I": case "Threshold":
      return true;
    default:
      return false;
  }
}

/** A file as read: the NIR version string and the top graph. */
export interface NirDocument {
  readonly version: string;
  readonly graph: NirGraph;
}

export function tensor(shape: readonly number[], data: ArrayLike<number>): Tensor {
  return { shape: [...shape], data: Float64Array.from(data) };
}

export function tensorSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
