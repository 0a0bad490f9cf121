/**
 * @fileoverview Compute-node placement: ECMT compute nodes (ir/snn.ts `compute`) onto the chips' processor
 * cores (target `processors`), under each processor's data memory and per-timestep cycle budget.
 *
 * Input: SnnGraph (or QuantisedSnn), Target, chips of the system. Output: ComputePlan — per compute node its
 * memory, worst-case cycles per step and the processors it takes, and where: a node is split into work units
 * (row × slice) over several processors when one does not hold it or cannot compute it within a step. A row
 * (a token's features, a softmax group, a matmul output row) is sliced by columns when one row alone is over
 * the budget: each slice accumulates the synaptic input of its columns and the slices of a row exchange their
 * partial sums (mean, variance, softmax denominator: 2 adds per slice and step). Processors are numbered
 * chip-major (slot = chip · perChip + index) and filled first fit in node order: a processor may hold units of
 * several nodes while their cycles and memory (with each LUT kind once) stay within its budget.
 * Work per step is the expected one when firing rates were measured (the measure pass's, as traffic is
 * weighed): synaptic events into a node = synapses × the source's events per element and step, with compute
 * sources (dense payloads) and unmeasured networks at every input active; the emulator counts the actual
 * events and reports the busiest processor's cycles per step against the same budget.
 * Memory model (fixed point, docs/binary-format.md "compute nodes"): every element keeps its accumulated input
 * S (int32) and cumulative output E (int32); a matmul keeps S_L, S_R and the accumulated product S_LR (int32);
 * each processor also holds the operator's lookup tables (LUT_BYTES). Work model, per sample and step, with
 * every input active (an upper bound): the synaptic input into the node (one MAC per synapse), the EC update,
 * and the operator (mean/variance, 1/sqrt lookup, exp lookups, GELU lookups, one division per row for 1/τ).
 * Failures: SNNC410 (a row of the node does not fit one processor's memory or cycle budget), SNNC411 (the
 * system has fewer processors than the nodes need), SNNC320 (the target has no processor model); each names
 * the layer.
 */
import { fail } from "../diagnostics.ts";
import type { QConnectivity, QuantisedSnn } from "../ir/quantised.ts";
import type { ComputeOp, Population, SnnGraph } from "../ir/snn.ts";
import { projectionSynapses, windowSynapses } from "../ir/snn.ts";
import { matmulSizes } from "../simulate/compute.ts";
import type { ProcessorSpec, Target } from "../target/schema.ts";
import { type ComputeOps, type ComputeShape, computeOpsPerStep, computeRows } from "../../runtime/compute.ts";

/** Lookup-table sizes in bytes (32-bit entries): exp 256, GELU 512, 1/sqrt 256 entries. */
export const LUT_BYTES = { exp: 1024, gelu: 2048, rsqrt: 1024 } as const;
const WORD_BYTES = 4;

/** Where one processor's share of a node runs: global slot (chip · perChip + index) and its units. */
export interface ComputeAssignment {
  readonly slot: number;
  readonly chip: number;
  readonly index: number;
  readonly unitStart: number;
  readonly unitEnd: number;
}

export interface ComputeNodePlan {
  readonly population: number;
  readonly layer: string;
  readonly op: ComputeOp["kind"];
  readonly rows: number;
  /** Slices per row (1: rows are not split) and work units (rows × slices). */
  readonly slices: number;
  readonly units: number;
  /** State bytes (all rows) and lookup-table bytes (per processor). */
  readonly stateBytes: number;
  readonly lutBytes: number;
  /** Worst-case operations and cycles per sample and timestep (all rows). */
  readonly ops: { readonly mac: number; readonly add: number; readonly lookup: number; readonly divide: number };
  readonly cyclesPerStep: number;
  /** Worst-case cycles and bytes of one unit (a slice of a row, with its share of the exchange). */
  readonly unitCycles: number;
  readonly unitBytes: number;
  readonly processors: number;
  readonly assignments: readonly ComputeAssignment[];
}

