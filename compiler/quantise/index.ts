/**
 * @fileoverview The `quantise` pass: SnnGraph (float) → QuantisedSnn in the target's integer formats.
 *
 * Per population D (fields of the target's `neuron` spec, no target names):
 * 1. Scale S = state units per normalised threshold, a power of two (so multi-threshold levels and the
 *    two-compartment self-synapse are exact), the largest that satisfies all of:
 *      headroom   S · H ≤ 2^(stateBits−1) − 1, H = 1.5 · max(2, measured max |v|, 1 + measured max |input|)
 *                 (ranges measured by the float simulator on calibration samples);
 *      weights    max |w| · S ≤ largest weight mantissa · 2^(weightShift + weightExponentMax)  (Loihi) or
 *                 (2^weightBits − 1) · 2^maxLeftShift (fixed point);
 *      bias       max |b| · S ≤ (2^(biasMantissaBits−1) − 1) · 2^biasExponentMax;
 *      threshold  S / 2^thresholdShift < 2^thresholdMantissaBits (and, for the two-compartment soft reset,
 *                 ≤ self-weight mantissa max · 2^selfWeightExponentMax).
 *    A population that cannot get S ≥ 2^thresholdShift is SNNC302 naming the layer.
 * 2. Weights (one format per projection, Loihi): sign mode from the signs (excitatory 0..255, inhibitory
 *    −255..0, mixed −256..254 in steps of 2); exponent = the smallest in [min, max] with max |w·S| /
 *    2^(6+exp) ≤ the mode's largest mantissa, so the largest weight uses the full mantissa and nothing
 *    overflows; mantissa = round-half-away(w·S / 2^(6+exp)). Fixed point (SpiNNaker): one left shift per
 *    synapse type (excitatory, inhibitory) of the destination, the smallest with max |w·S| / 2^shift < 2^16.
 * 3. Biases: mantissa · 2^exponent, the smallest exponent that fits the mantissa (Loihi), or exact s16.15.
 * 4. Features the target lacks: reset by subtraction without native support uses the target's declared soft
 *    reset construction, else SNNC303; graded spikes (mt: Loihi 2's graded spikes, SpiNNaker's multicast
 *    packets with a payload word) and spiking max-pool gates need target support, else SNNC303 with a hint
 *    (Loihi 1: binary spikes only); the largest payload must fit the target's signed payloadBits, else
 *    SNNC330. Delays above the target's maximum are SNNC303.
 * 4b. Graded input (--encoding graded, targets with graded spikes, else SNNC340): payloads pixel · gain in
 *    s.F fixed point (gradedInput), every projection out of the input population gets payloadShift F.
 * 5. ECMT compute nodes (ir/snn.ts `compute`, run on processor cores): scale 2^15 (s16.15), their input
 *    weights round(w · 2^15) with shifts 0 (SNNC322 when one does not fit 32 bits), the operator and its LUTs
 *    from quantise/compute.ts. Its payloads go out in the target's graded packets (payloadBits, 32 where the
 *    target declares none): value · 2^F, F ≤ 15 the most fraction bits that keep 1.5 × its largest payload
 *    measured on the calibration samples inside them (computePayloadShift; F = 15, s16.15, on 32-bit packets
 *    unless 1.5 × that payload reaches 2^16), saturated beyond (runtime/compute.ts carries the rest to later steps);
 *    every projection out of a compute node gets payloadShift F (ir/quantised.ts, payload scaling).
 * Weights that quantise to zero or lose precision are reported per layer (quantisation report), never
 * dropped silently.
 */
import type { NeuronKind, ResetRule } from "../../runtime/format/spec.ts";
import type { IntPopulationParams } from "../../runtime/neuron.ts";
import { mantissaExponent, roundHalfAway } from "../../runtime/input.ts";
import { assertNever, fail, type Warning } from "../diagnostics.ts";
import type { QConnectivity, QPopulation, QProjection, QuantisedSnn, SignMode } from "../ir/quantised.ts";
import type { ComputeNeuron, Connectivity, Leak, Population, SnnGraph } from "../ir/snn.ts";
import type { Target } from "../target/schema.ts";
import { checkInputBound } from "../verify/input-bound.ts";
import { FRAC_BITS, ONE } from "../../runtime/compute.ts";
import { type ComputePayload, computePayloadShift, quantiseComputeNode } from "./compute.ts";
import { connWeights, quantiseConn, type WeightFormat } from "./weights.ts";

