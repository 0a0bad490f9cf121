/**
 * @fileoverview Compiling example models in tests: small sample counts, results cached per process (mocha runs
 * every test file in one process), so every test file asking for the same request shares one compile. A
 * failed compile is not cached: the next test asking for it compiles again (and sees its own error).
 *
 * The passes before quantise (import, tfjs-check, convert, measure) do not depend on the target when the
 * pooling choice cannot (pooling given, or a method whose default is spiking pooling): requests that differ
 * only in target, sample counts or mapping options share one run of them, and each target's compile resumes
 * after `measure` (the runner's resumeAfter).
 */
import { type CompileOutcome, type CompileRequest, runCompile } from "../../compiler/compile.ts";
import { DEFAULT_CONVERT_OPTIONS, defaultPooling, type Method } from "../../compiler/convert/methods.ts";
import type { PipelineState } from "../../compiler/pipeline.ts";

export const EXAMPLES = {
  cnn: "examples/fashion-mnist/cnn/model.json",
  mlp: "examples/fashion-mnist/mlp/model.json",
  resnet: "examples/fashion-mnist/resnet/model.json",
} as const;

export const SAMPLE_DATA = "examples/fashion-mnist/data";

export function request(model: string, target: string, over: Partial<CompileRequest> = {}): CompileRequest {
  return {
    ...DEFAULT_CONVERT_OPTIONS,
    model, target, method: "ecc" as Method, timesteps: 16, samples: 16, calibrationSamples: 96, verifySamples: 3,
    tfjsCheck: false, data: SAMPLE_DATA, ...over,
  };
}

const QUIET = { warn: () => {}, progress: () => {}, stage: () => {} };
const cache = new Map<string, Promise<CompileOutcome>>();
const fronts = new Map<string, Promise<Partial<PipelineState>>>();

/** The state after `measure` for this request's front half (shared across targets). */
function front(req: CompileRequest): Promise<Partial<PipelineState>> {
  const { target: _t, samples: _s, verifySamples: _v, chips: _c, workers: _w, emulator: _e, ...rest } = req;
  const key = JSON.stringify(rest);
  let p = fronts.get(key);
  if (!p) {
    p = runCompile({ ...req, stopAfter: "measure" }, QUIET).then((r) => {
      if (r.complete) throw new Error("internal: expected a run stopped after measure");
      return r.state;
    });
    fronts.set(key, p);
    p.catch(() => fronts.delete(key));
  }
  return p;
}

async function compileShared(req: CompileRequest): Promise<CompileOutcome> {
  // autoMethod: the convert pass depends on the target (graded spikes: auto also measures mt).
  const targetFree = !req.autoMethod && (req.pooling !== undefined || defaultPooling(req.method) === "spiking");
  const r = targetFree
    ? await runCompile(req, QUIET, { after: "measure", state: await front(req) })
    : await runCompile(req, QUIET);
  if (!r.complete) throw new Error("internal: compile stopped early");
  return r.outcome;
}

export function compileCached(req: CompileRequest): Promise<CompileOutcome> {
  const key = JSON.stringify(req);
  let p = cache.get(key);
  if (!p) {
    p = compileShared(req);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}