export interface ComputePlan {
  readonly nodes: readonly ComputeNodePlan[];
  readonly processorsNeeded: number;
  readonly processorsAvailable: number;
  /** Worst-case energy of all compute nodes per timestep (joules), and the grade of the constant. */
  readonly joulesPerStep: number;
  /** Worst-case cycles per step of the busiest processor, and the budget (clock × step budget). */
  readonly maxProcessorCycles: number;
  readonly budgetCycles: number;
  readonly processor: ProcessorSpec | null;
}

function lutBytesOf(op: ComputeOp["kind"]): number {
  switch (op) {
    case "layerNorm": return LUT_BYTES.rsqrt;
    case "softmax": return LUT_BYTES.exp;
    case "gelu": return LUT_BYTES.gelu;
    case "matmul":
    case "sum": return 0;
  }
}

/** What the plan needs of a compute population, from either IR. */
interface NodeFacts {
  readonly population: number;
  readonly layer: string;
  readonly shape: ComputeShape;
  readonly tokens: number;
  /** Synaptic events into the node per step: synapses × the source's measured events per element and step
   * (every input active when nothing was measured, and always for compute sources, whose payloads are dense). */
  readonly synIn: number;
}

function shapeOf(op: ComputeOp, size: number): ComputeShape {
  switch (op.kind) {
    case "matmul": return { kind: "matmul", size, op };
    case "layerNorm": return { kind: "layerNorm", size, features: op.features };
    case "softmax": return { kind: "softmax", size, groupSize: op.groupSize };
    case "gelu": return { kind: "gelu", size };
    case "sum": return { kind: "sum", size };
  }
}

function costOf(f: NodeFacts): { rows: number; columns: number; stateBytes: number; ops: ComputeOps } {
  const s = f.shape;
  const n = s.size;
  const ops = computeOpsPerStep(s);
  ops.mac += f.synIn;
  const { rows, columns } = computeRows(s, f.tokens);
  if (s.kind === "matmul") {
    const sz = matmulSizes({ kind: "matmul", ...s.op });
    return { rows, columns, stateBytes: WORD_BYTES * (sz.left + sz.right + 2 * n), ops };
  }
  return { rows, columns, stateBytes: WORD_BYTES * 2 * n, ops };
}

/** Rows the node splits by (tokens), state bytes and worst-case operations per step. */
export function computeNodeCost(p: Population, pops: readonly Population[]): { rows: number; stateBytes: number; ops: ComputeNodePlan["ops"] } {
  const { rows, stateBytes, ops } = costOf(factsOf(p, pops));
  return { rows, stateBytes, ops };
}

/** Events per element and step of a source: 1 for compute nodes and when unmeasured, else the measured rate. */
function rateOf(source: number, isCompute: boolean, rates: readonly number[] | null): number {
  if (isCompute || !rates) return 1;
  const r = rates[source];
  return r === undefined || !Number.isFinite(r) ? 1 : Math.min(1, Math.max(0, r));
}

function factsOf(p: Population, pops: readonly Population[], rates: readonly number[] | null = null): NodeFacts {
  if (p.neuron.kind !== "compute") throw new Error(`internal: ${p.name} is not a compute node`);
  let synIn = 0;
  for (const pr of p.inputs) {
    const src = pops[pr.source] as Population;
    synIn += projectionSynapses(pr, src, p) * rateOf(pr.source, src.neuron.kind === "compute", rates);
  }
  return { population: p.id, layer: p.name, shape: shapeOf(p.neuron.op, p.size), tokens: p.shape[0] * p.shape[1], synIn };
}

/** Synapses of a quantised projection (as ir/snn.ts projectionSynapses on the float one). */
export function qConnSynapses(c: QConnectivity, srcSize: number, dstSize: number): number {
  switch (c.kind) {
    case "dense": return srcSize * dstSize;
    case "oneToOne": return dstSize;
    case "sparse": return c.col.length;
    case "conv":
    case "depthwise":
    case "avgPool":
    case "maxPool": {
      return windowSynapses(c.kind, c.geometry);
    }
  }
}

