/**
 * @fileoverview Keras topology JSON → a flat list of layer specs with resolved inbound layer names.
 *
 * Input: the `modelTopology` of a TF.js Layers model, the `model_config` attribute of a Keras 2 `.h5`, or the
 * `config.json` of a Keras 3 `.keras` file. All three are Keras' own serialisation of a Sequential or
 * Functional model; they differ in details this module absorbs:
 *   - input shape: `batch_input_shape` (Keras 2, TF.js) or `batch_shape` (Keras 3) or `build_input_shape`;
 *   - inbound nodes: `[[[name, node, tensor, kwargs], ...]]` (Keras 2, TF.js) or
 *     `[{args: [{class_name: "__keras_tensor__", config: {keras_history: [name, node, tensor]}}], kwargs}]` (Keras 3);
 *   - `input_layers` / `output_layers`: a list of `[name, node, tensor]` or one such triple (Keras 3).
 * Output: `LayerSpec[]` in file order; every spec names its inputs by layer name. No shape or weight work here.
 */
import { checkedProduct, checkLimit, truncateText } from "../../runtime/limits.ts";
import { fail, type SourceLocation } from "../diagnostics.ts";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface LayerSpec {
  readonly name: string;
  readonly className: string;
  readonly config: JsonObject;
  /** Names of the layers feeding this one, in call order. Empty for input layers. */
  readonly inbound: readonly string[];
  /** JSON path of the layer in the file, for messages. */
  readonly path: string;
  /** Keyword arguments of the layer's call (Functional models), e.g. MultiHeadAttention's `value`,
   * `attention_mask`; tensors in them are `[name, node, tensor]` (Keras 2, TF.js) or `__keras_tensor__` objects. */
  readonly callKwargs?: JsonObject;
}

export interface Topology {
  readonly name: string;
  readonly layers: readonly LayerSpec[];
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Per-sample input shape for each input layer (batch axis dropped). */
  readonly inputShapes: ReadonlyMap<string, readonly number[]>;
}

