/**
 * @fileoverview The NIR-level check: nested graphs flattened into one graph of leaf nodes, every edge
 * resolved, every node's output shape inferred, and every edge's shapes checked — the `.nir` counterpart of
 * the ANN importers' tfjs/onnxruntime check, before any discretisation.
 *
 * Input: the top NirGraph. Output: FlatNir (leaf nodes by dotted name `sub.node`, edges between leaves,
 * shapes in NIR order — channels first). Nested graphs: an edge into subgraph `s` enters its one Input node
 * (or `s.x` names the Input x); an edge out of `s` leaves its one Output node; inner Input/Output nodes
 * become pass-through nodes. Cycles are allowed (recurrent networks); a cycle that passes through no neuron
 * is an algebraic loop no discrete-time system can compute: SNNC166 naming a node on it.
 * Errors name the node: an edge to an unknown node (SNNC165), a shape mismatch (SNNC164), a graph without
 * exactly one Input and one Output at the top (SNNC167).
 */
import { truncateText } from "../../../runtime/limits.ts";
import { fail } from "../../diagnostics.ts";
import { isNeuron, type Metadata, type NirGraph, type NirNode, tensorSize } from "./types.ts";

/** A leaf node of the flattened graph; inner Input/Output nodes of subgraphs are `Pass`. */
export type FlatNode = Exclude<NirNode, { type: "NIRGraph" }> | { readonly type: "Pass"; readonly metadata: Metadata };

export interface FlatNir {
  readonly nodes: ReadonlyMap<string, FlatNode>;
  readonly edges: readonly (readonly [string, string])[];
  /** Output shape (NIR order) of every node. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly input: string;
  readonly output: string;
  /** Metadata of the top graph. */
  readonly metadata: Metadata;
}

export function flattenNir(top: NirGraph, file: string): FlatNir {
  const nodes = new Map<string, FlatNode>();
  const edges: [string, string][] = [];
  addGraph(top, "", true, nodes, edges, file);
  const inputs = [...nodes].filter(([, n]) => n.type === "Input").map(([k]) => k);
  const outputs = [...nodes].filter(([, n]) => n.type === "Output").map(([k]) => k);
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw fail("SNNC167", `the graph has ${inputs.length} Input and ${outputs.length} Output nodes; snnc maps graphs with one of each`, { file },
      "merge the inputs (or outputs) into one node");
  }
  const shapes = inferShapes(nodes, edges, inputs[0] as string, file);
  checkAlgebraicLoops(nodes, edges, file);
  return { nodes, edges, shapes, input: inputs[0] as string, output: outputs[0] as string, metadata: top.metadata };
}

function addGraph(g: NirGraph, prefix: string, top: boolean, nodes: Map<string, FlatNode>, edges: [string, string][], file: string): void {
  for (const [name, n] of g.nodes) {
    const full = prefix + name;
    if (n.type === "NIRGraph") addGraph(n, `${full}.`, false, nodes, edges, file);
    else nodes.set(full, !top && (n.type === "Input" || n.type === "Output") ? { type: "Pass", metadata: n.metadata } : n);
  }
  const endpoint = (name: string, role: "Input" | "Output"): string => {
    const n = g.nodes.get(name);
    if (!n) {
      // `s.x`: node x of subgraph s (nested names resolve level by level).
      const dot = name.indexOf(".");
      const sub = dot > 0 ? g.nodes.get(name.slice(0, dot)) : undefined;
      if (sub && sub.type === "NIRGraph") return `${prefix}${name.slice(0, dot)}.${resolveIn(sub, name.slice(dot + 1), role, `${prefix}${name.slice(0, dot)}`, file)}`;
      throw fail("SNNC165", `an edge names node "${truncateText(prefix + name)}", which the graph does not have`, { file, layer: prefix + name },
        "every edge joins two nodes of its graph (or a subgraph's node as subgraph.node)");
    }
    if (n.type !== "NIRGraph") return prefix + name;
    return `${prefix}${name}.${resolveIn(n, "", role, prefix + name, file)}`;
  };
  for (const [a, b] of g.edges) edges.push([endpoint(a, "Output"), endpoint(b, "Input")]);
}

