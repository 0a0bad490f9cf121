/**
 * ECMT's back end on the hand-made tiny ViT (one attention block: LayerNorm, Q·Kᵀ, softmax, A·V, GELU): the
 * compute nodes are placed on loihi2's processor cores, written to the binary's CMPT section, read back by the
 * one decoder and run by the emulator bit-exact with the integer reference model; corrupted CMPT bytes are
 * coded errors naming the byte.
 */
import { expect } from "chai";
import { energyReport } from "../../compiler/report/energy.ts";
import { loadTarget } from "../../compiler/target/load.ts";
import { CodedError } from "../../runtime/errors.ts";
import { crc32 } from "../../runtime/format/crc32.ts";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate } from "../../runtime/emulator/run.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { HEADER_BYTES, SECTION, SECTION_ENTRY_BYTES } from "../../runtime/format/spec.ts";
import { backEnd, emulateBinary, runGeneratedEmulator, scoreRows, tinyVitEcmt, verifiedBitExact } from "../helpers/backend.ts";

/** The CMPT section's offset and length in a binary. */
function cmptOf(bin: Uint8Array): { at: number; length: number; entry: number } {
  const v = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const n = v.getUint32(12, true);
  for (let i = 0; i < n; i++) {
    const e = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    if (v.getUint32(e, true) === SECTION.CMPT) return { at: v.getUint32(e + 4, true), length: v.getUint32(e + 8, true), entry: e };
  }
  throw new Error("no CMPT section");
}

/** A copy of `bin` with CMPT byte `offset` set to `value` and every checksum made valid again. */
function patched(bin: Uint8Array, offset: number, value: number, width: 1 | 4 = 1): Uint8Array {
  const b = bin.slice();
  const v = new DataView(b.buffer);
  const s = cmptOf(b);
  if (width === 1) v.setUint8(s.at + offset, value);
  else v.setUint32(s.at + offset, value, true);
  v.setUint32(s.entry + 12, crc32(b, s.at, s.at + s.length), true);
  const sections = v.getUint32(12, true);
  v.setUint32(52, crc32(b, HEADER_BYTES, HEADER_BYTES + sections * SECTION_ENTRY_BYTES), true);
  v.setUint32(60, crc32(b, 0, 60), true);
  return b;
}

function codeAt(f: () => unknown): { code: string; byte: number | undefined } {
  try {
    f();
  } catch (e) {
    if (e instanceof CodedError) return { code: e.code, byte: e.loc.byte };
    throw e;
  }
  return { code: "none", byte: undefined };
}