export interface PopulationRanges {
  readonly maxAbsV: Float64Array;
  readonly maxAbsInput: Float64Array;
}

export interface LayerQuantisation {
  readonly name: string;
  readonly scale: number;
  readonly thresholdMantissa: number;
  readonly projections: readonly {
    readonly origin: string;
    readonly format: string;
    /** Largest |quantised − float| of one weight, in thresholds. */
    readonly maxAbsError: number;
    /** RMS error / RMS weight. */
    readonly relRmsError: number;
    /** Fraction of nonzero float weights that became 0. */
    readonly zeroed: number;
    /** Half a quantisation step, in thresholds (the format's resolution). */
    readonly halfStep: number;
  }[];
  readonly biasMaxAbsError: number;
}

export interface QuantiseResult {
  readonly q: QuantisedSnn;
  readonly layers: readonly LayerQuantisation[];
}

function pow2Floor(x: number): number {
  return x >= 1 ? 2 ** Math.floor(Math.log2(x)) : 0;
}

function maxAbs(a: ArrayLike<number> | null): number {
  let m = 0;
  if (a) for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number));
  return m;
}

export function quantise(snn: SnnGraph, target: Target, ranges: PopulationRanges, warn: (w: Warning) => void): QuantiseResult {
  const ns = target.neuron;
  const rules = modelRules(target);
  const stateMax = 2 ** (ns.stateBits.value - 1) - 1;
  const biasMantBits = ns.biasMantissaBits.value;
  const biasExpMax = ns.biasExponentMax?.value ?? 0;
  const biasMax = (2 ** (biasMantBits - 1) - 1) * 2 ** biasExpMax;
  const thShift = ns.thresholdShift?.value ?? 0;
  const maxDelay = ns.maxDelaySteps.value;
  const layers: LayerQuantisation[] = [];
  const pops: QPopulation[] = [];

  const fine = fineNegativeShifts(snn, Math.min(ns.gradedSpikes.payloadBits?.value ?? 0, MT_FINE_PAYLOAD_BITS));
  const gradedIn = gradedInput(snn, target, ranges);
  // Rule 5: a compute node's payloads fit the graded packets (computePayloadShift from its measured payloads).
  const payloadBits = ns.gradedSpikes.payloadBits?.value ?? 32;
  const computePayload = (source: number): ComputePayload => ({ payloadShift: computePayloadShift(ranges.maxAbsV[source] ?? 0, payloadBits), payloadBits });
  const payloadShiftOf = (source: number): { payloadShift?: number } =>
    (snn.populations[source] as Population).neuron.kind === "compute" ? { payloadShift: FRAC_BITS - computePayload(source).payloadShift }
      : gradedIn && source === snn.input.population ? { payloadShift: gradedIn.fracBits }
      : (fine[source] ?? 0) > 0 ? { payloadShift: fine[source] as number } : {};
  for (const p of snn.populations) {
    const loc = { layer: p.name };
    if (p.neuron.kind === "compute") {
      const { pop, layer } = quantiseComputePopulation(p, p.neuron, ns.model, ns.stateBits.value, payloadShiftOf, computePayload(p.id));
      pops.push(pop);
      layers.push(layer);
      continue;
    }
    const kind = neuronKind(p, snn);
    if (kind === "mt" && !ns.gradedSpikes.supported) {
      throw fail("SNNC303", `multi-threshold neurons send graded spikes; target ${target.name} has none (its spikes are binary)`, loc,
        "use a target with graded spikes (loihi2, spinnaker, spinnaker2) or another --method (ecc, qcfs, rnl, ttrbr)");
    }
    if (kind === "max-gate") {
      throw fail("SNNC303", `spiking max-pool gate has no equivalent neuron on target ${target.name}`, loc,
        "convert with --maxpool average (max pooling becomes average pooling, with a warning)");
    }
    const reset = resetOf(p, target, loc);
    for (const pr of p.inputs) {
      if (pr.delay > maxDelay) {
        throw fail("SNNC303", `projection needs a delay of ${pr.delay} steps; target ${target.name} allows ${maxDelay}`, loc,
          "the residual path is too long for the target's synaptic delays");
      }
    }
    // 1. the scale S
    const mtLevels = p.neuron.kind === "mt" ? p.neuron.levels : 1;
    const vRange = Math.max(2, ranges.maxAbsV[p.id] ?? 0, 1 + (ranges.maxAbsInput[p.id] ?? 0), kind === "mt" ? 2 ** mtLevels : 0) * 1.5;
    const limits: number[] = [stateMax / vRange];
    let wMax = 0;
    for (const pr of p.inputs) wMax = Math.max(wMax, maxAbs(connWeights(pr.conn)));
    if (wMax > 0) limits.push(rules.largestWeight / wMax);
    const isInput = p.id === snn.input.population;
    const bMax = isInput ? snn.input.gain : maxAbs(p.bias);
    if (bMax > 0) limits.push(biasMax / bMax);
    limits.push(rules.largestThreshold);
    if (reset === "two-compartment" && ns.softReset) {
      limits.push((2 ** ns.softReset.selfWeightMantissaBits.value - 1) * 2 ** ns.softReset.selfWeightExponentMax.value * 2 ** thShift);
    }
    const S = pow2Floor(Math.min(...limits));
    if (S < 2 ** thShift || S < 2) {
      throw fail("SNNC302", `no threshold scale fits this population on ${target.name} (weights up to ${wMax.toPrecision(3)} thresholds, bias up to ${bMax.toPrecision(3)})`, loc,
        "the layer's weights or biases are too large relative to its threshold; try --percentile 100 or check the layer");
    }
    // 2. weights
    const projections: QProjection[] = [];
    const report: LayerQuantisation["projections"][number][] = [];
    const formatOf = rules.weightFormats(p, S);
    for (const pr of p.inputs) {
      const fmt = formatOf(pr.conn);
      const { conn, stats } = quantiseConn(pr.conn, S, fmt);
      projections.push({ source: pr.source, ...payloadShiftOf(pr.source), delay: pr.delay, conn, posShift: fmt.posShift, negShift: fmt.negShift, signMode: fmt.signMode, weightExponent: fmt.weightExponent, origin: pr.origin });
      report.push({ origin: pr.origin, format: describeFormat(fmt), ...stats });
      if (stats.zeroed > 0.2) {
        warn({ code: "SNNC-W301", message: `${(stats.zeroed * 100).toFixed(1)}% of the nonzero weights from ${pr.origin} quantise to 0 (${describeFormat(fmt)})`, loc });
      }
    }
    // 3. bias and initial membrane
    const C = p.shape[2];
    const biasMant = new Int32Array(C);
    const biasExp = new Int32Array(C);
    const bias = new Int32Array(C);
    let biasErr = 0;
    for (let c = 0; c < C; c++) {
      const x = (p.bias ? (p.bias[c] as number) : 0) * S;
      const me = mantissaExponent(roundHalfAway(x), biasMantBits, biasExpMax);
      biasMant[c] = me.mantissa;
      biasExp[c] = me.exponent;
      bias[c] = me.mantissa * 2 ** me.exponent;
      biasErr = Math.max(biasErr, Math.abs((bias[c] as number) - x) / S);
    }
    const vInit = Int32Array.from(p.vInit, (v) => Math.max(-stateMax, Math.min(stateMax, roundHalfAway(v * S))));
    const fk = fine[p.id] ?? 0;
    const negTh = p.neuron.kind === "mt" && p.neuron.negThreshold > 0 ? (fk > 0 ? Math.max(1, Math.round(p.neuron.negThreshold * 2 ** fk)) / 2 ** fk : 2 ** Math.max(0, Math.round(Math.log2(p.neuron.negThreshold)))) : 0;
    if (fk > 0 && S < 2 ** fk) {
      throw fail("SNNC302", `negative threshold in steps of 2^-${fk} is below one state unit at scale ${S}`, loc, "lower the number of levels of the multi-threshold neurons");
    }
    if (kind === "mt") checkPayloadWidth(2 ** (mtLevels - 1) * (fk > 0 ? Math.max(1, negTh) * 2 ** fk : Math.max(1, negTh)), target, loc);
    const decay = p.leak ? leakDecays(p.leak, rules, warn, loc) : { du: rules.du, dv: 0, decayBits: rules.decayBits };
    const params: IntPopulationParams = {
      model: ns.model, kind, reset, size: p.size, channels: C,
      stateBits: ns.stateBits.value, threshold: S, du: decay.du, dv: decay.dv, decayBits: decay.decayBits, inputBits: rules.inputBits,
      bias, vInit, mtLevels: kind === "mt" ? mtLevels : 0, mtRelu: p.neuron.kind === "mt" && p.neuron.relu ? 1 : 0,
      mtNegThreshold: negTh * S, mtNegPayload: fk > 0 ? negTh * 2 ** fk : Math.max(1, negTh), ...(fk > 0 ? { mtPosPayload: 2 ** fk } : {}),
    };
    pops.push({ id: p.id, name: p.name, shape: p.shape, size: p.size, params, inputs: projections, depth: p.depth, scale: S, thresholdMantissa: S / 2 ** thShift, biasMantissa: biasMant, biasExponent: biasExp });
    layers.push({ name: p.name, scale: S, thresholdMantissa: S / 2 ** thShift, projections: report, biasMaxAbsError: biasErr });
  }
  const inputPop = pops[snn.input.population] as QPopulation;
  const q: QuantisedSnn = {
    name: snn.name, method: snn.method, target: target.name, populations: pops,
    input: gradedIn
      ? { population: snn.input.population, encoding: "graded", gainScaled: snn.input.gain * 2 ** gradedIn.fracBits, biasMantissaBits: biasMantBits, biasExponentMax: biasExpMax, gain: snn.input.gain, seed: snn.input.seed, ...gradedIn }
      : { population: snn.input.population, encoding: snn.input.encoding === "poisson" ? "poisson" : "current", gainScaled: snn.input.gain * inputPop.scale, biasMantissaBits: biasMantBits, biasExponentMax: biasExpMax, gain: snn.input.gain, seed: snn.input.seed },
    output: snn.output, readoutDepth: snn.readoutDepth, inputShape: snn.inputShape,
  };
  checkInputBound(q, rules.inputBits > 0 ? rules.inputBits : undefined, target.title, warn);
  return { q, layers };
}

