/**
 * @fileoverview `--emit-nir`: the compiled float SnnGraph → a NirDocument (then write.ts → network.nir), so
 * other NIR tools (Lava for Loihi 2, py-spinnaker2, snnTorch, Norse, ...) load the network. Pure.
 *
 * Each population becomes one neuron node with unit input gain at the given dt (the inverse of lower.ts's
 * rules, docs/nir.md): no leak → IF (r = 1/dt) or, non-spiking, I (r = 1/dt); leak → LIF/LI (τ = dt/(1 − vKeep),
 * r = τ/dt) or, with a synaptic current, CubaLIF/CubaLI (τ_syn = dt/(1 − iKeep), w_in = τ_syn/dt); threshold 1,
 * v_leak = v_reset = 0. Each projection becomes a path source → [Flatten] → Linear/Affine | Conv2d | Scale →
 * [Delay (delay − 1 steps)] → destination; the population's bias rides on its first weighted projection
 * (an Affine, or a Conv2d's bias). The input population: Input → Scale(gain) → its IF node.
 * What NIR cannot say is kept in node metadata for snnc's own reader (`snnc_reset`: "subtract",
 * `snnc_v_init`: JSON of the per-channel initial membrane) and warned about (SNNC-W165): other tools reset
 * to v_reset and start at rest. Not expressible at all (SNNC170 naming the layer): multi-threshold neurons,
 * spiking max gates, Poisson input, average pooling over padded (partial) windows.
 */
import { truncateText } from "../../../runtime/limits.ts";
import { fail, type Warning } from "../../diagnostics.ts";
import type { Population, Projection, SnnGraph } from "../../ir/snn.ts";
import { nirToPop } from "./lower.ts";
import { type Metadata, type NirDocument, type NirNode, type Tensor, tensor } from "./types.ts";

/** NIR shape ([C, H, W], [C, N] or [N]) of a population shape [h, w, c]. */
export function nirShape(s: readonly [number, number, number]): number[] {
  if (s[0] === 1 && s[1] === 1) return [s[2]];
  if (s[0] === 1) return [s[2], s[1]];
  return [s[2], s[0], s[1]];
}

const full = (shape: readonly number[], v: number): Tensor => tensor(shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(v));

export function exportNir(snn: SnnGraph, dt: number, warn: (w: Warning) => void): NirDocument {
  const nodes = new Map<string, NirNode>();
  const edges: [string, string][] = [];
  const used = new Set<string>(["input", "output"]);
  const names = snn.populations.map((p) => {
    let base = p.name.replace(/[^A-Za-z0-9_]/g, "_") || "pop";
    if (p.id === snn.input.population && base === "input") base = "encoder";
    let n = base;
    for (let k = 1; used.has(n); k++) n = `${base}_${k}`;
    used.add(n);
    return n;
  });
  if (snn.input.encoding !== "current") {
    throw fail("SNNC170", `the network takes ${snn.input.encoding === "poisson" ? "Poisson" : "graded"} input, which NIR cannot describe`, { layer: snn.populations[snn.input.population]?.name ?? "input" }, "compile with --encoding current to export NIR");
  }
  let lossy = 0;
  const inPop = snn.populations[snn.input.population] as Population;
  nodes.set("input", { type: "Input", shape: nirShape(inPop.shape), metadata: {} });
  nodes.set("input_gain", { type: "Scale", scale: full(nirShape(inPop.shape), snn.input.gain), metadata: {} });
  edges.push(["input", "input_gain"], ["input_gain", names[inPop.id] as string]);
  for (const p of snn.populations) {
    const name = names[p.id] as string;
    const { node, lossy: l } = neuronNode(p, dt);
    lossy += l;
    nodes.set(name, node);
    let biasPending = p.bias;
    p.inputs.forEach((pr, k) => {
      const src = snn.populations[pr.source] as Population;
      const path = projectionNodes(pr, src, p, `${name}_in${k}`, biasPending);
      if (path.tookBias) biasPending = null;
      let from = names[src.id] as string;
      for (const [nn, n] of path.nodes) {
        nodes.set(nn, n);
        edges.push([from, nn]);
        from = nn;
      }
      if (pr.delay > 1) {
        const dn = `${name}_in${k}_delay`;
        nodes.set(dn, { type: "Delay", delay: full(nirShape(p.shape), (pr.delay - 1) * dt), metadata: {} });
        edges.push([from, dn]);
        from = dn;
      }
      edges.push([from, name]);
    });
    if (biasPending && biasPending.some((b) => b !== 0)) {
      throw fail("SNNC170", `population ${truncateText(p.name)} has a bias but no weighted input to carry it (NIR neurons have none)`, { layer: p.name });
    }
  }
  const out = snn.populations[snn.output] as Population;
  nodes.set("output", { type: "Output", shape: nirShape(out.shape), metadata: {} });
  edges.push([names[out.id] as string, "output"]);
  if (lossy > 0) {
    warn({ code: "SNNC-W165", message: `${lossy} population(s) reset by subtraction or start from a nonzero membrane, which NIR cannot say: kept in node metadata (snnc_reset, snnc_v_init) for snnc; other NIR tools reset to v_reset = 0 and start at rest` });
  }
  return { version: "1.0", graph: { type: "NIRGraph", nodes, edges, metadata: { dt, source: `snnc: ${snn.name}` } } };
}

