/**
 * @fileoverview Bundler of the standalone emulator. Stage: after emit (compiler/cli/compile.ts). Input: the
 * repository's own TypeScript sources, from an entry module, and the values of one module to fold in.
 * Output: one TypeScript script (type-checked, strict) and its CommonJS JavaScript.
 *
 * Gather: the entry's module graph (relative imports, type-only ones included for their types); `node:*`
 * modules are required at run time, binary-parser (runtime/format/reader.ts's one dependency) is inlined
 * into the JavaScript; any other package is an internal error (the emulator must run without node_modules).
 * Hoist: every module's top-level declarations share one scope; a name declared by two modules is renamed
 * in the later one (and its importers) with ts-morph's rename; imports and `export` keywords are stripped.
 * Fold: the initializer of one named constant is replaced by a literal. Check: the single script is
 * type-checked against ambient declarations of the few Node APIs it uses (node-shim.ts). Invariants: no
 * module's text is edited beyond renames, stripped imports/exports and the folded constant.
 * Cache: `npm run build` (compiler/build.js) hoists, checks and transpiles the emulator once and writes the
 * result to dist/emulator-bundle.json with the sha256 of every file it was made from (the bundled modules,
 * this bundler, the Node shim, binary-parser's declarations) and the TypeScript version; bundle() uses it
 * only when every hash still matches, so an edited source is bundled and checked afresh, as without it.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Node as NodeT, Project as ProjectT, SourceFile } from "ts-morph";

type TsMorph = typeof import("ts-morph");
let tsMorph: TsMorph | null = null;
/** ts-morph (and its TypeScript) loaded on first use: about 0.7 s that a compile served by the cache skips. */
function morph(): TsMorph {
  return (tsMorph ??= createRequire(import.meta.url)("ts-morph") as TsMorph);
}
/** The ts-morph release the cache was made with (its TypeScript is bundled with it). */
function morphVersion(): string {
  return (createRequire(import.meta.url)("ts-morph/package.json") as { version: string }).version;
}
import { nodeModuleShim, NODE_GLOBALS } from "./node-shim.ts";

/** The package whose code is inlined into the JavaScript (its license is kept with it). */
const INLINED = "binary-parser";

export interface BundleRequest {
  /** Entry module, relative to the repository root. */
  readonly entry: string;
  /** Module (relative to the root) and exported constant whose initializer becomes `value`. */
  readonly fold: { readonly module: string; readonly name: string; readonly value: unknown };
  /** Comment lines put first in both outputs. */
  readonly header: readonly string[];
}

export interface Bundle {
  readonly ts: string;
  readonly js: string;
  /** Bundled modules, relative to the root, dependencies first. */
  readonly modules: readonly string[];
}

/** The snnc checkout or package this module runs from (its sources are what gets bundled). */
export function sourceRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(d, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "snnc") return d;
    const up = dirname(d);
    if (up === d) throw new Error("internal: the snnc sources to bundle the emulator from were not found");
    d = up;
  }
}

function specifiers(sf: SourceFile): { spec: string; node: NodeT }[] {
  const out: { spec: string; node: NodeT }[] = [];
  for (const d of sf.getImportDeclarations()) out.push({ spec: d.getModuleSpecifierValue(), node: d });
  for (const d of sf.getExportDeclarations()) {
    const spec = d.getModuleSpecifierValue();
    if (spec !== undefined) out.push({ spec, node: d });
  }
  return out;
}

/** Loads the graph into an in-memory project; returns its files in dependency order. */
function gather(project: ProjectT, root: string, entry: string): SourceFile[] {
  const order: SourceFile[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (file: string): SourceFile => {
    const sf = project.getSourceFile(file) ?? project.createSourceFile(file, readFileSync(file, "utf8"));
    if (state.get(file) !== undefined) return sf;
    state.set(file, "open");
    if (/\bimport\.meta\b/.test(sf.getFullText())) throw new Error(`internal: ${relative(root, file)} uses import.meta, which the CommonJS emulator cannot`);
    for (const { spec } of specifiers(sf)) {
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec));
      else if (!spec.startsWith("node:") && spec !== INLINED) {
        throw new Error(`internal: the standalone emulator may only depend on node: modules and ${INLINED}; ${relative(root, file)} imports "${spec}"`);
      }
    }
    state.set(file, "done");
    order.push(sf);
    return sf;
  };
  visit(join(root, entry));
  return order;
}

