/**
 * @fileoverview Diagnostics: the one error type of snnc and the table of its codes.
 *
 * Every user-facing failure is an `SnncError` carrying a code from `DIAGNOSTICS`, a message, a location
 * (file, layer, core, byte offset or JSON path) and, where one helps, a hint. Passes throw it; only the CLI
 * prints it (`formatDiagnostic`) and chooses the exit code. Anything else that escapes is an internal error.
 *
 * Code ranges: 0xx command line and files · 1xx model import · 15x data · 2xx conversion · 3xx targets and
 * quantisation · 4xx mapping · 5xx binary format and runtime · 6xx verification · 7xx reports.
 */

import { CodedError, type ErrorLocation } from "../runtime/errors.ts";
import { truncateText } from "../runtime/limits.ts";

export const DIAGNOSTICS = {
  SNNC001: "file not found",
  SNNC002: "cannot write output",
  SNNC003: "bad option value",
  SNNC004: "bad command line",
  SNNC101: "model file is not valid JSON or not a model",
  SNNC102: "unsupported model format",
  SNNC103: "weight shard missing",
  SNNC104: "weight shard truncated",
  SNNC105: "weight count does not match the layer's shape",
  SNNC106: "non-finite weight",
  SNNC107: "unknown layer class",
  SNNC108: "unsupported layer option",
  SNNC109: "graph has a cycle",
  SNNC110: "graph is disconnected or names an unknown layer",
  SNNC111: "corrupt or unreadable HDF5 / Keras file",
  SNNC112: "tensor shapes do not fit",
  SNNC113: "weights missing for a layer",
  SNNC114: "unsupported weight dtype",
  SNNC115: "model file nested too deeply",
  SNNC116: "model asks for a size beyond snnc's limits",
  SNNC117: "invalid BatchNormalization statistics",
  SNNC118: "a file named by the model is outside its folder, not a regular file, or of the wrong size",
  SNNC119: "archive member too large",
  SNNC120: "the model computes a non-finite value",
  SNNC121: "layer has no units",
  SNNC122: "unsupported attention variant",
  SNNC123: "transformer layer on an input of the wrong rank",
  SNNC140: "malformed or truncated ONNX file",
  SNNC141: "unsupported ONNX opset",
  SNNC142: "unsupported ONNX operator",
  SNNC143: "unsupported form of an ONNX operator",
  SNNC144: "ONNX external data missing, outside the model's folder or of the wrong size",
  SNNC145: "dynamic shape that cannot be fixed",
  SNNC146: "non-finite ONNX initializer",
  SNNC147: "malformed ONNX graph",
  SNNC148: "unsupported ONNX tensor type",
  SNNC150: "data file corrupt or unreadable",
  SNNC151: "data does not match the model's input shape",
  SNNC152: "labels do not match the images",
  SNNC153: "no data given",
  SNNC154: "input contains NaN or infinity",
  SNNC155: "no samples in the input",
  SNNC156: "data path is not a regular file",
  SNNC157: "data file asks for a size beyond snnc's limits",
  SNNC160: "HDF5 file is not a NIR graph",
  SNNC161: "unknown NIR node type",
  SNNC162: "NIR node parameter missing or malformed",
  SNNC163: "non-finite NIR parameter",
  SNNC164: "shapes do not match along a NIR edge",
  SNNC165: "NIR edge names an unknown node",
  SNNC166: "NIR cycle without delay (no neuron on it)",
  SNNC167: "NIR structure snnc cannot map",
  SNNC168: "NIR neuron parameters not representable in discrete time",
  SNNC169: "no time step for a NIR graph",
  SNNC170: "network cannot be written as NIR",
  SNNC171: "operation needs an ANN reference (the network came from NIR)",
  SNNC250: "event input malformed",
  SNNC180: "--emit-pynn: the target's neuron model has no PyNN form",
  SNNC181: "--emit-pynn: a population has no PyNN standard-cell form",
  SNNC182: "--emit-pynn: input encoding has no PyNN form",
  SNNC183: "--emit-pynn: a projection delay PyNN cannot express",
  SNNC201: "layer cannot be converted",
  SNNC202: "method cannot convert this network",
  SNNC203: "calibration failed",
  SNNC210: "transformer layer cannot be converted by ecmt",
  SNNC212: "mismatched transformer dimensions",
  SNNC301: "bad target file",
  SNNC302: "value not representable on the target",
  SNNC303: "target lacks a feature the network needs",
  SNNC315: "target value exceeds a field of the placement binary or a limit",
  SNNC320: "target has no processor model for a compute node",
  SNNC322: "compute-node weight out of the s16.15 range",
  SNNC323: "projection into or out of a compute node has no CMPT code",
  SNNC330: "graded payload does not fit the target's payload width",
  SNNC340: "graded input coding on a target without graded spikes",
  SNNC401: "network does not fit the target system",
  SNNC402: "a layer cannot be split to fit one core",
  SNNC403: "routing table overflow",
  SNNC404: "mapping check failed",
  SNNC405: "network exceeds a field of the placement binary",
  SNNC410: "compute node does not fit a processor core",
  SNNC411: "not enough processor cores for the compute nodes",
  SNNC412: "graded route does not reach a compute node or population",
  SNNC501: "not an snnc binary",
  SNNC502: "binary format version not supported",
  SNNC503: "binary checksum mismatch",
  SNNC504: "binary truncated or malformed",
  SNNC505: "input does not fit the network",
  SNNC506: "binary field out of range",
  SNNC507: "binary asks for work beyond the runtime's limits",
  SNNC508: "binary CMPT section: unknown operation or connectivity code",
  SNNC509: "binary CMPT section: field inconsistent with the network",
  SNNC530: "generated emulator does not belong to this binary",
  SNNC601: "verification mismatch",
  SNNC602: "nothing to verify",
  SNNC701: "report input missing",
  SNNC800: "bad --queue URL",
  SNNC801: "Redis unreachable",
  SNNC802: "Redis connection lost during a distributed run",
  SNNC803: "content-addressed blob missing or corrupt",
  SNNC804: "no worker of this snnc version on the queue",
  SNNC805: "job refused: snnc version differs",
  SNNC806: "a job failed on a worker",
  SNNC807: "a job result does not match its job",
  SNNC810: "bad sweep option",
  SNNC811: "the emulator's WebAssembly kernels are unusable",
  SNNC812: "the WebAssembly emulator path cannot run this network",
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;

/** Where a problem is: file, layer, core as printed (`(3,1)`), byte offset, JSON path. All optional. */
export type SourceLocation = ErrorLocation;

/** Longest message or hint printed: messages quote user strings (class names, paths), which a hostile file
 * can make 100 MB long; each quoted part is cut by `truncateText` where it is quoted, this is the backstop. */
const MESSAGE_MAX = 2000;

export class SnncError extends CodedError {
  declare readonly code: DiagnosticCode;

  constructor(code: DiagnosticCode, message: string, loc: SourceLocation = {}, hint?: string) {
    super(code, truncateText(message, 2 * MESSAGE_MAX), loc, hint);
  }
}

/** Shorthand used by passes: `throw fail("SNNC107", ...)`. */
export function fail(code: DiagnosticCode, message: string, loc: SourceLocation = {}, hint?: string): SnncError {
  return new SnncError(code, message, loc, hint);
}

/**
 * Coded errors from the compiler and the runtime alike. Also recognised by name and code, not only by class:
 * the CLI imports commands lazily, and under tsx's test loader a lazily imported module can be a second
 * instance of runtime/errors.ts whose class is not the one `instanceof` compares with.
 */
export function isSnncError(e: unknown): e is CodedError {
  return e instanceof CodedError || (e instanceof Error && e.name === "SnncError" && typeof (e as { code?: unknown }).code === "string" && typeof (e as { loc?: unknown }).loc === "object");
}

/**
 * `at layer "conv2" at core (3,1) in model.json`: the location part of a diagnostic line. The file is left out
 * when `message` already names it (`unknown target "loihi3"`, not `... in loihi3`).
 */
export function formatLocation(loc: SourceLocation, message = ""): string {
  const parts: string[] = [];
  if (loc.layer !== undefined) parts.push(`at layer "${truncateText(String(loc.layer))}"`);
  if (loc.core !== undefined) parts.push(`at core ${truncateText(String(loc.core))}`);
  if (loc.byte !== undefined) parts.push(`at byte ${loc.byte}`);
  if (loc.path !== undefined) parts.push(`at ${truncateText(String(loc.path))}`);
  if (loc.file !== undefined && !message.includes(loc.file)) parts.push(`in ${truncateText(String(loc.file), 1000)}`);
  return parts.join(" ");
}

/** The text the CLI prints: one `error SNNCnnn: ...` line, then an indented hint line when there is one. */
export function formatDiagnostic(e: CodedError): string {
  const where = formatLocation(e.loc ?? {}, e.message);
  const head = `error ${e.code}: ${oneLine(e.message)}${where ? ` ${oneLine(where)}` : ""}`;
  return e.hint ? `${head}\n  hint: ${oneLine(e.hint)}` : head;
}

/** A message as one line of bounded length (a newline in an echoed name must not forge a second line). */
function oneLine(s: string): string {
  return truncateText(String(s).replace(/[\r\n]+/g, " "), MESSAGE_MAX);
}

/** Warnings are data too: passes append them to the context, the CLI prints them. */
export interface Warning {
  readonly code: string;
  readonly message: string;
  readonly loc?: SourceLocation;
}

export function formatWarning(w: Warning): string {
  const where = w.loc ? formatLocation(w.loc, w.message) : "";
  return `warning ${w.code}: ${oneLine(w.message)}${where ? ` ${oneLine(where)}` : ""}`;
}

/** Exhaustiveness guard for `switch (x.kind)`. */
export function assertNever(x: never, what = "value"): never {
  throw new Error(`internal: unexpected ${what} ${truncateText(String((x as { kind?: unknown })?.kind ?? x))}`);
}
