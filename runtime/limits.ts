/**
 * @fileoverview The limits table of snnc: every size an untrusted file can ask for is checked against one of
 * these BEFORE anything is allocated or looped over. One entry per limit, each with its own coded error, so a
 * hostile or careless file gets `error SNNCnnn ... exceeds the limit of N`, never a multi-gigabyte allocation,
 * a stack overflow or an internal error.
 *
 * Shared by the compiler (model import, data, targets) and the runtime (binary decode, emulator), so it lives
 * under runtime/ and imports nothing from compiler/. Also here: `checkJsonDepth` (iterative; V8's JSON.parse
 * is iterative but JSON.stringify and our own walks are not), `truncateText` (echoed user strings are capped)
 * and `finiteOrThrow` for numbers from files.
 *
 * The placement binary's field widths (runtime/format/spec.ts FIELD_MAX) are checked where a target is loaded
 * (compiler/target/validate.ts, SNNC315); the decoded binary's fields in runtime/format/ranges.ts.
 */
import { CodedError, type ErrorLocation } from "./errors.ts";

export interface Limit {
  readonly max: number;
  readonly code: string;
  /** What is limited, for the message: "ZeroPadding2D padding". */
  readonly what: string;
  readonly hint: string;
}

const GIB = 1024 ** 3;

export const LIMITS = {
  /** Nesting of any JSON a user gives (model.json, model_config, config.json, target, META). Keras configs
   * nest about 10 deep; JSON.stringify overflows the stack near 10,000. */
  jsonDepth: { max: 256, code: "SNNC115", what: "JSON nesting depth", hint: "the file is not a Keras/TF.js model (or is hostile): re-export it" },
  /** Elements of one tensor (weights or activations, per sample): 2^28 float32 = 1 GiB. */
  tensorElements: { max: 2 ** 28, code: "SNNC116", what: "tensor elements", hint: "snnc compiles networks that fit a neuromorphic system: no layer holds this many values" },
  /** Size of one dimension of a layer option (units, filters, padding, kernel, pool, strides). */
  layerDimension: { max: 65536, code: "SNNC116", what: "layer dimension", hint: "no neuromorphic core array holds a layer this wide" },
  /** Layers of one model (Keras' ResNet-152 has 566). Later passes walk the layer graph depth-first
   * (compiler/convert/normalise.ts), which stays far inside the stack at this depth. */
  layers: { max: 4096, code: "SNNC116", what: "layers", hint: "snnc compiles networks that fit a neuromorphic system" },
  /** Bytes of the weight shards of a model.json (all groups). */
  weightBytes: { max: 2 * GIB - 1, code: "SNNC116", what: "weight bytes", hint: "the manifest declares more weights than any network snnc can place" },
  /** Uncompressed bytes of one member of a .keras archive, read from the zip's central directory. */
  archiveMember: { max: 2 * GIB, code: "SNNC119", what: "uncompressed archive member bytes", hint: "the archive is damaged or hostile (a zip bomb): re-save with keras model.save('model.keras')" },
  /** Ratio uncompressed / compressed of an archive member (a deflate stream cannot exceed 1032:1). */
  archiveRatio: { max: 1100, code: "SNNC119", what: "archive compression ratio", hint: "the archive is damaged or hostile (a zip bomb): re-save with keras model.save('model.keras')" },
  /** Samples in one data file. */
  dataElements: { max: 2 ** 31 - 1, code: "SNNC157", what: "data elements", hint: "give a smaller data file (--samples limits what is used)" },
  /** Dimensions of one data array. */
  dataRank: { max: 8, code: "SNNC157", what: "data array rank", hint: "images are [N, H, W, C] or [N, H, W]" },
  /** Chips in a target's grid (each gets a routing table and a router in the mapper). */
  chipGridChips: { max: 1 << 20, code: "SNNC315", what: "chips in the chip grid", hint: "give a system of at most 2^20 chips" },
  /** Timesteps a binary may ask the emulator for (META timesteps, --timesteps). */
  timesteps: { max: 100_000, code: "SNNC507", what: "timesteps", hint: "snnc runs at most 100,000 timesteps (a binary asking for more is corrupt)" },
  /** Delay steps of a synapse in the emulator. */
  delaySteps: { max: 4096, code: "SNNC507", what: "synaptic delay steps", hint: "the binary is corrupt; recompile" },
  /** Neurons of a whole decoded binary (emulator state arrays). */
  neurons: { max: 1 << 26, code: "SNNC507", what: "neurons", hint: "the binary is corrupt; recompile" },
} as const satisfies Record<string, Limit>;

export type LimitName = keyof typeof LIMITS;

/** Characters of a user string echoed in a message (a 100 MB class name is not printed whole). */
export const ECHO_MAX = 200;

/** Throws the limit's coded error when `value` exceeds it (or is not a finite number). */
export function checkLimit(name: LimitName, value: number, loc: ErrorLocation = {}, what?: string): void {
  const l: Limit = LIMITS[name];
  if (Number.isFinite(value) && value <= l.max) return;
  throw new CodedError(l.code, `${what ?? l.what} ${value} exceeds the limit of ${l.max}`, loc, l.hint);
}

/** Product of dimensions, checked against `name` as it grows (so no overflow to Infinity goes unseen). */
export function checkedProduct(dims: readonly number[], name: LimitName, loc: ErrorLocation = {}, what?: string): number {
  let p = 1;
  for (const d of dims) {
    p *= d;
    checkLimit(name, p, loc, what);
  }
  return p;
}

/** A string cut to `max` characters (with the original length said), for echoing user text in messages. */
export function truncateText(s: string, max: number = ECHO_MAX): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max)}… (${s.length} characters)`;
}

/**
 * Deepest nesting of a parsed JSON value, walked iteratively (an explicit stack), stopping as soon as the
 * limit is passed. Throws `code` (default: the jsonDepth limit's) naming the depth.
 */
export function checkJsonDepth(value: unknown, loc: ErrorLocation = {}, code: string = LIMITS.jsonDepth.code, max: number = LIMITS.jsonDepth.max): void {
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop() as { v: unknown; d: number };
    if (typeof v !== "object" || v === null) continue;
    if (d + 1 > max) throw new CodedError(code, `JSON nesting depth exceeds the limit of ${max}`, loc, LIMITS.jsonDepth.hint);
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const c of children) if (typeof c === "object" && c !== null) stack.push({ v: c, d: d + 1 });
  }
}
