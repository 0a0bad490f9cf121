/**
 * @fileoverview Source text of the generated standalone emulator (emulator/emulator.ts). The program reads
 * network.snnb next to it (checking its length and header CRC against the values folded in at generation),
 * decodes only the sections it needs at their folded offsets, builds its synapse lists (one CSR per delay)
 * and runs the timestep loop with one specialised update function per neuron rule. It imports nothing (plain
 * `node emulator.js`), so its few helpers are written out here; test/emulator-gen.test.ts pins its spikes
 * to the runtime emulator's.
 */

export interface TemplateConstants {
  readonly header: string;
  readonly family: "loihi" | "spinnaker";
  readonly fileLength: number;
  readonly headerCrc: number;
  /** Offset, length and CRC-32 of each section. */
  readonly sections: Readonly<Record<string, readonly [number, number, number]>>;
  readonly neurons: number;
  readonly coreBase: readonly number[];
  readonly rangeStart: readonly number[];
  readonly rangeRule: readonly number[];
  readonly rules: readonly string[];
  readonly timesteps: number;
  readonly readoutDepth: number;
  readonly classes: number;
  readonly inputSize: number;
  readonly inputShape: readonly number[];
  readonly poisson: boolean;
  readonly chipsX: number;
  readonly chipsY: number;
  readonly coresPerRouteBit: number;
  readonly coreChip: readonly (readonly [number, number, number])[];
}

const COMMON = String.raw`
declare const require: (m: string) => any;
declare const __dirname: string;
declare const process: { argv: string[]; exitCode?: number; stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } };
declare const Buffer: { from(a: ArrayBuffer | Uint8Array): Uint8Array };

const fs = require("fs");
const path = require("path");

class Fail extends Error {}

function crc32(b: Uint8Array, s: number, e: number): number {
  let c = 0xffffffff;
  for (let i = s; i < e; i++) {
    c ^= b[i] as number;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Loihi decay, truncating toward zero. */
function decay(x: number, d: number): number {
  if (x === 0) return 0;
  const t = Math.floor((Math.abs(x) * (4096 - d)) / 4096);
  return x < 0 ? -t : t;
}

function mtLevel(v: number, vth: number, levels: number, negTh: number): number {
  const half = Math.floor(vth / 2);
  if (v >= vth - half) {
    let k = levels - 1;
    while (k > 0 && v < vth * 2 ** k - half) k--;
    return 2 ** k;
  }
  if (negTh > 0) {
    const nh = Math.floor(negTh / 2);
    if (-v >= negTh - nh) {
      let k = levels - 1;
      while (k > 0 && -v < negTh * 2 ** k - nh) k--;
      return -(2 ** k);
    }
  }
  return 0;
}

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function inputBias(pixel: number, gainScaled: number, mantBits: number, expMax: number): number {
  const x = roundHalfAway(pixel * gainScaled);
  const max = 2 ** (mantBits - 1) - 1;
  let e = 0;
  while (e < expMax && Math.abs(roundHalfAway(x / 2 ** e)) > max) e++;
  return Math.max(-max, Math.min(max, roundHalfAway(x / 2 ** e))) * 2 ** e;
}

function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

/** .npy reader: float32/float64 as they are, uint8 divided by 255. */
function readNpy(file: string): { shape: number[]; data: Float32Array } {
  const b: Uint8Array = fs.readFileSync(file);
  if (b[0] !== 0x93 || b[1] !== 0x4e) throw new Fail("not a .npy file: " + file);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const major = b[6] as number;
  const hl = major === 1 ? v.getUint16(8, true) : v.getUint32(8, true);
  const hs = major === 1 ? 10 : 12;
  const header = String.fromCharCode(...b.subarray(hs, hs + hl));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? "";
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const n = shape.reduce((a, x) => a * x, 1);
  const body = new Uint8Array(b.subarray(hs + hl)); // a fresh, aligned copy (Buffer.slice would be a view)
  const out = new Float32Array(n);
  if (descr === "<f4") out.set(new Float32Array(body.buffer, 0, n));
  else if (descr === "<f8") out.set(new Float64Array(body.buffer, 0, n));
  else if (descr === "|u1") for (let i = 0; i < n; i++) out[i] = (body[i] as number) / 255;
  else throw new Fail("unsupported .npy dtype " + descr);
  return { shape, data: out };
}

class Growable {
  a = new Float64Array(1024);
  n = 0;
  push(x: number): void {
    if (this.n === this.a.length) { const b = new Float64Array(this.a.length * 2); b.set(this.a); this.a = b; }
    this.a[this.n++] = x;
  }
}
`;

