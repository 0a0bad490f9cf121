/**
 * network.snnb: byte-identical output for identical inputs, decode(encode(x)) keeps what was encoded, coded
 * errors (never crashes or hangs) on thousands of mutated binaries, and a flipped synapse weight caught by
 * verification at the right place.
 */
import { expect } from "chai";
import { CodedError } from "../../runtime/errors.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { loadNetwork, synapseCount } from "../../runtime/emulator/network.ts";
import { crc32 } from "../../runtime/format/crc32.ts";
import { HEADER_BYTES, SECTION, SECTION_ENTRY_BYTES, SECTION_ORDER, TABLE_CRC_OFFSET } from "../../runtime/format/spec.ts";
import { layoutCores } from "../../backends/common.ts";
import { BACKENDS } from "../../backends/index.ts";
import { verifyBitExact } from "../../compiler/verify/bitexact.ts";
import { loadDataset } from "../../compiler/data/dataset.ts";
import { seededRandom } from "../helpers/tfjs-models.ts";
import { compileCached, EXAMPLES, request, SAMPLE_DATA } from "../helpers/compile.ts";
import { runBackEnd } from "../../compiler/pipeline.ts";
import { randomNetwork } from "../../compiler/ir/synthetic.ts";
import { loadTarget } from "../../compiler/target/load.ts";

function sectionOffset(bytes: Uint8Array, id: number): { offset: number; length: number; entry: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = v.getUint32(12, true);
  for (let i = 0; i < n; i++) {
    const at = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    if (v.getUint32(at, true) === id) return { offset: v.getUint32(at + 4, true), length: v.getUint32(at + 8, true), entry: at };
  }
  throw new Error("section not found");
}

/** Rewrite a section's CRC after editing it, then the table's and the header's (so no checksum catches it). */
function fixCrc(bytes: Uint8Array, id: number): void {
  const s = sectionOffset(bytes, id);
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  v.setUint32(s.entry + 12, crc32(bytes, s.offset, s.offset + s.length), true);
  resealTable(bytes);
}

function resealTable(bytes: Uint8Array): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  v.setUint32(TABLE_CRC_OFFSET, crc32(bytes, HEADER_BYTES, HEADER_BYTES + v.getUint32(12, true) * SECTION_ENTRY_BYTES), true);
  v.setUint32(60, crc32(bytes, 0, 60), true);
}