/**
 * Graded input coding (ir/snn.ts InputEncoding "graded"): the payload's fractional bits F, the most that keep
 * 1.5 × the largest measured pixel · gain (at least 1 input threshold) inside the target's signed payload bits
 * (larger pixels saturate, runtime/input.ts gradedPayload). Null for the other codings; SNNC340 when the
 * target has no graded spikes.
 */
export function gradedInput(snn: SnnGraph, target: Target, ranges: PopulationRanges): { fracBits: number; payloadBits: number } | null {
  if (snn.input.encoding !== "graded") return null;
  const g = target.neuron.gradedSpikes;
  const bits = g.payloadBits?.value ?? 0;
  if (!g.supported || bits < 2) {
    throw fail("SNNC340", `graded input sends each pixel as a graded payload; target ${target.name} has no graded spikes`, { layer: (snn.populations[snn.input.population] as Population).name },
      "use --encoding current (or poisson), or a target with graded spikes (gradedSpikes.supported)");
  }
  const maxPayload = 2 ** (bits - 1) - 1;
  const maxValue = Math.max(1, ranges.maxAbsInput[snn.input.population] ?? 0);
  return { fracBits: Math.max(0, Math.floor(Math.log2(maxPayload / (1.5 * maxValue)))), payloadBits: bits };
}

