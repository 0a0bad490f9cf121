/**
 * @fileoverview Neuron update code of the generated emulator: one function per distinct neuron rule of the
 * network, with the rule's parameters folded into literals (threshold, state width, decays, reset, levels).
 * The arithmetic is the same as runtime/neuron.ts stepRange, written out for one rule, so the generated
 * emulator's spikes equal the runtime emulator's (a test runs both).
 */
import type { NeuronRule } from "../../runtime/neuron.ts";

export function ruleKey(r: NeuronRule): string {
  return JSON.stringify([r.model, r.kind, r.reset, r.stateBits, r.threshold, r.du, r.dv, r.mtLevels, r.mtRelu, r.mtNegThreshold, r.mtNegPayload]);
}

/** `function update<k>(v, u, e, q, bias, s, end, outIdx, outPay, n): number` for one rule. */
export function emitRule(r: NeuronRule, k: number): string {
  const S = r.stateBits;
  const max = 2 ** (S - 1) - 1;
  const half = 2 ** (S - 1);
  const mod = 2 ** S;
  const loihi = r.model === "loihi-cuba";
  const plain = loihi && r.du === 4095 && r.dv === 0;
  const lines: string[] = [];
  lines.push(`/** Rule ${k}: ${loihi ? "Loihi CUBA" : "fixed-point IF"}, kind ${r.kind}, reset ${r.reset}, threshold ${r.threshold}, ${S}-bit state. */`);
  lines.push(`function update${k}(v: Float64Array, u: Float64Array, e: Float64Array, q: Float64Array, bias: Float64Array, s: number, end: number, outIdx: Int32Array, outPay: Int32Array, n: number): number {`);
  lines.push(`  for (let i = s; i < end; i++) {`);
  lines.push(`    let x: number;`);
  if (loihi) {
    if (plain) lines.push(`    let ui = q[i] as number;`);
    else lines.push(`    let ui = decay(u[i] as number, ${r.du + 1}) + (q[i] as number);`);
    lines.push(`    if (ui < -${half} || ui >= ${half}) { ui = ((ui % ${mod}) + ${mod}) % ${mod}; if (ui >= ${half}) ui -= ${mod}; } // u wraps at ${S} bits`);
    lines.push(`    u[i] = ui;`);
    lines.push(plain ? `    x = (v[i] as number) + ui + (bias[i] as number);` : `    x = decay(v[i] as number, ${r.dv}) + ui + (bias[i] as number);`);
  } else {
    lines.push(`    x = (v[i] as number) + (q[i] as number) + (bias[i] as number);`);
  }
  lines.push(`    x = x > ${max} ? ${max} : x < -${max} ? -${max} : x; // v saturates`);
  if (r.kind === "mt") {
    lines.push(r.mtRelu ? `    const r = Math.max(x, 0) - (e[i] as number);` : `    const r = x;`);
    lines.push(`    let p = mtLevel(r, ${r.threshold}, ${r.mtLevels}, ${r.mtNegThreshold});`);
    lines.push(`    if (p !== 0) {`);
    lines.push(`      const value = p > 0 ? ${r.threshold} * p : ${r.mtNegThreshold} * p;`);
    lines.push(r.mtRelu ? `      e[i] = (e[i] as number) + value;` : `      x -= value;`);
    lines.push(`      if (p < 0) p *= ${r.mtNegPayload};`);
    lines.push(`      outIdx[n] = i; outPay[n] = p; n++;`);
    lines.push(`    }`);
  } else if (r.kind !== "readout") {
    lines.push(`    if (x ${loihi ? ">" : ">="} ${r.threshold}) {`);
    if (r.reset === "zero") lines.push(`      x = 0;`);
    else if (r.reset === "subtract") lines.push(`      x -= ${r.threshold};`);
    else lines.push(`      // two-compartment soft reset: the self-synapse subtracts the threshold next step`);
    lines.push(`      outIdx[n] = i; outPay[n] = 1; n++;`);
    lines.push(`    }`);
  }
  lines.push(`    v[i] = x;`);
  lines.push(`  }`);
  lines.push(`  void u; void e;`);
  lines.push(`  return n;`);
  lines.push(`}`);
  return lines.join("\n");
}