const LOIHI_LOADER = String.raw`
/** Synapses through the output axon maps and the destination cores' synapse groups. */
function loadSynapses(b: Uint8Array, add: (src: number, dst: number, w: number, d: number) => void): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  // SYNS: per core formats, axon directory, groups, weights.
  const syn: { shift: number; fexp: Int8Array; fdelay: Uint8Array; afirst: Uint32Array; agroups: Uint16Array; gfirst: Uint16Array; gcount: Uint8Array; gfmt: Uint8Array; gw: Int32Array; w: Int16Array }[] = [];
  let o = SECTION_SYNS;
  const nc = v.getUint32(o, true); o += 4;
  for (let k = 0; k < nc; k++) {
    const nf = v.getUint16(o, true); const shift = v.getUint16(o + 2, true);
    const na = v.getUint32(o + 4, true); const ng = v.getUint32(o + 8, true); const ns = v.getUint32(o + 12, true); o += 16;
    const fexp = new Int8Array(nf); const fdelay = new Uint8Array(nf);
    for (let f = 0; f < nf; f++) { fexp[f] = v.getInt8(o); fdelay[f] = v.getUint8(o + 2); o += 4; }
    const afirst = new Uint32Array(na); const agroups = new Uint16Array(na);
    for (let a = 0; a < na; a++) { afirst[a] = v.getUint32(o, true); agroups[a] = v.getUint16(o + 4, true); o += 8; }
    const gfirst = new Uint16Array(ng); const gcount = new Uint8Array(ng); const gfmt = new Uint8Array(ng); const gw = new Int32Array(ng + 1);
    for (let g = 0; g < ng; g++) { gfirst[g] = v.getUint16(o, true); gcount[g] = v.getUint8(o + 2); gfmt[g] = v.getUint8(o + 3); gw[g + 1] = (gw[g] as number) + (gcount[g] as number); o += 4; }
    const w = new Int16Array(ns);
    for (let s = 0; s < ns; s++) { w[s] = v.getInt16(o, true); o += 2; }
    o = SECTION_SYNS + Math.ceil((o - SECTION_SYNS) / 4) * 4;
    syn.push({ shift, fexp, fdelay, afirst, agroups, gfirst, gcount, gfmt, gw, w });
  }
  // ROUT: per core, each neuron's (destination core, axon) list.
  o = SECTION_ROUT;
  const nr = v.getUint32(o, true); o += 4;
  for (let k = 0; k < nr; k++) {
    const n = v.getUint32(o, true); const entries = v.getUint32(o + 4, true); o += 8;
    const offs = o; o += (n + 1) * 4;
    const ent = o; o += entries * 4;
    for (let i = 0; i < n; i++) {
      const src = (CORE_BASE[k] as number) + i;
      for (let e = v.getUint32(offs + i * 4, true); e < v.getUint32(offs + i * 4 + 4, true); e++) {
        const dc = v.getUint16(ent + e * 4, true); const ax = v.getUint16(ent + e * 4 + 2, true);
        const t = syn[dc];
        if (!t || ax >= t.afirst.length) throw new Fail("axon map points outside the synapse tables");
        const g0 = t.afirst[ax] as number;
        for (let g = g0; g < g0 + (t.agroups[ax] as number); g++) {
          const f = t.gfmt[g] as number;
          const scale = 2 ** (t.shift + (t.fexp[f] as number));
          let w0 = t.gw[g] as number;
          for (let j = 0; j < (t.gcount[g] as number); j++) add(src, (CORE_BASE[dc] as number) + (t.gfirst[g] as number) + j, (t.w[w0++] as number) * scale, t.fdelay[f] as number);
        }
      }
    }
  }
}
`;

