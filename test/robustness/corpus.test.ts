/**
 * The malformed-input corpus (test/robustness/corpus.ts), run in-process through the CLI's main(): every case
 * exits 1 with exactly one `error SNNCnnn` line of bounded length carrying its own code, and writes nothing;
 * valid edge cases exit 0. Plus two real child processes (exit code and stderr as a user sees them), and the
 * valid edge cases of import and data (unicode layer names, one-hot labels, 0–255 float warning).
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../compiler/cli/main.ts";
import { loadDataset, loadInputs } from "../../compiler/data/dataset.ts";
import { writeNpy } from "../../compiler/data/npy.ts";
import { importModel } from "../../compiler/import/index.ts";
import { buildCorpus, type CorpusCase } from "./corpus.ts";

/** Runs main() with stdout and stderr captured. */
async function runMain(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const w1 = process.stdout.write;
  const w2 = process.stderr.write;
  process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

describe("robustness: malformed-input corpus", function () {
  this.timeout(300_000);
  let root = "";
  let cases: CorpusCase[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "snnc-corpus-"));
    cases = await buildCorpus(root, 12);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("every case gives its own code, one bounded error line, exit 1, and writes nothing", async () => {
    expect(cases.length).to.be.greaterThan(60);
    const wrong: string[] = [];
    for (const c of cases) {
      const r = await runMain(c.argv);
      const lines = r.stderr.split("\n").filter((l) => l.length > 0);
      const errorLines = lines.filter((l) => l.startsWith("error "));
      const longest = Math.max(0, ...lines.map((l) => l.length));
      if (c.code === null) {
        if (r.code !== 0) wrong.push(`${c.name}: expected success, got exit ${r.code}: ${r.stderr.slice(0, 300)}`);
        continue;
      }
      const got = /^error (SNNC\d+):/.exec(errorLines[0] ?? "")?.[1];
      if (r.code !== 1 || got !== c.code || errorLines.length !== 1 || longest > 3000 || r.stderr.includes("internal error")) {
        wrong.push(`${c.name}: expected ${c.code} exit 1, got exit ${r.code} ${got ?? "-"} (${errorLines.length} error lines, longest ${longest}): ${r.stderr.slice(0, 300)}`);
      }
      if (c.mentions && !r.stderr.includes(c.mentions)) wrong.push(`${c.name}: message does not mention "${c.mentions}": ${r.stderr.slice(0, 300)}`);
      if (c.out && existsSync(c.out)) wrong.push(`${c.name}: wrote ${c.out}`);
    }
    expect(wrong, wrong.join("\n")).to.deep.equal([]);
  });

  it("as a user sees it: a shard outside the folder and a NaN input exit 1 with one error line (child processes)", function () {
    for (const name of ["shard-dotdot", "run-input-nan"]) {
      const c = cases.find((k) => k.name === name) as CorpusCase;
      const r = spawnSync(process.execPath, ["compiler/cli/snnc.js", ...c.argv], { encoding: "utf8" });
      expect(r.status, `${name}: ${r.stderr}`).to.equal(1);
      expect(r.stderr.split("\n").filter((l) => l.startsWith("error ")), name).to.have.length(1);
      expect(r.stderr, name).to.match(new RegExp(`^error ${c.code}:`));
    }
  });

  it("valid edge cases: unicode layer names import; one-hot labels, flat samples and uint8 data load; 0–255 floats warn", async () => {
    const d = join(root, "unicode");
    mkdirSync(d, { recursive: true });
    const name = "σ-层-🙂 \"quoted\"";
    writeFileSync(join(d, "group1-shard1of1.bin"), new Uint8Array(new Float32Array(15).fill(0.25).buffer));
    writeFileSync(join(d, "model.json"), JSON.stringify({
      modelTopology: { class_name: "Sequential", config: { name: "m", layers: [{ class_name: "Dense", config: { name, units: 3, activation: "relu", batch_input_shape: [null, 4] } }] } },
      weightsManifest: [{ paths: ["group1-shard1of1.bin"], weights: [{ name: `${name}/kernel`, shape: [4, 3], dtype: "float32" }, { name: `${name}/bias`, shape: [3], dtype: "float32" }] }],
    }));
    const g = await importModel(join(d, "model.json"));
    expect(g.nodes.map((n) => n.name)).to.include(name);

    writeFileSync(join(d, "x.npy"), writeNpy([4, 2, 2, 1], Uint8Array.of(0, 255, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255, 1, 2, 3, 4)));
    const oneHot = new Float32Array(12);
    [2, 0, 1, 2].forEach((k, i) => { oneHot[i * 3 + k] = 1; });
    writeFileSync(join(d, "y.npy"), writeNpy([4, 3], oneHot));
    const ds = loadDataset(join(d, "x.npy"), { inputShape: [2, 2, 1] });
    expect(Array.from(ds.labels ?? [])).to.deep.equal([2, 0, 1, 2]);
    expect(ds.images[1]).to.equal(1);
    expect(ds.warnings ?? []).to.deep.equal([]);

    writeFileSync(join(d, "flat.npy"), writeNpy([4], Float32Array.of(0, 200, 255, 17)));
    const flat = loadInputs(join(d, "flat.npy"), [2, 2, 1]);
    expect(flat.count).to.equal(1);
    expect(flat.sampleShape).to.deep.equal([2, 2, 1]);
    expect((flat.warnings ?? []).map((w) => w.code)).to.deep.equal(["SNNC-W150"]);
  });
});
