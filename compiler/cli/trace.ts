/**
 * @fileoverview Bring-up traces for `snnc run --trace FILE`: per timestep, the spike (payload) and the u, v
 * state of each probed neuron, as CSV or JSONL (by the file's extension). Probes name neurons by layer and
 * index (`layer:conv1:0,5,9`, all of the layer when no indices) or by core and compartment (`core:3:0,1`).
 * Columns / keys: sample, step, layer, neuron (index in the layer, NHWC), core, chip_x, chip_y, core_index
 * (the core's slot on its chip), compartment (index on the core), spike (payload, 0 = none), u, v (integer
 * state in the target's units, after the step's update). Documented in docs/traces.md.
 */
import type { Meta } from "../../runtime/format/decoded.ts";
import type { EmuNetwork } from "../../runtime/emulator/network.ts";
import { fail } from "../diagnostics.ts";

export function parseProbes(specs: readonly string[], net: EmuNetwork, meta: Meta): Int32Array {
  const out = new Set<number>();
  const byPop = (pop: number, indices: number[] | null) => {
    for (let g = 0; g < net.neurons; g++) {
      if (net.popOf[g] !== pop) continue;
      if (!indices || indices.includes(net.popIndex[g] as number)) out.add(g);
    }
  };
  if (specs.length === 0) {
    const last = meta.populations.length - 1;
    const outPop = net.popOf[net.output.neurons[0] ?? 0] ?? last;
    byPop(outPop, null);
  }
  for (const spec of specs) {
    const [kind, what, list] = spec.split(":");
    const indices = list ? list.split(",").map((s) => Number(s.trim())) : null;
    if (indices && indices.some((i) => !Number.isInteger(i) || i < 0)) throw fail("SNNC003", `bad neuron list in --probe ${spec}`, {}, "indices are non-negative integers separated by commas");
    if (kind === "layer") {
      const pop = meta.populations.findIndex((p) => p.name === what);
      if (pop < 0) throw fail("SNNC003", `--probe ${spec}: no layer "${what}"`, {}, `layers: ${meta.populations.map((p) => p.name).join(", ")}`);
      const size = meta.populations[pop]?.shape.reduce((a, b) => a * b, 1) ?? 0;
      const badIndex = indices?.find((i) => i >= size);
      if (badIndex !== undefined) throw fail("SNNC003", `--probe ${spec}: layer ${what} has ${size} neurons`, {});
      byPop(pop, indices);
    } else if (kind === "core" || kind === "chip") {
      let k = Number(what);
      if (kind === "chip") {
        // chip:X,Y,C = core C (its index on the chip, as `snnc inspect` shows in "slot") of chip (X, Y).
        const [x, y, c] = (what ?? "").split(",").map((v) => Number(v.trim()));
        k = net.system.cores.findIndex((r) => r.chipX === x && r.chipY === y && r.index === c);
        if (k < 0) throw fail("SNNC003", `--probe ${spec}: no core of this network sits at chip (${x},${y}) slot ${c}`, {}, "snnc inspect lists each core's chip and slot");
      }
      if (!Number.isInteger(k) || k < 0 || k >= net.cores) throw fail("SNNC003", `--probe ${spec}: core ${what} does not exist (0..${net.cores - 1})`, {});
      const base = net.coreBase[k] as number;
      const n = (net.coreBase[k + 1] as number) - base;
      for (const i of indices ?? Array.from({ length: n }, (_, j) => j)) {
        if (i >= n) throw fail("SNNC003", `--probe ${spec}: core ${k} has ${n} neurons`, {});
        out.add(base + i);
      }
    } else {
      throw fail("SNNC003", `--probe ${spec}: expected layer:NAME[:i,j], core:K[:i,j] or chip:X,Y,SLOT[:i,j]`, {});
    }
  }
  return Int32Array.from([...out].sort((a, b) => a - b));
}

export interface TraceRecorder {
  onSpikes(sample: number, t: number, idx: Int32Array, payload: Int32Array, n: number): void;
  onStep(sample: number, t: number, v: Float64Array, u: Float64Array): void;
  finish(): string;
}

export function traceRecorder(probes: Int32Array, net: EmuNetwork, file: string): TraceRecorder {
  const jsonl = /\.jsonl?$/i.test(file);
  const probed = new Int32Array(net.neurons).fill(-1);
  probes.forEach((g, k) => {
    probed[g] = k;
  });
  const spike = new Int32Array(probes.length);
  const rows: string[] = jsonl ? [] : ["sample,step,layer,neuron,core,chip_x,chip_y,core_index,compartment,spike,u,v"];
  const names = net.meta.populations.map((p) => p.name);
  return {
    onSpikes(_sample, _t, idx, payload, n) {
      spike.fill(0);
      for (let j = 0; j < n; j++) {
        const k = probed[idx[j] as number] as number;
        if (k >= 0) spike[k] = payload[j] as number;
      }
    },
    onStep(sample, t, v, u) {
      probes.forEach((g, k) => {
        const core = net.coreOf[g] as number;
        const rec = net.system.cores[core];
        const row = {
          sample, step: t, layer: names[net.popOf[g] as number] ?? "", neuron: net.popIndex[g] as number, core,
          chip_x: rec?.chipX ?? 0, chip_y: rec?.chipY ?? 0, core_index: rec?.index ?? 0, compartment: g - (net.coreBase[core] as number),
          spike: spike[k] as number, u: u[g] as number, v: v[g] as number,
        };
        rows.push(jsonl ? JSON.stringify(row) : Object.values(row).join(","));
      });
    },
    finish: () => `${rows.join("\n")}\n`,
  };
}
