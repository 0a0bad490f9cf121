/**
 * @fileoverview Topology + weights → AnnGraph.
 *
 * Orders layers topologically (Kahn), rejects cycles (SNNC109), references to unknown layers and layers not
 * connected between the inputs and the outputs (SNNC110), removes inference identities (Dropout), builds each
 * layer's op with `buildLayer` and infers every shape. Output invariants: those of AnnGraph (see ir/ann.ts).
 */
import { checkedProduct, checkLimit, truncateText } from "../../runtime/limits.ts";
import { fail } from "../diagnostics.ts";
import type { AnnGraph, AnnNode, ModelFormat, Shape } from "../ir/ann.ts";
import { inferShape } from "../ir/shape.ts";
import { buildLayer, type WeightSource } from "./layers.ts";
import type { LayerSpec, Topology } from "./topology.ts";

export function buildAnnGraph(topology: Topology, weights: WeightSource, format: ModelFormat): AnnGraph {
  const file = weights.file;
  checkLimit("layers", topology.layers.length, { file });
  const byName = new Map<string, LayerSpec>();
  for (const l of topology.layers) {
    if (byName.has(l.name)) throw fail("SNNC101", "two layers share this name", { file, layer: l.name, path: l.path });
    byName.set(l.name, l);
  }
  for (const l of topology.layers) {
    for (const i of l.inbound) {
      if (!byName.has(i)) throw fail("SNNC110", `inbound layer "${truncateText(i)}" does not exist`, { file, layer: l.name, path: l.path });
    }
  }
  for (const name of [...topology.inputs, ...topology.outputs]) {
    if (!byName.has(name)) throw fail("SNNC110", `model input/output "${truncateText(name)}" is not a layer of the model`, { file });
  }
  const order = topologicalOrder(topology.layers, file);
  checkConnected(topology, byName, file);

  // Build ops in order, resolving identities to the node that really produces the tensor.
  const alias = new Map<string, string>();
  const resolve = (n: string): string => alias.get(n) ?? n;
  const shapes = new Map<string, Shape>();
  const nodes: AnnNode[] = [];
  for (const spec of order) {
    const inputs = spec.inbound.map(resolve);
    const inShapes = spec.className === "InputLayer" ? [topology.inputShapes.get(spec.name) ?? []] : inputs.map((i) => shapes.get(i) ?? []);
    const result = buildLayer(spec, inShapes, weights);
    if (result.kind === "identity") {
      const src = inputs[0];
      if (src === undefined || inputs.length !== 1) throw fail("SNNC110", `${truncateText(spec.className)} must have exactly one input`, { file, layer: spec.name });
      alias.set(spec.name, src);
      continue;
    }
    const ops = result.kind === "op" ? [result.op] : result.ops;
    const keep = result.kind === "op" ? result.keepInputs : undefined;
    let prevInputs = keep ? keep.map((k) => inputs[k] ?? "") : inputs;
    let prevShapes = keep ? keep.map((k) => inShapes[k] ?? []) : inShapes;
    ops.forEach((op, k) => {
      const name = k === ops.length - 1 ? spec.name : `${spec.name}/${op.kind}`;
      const shape = inferShape(op, prevShapes, spec.name);
      // Every activation tensor is bounded before a pass allocates it (ZeroPadding2D of 2^20, Reshape, ...).
      checkedProduct(shape, "tensorElements", { file, layer: spec.name, path: spec.path }, "output elements");
      if (shape.some((d) => !Number.isInteger(d) || d < 1)) {
        throw fail("SNNC112", `${truncateText(spec.className)} gives an output of shape [${shape.join(", ")}], with an empty axis`, { file, layer: spec.name, path: spec.path },
          "check the layer's kernel, pool and padding sizes against its input");
      }
      shapes.set(name, shape);
      nodes.push({ name, sourceClass: spec.className, op, inputs: prevInputs, shape });
      prevInputs = [name];
      prevShapes = [shape];
    });
  }
  const outputs = topology.outputs.map(resolve);
  return {
    name: topology.name,
    format,
    nodes: internalSoftmax(nodes, new Set(outputs)),
    inputs: topology.inputs.map(resolve),
    outputs,
  };
}