/** The compute nodes of a quantised network (the back end's view). */
export function qComputeFacts(q: QuantisedSnn, rates: readonly number[] | null = null): NodeFacts[] {
  const out: NodeFacts[] = [];
  for (const p of q.populations) {
    const c = p.compute;
    if (!c) continue;
    let synIn = 0;
    for (const pr of p.inputs) {
      const src = q.populations[pr.source] as QuantisedSnn["populations"][number];
      synIn += qConnSynapses(pr.conn, src.size, p.size) * rateOf(pr.source, src.compute !== undefined, rates);
    }
    const shape: ComputeShape = c.kind === "matmul" ? { kind: "matmul", size: p.size, op: c.op }
      : c.op.kind === "layerNorm" ? { kind: "layerNorm", size: p.size, features: c.op.features }
        : c.op.kind === "softmax" ? { kind: "softmax", size: p.size, groupSize: c.op.groupSize } : { kind: "gelu", size: p.size };
    out.push({ population: p.id, layer: p.name, shape, tokens: p.shape[0] * p.shape[1], synIn });
  }
  return out;
}

/** `rates`: measured events per element and step per population (the measure pass's); null: every input active. */
export function planComputeNodes(snn: SnnGraph, target: Target, chips?: number, rates: readonly number[] | null = null): ComputePlan {
  const facts = snn.populations.filter((p) => p.neuron.kind === "compute").map((p) => factsOf(p, snn.populations, rates));
  return planCompute(facts, target, chips);
}

/** `occupied`: global processor slots (chip · perChip + index) the neuron cores hold, where the processors are
 * the neuron cores themselves (target `processors.sharedWithNeuronCores`, SpiNNaker): compute nodes take the
 * other slots, chip-major. */
export function planQuantisedCompute(q: QuantisedSnn, target: Target, chips?: number, rates: readonly number[] | null = null, occupied?: ReadonlySet<number>): ComputePlan {
  return planCompute(qComputeFacts(q, rates), target, chips, occupied);
}

/** The slots the neuron cores of a placement hold (chip = chipY · chipsX + chipX, as the plan numbers chips). */
export function occupiedSlots(placement: readonly { readonly chipX: number; readonly chipY: number; readonly index: number }[], chipsX: number, target: Target): Set<number> {
  const per = target.processors?.perChip.value ?? 0;
  return new Set(target.processors?.sharedWithNeuronCores ? placement.map((l) => (l.chipY * chipsX + l.chipX) * per + l.index) : []);
}

