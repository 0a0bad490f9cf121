/**
 * @fileoverview Energy per inference from emulator counters and the target's energy table, and the ANN's
 * energy under the common convention, with every constant's source and evidence grade.
 *
 * SNN (target model):
 *   E = synOps·E_synop + activeUpdates·E_active + idleUpdates·E_idle + spikes·E_spike
 *       + hopsX·E_hopX + hopsY·E_hopY + (chips·P_chip + cores·P_core)·latency
 *       + computeCycles·E_cycle (ECMT compute nodes on the processor cores, when there are any)
 *       + gradedPackets·E_spike + gradedHops·E_hopX (graded packets to and from them)
 * Where graded spikes are packets of their own (target neuron.gradedSpikes.packet: SpiNNaker's 72-bit multicast
 * packets with a payload word), multi-threshold spikes, their hops and the compute nodes' graded packets are
 * charged that packet's energy (E_pkt, E_pktHop) instead of E_spike and E_hopX.
 * grouped into classes: synaptic ops, neuron updates, compute-node ops, traffic (spikes, packets, hops), static.
 * ANN (Horowitz, ISSCC 2014, 45 nm, fp32): E = MACs·E_MAC with E_MAC = 3.7 + 0.9 = 4.6 pJ.
 * The SNN under the same convention (as conversion papers report it): the first (encoding) layer's
 * synaptic ops are charged E_MAC, all others E_AC = 0.9 pJ.
 */
import type { Grade, Target } from "../target/schema.ts";

export const E_MAC = { value: 4.6e-12, source: "Horowitz, ISSCC 2014, 45 nm: fp32 mult 3.7 pJ + add 0.9 pJ", grade: "silicon" as Grade };
export const E_AC = { value: 0.9e-12, source: "Horowitz, ISSCC 2014, 45 nm: fp32 add 0.9 pJ", grade: "silicon" as Grade };

export interface EnergyCounters {
  readonly synapticOps: number;
  readonly activeUpdates: number;
  readonly idleUpdates: number;
  readonly spikes: number;
  readonly hopsX: number;
  readonly hopsY: number;
  /** Seconds per inference. */
  readonly latency: number;
  readonly chips: number;
  readonly cores: number;
  /** Processor cycles of ECMT compute nodes per inference (absent or 0: no compute nodes). */
  readonly computeCycles?: number;
  /** Graded packets to and from the compute nodes per inference, and their chip-to-chip link hops. */
  readonly gradedPackets?: number;
  readonly gradedHops?: number;
  /** Synaptic events of graded projections (into and out of compute nodes, summed on the processors): charged
   * through computeCycles on the target, at E_AC under the seed's convention. */
  readonly gradedSynapticOps?: number;
  /** Of `spikes` and `hopsX + hopsY`: the multi-threshold spikes sent as payload packets and their hops. */
  readonly payloadSpikes?: number;
  readonly payloadHops?: number;
}

/** Energy per class of operation (joules per inference): the breakdown's terms grouped. */
export interface EnergyClasses {
  readonly synapticOps: number;
  readonly neuronUpdates: number;
  readonly computeNodeOps: number;
  readonly traffic: number;
  readonly static: number;
}

export interface EnergyTerm {
  readonly term: string;
  readonly count: number;
  readonly joulesEach: number;
  readonly joules: number;
  readonly source: string;
  readonly grade: Grade;
}

export interface EnergyReport {
  readonly snnJoulesPerInference: number;
  readonly annJoulesPerInference: number;
  readonly ratio: number;
  readonly model: string;
  readonly breakdown: readonly EnergyTerm[];
  readonly ann: { readonly macs: number; readonly joulesPerMac: number; readonly source: string; readonly grade: Grade };
  /** The SNN under the 45 nm AC/MAC convention (first layer at E_MAC). */
  readonly convention: { readonly joules: number; readonly firstLayerOps: number; readonly otherOps: number; readonly ratioToAnn: number };
  readonly caveats: readonly string[];
  readonly classes?: EnergyClasses;
}

