/**
 * Import boundaries: runtime/ depends only on itself (what the emulator needs travels in the binary);
 * backends/ never import the CLI; targets are data (no pass compares a target's name).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
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

describe("architecture", () => {
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