/**
 * A softmax activation is an output nonlinearity only (ir/ann.ts): inside the graph (attention-free models never
 * have one; a transformer may) it becomes the `softmax` op — an Activation/Softmax layer is replaced, a Dense
 * or Conv2D with activation softmax is split into its linear part `<name>/linear` and the softmax `<name>`.
 */
function internalSoftmax(nodes: readonly AnnNode[], outputs: ReadonlySet<string>): AnnNode[] {
  const out: AnnNode[] = [];
  for (const n of nodes) {
    const op = n.op;
    if (outputs.has(n.name) || !("activation" in op) || op.activation !== "softmax") {
      out.push(n);
    } else if (op.kind === "activation") {
      out.push({ ...n, op: { kind: "softmax" } });
    } else {
      const linear = `${n.name}/linear`;
      out.push({ ...n, name: linear, op: { ...op, activation: "linear" } });
      out.push({ name: n.name, sourceClass: n.sourceClass, op: { kind: "softmax" }, inputs: [linear], shape: n.shape });
    }
  }
  return out;
}

function topologicalOrder(layers: readonly LayerSpec[], file: string): LayerSpec[] {
  const indegree = new Map<string, number>();
  const users = new Map<string, LayerSpec[]>();
  for (const l of layers) {
    indegree.set(l.name, l.inbound.length);
    for (const i of l.inbound) {
      const u = users.get(i) ?? [];
      u.push(l);
      users.set(i, u);
    }
  }
  // Kahn's algorithm; ties keep file order so the output is deterministic.
  const ready = layers.filter((l) => l.inbound.length === 0);
  const order: LayerSpec[] = [];
  for (let head = 0; head < ready.length; head++) {
    const l = ready[head] as LayerSpec;
    order.push(l);
    for (const u of users.get(l.name) ?? []) {
      const d = (indegree.get(u.name) ?? 0) - u.inbound.filter((i) => i === l.name).length;
      indegree.set(u.name, d);
      if (d === 0) ready.push(u);
    }
  }
  if (order.length !== layers.length) {
    const placed = new Set(order);
    const stuck = layers.find((l) => !placed.has(l));
    throw fail("SNNC109", "layer is part of a cycle", { file, layer: stuck?.name ?? "?", path: stuck?.path ?? "" },
      "Keras models are acyclic: check the inbound_nodes of the layers named");
  }
  return order;
}

function checkConnected(topology: Topology, byName: Map<string, LayerSpec>, file: string): void {
  const fromInputs = new Set<string>();
  const users = new Map<string, string[]>();
  for (const l of topology.layers) {
    for (const i of l.inbound) {
      const u = users.get(i);
      if (u) u.push(l.name);
      else users.set(i, [l.name]);
    }
  }
  const stack = [...topology.inputs];
  while (stack.length > 0) {
    const n = stack.pop() as string;
    if (fromInputs.has(n)) continue;
    fromInputs.add(n);
    stack.push(...(users.get(n) ?? []));
  }
  const toOutputs = new Set<string>();
  const back = [...topology.outputs];
  while (back.length > 0) {
    const n = back.pop() as string;
    if (toOutputs.has(n)) continue;
    toOutputs.add(n);
    back.push(...(byName.get(n)?.inbound ?? []));
  }
  for (const l of topology.layers) {
    if (!fromInputs.has(l.name)) {
      throw fail("SNNC110", "layer is not reachable from the model's inputs", { file, layer: l.name, path: l.path },
        l.className === "InputLayer" ? "list every InputLayer in input_layers" : "check its inbound_nodes");
    }
    if (!toOutputs.has(l.name)) {
      throw fail("SNNC110", "layer does not lead to any model output", { file, layer: l.name, path: l.path }, "remove it or list it in output_layers");
    }
  }
}
