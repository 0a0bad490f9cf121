/**
 * @fileoverview AssemblyScript source of the emulator's WebAssembly kernels (compiled by compiler/build.js
 * with asc to dist/wasm/emulator.wasm; loaded by runtime/emulator/wasm-load.ts, driven by
 * runtime/emulator/kernels.ts). Stage: emulator hot loop. Input: byte offsets of arrays that live in the
 * instance's (imported) memory. Output: the same arrays updated in place. Invariants: integer arithmetic
 * only, every array is Int32; the caller guarantees that every sum stays inside i32 (kernels.ts checks the
 * network's weight bound before choosing this path), so i32 adds equal the JavaScript path's exact float64
 * adds. No allocation (runtime stub, no heap use).
 */

/** Active updates (received input or spiked) counted by the last stepIfLoihi call. */
let activeCount: i32 = 0;

export function lastActive(): i32 {
  return activeCount;
}

/**
 * Run-table delivery: source s has runs [runStart[s], runStart[s+1]); run r adds payload × weights[runWeight[r] + k]
 * to slot[runTarget[r] + k] for k < runLength[r]. Four lanes per SIMD add (eight per iteration when long).
 */
export function deliverRuns(runStart: usize, runTarget: usize, runLength: usize, runWeight: usize, weights: usize, slot: usize, spikes: usize, payload: usize, n: i32): void {
  for (let j: i32 = 0; j < n; j++) {
    const s = load<i32>(spikes + (<usize>j << 2));
    const p = load<i32>(payload + (<usize>j << 2));
    const r0 = load<i32>(runStart + (<usize>s << 2));
    const r1 = load<i32>(runStart + (<usize>(s + 1) << 2));
    if (p == 1) {
      for (let r = r0; r < r1; r++) {
        let dst = slot + (<usize>load<i32>(runTarget + (<usize>r << 2)) << 2);
        let src = weights + (<usize>load<i32>(runWeight + (<usize>r << 2)) << 2);
        const end = dst + (<usize>load<i32>(runLength + (<usize>r << 2)) << 2);
        while (dst + 32 <= end) {
          v128.store(dst, i32x4.add(v128.load(dst), v128.load(src)));
          v128.store(dst, i32x4.add(v128.load(dst, 16), v128.load(src, 16)), 16);
          dst += 32;
          src += 32;
        }
        if (dst + 16 <= end) {
          v128.store(dst, i32x4.add(v128.load(dst), v128.load(src)));
          dst += 16;
          src += 16;
        }
        while (dst < end) {
          store<i32>(dst, load<i32>(dst) + load<i32>(src));
          dst += 4;
          src += 4;
        }
      }
    } else {
      const pv = i32x4.splat(p);
      for (let r = r0; r < r1; r++) {
        let dst = slot + (<usize>load<i32>(runTarget + (<usize>r << 2)) << 2);
        let src = weights + (<usize>load<i32>(runWeight + (<usize>r << 2)) << 2);
        const end = dst + (<usize>load<i32>(runLength + (<usize>r << 2)) << 2);
        while (dst + 16 <= end) {
          v128.store(dst, i32x4.add(v128.load(dst), i32x4.mul(v128.load(src), pv)));
          dst += 16;
          src += 16;
        }
        while (dst < end) {
          store<i32>(dst, load<i32>(dst) + p * load<i32>(src));
          dst += 4;
          src += 4;
        }
      }
    }
  }
}

/** Per-synapse (CSR) delivery: source s's synapses [start[s], start[s+1]) add payload × weights[k] to slot[target[k]]. */
export function deliverCsr(start: usize, target: usize, weights: usize, slot: usize, spikes: usize, payload: usize, n: i32): void {
  for (let j: i32 = 0; j < n; j++) {
    const s = load<i32>(spikes + (<usize>j << 2));
    const p = load<i32>(payload + (<usize>j << 2));
    const k0 = <usize>load<i32>(start + (<usize>s << 2)) << 2;
    const k1 = <usize>load<i32>(start + (<usize>(s + 1) << 2)) << 2;
    for (let k = k0; k < k1; k += 4) {
      const t = slot + (<usize>load<i32>(target + k) << 2);
      store<i32>(t, load<i32>(t) + p * load<i32>(weights + k));
    }
  }
}

/**
 * One step of plain integrate-and-fire Loihi neurons [start, end) (stepIf of runtime/neuron.ts, the
 * emulator's case): q wraps to `bits` bits two's complement (shift = 32 − bits; both of the JS path's wraps
 * at once, the narrower one deciding), x = saturate(v + q + bias, ±max), spike when x ≥ fire, then
 * v ← x·keep − sub; q cleared. Spikes appended from `count` to (outIdx, outPayload = 1) in neuron order;
 * returns the new count, the active updates in lastActive(). Four neurons per SIMD step; a group with a
 * spike takes the scalar path for its spikes' order.
 */