function neuronNode(p: Population, dt: number): { node: NirNode; lossy: number } {
  const nm = p.neuron;
  const shape = nirShape(p.shape);
  const meta: Record<string, string | number> = {};
  let lossy = 0;
  if ((nm.kind === "if" || nm.kind === "countReadout") && nm.reset === "subtract") {
    meta.snnc_reset = "subtract";
    lossy = 1;
  }
  if (p.vInit.some((v) => v !== 0)) {
    meta.snnc_v_init = JSON.stringify([...p.vInit]);
    lossy = 1;
  }
  const metadata: Metadata = meta;
  const zero = full(shape, 0);
  const one = full(shape, 1);
  const leak = p.leak && (p.leak.vKeep !== 1 || p.leak.iKeep !== 0) ? p.leak : null;
  const tauOf = (keep: number, what: string): number => {
    if (keep >= 1) throw fail("SNNC170", `population ${truncateText(p.name)} keeps its ${what} forever but decays the other state, which NIR's CubaLIF cannot say`, { layer: p.name });
    return dt / (1 - keep);
  };
  switch (nm.kind) {
    case "if":
    case "countReadout": {
      if (!leak) return { node: { type: "IF", r: full(shape, 1 / dt), vThreshold: one, vReset: zero, metadata }, lossy };
      const tm = tauOf(leak.vKeep, "membrane");
      if (leak.iKeep === 0) return { node: { type: "LIF", tau: full(shape, tm), r: full(shape, tm / dt), vLeak: zero, vThreshold: one, vReset: zero, metadata }, lossy };
      const ts = tauOf(leak.iKeep, "synaptic current");
      return { node: { type: "CubaLIF", tauMem: full(shape, tm), tauSyn: full(shape, ts), r: full(shape, tm / dt), vLeak: zero, vThreshold: one, vReset: zero, wIn: full(shape, ts / dt), metadata }, lossy };
    }
    case "readout": {
      if (!leak) return { node: { type: "I", r: full(shape, 1 / dt), metadata }, lossy };
      const tm = tauOf(leak.vKeep, "membrane");
      if (leak.iKeep === 0) return { node: { type: "LI", tau: full(shape, tm), r: full(shape, tm / dt), vLeak: zero, metadata }, lossy };
      const ts = tauOf(leak.iKeep, "synaptic current");
      return { node: { type: "CubaLI", tauMem: full(shape, tm), tauSyn: full(shape, ts), r: full(shape, tm / dt), vLeak: zero, wIn: full(shape, ts / dt), metadata }, lossy };
    }
    case "mt":
    case "maxGate":
      throw fail("SNNC170", `population ${truncateText(p.name)} has ${nm.kind === "mt" ? "multi-threshold (graded-spike)" : "spiking max-gate"} neurons, which NIR has no primitive for`, { layer: p.name },
        "export a network converted with another --method (ecc, rnl, qcfs, ttrbr) and --maxpool average");
    case "compute":
      throw fail("SNNC170", `population ${truncateText(p.name)} is an ECMT compute node (${nm.op.kind}), which NIR has no primitive for`, { layer: p.name },
        "export a network converted with another --method (ecc, rnl, qcfs, ttrbr)");
  }
}

