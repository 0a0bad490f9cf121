/**
 * @fileoverview The pass order, in one place. A compile is this list, run by the runner (pass.ts) over one
 * typed state that each pass extends with its fields:
 *
 *   import        request → AnnGraph, data, model hash                     reads the model and data files
 *   tfjs-check    interpreter vs tfjs predict (or skipped)                  awaits tfjs
 *   convert       AnnGraph → SnnGraph (float); fold or spiking pooling
 *   measure       float SNN on calibration samples → ranges, firing rates
 *   quantise      SnnGraph → QuantisedSnn (the target's integer formats)
 *   partition     QuantisedSnn → PartitionedSnn (blocks on cores)
 *   place         cores onto chips and tiles (seeded annealing)
 *   route         mesh routes or multicast key/mask tables
 *   check         capacity and route checks
 *   emit          network.snnb bytes
 *   verify        emulator on the bytes alone vs the reference integer model, spike for spike
 *   evaluate      accuracy, spikes, energy inputs, accuracy vs T, per-layer diagnostics  worker threads
 *   emulator-gen  standalone emulator (when asked, for a bit-exact binary)
 *   report        report.json's figures and reference.json.gz
 *
 * I/O and async, honestly: `import` is the only pass that reads user files, so everything after it works on
 * bytes in memory and could be rerun from them; `tfjs-check` and `evaluate` await other threads on in-memory
 * data; every other pass is pure and synchronous. The target file is read before the runner starts: it is
 * the runner's configuration (the context's target), not a stage of the compile.
 *
 * `BACK_END` is the same partition…emit passes for networks built directly as a QuantisedSnn (benches,
 * tests): one back end, not a copy.
 */
import { createHash } from "node:crypto";
import type { Warning } from "./diagnostics.ts";
import type { QuantisedSnn } from "./ir/quantised.ts";
import { type PassList, PassList as List, type PassName, type PassTiming, type RunOptions, type RunResult, runPasses, runPassesSync } from "./pass.ts";
import { type BackInput, checkPass, emitPass, partitionPass, placePass, routePass } from "./passes/back.ts";
import { convertPass, importPass, measurePass, quantisePass, tfjsCheckPass } from "./passes/front.ts";
import { emulatorGenPass, evaluatePass, reportPass, verifyPass } from "./passes/prove.ts";
import type { CompileRequest } from "./request.ts";
import type { Target } from "./target/schema.ts";
import { SNNC_VERSION } from "./version.ts";

export type { Activity } from "./passes/front.ts";
export type { CompileOptions, CompileRequest } from "./request.ts";

export const PIPELINE = new List<{ request: CompileRequest; timings: readonly PassTiming[] }>()
  .then(importPass)
  .then(tfjsCheckPass)
  .then(convertPass)
  .then(measurePass)
  .then(quantisePass)
  .then(partitionPass)
  .then(placePass)
  .then(routePass)
  .then(checkPass)
  .then(emitPass)
  .then(verifyPass)
  .then(evaluatePass)
  .then(emulatorGenPass)
  .then(reportPass);

export const BACK_END = new List<BackInput & { timings: readonly PassTiming[] }>()
  .then(partitionPass)
  .then(placePass)
  .then(routePass)
  .then(checkPass)
  .then(emitPass);

type StateOf<L> = L extends PassList<infer S> ? S : never;
export type PipelineState = StateOf<typeof PIPELINE>;
export type BackEndState = StateOf<typeof BACK_END>;

/** What the report and the tests read of a finished compile. */
export type PipelineResult = Pick<PipelineState, "conversion" | "activity" | "quantised" | "partitioned" | "traffic" | "placement" | "grid" | "routed" | "binary" | "timings">;

export interface PipelineHooks {
  warn(w: Warning): void;
  progress(stage: string, done: number, total: number): void;
  stage(name: PassName, seconds: number, note?: string): void;
}

/** Resuming: the state of an earlier run of the same request up to `after` (its `request` is replaced). */
export interface Resume {
  readonly after: PassName;
  readonly state: Partial<PipelineState>;
}

export function runPipeline(request: CompileRequest, target: Target, hooks: PipelineHooks, resume?: Resume): Promise<RunResult<PipelineState>> {
  return runPasses(PIPELINE, { ...resume?.state, request }, {
    ...(resume ? { resumeAfter: resume.after } : {}),
    target, seed: request.seed, ...hooks,
    ...(request.dumpIr !== undefined ? { dumpIr: request.dumpIr } : {}),
    ...(request.stopAfter !== undefined ? { stopAfter: request.stopAfter } : {}),
  }) as Promise<RunResult<PipelineState>>;
}

/** partition…emit on a QuantisedSnn (seed 1, a system big enough for it): the binary and the mapped network. */
export function runBackEnd(q: QuantisedSnn, target: Target, timesteps: number, over: { seed?: number; dumpIr?: RunOptions["dumpIr"] } = {}): BackEndState {
  const initial: BackInput = {
    quantised: { q }, activity: null, request: { seed: over.seed ?? 1, chips: "fit", method: q.method, timesteps },
    meta: { snncVersion: SNNC_VERSION, modelName: q.name, modelHash: createHash("sha256").update(q.name).digest("hex") },
  };
  const r = runPassesSync(BACK_END, initial, {
    target, seed: over.seed ?? 1, warn: () => {}, progress: () => {}, stage: () => {},
    ...(over.dumpIr !== undefined ? { dumpIr: over.dumpIr } : {}),
  });
  if (!r.complete) throw new Error("internal: the back end stopped early");
  return r.state as BackEndState;
}

/** partition…check only (the mapping bench): the mapped network and each pass's seconds, no binary. */
export function runMapping(q: QuantisedSnn, target: Target): Omit<BackEndState, "binary"> {
  const initial: BackInput = {
    quantised: { q }, activity: null, request: { seed: 1, chips: "fit", method: q.method, timesteps: 1 },
    meta: { snncVersion: SNNC_VERSION, modelName: q.name, modelHash: createHash("sha256").update(q.name).digest("hex") },
  };
  const r = runPassesSync(BACK_END, initial, { target, seed: 1, warn: () => {}, progress: () => {}, stage: () => {}, stopAfter: "check" });
  return r.state as Omit<BackEndState, "binary">;
}