const SPINNAKER_LOADER = String.raw`
const DX = [1, 1, 0, -1, -1, 0];
const DY = [0, 1, 1, 0, -1, -1];

/** Synapses through the multicast tables (first match, default routing) and the master population tables. */
function loadSynapses(b: Uint8Array, add: (src: number, dst: number, w: number, d: number) => void): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let o = SECTION_SYNS;
  const nc = v.getUint32(o, true); o += 4;
  const pt: { key: number[]; mask: number[]; row: number[]; len: number[]; n: number[]; words: number }[] = [];
  for (let k = 0; k < nc; k++) {
    const ne = v.getUint32(o, true); const nw = v.getUint32(o + 4, true); o += 8;
    const t = { key: [] as number[], mask: [] as number[], row: [] as number[], len: [] as number[], n: [] as number[], words: 0 };
    for (let e = 0; e < ne; e++) { t.key.push(v.getUint32(o, true)); t.mask.push(v.getUint32(o + 4, true)); t.row.push(v.getUint32(o + 8, true)); t.len.push(v.getUint16(o + 12, true)); t.n.push(v.getUint16(o + 14, true)); o += 16; }
    t.words = o; o += nw * 4;
    pt.push(t);
  }
  // Profiles give the left shifts of each neuron (NEUR).
  const posShift = new Uint8Array(N_NEURONS); const negShift = new Uint8Array(N_NEURONS);
  o = SECTION_NEUR + 4;
  for (let k = 0; k < nc; k++) {
    const np = v.getUint16(o, true); const nb = v.getUint16(o + 2, true); const nn = v.getUint32(o + 4, true); o += 8;
    const prof = o; o += np * 24 + nb * 16;
    for (let i = 0; i < nn; i++) {
      const p = v.getUint8(o + i * 12);
      posShift[(CORE_BASE[k] as number) + i] = v.getUint8(prof + p * 24 + 22);
      negShift[(CORE_BASE[k] as number) + i] = v.getUint8(prof + p * 24 + 23);
    }
    o += nn * 12;
  }
  // ROUT: per core key blocks, then per chip routing tables.
  o = SECTION_ROUT;
  const nk = v.getUint32(o, true); o += 4;
  const blocks: [number, number, number, number, number][] = [];
  for (let k = 0; k < nk; k++) {
    const nb = v.getUint32(o, true); o += 4;
    for (let i = 0; i < nb; i++) { blocks.push([k, v.getUint16(o, true), v.getUint16(o + 2, true), v.getUint32(o + 4, true), v.getUint32(o + 8, true)]); o += 12; }
  }
  const tables = new Map<number, { k: number[]; m: number[]; r: number[] }>();
  const nt = v.getUint32(o, true); o += 4;
  for (let t = 0; t < nt; t++) {
    const x = v.getUint16(o, true); const y = v.getUint16(o + 2, true); const ne = v.getUint32(o + 4, true); o += 8;
    const tab = { k: [] as number[], m: [] as number[], r: [] as number[] };
    for (let e = 0; e < ne; e++) { tab.k.push(v.getUint32(o, true)); tab.m.push(v.getUint32(o + 4, true)); tab.r.push(v.getUint32(o + 8, true)); o += 12; }
    tables.set(y * CHIPS_X + x, tab);
  }
  const coreAt = new Map<number, number>();
  CORE_CHIP.forEach((c, k) => coreAt.set((c[1] * CHIPS_X + c[0]) * 256 + c[2], k));
  for (const [k, first, count, key] of blocks) {
    // Follow one packet of the block.
    const dests: number[] = [];
    const seen = new Set<number>();
    const queue: [number, number, number][] = [[(CORE_CHIP[k] as readonly number[])[0] as number, (CORE_CHIP[k] as readonly number[])[1] as number, -1]];
    while (queue.length > 0) {
      const [x, y, inLink] = queue.shift() as [number, number, number];
      const chip = y * CHIPS_X + x;
      if (seen.has(chip)) throw new Fail("routing loop");
      seen.add(chip);
      const tab = tables.get(chip);
      let route = -1;
      if (tab) for (let e = 0; e < tab.k.length; e++) if (((key & (tab.m[e] as number)) >>> 0) === tab.k[e]) { route = tab.r[e] as number; break; }
      if (route < 0) { if (inLink < 0) break; route = 1 << ((inLink + 3) % 6); }
      for (let g = 0; g < 26; g++) if (route & (1 << (6 + g))) for (let p = g * CORES_PER_ROUTE_BIT; p < (g + 1) * CORES_PER_ROUTE_BIT; p++) { const c = coreAt.get(chip * 256 + p); if (c !== undefined) dests.push(c); }
      for (let l = 0; l < 6; l++) if (route & (1 << l)) queue.push([(((x + (DX[l] as number)) % CHIPS_X) + CHIPS_X) % CHIPS_X, (((y + (DY[l] as number)) % CHIPS_Y) + CHIPS_Y) % CHIPS_Y, (l + 3) % 6]);
    }
    for (let j = 0; j < count; j++) {
      const src = (CORE_BASE[k] as number) + first + j;
      const kj = (key | j) >>> 0;
      for (const dc of dests) {
        const t = pt[dc];
        if (!t) continue;
        for (let e = 0; e < t.key.length; e++) {
          if (((kj & (t.mask[e] as number)) >>> 0) !== t.key[e]) continue;
          const index = (kj & ~(t.mask[e] as number)) >>> 0;
          if (index >= (t.n[e] as number)) break;
          const row = t.words + ((t.row[e] as number) + index * (t.len[e] as number)) * 4;
          const n = v.getUint32(row + 4, true);
          for (let s = 0; s < n; s++) {
            const w = v.getUint32(row + 12 + s * 4, true);
            const target = (CORE_BASE[dc] as number) + (w & 0x7ff);
            const mag = w >>> 16;
            const weight = (w >>> 11) & 1 ? -mag * 2 ** (negShift[target] as number) : mag * 2 ** (posShift[target] as number);
            add(src, target, weight, ((w >>> 12) & 0xf) + 1);
          }
          break;
        }
      }
    }
  }
}
`;