/** Names a module declares at its top level, with their name nodes. */
function topLevelNames(sf: SourceFile): { name: string; node: NodeT }[] {
  const { Node } = morph();
  const out: { name: string; node: NodeT }[] = [];
  for (const st of sf.getStatements()) {
    if (Node.isFunctionDeclaration(st) || Node.isClassDeclaration(st) || Node.isInterfaceDeclaration(st) || Node.isTypeAliasDeclaration(st) || Node.isEnumDeclaration(st)) {
      const id = st.getNameNode();
      if (id) out.push({ name: id.getText(), node: id });
    } else if (Node.isVariableStatement(st)) {
      for (const d of st.getDeclarations()) {
        const n = d.getNameNode();
        if (Node.isIdentifier(n)) out.push({ name: n.getText(), node: n });
        else for (const e of n.getDescendants()) if (Node.isBindingElement(e) && Node.isIdentifier(e.getNameNode())) out.push({ name: e.getName(), node: e.getNameNode() });
      }
    }
  }
  return out;
}

/** External imports (node: modules, the inlined package) by module, and the checks on import forms. */
function externals(files: readonly SourceFile[], root: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const owner = new Map<string, string>();
  for (const sf of files) {
    for (const d of sf.getImportDeclarations()) {
      const spec = d.getModuleSpecifierValue();
      const where = relative(root, sf.getFilePath());
      if (d.getNamespaceImport() || d.getDefaultImport()) throw new Error(`internal: ${where}: default and namespace imports cannot be bundled`);
      for (const n of d.getNamedImports()) {
        if (n.getAliasNode()) throw new Error(`internal: ${where}: renamed import ${n.getText()} cannot be bundled`);
        if (spec.startsWith(".") || d.isTypeOnly() || n.isTypeOnly()) continue;
        const name = n.getName();
        if (owner.has(name) && owner.get(name) !== spec) throw new Error(`internal: ${name} is imported from both ${owner.get(name)} and ${spec}`);
        owner.set(name, spec);
        let set = out.get(spec);
        if (!set) out.set(spec, (set = new Set()));
        set.add(name);
      }
    }
  }
  return out;
}

/** The folded constant's place in the hoisted text (replaced by its value, a JSON literal). */
const FOLD_MARK = "__SNNC_FOLDED_VALUE__";

interface Hoisted {
  /** Ambient declarations, requires and the modules' text, with FOLD_MARK where the value goes. */
  readonly body: string;
  readonly modules: readonly string[];
  readonly inlines: boolean;
  /** Whether the body has passed the type check (with a value of the folded constant's type). */
  checked: boolean;
  /** The body's JavaScript, FOLD_MARK still in place (an identifier: TypeScript emits it as it is). */
  js: string | null;
}

/** Per process: sources do not change while snnc runs, so the graph is hoisted (and checked) once. */
const hoistCache = new Map<string, Hoisted>();

/** The build-time cache of hoisted, checked and transpiled bundles (see the file overview). */
export function bundleCacheFile(root: string): string {
  return join(root, "dist", "emulator-bundle.json");
}

interface CachedBundle {
  readonly key: string;
  readonly typescript: string;
  /** Files the bundle was made from (relative to the root) → sha256 of their text. */
  readonly hashes: Record<string, string>;
  readonly body: string;
  readonly modules: readonly string[];
  readonly inlines: boolean;
  readonly js: string;
}

const sha256 = (file: string): string | null => (existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : null);

/** Besides the bundled modules, the files whose text shapes the bundle. */
const BUNDLER_FILES = ["compiler/emulator-gen/bundle.ts", "compiler/emulator-gen/node-shim.ts", "runtime/format/binary-parser.d.ts"];

function cacheKey(req: BundleRequest): string {
  return `${req.entry}|${req.fold.module}|${req.fold.name}`;
}

/** A checked bundle from dist/emulator-bundle.json when it was made from exactly the current sources. */
function fromCache(req: BundleRequest, root: string): Hoisted | null {
  const file = bundleCacheFile(root);
  if (!existsSync(file)) return null;
  let c: CachedBundle;
  try {
    c = JSON.parse(readFileSync(file, "utf8")) as CachedBundle;
  } catch {
    return null;
  }
  if (c.key !== cacheKey(req) || c.typescript !== morphVersion() || typeof c.body !== "string" || typeof c.js !== "string") return null;
  const files = [...c.modules, ...BUNDLER_FILES];
  if (Object.keys(c.hashes).length !== files.length) return null;
  for (const f of files) if (c.hashes[f] === undefined || sha256(join(root, f)) !== c.hashes[f]) return null;
  return { body: c.body, modules: c.modules, inlines: c.inlines, checked: true, js: c.js };
}

