/**
 * @fileoverview The emulator's timestep loop: runs an EmuNetwork (loaded from network.snnb alone) on inputs.
 *
 * Per step t: every neuron updates with its target's integer rule (runtime/neuron.ts) from the input
 * delivered for t; spikes leave their cores; each spike's synapses add payload × weight into the ring-buffer
 * slot t + delay of their targets (event driven, one CSR per delay value, no allocation in the loop). Per
 * core it counts synaptic ops, neuron updates (active: received input or spiked; idle otherwise; × the
 * compartments of each neuron) and spikes sent, and turns them into busy time with the binary's timing
 * table; a step lasts max over cores(busy) + the longest packet latency + the barrier (or the real-time
 * tick when longer). The run lasts T + readout depth steps, like the reference model.
 * Kernels: where kernels.ts finds the network's integers within 32 bits (and the WebAssembly module is
 * installed), the ring, the spikes, the IF neurons' state, delivery, their update and the spike counters run
 * in WebAssembly on Int32 arrays, with the same results; otherwise (and for traces) this file's JS loops.
 */
import { gradedPayload, inputBias, poissonThreshold, xorshift32 } from "../input.ts";
import { stepRange } from "../neuron.ts";
import { resetCompute, stepCompute } from "./compute-nodes.ts";
import { deliver } from "./deliver.ts";
import { type KernelChoice, wasmEngine } from "./kernels.ts";
import type { EmuNetwork } from "./network.ts";

export interface EmulateOptions {
  readonly timesteps: number;
  /** Every step's spikes (global neuron indices and payloads). */
  readonly onSpikes?: (sample: number, t: number, idx: Int32Array, payload: Int32Array, count: number) => void;
  /** Called after each step with the state arrays (bring-up traces). */
  readonly onStep?: (sample: number, t: number, v: Float64Array, u: Float64Array) => void;
  /** Keep per-neuron spike counts summed over the samples. */
  readonly recordCounts?: boolean;
  /** First sample's index (for Poisson seeds when a batch is split over workers). */
  readonly sampleOffset?: number;
  /** Input frames per sample (event input [T, ...]): step t < frames takes frame t, later steps no input.
   * 1 (default): the one input is presented at every step. */
  readonly frames?: number;
  /** Delivery and update kernels: "auto" (default) takes the WebAssembly ones where installed and exact
   * for the network (kernels.ts), "js" the JavaScript ones, "wasm" requires the WebAssembly ones. */
  readonly kernels?: KernelChoice;
  /** Every step's payloads of every ECMT compute node (population id, element indices, s16.15 payloads). */
  readonly onCompute?: (sample: number, t: number, pop: number, idx: Int32Array, payload: Int32Array, count: number) => void;
}

export interface Counters {
  spikes: number;
  synapticOps: number;
  neuronUpdates: number;
  activeUpdates: number;
  idleUpdates: number;
  hops: number;
  /** Packets sent: one per (spike, destination core) on meshes, one per spike on multicast networks. */
  packets: number;
  hopsX: number;
  hopsY: number;
  /** Core-busy time in ns (1 cycle = 1 ns at the 1 GHz reference clock; the timing table is in seconds). */
  cycles: number;
  /** Sum of step latencies (seconds). */
  seconds: number;
  /** ECMT compute nodes (runtime/emulator/compute-nodes.ts): synaptic events into them, processor cycles, the
   * busiest processor's cycles summed over steps, graded packets and their link hops. */
  computeEvents: number;
  computeCycles: number;
  computeBusiestCycles: number;
  gradedPackets: number;
  gradedHops: number;
  /** Spikes of multi-threshold neurons and their hops where graded spikes are packets of their own (the COST
   * graded-packet trailer: SpiNNaker's multicast packets with a payload word); 0 elsewhere. */
  payloadSpikes: number;
  payloadHops: number;
}

