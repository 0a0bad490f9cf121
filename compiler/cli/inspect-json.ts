/**
 * @fileoverview `snnc inspect --json`, streamed: the document is yielded in chunks (a few hundred neurons
 * each), so a large network is never held as one object or one string. Besides the summary it carries what
 * re-simulating the network needs without the emulator (docs/inspect.md):
 *   - `neuronRules`: the integer rules of both models, as formulas;
 *   - `input`: encoding, gain, bias mantissa/exponent rule and rounding, and the neuron each input element
 *     (NHWC order) feeds;
 *   - `output`: readout layer, kind, depth, steps run, and the neuron of each class;
 *   - per core: every neuron's profile, bias (mantissa, exponent), initial v, the axons it sends to and its
 *     synapses with their effective weights; on Loihi also the core's synapse tables as stored (formats with
 *     exponent, sign mode and delay; groups; every weight mantissa), so each weight's stored form is there.
 * Global neuron index = coreBase[core] + compartment.
 */
import { synapseCount, synapsesFrom, type EmuNetwork } from "../../runtime/emulator/network.ts";
import type { DecodedBinary } from "../../runtime/format/decoded.ts";
import { GRADE_CODES } from "../../runtime/format/spec.ts";
import { kindName } from "../report/build.ts";

const SIGN_MODES = ["excitatory", "inhibitory", "mixed"] as const;

const NEURON_RULES = {
  "loihi-cuba": [
    "u <- wrap_S(decay(u, du + 1) + wrap_Q(q))   q: this step's synaptic input (sum of payload × effective weight of the spikes delivered for this step); wrap_Q: two's complement to [−2^B, 2^B), B = system.stepInputBits (0: no wrap)",
    "v <- saturate_S(decay(v, dv) + u + bias)   bias = biasMantissa · 2^biasExponent, every step",
    "spike when v > threshold (strictly); reset: zero v <- 0; subtract v <- v − threshold; two-compartment: no reset here, the self-synapse (weight −threshold, delay 1) delivers it",
    "decay(x, d) = sign(x) · floor(|x| · (2^D − d) / 2^D), D = profile decayBits; wrap_S: two's complement at S = stateBits bits; saturate_S: clamp to ±(2^(S−1) − 1)",
  ],
  "fixed-if": [
    "v <- saturate_S(v + q + bias); spike when v >= threshold; reset zero v <- 0 or subtract v <- v − threshold",
  ],
  "multi-threshold": [
    "fires the largest level threshold·2^k (k < mtLevels) with r >= threshold·2^k − floor(threshold/2) (payload 2^k), else the negative level mtNegThreshold·2^k with −r >= mtNegThreshold·2^k − floor(mtNegThreshold/2) (payload −2^k·mtNegPayload)",
    "r = v and the fired value is subtracted from v (mtRelu 0), or r = max(v, 0) − E with E the cumulative fired value (mtRelu 1, v not reduced)",
  ],
  order: "per step t = 0 … T + readoutDepth − 1: every neuron updates from the input delivered for t; each spike adds payload × weight to its targets' input for step t + delay",
} as const;

function input(d: DecodedBinary, net: EmuNetwork): unknown {
  const i = d.input;
  return {
    encoding: net.input.coding,
    shape: d.meta.inputShape,
    order: "element e of the input array in NHWC order (row, column, channel) feeds neuron neurons[e]",
    gain: i.gain, gainScaled: i.gainScaled, biasMantissaBits: i.biasMantissaBits, biasExponentMax: i.biasExponentMax, seed: i.seed,
    ...(net.input.coding === "graded" ? {
      payloadBits: i.payloadBits,
      graded: "at every step, after the neuron updates, input element e (in order) sends one graded payload P = round(pixel · gainScaled) clamped to ±(2^(payloadBits − 1) − 1) when P ≠ 0; its projections are graded ones (payloadShift); input neurons are not updated",
    } : {}),
    current: "bias of the input neuron = m · 2^e with x = round(pixel · gainScaled), e the smallest exponent ≤ biasExponentMax with |round(x / 2^e)| ≤ 2^(biasMantissaBits − 1) − 1, m = round(x / 2^e) clamped to that bound",
    rounding: "round half away from zero",
    poisson: "sample s uses xorshift32 seeded with seed + s (state 0 becomes 0x9e3779b9; s ^= s << 13; s ^= s >>> 17; s ^= s << 5, unsigned 32-bit); at each step, after the neuron updates, input element e (in order) spikes when the next draw < floor(clamp(pixel · gain, 0, 1) · 2^32); input neurons are not updated",
    pixels: "uint8 arrays are divided by 255; floats are used as they are",
    neurons: Array.from(net.input.neurons),
    core: Array.from(i.core),
    compartment: Array.from(i.local),
  };
}

function output(d: DecodedBinary, net: EmuNetwork): unknown {
  const o = d.output;
  return {
    layer: d.meta.populations[o.population]?.name, population: o.population,
    kind: o.kind === 3 ? "spike count" : "membrane",
    readoutDepth: o.readoutDepth,
    steps: `T + readoutDepth = ${d.meta.timesteps} + ${o.readoutDepth} at the compiled T`,
    score: o.kind === 3 ? "spikes of the class's neuron at steps t >= readoutDepth" : "v of the class's neuron after the last step",
    prediction: "the first class with the largest score",
    neurons: Array.from(net.output.neurons),
    core: Array.from(o.core),
    compartment: Array.from(o.local),
  };
}