const MAIN = String.raw`
function main(argv: string[]): void {
  const arg = (name: string): string | undefined => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const binPath = arg("--binary") ?? path.join(__dirname, "..", "network.snnb");
  const inputPath = arg("--input");
  if (!inputPath) throw new Fail("usage: node emulator.js --input x.npy [--timesteps T] [--binary network.snnb] [--json]");
  const T = Number(arg("--timesteps") ?? TIMESTEPS);
  const b: Uint8Array = fs.readFileSync(binPath);
  if (b.length !== FILE_LENGTH || crc32(b, 0, 60) !== HEADER_CRC) throw new Fail("this emulator was generated for another network.snnb (length or header CRC differ)");
  for (const [name, [off, len, crc]] of Object.entries(SECTIONS)) if (crc32(b, off, off + len) !== crc) throw new Fail("section " + name + " checksum mismatch");
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  // Neuron state parameters (NEUR): bias and initial v.
  const bias = new Float64Array(N_NEURONS);
  const vInit = new Float64Array(N_NEURONS);
  let o = SECTION_NEUR;
  const nc = v.getUint32(o, true); o += 4;
  for (let k = 0; k < nc; k++) {
    const np = v.getUint16(o, true); const nb = v.getUint16(o + 2, true); const nn = v.getUint32(o + 4, true); o += 8 + np * 24 + nb * 16;
    for (let i = 0; i < nn; i++) {
      bias[(CORE_BASE[k] as number) + i] = v.getInt32(o + 4, true) * 2 ** v.getUint8(o + 1);
      vInit[(CORE_BASE[k] as number) + i] = v.getInt32(o + 8, true);
      o += 12;
    }
  }
  // Input and output maps.
  const im = SECTION_INPM;
  const poissonEnc = v.getUint8(im) === 1;
  const mantBits = v.getUint8(im + 1); const expMax = v.getUint8(im + 2); const seed = v.getUint32(im + 4, true);
  const gainScaled = v.getFloat64(im + 8, true); const gain = v.getFloat64(im + 16, true);
  const inputNeuron = new Int32Array(INPUT_SIZE);
  for (let i = 0; i < INPUT_SIZE; i++) inputNeuron[i] = (CORE_BASE[v.getUint16(im + 28 + i * 4, true)] as number) + v.getUint16(im + 30 + i * 4, true);
  const om = SECTION_OUTM;
  const countReadout = v.getUint8(om) === 3;
  const outNeuron = new Int32Array(CLASSES);
  for (let c = 0; c < CLASSES; c++) outNeuron[c] = (CORE_BASE[v.getUint16(om + 12 + c * 4, true)] as number) + v.getUint16(om + 14 + c * 4, true);
  // Synapses: one CSR per delay.
  const lists = new Map<number, { src: Growable; dst: Growable; w: Growable }>();
  loadSynapses(b, (src, dst, w, d) => {
    let l = lists.get(d);
    if (!l) { l = { src: new Growable(), dst: new Growable(), w: new Growable() }; lists.set(d, l); }
    l.src.push(src); l.dst.push(dst); l.w.push(w);
  });
  const csr = [...lists.entries()].sort((x, y) => x[0] - y[0]).map(([d, l]) => {
    const start = new Int32Array(N_NEURONS + 1);
    for (let i = 0; i < l.src.n; i++) start[(l.src.a[i] as number) + 1] = (start[(l.src.a[i] as number) + 1] as number) + 1;
    for (let i = 0; i < N_NEURONS; i++) start[i + 1] = (start[i + 1] as number) + (start[i] as number);
    const fill = Int32Array.from(start.subarray(0, N_NEURONS));
    const target = new Int32Array(l.src.n); const weight = new Float64Array(l.src.n);
    for (let i = 0; i < l.src.n; i++) { const s = l.src.a[i] as number; const at = fill[s] as number; fill[s] = at + 1; target[at] = l.dst.a[i] as number; weight[at] = l.w.a[i] as number; }
    return { delay: d, start, target, weight };
  });
  const R = Math.max(1, ...csr.map((c) => c.delay)) + 1;
  const x = readNpy(inputPath);
  const samples = Math.max(1, Math.floor(x.data.length / INPUT_SIZE));
  const results: { prediction: number; scores: number[]; spikes: number; synapticOps: number; spikeHash: number }[] = [];
  const vArr = new Float64Array(N_NEURONS); const uArr = new Float64Array(N_NEURONS); const eArr = new Float64Array(N_NEURONS);
  const ring = Array.from({ length: R }, () => new Float64Array(N_NEURONS));
  const idx = new Int32Array(N_NEURONS); const pay = new Int32Array(N_NEURONS);
  const isOut = new Int32Array(N_NEURONS).fill(-1);
  outNeuron.forEach((g, c) => { isOut[g] = c; });
  for (let sample = 0; sample < samples; sample++) {
    vArr.set(vInit); uArr.fill(0); eArr.fill(0);
    for (const r of ring) r.fill(0);
    const px = x.data.subarray(sample * INPUT_SIZE, (sample + 1) * INPUT_SIZE);
    const thr = new Float64Array(INPUT_SIZE);
    for (let i = 0; i < INPUT_SIZE; i++) {
      if (poissonEnc) thr[i] = Math.floor(Math.min(Math.max((px[i] as number) * gain, 0), 1) * 4294967296);
      else bias[inputNeuron[i] as number] = inputBias(px[i] as number, gainScaled, mantBits, expMax);
    }
    const rng = xorshift32(seed + sample);
    const counts = new Float64Array(CLASSES);
    let spikes = 0; let synOps = 0; let hash = 2166136261;
    for (let t = 0; t < T + READOUT_DEPTH; t++) {
      const q = ring[t % R] as Float64Array;
      let n = 0;
      for (let r = 0; r < RANGE_RULE.length; r++) {
        if (POISSON && RANGE_INPUT[r]) continue;
        n = (UPDATE[RANGE_RULE[r] as number] as typeof update0)(vArr, uArr, eArr, q, bias, RANGE_START[r] as number, RANGE_START[r + 1] as number, idx, pay, n);
      }
      if (poissonEnc) for (let i = 0; i < INPUT_SIZE; i++) if (rng() < (thr[i] as number)) { idx[n] = inputNeuron[i] as number; pay[n] = 1; n++; }
      q.fill(0);
      for (let j = 0; j < n; j++) {
        const s = idx[j] as number;
        hash = Math.imul(hash ^ (t * 1000003 + s), 16777619) >>> 0;
        hash = Math.imul(hash ^ ((pay[j] as number) + 7), 16777619) >>> 0;
        const c = isOut[s] as number;
        if (c >= 0 && t >= READOUT_DEPTH) counts[c] = (counts[c] as number) + 1;
      }
      spikes += n;
      for (const c of csr) {
        const slot = ring[(t + c.delay) % R] as Float64Array;
        for (let j = 0; j < n; j++) {
          const s = idx[j] as number; const p = pay[j] as number;
          const k0 = c.start[s] as number; const k1 = c.start[s + 1] as number;
          synOps += k1 - k0;
          for (let k = k0; k < k1; k++) slot[c.target[k] as number] = (slot[c.target[k] as number] as number) + p * (c.weight[k] as number);
        }
      }
    }
    const scores = Array.from(outNeuron, (g, c) => (countReadout ? (counts[c] as number) : (vArr[g] as number)));
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if ((scores[c] as number) > (scores[best] as number)) best = c;
    results.push({ prediction: best, scores, spikes, synapticOps: synOps, spikeHash: hash });
  }
  if (argv.includes("--json")) process.stdout.write(JSON.stringify(samples === 1 ? results[0] : { samples: results }) + "\n");
  else for (const r of results) process.stdout.write("prediction " + r.prediction + "  scores " + r.scores.map((s) => s.toFixed(0)).join(" ") + "\n");
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write("error: " + (e as Error).message + "\n");
  process.exitCode = e instanceof Fail ? 1 : 70;
}
`;