/** What quantise needs of the target's neuron model: one case per model (exhaustive). */
interface ModelRules {
  /** Largest weight magnitude in state units (mantissa · 2^shift at its maximum). */
  readonly largestWeight: number;
  /** Largest threshold in state units. */
  readonly largestThreshold: number;
  /** The weight format of each projection into population p at scale S. */
  weightFormats(p: Population, S: number): (conn: Connectivity) => WeightFormat;
  /** Current decay: Loihi's du = 2^decayBits − 1 (u is this step's input); none for fixed-point IF. */
  readonly du: number;
  /** Decay resolution D (Loihi: decayBits, 12); 0 for fixed-point IF. */
  readonly decayBits: number;
  /** Magnitude bits of one step's synaptic input (Loihi: stepInputBits); 0 = no limit. */
  readonly inputBits: number;
  /** Leaky neurons (NIR): decay resolution, the current decay's offset (Loihi 1: du + 1 is applied) and the
   * largest decay the field holds; null when the target has no decay (SNNC303). */
  readonly leakDecay: { readonly bits: number; readonly duOffset: number; readonly max: number } | null;
}

function modelRules(target: Target): ModelRules {
  const ns = target.neuron;
  // Largest weight mantissa magnitude: 2^bits − 1 (Loihi's 8-bit field: 255; SpiNNaker's 16-bit: 65535).
  const weightMax = 2 ** ns.weightBits.value - 1;
  switch (ns.model) {
    case "loihi-cuba": {
      const weightShift = ns.weightShift?.value ?? 0;
      const expMin = ns.weightExponentMin?.value ?? 0;
      const expMax = ns.weightExponentMax?.value ?? 0;
      const thShift = ns.thresholdShift?.value ?? 0;
      const thMantMax = ns.thresholdMantissaBits ? 2 ** ns.thresholdMantissaBits.value - 1 : Infinity;
      return {
        largestWeight: weightMax * 2 ** (weightShift + expMax),
        largestThreshold: thMantMax * 2 ** thShift,
        weightFormats: (_p, S) => (conn) => loihiFormat(conn, S, weightShift, expMin, expMax, weightMax),
        du: 2 ** (ns.decayBits?.value ?? 12) - 1,
        decayBits: ns.decayBits?.value ?? 12,
        inputBits: ns.stepInputBits?.value ?? 0,
        // Loihi's 12-bit du/dv fields: 0..4095; the current decays by (du + 1) / 2^12.
        leakDecay: { bits: ns.decayBits?.value ?? 12, duOffset: 1, max: 2 ** (ns.decayBits?.value ?? 12) - 1 },
      };
    }
    case "fixed-if": {
      const leftShiftMax = ns.maxLeftShift?.value ?? 0;
      return {
        largestWeight: weightMax * 2 ** leftShiftMax,
        largestThreshold: 2 ** 24,
        weightFormats: (p, S) => {
          const shifts = fixedPointShifts(p, S, weightMax, leftShiftMax);
          return () => ({ signMode: "mixed", posShift: shifts.pos, negShift: shifts.neg, weightExponent: null, maxMantissa: weightMax, even: false });
        },
        du: 0,
        decayBits: 0,
        inputBits: 0,
        // Fixed-point decay factors with decayBits fraction bits: 0..2^D (2^D: forget the state entirely).
        leakDecay: ns.decayBits ? { bits: ns.decayBits.value, duOffset: 0, max: 2 ** ns.decayBits.value } : null,
      };
    }
    default:
      return assertNever(ns.model, "neuron model");
  }
}

