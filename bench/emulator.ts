/**
 * @fileoverview Emulator benchmark: the same network in our emulator and in Brian2 (Debian python3-brian,
 * cython code target, single thread), in one run; synaptic events per second for both, their ratio, and our
 * figure as a fraction of the scatter-add bound measured in the same run on the same event stream.
 *
 *   node --max-old-space-size=12288 --import tsx bench/emulator.ts [--samples 200] [--mlp-samples 100]
 *        [--brian-samples 20] [--random 100000] [--fanout 100] [--random-steps 200] [--no-brian] [--threads-samples 200]
 *        [--nets cnn,mlp,random] [--out bench/results/emulator.json]
 *
 * Networks:
 *   cnn     the Fashion-MNIST CNN example compiled for loihi (ecc, T=32), run on test images;
 *   mlp     the Fashion-MNIST MLP example, likewise;
 *   random  a random recurrent IF network (compiler/ir/synthetic.ts: 100k neurons, 100 random targets each,
 *           80% excitatory, constant bias) mapped for loihi2 (native reset by subtraction).
 * All go through the whole back end (partition, place, route, network.snnb) and the emulator loads the
 * binary alone. The Brian2 twin (bench/brian2/twin.py) gets the synapses and neuron parameters read back
 * from the loaded emulator network, so both run exactly the same synapses; the bench checks that both
 * produce the same number of spikes.
 *
 * Events: one per (spike, synapse), Brian2's and our `synapticOps` alike. Rates are per CPU second of the
 * process (ours: process.cpuUsage; Brian2: time.process_time), best of 3, so that other jobs on a shared
 * machine slow the figures less than wall time would; wall-time rates are in the JSON too.
 *
 * The scatter-add bound: the spikes of one emulator run recorded, then replayed through a plain typed-array
 * scatter-add over one flat per-synapse table (Int32 target and weight per synapse, Float64 accumulator):
 * for each spike, for each of its synapses, one weight read and one add — no neuron updates, no counters,
 * no ring buffer. The emulator's rate as a fraction of that rate says how close it is to the memory limit of
 * delivering the same events. (The memchr read bandwidth, a looser bound, is printed for reference.)
 *
 * Kernels: each network runs twice, with the default kernels (the WebAssembly SIMD ones of
 * runtime/emulator/kernels.ts where installed and exact) and with the JavaScript path alone, and the two
 * runs must agree (scores, counters, spike counts, busy time); both rates are printed.
 *
 * Two threads: the CNN on --threads-samples samples through emulateParallel with 2 threads against 1, in
 * wall time (on a loaded machine this figure is only as good as the machine's idle share), best of two runs
 * each. The worker is the process's kept one (runtime/threads.ts's pool), as in a compile, where verify and
 * convert have started it before evaluate: the first two-thread run starts it (reported separately as the
 * cold figure), the second reuses it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { compileModel } from "../compiler/compile.ts";
import { DEFAULT_CONVERT_OPTIONS } from "../compiler/convert/methods.ts";
import { loadDataset } from "../compiler/data/dataset.ts";
import { writeNpy } from "../compiler/data/npy.ts";
import { loadTarget } from "../compiler/target/load.ts";
import { decodeBinary } from "../runtime/format/reader.ts";
import { inputBias } from "../runtime/input.ts";
import { loadNetwork, synapseCount, type EmuNetwork } from "../runtime/emulator/network.ts";
import { emulateParallel } from "../runtime/emulator/parallel.ts";
import { emulate } from "../runtime/emulator/run.ts";
import { type KernelChoice, kernelsAvailable } from "../runtime/emulator/kernels.ts";
import { runBackEnd } from "../compiler/pipeline.ts";
import { randomNetwork } from "../compiler/ir/synthetic.ts";

const argv = process.argv;
const arg = (name: string, dflt: number): number => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const SAMPLES = arg("--samples", 200);
const MLP_SAMPLES = arg("--mlp-samples", 100);
const THREAD_SAMPLES = arg("--threads-samples", 200);
const BRIAN_SAMPLES = arg("--brian-samples", 20);
const RANDOM_N = arg("--random", 100_000);
const FANOUT = arg("--fanout", 100);
const RANDOM_STEPS = arg("--random-steps", 200);
const BRIAN = !argv.includes("--no-brian") && existsSync("/usr/bin/python3");
const PYTHON = "/usr/bin/python3";
const NETS = new Set((argv.includes("--nets") ? (argv[argv.indexOf("--nets") + 1] ?? "") : "cnn,mlp,random").split(","));
const OUT = argv.includes("--out") ? (argv[argv.indexOf("--out") + 1] ?? "") : "bench/results/emulator.json";

/**
 * Single-thread sequential read bandwidth, bytes/s: a native vectorised scan (Buffer.indexOf of a byte that
 * is absent, i.e. memchr) over 256 MiB, best of 5.
 */
