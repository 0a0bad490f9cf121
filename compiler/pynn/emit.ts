/**
 * @fileoverview `--emit-pynn`: the compiled network as a PyNN script for SpiNNaker 1 (sPyNNaker), runnable on
 * PyNN's Brian 2 backend as well. Pure: QuantisedSnn in, file contents out (the CLI writes them).
 *
 * Input: the QuantisedSnn of a target whose neurons are SpiNNaker's s16.15 integrate-and-fire (`fixed-if`),
 * the run's T. Output: `network_pynn.py` (the script, with the network's description as JSON inside) and
 * `network_pynn/synapses.npy` (int32 [S, 2]: pre, post, NHWC flat indices, grouped by projection) and
 * `network_pynn/weights.npy` (float64 [S]: effective weights in state units); the JSON's
 * `projectionStarts` cuts the rows into projections.
 *
 * Refused (SNNC180–SNNC183, nothing written): another neuron model (Loihi's CUBA), neurons PyNN's standard
 * cells cannot be (multi-threshold graded spikes, max gates), Poisson input. Reset by subtraction has no
 * standard PyNN cell: the script resets to 0 and SNNC-W180 says so (docs/pynn.md measures what it costs).
 */
import { fail, type Warning } from "../diagnostics.ts";
import { writeNpy } from "../data/npy.ts";
import type { QuantisedSnn } from "../ir/quantised.ts";
import type { Target } from "../target/schema.ts";
import { pynnScript } from "./script.ts";
import { expandProjection } from "./synapses.ts";

export const PYNN_SCRIPT = "network_pynn.py";
export const PYNN_DATA_DIR = "network_pynn";

export interface PynnFiles {
  /** Relative path → contents. */
  readonly files: ReadonlyMap<string, Uint8Array | string>;
  readonly warnings: readonly Warning[];
  readonly synapses: number;
}

export interface PynnMeta {
  readonly snncVersion: string;
  readonly model: string;
  readonly timesteps: number;
}

/** The checks that need no compile (the CLI runs them before compiling): target neuron model, encoding. */
export function checkPynnRequest(target: Target, encoding: string): void {
  if (target.neuron.model !== "fixed-if") {
    throw fail("SNNC180", `--emit-pynn writes SpiNNaker integrate-and-fire neurons; target ${target.name}'s neurons are ${target.neuron.model}`, {},
      "compile for --target spinnaker (or spinnaker2); Loihi 2 reads NIR: use --emit-nir");
  }
  if (encoding !== "current") {
    throw fail("SNNC182", `--emit-pynn supports the current input encoding only, not ${encoding}`, {}, "compile with --encoding current");
  }
}

export function emitPynn(q: QuantisedSnn, target: Target, meta: PynnMeta): PynnFiles {
  const ns = target.neuron;
  checkPynnRequest(target, q.input.encoding);
  const warnings: Warning[] = [];
  const subtract: string[] = [];
  for (const p of q.populations) {
    const k = p.params.kind;
    if (k === "mt" || k === "max-gate") {
      throw fail("SNNC181", `population "${p.name}" has ${k} neurons, which PyNN's standard cells cannot express`, { layer: p.name },
        k === "mt" ? "use a method with unit spikes (ecc, rnl, qcfs, ttrbr)" : "compile with --maxpool average");
    }
    for (const pr of p.inputs) {
      if (pr.conn.kind === "maxPool") throw fail("SNNC181", `population "${p.name}" is fed by max pooling, which has no synapse form`, { layer: p.name }, "compile with --maxpool average");
      if (pr.delay < 1) throw fail("SNNC183", `projection into "${p.name}" has delay ${pr.delay}; PyNN needs at least one step`, { layer: p.name });
    }
    if (p.params.reset === "subtract" && p.id !== q.input.population && (k === "if" || k === "count-readout")) subtract.push(p.name);
    if (p.params.reset === "two-compartment") throw fail("SNNC181", `population "${p.name}" uses Loihi 1's two-compartment reset`, { layer: p.name });
  }
  if (subtract.length > 0) {
    warnings.push({
      code: "SNNC-W180",
      message: `PyNN's standard cells reset to v_reset, not by subtraction: network_pynn.py resets ${subtract.length} population(s) (${subtract.slice(0, 3).join(", ")}${subtract.length > 3 ? ", …" : ""}) to 0, so its spikes differ from snnc's; compile with --reset zero for the exact mapping (docs/pynn.md)`,
    });
  }

  const lists = q.populations.flatMap((p) => p.inputs.map((pr) => ({ pr, target: p.id, list: expandProjection(pr, q.populations[pr.source]!, p) })));
  const total = lists.reduce((n, l) => n + l.list.count, 0);
  const syn = new Int32Array(total * 2);
  const wts = new Float64Array(total);
  const starts = [0];
  let k = 0;
  for (const { list } of lists) {
    for (let e = 0; e < list.count; e++) {
      syn[2 * k] = list.pre[e] as number;
      syn[2 * k + 1] = list.post[e] as number;
      wts[k] = list.weight[e] as number;
      k++;
    }
    starts.push(k);
  }
  const network = {
    name: q.name,
    target: target.name,
    model: meta.model,
    snncVersion: meta.snncVersion,
    timesteps: meta.timesteps,
    readoutDepth: q.readoutDepth,
    stateBits: ns.stateBits.value,
    fractionBits: ns.fractionBits?.value ?? 15,
    inputShape: [...q.inputShape],
    output: q.output,
    dataDir: PYNN_DATA_DIR,
    input: {
      population: q.input.population,
      gainScaled: q.input.gainScaled,
      biasMantissaBits: q.input.biasMantissaBits,
      biasExponentMax: q.input.biasExponentMax,
    },
    populations: q.populations.map((p) => ({
      id: p.id, name: p.name, size: p.size, shape: [...p.shape], kind: p.params.kind, reset: p.params.reset,
      threshold: p.params.threshold, channels: p.params.channels, depth: p.depth,
      bias: Array.from(p.params.bias), vInit: Array.from(p.params.vInit),
    })),
    projections: lists.map(({ pr, target: t }) => ({ source: pr.source, target: t, delay: pr.delay, origin: pr.origin, synapses: 0 })),
    projectionStarts: starts,
  };
  lists.forEach((l, i) => { network.projections[i]!.synapses = l.list.count; });
  const header = `PyNN script of the snnc network "${q.name}" (${meta.model}), compiled for ${target.title} (${target.name}) with T = ${meta.timesteps}; written by snnc ${meta.snncVersion} --emit-pynn.`;
  const files = new Map<string, Uint8Array | string>([
    [PYNN_SCRIPT, pynnScript(JSON.stringify(network), header.replace(/"""/g, "'''"))],
    [`${PYNN_DATA_DIR}/synapses.npy`, writeNpy([total, 2], syn)],
    [`${PYNN_DATA_DIR}/weights.npy`, writeNpy([total], wts)],
  ]);
  return { files, warnings, synapses: total };
}