export function stepIfLoihi(v: usize, q: usize, bias: usize, start: i32, end: i32, outIdx: usize, outPayload: usize, count: i32, fire: i32, keep: i32, sub: i32, max: i32, shift: i32): i32 {
  let k = count;
  let active: i32 = 0;
  let i = start;
  const hi = i32x4.splat(max);
  const lo = i32x4.splat(-max);
  const fv = i32x4.splat(fire - 1);
  const zero = i32x4.splat(0);
  let received = zero;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const qi = i32x4.shr_s(i32x4.shl(v128.load(q + o), shift), shift);
    const x = i32x4.max_s(i32x4.min_s(i32x4.add(i32x4.add(v128.load(v + o), qi), v128.load(bias + o)), hi), lo);
    const fired = i32x4.gt_s(x, fv);
    // Lanes that received input (raw q ≠ 0) count −1 each; a lane that fires counts once below.
    const got = i32x4.ne(v128.load(q + o), zero);
    v128.store(v + o, x);
    if (v128.any_true(fired)) {
      for (let l: usize = 0; l < 4; l++) {
        const at = v + o + (l << 2);
        const xx = load<i32>(at);
        if (xx >= fire) {
          store<i32>(at, xx * keep - sub);
          store<i32>(outIdx + (<usize>k << 2), i + <i32>l);
          store<i32>(outPayload + (<usize>k << 2), 1);
          k++;
          active++;
        } else if (load<i32>(q + o + (l << 2)) != 0) {
          active++;
        }
      }
    } else {
      received = i32x4.sub(received, got);
    }
    v128.store(q + o, zero);
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    const raw = load<i32>(q + o);
    const qi = (raw << shift) >> shift;
    let x = load<i32>(v + o) + qi + load<i32>(bias + o);
    x = x > max ? max : x < -max ? -max : x;
    store<i32>(q + o, 0);
    if (x >= fire) {
      store<i32>(v + o, x * keep - sub);
      store<i32>(outIdx + (<usize>k << 2), i);
      store<i32>(outPayload + (<usize>k << 2), 1);
      k++;
      active++;
    } else {
      store<i32>(v + o, x);
      if (raw != 0) active++;
    }
  }
  activeCount = active + i32x4.extract_lane(received, 0) + i32x4.extract_lane(received, 1) + i32x4.extract_lane(received, 2) + i32x4.extract_lane(received, 3);
  return k;
}

/**
 * A step's spikes [0, n) leave their cores (run.ts's step 2): per spike, its core's spike count and the
 * neuron's count + 1, its class's readout count + 1 when `window` (a count readout's output neuron past the
 * readout depth; outIndex −1 elsewhere), and per axon the destination core's synaptic ops + the axon's
 * synapses. Float64 counters (exact integers, the same adds as the JavaScript loop). Returns the longest
 * packet latency of the step's spikes (0 without spikes).
 */
export function countSpikes(spikes: usize, n: i32, window: i32, coreOf: usize, counts: usize, outIndex: usize, readout: usize, latency: usize, axonStart: usize, axonCore: usize, axonSynapses: usize, stepSpikes: usize, stepSyn: usize): f64 {
  let maxLatency: f64 = 0;
  for (let j: i32 = 0; j < n; j++) {
    const s = <usize>load<i32>(spikes + (<usize>j << 2));
    const core = stepSpikes + (<usize>load<i32>(coreOf + (s << 2)) << 3);
    store<f64>(core, load<f64>(core) + 1);
    const c = counts + (s << 3);
    store<f64>(c, load<f64>(c) + 1);
    const o = load<i32>(outIndex + (s << 2));
    if (o >= 0 && window != 0) {
      const r = readout + (<usize>o << 3);
      store<f64>(r, load<f64>(r) + 1);
    }
    const lat = load<f64>(latency + (s << 3));
    if (lat > maxLatency) maxLatency = lat;
    const a1 = load<i32>(axonStart + ((s + 1) << 2));
    for (let a = load<i32>(axonStart + (s << 2)); a < a1; a++) {
      const d = stepSyn + (<usize>load<i32>(axonCore + (<usize>a << 2)) << 3);
      store<f64>(d, load<f64>(d) + <f64>load<i32>(axonSynapses + (<usize>a << 2)));
    }
  }
  return maxLatency;
}

/**
 * One step of integrate-and-fire fixed-point neurons without decays [start, end) (stepIf of
 * runtime/neuron.ts, fixed-if): x = saturate(v + q + bias, ±max) in 64 bits (S = 32 may overflow i32),
 * spike when x ≥ fire, v ← x·keep − sub; q cleared. Same outputs as stepIfLoihi.
 */
export function stepIfWide(v: usize, q: usize, bias: usize, start: i32, end: i32, outIdx: usize, outPayload: usize, count: i32, fire: i32, keep: i32, sub: i32, max: i32): i32 {
  let k = count;
  let active: i32 = 0;
  const hi = <i64>max;
  const lo = -<i64>max;
  for (let i = start; i < end; i++) {
    const o = <usize>i << 2;
    const raw = load<i32>(q + o);
    let x = <i64>load<i32>(v + o) + <i64>raw + <i64>load<i32>(bias + o);
    x = x > hi ? hi : x < lo ? lo : x;
    const xi = <i32>x;
    store<i32>(q + o, 0);
    if (xi >= fire) {
      store<i32>(v + o, xi * keep - sub);
      store<i32>(outIdx + (<usize>k << 2), i);
      store<i32>(outPayload + (<usize>k << 2), 1);
      k++;
      active++;
    } else {
      store<i32>(v + o, xi);
      if (raw != 0) active++;
    }
  }
  activeCount = active;
  return k;
}
