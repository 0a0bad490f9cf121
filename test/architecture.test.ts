/**
 * Import boundaries: runtime/ depends only on itself (what the emulator needs travels in the binary);
 * backends/ never import the CLI, and no import cycle runs between compiler/ and backends/; targets are data
 * (no pass compares a target's name); tests do not import bench code.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { expect } from "chai";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.ts$/.test(f) ? [p] : [];
  });
}

function imports(file: string): string[] {
  const src = readFileSync(file, "utf8");
  return [...src.matchAll(/(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g)].map((m) => (m[1] ?? m[2]) as string);
}

/** Strongly connected components (size > 1) of the relative-import graph of `roots`. */
function importCycles(roots: string[]): string[][] {
  const all = roots.flatMap((r) => files(r)).map((f) => normalize(f));
  const known = new Set(all);
  const edges = new Map(all.map((f) => [f, imports(f).filter((i) => i.startsWith(".")).map((i) => normalize(join(dirname(f), i))).filter((t) => known.has(t))]));
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const f of all) if (!index.has(f)) visit(f);
  return out;
}

describe("architecture", () => {
  it("no import cycle joins compiler/ and backends/ (backends take shared helpers from compiler/ir, not from passes)", () => {
    const mixed = importCycles(["compiler", "backends", "runtime"]).filter((c) => c.some((f) => f.startsWith("compiler/")) && c.some((f) => f.startsWith("backends/")));
    expect(mixed).to.deep.equal([]);
  });

  it("backends/ import from compiler/ only the IR, mapping geometry, target types and diagnostics", () => {
    const offenders = files("backends").flatMap((f) => imports(f)
      .map((i) => normalize(join(dirname(f), i)))
      .filter((t) => t.startsWith("compiler/") && !/^compiler\/(ir|map|target)\/|^compiler\/(diagnostics|version)\.ts$/.test(t))
      .map((t) => `${f}: ${t}`));
    expect(offenders).to.deep.equal([]);
  });

  it("tests do not import bench code", () => {
    const offenders = files("test").flatMap((f) => imports(f).filter((i) => /(^|\/)bench\//.test(i)).map((i) => `${f}: ${i}`));
    expect(offenders).to.deep.equal([]);
  });

  it("runtime/ imports nothing from compiler/ or backends/", () => {
    const offenders = files("runtime").flatMap((f) => imports(f).filter((i) => /(^|\/)(compiler|backends)\//.test(i) || i.startsWith("../../compiler") || i.startsWith("../compiler")).map((i) => `${f}: ${i}`));
    expect(offenders).to.deep.equal([]);
    expect(files("runtime").length).to.be.greaterThan(5);
  });

  it("backends/ do not import the CLI", () => {
    const offenders = files("backends").flatMap((f) => imports(f).filter((i) => i.includes("/cli/")).map((i) => `${f}: ${i}`));
    expect(offenders).to.deep.equal([]);
  });

  it("no pass branches on a target's name", () => {
    const offenders = files("compiler").filter((f) => /target\.name\s*===|\.name\s*===\s*"(loihi|loihi2|spinnaker|spinnaker2|truenorth)"/.test(readFileSync(f, "utf8")));
    expect(offenders.map((f) => relative(".", f))).to.deep.equal([]);
  });
});
