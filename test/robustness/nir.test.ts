/**
 * @fileoverview Bad NIR input, in the corpus style (test/robustness/corpus.test.ts): each case runs
 * `snnc compile` in-process through the CLI's main() and must exit 1 with exactly one `error SNNCnnn` line of
 * its own code naming the node, and write nothing. Cases: HDF5 that is not NIR, a file that is not HDF5, an
 * unknown node type, NaN parameters, shape mismatches along edges, an edge to a missing node, a cycle with no
 * neuron on it (no delay a discrete target can give), no time step, unrepresentable neuron parameters, two
 * weighted nodes in series.
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import h5wasm from "h5wasm/node";
import { main } from "../../compiler/cli/main.ts";
import type { NirDocument, NirNode } from "../../compiler/import/nir/types.ts";
import { tensor } from "../../compiler/import/nir/types.ts";
import { affine, feedForwardLif, full, lif, writeData, writeNirFile } from "../helpers/nir.ts";

async function runMain(argv: readonly string[]): Promise<{ code: number; stderr: string }> {
  const err: string[] = [];
  const w1 = process.stdout.write;
  const w2 = process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stderr: err.join("") };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

/** The feed-forward net with one node replaced (or added) and its edges edited. */
function edited(nodes: Record<string, NirNode | null>, edges?: [string, string][], metadata?: Record<string, number>): NirDocument {
  const base = feedForwardLif().graph;
  const all = new Map(base.nodes);
  for (const [k, v] of Object.entries(nodes)) {
    if (v === null) all.delete(k);
    else all.set(k, v);
  }
  return { version: "1.0", graph: { type: "NIRGraph", nodes: all, edges: edges ?? [...base.edges] as [string, string][], metadata: metadata ?? base.metadata } };
}

async function rawH5(path: string, write: (f: InstanceType<typeof h5wasm.File>) => void): Promise<string> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, "w");
  try {
    write(f);
  } finally {
    f.close();
  }
  return path;
}

describe("robustness: bad NIR input", function () {
  this.timeout(120_000);
  let root = "";
  let data = "";
  before(() => {
    root = mkdtempSync(join(tmpdir(), "snnc-nir-bad-"));
    data = writeData(16, 8, 4, 5, mkdtempSync(join(tmpdir(), "snnc-nir-bad-data-")));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const cases: { name: string; code: string; mentions: string; make: (dir: string) => Promise<string>; args?: string[] }[] = [
    { name: "hdf5-not-nir", code: "SNNC160", mentions: "no /node group", make: (d) => rawH5(join(d, "keras.nir"), (f) => { f.create_dataset({ name: "version", data: "1.0" }); f.create_group("model_weights"); }) },
    { name: "not-hdf5", code: "SNNC160", mentions: "not an HDF5 file", make: async (d) => { writeFileSync(join(d, "junk.nir"), "this is not HDF5\n".repeat(40)); return join(d, "junk.nir"); } },
    {
      name: "unknown-type", code: "SNNC161", mentions: "spiky", make: (d) => rawH5(join(d, "unknown.nir"), (f) => {
        f.create_dataset({ name: "version", data: "1.0" });
        const g = f.create_group("node");
        g.create_dataset({ name: "type", data: "NIRGraph" });
        const nodes = g.create_group("nodes");
        const n = nodes.create_group("spiky");
        n.create_dataset({ name: "type", data: "QuantumNeuron" });
        g.create_dataset({ name: "edges", data: [] as string[], shape: [0, 2] });
      }),
    },
    { name: "nan-tau", code: "SNNC163", mentions: "lif1", make: (d) => writeNirFile({ ...edited({ lif1: { ...(lif(12, 0.005, 5) as Extract<NirNode, { type: "LIF" }>), tau: tensor([12], Array(12).fill(Number.NaN)) } }) }, d) },
    { name: "shape-mismatch", code: "SNNC164", mentions: "lif1", make: (d) => writeNirFile(edited({ lif1: lif(10, 0.005, 5) }), d) },
    { name: "edge-unknown-node", code: "SNNC165", mentions: "ghost", make: (d) => writeNirFile(edited({}, [...feedForwardLif().graph.edges, ["lif1", "ghost"]] as [string, string][]), d) },
    {
      name: "loop-without-neuron", code: "SNNC166", mentions: "cycle", make: (d) => writeNirFile(edited({ back: affine(12, 12, 0.1, 9), loop: affine(12, 12, 0.1, 10) },
        [...feedForwardLif().graph.edges, ["fc1", "back"] as [string, string], ["back", "loop"] as [string, string], ["loop", "back"] as [string, string]] as [string, string][]), d),
    },
    { name: "no-dt", code: "SNNC169", mentions: "--dt", make: (d) => writeNirFile(edited({}, undefined, {}), d) },
    { name: "reset-not-rest", code: "SNNC168", mentions: "lif2", make: (d) => writeNirFile(edited({ lif2: { ...(lif(4, 0.01, 10) as Extract<NirNode, { type: "LIF" }>), vReset: full([4], -0.5) } }), d) },
    { name: "dt-above-tau", code: "SNNC168", mentions: "lif1", make: (d) => writeNirFile(edited({}, undefined, { dt: 0.006 }), d) },
    {
      name: "two-weighted-in-series", code: "SNNC167", mentions: "fc2b", make: (d) => writeNirFile(edited({ fc2b: affine(4, 4, 0.5, 11) },
        feedForwardLif().graph.edges.filter(([a]) => a !== "fc2").concat([["fc2", "fc2b"], ["fc2b", "lif2"]]) as [string, string][]), d),
    },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.code} naming the node, exit 1, nothing written`, async () => {
      const dir = mkdtempSync(join(root, `${c.name}-`));
      const model = await c.make(dir);
      const out = join(dir, "out");
      const r = await runMain(["compile", model, "--target", "loihi2", "-o", out, "--calibration", data, "--samples", "4", "--calibration-samples", "4",
        "--verify-samples", "1", "-T", "4", "--no-emulator", "--quiet", ...(c.args ?? [])]);
      const errors = r.stderr.split("\n").filter((l) => l.startsWith("error "));
      expect(r.code, r.stderr).to.equal(1);
      expect(errors, r.stderr).to.have.length(1);
      expect(errors[0]).to.match(new RegExp(`^error ${c.code}:`));
      expect(r.stderr).to.contain(c.mentions);
      expect(existsSync(out)).to.equal(false);
    });
  }
});