function readBandwidth(): number {
  const a = Buffer.alloc(256 * 1024 * 1024, 2);
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    if (a.indexOf(1) !== -1) throw new Error("unreachable");
    best = Math.min(best, performance.now() - t0);
  }
  return a.byteLength / (best / 1000);
}

interface Twin {
  readonly dir: string;
  readonly synapses: number;
}

/**
 * Writes the network as flat arrays for bench/brian2/twin.py, read back from the emulator network: per
 * neuron θ, v0, spiking (0 for readouts), subtract (1: v ← v − θ on a spike; 0: no reset, the Loihi 1
 * two-compartment construction whose self-synapse is an ordinary synapse here), per sample the biases; per
 * synapse pre, post, weight, delay (steps). Only plain integrate-and-fire Loihi neurons have a twin.
 */
function writeTwin(net: EmuNetwork, biases: Float64Array, samples: number): Twin {
  const N = net.neurons;
  const theta = new Float64Array(N);
  const v0 = Float64Array.from(net.vInit);
  const spiking = new Float64Array(N);
  const subtract = new Float64Array(N);
  for (let r = 0; r < net.rangeRule.length; r++) {
    const rule = net.rules[net.rangeRule[r] as number];
    if (!rule) continue;
    const ok = rule.model === "loihi-cuba" && rule.du === 4095 && rule.dv === 0
      && (rule.kind === "readout" || ((rule.kind === "if" || rule.kind === "input") && (rule.reset === "subtract" || rule.reset === "two-compartment")));
    if (!ok) throw new Error(`no Brian2 twin for neuron rule ${JSON.stringify(rule)}`);
    for (let i = net.rangeStart[r] as number; i < (net.rangeStart[r + 1] as number); i++) {
      theta[i] = rule.threshold;
      spiking[i] = rule.kind === "readout" ? 0 : 1;
      subtract[i] = rule.reset === "subtract" ? 1 : 0;
    }
  }
  const S = synapseCount(net);
  const pre = new Int32Array(S);
  const post = new Int32Array(S);
  const weight = new Float64Array(S);
  const delay = new Int32Array(S);
  let k = 0;
  for (const d of net.delivery) {
    for (let s = 0; s < N; s++) {
      for (let r = d.runStart[s] as number; r < (d.runStart[s + 1] as number); r++) {
        const t0 = d.runTarget[r] as number;
        const w0 = d.runWeight[r] as number;
        for (let j = 0; j < (d.runLength[r] as number); j++) {
          pre[k] = s;
          post[k] = t0 + j;
          weight[k] = d.weights[w0 + j] as number;
          delay[k] = d.delay;
          k++;
        }
      }
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "snnc-twin-"));
  const put = (name: string, shape: number[], data: Float64Array | Int32Array): void => writeFileSync(join(dir, `${name}.npy`), writeNpy(shape, data));
  put("theta", [N], theta);
  put("v0", [N], v0);
  put("spiking", [N], spiking);
  put("subtract", [N], subtract);
  put("bias", [samples, N], biases);
  put("pre", [S], pre);
  put("post", [S], post);
  put("weight", [S], weight);
  put("delay", [S], delay);
  return { dir, synapses: S };
}