export function energyReport(target: Target, c: EnergyCounters, annMacs: number, firstLayerOps: number): EnergyReport {
  const e = target.energy;
  // On a chip torus every hop is a chip-to-chip link (counted as x); meshes count tile hops in x and y.
  const torus = target.system.chips.kind === "hex-torus";
  const term = (name: string, count: number, k: { value: number; source: string; grade: Grade }): EnergyTerm => ({
    term: name, count, joulesEach: k.value, joules: count * k.value, source: k.source, grade: k.grade,
  });
  const pkt = target.neuron.gradedSpikes.packet;
  const pSpikes = pkt ? (c.payloadSpikes ?? 0) : 0;
  const pHops = pkt ? (c.payloadHops ?? 0) : 0;
  const breakdown = [
    term("synaptic ops", c.synapticOps, e.synOpJoules),
    term("neuron updates (active)", c.activeUpdates, e.neuronUpdateActiveJoules),
    term("neuron updates (idle)", c.idleUpdates, e.neuronUpdateIdleJoules),
    term("spikes sent", c.spikes - pSpikes, e.spikeJoules),
    ...(torus
      ? [term("hops (chip-to-chip links)", c.hopsX + c.hopsY - pHops, e.hopJoulesX)]
      : [term("hops (east-west)", c.hopsX - pHops, e.hopJoulesX), term("hops (north-south)", c.hopsY, e.hopJoulesY)]),
    ...(pkt && pSpikes > 0 ? [term(`payload packets sent (graded spikes, ${pkt.bits.value} bits)`, pSpikes, pkt.joules), term("payload packet hops (chip-to-chip)", pHops, pkt.hopJoules)] : []),
    term("static power × latency (chips, s)", c.chips * c.latency, { value: e.staticWattsPerChip.value, source: e.staticWattsPerChip.source, grade: e.staticWattsPerChip.grade }),
    term("static power × latency (cores, s)", c.cores * c.latency, { value: e.staticWattsPerCore.value, source: e.staticWattsPerCore.source, grade: e.staticWattsPerCore.grade }),
    ...(c.computeCycles && target.processors ? [term("compute-node ops (processor cycles)", c.computeCycles, target.processors.joulesPerCycle)] : []),
    ...(c.gradedPackets ? [term("graded packets (to and from compute nodes)", c.gradedPackets, pkt ? pkt.joules : e.spikeJoules), term("graded packet hops (chip-to-chip)", c.gradedHops ?? 0, pkt ? pkt.hopJoules : e.hopJoulesX)] : []),
  ];
  const sum = (f: (t: EnergyTerm) => boolean): number => breakdown.filter(f).reduce((a, t) => a + t.joules, 0);
  const classes: EnergyClasses = {
    synapticOps: sum((t) => t.term === "synaptic ops"),
    neuronUpdates: sum((t) => t.term.startsWith("neuron updates")),
    computeNodeOps: sum((t) => t.term.startsWith("compute-node ops")),
    traffic: sum((t) => t.term.startsWith("spikes sent") || t.term.startsWith("hops") || t.term.startsWith("graded") || t.term.startsWith("payload")),
    static: sum((t) => t.term.startsWith("static")),
  };
  const snn = breakdown.reduce((a, t) => a + t.joules, 0);
  const ann = annMacs * E_MAC.value;
  const ops = c.synapticOps + (c.gradedSynapticOps ?? 0);
  const conventionJ = firstLayerOps * E_MAC.value + Math.max(0, ops - firstLayerOps) * E_AC.value;
  const caveats = [...e.notes];
  const weak = breakdown.filter((t) => t.joules > 0 && (t.grade === "estimate" || t.grade === "pre-silicon"));
  if (weak.length) caveats.push(`Terms from estimated or pre-silicon constants: ${weak.map((t) => `${t.term} (${t.grade})`).join(", ")}.`);
  caveats.push("The ANN figure counts multiply-accumulates only (45 nm fp32); memory movement is left out of both sides (Yan et al., arXiv 2409.08290, find it decisive).");
  return {
    snnJoulesPerInference: snn,
    annJoulesPerInference: ann,
    ratio: ann > 0 ? snn / ann : 0,
    model: `${target.name}: synaptic ops, neuron updates, spikes, hops and static power × latency (${target.title}); ANN: MACs × 4.6 pJ (45 nm)`,
    breakdown,
    ann: { macs: annMacs, joulesPerMac: E_MAC.value, source: E_MAC.source, grade: E_MAC.grade },
    convention: { joules: conventionJ, firstLayerOps, otherOps: Math.max(0, ops - firstLayerOps), ratioToAnn: ann > 0 ? conventionJ / ann : 0 },
    caveats,
    classes,
  };
}