export interface EmulateResult {
  /** [samples, classes]: readout membrane, or spike counts in the window for a count readout. */
  readonly scores: Float64Array;
  readonly classes: number;
  readonly counters: Counters;
  /** Per-neuron spike counts over all samples (recordCounts). */
  readonly spikeCounts: Int32Array | null;
  /** Per core: synaptic ops, spikes sent, busy seconds, summed over samples. */
  readonly coreSynOps: Float64Array;
  readonly coreSpikes: Float64Array;
  readonly coreBusySeconds: Float64Array;
  /** Spikes per route id (pairs on meshes, multicast trees on SpiNNaker). */
  readonly routeSpikes: Float64Array;
  /** Per population (as numbered in the binary's metadata): spikes sent and synaptic ops they caused. */
  readonly popSpikes: Float64Array;
  readonly popSynOps: Float64Array;
  readonly emulationSeconds: number;
}

export function newCounters(): Counters {
  return {
    spikes: 0, synapticOps: 0, neuronUpdates: 0, activeUpdates: 0, idleUpdates: 0, hops: 0, packets: 0, hopsX: 0, hopsY: 0, cycles: 0, seconds: 0,
    computeEvents: 0, computeCycles: 0, computeBusiestCycles: 0, gradedPackets: 0, gradedHops: 0, payloadSpikes: 0, payloadHops: 0,
  };
}