/** Per-sample biases as the emulator sets them: the network's, with the input neurons' from the pixels. */
function sampleBiases(net: EmuNetwork, images: Float32Array, samples: number): Float64Array {
  const N = net.neurons;
  const per = net.input.neurons.length;
  const out = new Float64Array(samples * N);
  for (let s = 0; s < samples; s++) {
    out.set(net.bias, s * N);
    for (let i = 0; i < per; i++) {
      out[s * N + (net.input.neurons[i] as number)] = inputBias(images[s * per + i] as number, net.input.gainScaled, net.input.biasMantissaBits, net.input.biasExponentMax);
    }
  }
  return out;
}

interface Measured {
  readonly events: number;
  /** CPU seconds (process) and wall seconds of the best run. */
  readonly seconds: number;
  readonly wallSeconds: number;
  readonly spikes: number;
}

const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** The emulator's best of 3 with the given kernels, and a fingerprint of its results (scores, counters). */
function ours(net: EmuNetwork, images: Float32Array, samples: number, steps: number, kernels: KernelChoice): Measured & { fingerprint: string } {
  emulate(net, images, Math.min(samples, 4), { timesteps: steps, kernels }); // JIT warm-up
  let best: (Measured & { fingerprint: string }) | null = null;
  for (let rep = 0; rep < 3; rep++) {
    const c0 = cpuSeconds();
    const r = emulate(net, images, samples, { timesteps: steps, kernels, recordCounts: true });
    const cpu = cpuSeconds() - c0;
    const fingerprint = JSON.stringify([Array.from(r.scores), r.counters, Array.from(r.spikeCounts ?? []), Array.from(r.coreBusySeconds)]);
    if (!best || cpu < best.seconds) best = { events: r.counters.synapticOps, seconds: cpu, wallSeconds: r.emulationSeconds, spikes: r.counters.spikes, fingerprint };
  }
  return best as Measured & { fingerprint: string };
}

/**
 * The scatter-add bound on the emulator's own event stream: every step's spikes recorded from one run, all
 * delays' synapses in one flat table per source neuron, then per spike and synapse `acc[target] += weight`.
 */
function scatterAddBound(net: EmuNetwork, images: Float32Array, samples: number, steps: number): Measured {
  const N = net.neurons;
  const spikes: number[] = [];
  const ends: number[] = [];
  emulate(net, images, samples, {
    timesteps: steps,
    onSpikes: (_s, _t, idx, _p, n) => {
      for (let k = 0; k < n; k++) spikes.push(idx[k] as number);
      ends.push(spikes.length);
    },
  });
  const start = new Int32Array(N + 1);
  for (const d of net.delivery) for (let s = 0; s < N; s++) for (let r = d.runStart[s] as number; r < (d.runStart[s + 1] as number); r++) start[s + 1] = (start[s + 1] as number) + (d.runLength[r] as number);
  for (let s = 0; s < N; s++) start[s + 1] = (start[s + 1] as number) + (start[s] as number);
  const target = new Int32Array(start[N] as number);
  const weight = new Int32Array(start[N] as number);
  const fill = start.slice();
  for (const d of net.delivery) {
    for (let s = 0; s < N; s++) {
      for (let r = d.runStart[s] as number; r < (d.runStart[s + 1] as number); r++) {
        for (let k = 0; k < (d.runLength[r] as number); k++) {
          const at = fill[s] as number;
          target[at] = (d.runTarget[r] as number) + k;
          weight[at] = d.weights[(d.runWeight[r] as number) + k] as number;
          fill[s] = at + 1;
        }
      }
    }
  }
  const sp = Int32Array.from(spikes);
  const acc = new Float64Array(N);
  const run = (): number => {
    let events = 0;
    for (let j = 0; j < sp.length; j++) {
      const s = sp[j] as number;
      const a = start[s] as number;
      const b = start[s + 1] as number;
      events += b - a;
      for (let k = a; k < b; k++) {
        const t = target[k] as number;
        acc[t] = (acc[t] as number) + (weight[k] as number);
      }
    }
    return events;
  };
  run(); // warm-up
  lastReplay = { start, target, weight, spikes: sp };
  let best: Measured | null = null;
  for (let rep = 0; rep < 3; rep++) {
    const c0 = cpuSeconds();
    const w0 = performance.now();
    const events = run();
    const cpu = cpuSeconds() - c0;
    if (!best || cpu < best.seconds) best = { events, seconds: cpu, wallSeconds: (performance.now() - w0) / 1000, spikes: sp.length };
  }
  return best as Measured;
}