describe("ecmt: compute nodes in the binary and the emulator (loihi2)", () => {
  const T = 6;
  const { data, conversion, float } = tinyVitEcmt(12, T);
  const target = loadTarget("loihi2");
  const { q, back } = backEnd(conversion.snn, float, target, T);

  it("places every compute node on processors, none on neuro cores, and writes a CMPT section", () => {
    const computes = q.populations.filter((p) => p.compute).map((p) => p.id);
    expect(back.computePlan.nodes.map((n) => n.population)).to.deep.equal(computes);
    for (const id of computes) expect(back.partitioned.popBlocks[id]).to.deep.equal([]);
    const decoded = decodeBinary(back.binary);
    expect(decoded.compute?.nodes.map((n) => n.pop)).to.deep.equal(computes);
    expect(decoded.compute?.nodes.map((n) => n.op)).to.deep.equal(["sum", "layerNorm", "matmul", "softmax", "matmul", "sum", "layerNorm", "gelu", "layerNorm"]);
  });

  it("round trip: the decoded nodes carry the quantised operator, LUTs and parameters", () => {
    const decoded = decodeBinary(back.binary);
    for (const n of decoded.compute?.nodes ?? []) {
      const c = q.populations[n.pop]?.compute;
      if (!c) throw new Error("not a compute node");
      if (c.kind === "unary") {
        expect(Array.from(n.lut)).to.deep.equal(c.op.kind === "sum" ? [] : Array.from(c.op.lut));
        expect(n.offset ? Array.from(n.offset) : null).to.deep.equal(c.offset ? Array.from(c.offset) : null);
        if (c.op.kind === "layerNorm") expect([n.group, n.epsilon, n.gamma?.length ?? 0]).to.deep.equal([c.op.features, c.op.epsilon, c.op.gamma?.length ?? 0]);
      } else {
        expect(n.matmul).to.deep.equal({ ...c.op });
      }
    }
  });

  it("the emulator runs the compute nodes bit-exact with the integer reference model (spikes, payloads, scores)", () => {
    verifiedBitExact(q, back.binary, data.images, 4, T);
    const run = emulateBinary(back.binary, data.images, 2, T);
    expect(run.counters.computeCycles).to.be.greaterThan(0);
    expect(run.counters.gradedPackets).to.be.greaterThan(0);
    expect(run.counters.computeBusiestCycles).to.be.at.most(run.counters.computeCycles);
  });

  it("compute-node payloads fit loihi2's 16-bit graded packets: a payload shift per node, every payload sent within ±32767", () => {
    const nodes = decodeBinary(back.binary).compute?.nodes ?? [];
    expect(nodes.map((n) => n.payloadBits)).to.deep.equal(nodes.map(() => 16));
    expect(nodes.map((n) => n.payloadShift)).to.deep.equal(nodes.map((n) => q.populations[n.pop]?.compute?.payloadShift));
    // LayerNorm's outputs reach beyond ±1 (ANN units), which s16.15 cannot carry in 16 bits
    expect(nodes.filter((n) => n.op === "layerNorm").every((n) => n.payloadShift > 0)).to.equal(true);
    for (const p of q.populations) {
      for (const pr of p.inputs) {
        const c = q.populations[pr.source]?.compute;
        if (c) expect(pr.payloadShift).to.equal(15 - c.payloadShift);
      }
    }
    let max = 0;
    let sent = 0;
    emulate(loadNetwork(decodeBinary(back.binary)), data.images, 4, {
      timesteps: T,
      onCompute: (_s, _t, _pop, _idx, payload, count) => {
        for (let k = 0; k < count; k++) max = Math.max(max, Math.abs(payload[k] as number));
        sent += count;
      },
    });
    expect(sent).to.be.greaterThan(0);
    expect(max).to.be.at.most(2 ** 15 - 1);
  });

  it("the generated standalone emulator runs the compute nodes: the runtime emulator's scores and counters", function () {
    this.timeout(300_000);
    const n = 2;
    const got = runGeneratedEmulator(back.binary, data.images.subarray(0, n * 64), [n, 8, 8, 1]);
    const want = emulateBinary(back.binary, data.images, n, T);
    expect(got.scores).to.deep.equal(scoreRows(want, n));
    expect(got.counters.computeCycles).to.equal(want.counters.computeCycles);
    expect(got.counters.gradedPackets).to.equal(want.counters.gradedPackets);
    expect(want.counters.computeCycles).to.be.greaterThan(0);
  });

  it("energy per class of operation: synaptic ops, neuron updates, compute-node ops, traffic (with graded packets), static; they sum to the total", () => {
    const run = emulateBinary(back.binary, data.images, 1, T);
    const c = run.counters;
    const e = energyReport(target, {
      synapticOps: c.synapticOps, activeUpdates: c.activeUpdates, idleUpdates: c.idleUpdates, spikes: c.spikes, hopsX: c.hopsX, hopsY: c.hopsY,
      latency: c.seconds, chips: 1, cores: back.routed.cores.length, computeCycles: c.computeCycles, gradedPackets: c.gradedPackets, gradedHops: c.gradedHops,
    }, 1000, 0);
    const k = e.classes;
    if (!k) throw new Error("no classes");
    expect(k.computeNodeOps).to.be.closeTo(c.computeCycles * (target.processors?.joulesPerCycle.value ?? 0), 1e-18);
    expect(k.traffic).to.be.at.least(c.gradedPackets * target.energy.spikeJoules.value);
    expect(k.synapticOps + k.neuronUpdates + k.computeNodeOps + k.traffic + k.static).to.be.closeTo(e.snnJoulesPerInference, 1e-15);
  });

  it("corrupted CMPT bytes are coded errors naming the byte", () => {
    const s = cmptOf(back.binary);
    // fixed-point format byte (s16.15 → s16.14): SNNC509 at that byte
    expect(codeAt(() => decodeBinary(patched(back.binary, 72, 14)))).to.deep.equal({ code: "SNNC509", byte: s.at + 72 });
    // first node's operation code: SNNC508 at that byte
    expect(codeAt(() => decodeBinary(patched(back.binary, 82, 9)))).to.deep.equal({ code: "SNNC508", byte: s.at + 82 });
    // first node's element count: SNNC509 at the node record
    expect(codeAt(() => decodeBinary(patched(back.binary, 84, 7, 4)))).to.deep.equal({ code: "SNNC509", byte: s.at + 84 });
    // compute nodes' payload width 40 bits: SNNC509 at that byte
    expect(codeAt(() => decodeBinary(patched(back.binary, 75, 40)))).to.deep.equal({ code: "SNNC509", byte: s.at + 75 });
    // first node's payload shift (flags bits 4–7) no longer the payloadShift of the projections out of it: SNNC509
    const flags = back.binary[s.at + 83] as number;
    expect(codeAt(() => decodeBinary(patched(back.binary, 83, (flags & 0x0f) | ((((flags >> 4) + 1) & 15) << 4)))).code).to.equal("SNNC509");
    // a flipped byte without fixing the checksum: SNNC503
    const raw = back.binary.slice();
    raw[s.at + 90] = (raw[s.at + 90] as number) ^ 0xff;
    expect(codeAt(() => decodeBinary(raw)).code).to.equal("SNNC503");
  });
});
