/**
 * @fileoverview `compileModel`: the public compile API behind `snnc compile`. Reads the target (the runner's
 * configuration), runs the pipeline (compiler/pipeline.ts: import … report, every stage a timed pass) and
 * returns the files to write; the CLI writes them atomically. `runCompile` is the same with --stop-after
 * honoured (the state so far instead of an outcome).
 */
import type { GeneratedEmulator } from "./emulator-gen/generate.ts";
import type { AnnGraph } from "./ir/ann.ts";
import type { PassName } from "./pass.ts";
import { type PipelineHooks, type PipelineResult, type PipelineState, type Resume, runPipeline } from "./pipeline.ts";
import type { Report } from "./report/build.ts";
import type { CompileRequest } from "./request.ts";
import { loadTarget } from "./target/load.ts";
import type { Target } from "./target/schema.ts";

export type { CompileOptions, CompileRequest } from "./request.ts";
export { loadData, modelHash } from "./passes/front.ts";
export { accuracyOf } from "./passes/prove.ts";

export type CompileHooks = PipelineHooks;

export interface CompileOutcome {
  readonly report: Report;
  readonly binary: Uint8Array;
  /** reference.json.gz: the ANN and the quantised reference model, for `snnc verify`. */
  readonly reference: Uint8Array;
  readonly pipeline: PipelineResult;
  readonly target: Target;
  /** The ANN (null for a NIR graph). */
  readonly graph: AnnGraph | null;
  /** The standalone emulator (request.emulator and a bit-exact binary), else null. */
  readonly emulator: GeneratedEmulator | null;
}

export type CompileRun =
  | { readonly complete: true; readonly outcome: CompileOutcome }
  | { readonly complete: false; readonly stoppedAfter: PassName; readonly state: Partial<PipelineState> };

export async function runCompile(req: CompileRequest, hooks: CompileHooks, resume?: Resume): Promise<CompileRun> {
  const target = loadTarget(req.target);
  const r = await runPipeline(req, target, hooks, resume);
  if (!r.complete) return { complete: false, stoppedAfter: r.stoppedAfter, state: r.state };
  const s = r.state;
  return {
    complete: true,
    outcome: { report: s.report, binary: s.binary, reference: s.reference, pipeline: s, target, graph: s.graph, emulator: s.emulator },
  };
}

export async function compileModel(req: CompileRequest, hooks: CompileHooks): Promise<CompileOutcome> {
  const { stopAfter: _ignored, ...whole } = req;
  const r = await runCompile(whole, hooks);
  if (!r.complete) throw new Error("internal: compile stopped early without --stop-after");
  return r.outcome;
}
