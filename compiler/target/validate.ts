/**
 * @fileoverview Target file validation: a small declarative checker (zod-like, no dependency) over the schema
 * of schema.ts. The first problem found is SNNC301 with the JSON path of the field (`core.neurons.value`) and
 * what was expected. Unknown fields are errors too, so a misspelt limit is never silently ignored.
 */
import { fail } from "../diagnostics.ts";
import { GRADES, type Target } from "./schema.ts";

type Check = (x: unknown, path: string) => void;

function bad(path: string, expected: string, got: unknown, file: string): never {
  const shown = got === undefined ? "missing" : JSON.stringify(got)?.slice(0, 60);
  throw fail("SNNC301", `target field ${path} is ${shown}; expected ${expected}`, { file, path }, "fix the target file (see targets/README.md for the schema)");
}

export function validateTarget(x: unknown, file: string): Target {
  const num = (opts: { int?: boolean; min?: number; max?: number } = {}): Check => (v, p) => {
    if (typeof v !== "number" || !Number.isFinite(v)) bad(p, "a number", v, file);
    if (opts.int && !Number.isInteger(v)) bad(p, "an integer", v, file);
    if (opts.min !== undefined && v < opts.min) bad(p, `a number ≥ ${opts.min}`, v, file);
    if (opts.max !== undefined && v > opts.max) bad(p, `a number ≤ ${opts.max}`, v, file);
  };
  const str: Check = (v, p) => {
    if (typeof v !== "string" || v.length === 0) bad(p, "a non-empty string", v, file);
  };
  const bool: Check = (v, p) => {
    if (typeof v !== "boolean") bad(p, "true or false", v, file);
  };
  const oneOf = (values: readonly string[]): Check => (v, p) => {
    if (typeof v !== "string" || !values.includes(v)) bad(p, `one of ${values.map((s) => JSON.stringify(s)).join(", ")}`, v, file);
  };
  const arrayOf = (item: Check, minLength = 0): Check => (v, p) => {
    if (!Array.isArray(v) || v.length < minLength) bad(p, `a list${minLength ? ` of at least ${minLength}` : ""}`, v, file);
    v.forEach((e, i) => item(e, `${p}[${i}]`));
  };
  const object = (fields: Record<string, Check>, optional: readonly string[] = []): Check => (v, p) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) bad(p, "an object", v, file);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!(k in fields) && k !== "$comment") bad(p ? `${p}.${k}` : k, `no such field (known: ${Object.keys(fields).join(", ")})`, o[k], file);
    }
    for (const [k, check] of Object.entries(fields)) {
      const path = p ? `${p}.${k}` : k;
      if (o[k] === undefined) {
        if (optional.includes(k)) continue;
        bad(path, "a value", undefined, file);
      }
      check(o[k], path);
    }
  };
  const constant = (opts: { int?: boolean; min?: number; max?: number } = {}): Check =>
    object({ value: num(opts), source: str, grade: oneOf(GRADES) });
  const byKind = (variants: Record<string, Check>): Check => (v, p) => {
    const kind = (v as { kind?: unknown } | null)?.kind;
    if (typeof kind !== "string" || !(kind in variants)) bad(`${p}.kind`, `one of ${Object.keys(variants).join(", ")}`, kind, file);
    (variants[kind] as Check)(v, p);
  };
  const pos = { min: 0 };
  const count = { int: true, min: 1 };

  const schema = object({
    schema: oneOf(["snnc-target/1"]),
    name: str,
    title: str,
    family: oneOf(["loihi", "spinnaker"]),
    system: object({
      chips: byKind({
        mesh2d: object({ kind: str, width: num(count), height: num(count) }),
        "hex-torus": object({ kind: str, width: num(count), height: num(count) }),
      }),
      coresPerChip: constant(count),
      usableCoresPerChip: constant(count),
      coreLayout: byKind({
        mesh2d: object({ kind: str, tilesX: num(count), tilesY: num(count), coresPerTile: num(count) }),
        crossbar: object({ kind: str }),
      }),
    }),
    core: object({
      neurons: constant(count),
      fanInAxons: constant(count),
      fanOutAxons: constant(count),
      synapseMemoryBits: constant(count),
      synapseCost: byKind({
        "loihi-words": object({ kind: str, wordBits: constant(count), headerBits: constant({ int: true, min: 0 }), indexBits: constant({ int: true, min: 0 }), delayBits: constant({ int: true, min: 0 }), maxGroupSynapses: constant(count) }),
        "row-words": object({ kind: str, synapseWordBytes: constant(count), rowHeaderWords: constant({ int: true, min: 0 }), popTableEntryBytes: constant({ int: true, min: 0 }) }),
      }),
      neuronProfiles: constant(count),
      synapseFormats: constant(count),
    }),
    neuron: object({
      model: oneOf(["loihi-cuba", "fixed-if"]),
      stateBits: constant({ int: true, min: 8, max: 32 }),
      fractionBits: constant({ int: true, min: 0, max: 30 }),
      decayBits: constant({ int: true, min: 1, max: 16 }),
      stepInputBits: constant({ int: true, min: 8, max: 31 }),
      thresholdMantissaBits: constant({ int: true, min: 1, max: 31 }),
      thresholdShift: constant({ int: true, min: 0, max: 16 }),
      biasMantissaBits: constant({ int: true, min: 2, max: 32 }),
      biasExponentMax: constant({ int: true, min: 0, max: 15 }),
      weightBits: constant({ int: true, min: 1, max: 16 }),
      weightExponentMin: constant({ int: true, min: -16, max: 0 }),
      weightExponentMax: constant({ int: true, min: 0, max: 16 }),
      weightShift: constant({ int: true, min: 0, max: 16 }),
      maxLeftShift: constant({ int: true, min: 0, max: 16 }),
      resetModes: arrayOf(oneOf(["zero", "subtract"]), 1),
      softReset: object({
        construction: oneOf(["two-compartment"]),
        // The construction is a dendrite and a soma compartment: exactly 2 (compiler/map/resources.ts).
        compartmentsPerNeuron: constant({ int: true, min: 2, max: 2 }),
        extraInAxonsPerNeuron: constant({ int: true, min: 0 }),
        extraSynapsesPerNeuron: constant({ int: true, min: 0 }),
        selfWeightMantissaBits: constant(count),
        selfWeightExponentMax: constant({ int: true, min: 0 }),
        source: str,
      }),
      gradedSpikes: object({ supported: bool, payloadBits: constant({ int: true, min: 1, max: 32 }), source: str }, ["payloadBits"]),
      maxDelaySteps: constant(count),
    }, ["fractionBits", "decayBits", "stepInputBits", "thresholdMantissaBits", "thresholdShift", "biasExponentMax", "weightExponentMin", "weightExponentMax", "weightShift", "maxLeftShift", "softReset"]),
    routing: byKind({
      "mesh-dimension-order": object({ kind: str, source: str }),
      "multicast-keymask": object({ kind: str, entriesPerRouter: constant(count), keyBits: num({ int: true, min: 32, max: 32 }), coresPerRouteBit: num({ int: true, min: 1, max: 64 }), source: str }, ["coresPerRouteBit"]),
    }),
    timing: object({
      synOpSeconds: constant(pos), neuronUpdateActiveSeconds: constant(pos), neuronUpdateIdleSeconds: constant(pos),
      spikeSendSeconds: constant(pos), hopSecondsX: constant(pos), hopSecondsY: constant(pos), barrierSeconds: constant(pos),
      tickSeconds: constant(pos),
    }),
    energy: object({
      synOpJoules: constant(pos), neuronUpdateActiveJoules: constant(pos), neuronUpdateIdleJoules: constant(pos),
      spikeJoules: constant(pos), hopJoulesX: constant(pos), hopJoulesY: constant(pos),
      staticWattsPerChip: constant(pos), staticWattsPerCore: constant(pos), notes: arrayOf(str),
    }),
  });
  schema(x, "");
  const t = x as Target;
  // Cross-field rules the shape cannot say.
  if (t.neuron.model === "loihi-cuba") {
    for (const k of ["decayBits", "thresholdMantissaBits", "thresholdShift", "biasExponentMax", "weightExponentMin", "weightExponentMax", "weightShift"] as const) {
      if (t.neuron[k] === undefined) bad(`neuron.${k}`, "a value (required by the loihi-cuba model)", undefined, file);
    }
  }
  if (t.neuron.model === "fixed-if") {
    for (const k of ["fractionBits", "maxLeftShift"] as const) {
      if (t.neuron[k] === undefined) bad(`neuron.${k}`, "a value (required by the fixed-if model)", undefined, file);
    }
  }
  if (t.neuron.gradedSpikes.supported && t.neuron.gradedSpikes.payloadBits === undefined) {
    bad("neuron.gradedSpikes.payloadBits", "a value when graded spikes are supported", undefined, file);
  }
  const layout = t.system.coreLayout;
  if (layout.kind === "mesh2d" && layout.tilesX * layout.tilesY * layout.coresPerTile < t.system.usableCoresPerChip.value) {
    bad("system.coreLayout", `room for ${t.system.usableCoresPerChip.value} usable cores (tilesX × tilesY × coresPerTile)`, layout, file);
  }
  if (t.system.usableCoresPerChip.value > t.system.coresPerChip.value) {
    bad("system.usableCoresPerChip.value", `at most coresPerChip (${t.system.coresPerChip.value})`, t.system.usableCoresPerChip.value, file);
  }
  if (t.family === "spinnaker" && t.routing.kind !== "multicast-keymask") bad("routing.kind", '"multicast-keymask" for the spinnaker family', t.routing.kind, file);
  if (t.routing.kind === "multicast-keymask" && Math.ceil(t.system.usableCoresPerChip.value / (t.routing.coresPerRouteBit ?? 1)) > 26) {
    bad("routing.coresPerRouteBit", `a grouping that addresses ${t.system.usableCoresPerChip.value} cores with the 26 core bits of a route word`, t.routing.coresPerRouteBit ?? 1, file);
  }
  if (t.family === "loihi" && t.routing.kind !== "mesh-dimension-order") bad("routing.kind", '"mesh-dimension-order" for the loihi family', t.routing.kind, file);
  return t;
}