/**
 * du/dv of a leaky population: d = round(2^D · (1 − keep)) (minus the current's offset on Loihi), clamped to
 * the field. SNNC-W160 when the integer decay misses the float one by more than 1% of (1 − keep) — the time
 * constant changes by that fraction — or loses the leak entirely (a time constant beyond 2^(D+1) steps).
 */
function leakDecays(leak: Leak, rules: ModelRules, warn: (w: Warning) => void, loc: { layer: string }): { du: number; dv: number; decayBits: number } {
  const ld = rules.leakDecay;
  if (!ld) throw fail("SNNC303", "leaky neurons need decays; this target's neuron model has none", loc, "use a target with decays (loihi, loihi2, spinnaker, spinnaker2)");
  const one = 2 ** ld.bits;
  const quant = (keep: number, offset: number, what: string): number => {
    const exact = one * (1 - keep);
    const d = Math.min(ld.max, Math.max(0, Math.round(exact) - offset));
    const applied = d + offset;
    const want = 1 - keep;
    if (want > 0 && Math.abs(applied / one - want) > 0.01 * want) {
      const tauSteps = 1 / want;
      const got = applied > 0 ? `${(one / applied).toFixed(1)} steps` : "no leak at all";
      warn({ code: "SNNC-W160", message: `the ${what} time constant of ${tauSteps.toFixed(1)} steps becomes ${got} with ${ld.bits}-bit decays (${(((want - applied / one) / want) * 100).toFixed(1)}% less decay per step)`, loc });
    } else if (want === 0 && applied > 0) {
      warn({ code: "SNNC-W160", message: `the ${what} should not decay; the target's smallest decay is ${applied}/${one} per step (a time constant of ${(one / applied).toFixed(0)} steps)`, loc });
    }
    return d;
  };
  return { dv: quant(leak.vKeep, 0, "membrane"), du: quant(leak.iKeep, ld.duOffset, "synaptic current"), decayBits: ld.bits };
}

