/**
 * @fileoverview The pooling decision of the `convert` pass: fold average pooling into the next Conv/Dense,
 * or keep it as its own spiking layer.
 *
 * Folding multiplies the next layer's fan-in by the pooling window. When the user did not choose --pooling
 * and the method's default is to fold, the network is lowered both ways (structure only, no calibration) and
 * each layer's smallest block — one neuron, its receptive box — is compared with a core's fan-in axons, the
 * bound partition's tiling uses (partition.ts, `fanInLowerBound`). If some layer fits only unfolded and the
 * unfolded network fits everywhere, pooling stays spiking (warning SNNC-W203 naming the first such layer).
 * When some layer fits neither way the default is kept and partition reports that layer (SNNC402):
 * switching would not help.
 */
import type { Warning } from "../diagnostics.ts";
import type { RawSnn } from "../convert/lower.ts";
import { lowerAnn } from "../convert/lower.ts";
import { type ConvertOptions, defaultPooling } from "../convert/methods.ts";
import type { AnnGraph } from "../ir/ann.ts";
import type { Box } from "../ir/mapped.ts";
import type { Target } from "../target/schema.ts";
import { receptiveBox } from "./axons.ts";

export type Pooling = "spiking" | "fold";

export interface PoolingChoice {
  readonly pooling: Pooling;
  /** Why folding was refused (the warning to give), or null. */
  readonly warning: Warning | null;
}

/** Fan-in of one neuron in the middle of each population: distinct source neurons over gapless receptive boxes. */
export function oneNeuronFanIn(raw: RawSnn): Map<string, number> {
  const out = new Map<string, number>();
  for (const pop of raw.pops) {
    const [h, w, c] = pop.shape;
    const y = Math.floor(h / 2);
    const x = Math.floor(w / 2);
    const k = Math.floor(c / 2);
    const box: Box = { y0: y, y1: y + 1, x0: x, x1: x + 1, c0: k, c1: k + 1 };
    const perSource = new Map<number, number>();
    for (const term of pop.terms) {
      const conn = term.conn;
      if (conn.kind === "conv" || conn.kind === "depthwise" || conn.kind === "avgPool" || conn.kind === "maxPool") {
        const g = conn.geometry;
        if (g.dh !== 1 || g.dw !== 1 || g.sh > g.kh || g.sw > g.kw) continue;
      }
      const src = raw.pops[term.source];
      if (!src) continue;
      const r = receptiveBox(conn, box, src);
      const v = Math.max(0, r.y1 - r.y0) * Math.max(0, r.x1 - r.x0) * Math.max(0, r.c1 - r.c0);
      perSource.set(term.source, Math.max(perSource.get(term.source) ?? 0, v));
    }
    let n = 0;
    for (const v of perSource.values()) n += v;
    out.set(pop.name, n);
  }
  return out;
}

export function choosePooling(graph: AnnGraph, target: Target, options: ConvertOptions): PoolingChoice {
  if (options.pooling !== undefined) return { pooling: options.pooling, warning: null };
  const pooling = defaultPooling(options.method);
  // ECMT has its own lowering (convert/ecmt/): no pooling to fold, and lowerAnn does not take transformers.
  if (pooling === "spiking" || options.method === "ecmt") return { pooling, warning: null };
  const limit = target.core.fanInAxons.value;
  const quiet = () => {};
  const folded = oneNeuronFanIn(lowerAnn(graph, { maxPoolAsAverage: options.maxPool === "average", foldPooling: true }, quiet));
  const spiking = oneNeuronFanIn(lowerAnn(graph, { maxPoolAsAverage: options.maxPool === "average", foldPooling: false }, quiet));
  const tooWide = (fanIns: Map<string, number>) => [...fanIns].filter(([, n]) => n > limit);
  const foldedBad = tooWide(folded);
  const first = foldedBad[0];
  // Switch only when the unfolded network fits everywhere: otherwise partition names the layer (SNNC402).
  if (first !== undefined && tooWide(spiking).length === 0) {
    const [layer, fanIn] = first;
    return {
      pooling: "spiking",
      warning: {
        code: "SNNC-W203",
        message: `folding average pooling gives a neuron of this layer ${fanIn} inputs, more than a core's ${limit} fan-in axons on ${target.name}; average pooling kept as its own spiking layer instead of folded (--pooling spiking)`,
        loc: { layer },
      },
    };
  }
  return { pooling, warning: null };
}
