/**
 * @fileoverview The split of a network with ECMT compute nodes into what the neuro cores run and what the
 * processor cores run. Stage: partition (its input view) and emit (the CMPT section).
 *
 * Input: QuantisedSnn. Output: `neuronView` — the same populations (same ids, so META and the reference keep
 * one numbering) where compute populations have no inputs and neuron populations keep only their inputs from
 * neuron populations: partition, place, route and the synapse tables see the spiking network alone;
 * `gradedProjections` — every projection into or out of a compute node (neuron → compute, compute → compute,
 * compute → neuron), and every projection with a payload shift (fine multi-threshold payloads, graded input): these travel as graded packets (32-bit payloads) to and from the processors and are
 * stored, with their weights, in the binary's CMPT section (docs/binary-format.md "CMPT").
 * Invariant: every projection of the network is in exactly one of the two.
 */
import type { QPopulation, QProjection, QuantisedSnn } from "../ir/quantised.ts";

export interface GradedProjection {
  /** Destination population and the projection's index among its inputs. */
  readonly dst: number;
  readonly index: number;
  readonly projection: QProjection;
}

/** Into or out of a compute node, or scaled down by a payload shift (ecmt's fine multi-threshold payloads,
 * which the neuro cores' synapse tables cannot divide): delivered as graded packets, summed exactly per target
 * and step, then shifted with rounding (ir/quantised.ts, payload scaling). */
export function isGraded(q: QuantisedSnn, dst: QPopulation, pr: QProjection): boolean {
  return dst.compute !== undefined || (q.populations[pr.source] as QPopulation).compute !== undefined || (pr.payloadShift ?? 0) > 0;
}

export function hasCompute(q: QuantisedSnn): boolean {
  return q.populations.some((p) => p.compute !== undefined);
}

export function neuronView(q: QuantisedSnn): QuantisedSnn {
  // graded input (payloadShift out of the input population) makes graded projections without compute nodes
  if (!q.populations.some((p) => p.inputs.some((pr) => isGraded(q, p, pr)))) return q;
  return { ...q, populations: q.populations.map((p) => ({ ...p, inputs: p.inputs.filter((pr) => !isGraded(q, p, pr)) })) };
}

export function gradedProjections(q: QuantisedSnn): GradedProjection[] {
  const out: GradedProjection[] = [];
  for (const p of q.populations) p.inputs.forEach((pr, index) => { if (isGraded(q, p, pr)) out.push({ dst: p.id, index, projection: pr }); });
  return out;
}
