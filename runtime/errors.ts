/**
 * @fileoverview The coded error of the runtime (reader, emulator). compiler/diagnostics.ts's SnncError
 * extends it, so the CLI prints both the same way: `error SNNCnnn: message at byte N` + hint, exit 1.
 */
export interface ErrorLocation {
  readonly file?: string;
  readonly layer?: string;
  readonly core?: string;
  readonly byte?: number;
  readonly path?: string;
}

export class CodedError extends Error {
  readonly code: string;
  readonly loc: ErrorLocation;
  readonly hint: string | undefined;

  constructor(code: string, message: string, loc: ErrorLocation = {}, hint?: string) {
    super(message);
    this.name = "SnncError";
    this.code = code;
    this.loc = loc;
    this.hint = hint;
  }
}

/** A runtime failure at a byte offset of the binary. */
export class RuntimeError extends CodedError {
  constructor(code: string, message: string, byte?: number, hint?: string) {
    super(code, message, byte === undefined ? {} : { byte }, hint);
  }
}
