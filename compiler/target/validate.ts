/**
 * @fileoverview Target file validation: the schema of schema.ts (type and validator in one declaration), then
 * the rules a field-by-field schema cannot say. The first problem found is SNNC301 with the JSON path of the
 * field (`core.neurons.value`), what was expected and what was found (an Infinity read from `1e999` is shown
 * as Infinity). Sizes are then checked against the placement binary's field widths (runtime/format/spec.ts
 * FIELD_MAX) and runtime/limits.ts — a 65537×1 chip grid or a 1e9×1e9 one is SNNC315 here, at load, not a
 * "written to a u16 field" internal error or a multi-terabyte allocation in the mapper.
 */
import { FIELD_MAX } from "../../runtime/format/spec.ts";
import { checkLimit } from "../../runtime/limits.ts";
import { fail } from "../diagnostics.ts";
import { SchemaIssue, shown } from "./schema-kit.ts";
import { type Target, targetSchema } from "./schema.ts";

function bad(path: string, expected: string, got: unknown, file: string): never {
  throw fail("SNNC301", `target field ${path} is ${shown(got)}; expected ${expected}`, { file, path }, "fix the target file (see targets/README.md for the schema)");
}

function tooWide(path: string, value: number, max: number, field: string, file: string): void {
  if (value > max) {
    throw fail("SNNC315", `target field ${path} is ${value}, more than the ${max} the placement binary's ${field} holds`, { file, path },
      "the binary format cannot describe this system: give a smaller value");
  }
}

export function validateTarget(x: unknown, file: string): Target {
  let t: Target;
  try {
    t = targetSchema.parse(x, "");
  } catch (e) {
    if (e instanceof SchemaIssue) bad(e.path, e.expected, e.got, file);
    throw e;
  }
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
  checkWidths(t, file);
  return t;
}

/** Sizes against the binary's field widths and the limits table (SNNC315). */
function checkWidths(t: Target, file: string): void {
  const chips = t.system.chips;
  tooWide("system.chips.width", chips.width, FIELD_MAX.chipCoordinate, "u16 chip coordinate", file);
  tooWide("system.chips.height", chips.height, FIELD_MAX.chipCoordinate, "u16 chip coordinate", file);
  checkLimit("chipGridChips", chips.width * chips.height, { file, path: "system.chips" }, `chip grid ${chips.width}×${chips.height} =`);
  tooWide("system.coresPerChip.value", t.system.coresPerChip.value, FIELD_MAX.coreSlot, "u16 core slot", file);
  const layout = t.system.coreLayout;
  if (layout.kind === "mesh2d") {
    tooWide("system.coreLayout.tilesX", layout.tilesX, FIELD_MAX.tileCount, "u8 tile count", file);
    tooWide("system.coreLayout.tilesY", layout.tilesY, FIELD_MAX.tileCount, "u8 tile count", file);
    tooWide("system.coreLayout.coresPerTile", layout.coresPerTile, FIELD_MAX.tileCount, "u8 cores per tile", file);
  }
  tooWide("core.neurons.value", t.core.neurons.value, FIELD_MAX.coreNeurons, "u16 neuron count of a core", file);
  tooWide("core.fanInAxons.value", t.core.fanInAxons.value, FIELD_MAX.axon + 1, "u16 axon index", file);
  tooWide("core.neuronProfiles.value", t.core.neuronProfiles.value, FIELD_MAX.profiles, "u8 profile index", file);
  tooWide("core.synapseFormats.value", t.core.synapseFormats.value, FIELD_MAX.synapseFormats, "u8 synapse format index", file);
}
