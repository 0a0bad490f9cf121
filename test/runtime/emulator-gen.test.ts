/**
 * The generated standalone emulator against the runtime emulator, spike for spike: both families (the tiny
 * Loihi and SpiNNaker targets, compiles shared with the mapping tests) and every neuron rule — IF as
 * compiled; LIF (Loihi current and voltage decay) and multi-threshold (signed and ReLU-compensated) by
 * rewriting the binary's neuron profiles. The emulator runs as users run it: `node emulator/emulator.js` in
 * a folder outside the repository (no node_modules). Also its coded errors, --help and usage exits.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { writeNpy } from "../../compiler/data/npy.ts";
import { generateEmulator } from "../../compiler/emulator-gen/generate.ts";
import { spikeHasher } from "../../compiler/emulator-gen/main.ts";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate } from "../../runtime/emulator/run.ts";
import { crc32 } from "../../runtime/format/crc32.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { HEADER_BYTES, NEURON_BYTES, PROFILE_BYTES, SECTION, SECTION_ENTRY_BYTES, BLOCK_BYTES } from "../../runtime/format/spec.ts";
import { NEURON_KIND_CODES, NEURON_MODEL_CODES } from "../../runtime/format/spec.ts";
import { compileCached, request } from "../helpers/compile.ts";
import { smallConvModel } from "../helpers/small.ts";

/** A copy of `bin` with every neuron profile passed through `edit` (a DataView at the profile), CRCs redone. */
function patchProfiles(bin: Uint8Array, edit: (v: DataView, at: number, index: number) => void): Uint8Array {
  const b = Uint8Array.from(bin);
  const v = new DataView(b.buffer);
  const sections = v.getUint32(12, true);
  let index = 0;
  for (let s = 0; s < sections; s++) {
    const e = HEADER_BYTES + s * SECTION_ENTRY_BYTES;
    if (v.getUint32(e, true) !== SECTION.NEUR) continue;
    const start = v.getUint32(e + 4, true);
    let o = start + 4;
    for (let k = 0; k < v.getUint32(start, true); k++) {
      const np = v.getUint16(o, true);
      const nb = v.getUint16(o + 2, true);
      const nn = v.getUint32(o + 4, true);
      o += 8;
      for (let p = 0; p < np; p++, o += PROFILE_BYTES) edit(v, o, index++);
      o += nb * BLOCK_BYTES + nn * NEURON_BYTES;
    }
    v.setUint32(e + 12, crc32(b, start, start + v.getUint32(e + 8, true)), true);
  }
  v.setUint32(52, crc32(b, HEADER_BYTES, HEADER_BYTES + sections * SECTION_ENTRY_BYTES), true);
  v.setUint32(60, crc32(b, 0, 60), true);
  return b;
}

/** Loihi LIF: u keeps half of itself per step (du = 2047), v loses 1/16 (dv = 256). */
const leaky = (bin: Uint8Array) => patchProfiles(bin, (v, at) => {
  if (v.getUint8(at) !== NEURON_MODEL_CODES["loihi-cuba"] || v.getUint8(at + 1) !== NEURON_KIND_CODES.if) return;
  v.setUint16(at + 12, 2047, true);
  v.setUint16(at + 14, 256, true);
});

/** IF profiles become 4-level multi-threshold neurons, alternately signed (θn = θ) and ReLU-compensated. */
const multiThreshold = (bin: Uint8Array) => patchProfiles(bin, (v, at, i) => {
  if (v.getUint8(at + 1) !== NEURON_KIND_CODES.if) return;
  v.setUint8(at + 1, NEURON_KIND_CODES.mt);
  v.setUint8(at + 5, 4);
  v.setUint8(at + 6, i % 2);
  v.setInt32(at + 16, i % 2 ? 0 : v.getInt32(at + 8, true), true);
  v.setUint16(at + 20, 1, true);
});

interface Outcome {
  prediction: number[];
  scores: number[][];
  layerSpikes: Record<string, number>;
  counters: { spikes: number; synapticOps: number; computeCycles: number; gradedPackets: number };
  spikeHash: number;
}

function runtimeRun(bin: Uint8Array, images: Float32Array, count: number): Outcome {
  const decoded = decodeBinary(bin);
  const net = loadNetwork(decoded);
  const hash = spikeHasher();
  const r = emulate(net, images, count, { timesteps: decoded.meta.timesteps, recordCounts: true, onSpikes: hash.onSpikes });
  const scores = Array.from({ length: count }, (_, s) => Array.from(r.scores.subarray(s * r.classes, (s + 1) * r.classes)));
  const layerSpikes: Record<string, number> = Object.fromEntries(decoded.meta.populations.map((p) => [p.name, 0]));
  (r.spikeCounts as Int32Array).forEach((c, g) => {
    const p = decoded.meta.populations[net.popOf[g] as number];
    if (p) layerSpikes[p.name] = (layerSpikes[p.name] as number) + c;
  });
  return {
    prediction: scores.map((row) => row.indexOf(Math.max(...row))), scores, layerSpikes,
    counters: { spikes: r.counters.spikes, synapticOps: r.counters.synapticOps, computeCycles: r.counters.computeCycles, gradedPackets: r.counters.gradedPackets }, spikeHash: hash.value(),
  };
}

