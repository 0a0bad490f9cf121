/**
 * @fileoverview Bit-exactness check: the emulator running from network.snnb alone against the reference
 * integer model (QuantisedSnn) on the same inputs — every neuron's spikes (and graded payloads) at every step
 * must be identical, and so must every ECMT compute node's s16.15 payloads (the emulator's onCompute). The
 * first divergence is reported with its sample, timestep, layer, neuron and core.
 */
import type { QuantisedSnn } from "../ir/quantised.ts";
import { simulateInt } from "../simulate/int-snn.ts";
import { decodeBinary } from "../../runtime/format/reader.ts";
import { type EmuNetwork, loadNetwork } from "../../runtime/emulator/network.ts";
import { emulate } from "../../runtime/emulator/run.ts";
import "../../runtime/emulator/wasm-load.ts";

export interface Mismatch {
  readonly sample: number;
  readonly timestep: number;
  readonly layer: string;
  readonly neuron: number;
  readonly core: number;
  /** Spike payload in the reference and in the emulator (0 = no spike); for the readout layer (which does
   * not spike) its final membrane or count, at the last step. */
  readonly expected: number;
  readonly got: number;
}

export interface BitExactResult {
  readonly bitExact: boolean;
  readonly comparedSteps: number;
  readonly comparedSpikes: number;
  readonly firstMismatch: Mismatch | null;
  readonly samples: number;
}

/** Spikes of one sample as sorted keys (t, pop, neuron) → payload. */
type SpikeLog = { key: number[]; payload: number[] };

function keyOf(t: number, pop: number, neuron: number): number {
  return (t * 4096 + pop) * 2 ** 24 + neuron;
}

/**
 * `sampleOffset`: global index of images[0] when this is one shard of a larger set (Poisson seeds follow the
 * global index); the result's sample numbers stay local to the shard (0 = images[0]).
 */
export function verifyBitExact(q: QuantisedSnn, binary: Uint8Array, images: Float32Array, count: number, timesteps: number, net?: EmuNetwork, sampleOffset = 0, frames = 1): BitExactResult {
  const emu = net ?? loadNetwork(decodeBinary(binary));
  const per = q.populations[q.input.population]?.size ?? 0;
  const reference: SpikeLog[] = Array.from({ length: count }, () => ({ key: [], payload: [] }));
  const referenceScores = simulateInt(q, images, count, {
    timesteps,
    batchSize: 8,
    sampleOffset,
    frames,
    onSpikes: (t, pop, sample, idx, payload, n) => {
      const log = reference[sample] as SpikeLog;
      for (let k = 0; k < n; k++) {
        log.key.push(keyOf(t, pop, idx[k] as number));
        log.payload.push(payload[k] as number);
      }
    },
  }).scores;
  const steps = timesteps + q.readoutDepth;
  let compared = 0;
  for (let sample = 0; sample < count; sample++) {
    const got: SpikeLog = { key: [], payload: [] };
    const emulated = emulate(emu, images.subarray(sample * per * frames, (sample + 1) * per * frames), 1, {
      timesteps, sampleOffset: sampleOffset + sample, frames,
      onSpikes: (_s, t, idx, payload, n) => {
        for (let k = 0; k < n; k++) {
          const g = idx[k] as number;
          got.key.push(keyOf(t, emu.popOf[g] as number, emu.popIndex[g] as number));
          got.payload.push(payload[k] as number);
        }
      },
      // ECMT compute nodes' s16.15 payloads (core −1 in a mismatch: they run on the processors)
      onCompute: (_s, t, pop, idx, payload, n) => {
        for (let k = 0; k < n; k++) {
          got.key.push(keyOf(t, pop, idx[k] as number));
          got.payload.push(payload[k] as number);
        }
      },
    });
    const a = sortLog(reference[sample] as SpikeLog);
    const b = sortLog(got);
    compared += a.key.length;
    const n = Math.max(a.key.length, b.key.length);
    for (let i = 0; i < n; i++) {
      const ka = a.key[i] ?? Infinity;
      const kb = b.key[i] ?? Infinity;
      if (ka === kb && a.payload[i] === b.payload[i]) continue;
      const k = Math.min(ka, kb);
      const t = Math.floor(k / 2 ** 24 / 4096);
      const pop = Math.floor(k / 2 ** 24) % 4096;
      const neuron = k % 2 ** 24;
      let core = -1;
      for (let g = 0; g < emu.neurons; g++) if (emu.popOf[g] === pop && emu.popIndex[g] === neuron) core = emu.coreOf[g] as number;
      return {
        bitExact: false, comparedSteps: sample * steps + t, comparedSpikes: compared, samples: count,
        firstMismatch: {
          sample, timestep: t, layer: q.populations[pop]?.name ?? String(pop), neuron, core,
          expected: ka === k ? (a.payload[i] as number) : 0, got: kb === k ? (b.payload[i] as number) : 0,
        },
      };
    }
    // The readout does not spike: its final membranes (or counts) are compared too.
    const classes = emulated.classes;
    for (let c = 0; c < classes; c++) {
      const want = referenceScores[sample * classes + c] as number;
      const have = emulated.scores[c] as number;
      if (want !== have) {
        const outPop = q.output;
        const g = emu.output.neurons[c] as number;
        return {
          bitExact: false, comparedSteps: (sample + 1) * steps, comparedSpikes: compared, samples: count,
          firstMismatch: { sample, timestep: steps - 1, layer: q.populations[outPop]?.name ?? "", neuron: c, core: emu.coreOf[g] as number, expected: want, got: have },
        };
      }
    }
  }
  return { bitExact: true, comparedSteps: count * steps, comparedSpikes: compared, firstMismatch: null, samples: count };
}

function sortLog(log: SpikeLog): SpikeLog {
  const order = log.key.map((_, i) => i).sort((x, y) => (log.key[x] as number) - (log.key[y] as number));
  return { key: order.map((i) => log.key[i] as number), payload: order.map((i) => log.payload[i] as number) };
}