function list(xs: readonly number[]): string {
  return `[${xs.join(", ")}]`;
}

export function renderEmulator(c: TemplateConstants, ruleCode: readonly string[], rangeInput: readonly number[]): string {
  return [
    c.header,
    COMMON,
    `const FILE_LENGTH = ${c.fileLength};`,
    `const HEADER_CRC = ${c.headerCrc};`,
    `const SECTIONS: Record<string, [number, number, number]> = ${JSON.stringify(Object.fromEntries(Object.entries(c.sections).map(([k, v]) => [k, v])))};`,
    ...Object.entries(c.sections).map(([k, [off]]) => `const SECTION_${k} = ${off};`),
    `const N_NEURONS = ${c.neurons};`,
    `const CORE_BASE = new Int32Array(${list(c.coreBase)});`,
    `const RANGE_START = new Int32Array(${list(c.rangeStart)});`,
    `const RANGE_RULE = new Int32Array(${list(c.rangeRule)});`,
    `const RANGE_INPUT = new Uint8Array(${list(rangeInput)});`,
    `const TIMESTEPS = ${c.timesteps};`,
    `const READOUT_DEPTH = ${c.readoutDepth};`,
    `const CLASSES = ${c.classes};`,
    `const INPUT_SIZE = ${c.inputSize};`,
    `const POISSON = ${c.poisson};`,
    `const CHIPS_X = ${c.chipsX};`,
    `const CHIPS_Y = ${c.chipsY};`,
    `const CORES_PER_ROUTE_BIT = ${c.coresPerRouteBit};`,
    `const CORE_CHIP: readonly (readonly [number, number, number])[] = ${JSON.stringify(c.coreChip)};`,
    `void CHIPS_Y; void CORES_PER_ROUTE_BIT; void CORE_CHIP; void SECTIONS;`,
    ...ruleCode,
    `const UPDATE = [${ruleCode.map((_, i) => `update${i}`).join(", ")}];`,
    c.family === "loihi" ? LOIHI_LOADER : SPINNAKER_LOADER,
    MAIN,
  ].join("\n");
}