function node(dir: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(dir, "emulator", "emulator.js"), ...args], { encoding: "utf8", cwd: dir, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe("generated standalone emulator", function () {
  this.timeout(600_000);
  const root = mkdtempSync(join(tmpdir(), "snnc-emugen-"));
  const cases = new Map<string, Uint8Array>();
  let x = "";
  let images = new Float32Array(0);
  const count = 3;

  before(async () => {
    const small = await smallConvModel();
    const loihi = (await compileCached(request(small.model, "tiny", { data: small.data, reset: "zero", samples: 8 }))).binary;
    const spinnaker = (await compileCached(request(small.model, "tiny-spinnaker", { data: small.data, samples: 8 }))).binary;
    cases.set("loihi IF", loihi).set("loihi LIF", leaky(loihi)).set("loihi MT", multiThreshold(loihi));
    cases.set("spinnaker IF", spinnaker).set("spinnaker MT", multiThreshold(spinnaker));
    const all = readFileSync(small.data);
    // The small model's data: uint8 [64, 6, 6, 1]; the first samples, as floats in [0, 1].
    const body = all.subarray(all.length - 64 * 36, all.length - 61 * 36);
    images = Float32Array.from(body, (b) => b / 255);
    x = join(root, "x.npy");
    writeFileSync(x, writeNpy([count, 6, 6, 1], images));
  });

  it("the neuron rules under test are in the binaries (IF, LIF, MT on both families)", () => {
    const rules = (name: string) => loadNetwork(decodeBinary(cases.get(name) as Uint8Array)).rules;
    expect(rules("loihi IF").some((r) => r.kind === "if" && r.du === 4095 && r.dv === 0)).to.equal(true);
    expect(rules("loihi LIF").some((r) => r.kind === "if" && r.du === 2047 && r.dv === 256)).to.equal(true);
    for (const name of ["loihi MT", "spinnaker MT"]) {
      expect(rules(name).some((r) => r.kind === "mt" && r.mtRelu === 1)).to.equal(true);
      expect(rules(name).some((r) => r.kind === "mt" && r.mtRelu === 0 && r.mtNegThreshold > 0)).to.equal(true);
    }
    expect(rules("spinnaker IF").some((r) => r.kind === "if")).to.equal(true);
  });

  it("equals the runtime emulator spike for spike on each family and neuron rule", () => {
    const hashes = new Set<number>();
    for (const [name, bin] of cases) {
      const dir = join(root, name.replace(" ", "-"));
      mkdirSync(join(dir, "emulator"), { recursive: true });
      writeFileSync(join(dir, "network.snnb"), bin);
      const gen = generateEmulator(bin);
      writeFileSync(join(dir, "emulator", "emulator.ts"), gen.ts);
      writeFileSync(join(dir, "emulator", "emulator.js"), gen.js);
      writeFileSync(join(dir, "emulator", "package.json"), gen.packageJson);
      const r = node(dir, ["--input", x, "--json"]);
      expect(r.code, `${name}: ${r.stderr}`).to.equal(0);
      const got = JSON.parse(r.stdout) as Outcome;
      const want = runtimeRun(bin, images, count);
      expect(want.counters.spikes, name).to.be.greaterThan(0);
      expect(got.scores, name).to.deep.equal(want.scores);
      expect(got.prediction, name).to.deep.equal(want.prediction);
      expect(got.layerSpikes, name).to.deep.equal(want.layerSpikes);
      expect(got.counters, name).to.deep.equal(want.counters);
      expect(got.spikeHash, name).to.equal(want.spikeHash);
      hashes.add(got.spikeHash);
    }
    // The rewritten rules change the spikes: each case is a different run.
    expect(hashes.size).to.equal(cases.size);
  });

  it("refuses bad input with the coded errors of snnc run; --help exits 0, a bad command line 2", () => {
    const dir = join(root, "loihi-IF");
    const wrong = join(root, "wrong.npy");
    writeFileSync(wrong, writeNpy([1, 8, 8, 3], new Float32Array(192)));
    const shape = node(dir, ["--input", wrong]);
    expect(shape.code).to.equal(1);
    expect(shape.stderr).to.match(/^error SNNC151: input has shape \[1, 8, 8, 3\], the model takes \[6, 6, 1\]/);
    expect(shape.stdout).to.equal("");
    // A multiple of the sample size in another shape is refused too (the old emulator ran it as 4 samples).
    writeFileSync(wrong, writeNpy([2, 12, 6, 1], new Float32Array(144)));
    const multiple = node(dir, ["--input", wrong]);
    expect(multiple.code).to.equal(1);
    expect(multiple.stderr).to.match(/^error SNNC151: .*\[12, 6, 1\].*\[6, 6, 1\]/);
    const missing = node(dir, ["--input", x, "--binary", join(root, "none.snnb")]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/^error SNNC001: not found in .*none\.snnb\n {2}hint: /);
    const other = node(dir, ["--input", x, "--binary", join(root, "spinnaker-IF", "network.snnb")]);
    expect(other.code).to.equal(1);
    expect(other.stderr).to.match(/^error SNNC530: this emulator was generated for another network\.snnb/);
    const truncated = join(root, "truncated.snnb");
    writeFileSync(truncated, (cases.get("loihi IF") as Uint8Array).subarray(0, 1000));
    const cut = node(dir, ["--input", x, "--binary", truncated]);
    expect(cut.code).to.equal(1);
    expect(cut.stderr).to.match(/^error SNNC504: file is 1000 bytes, header says \d+/);
    const help = node(dir, ["--help"]);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^usage: node emulator\/emulator\.js --input x\.npy/);
    for (const args of [[], ["--input"], ["--input", x, "--timesteps", "0"], ["--input", x, "--frobnicate"]]) {
      const r = node(dir, args);
      expect(r.code, args.join(" ")).to.equal(2);
      expect(r.stderr, args.join(" ")).to.match(/^error: .*\nusage: /);
    }
    expect(shape.stderr + missing.stderr).to.not.match(/^\s+at /m);
  });
});