/** Loihi synapse tables of core k as stored: effective weight = mantissa · 2^(weightShift + exponent). */
function loihiTables(d: DecodedBinary, k: number): unknown {
  if (d.synapses.kind !== "loihi") return undefined;
  const t = d.synapses.cores[k];
  if (!t) return undefined;
  return {
    weightShift: t.weightShift,
    formats: Array.from(t.formatExponent, (e, f) => ({ exponent: e, sign: SIGN_MODES[t.formatSign[f] as number] ?? t.formatSign[f], delay: t.formatDelay[f] })),
    axonFirstGroup: Array.from(t.axonFirstGroup), axonGroups: Array.from(t.axonGroups),
    groupFirst: Array.from(t.groupFirst), groupCount: Array.from(t.groupCount), groupFormat: Array.from(t.groupFormat),
    mantissas: Array.from(t.weights),
  };
}

/** The summary fields shared with the text output. */
export function inspectSummary(path: string, bytes: number, d: DecodedBinary, net: EmuNetwork, selfSynapses: number): Record<string, unknown> {
  const routingEntries = d.routing.kind === "spinnaker" ? d.routing.tables.reduce((x, t) => x + t.keys.length, 0) : d.routing.cores.reduce((x, c) => x + c.dstCore.length, 0);
  return {
    file: path, bytes, header: d.header, meta: d.meta,
    system: { ...d.system, cores: undefined, coresUsed: d.system.cores.length },
    neurons: net.neurons, synapses: synapseCount(net), selfSynapses, delays: net.delivery.map((c) => c.delay),
    routing: { kind: d.routing.kind === "spinnaker" ? "multicast" : "axon maps", entries: routingEntries },
    cost: { timing: d.cost.timing, energy: d.cost.energy, timingGrades: d.cost.timingGrades.map((g) => GRADE_CODES[g]), energyGrades: d.cost.energyGrades.map((g) => GRADE_CODES[g]),
      ...(d.cost.graded ? { gradedPacket: { ...d.cost.graded, grades: d.cost.graded.grades.map((g) => GRADE_CODES[g]) } } : {}) },
  };
}

/** Per core: position, neuron count, incoming synapses, blocks and profiles. */
export function coreSummaries(d: DecodedBinary, net: EmuNetwork): Record<string, unknown>[] {
  const perCoreSynapses = new Float64Array(net.cores);
  for (let a = 0; a < net.axonCore.length; a++) perCoreSynapses[net.axonCore[a] as number] = (perCoreSynapses[net.axonCore[a] as number] as number) + (net.axonSynapses[a] as number);
  return d.cores.map((c, k) => {
    const rec = d.system.cores[k];
    return {
      core: k, chipX: rec?.chipX, chipY: rec?.chipY, index: rec?.index, tileX: rec?.tileX, tileY: rec?.tileY,
      neurons: c.profile.length, synapsesIn: perCoreSynapses[k],
      blocks: c.blocks.map((b) => ({ layer: d.meta.populations[b.pop]?.name, box: [b.y0, b.y1, b.x0, b.x1, b.c0, b.c1], first: b.first })),
      profiles: c.profiles.map((p) => ({ ...p, kind: kindName(p.kind), decayBits: p.decayBits === 0 && p.model === "loihi-cuba" ? 12 : p.decayBits })),
    };
  });
}

/** The whole document, in chunks; `summary` and `cores` as from inspectSummary and coreSummaries. */
export function* inspectJson(d: DecodedBinary, net: EmuNetwork, summary: Record<string, unknown>, cores: readonly Record<string, unknown>[]): Generator<string> {
  const head = JSON.stringify({
    ...summary,
    routing: d.routing.kind === "spinnaker"
      ? { ...(summary["routing"] as object), tables: d.routing.tables.map((t) => ({ x: t.x, y: t.y, keys: Array.from(t.keys), masks: Array.from(t.masks), routes: Array.from(t.routes) })) }
      : summary["routing"],
    neuronRules: NEURON_RULES, input: input(d, net), output: output(d, net), coreBase: Array.from(net.coreBase),
    note: "synapse targets are global neuron indices (coreBase[core] + compartment); weights are effective (mantissa × 2^(weightShift + exponent) on Loihi, magnitude × 2^shift on SpiNNaker); axonsOut: [destination core, axon] of the Loihi output axon map",
  });
  yield `${head.slice(0, -1)},"cores":[`;
  const chunk: string[] = [];
  for (let k = 0; k < d.cores.length; k++) {
    const c = d.cores[k];
    if (!c) continue;
    const base = net.coreBase[k] as number;
    const own = JSON.stringify({ ...cores[k], synapseTables: loihiTables(d, k) });
    chunk.push(`${k > 0 ? "," : ""}${own.slice(0, -1)},"neuronList":[`);
    const map = d.routing.kind === "loihi" ? d.routing.cores[k] : undefined;
    for (let i = 0; i < c.profile.length; i++) {
      const g = base + i;
      const axons: number[][] = [];
      if (map) for (let e = map.offsets[i] as number; e < (map.offsets[i + 1] as number); e++) axons.push([map.dstCore[e] as number, map.dstAxon[e] as number]);
      chunk.push(`${i > 0 ? "," : ""}{"compartment":${i},"layer":${JSON.stringify(d.meta.populations[net.popOf[g] as number]?.name ?? null)},"neuron":${net.popIndex[g]},"profile":${c.profile[i]},` +
        `"biasMantissa":${c.biasMantissa[i]},"biasExponent":${c.biasExponent[i]},"vInit":${c.vInit[i]},"axonsOut":${JSON.stringify(axons)},"synapsesOut":${JSON.stringify(synapsesFrom(net, g))}}`);
      if (chunk.length >= 512) yield chunk.splice(0).join("");
    }
    chunk.push("]}");
  }
  chunk.push("]}\n");
  yield chunk.join("");
}
