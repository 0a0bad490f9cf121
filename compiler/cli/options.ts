/**
 * @fileoverview Command-line option checks shared by the commands: a bad value is a bad command line (exit 2,
 * message naming the option), caught while yargs parses, before any file is read or any work starts.
 */

/** A bad command line: main.ts prints it with a hint to --help and exits 2. */
export class UsageError extends Error {
  /** SNNC003 bad option value, SNNC004 anything else yargs rejects (unknown option, missing argument). */
  readonly code: "SNNC003" | "SNNC004";

  constructor(message: string, code: "SNNC003" | "SNNC004" = "SNNC003") {
    super(message);
    this.code = code;
  }
}

/** A yargs `coerce` for an integer option ≥ `min`: rejects 0 / -5 / abc / 2.5 / a missing value by name. */
export function integer(name: string, min = 1): (v: unknown) => number | undefined {
  return (v) => {
    if (v === undefined) return undefined;
    if (Array.isArray(v)) throw new UsageError(`--${name} is given more than once`);
    const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
}

/** A yargs `coerce` for a number in (lo, hi]. */
export function numberIn(name: string, lo: number, hi: number): (v: unknown) => number | undefined {
  return (v) => {
    if (v === undefined) return undefined;
    if (Array.isArray(v)) throw new UsageError(`--${name} is given more than once`);
    const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
    if (!Number.isFinite(n) || n <= lo || n > hi) throw new UsageError(`--${name} must be a number in (${lo}, ${hi}], got ${JSON.stringify(v)}`);
    return n;
  };
}

/**
 * An "Examples:" section as the help's epilogue, each command on a line of its own with its description
 * under it: yargs' own `.example()` wraps a long command in the middle, so it could not be copied.
 */
export function examples(list: readonly (readonly [string, string])[]): string {
  return ["Examples:", ...list.flatMap(([cmd, what]) => [`  ${cmd}`, `      ${what}`])].join("\n");
}
