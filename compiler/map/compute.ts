/**
 * @fileoverview Compute-node placement: ECMT compute nodes (ir/snn.ts `compute`) onto the chips' processor
 * cores (target `processors`), under each processor's data memory and per-timestep cycle budget.
 *
 * Input: SnnGraph, Target. Output: ComputePlan — per compute node its memory, worst-case cycles per step and
 * the processors it takes (a node is split by rows of its output over several processors when one does not
 * hold it or cannot compute it within a step); the total against the processors of the system.
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
import type { ComputeOp, Population, SnnGraph } from "../ir/snn.ts";
import { projectionSynapses } from "../ir/snn.ts";
import { matmulSizes } from "../simulate/compute.ts";
import type { ProcessorSpec, Target } from "../target/schema.ts";

/** Lookup-table sizes in bytes (32-bit entries): exp 256, GELU 512, 1/sqrt 256 entries. */
export const LUT_BYTES = { exp: 1024, gelu: 2048, rsqrt: 1024 } as const;
const WORD_BYTES = 4;

export interface ComputeNodePlan {
  readonly population: number;
  readonly layer: string;
  readonly op: ComputeOp["kind"];
  readonly rows: number;
  /** State bytes (all rows) and lookup-table bytes (per processor). */
  readonly stateBytes: number;
  readonly lutBytes: number;
  /** Worst-case operations and cycles per sample and timestep (all rows). */
  readonly ops: { readonly mac: number; readonly add: number; readonly lookup: number; readonly divide: number };
  readonly cyclesPerStep: number;
  readonly processors: number;
}

export interface ComputePlan {
  readonly nodes: readonly ComputeNodePlan[];
  readonly processorsNeeded: number;
  readonly processorsAvailable: number;
  /** Worst-case energy of all compute nodes per timestep (joules), and the grade of the constant. */
  readonly joulesPerStep: number;
  readonly processor: ProcessorSpec | null;
}

function lutBytesOf(op: ComputeOp): number {
  switch (op.kind) {
    case "layerNorm": return LUT_BYTES.rsqrt;
    case "softmax": return LUT_BYTES.exp;
    case "gelu": return LUT_BYTES.gelu;
    case "sum":
    case "matmul": return 0;
  }
}

/** Rows the node splits by (tokens), state bytes and worst-case operations per step. */
export function computeNodeCost(p: Population, pops: readonly Population[]): { rows: number; stateBytes: number; ops: ComputeNodePlan["ops"] } {
  if (p.neuron.kind !== "compute") throw new Error(`internal: ${p.name} is not a compute node`);
  const op = p.neuron.op;
  const n = p.size;
  let synIn = 0;
  for (const pr of p.inputs) synIn += projectionSynapses(pr, pops[pr.source] as Population, p);
  switch (op.kind) {
    case "matmul": {
      const sz = matmulSizes(op);
      // incremental form: x·S_R + S_L·y − x·y over every output, then E = S_LR / τ
      const macs = 3 * op.rows * op.heads * op.inner * op.cols + n;
      return { rows: op.rows, stateBytes: WORD_BYTES * (sz.left + sz.right + 2 * n), ops: { mac: macs, add: sz.left + sz.right + 2 * n, lookup: 0, divide: 1 } };
    }
    case "layerNorm": {
      const rows = n / op.features;
      return { rows, stateBytes: WORD_BYTES * 2 * n, ops: { mac: synIn + 4 * n, add: 4 * n, lookup: rows, divide: 1 } };
    }
    case "softmax": {
      const rows = n / op.groupSize;
      return { rows, stateBytes: WORD_BYTES * 2 * n, ops: { mac: synIn + 3 * n, add: 4 * n, lookup: n, divide: rows + 1 } };
    }
    case "gelu":
      return { rows: p.shape[0] * p.shape[1], stateBytes: WORD_BYTES * 2 * n, ops: { mac: synIn + 2 * n, add: 2 * n, lookup: n, divide: 1 } };
    case "sum":
      return { rows: p.shape[0] * p.shape[1], stateBytes: WORD_BYTES * 2 * n, ops: { mac: synIn + n, add: 2 * n, lookup: 0, divide: 1 } };
  }
}

export function planComputeNodes(snn: SnnGraph, target: Target): ComputePlan {
  const compute = snn.populations.filter((p) => p.neuron.kind === "compute");
  const proc = target.processors ?? null;
  if (compute.length === 0) return { nodes: [], processorsNeeded: 0, processorsAvailable: 0, joulesPerStep: 0, processor: proc };
  const first = compute[0] as Population;
  if (!proc || proc.perChip.value === 0) {
    throw fail("SNNC320", `target ${target.name} has no processor cores to run compute nodes (expectation-compensated ${first.neuron.kind === "compute" ? first.neuron.op.kind : ""})`,
      { layer: first.name }, "use a target whose file has a `processors` section (loihi, loihi2, spinnaker, spinnaker2)");
  }
  const budget = proc.clockHz.value * proc.stepBudgetSeconds.value;
  const cyclesOf = (o: ComputeNodePlan["ops"]): number =>
    o.mac * proc.cyclesPerMac.value + o.add * proc.cyclesPerAdd.value + o.lookup * proc.cyclesPerLookup.value + o.divide * proc.cyclesPerDivide.value;
  const nodes: ComputeNodePlan[] = [];
  for (const p of compute) {
    if (p.neuron.kind !== "compute") continue;
    const { rows, stateBytes, ops } = computeNodeCost(p, snn.populations);
    const lutBytes = lutBytesOf(p.neuron.op);
    const cycles = cyclesOf(ops);
    const free = proc.dataMemoryBytes.value - lutBytes;
    const rowBytes = stateBytes / rows;
    const rowCycles = cycles / rows;
    if (free < rowBytes) {
      throw fail("SNNC410", `compute node ${p.neuron.op.kind}: one row of its state S(t), E(t) needs ${rowBytes} bytes, a ${proc.kind} has ${Math.max(0, free)} left after ${lutBytes} bytes of lookup tables`,
        { layer: p.name }, "a target with more processor memory, or a model with fewer features per token");
    }
    if (rowCycles > budget) {
      throw fail("SNNC410", `compute node ${p.neuron.op.kind}: one row needs ${Math.ceil(rowCycles)} cycles per step, a ${proc.kind} has ${budget} (${proc.stepBudgetSeconds.value} s at ${proc.clockHz.value / 1e6} MHz)`,
        { layer: p.name }, "a target with faster processors or a longer step budget");
    }
    const rowsPerProc = Math.max(1, Math.min(Math.floor(free / rowBytes), Math.floor(budget / rowCycles)));
    nodes.push({ population: p.id, layer: p.name, op: p.neuron.op.kind, rows, stateBytes, lutBytes, ops, cyclesPerStep: cycles, processors: Math.ceil(rows / rowsPerProc) });
  }
  const chips = target.system.chips.width * target.system.chips.height;
  const available = chips * proc.perChip.value;
  let needed = 0;
  for (const n of nodes) {
    needed += n.processors;
    if (needed > available) {
      throw fail("SNNC411", `compute nodes need ${needed} processor cores by this layer; the ${chips}-chip system has ${available} (${proc.perChip.value} per chip)`,
        { layer: n.layer }, "a target with more chips or processors, or a smaller model");
    }
  }
  const joulesPerStep = nodes.reduce((a, n) => a + n.cyclesPerStep, 0) * proc.joulesPerCycle.value;
  return { nodes, processorsNeeded: needed, processorsAvailable: available, joulesPerStep, processor: proc };
}