function planCompute(facts: readonly NodeFacts[], target: Target, chipsIn?: number, occupied?: ReadonlySet<number>): ComputePlan {
  const proc = target.processors ?? null;
  const none = { nodes: [], processorsNeeded: 0, processorsAvailable: 0, joulesPerStep: 0, maxProcessorCycles: 0, budgetCycles: 0, processor: proc };
  if (facts.length === 0) return none;
  const first = facts[0] as NodeFacts;
  if (!proc || proc.perChip.value === 0) {
    throw fail("SNNC320", `target ${target.name} has no processor cores to run compute nodes (expectation-compensated ${first.shape.kind})`,
      { layer: first.layer }, "use a target whose file has a `processors` section (loihi, loihi2, spinnaker, spinnaker2)");
  }
  const budget = proc.clockHz.value * proc.stepBudgetSeconds.value;
  const cyclesOf = (o: ComputeOps): number =>
    o.mac * proc.cyclesPerMac.value + o.add * proc.cyclesPerAdd.value + o.lookup * proc.cyclesPerLookup.value + o.divide * proc.cyclesPerDivide.value;
  const chips = chipsIn ?? target.system.chips.width * target.system.chips.height;
  // Free slots in chip-major order, found as the processors open (chips may be unbounded when sizing a system).
  const total = chips * proc.perChip.value;
  let taken = 0;
  for (const s of occupied ?? []) if (s < total) taken++;
  const available = total - taken;
  const slots: number[] = [];
  let scan = 0;
  const nodes: ComputeNodePlan[] = [];
  const open: { cycles: number; bytes: number; luts: Set<string> }[] = [];
  for (const f of facts) {
    const { rows, columns, stateBytes, ops } = costOf(f);
    const kind = f.shape.kind;
    const lutBytes = lutBytesOf(kind);
    const cycles = cyclesOf(ops);
    const free = proc.dataMemoryBytes.value - lutBytes;
    const rowBytes = stateBytes / rows;
    const rowCycles = cycles / rows;
    const exchange = 2 * proc.cyclesPerAdd.value;
    // Slices per row: as few as make one unit fit the memory and the step budget.
    let slices = 1;
    while (slices < columns && (rowBytes / slices > free || rowCycles / slices + (slices > 1 ? exchange : 0) > budget)) slices++;
    const unitBytes = rowBytes / slices;
    const unitCycles = rowCycles / slices + (slices > 1 ? exchange : 0);
    if (free < unitBytes) {
      throw fail("SNNC410", `compute node ${kind}: one column of a row of its state S(t), E(t) needs ${Math.ceil(unitBytes)} bytes, a ${proc.kind} has ${Math.max(0, free)} left after ${lutBytes} bytes of lookup tables`,
        { layer: f.layer }, "a target with more processor memory, or a model with fewer features per token");
    }
    if (unitCycles > budget) {
      throw fail("SNNC410", `compute node ${kind}: one column of a row needs ${Math.ceil(unitCycles)} cycles per step, a ${proc.kind} has ${budget} (${proc.stepBudgetSeconds.value} s at ${proc.clockHz.value / 1e6} MHz)`,
        { layer: f.layer }, "a target with faster processors or a longer step budget");
    }
    const units = rows * slices;
    // First fit: the open processors' spare cycles and memory (a processor holds each LUT kind once), then new ones.
    const assignments: ComputeAssignment[] = [];
    let done = 0;
    for (let k = 0; done < units; k++) {
      if (k === open.length) {
        if (open.length >= available) {
          throw fail("SNNC411", `compute nodes need more than the ${available} processor cores of the ${chips}-chip system (${proc.perChip.value} per chip${occupied?.size ? `, ${occupied.size} of them neuron cores` : ""}) by this layer`,
            { layer: f.layer }, "a target with more chips or processors (--chips), or a smaller model");
        }
        open.push({ cycles: 0, bytes: 0, luts: new Set() });
        while (occupied?.has(scan)) scan++;
        slots.push(scan++);
      }
      const o = open[k] as { cycles: number; bytes: number; luts: Set<string> };
      const lut = o.luts.has(kind) ? 0 : lutBytes;
      const take = Math.min(units - done, Math.floor((budget - o.cycles) / unitCycles), Math.floor((proc.dataMemoryBytes.value - o.bytes - lut) / unitBytes));
      if (take < 1) continue;
      o.cycles += take * unitCycles;
      o.bytes += take * unitBytes + lut;
      if (lutBytes > 0) o.luts.add(kind);
      const slot = slots[k] as number;
      assignments.push({ slot, chip: Math.floor(slot / proc.perChip.value), index: slot % proc.perChip.value, unitStart: done, unitEnd: done + take });
      done += take;
    }
    const processors = assignments.length;
    nodes.push({ population: f.population, layer: f.layer, op: kind, rows, slices, units, stateBytes, lutBytes, ops, cyclesPerStep: cycles, unitCycles, unitBytes, processors, assignments });
  }
  const joulesPerStep = nodes.reduce((a, n) => a + n.cyclesPerStep, 0) * proc.joulesPerCycle.value;
  const maxProcessorCycles = Math.max(0, ...open.map((o) => o.cycles));
  return { nodes, processorsNeeded: open.length, processorsAvailable: available, joulesPerStep, maxProcessorCycles, budgetCycles: budget, processor: proc };
}
