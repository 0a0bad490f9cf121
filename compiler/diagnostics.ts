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

export const DIAGNOSTICS = {
  SNNC001: "file not found",
  SNNC002: "cannot write output",
  SNNC003: "bad option value",
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
  SNNC150: "data file corrupt or unreadable",
  SNNC151: "data does not match the model's input shape",
  SNNC152: "labels do not match the images",
  SNNC153: "no data given",
  SNNC201: "layer cannot be converted",
  SNNC202: "method cannot convert this network",
  SNNC203: "calibration failed",
  SNNC301: "bad target file",
  SNNC302: "value not representable on the target",
  SNNC303: "target lacks a feature the network needs",
  SNNC401: "network does not fit the target system",
  SNNC402: "a layer cannot be split to fit one core",
  SNNC403: "routing table overflow",
  SNNC404: "mapping check failed",
  SNNC405: "network exceeds a field of the placement binary",
  SNNC501: "not an snnc binary",
  SNNC502: "binary format version not supported",
  SNNC503: "binary checksum mismatch",
  SNNC504: "binary truncated or malformed",
  SNNC505: "input does not fit the network",
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
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;

/** Where a problem is: file, layer, core as printed (`(3,1)`), byte offset, JSON path. All optional. */
export type SourceLocation = ErrorLocation;

export class SnncError extends CodedError {
  declare readonly code: DiagnosticCode;

  constructor(code: DiagnosticCode, message: string, loc: SourceLocation = {}, hint?: string) {
    super(code, message, loc, hint);
  }
}

/** Shorthand used by passes: `throw fail("SNNC107", ...)`. */
export function fail(code: DiagnosticCode, message: string, loc: SourceLocation = {}, hint?: string): SnncError {
  return new SnncError(code, message, loc, hint);
}

/** Coded errors from the compiler and the runtime alike. */
export function isSnncError(e: unknown): e is CodedError {
  return e instanceof CodedError;
}

/** `at layer "conv2" (core (3,1), byte 1204) in model.json`: the location part of a diagnostic line. */
export function formatLocation(loc: SourceLocation): string {
  const parts: string[] = [];
  if (loc.layer !== undefined) parts.push(`at layer "${loc.layer}"`);
  if (loc.core !== undefined) parts.push(`at core ${loc.core}`);
  if (loc.byte !== undefined) parts.push(`at byte ${loc.byte}`);
  if (loc.path !== undefined) parts.push(`at ${loc.path}`);
  if (loc.file !== undefined) parts.push(`in ${loc.file}`);
  return parts.join(" ");
}

/** The text the CLI prints: one `error SNNCnnn: ...` line, then an indented hint line when there is one. */
export function formatDiagnostic(e: CodedError): string {
  const where = formatLocation(e.loc);
  const head = `error ${e.code}: ${e.message}${where ? ` ${where}` : ""}`;
  return e.hint ? `${head}\n  hint: ${e.hint}` : head;
}

/** Warnings are data too: passes append them to the context, the CLI prints them. */
export interface Warning {
  readonly code: string;
  readonly message: string;
  readonly loc?: SourceLocation;
}

export function formatWarning(w: Warning): string {
  const where = w.loc ? formatLocation(w.loc) : "";
  return `warning ${w.code}: ${w.message}${where ? ` ${where}` : ""}`;
}

/** Exhaustiveness guard for `switch (x.kind)`. */
export function assertNever(x: never, what = "value"): never {
  throw new Error(`internal: unexpected ${what} ${JSON.stringify(x)}`);
}