function neuronKind(p: Population, snn: SnnGraph): NeuronKind {
  if (p.id === snn.input.population && p.neuron.kind !== "mt") return "input";
  switch (p.neuron.kind) {
    case "if": return "if";
    case "mt": return "mt";
    case "readout": return "readout";
    case "countReadout": return "count-readout";
    case "maxGate": return "max-gate";
    case "compute":
      throw new Error(`internal: compute node ${p.name} quantised as a neuron`);
  }
}

/** The fine multi-threshold payloads use at most this many bits, whatever wider word the target's packets
 * carry (SpiNNaker's 32): the resolution 16 bits give the negative thresholds is what ecmt was measured with on
 * loihi2, and it keeps Σ payload · s16.15 weight of the graded projections exact in a double (53 bits). */
const MT_FINE_PAYLOAD_BITS = 16;

/** Rule 4, one check for every target with graded spikes: the largest signed payload a population sends must
 * fit the target's payload width (Loihi 2's message bits, the 32-bit word of SpiNNaker's payload packets);
 * SNNC330 naming the layer. */
export function checkPayloadWidth(payloadMax: number, target: Target, loc: { layer: string }): void {
  const bits = target.neuron.gradedSpikes.payloadBits?.value ?? 0;
  if (payloadMax > 2 ** (bits - 1) - 1) {
    throw fail("SNNC330", `graded payload up to ${payloadMax} does not fit the ${bits}-bit signed payload of ${target.name}'s graded spikes`, loc,
      "lower the number of levels of the multi-threshold neurons (--mt-levels)");
  }
}

/**
 * ecmt's signed multi-threshold quantisers calibrate negative thresholds θn that are not powers of two (often
 * below 1), which payloads of ±2^j (negative ones × an integer θn) cannot carry. For those populations (method
 * ecmt only: the placement binary has no payload shifts) payloads count units of 2^−k, with k the largest that
 * the graded payload bits allow (2^(levels−1) · 2^k · max(1, θn) < 2^(bits−1)): θn is rounded to
 * θn' = round(θn · 2^k) / 2^k, a positive spike of level 2^j sends 2^j · 2^k (mtPosPayload), a negative one
 * −2^j · round(θn · 2^k) (mtNegPayload), the neuron subtracts 2^j · θn' · S, and every projection out of the
 * population divides by 2^k (payloadShift k). Returns k per population (0: the power-of-two rule).
 */
function fineNegativeShifts(snn: SnnGraph, payloadBits: number): number[] {
  return snn.populations.map((p) => {
    const n = p.neuron;
    if (snn.method !== "ecmt" || n.kind !== "mt" || !(n.negThreshold > 0) || payloadBits <= 1) return 0;
    const room = (2 ** (payloadBits - 1) - 1) / (2 ** (n.levels - 1) * Math.max(1, n.negThreshold * 1.01));
    return Math.max(0, Math.floor(Math.log2(room)));
  });
}

/** The s16.15 format of the weights into a compute node (rule 5): 32-bit mantissas, no shift. */
const COMPUTE_WEIGHTS: WeightFormat = { signMode: "mixed", posShift: 0, negShift: 0, weightExponent: null, maxMantissa: 2 ** 31 - 1, even: false };

/** Rule 5: a compute population in fixed point. `params` carry only size and scale (never stepped as neurons). */
function quantiseComputePopulation(p: Population, neuron: ComputeNeuron, model: IntPopulationParams["model"], stateBits: number,
  payloadShiftOf: (source: number) => { payloadShift?: number }, payload: ComputePayload): { pop: QPopulation; layer: LayerQuantisation } {
  const loc = { layer: p.name };
  const projections: QProjection[] = [];
  const report: LayerQuantisation["projections"][number][] = [];
  for (const pr of p.inputs) {
    const w = maxAbs(connWeights(pr.conn));
    if (w * ONE > COMPUTE_WEIGHTS.maxMantissa) {
      throw fail("SNNC322", `weight ${w.toPrecision(4)} from ${pr.origin} into compute node ${neuron.op.kind} does not fit s16.15 (|w| < 65536)`, loc);
    }
    const { conn, stats } = quantiseConn(pr.conn, ONE, COMPUTE_WEIGHTS);
    projections.push({ source: pr.source, ...(pr.operand ? { operand: pr.operand } : {}), ...payloadShiftOf(pr.source), delay: pr.delay, conn, posShift: 0, negShift: 0, signMode: "mixed", weightExponent: null, origin: pr.origin });
    report.push({ origin: pr.origin, format: "s16.15 (compute node)", ...stats });
  }
  const C = p.shape[2];
  const params: IntPopulationParams = {
    model, kind: "readout", reset: "zero", size: p.size, channels: C, stateBits, threshold: ONE, du: 0, dv: 0, decayBits: 0, inputBits: 0,
    bias: new Int32Array(C), vInit: new Int32Array(C), mtLevels: 0, mtRelu: 0, mtNegThreshold: 0, mtNegPayload: 1,
  };
  const pop: QPopulation = {
    id: p.id, name: p.name, shape: p.shape, size: p.size, params, inputs: projections, depth: p.depth, scale: ONE,
    thresholdMantissa: ONE, biasMantissa: new Int32Array(C), biasExponent: new Int32Array(C), compute: quantiseComputeNode(neuron, payload),
  };
  return { pop, layer: { name: p.name, scale: ONE, thresholdMantissa: ONE, projections: report, biasMaxAbsError: 0 } };
}