export function emulate(net: EmuNetwork, images: Float32Array, count: number, options: EmulateOptions): EmulateResult {
  const started = performance.now();
  const N = net.neurons;
  const T = options.timesteps;
  const D = net.output.readoutDepth;
  const steps = T + D;
  const R = net.maxDelay + 1;
  const classes = net.output.neurons.length;
  const per = net.input.neurons.length;
  const v = new Float64Array(N);
  const u = new Float64Array(N);
  const hasMtRelu = net.rules.some((r) => r.mtRelu === 1);
  const emitted = hasMtRelu ? new Float64Array(N) : null;
  // The WebAssembly path (kernels.ts): Int32 ring, spikes and fast neurons' state in its memory; JS rules
  // read their inputs from a Float64 copy (qf).
  const wasm = wasmEngine(net, options.kernels ?? "auto", options.onStep !== undefined);
  if (wasm) wasm.busy = true;
  const ring = wasm ? [] : Array.from({ length: R }, () => new Float64Array(N));
  const qf = wasm ? new Float64Array(N) : new Float64Array(0);
  const bias = Float64Array.from(net.bias);
  const spikeIdx = wasm ? wasm.spikeIdx : new Int32Array(N);
  const spikePayload = wasm ? wasm.spikePayload : new Int32Array(N);
  const scores = new Float64Array(count * classes);
  const spikeCounts = options.recordCounts ? new Int32Array(N) : null;
  const counters = newCounters();
  const nCores = net.cores;
  const coreSynOps = new Float64Array(nCores);
  const coreSpikes = new Float64Array(nCores);
  const coreBusy = new Float64Array(nCores);
  const stepSyn = wasm ? wasm.stepSyn : new Float64Array(nCores);
  const stepSpikes = wasm ? wasm.stepSpikes : new Float64Array(nCores);
  const stepActive = new Float64Array(nCores);
  const routeSpikes = new Float64Array(net.routeCount);
  const nPops = net.meta.populations.length;
  const popSpikes = new Float64Array(nPops);
  const popSynOps = new Float64Array(nPops);
  const t = net.cost.timing;
  const nRanges = net.rangeRule.length;
  // Idle updates per core per step = compartments − active ones.
  const coreCompartments = new Float64Array(nCores);
  for (let r = 0; r < nRanges; r++) {
    const s = net.rangeStart[r] as number;
    const e = net.rangeStart[r + 1] as number;
    const comp = net.ruleCompartments[net.rangeRule[r] as number] as number;
    for (let i = s; i < e; i++) coreCompartments[net.coreOf[i] as number] = (coreCompartments[net.coreOf[i] as number] as number) + comp;
  }
  // Software multi-threshold neurons (COST graded trailer): each update takes mtNeuronUpdateSeconds instead of
  // the IF update's time, every step (timer-driven): the difference, per core.
  const payloadCost = net.cost.graded;
  const coreMtExtra = new Float64Array(nCores);
  if (payloadCost) {
    const extra = Math.max(0, payloadCost.mtNeuronUpdateSeconds - t.neuronUpdateActiveSeconds);
    for (let r = 0; r < nRanges; r++) {
      if (net.rules[net.rangeRule[r] as number]?.kind !== "mt") continue;
      for (let i = net.rangeStart[r] as number; i < (net.rangeStart[r + 1] as number); i++) coreMtExtra[net.coreOf[i] as number] = (coreMtExtra[net.coreOf[i] as number] as number) + extra;
    }
  }
  const coreOfRange = Int32Array.from({ length: nRanges }, (_, r) => net.coreOf[net.rangeStart[r] as number] as number);
  const compOfRange = Int32Array.from({ length: nRanges }, (_, r) => net.ruleCompartments[net.rangeRule[r] as number] as number);
  const activity = new Int32Array(1);
  let totalCompartments = 0;
  for (let k = 0; k < nCores; k++) totalCompartments += coreCompartments[k] as number;
  const axonStart = net.axonStart;
  const coreOf = net.coreOf;
  const axonCore = net.axonCore;
  const axonSynapses = net.axonSynapses;
  const isInput = new Uint8Array(N);
  for (let i = 0; i < per; i++) isInput[net.input.neurons[i] as number] = 1;
  const poisson = net.input.coding === "poisson";
  const graded = net.input.coding === "graded";
  // Poisson and graded input neurons are not stepped: their spikes or payloads come from the pixels.
  const generated = poisson || graded;
  const thresholds = new Float64Array(per);
  const payloads = new Int32Array(graded ? per : 0);
  const readoutCounts = wasm ? wasm.readoutCounts : new Float64Array(classes);
  // Spikes per neuron: the network counters (per-neuron axon sums, net.neuron*) and route loads are taken
  // from them after the run; only the per-core synaptic ops of a step (busy time) need the axon loop.
  const nLatency = net.neuronLatency;
  const counts = wasm ? wasm.counts : new Float64Array(N);
  counts.fill(0);
  const outIndex = new Int32Array(N).fill(-1);
  net.output.neurons.forEach((g, c) => {
    outIndex[g] = c;
  });

  net.compute?.srcEvents.fill(0);
  try {
  for (let sample = 0; sample < count; sample++) {
    v.set(net.vInit);
    u.fill(0);
    emitted?.fill(0);
    for (const slot of ring) slot.fill(0);
    if (wasm) {
      for (const slot of wasm.slots) slot.fill(0);
      wasm.v.set(net.vInit);
    }
    if (net.compute) resetCompute(net.compute);
    readoutCounts.fill(0);
    const frames = options.frames ?? 1;
    const sampleInput = images.subarray(sample * per * frames, (sample + 1) * per * frames);
    const pixels = sampleInput.subarray(0, per);
    if (graded) {
      for (let i = 0; i < per; i++) payloads[i] = gradedPayload(pixels[i] as number, net.input.gainScaled, net.input.payloadBits);
    } else if (poisson) {
      for (let i = 0; i < per; i++) thresholds[i] = poissonThreshold(pixels[i] as number, net.input.gain);
    } else {
      for (let i = 0; i < per; i++) bias[net.input.neurons[i] as number] = inputBias(pixels[i] as number, net.input.gainScaled, net.input.biasMantissaBits, net.input.biasExponentMax);
    }
    if (wasm) wasm.bias.set(bias);
    const rng = xorshift32(net.input.seed + (options.sampleOffset ?? 0) + sample);
    for (let step = 0; step < steps; step++) {
      if (frames > 1) {
        presentFrame(net, sampleInput, step < frames ? step : -1, per, thresholds, bias, payloads);
        if (wasm) for (let i = 0; i < per; i++) wasm.bias[net.input.neurons[i] as number] = bias[net.input.neurons[i] as number] as number;
      }
      const qs = wasm ? (wasm.slots[step % R] as Int32Array) : null;
      const q = qs ? qf : (ring[step % R] as Float64Array);
      stepSyn.fill(0);
      stepSpikes.fill(0);
      stepActive.fill(0);
      // 1. neuron updates
      let n = 0;
      for (let r = 0; r < nRanges; r++) {
        const rule = net.rules[net.rangeRule[r] as number];
        if (!rule) continue;
        const s = net.rangeStart[r] as number;
        const e = net.rangeStart[r + 1] as number;
        if (generated && rule.kind === "input" && isInput[s]) {
          (qs ?? q).fill(0, s, e);
          continue;
        }
        activity[0] = 0;
        if (wasm && qs) {
          if (wasm.fast[r]) {
            n = wasm.step(rule, step % R, s, e, n);
            activity[0] = wasm.lastActive();
          } else {
            for (let i = s; i < e; i++) q[i] = qs[i] as number;
            qs.fill(0, s, e);
            n = stepRange(rule, v, u, emitted, q, bias, s, e, spikeIdx, spikePayload, n, 0, activity, true);
          }
        } else n = stepRange(rule, v, u, emitted, q, bias, s, e, spikeIdx, spikePayload, n, 0, activity, true);
        // Active updates: compartments of neurons that received input or spiked this step.
        const core = coreOfRange[r] as number;
        stepActive[core] = (stepActive[core] as number) + (activity[0] as number) * (compOfRange[r] as number);
      }
      if (graded) {
        for (let i = 0; i < per; i++) {
          const pl = payloads[i] as number;
          if (pl === 0) continue;
          spikeIdx[n] = net.input.neurons[i] as number;
          spikePayload[n] = pl;
          n++;
        }
      } else if (poisson) {
        for (let i = 0; i < per; i++) {
          if (rng() < (thresholds[i] as number)) {
            spikeIdx[n] = net.input.neurons[i] as number;
            spikePayload[n] = 1;
            n++;
          }
        }
      }
      // 2. spikes leave their cores; counters per axon
      let maxLatency = 0;
      if (wasm) maxLatency = wasm.countSpikes(n, step >= D);
      else for (let j = 0; j < n; j++) {
        const s = spikeIdx[j] as number;
        const core = coreOf[s] as number;
        stepSpikes[core] = (stepSpikes[core] as number) + 1;
        counts[s] = (counts[s] as number) + 1;
        const o = outIndex[s] as number;
        if (o >= 0 && step >= D) readoutCounts[o] = (readoutCounts[o] as number) + 1;
        const lat = nLatency[s] as number;
        if (lat > maxLatency) maxLatency = lat;
        for (let a = axonStart[s] as number; a < (axonStart[s + 1] as number); a++) {
          const dc = axonCore[a] as number;
          stepSyn[dc] = (stepSyn[dc] as number) + (axonSynapses[a] as number);
        }
      }
      if (options.onSpikes) options.onSpikes(sample, step, spikeIdx, spikePayload, n);
      // 3. delivery into the ring buffer (the hot loop)
      if (wasm) wasm.deliver(step, n);
      else for (const d of net.delivery) deliver(d, ring[(step + d.delay) % R] as Float64Array, spikeIdx, spikePayload, n);
      // 3b. compute nodes on the processors and the graded projections into and out of them
      let computeSeconds = 0;
      if (net.compute) {
        const busiest = counters.computeBusiestCycles;
        const onCompute = options.onCompute;
        stepCompute(net.compute, step, spikeIdx, spikePayload, n, net.popOf, net.popIndex, ring, R, counters,
          onCompute ? (tt, pop, idx, payload, count) => onCompute(sample, tt, pop, idx, payload, count) : undefined);
        computeSeconds = (counters.computeBusiestCycles - busiest) / net.compute.processor.clockHz;
      }
      // 4. cost model: busy time per core, step latency
      let busyMax = 0;
      let synStep = 0;
      let activeStep = 0;
      for (let k = 0; k < nCores; k++) {
        const active = Math.min(stepActive[k] as number, coreCompartments[k] as number);
        const idle = (coreCompartments[k] as number) - active;
        const busy = (stepSyn[k] as number) * t.synOpSeconds + active * t.neuronUpdateActiveSeconds + idle * t.neuronUpdateIdleSeconds + (stepSpikes[k] as number) * t.spikeSendSeconds + (coreMtExtra[k] as number);
        coreBusy[k] = (coreBusy[k] as number) + busy;
        coreSynOps[k] = (coreSynOps[k] as number) + (stepSyn[k] as number);
        coreSpikes[k] = (coreSpikes[k] as number) + (stepSpikes[k] as number);
        if (busy > busyMax) busyMax = busy;
        synStep += stepSyn[k] as number;
        activeStep += active;
        counters.cycles += busy * 1e9;
      }
      counters.spikes += n;
      counters.synapticOps += synStep;
      counters.neuronUpdates += totalCompartments;
      counters.activeUpdates += activeStep;
      counters.idleUpdates += totalCompartments - activeStep;
      counters.seconds += Math.max(t.tickSeconds, Math.max(busyMax, computeSeconds) + maxLatency + t.barrierSeconds);
      options.onStep?.(sample, step, v, u);
    }
    const base = sample * classes;
    for (let c = 0; c < classes; c++) {
      const g = net.output.neurons[c] as number;
      scores[base + c] = net.output.countReadout ? (readoutCounts[c] as number) : wasm && wasm.fast[rangeOf(net, g)] ? (wasm.v[g] as number) : (v[g] as number);
    }
  }
  } finally {
    if (wasm) wasm.busy = false;
  }
  // Graded projections' synaptic events count for their source population (graded input's first layer).
  if (net.compute) for (let p = 0; p < nPops; p++) popSynOps[p] = (popSynOps[p] as number) + (net.compute.srcEvents[p] as number);
  // Network counters from the per-neuron spike counts.
  for (let s = 0; s < N; s++) {
    const c = counts[s] as number;
    if (c === 0) continue;
    if (spikeCounts) spikeCounts[s] = c;
    const pop = net.popOf[s] as number;
    popSpikes[pop] = (popSpikes[pop] as number) + c;
    popSynOps[pop] = (popSynOps[pop] as number) + c * (net.neuronSynapses[s] as number);
    counters.hopsX += c * (net.neuronHopsX[s] as number);
    counters.hopsY += c * (net.neuronHopsY[s] as number);
    counters.packets += c * (net.neuronPackets[s] as number);
    for (let a = net.axonStart[s] as number; a < (net.axonStart[s + 1] as number); a++) {
      const route = net.axonRoute[a] as number;
      if (route >= 0) routeSpikes[route] = (routeSpikes[route] as number) + c;
    }
  }
  counters.hops = counters.hopsX + counters.hopsY;
  // Multi-threshold spikes travel as payload packets (their own energy per packet and per router).
  if (payloadCost) {
    for (let r = 0; r < nRanges; r++) {
      if (net.rules[net.rangeRule[r] as number]?.kind !== "mt") continue;
      for (let s = net.rangeStart[r] as number; s < (net.rangeStart[r + 1] as number); s++) {
        const c = counts[s] as number;
        counters.payloadSpikes += c;
        counters.payloadHops += c * ((net.neuronHopsX[s] as number) + (net.neuronHopsY[s] as number));
      }
    }
  }
  return {
    scores, classes, counters, spikeCounts, coreSynOps, coreSpikes, coreBusySeconds: coreBusy, routeSpikes, popSpikes, popSynOps,
    emulationSeconds: (performance.now() - started) / 1000,
  };
}

/** The rule range of neuron i. */
function rangeOf(net: EmuNetwork, i: number): number {
  let r = 0;
  while (r + 1 < net.rangeRule.length && (net.rangeStart[r + 1] as number) <= i) r++;
  return r;
}

/** Event input: frame f's values (f < 0: none) become the input neurons' biases, Poisson thresholds or graded
 * payloads. */
function presentFrame(net: EmuNetwork, input: Float32Array, f: number, per: number, thresholds: Float64Array, bias: Float64Array, payloads: Int32Array): void {
  for (let i = 0; i < per; i++) {
    const x = f >= 0 ? (input[f * per + i] as number) : 0;
    if (net.input.coding === "graded") payloads[i] = gradedPayload(x, net.input.gainScaled, net.input.payloadBits);
    else if (net.input.coding === "poisson") thresholds[i] = poissonThreshold(x, net.input.gain);
    else bias[net.input.neurons[i] as number] = inputBias(x, net.input.gainScaled, net.input.biasMantissaBits, net.input.biasExponentMax);
  }
}
