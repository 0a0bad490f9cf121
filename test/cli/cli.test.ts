/**
 * The snnc command line as users run it (child processes of compiler/cli/snnc.js, which runs the compiled
 * dist/ that `npm test` builds first, or the sources through tsx when they are newer): the contract's commands
 * and files, --json on stdout only, exit codes 0/1/2, one-line coded errors without stack traces, atomic
 * outputs, and the generated emulator agreeing with `snnc run`. Option and message details are checked
 * in-process in options.test.ts.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { loadDataset } from "../../compiler/data/dataset.ts";
import { writeNpy } from "../../compiler/data/npy.ts";
import { EXAMPLES, SAMPLE_DATA } from "../helpers/compile.ts";
import { smallConvModel } from "../helpers/small.ts";

const SNNC = "compiler/cli/snnc.js";

function snnc(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SNNC, ...args], { encoding: "utf8", timeout: 600_000, maxBuffer: 1 << 30 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe("snnc CLI", function () {
  this.timeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), "snnc-cli-"));
  const out = join(dir, "cnn-loihi");
  const data = loadDataset(SAMPLE_DATA, { inputShape: [28, 28, 1], limit: 8 });
  const one = join(dir, "one.npy");
  const batch = join(dir, "batch.npy");
  writeFileSync(one, writeNpy([1, 28, 28, 1], data.images.slice(0, 784)));
  writeFileSync(batch, writeNpy([8, 28, 28, 1], data.images.slice(0, 8 * 784)));

  before(() => {
    const r = snnc(["compile", EXAMPLES.cnn, "--target", "loihi", "-o", out, "--samples", "24", "--verify-samples", "2", "--calibration-samples", "96", "-T", "24", "--quiet"]);
    expect(r.code, r.stderr).to.equal(0);
  });

  it("compile writes network.snnb, the three reports, reference model and the emulator", () => {
    for (const f of ["network.snnb", "report.json", "report.md", "report.html", "reference.json.gz", "emulator/emulator.ts", "emulator/emulator.js"]) {
      expect(existsSync(join(out, f)), f).to.equal(true);
    }
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(report.verification.bitExact).to.equal(true);
    expect(report.accuracy.samples).to.equal(24);
    expect(readFileSync(join(out, "report.md"), "utf8")).to.include("## Energy");
  });

  it("run prints the class; --json is one object with the contract fields", () => {
    const r = snnc(["run", out, "--input", one, "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    // One entry per input, whatever the number of inputs (CONTRACT: prediction/scores keep one shape).
    expect(j.prediction).to.deep.equal([data.labels?.[0]]); // a clear "ankle boot"
    expect(j.scores).to.have.length(1);
    expect(j.scores[0]).to.have.length(10);
    expect(j.classNames).to.deep.equal(["Ankle boot"]);
    expect(Object.keys(j.spikeCounts)).to.include("conv1");
    expect(j.spikeCounts.conv1).to.have.length(28 * 28 * 16);
    expect(j.counters).to.include.keys("spikes", "synapticOps", "neuronUpdates", "hops", "cycles");
    expect(j.emulationSeconds).to.be.a("number");
    const text = snnc(["run", out, "-i", batch]);
    expect(text.stdout).to.match(/sample 7: class \d \(\S[^)]*\)/); // with its Fashion-MNIST name
    // A batch labels its figures: per inference (mean of 8) and totals over the batch.
    expect(text.stdout).to.match(/per inference: [\d.]+ spikes, .* \(mean of 8 inputs\)/);
    expect(text.stdout).to.match(/batch of 8 inputs: \d+ spikes, \d+ synaptic ops in total/);
    expect(text.stdout).to.include("spikes per layer (total over the 8 inputs)");
    const jb = JSON.parse(snnc(["run", out, "-i", batch, "--json"]).stdout);
    expect(jb.prediction).to.have.length(8);
    expect(jb.scores).to.have.length(8);
  });

  it("the generated emulator runs with plain node and equals snnc run", () => {
    const gen = JSON.parse(execFileSync(process.execPath, [join(out, "emulator", "emulator.js"), "--input", one, "--json"], { encoding: "utf8" }));
    const run = JSON.parse(snnc(["run", out, "--input", one, "--json"]).stdout);
    // prediction/scores have one entry per input whatever the batch size, in both.
    expect(gen.prediction).to.deep.equal(run.prediction);
    expect(gen.scores).to.deep.equal(run.scores);
    expect(gen.counters.spikes).to.equal(run.counters.spikes);
    expect(gen.counters.synapticOps).to.equal(run.counters.synapticOps);
  });

  it("verify, inspect, report, targets", () => {
    const v = snnc(["verify", out, "--samples", "4", "--json"]);
    expect(v.code, v.stderr).to.equal(0);
    expect(JSON.parse(v.stdout).bitExact).to.equal(true);
    const i = snnc(["inspect", join(out, "network.snnb"), "--json"]);
    const ij = JSON.parse(i.stdout);
    expect(ij.cores.length).to.be.greaterThan(10);
    expect(ij.cores[0].neuronList[0]).to.include.keys("biasMantissa", "vInit", "synapsesOut");
    expect(snnc(["report", out, "-f", "md"]).stdout).to.include("# snnc report");
    expect(snnc(["report", out, "-f", "html"]).stdout).to.match(/^<!doctype html>/i);
    const t = snnc(["targets", "--json"]);
    expect(JSON.parse(t.stdout).targets.map((x: { name: string }) => x.name)).to.include.members(["loihi", "loihi2", "spinnaker", "spinnaker2"]);
  });

  it("user errors: exit 1, one coded line, no stack trace", () => {
    const cases: [string[], RegExp][] = [
      [["compile", "/nope/model.json", "-t", "loihi", "-o", join(dir, "nope")], /^error SNNC001: model file \/nope\/model\.json not found\n/],
      [["compile", EXAMPLES.cnn, "-t", "no-such-chip"], /^error SNNC301: unknown target "no-such-chip"/],
      [["run", out, "--input", "/nope.npy"], /^error SNNC001/],
      [["run", join(out, "report.json"), "--input", one], /^error SNNC501: not an snnc placement binary/],
      [["verify", dir], /^error SNNC001/],
    ];
    for (const [args, pattern] of cases) {
      const r = snnc(args);
      expect(r.code, args.join(" ")).to.equal(1);
      expect(r.stderr, args.join(" ")).to.match(pattern);
      expect(r.stderr).to.not.match(/^\s+at /m);
      expect(r.stdout).to.equal("");
    }
  });

  it("bad command lines exit 2 (the cases: test/cli/options.test.ts, in-process)", () => {
    expect(snnc(["frobnicate"]).code).to.equal(2);
    expect(snnc(["compile", EXAMPLES.cnn, "-t", "loihi", "--timesteps", "0"]).code).to.equal(2);
  });

  it("max pooling compiles by default (as average pooling, with a warning); the spiking gate is a coded error", async () => {
    const m = await smallConvModel(7, "small-max", "max");
    const ok = snnc(["compile", m.model, "-t", "loihi", "--calibration", m.data, "-o", join(dir, "max"), "--samples", "8", "--no-emulator", "--no-tfjs-check"]);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stderr).to.match(/max pool/i);
    expect(existsSync(join(dir, "max", "network.snnb"))).to.equal(true);
    const gate = snnc(["compile", m.model, "-t", "loihi", "--calibration", m.data, "-o", join(dir, "gate"), "--maxpool", "gate", "--no-tfjs-check", "--quiet"]);
    expect(gate.code).to.equal(1);
    expect(gate.stderr).to.match(/^error SNNC303: spiking max-pool gate/);
  });

  it("a failing compile leaves no network.snnb behind", async () => {
    // The small model needs more cores than the tiny target has (test/map/mapping.test.ts).
    const m = await smallConvModel();
    const target = join(dir, "fails");
    const r = snnc(["compile", m.model, "-t", "tiny", "--calibration", m.data, "-o", target, "--no-tfjs-check", "--quiet"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/^error SNNC40[12]/);
    expect(existsSync(join(target, "network.snnb"))).to.equal(false);
  });
});