function resetOf(p: Population, target: Target, loc: { layer: string }): ResetRule {
  const nm = p.neuron;
  const mode = nm.kind === "if" || nm.kind === "countReadout" ? nm.reset : nm.kind === "mt" ? "subtract" : "zero";
  if (nm.kind === "readout") return "zero";
  if (mode === "zero") {
    if (!target.neuron.resetModes.includes("zero")) throw fail("SNNC303", `target ${target.name} cannot reset to zero`, loc);
    return "zero";
  }
  if (target.neuron.resetModes.includes("subtract")) return "subtract";
  if (nm.kind === "mt") {
    throw fail("SNNC303", `multi-threshold neurons subtract the fired level; target ${target.name} has no native subtraction`, loc);
  }
  if (target.neuron.softReset) return "two-compartment";
  throw fail("SNNC303", `reset by subtraction is not available on target ${target.name}`, loc,
    "convert with --reset zero (the report gives the accuracy it costs)");
}

/** Loihi weight format of one projection (see the file header, rule 2). */
function loihiFormat(conn: Connectivity, S: number, shift: number, expMin: number, expMax: number, weightMax: number): WeightFormat {
  const w = connWeights(conn);
  let pos = false;
  let neg = false;
  let m = 0;
  if (w) {
    for (let i = 0; i < w.length; i++) {
      const x = w[i] as number;
      if (x > 0) pos = true;
      if (x < 0) neg = true;
      m = Math.max(m, Math.abs(x) * S);
    }
  }
  const signMode: SignMode = pos && neg ? "mixed" : neg ? "inhibitory" : "excitatory";
  // Mixed sign spends one bit on the sign: mantissas are even, -256..254 (nengo-loihi shift_bits = 1).
  const maxMantissa = signMode === "mixed" ? weightMax - 1 : weightMax;
  let exp = expMin;
  while (exp < expMax && m / 2 ** (shift + exp) > maxMantissa) exp++;
  return { signMode, posShift: shift + exp, negShift: shift + exp, weightExponent: exp, maxMantissa, even: signMode === "mixed" };
}

/** SpiNNaker-style left shifts of a destination population, one per synapse type (sign). */
function fixedPointShifts(p: Population, S: number, weightMax: number, leftShiftMax: number): { pos: number; neg: number } {
  let pos = 0;
  let neg = 0;
  for (const pr of p.inputs) {
    const w = connWeights(pr.conn);
    if (!w) continue;
    for (let i = 0; i < w.length; i++) {
      const x = (w[i] as number) * S;
      if (x > pos) pos = x;
      if (-x > neg) neg = -x;
    }
  }
  const shiftFor = (m: number) => {
    let s = 0;
    while (s < leftShiftMax && m / 2 ** s > weightMax) s++;
    return s;
  };
  return { pos: shiftFor(pos), neg: shiftFor(neg) };
}

function describeFormat(f: WeightFormat): string {
  return f.weightExponent !== null
    ? `${f.signMode}, mantissa ≤ ${f.maxMantissa} × 2^${f.posShift} (exponent ${f.weightExponent})`
    : `magnitude ≤ ${f.maxMantissa}, << ${f.posShift} excitatory / << ${f.negShift} inhibitory`;
}

export type { QConnectivity };