/** The memoryless nodes of one projection (in order), and whether the population's bias went on them. */
function projectionNodes(pr: Projection, src: Population, dst: Population, base: string, bias: Float32Array | null): { nodes: [string, NirNode][]; tookBias: boolean } {
  const c = pr.conn;
  const srcShape = nirShape(src.shape);
  const dstShape = nirShape(dst.shape);
  const C = dst.shape[2];
  const dstN = dst.size;
  const leak = dst.leak && dst.leak.iKeep > 0 ? dst.leak.iKeep : 0;
  // lower.ts scales a constant bias by 1/(1 − iKeep) (its steady state through the current): undo it here.
  const biasOf = (j: number, ch: number) => ((bias?.[ch] ?? 0) * (1 - leak)) + 0 * j;
  switch (c.kind) {
    case "dense": {
      const toSrc = nirToPop(srcShape);
      const toDst = nirToPop(dstShape);
      const inN = src.size;
      const w = new Float64Array(dstN * inN);
      for (let j = 0; j < dstN; j++) for (let i = 0; i < inN; i++) w[j * inN + i] = c.weights[toSrc(i) * dstN + toDst(j)] as number;
      const nodes: [string, NirNode][] = [];
      if (srcShape.length > 1) nodes.push([`${base}_flatten`, { type: "Flatten", startDim: 1, endDim: -1, inputType: srcShape, metadata: {} }]);
      const weight = tensor([dstN, inN], w);
      if (bias) {
        const b = Array.from({ length: dstN }, (_, j) => biasOf(j, toDst(j) % C));
        nodes.push([base, { type: "Affine", weight, bias: tensor([dstN], b), metadata: {} }]);
        return { nodes, tookBias: true };
      }
      nodes.push([base, { type: "Linear", weight, metadata: {} }]);
      return { nodes, tookBias: false };
    }
    case "conv":
    case "depthwise":
    case "avgPool": {
      const g = c.geometry;
      const padBottom = (g.outH - 1) * g.sh + (g.kh - 1) * g.dh + 1 - g.inH - g.padTop;
      const padRight = (g.outW - 1) * g.sw + (g.kw - 1) * g.dw + 1 - g.inW - g.padLeft;
      // NIR (PyTorch) pads both sides equally: the output size must come out the same.
      const outH = Math.floor((g.inH + 2 * g.padTop - g.dh * (g.kh - 1) - 1) / g.sh) + 1;
      const outW = Math.floor((g.inW + 2 * g.padLeft - g.dw * (g.kw - 1) - 1) / g.sw) + 1;
      if (outH !== g.outH || outW !== g.outW || padBottom > g.padTop || padRight > g.padLeft) {
        throw fail("SNNC170", `the window of ${truncateText(pr.origin)} into ${truncateText(dst.name)} is padded unevenly (top ${g.padTop}, bottom ${padBottom}), which NIR's symmetric padding cannot say`, { layer: dst.name });
      }
      const groups = c.kind === "conv" ? 1 : g.inC;
      const cinG = c.kind === "conv" ? g.inC : 1;
      const w = new Float64Array(g.outC * cinG * g.kh * g.kw);
      for (let co = 0; co < g.outC; co++) {
        for (let ci = 0; ci < cinG; ci++) {
          for (let y = 0; y < g.kh; y++) {
            for (let x = 0; x < g.kw; x++) {
              let v: number;
              if (c.kind === "conv") v = c.kernel[((y * g.kw + x) * g.inC + ci) * g.outC + co] as number;
              else if (c.kind === "depthwise") v = c.kernel[((y * g.kw + x) * g.inC + Math.floor(co / c.multiplier)) * c.multiplier + (co % c.multiplier)] as number;
              else {
                if (g.padTop > 0 || g.padLeft > 0) throw fail("SNNC170", `average pooling into ${truncateText(dst.name)} divides padded windows by their in-bounds count, which NIR's AvgPool2d cannot say`, { layer: dst.name });
                v = (c.scale[co] as number) / (g.kh * g.kw);
              }
              w[((co * cinG + ci) * g.kh + y) * g.kw + x] = v;
            }
          }
        }
      }
      const b = Array.from({ length: g.outC }, (_, ch) => biasOf(0, ch));
      return {
        nodes: [[base, {
          type: "Conv2d", weight: tensor([g.outC, cinG, g.kh, g.kw], w), bias: tensor([g.outC], b), stride: [g.sh, g.sw], padding: [g.padTop, g.padLeft],
          dilation: [g.dh, g.dw], groups, inputShape: [g.inH, g.inW], metadata: {},
        }]],
        tookBias: bias !== null,
      };
    }
    case "oneToOne": {
      const toDst = nirToPop(dstShape);
      const s = Array.from({ length: dstN }, (_, j) => c.weights[toDst(j) % C] as number);
      return { nodes: [[base, { type: "Scale", scale: tensor(dstShape, s), metadata: {} }]], tookBias: false };
    }
    case "maxPool":
      throw fail("SNNC170", `max pooling into ${truncateText(dst.name)} (a spiking max gate) has no NIR primitive`, { layer: dst.name }, "convert with --maxpool average");
  }
}
