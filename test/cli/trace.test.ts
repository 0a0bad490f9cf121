/**
 * Bring-up traces (`snnc run --trace`): the probed neurons by layer, core and chip position; per step their
 * spikes add up to the run's per-neuron spike counts, and their v equals the emulator's state; CSV and JSONL
 * hold the same rows.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { parseProbes, traceRecorder } from "../../compiler/cli/trace.ts";
import { loadDataset } from "../../compiler/data/dataset.ts";
import { writeNpy } from "../../compiler/data/npy.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate } from "../../runtime/emulator/run.ts";
import { compileCached, EXAMPLES, request, SAMPLE_DATA } from "../helpers/compile.ts";

describe("bring-up traces", function () {
  this.timeout(300_000);

  it("probes by layer, core and chip slot select the same neurons; spikes and v match the emulator", async () => {
    const out = await compileCached(request(EXAMPLES.mlp, "loihi"));
    const d = decodeBinary(out.binary);
    const net = loadNetwork(d);
    const k = net.popOf.findIndex((p, g) => p === 1 && g >= 0); // first neuron of the first hidden layer
    const core = net.coreOf[k] as number;
    const rec = d.system.cores[core];
    const byCore = parseProbes([`core:${core}:0,1,2`], net, d.meta);
    const byChip = parseProbes([`chip:${rec?.chipX},${rec?.chipY},${rec?.index}:0,1,2`], net, d.meta);
    expect(Array.from(byChip)).to.deep.equal(Array.from(byCore));
    const layer = d.meta.populations[1]?.name as string;
    const byLayer = parseProbes([`layer:${layer}`], net, d.meta);
    expect(byLayer.length).to.equal(net.popOf.filter((p) => p === 1).length);
    expect(() => parseProbes(["layer:nope"], net, d.meta)).to.throw(/no layer "nope"/);
    expect(() => parseProbes(["chip:9,9,9"], net, d.meta)).to.throw(/no core of this network/);

    const data = loadDataset(SAMPLE_DATA, { inputShape: [28, 28, 1], limit: 2 });
    const rec1 = traceRecorder(byLayer, net, "t.csv");
    const lastV = new Float64Array(byLayer.length);
    const r = emulate(net, data.images, 2, {
      timesteps: 16, recordCounts: true, onSpikes: rec1.onSpikes,
      onStep: (s, t, v, u) => {
        rec1.onStep(s, t, v, u);
        byLayer.forEach((g, i) => { lastV[i] = v[g] as number; });
      },
    });
    const lines = rec1.finish().trim().split("\n");
    const header = (lines[0] as string).split(",");
    const col = (name: string) => header.indexOf(name);
    const steps = 16 + out.pipeline.quantised.q.readoutDepth;
    expect(lines.length - 1).to.equal(2 * steps * byLayer.length);
    const spikes = new Map<number, number>();
    for (const line of lines.slice(1)) {
      const f = line.split(",");
      const n = Number(f[col("neuron")]);
      spikes.set(n, (spikes.get(n) ?? 0) + (Number(f[col("spike")]) !== 0 ? 1 : 0));
    }
    let total = 0;
    byLayer.forEach((g) => {
      expect(spikes.get(net.popIndex[g] as number) ?? 0, `neuron ${g}`).to.equal(r.spikeCounts?.[g]);
      total += r.spikeCounts?.[g] ?? 0;
    });
    expect(total).to.be.greaterThan(0);
    // The last row of each neuron carries its final v.
    const last = lines.slice(-byLayer.length).map((line) => Number(line.split(",")[col("v")]));
    expect(last).to.deep.equal(Array.from(lastV));
  });

  it("snnc run --trace writes CSV and JSONL with the same rows; --probe without --trace is an error", async () => {
    // `run` reads only network.snnb: the shared compile's binary (the CLI's own compile is test/cli/cli.test.ts').
    const out = await compileCached(request(EXAMPLES.mlp, "loihi"));
    const dir = mkdtempSync(join(tmpdir(), "snnc-trace-"));
    mkdirSync(join(dir, "mlp"));
    writeFileSync(join(dir, "mlp", "network.snnb"), out.binary);
    const x = join(dir, "x.npy");
    const data = loadDataset(SAMPLE_DATA, { inputShape: [28, 28, 1], limit: 1 });
    writeFileSync(x, writeNpy([1, 28, 28, 1], data.images));
    const snnc = (args: string[]) => spawnSync(process.execPath, ["compiler/cli/snnc.js", ...args], { encoding: "utf8" });
    for (const f of ["t.csv", "t.jsonl"]) {
      const r = snnc(["run", join(dir, "mlp"), "-i", x, "--trace", join(dir, f), "--probe", "layer:fc1:0,5", "--quiet"]);
      expect(r.status, r.stderr).to.equal(0);
    }
    const csv = readFileSync(join(dir, "t.csv"), "utf8").trim().split("\n");
    const jsonl = readFileSync(join(dir, "t.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number | string>);
    expect(csv.length - 1).to.equal(jsonl.length);
    expect(jsonl.length).to.be.greaterThan(0);
    const header = (csv[0] as string).split(",");
    expect(header).to.deep.equal(Object.keys(jsonl[0] ?? {}));
    csv.slice(1).forEach((line, i) => expect(line).to.equal(Object.values(jsonl[i] ?? {}).join(",")));
    const bad = snnc(["run", join(dir, "mlp"), "-i", x, "--probe", "core:0"]);
    expect(bad.status).to.equal(2); // a bad command line (issue 18: every one exits 2)
    expect(bad.stderr).to.match(/^error SNNC003: --probe picks the neurons of a trace/);
  });
});