/** Inside subgraph `g`: the node an edge reaches (role Input: an edge into it; Output: an edge out of it). */
function resolveIn(g: NirGraph, name: string, role: "Input" | "Output", shown: string, file: string): string {
  if (name === "") {
    const ends = [...g.nodes].filter(([, n]) => n.type === role);
    if (ends.length !== 1) {
      throw fail("SNNC165", `an edge ${role === "Input" ? "enters" : "leaves"} subgraph "${truncateText(shown)}", which has ${ends.length} ${role} nodes`, { file, layer: shown },
        `name the ${role} node in the edge (${truncateText(shown)}.<node>)`);
    }
    return (ends[0] as [string, NirNode])[0];
  }
  const n = g.nodes.get(name);
  if (n && n.type !== "NIRGraph") return name;
  if (n && n.type === "NIRGraph") return `${name}.${resolveIn(n, "", role, `${shown}.${name}`, file)}`;
  const dot = name.indexOf(".");
  const sub = dot > 0 ? g.nodes.get(name.slice(0, dot)) : undefined;
  if (sub && sub.type === "NIRGraph") return `${name.slice(0, dot)}.${resolveIn(sub, name.slice(dot + 1), role, `${shown}.${name.slice(0, dot)}`, file)}`;
  throw fail("SNNC165", `an edge names node "${truncateText(`${shown}.${name}`)}", which the graph does not have`, { file, layer: `${shown}.${name}` });
}

/** The shape a node's parameters fix (neurons, Scale, Delay), or null. */
function paramShape(n: FlatNode): readonly number[] | null {
  switch (n.type) {
    case "IF": return n.vThreshold.shape;
    case "LIF": return n.vThreshold.shape;
    case "CubaLIF": return n.vThreshold.shape;
    case "LI": return n.vLeak.shape;
    case "CubaLI": return n.vLeak.shape;
    case "I": return n.r.shape;
    case "Threshold": return n.threshold.shape;
    case "Scale": return n.scale.shape;
    case "Delay": return n.delay.shape;
    default: return null;
  }
}

const same = (a: readonly number[], b: readonly number[]) => tensorSize(a) === tensorSize(b);

/** Output shape of `n` given its input shape (NIR order), or an SNNC164 naming the node. */
function outputShape(name: string, n: FlatNode, input: readonly number[], file: string): readonly number[] {
  const mismatch = (expected: string) => fail("SNNC164", `node ${truncateText(name)} (${n.type}) receives shape [${input.join(", ")}], it takes ${expected}`, { file, layer: name },
    "the shapes along every edge must agree (NIR order: channels first)");
  switch (n.type) {
    case "Input":
    case "Pass":
    case "Output":
      return input;
    case "Affine":
    case "Linear": {
      const [out, inn] = [n.weight.shape[0] ?? 0, n.weight.shape[1] ?? 0];
      if (n.weight.shape.length !== 2) throw fail("SNNC162", `weight of node ${truncateText(name)} has ${n.weight.shape.length} dimensions (2 expected)`, { file, layer: name });
      if (tensorSize(input) !== inn) throw mismatch(`${inn} values`);
      if (n.type === "Affine" && n.bias.data.length !== out) throw fail("SNNC164", `bias of node ${truncateText(name)} has ${n.bias.data.length} values for ${out} outputs`, { file, layer: name });
      return [out];
    }
    case "Conv1d":
    case "Conv2d": {
      const dims = n.type === "Conv1d" ? 1 : 2;
      const w = n.weight.shape;
      if (w.length !== dims + 2) throw fail("SNNC162", `weight of node ${truncateText(name)} has ${w.length} dimensions (${dims + 2} expected)`, { file, layer: name });
      const cin = (w[1] ?? 0) * n.groups;
      if (input.length !== dims + 1 || input[0] !== cin) throw mismatch(`[${cin}, ${dims === 1 ? "N" : "H, W"}]`);
      const spatial = input.slice(1);
      const out = spatial.map((s, i) => {
        const k = w[2 + i] ?? 1;
        const d = n.dilation[i] ?? 1;
        const st = n.stride[i] ?? 1;
        if (n.padding === "same") return Math.ceil(s / st);
        const p = n.padding === "valid" ? 0 : n.padding[i] ?? 0;
        return Math.floor((s + 2 * p - d * (k - 1) - 1) / st) + 1;
      });
      if (out.some((x) => x < 1)) throw mismatch("an input larger than its kernel");
      if (n.bias.data.length !== (w[0] ?? 0)) throw fail("SNNC164", `bias of node ${truncateText(name)} has ${n.bias.data.length} values for ${w[0]} channels`, { file, layer: name });
      return [w[0] ?? 0, ...out];
    }
    case "SumPool2d":
    case "AvgPool2d": {
      if (input.length !== 3) throw mismatch("[C, H, W]");
      const out = [1, 2].map((i) => Math.floor(((input[i] ?? 0) + 2 * (n.padding[i - 1] ?? 0) - (n.kernel[i - 1] ?? 1)) / (n.stride[i - 1] ?? 1)) + 1);
      if (out.some((x) => x < 1)) throw mismatch("an input larger than its kernel");
      return [input[0] ?? 0, ...out];
    }
    case "Flatten": {
      if (n.inputType && !same(n.inputType, input)) throw mismatch(`[${n.inputType.join(", ")}]`);
      // NIR's dims count the batch: start_dim 1 is the first dimension of the sample.
      const rank = input.length;
      const s = Math.max(0, (n.startDim < 0 ? n.startDim + rank + 1 : n.startDim) - 1);
      const e = Math.min(rank - 1, (n.endDim < 0 ? n.endDim + rank + 1 : n.endDim) - 1);
      if (e < s) return input;
      return [...input.slice(0, s), tensorSize(input.slice(s, e + 1)), ...input.slice(e + 1)];
    }
    default: {
      const ps = paramShape(n) as readonly number[];
      if (tensorSize(ps) !== 1 && !same(ps, input)) throw mismatch(`[${ps.join(", ")}]`);
      return tensorSize(ps) === 1 ? input : ps;
    }
  }
}