/** The last replay's tables, for the compiled C replay of the same stream. */
let lastReplay: { start: Int32Array; target: Int32Array; weight: Int32Array; spikes: Int32Array } | null = null;

/**
 * The same replay compiled from C (bench/native/scatter.c, gcc -O3), where gcc is installed: how fast this
 * machine delivers the same events with no JavaScript at all. Null without gcc.
 */
function nativeScatterBound(): Measured | null {
  if (!lastReplay || spawnSync("gcc", ["--version"]).status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), "snnc-scatter-"));
  try {
    const exe = join(dir, "scatter");
    const cc = spawnSync("gcc", ["-O3", "-o", exe, "bench/native/scatter.c"], { encoding: "utf8" });
    if (cc.status !== 0) throw new Error(`gcc: ${cc.stderr}`);
    const { start, target, weight, spikes } = lastReplay;
    const head = Int32Array.of(start.length - 1, target.length, spikes.length);
    const file = join(dir, "stream.bin");
    writeFileSync(file, Buffer.concat([head, start, target, weight, spikes].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
    const r = spawnSync(exe, [file], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`native scatter: ${r.stderr}`);
    const m = JSON.parse(r.stdout.trim()) as { events: number; seconds: number };
    return { events: m.events, seconds: m.seconds, wallSeconds: m.seconds, spikes: spikes.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    lastReplay = null;
  }
}

function brian(twin: Twin, samples: number, steps: number): { events: number; seconds: number; cpuSeconds: number; spikes: number; perSample: number[] } {
  const r = spawnSync(PYTHON, ["bench/brian2/twin.py", twin.dir, String(steps), String(samples)], { encoding: "utf8", maxBuffer: 1 << 26, timeout: 3_600_000 });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("{")) throw new Error(`Brian2 twin failed: ${r.stderr.trim().split("\n").slice(-5).join("\n")}`);
  return JSON.parse(line) as { events: number; seconds: number; cpuSeconds: number; spikes: number; perSample: number[] };
}

function perSampleSpikes(net: EmuNetwork, images: Float32Array, samples: number, steps: number): number[] {
  const out: number[] = [];
  const per = net.input.neurons.length;
  for (let s = 0; s < samples; s++) out.push(emulate(net, images.subarray(s * per), 1, { timesteps: steps }).counters.spikes);
  return out;
}

interface Row {
  readonly network: string;
  readonly target: string;
  readonly neurons: number;
  readonly synapses: number;
  readonly steps: number;
  readonly samples: number;
  /** Default kernels (WebAssembly where installed and exact: kernels.ts), and the JavaScript path alone. */
  readonly ours: Measured & { eventsPerSecond: number };
  readonly oursJs: Measured & { eventsPerSecond: number };
  /** Both paths gave the same scores, counters, spike counts and busy time. */
  readonly sameAsJs: boolean;
  readonly brian: (Measured & { eventsPerSecond: number; samples: number; spikesEqual: boolean }) | null;
  readonly ratio: number | null;
  readonly bound: Measured & { eventsPerSecond: number };
  readonly fractionOfBound: number;
  /** The same replay in C (gcc -O3), null without gcc. */
  readonly nativeBound: (Measured & { eventsPerSecond: number }) | null;
}

function bench(name: string, target: string, net: EmuNetwork, images: Float32Array, samples: number, steps: number): Row {
  const stepsRun = steps + net.output.readoutDepth;
  const { fingerprint: fpJs, ...oJs } = ours(net, images, samples, steps, "js");
  const { fingerprint: fp, ...o } = ours(net, images, samples, steps, "auto");
  if (fp !== fpJs) console.error(`warning: ${name}: the WebAssembly and JavaScript paths differ`);
  const oRate = o.events / o.seconds;
  const sb = scatterAddBound(net, images, samples, steps);
  if (sb.events !== o.events) throw new Error(`${name}: the scatter-add replay delivered ${sb.events} events, the emulator ${o.events}`);
  const bound = sb.events / sb.seconds;
  const nb0 = nativeScatterBound();
  if (nb0 && nb0.events !== o.events) throw new Error(`${name}: the C replay delivered ${nb0.events} events, the emulator ${o.events}`);
  let b: Row["brian"] = null;
  if (BRIAN) {
    const nb = Math.min(samples, BRIAN_SAMPLES);
    const twin = writeTwin(net, sampleBiases(net, images, nb), nb);
    try {
      const m = brian(twin, nb, stepsRun);
      const mine = perSampleSpikes(net, images, nb, steps);
      const equal = mine.length === m.perSample.length && mine.every((x, i) => x === m.perSample[i]);
      b = { ...m, seconds: m.cpuSeconds, wallSeconds: m.seconds, eventsPerSecond: m.events / m.cpuSeconds, samples: nb, spikesEqual: equal };
      if (!equal) console.error(`warning: ${name}: spike counts differ (ours ${mine.slice(0, 5).join(",")}…, Brian2 ${m.perSample.slice(0, 5).join(",")}…)`);
    } finally {
      rmSync(twin.dir, { recursive: true, force: true });
    }
  }
  return {
    network: name, target, neurons: net.neurons, synapses: synapseCount(net), steps: stepsRun, samples,
    ours: { ...o, eventsPerSecond: oRate }, oursJs: { ...oJs, eventsPerSecond: oJs.events / oJs.seconds }, sameAsJs: fp === fpJs, brian: b, ratio: b ? oRate / b.eventsPerSecond : null,
    bound: { ...sb, eventsPerSecond: bound }, fractionOfBound: oRate / bound,
    nativeBound: nb0 ? { ...nb0, eventsPerSecond: nb0.events / nb0.seconds } : null,
  };
}

const bandwidth = readBandwidth();
console.log(`# emulator benchmark (single thread, rates per CPU second); memchr read bandwidth ${(bandwidth / 1e9).toFixed(1)} GB/s (${(bandwidth / 4e6).toFixed(0)} M 4-byte weights/s)`);
const rows: Row[] = [];
const fashion = loadDataset("examples/fashion-mnist/data", { inputShape: [28, 28, 1] });

async function example(model: string): Promise<{ net: EmuNetwork; binary: Uint8Array }> {
  const outcome = await compileModel({
    ...DEFAULT_CONVERT_OPTIONS, model: `examples/fashion-mnist/${model}/model.json`, target: "loihi", method: "ecc", timesteps: 32,
    samples: 1, calibrationSamples: 256, verifySamples: 1, tfjsCheck: false, data: "examples/fashion-mnist/data",
  }, { warn: () => {}, progress: () => {}, stage: () => {} });
  return { net: loadNetwork(decodeBinary(outcome.pipeline.binary)), binary: outcome.pipeline.binary };
}

// 1. the Fashion-MNIST CNN, compiled for loihi like the main command; 2. the MLP
const cnn = NETS.has("cnn") ? await example("cnn") : null;
if (cnn) rows.push(bench("Fashion-MNIST CNN (ecc, T=32)", "loihi", cnn.net, fashion.images, Math.min(SAMPLES, fashion.count), 32));
if (NETS.has("mlp")) {
  const mlp = await example("mlp");
  rows.push(bench("Fashion-MNIST MLP (ecc, T=32)", "loihi", mlp.net, fashion.images, Math.min(MLP_SAMPLES, fashion.count), 32));
}

// 3. a random recurrent IF network
if (NETS.has("random")) {
  const target = loadTarget("loihi2");
  const r = randomNetwork(target, RANDOM_N, FANOUT);
  const net = loadNetwork(decodeBinary(runBackEnd(r.q, target, RANDOM_STEPS).binary));
  const images = new Float32Array(100 * 4).fill(0.5);
  rows.push(bench(`random IF ${RANDOM_N / 1000}k × ${FANOUT}`, "loihi2", net, images, 1, RANDOM_STEPS));
}

// 4. two threads against one (wall time), the CNN
const nThreads = Math.min(THREAD_SAMPLES, fashion.count);
let coldTwoThreads = Number.NaN;
const wallOf = async (workers: number): Promise<number> => {
  if (!cnn) return Number.NaN;
  let best = Infinity;
  for (let rep = 0; rep < 2; rep++) {
    const w0 = performance.now();
    await emulateParallel(cnn.binary, cnn.net, fashion.images, nThreads, { timesteps: 32, recordCounts: true }, { workers, minSamples: 1 });
    const s = (performance.now() - w0) / 1000;
    if (workers > 1 && rep === 0) coldTwoThreads = s;
    best = Math.min(best, s);
  }
  return best;
};
const oneThread = await wallOf(1);
const twoThreads = await wallOf(2);

const fmt = (x: number): string => x.toLocaleString("en-US");
console.log(`kernels: ${kernelsAvailable() ? "WebAssembly SIMD where exact (else JavaScript)" : "JavaScript only (dist/wasm/emulator.wasm not built)"}`);
console.log("| network | target | neurons | synapses | steps × samples | snnc M events/s | snnc JS path M events/s | same as JS | Brian2 M events/s | ratio | same spikes | scatter-add bound M events/s | fraction of bound | C scatter-add M events/s | Brian2 × 10 ÷ C bound |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const b = r.brian;
  console.log(`| ${r.network} | ${r.target} | ${fmt(r.neurons)} | ${(r.synapses / 1e6).toFixed(2)} M | ${r.steps} × ${r.samples} | ${(r.ours.eventsPerSecond / 1e6).toFixed(1)} | ${(r.oursJs.eventsPerSecond / 1e6).toFixed(1)} | ${r.sameAsJs ? "yes" : "NO"} | ${b ? (b.eventsPerSecond / 1e6).toFixed(1) : "-"} | ${r.ratio ? `${r.ratio.toFixed(1)}×` : "-"} | ${b ? (b.spikesEqual ? `yes (${b.samples} samples)` : "NO") : "-"} | ${(r.bound.eventsPerSecond / 1e6).toFixed(1)} | ${(r.fractionOfBound * 100).toFixed(0)}% | ${r.nativeBound ? (r.nativeBound.eventsPerSecond / 1e6).toFixed(1) : "-"} | ${r.nativeBound && b ? ((10 * b.eventsPerSecond) / r.nativeBound.eventsPerSecond).toFixed(2) : "-"} |`);
}
if (cnn) console.log(`two threads vs one (CNN, ${nThreads} samples, wall, kept worker): ${oneThread.toFixed(2)} s → ${twoThreads.toFixed(2)} s, ${(oneThread / twoThreads).toFixed(2)}× (first two-thread run, starting the worker: ${coldTwoThreads.toFixed(2)} s)`);
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify({ bandwidthBytesPerSecond: bandwidth, rows, threads: { samples: nThreads, oneThreadWallSeconds: oneThread, twoThreadsWallSeconds: twoThreads, speedup: oneThread / twoThreads, coldTwoThreadsWallSeconds: coldTwoThreads } }, null, 2)}\n`);