export function isObject(x: Json | undefined): x is JsonObject {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function asString(x: Json | undefined): string | undefined {
  return typeof x === "string" ? x : undefined;
}

/** Per-sample shape from a `batch_input_shape`-like list `[null, 28, 28, 1]`. */
function perSampleShape(batchShape: Json | undefined, loc: SourceLocation): number[] | undefined {
  if (!Array.isArray(batchShape)) return undefined;
  const dims = batchShape.slice(1);
  if (!dims.every((d) => typeof d === "number" && Number.isInteger(d) && d > 0)) {
    throw fail("SNNC108", `input shape [${truncateText(batchShape.map((d) => typeof d === "object" ? "…" : String(d)).join(", "))}] has unknown dimensions`, loc,
      "snnc compiles fixed-size inputs: give every non-batch dimension a size");
  }
  for (const d of dims as number[]) checkLimit("layerDimension", d, loc, "input dimension");
  checkedProduct(dims as number[], "tensorElements", loc, "input elements");
  return dims as number[];
}

function inputShapeOf(config: JsonObject, loc: SourceLocation): number[] | undefined {
  return perSampleShape(config["batch_input_shape"], loc) ?? perSampleShape(config["batch_shape"], loc)
    ?? (Array.isArray(config["input_shape"]) ? perSampleShape([null, ...config["input_shape"]], loc) : undefined);
}

/** Unwraps `modelTopology` / `model_config` wrappers down to `{class_name, config}`. */
export function modelConfigOf(root: Json, file: string): JsonObject {
  let node: Json | undefined = root;
  for (let i = 0; i < 3 && isObject(node); i++) {
    if (typeof node["class_name"] === "string" && isObject(node["config"])) return node;
    node = node["model_config"] ?? node["modelTopology"] ?? node["config"];
  }
  throw fail("SNNC101", "no Keras model topology (class_name + config) found", { file },
    "export the model with tfjs model.save(), tensorflowjs_converter, or keras model.save()");
}

export function parseTopology(modelConfig: JsonObject, file: string): Topology {
  const className = asString(modelConfig["class_name"]) ?? "";
  const config = modelConfig["config"];
  if (!isObject(config) && !Array.isArray(config)) throw fail("SNNC101", "model config missing", { file });
  switch (className) {
    case "Sequential":
      return parseSequential(config, file);
    case "Model":
    case "Functional":
      if (!isObject(config)) throw fail("SNNC101", "functional model config is not an object", { file });
      return parseFunctional(config, file);
    default:
      throw fail("SNNC102", `model class "${truncateText(className)}" is not supported`, { file },
        "snnc reads Sequential and Functional (Model) Keras / TF.js models");
  }
}

function layerList(config: JsonObject | Json[], file: string): { list: Json[]; base: string } {
  // Keras < 2.2.5 wrote a Sequential's config as the bare layer list.
  if (Array.isArray(config)) return { list: config, base: "config" };
  const layers = config["layers"];
  if (!Array.isArray(layers)) throw fail("SNNC101", "model config has no layer list", { file, path: "config.layers" });
  return { list: layers, base: "config.layers" };
}

function specBasics(raw: Json, path: string, file: string): { name: string; className: string; config: JsonObject } {
  if (!isObject(raw)) throw fail("SNNC101", "layer entry is not an object", { file, path });
  const className = asString(raw["class_name"]);
  const config = raw["config"];
  if (className === undefined || !isObject(config)) throw fail("SNNC101", "layer entry lacks class_name/config", { file, path });
  const name = asString(config["name"]) ?? asString(raw["name"]);
  if (name === undefined) throw fail("SNNC101", `${truncateText(className)} layer has no name`, { file, path });
  if (className === "Sequential" || className === "Functional" || className === "Model") {
    throw fail("SNNC108", `nested ${className} models are not supported`, { file, path, layer: name },
      "flatten the model (build one Sequential/Functional model of layers) before exporting");
  }
  return { name, className, config };
}

function parseSequential(config: JsonObject | Json[], file: string): Topology {
  const { list, base } = layerList(config, file);
  const layers: LayerSpec[] = [];
  const inputShapes = new Map<string, readonly number[]>();
  let previous: string | null = null;
  let inputName: string | null = null;
  list.forEach((raw, i) => {
    const path = `${base}[${i}]`;
    const { name, className, config: lc } = specBasics(raw, path, file);
    const shape = inputShapeOf(lc, { file, path, layer: name });
    if (className === "InputLayer") {
      if (shape === undefined) throw fail("SNNC101", "InputLayer has no shape", { file, path, layer: name });
      inputName = name;
      inputShapes.set(name, shape);
      layers.push({ name, className, config: lc, inbound: [], path });
      previous = name;
      return;
    }
    if (previous === null) {
      // The first real layer carries the input shape; give the model an explicit input node.
      const build = !Array.isArray(config) ? config["build_input_shape"] : undefined;
      const s = shape ?? perSampleShape(build, { file, path: "config.build_input_shape" });
      if (s === undefined) {
        throw fail("SNNC101", "the model does not state its input shape", { file, path, layer: name },
          "build the model with an input shape (inputShape / batch_input_shape) before saving");
      }
      inputName = `${name}_input`;
      inputShapes.set(inputName, s);
      layers.push({ name: inputName, className: "InputLayer", config: { name: inputName }, inbound: [], path });
      previous = inputName;
    }
    layers.push({ name, className, config: lc, inbound: [previous], path });
    previous = name;
  });
  if (inputName === null || previous === null) throw fail("SNNC101", "Sequential model has no layers", { file });
  return { name: asString(Array.isArray(config) ? undefined : config["name"]) ?? "model", layers, inputs: [inputName], outputs: [previous], inputShapes };
}

/** Layer names referenced by one call's inbound description (both Keras 2 and Keras 3 forms). Walked with an
 * explicit stack (the structure is untrusted: no recursion), in call order. */
function inboundNames(node: Json, loc: SourceLocation): string[] {
  const out: string[] = [];
  const stack: (Json | undefined)[] = [node];
  while (stack.length > 0) {
    const x = stack.pop();
    if (Array.isArray(x)) {
      // Keras 2 / TF.js triple: [name, nodeIndex, tensorIndex, kwargs?]
      if (typeof x[0] === "string" && typeof x[1] === "number") {
        if ((x[1] as number) !== 0 || (typeof x[2] === "number" && x[2] !== 0)) {
          throw fail("SNNC108", `shared layers and multi-output layers are not supported (reference to "${truncateText(x[0])}" node ${x[1]})`, loc);
        }
        out.push(x[0]);
        continue;
      }
      for (let i = x.length - 1; i >= 0; i--) stack.push(x[i]);
      continue;
    }
    if (isObject(x)) {
      if (x["class_name"] === "__keras_tensor__" && isObject(x["config"])) {
        const hist = x["config"]["keras_history"];
        if (Array.isArray(hist) && typeof hist[0] === "string") {
          if (hist[1] !== 0 || hist[2] !== 0) {
            throw fail("SNNC108", `shared layers and multi-output layers are not supported (reference to "${truncateText(hist[0])}")`, loc);
          }
          out.push(hist[0]);
        }
        continue;
      }
      stack.push(x["args"]);
    }
  }
  return out;
}

/** The keyword arguments of one call: Keras 3 `{args, kwargs}`, or the 4th element of Keras 2 / TF.js triples. */
function callKwargsOf(node: Json): JsonObject {
  if (isObject(node)) return isObject(node["kwargs"]) ? node["kwargs"] : {};
  const out: JsonObject = {};
  if (Array.isArray(node)) {
    for (const t of node) if (Array.isArray(t) && isObject(t[3])) Object.assign(out, t[3]);
  }
  return out;
}

/** Layer names of the tensors among `kwargs` values (the query/value/key of a keyword-only call). */
export function kwargTensorNames(kwargs: JsonObject, keys: readonly string[], loc: SourceLocation): string[] {
  return keys.flatMap((k) => (kwargs[k] === undefined || kwargs[k] === null ? [] : inboundNames([kwargs[k] as Json], loc)));
}

function endpointNames(x: Json | undefined, what: string, file: string): string[] {
  if (!Array.isArray(x)) throw fail("SNNC101", `functional model has no ${what}`, { file, path: `config.${what}` });
  if (typeof x[0] === "string") return [x[0]];
  return x.map((e, i) => {
    if (Array.isArray(e) && typeof e[0] === "string") return e[0];
    throw fail("SNNC101", `bad ${what} entry`, { file, path: `config.${what}[${i}]` });
  });
}

function parseFunctional(config: JsonObject, file: string): Topology {
  const { list, base } = layerList(config, file);
  const layers: LayerSpec[] = [];
  const inputShapes = new Map<string, readonly number[]>();
  list.forEach((raw, i) => {
    const path = `${base}[${i}]`;
    const { name, className, config: lc } = specBasics(raw, path, file);
    const loc = { file, path, layer: name };
    const nodes = isObject(raw) ? raw["inbound_nodes"] : undefined;
    const calls = Array.isArray(nodes) ? nodes : [];
    if (calls.length > 1) {
      throw fail("SNNC108", `layer is called ${calls.length} times; shared layers are not supported`, loc);
    }
    const callKwargs = calls.length === 1 ? callKwargsOf(calls[0] ?? null) : {};
    let inbound = calls.length === 1 ? inboundNames(calls[0] ?? null, loc) : [];
    // A keyword-only call (Keras 3 `mha(query=x, value=x)`) lists its tensors in kwargs only.
    if (inbound.length === 0) inbound = kwargTensorNames(callKwargs, ["query", "value", "key", "inputs"], loc);
    if (className === "InputLayer") {
      const shape = inputShapeOf(lc, loc);
      if (shape === undefined) throw fail("SNNC101", "InputLayer has no shape", loc);
      inputShapes.set(name, shape);
    } else if (inbound.length === 0) {
      throw fail("SNNC110", `${truncateText(className)} layer has no inbound connection`, loc, "every non-input layer must be called on a tensor");
    }
    layers.push({ name, className, config: lc, inbound, path, ...(Object.keys(callKwargs).length > 0 ? { callKwargs } : {}) });
  });
  return {
    name: asString(config["name"]) ?? "model",
    layers,
    inputs: endpointNames(config["input_layers"], "input_layers", file),
    outputs: endpointNames(config["output_layers"], "output_layers", file),
    inputShapes,
  };
}