function inferShapes(nodes: ReadonlyMap<string, FlatNode>, edges: readonly (readonly [string, string])[], input: string, file: string): Map<string, readonly number[]> {
  const shapes = new Map<string, readonly number[]>();
  const inShape = new Map<string, readonly number[]>();
  const out = new Map<string, string[]>();
  for (const [a, b] of edges) out.set(a, [...(out.get(a) ?? []), b]);
  const first = nodes.get(input);
  if (!first || first.type !== "Input") throw fail("SNNC167", "no Input node", { file });
  shapes.set(input, first.shape);
  // Breadth-first from the Input: a node's shape is fixed where it is first reached (a cycle's back edge is
  // then checked against it); the first edge whose shapes disagree is the one reported.
  const queue = [input];
  while (queue.length) {
    const a = queue.shift() as string;
    const s = shapes.get(a) as readonly number[];
    for (const b of out.get(a) ?? []) {
      const n = nodes.get(b) as FlatNode;
      const prev = inShape.get(b);
      if (prev) {
        if (!same(prev, s)) {
          throw fail("SNNC164", `node ${truncateText(b)} (${n.type}) receives shapes [${prev.join(", ")}] and [${s.join(", ")}] on two edges`, { file, layer: b },
            "the shapes along every edge must agree (NIR order: channels first)");
        }
        continue;
      }
      inShape.set(b, s);
      if (b === input) continue;
      shapes.set(b, outputShape(b, n, s, file));
      queue.push(b);
    }
  }
  for (const k of nodes.keys()) {
    if (!shapes.has(k)) throw fail("SNNC164", `node ${truncateText(k)} is not reached from the Input, so its shape is unknown`, { file, layer: k }, "connect every node to the graph's Input");
  }
  return shapes;
}

/** A cycle through non-neuron nodes only (an algebraic loop): SNNC166 naming a node on it. */
function checkAlgebraicLoops(nodes: ReadonlyMap<string, FlatNode>, edges: readonly (readonly [string, string])[], file: string): void {
  const out = new Map<string, string[]>();
  for (const [a, b] of edges) out.set(a, [...(out.get(a) ?? []), b]);
  const state = new Map<string, 1 | 2>();
  const visit = (k: string): void => {
    state.set(k, 1);
    for (const b of out.get(k) ?? []) {
      if (isLeafNeuron(nodes.get(b) as FlatNode)) continue;
      const s = state.get(b);
      if (s === 1) {
        throw fail("SNNC166", `the edges form a cycle through node ${truncateText(b)} with no neuron on it (an algebraic loop: no delay a discrete-time target can give)`, { file, layer: b },
          "every cycle of a NIR graph must pass through a neuron (IF, LIF, CubaLIF, LI, CubaLI, I, Threshold)");
      }
      if (s === undefined) visit(b);
    }
    state.set(k, 2);
  };
  for (const [k, n] of nodes) if (!isLeafNeuron(n) && !state.has(k)) visit(k);
}

export function isLeafNeuron(n: FlatNode): n is Extract<FlatNode, { type: "IF" | "LIF" | "CubaLIF" | "LI" | "CubaLI" | "I" | "Threshold" }> {
  return n.type !== "Pass" && isNeuron(n);
}