/** Hoists, type-checks and transpiles `req` now and writes the cache (compiler/build.js, after tsc). */
export function writeBundleCache(req: BundleRequest): string {
  const root = sourceRoot();
  const b = bundle(req, { useCache: false });
  const h = hoistCache.get(cacheKey(req)) as Hoisted;
  const hashes: Record<string, string> = {};
  for (const f of [...b.modules, ...BUNDLER_FILES]) hashes[f] = sha256(join(root, f)) ?? "";
  const cached: CachedBundle = { key: cacheKey(req), typescript: morphVersion(), hashes, body: h.body, modules: h.modules, inlines: h.inlines, js: h.js as string };
  const file = bundleCacheFile(root);
  writeFileSync(file, JSON.stringify(cached));
  return file;
}

function hoist(req: BundleRequest, root: string): Hoisted {
  const { Node, Project, ts } = morph();
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, allowImportingTsExtensions: true, noEmit: true, noLib: true, types: [] },
  });
  const files = gather(project, root, req.entry);
  const foldFile = project.getSourceFile(join(root, req.fold.module));
  if (!foldFile) throw new Error(`internal: ${req.fold.module} is not part of the emulator's module graph`);
  foldFile.getVariableDeclarationOrThrow(req.fold.name).setInitializer(FOLD_MARK);
  const ext = externals(files, root);
  // One scope: the first module to declare a name keeps it; later ones are renamed, importers included.
  const taken = new Map<string, SourceFile | string>();
  for (const [spec, names] of ext) for (const n of names) taken.set(n, spec);
  for (const sf of files) {
    const stem = basename(sf.getFilePath()).replace(/\.d\.ts$|\.ts$/, "").replace(/\W/g, "_");
    for (const { name, node } of topLevelNames(sf)) {
      const owner = taken.get(name);
      if (owner === undefined || owner === sf) {
        taken.set(name, sf);
        continue;
      }
      let fresh = `${name}_${stem}`;
      for (let k = 2; taken.has(fresh); k++) fresh = `${name}_${stem}${k}`;
      if (Node.isIdentifier(node)) node.rename(fresh);
      taken.set(fresh, sf);
    }
  }
  const parts: string[] = [];
  for (const sf of files) {
    const where = relative(root, sf.getFilePath());
    if (sf.getExportAssignments().length > 0) throw new Error(`internal: ${where}: export default cannot be bundled`);
    // Text edits, last first: imports and export lists go, `export` keywords go.
    const cuts: [number, number][] = [];
    for (const d of sf.getImportDeclarations()) cuts.push([d.getStart(), d.getEnd()]);
    // Export lists and re-exports name things that are already in the one scope: they go, unless they rename.
    for (const d of sf.getExportDeclarations()) {
      if (d.getNamedExports().some((e) => e.getAliasNode() !== undefined) || d.getNamespaceExport()) throw new Error(`internal: ${where}: renaming exports cannot be bundled`);
      cuts.push([d.getStart(), d.getEnd()]);
    }
    for (const st of sf.getStatements()) {
      if (!Node.isModifierable(st)) continue;
      const mod = st.getFirstModifierByKind(ts.SyntaxKind.ExportKeyword);
      if (mod) cuts.push([mod.getStart(), mod.getEnd() + 1]);
    }
    let text = sf.getFullText();
    for (const [s, e] of cuts.sort((a, b) => b[0] - a[0])) text = text.slice(0, s) + text.slice(e);
    parts.push(`// ─── ${where} ${"─".repeat(Math.max(3, 100 - where.length))}\n${text.trim()}\n`);
  }
  const requires = [...ext].map(([spec, names]) => `const { ${[...names].sort().join(", ")} } = require("${spec}") as typeof import("${spec}");`);
  // The inlined package's classes are types too.
  for (const n of ext.get(INLINED) ?? []) requires.push(`type ${n} = import("${INLINED}").${n};`);
  const shims = [...ext.keys()].filter((s) => s.startsWith("node:")).map((s) => nodeModuleShim(s, [...(ext.get(s) ?? [])]));
  const body = [
    "// ─── ambient declarations: the Node.js APIs used below, and binary-parser's types ───",
    NODE_GLOBALS,
    ...shims,
    ext.has(INLINED) ? readFileSync(join(root, "runtime/format/binary-parser.d.ts"), "utf8") : "",
    ...requires,
    "",
    ...parts,
  ].join("\n");
  if (body.split(FOLD_MARK).length !== 2) throw new Error("internal: the folded constant's mark is not unique in the bundle");
  return { body, modules: files.map((f) => relative(root, f.getFilePath())), inlines: ext.has(INLINED), checked: false, js: null };
}

