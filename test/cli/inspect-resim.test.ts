/**
 * `inspect --json` alone is enough to re-simulate a Loihi network: a small simulator written here from the
 * published Loihi CUBA rules (Lava PyLifModelBitAcc / nengo-loihi emulator, /work/shared/reference
 * hardware.md §2), not from runtime/, reads only the JSON — the stored synapse tables (mantissa, exponent,
 * weight shift, delay), the input map and its encoding, the output map — and must spike exactly as the
 * emulator does, step by step, on the tiny Loihi target with the zero reset and with the two-compartment
 * soft reset (self-synapses), both compiles shared with the mapping tests.
 */
import { expect } from "chai";
import { inspectCommand } from "../../compiler/cli/inspect.ts";
import { readNpy } from "../../compiler/data/npy.ts";
import { SnncError } from "../../compiler/diagnostics.ts";
import { loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate } from "../../runtime/emulator/run.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { writeFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileCached, request } from "../helpers/compile.ts";
import { smallConvModel } from "../helpers/small.ts";

interface Dump {
  meta: { timesteps: number };
  system: { stepInputBits: number };
  coreBase: number[];
  input: { encoding: string; gainScaled: number; biasMantissaBits: number; biasExponentMax: number; neurons: number[] };
  output: { kind: string; readoutDepth: number; neurons: number[] };
  cores: {
    profiles: { model: number | string; kind: string; reset: number | string; stateBits: number; threshold: number; du: number; dv: number; decayBits: number }[];
    synapseTables: { weightShift: number; formats: { exponent: number; delay: number }[]; axonFirstGroup: number[]; axonGroups: number[]; groupFirst: number[]; groupCount: number[]; groupFormat: number[]; mantissas: number[] };
    neuronList: { profile: number; biasMantissa: number; biasExponent: number; vInit: number; axonsOut: [number, number][]; synapsesOut: [number, number, number][] }[];
  }[];
}

const half = (x: number) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5); // round half away from zero

/** Loihi's decay: sign(x)·((|x|·(2^D − d)) >> D). */
const decay = (x: number, d: number, D: number) => Math.sign(x) * Math.floor((Math.abs(x) * (2 ** D - d)) / 2 ** D);

/** Per step, the sorted neurons that spiked; and the scores. */
function resimulate(j: Dump, pixels: Float32Array): { spikes: number[][]; scores: number[] } {
  const N = j.cores.reduce((a, c) => a + c.neuronList.length, 0);
  const prof = j.cores.flatMap((c) => c.neuronList.map((n) => c.profiles[n.profile] as Dump["cores"][number]["profiles"][number]));
  const bias = j.cores.flatMap((c) => c.neuronList.map((n) => n.biasMantissa * 2 ** n.biasExponent));
  const v = j.cores.flatMap((c) => c.neuronList.map((n) => n.vInit));
  const u = new Array<number>(N).fill(0);
  // Synapses from the stored form: axon → groups → (compartment, mantissa · 2^(shift + exponent), delay).
  const out: [number, number, number][][] = [];
  j.cores.forEach((c) => c.neuronList.forEach((n) => {
    const syn: [number, number, number][] = [];
    for (const [dc, ax] of n.axonsOut) {
      const t = (j.cores[dc] as Dump["cores"][number]).synapseTables;
      let w = t.groupCount.slice(0, t.axonFirstGroup[ax]).reduce((a, b) => a + b, 0);
      for (let g = t.axonFirstGroup[ax] as number; g < (t.axonFirstGroup[ax] as number) + (t.axonGroups[ax] as number); g++) {
        const f = t.formats[t.groupFormat[g] as number] as { exponent: number; delay: number };
        for (let k = 0; k < (t.groupCount[g] as number); k++) syn.push([(j.coreBase[dc] as number) + (t.groupFirst[g] as number) + k, (t.mantissas[w++] as number) * 2 ** (t.weightShift + f.exponent), f.delay]);
      }
    }
    out.push(syn);
  }));
  // The stored form gives the effective weights listed next to it.
  expect(out).to.deep.equal(j.cores.flatMap((c) => c.neuronList.map((n) => n.synapsesOut)));
  expect(j.input.encoding).to.equal("current");
  j.input.neurons.forEach((g, e) => {
    const x = half((pixels[e] as number) * j.input.gainScaled);
    const max = 2 ** (j.input.biasMantissaBits - 1) - 1;
    let ex = 0;
    while (ex < j.input.biasExponentMax && Math.abs(half(x / 2 ** ex)) > max) ex++;
    bias[g] = Math.max(-max, Math.min(max, half(x / 2 ** ex))) * 2 ** ex;
  });
  const steps = j.meta.timesteps + j.output.readoutDepth;
  const q = Array.from({ length: steps + 64 }, () => new Array<number>(N).fill(0));
  const spikes: number[][] = [];
  for (let t = 0; t < steps; t++) {
    const fired: number[] = [];
    for (let i = 0; i < N; i++) {
      const p = prof[i] as Dump["cores"][number]["profiles"][number];
      const S = 2 ** (p.stateBits - 1);
      const B = 2 ** j.system.stepInputBits;
      let qi = (q[t] as number[])[i]!;
      if (j.system.stepInputBits > 0 && (qi >= B || qi < -B)) qi = ((((qi + B) % (2 * B)) + 2 * B) % (2 * B)) - B;
      let ui = decay(u[i] as number, p.du + 1, p.decayBits) + qi;
      if (ui >= S || ui < -S) ui = ((((ui + S) % (2 * S)) + 2 * S) % (2 * S)) - S;
      u[i] = ui;
      let vi = Math.max(-(S - 1), Math.min(S - 1, decay(v[i] as number, p.dv, p.decayBits) + ui + (bias[i] as number)));
      if (p.kind !== "readout" && vi > p.threshold) {
        fired.push(i);
        // (reset as the binary's code or its name)
        if (p.reset === 0 || p.reset === "zero") vi = 0;
        else if (p.reset === 1 || p.reset === "subtract") vi -= p.threshold;
      }
      v[i] = vi;
    }
    for (const s of fired) for (const [tg, w, d] of out[s] as [number, number, number][]) (q[t + d] as number[])[tg]! += w;
    spikes.push(fired);
  }
  expect(j.output.kind).to.equal("membrane");
  return { spikes, scores: j.output.neurons.map((g) => v[g] as number) };
}