describe("network.snnb format", function () {
  this.timeout(300_000);

  it("encodes identical inputs to identical bytes, for both families", async () => {
    for (const target of ["loihi", "spinnaker"]) {
      const out = await compileCached(request(EXAMPLES.mlp, target));
      const backend = BACKENDS.find((b) => b.family === out.target.family);
      const again = backend?.encode(out.pipeline.routed, out.target, { snncVersion: out.report.snncVersion, modelName: "mlp/model.json", modelHash: JSON.parse(new TextDecoder().decode(out.binary.subarray(sectionOffset(out.binary, SECTION.META).offset, sectionOffset(out.binary, SECTION.META).offset + sectionOffset(out.binary, SECTION.META).length))).model.sha256, method: "ecc", timesteps: 16 });
      expect(again && Buffer.compare(Buffer.from(again), Buffer.from(out.binary))).to.equal(0);
    }
  });

  it("decodes what was encoded: cores, placement, neurons, parameters, synapse counts", async () => {
    for (const target of ["loihi", "spinnaker2"]) {
      const out = await compileCached(request(EXAMPLES.cnn, target));
      const r = out.pipeline.routed;
      const d = decodeBinary(out.binary);
      expect(d.system.cores.length).to.equal(r.cores.length);
      r.placement.forEach((loc, i) => {
        const c = d.system.cores[i];
        expect([c?.chipX, c?.chipY, c?.index]).to.deep.equal([loc.chipX, loc.chipY, loc.index]);
      });
      const { layouts } = layoutCores(r);
      layouts.forEach((L, k) => {
        const core = d.cores[k];
        expect(core?.profile.length).to.equal(L.pop.length);
        for (let i = 0; i < L.pop.length; i += 97) {
          const pop = r.q.populations[L.pop[i] as number];
          const prof = core?.profiles[core.profile[i] as number];
          expect(prof?.threshold).to.equal(pop?.params.threshold);
          const ch = (L.neuron[i] as number) % (pop?.shape[2] ?? 1);
          expect(core?.vInit[i]).to.equal(pop?.params.vInit[ch]);
          expect((core?.biasMantissa[i] as number) * 2 ** (core?.biasExponent[i] as number)).to.equal(pop?.params.bias[ch]);
        }
      });
      // Every synapse of the network is in the tables exactly once (Loihi also has one self-synapse per
      // two-compartment neuron).
      const net = loadNetwork(d);
      const stored = synapseCount(net);
      const selfSynapses = r.q.populations.reduce((a, p) => a + (r.compartments[p.id] === 2 ? p.size : 0), 0);
      expect(stored).to.equal(out.report.network.synapses + selfSynapses - (target.startsWith("spinnaker") ? zeroWeights(out) : 0));
      expect(d.meta.timesteps).to.equal(16);
      expect(d.meta.populations.map((p) => p.name)).to.deep.equal(r.q.populations.map((p) => p.name));
    }
  });

  it("rejects corrupt, truncated, wrong-version and wrong-CRC files with coded errors and byte offsets", async () => {
    const out = await compileCached(request(EXAMPLES.mlp, "loihi"));
    const good = out.binary;
    const expectCode = (bytes: Uint8Array, code: string) => {
      try {
        loadNetwork(decodeBinary(bytes));
      } catch (e) {
        expect(e, String(e)).to.be.instanceOf(CodedError);
        expect((e as CodedError).code).to.equal(code);
        return e as CodedError;
      }
      throw new Error(`expected ${code}`);
    };
    const bad = Uint8Array.from(good);
    bad[0] = 0x58;
    expect(expectCode(bad, "SNNC501").loc.byte).to.equal(0);
    const ver = Uint8Array.from(good);
    ver[4] = 9;
    expectCode(ver, "SNNC502");
    const head = Uint8Array.from(good);
    head[40] = (head[40] as number) ^ 1;
    expect(expectCode(head, "SNNC503").loc.byte).to.equal(60);
    const body = Uint8Array.from(good);
    const syns = sectionOffset(body, SECTION.SYNS);
    body[syns.offset + 40] = (body[syns.offset + 40] as number) ^ 0x10;
    expect(expectCode(body, "SNNC503").loc.byte).to.equal(syns.offset);
    // the section table is sealed by its own CRC (in the header): a changed length is caught at byte 64
    const table = Uint8Array.from(good);
    table[HEADER_BYTES + 8] = (table[HEADER_BYTES + 8] as number) ^ 0x01;
    expect(expectCode(table, "SNNC503").loc.byte).to.equal(HEADER_BYTES);
    // a 1.0 file (no table CRC) is still read
    const v10 = Uint8Array.from(good);
    const dv = new DataView(v10.buffer);
    dv.setUint16(6, 0, true);
    dv.setUint32(TABLE_CRC_OFFSET, 0, true);
    dv.setUint32(60, crc32(v10, 0, 60), true);
    expect(loadNetwork(decodeBinary(v10)).neurons).to.equal(loadNetwork(decodeBinary(good)).neurons);
    expectCode(good.subarray(0, good.length - 100), "SNNC504");
    expectCode(good.subarray(0, 30), "SNNC504");
    // a count inside a section that points past its data, with a fixed-up CRC
    const count = Uint8Array.from(good);
    const s = sectionOffset(count, SECTION.SYNS);
    new DataView(count.buffer).setUint32(s.offset + 4 + 4, 0x7fffffff, true);
    fixCrc(count, SECTION.SYNS);
    const e = expectCode(count, "SNNC504");
    expect(e.loc.byte).to.be.within(s.offset, s.offset + s.length);
    // well-formed JSON metadata without the keys the runtime reads, with a fixed-up CRC
    const meta = Uint8Array.from(good);
    const m = sectionOffset(meta, SECTION.META);
    const doc = JSON.parse(new TextDecoder().decode(meta.subarray(m.offset, m.offset + m.length))) as Record<string, unknown>;
    delete doc.populations;
    meta.fill(0x20, m.offset, m.offset + m.length);
    meta.set(new TextEncoder().encode(JSON.stringify(doc)), m.offset);
    fixCrc(meta, SECTION.META);
    const me = expectCode(meta, "SNNC504");
    expect(me.message).to.contain("populations");
    expect(me.loc.byte).to.equal(m.offset);
  });

  it("a layer wider than the 16-bit block coordinates is SNNC405 naming it, before any byte is written", () => {
    const target = loadTarget("loihi2");
    const { q } = randomNetwork(target, 70001, 2); // flat [1, 1, 70001]
    expect(() => runBackEnd(q, target, 8)).to.throw(/layer "random" has 70001 channels/).with.property("code", "SNNC405");
  });

  it("fuzz: 3,000 mutated binaries give coded errors only (or decode)", async () => {
    const out = await compileCached(request(EXAMPLES.mlp, "spinnaker"));
    const good = out.binary;
    const rand = seededRandom(42);
    const codes = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      let b = Uint8Array.from(good);
      const mode = i % 4;
      if (mode === 0) for (let k = 0; k < 1 + Math.floor(rand() * 8); k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      else if (mode === 1) b = b.subarray(0, Math.floor(rand() * b.length));
      else if (mode === 2) {
        // change a length or count field and re-seal every checksum, so the structural checks must catch it
        const v = new DataView(b.buffer);
        const at = HEADER_BYTES + Math.floor(rand() * 8) * SECTION_ENTRY_BYTES;
        const sec = v.getUint32(at + 4, true);
        v.setUint32(sec + Math.floor(rand() * 16) * 4, Math.floor(rand() * 0xffffffff), true);
        for (const name of SECTION_ORDER) fixCrc(b, SECTION[name]);
      } else {
        const v = new DataView(b.buffer);
        const at = HEADER_BYTES + Math.floor(rand() * 8) * SECTION_ENTRY_BYTES;
        v.setUint32(at + 4 + 4 * Math.floor(rand() * 2), Math.floor(rand() * 2 ** 32), true);
      }
      try {
        loadNetwork(decodeBinary(b));
        codes.set("ok", (codes.get("ok") ?? 0) + 1);
      } catch (e) {
        if (!(e instanceof CodedError)) throw new Error(`mutation ${i} (mode ${mode}) threw ${(e as Error).stack}`);
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      }
    }
    expect([...codes.keys()].every((c) => /^(ok|SNNC50[1-7])$/.test(c))).to.equal(true);
    expect(codes.get("SNNC504") ?? 0).to.be.greaterThan(100);
    expect(codes.get("SNNC503") ?? 0).to.be.greaterThan(100);
  });

  it("a flipped synapse weight is reported by verification at the layer and core it feeds", async () => {
    const out = await compileCached(request(EXAMPLES.cnn, "loihi"));
    const bytes = Uint8Array.from(out.binary);
    const d = decodeBinary(bytes);
    if (d.synapses.kind !== "loihi") throw new Error("expected Loihi tables");
    const conv2 = d.meta.populations.findIndex((p) => p.name === "conv2");
    const core = d.cores.findIndex((c) => c.blocks.some((b) => b.pop === conv2));
    // Walk SYNS to that core's weights and negate one synapse in each of its first 50 axons.
    const syns = sectionOffset(bytes, SECTION.SYNS);
    const v = new DataView(bytes.buffer);
    let o = syns.offset + 4;
    for (let k = 0; k < d.cores.length; k++) {
      const t = d.synapses.cores[k];
      if (!t) continue;
      o += 16 + t.formatExponent.length * 4 + t.axonFirstGroup.length * 8 + t.groupFirst.length * 4;
      if (k === core) {
        let w = 0;
        for (let a = 0; a < Math.min(50, t.axonFirstGroup.length); a++) {
          const g = t.axonFirstGroup[a] as number;
          let first = 0;
          for (let gi = 0; gi < g; gi++) first += t.groupCount[gi] as number;
          const at = o + 2 * first;
          const x = v.getInt16(at, true);
          v.setInt16(at, x === 0 ? 200 : -x, true);
          w++;
        }
        expect(w).to.equal(50);
        break;
      }
      o += t.weights.length * 2;
      o = syns.offset + Math.ceil((o - syns.offset) / 4) * 4;
    }
    fixCrc(bytes, SECTION.SYNS);
    const data = loadDataset(SAMPLE_DATA, { inputShape: [28, 28, 1], limit: 4 });
    const res = verifyBitExact(out.pipeline.quantised.q, bytes, data.images, 4, 16);
    expect(res.bitExact).to.equal(false);
    expect(res.firstMismatch?.layer).to.equal("conv2");
    expect(res.firstMismatch?.core).to.equal(core);
    // conv2 is 3 hops from the input: nothing can differ before its inputs arrive
    expect(res.firstMismatch?.timestep).to.be.at.least(3);
    // and the unmodified binary is bit-exact on the same inputs
    expect(verifyBitExact(out.pipeline.quantised.q, out.binary, data.images, 4, 16).bitExact).to.equal(true);
  });
});

function zeroWeights(out: Awaited<ReturnType<typeof compileCached>>): number {
  // SpiNNaker rows store no zero-weight synapses.
  let z = 0;
  for (const p of out.pipeline.quantised.q.populations) {
    for (const pr of p.inputs) {
      const c = pr.conn;
      if (c.kind === "dense") for (const w of c.weights) if (w === 0) z++;
    }
  }
  return z;
}
