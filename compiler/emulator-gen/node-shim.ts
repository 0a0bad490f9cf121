/**
 * @fileoverview Ambient declarations of the Node.js APIs the bundled emulator uses, so that its single
 * script type-checks without @types/node (a production install has no dev dependencies). Known functions get
 * their signatures; any other name a bundled module imports from a node: module is declared `any`, so a new
 * import still bundles (and still runs: the real module is required at run time).
 */

export const NODE_GLOBALS = `declare function require(id: string): unknown;
declare const process: {
  readonly argv: string[];
  exitCode: number | undefined;
  readonly stdout: { write(s: string): boolean };
  readonly stderr: { write(s: string): boolean };
};
declare const performance: { now(): number };
declare class TextDecoder {
  constructor(label?: string);
  decode(bytes?: Uint8Array): string;
}
declare class TextEncoder {
  encode(text?: string): Uint8Array;
}
declare namespace NodeJS {
  interface ErrnoException extends Error { code?: string }
}`;

const KNOWN: Record<string, Record<string, string>> = {
  "node:fs": {
    readFileSync: "export function readFileSync(path: string): Uint8Array;\n  export function readFileSync(path: string, encoding: \"utf8\" | \"latin1\"): string;",
    existsSync: "export function existsSync(path: string): boolean;",
    statSync: "export function statSync(path: string): Stats;",
    readdirSync: "export function readdirSync(path: string): string[];",
  },
  "node:path": {
    join: "export function join(...parts: string[]): string;",
    resolve: "export function resolve(...parts: string[]): string;",
    dirname: "export function dirname(path: string): string;",
    basename: "export function basename(path: string, suffix?: string): string;",
    extname: "export function extname(path: string): string;",
  },
  "node:zlib": {
    gunzipSync: "export function gunzipSync(bytes: Uint8Array, options?: { maxOutputLength?: number }): Uint8Array;",
    gzipSync: "export function gzipSync(bytes: Uint8Array, options?: { level?: number }): Uint8Array;",
  },
};

/** `declare module "node:fs" { … }` with the names the bundle imports from it. */
export function nodeModuleShim(spec: string, names: readonly string[]): string {
  const known = KNOWN[spec] ?? {};
  const lines = [...names].sort().map((n) => `  ${known[n] ?? `export const ${n}: any;`}`);
  const stats = spec === "node:fs" ? [`  interface Stats { isDirectory(): boolean; isFile(): boolean; readonly size: number }`] : [];
  return [`declare module "${spec}" {`, ...stats, ...lines, "}"].join("\n");
}
