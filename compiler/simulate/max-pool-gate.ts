/**
 * @fileoverview The float SNN simulator's spiking max-pool gates (ir/snn.ts `maxGate`): one step of a gate
 * population, run by simulateFloat (float-snn.ts) and by the layer-wise simulator (float-layers.ts). Its state
 * (the accumulated input counts and a scratch row) is PopState's gateCounts and gateScratch (popState).
 */
import type { PopState } from "./float-snn.ts";
import type { SpikeSlot } from "./scatter.ts";

/** Spiking max-pool: each output passes the spike of the window input with the largest accumulated count. */
export function gate(st: PopState, states: readonly Pick<PopState, "pop" | "ring">[], t: number, B: number, slot: SpikeSlot): void {
  const p = st.pop;
  const pr = p.inputs[0];
  if (!pr || pr.conn.kind !== "maxPool") return;
  const g = pr.conn.geometry;
  const src = states[pr.source] as PopState;
  const counts = st.gateCounts as Float32Array;
  const srcN = src.pop.size;
  if (t - pr.delay < 0) {
    slot.n.fill(0);
    return;
  }
  const arriving = src.ring[(t - pr.delay) % src.ring.length] as SpikeSlot;
  const spikedVal = st.gateScratch as Float32Array;
  for (let b = 0; b < B; b++) {
    const cb = b * srcN;
    spikedVal.fill(0);
    const base = b * arriving.stride;
    for (let k = 0; k < (arriving.n[b] as number); k++) {
      const j = arriving.idx[base + k] as number;
      spikedVal[j] = arriving.val[base + k] as number;
      counts[cb + j] = (counts[cb + j] as number) + (arriving.val[base + k] as number);
    }
    let n = 0;
    const ob = b * p.size;
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        for (let c = 0; c < g.outC; c++) {
          let best = -1;
          let bestCount = -Infinity;
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.sh - g.padTop + ky;
            if (iy < 0 || iy >= g.inH) continue;
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.sw - g.padLeft + kx;
              if (ix < 0 || ix >= g.inW) continue;
              const j = (iy * g.inW + ix) * g.inC + c;
              const cnt = counts[cb + j] as number;
              if (cnt > bestCount) {
                bestCount = cnt;
                best = j;
              }
            }
          }
          if (best >= 0 && spikedVal[best] !== 0) {
            slot.idx[ob + n] = (oy * g.outW + ox) * g.outC + c;
            slot.val[ob + n] = spikedVal[best] as number;
            n++;
          }
        }
      }
    }
    slot.n[b] = n;
  }
}