describe("inspect --json re-simulates a Loihi network", function () {
  this.timeout(600_000);

  it("an independent CUBA simulator reading only the JSON spikes as the emulator, step by step", async () => {
    // (The tiny target's 21-bit input accumulator: j.system.stepInputBits.)
    const small = await smallConvModel();
    const zero = await compileCached(request(small.model, "tiny", { data: small.data, reset: "zero", samples: 8 }));
    // The two-compartment soft reset needs more chips than the tiny target has (as in the mapping tests).
    let chips = 2;
    try {
      await compileCached(request(small.model, "tiny", { data: small.data }));
    } catch (e) {
      if (!(e instanceof SnncError) || e.code !== "SNNC401") throw e;
      chips = Number(/--chips (\d+)/.exec(e.hint ?? "")?.[1]);
    }
    const soft = await compileCached(request(small.model, "tiny", { data: small.data, chips, samples: 8 }));
    const x = readNpy(readFileSync(small.data));
    const dir = mkdtempSync(join(tmpdir(), "snnc-resim-"));
    for (const [name, bin] of [["zero reset", zero.binary], ["two-compartment", soft.binary]] as const) {
      const file = join(dir, `${name.replace(" ", "-")}.snnb`);
      writeFileSync(file, bin);
      const r = await inspectCommand.run({ file, json: true }, { json: true, quiet: true } as never);
      const j = JSON.parse([...(r.jsonChunks ?? [])].join("")) as Dump;
      const net = loadNetwork(decodeBinary(bin));
      for (let s = 0; s < 2; s++) {
        const pixels = Float32Array.from(x.data.subarray(s * 36, (s + 1) * 36), (b) => (b as number) / 255);
        const mine = resimulate(j, pixels);
        const theirs: number[][] = [];
        const run = emulate(net, pixels, 1, { timesteps: j.meta.timesteps, onSpikes: (_s, _t, idx, _p, n) => theirs.push(Array.from(idx.subarray(0, n)).sort((a, b) => a - b)) });
        expect(mine.spikes.flat().length, name).to.be.greaterThan(0);
        expect(mine.spikes, `${name}, sample ${s}`).to.deep.equal(theirs);
        expect(mine.scores, `${name}, sample ${s}`).to.deep.equal(Array.from(run.scores));
      }
      if (name === "two-compartment") expect(j.cores.some((c) => c.neuronList.some((n, i) => n.synapsesOut.some(([t, w]) => t === (j.coreBase[j.cores.indexOf(c)] as number) + i && w < 0)))).to.equal(true);
    }
  });
});