function typeCheck(source: string): void {
  const { Project, ts } = morph();
  const checker = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleDetection: ts.ModuleDetectionKind.Legacy, strict: true, noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true, noImplicitOverride: true, noImplicitReturns: true, noFallthroughCasesInSwitch: true,
      lib: ["lib.es2022.d.ts"], types: [], skipLibCheck: true, noEmit: true,
    },
  });
  checker.createSourceFile("emulator.ts", source);
  const problems = checker.getPreEmitDiagnostics();
  if (problems.length > 0) {
    throw new Error(`internal: the bundled emulator does not type-check:\n${checker.formatDiagnosticsWithColorAndContext(problems.slice(0, 8))}`);
  }
}

/**
 * Bundles `req.entry` with `req.fold.value` folded in. The hoisted text is built, type-checked and
 * transpiled once per process (or read from the build's cache when its sources are unchanged); later calls only substitute the value (a JSON literal of the same declared
 * type) in the TypeScript and in the JavaScript.
 */
export function bundle(req: BundleRequest, options: { readonly useCache?: boolean } = {}): Bundle {
  const root = sourceRoot();
  const key = cacheKey(req);
  let h = hoistCache.get(key);
  if (!h) hoistCache.set(key, (h = (options.useCache !== false ? fromCache(req, root) : null) ?? hoist(req, root)));
  const source = [...req.header.map((l) => `// ${l}`), "", h.body.replace(FOLD_MARK, () => JSON.stringify(req.fold.value, null, 2))].join("\n");
  if (!h.checked) {
    typeCheck(source);
    h.checked = true;
  }
  if (h.js === null) {
    const { ts } = morph();
    const out = ts.transpileModule(h.body, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleDetection: ts.ModuleDetectionKind.Legacy } }).outputText;
    if (out.split(FOLD_MARK).length !== 2) throw new Error("internal: the folded constant's mark is not unique in the emitted JavaScript");
    h.js = out;
  }
  const value = JSON.stringify(req.fold.value, null, 2);
  const emitted = h.js.replace(FOLD_MARK, () => value);
  const js = [
    ...req.header.map((l) => `// ${l}`),
    `// JavaScript of emulator.ts (TypeScript's CommonJS emit)${h.inlines ? `, after ${INLINED}, inlined first` : ""}.`,
    `"use strict";`,
    h.inlines ? inlinedPackageSource() : "function inlinedPackage() { throw new Error(\"internal: nothing inlined\"); }",
    `// ─── emulator.ts ───`,
    `(function (require) {`,
    emitted.replace(/^"use strict";\n/, ""),
    `})(function (id) { return id === "${INLINED}" ? inlinedPackage() : require(id); });`,
  ].join("\n");
  return { ts: source, js, modules: h.modules };
}

/** binary-parser's CommonJS build and its license, as one function returning the module's exports. */
function inlinedPackageSource(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve(INLINED);
  let dir = dirname(main);
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string; license?: string };
  const license = readFileSync(join(dir, "LICENSE"), "utf8").trim();
  const code = readFileSync(main, "utf8").replace(/\/\/# sourceMappingURL=.*$/m, "");
  return [
    `// ─── ${INLINED} ${pkg.version} (${pkg.license ?? "see license"}), its CommonJS build, inlined unchanged ───`,
    ...license.split("\n").map((l) => `// ${l}`.trimEnd()),
    "let inlinedExports;",
    "function inlinedPackage() {",
    "  if (inlinedExports) return inlinedExports;",
    "  const module = { exports: {} };",
    "  (function (exports, module) {",
    code,
    "  })(module.exports, module);",
    "  return (inlinedExports = module.exports);",
    "}",
  ].join("\n");
}
