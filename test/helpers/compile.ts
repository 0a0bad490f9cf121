/**
 * @fileoverview Compiling example models in tests: small sample counts, results cached per process (mocha runs
 * every test file in one process), so every test file asking for the same request shares one compile. A
 * failed compile is not cached: the next test asking for it compiles again (and sees its own error).
 */
import { compileModel, type CompileOutcome, type CompileRequest } from "../../compiler/compile.ts";
import { DEFAULT_CONVERT_OPTIONS, type Method } from "../../compiler/convert/methods.ts";

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

const cache = new Map<string, Promise<CompileOutcome>>();

export function compileCached(req: CompileRequest): Promise<CompileOutcome> {
  const key = JSON.stringify(req);
  let p = cache.get(key);
  if (!p) {
    p = compileModel(req, { warn: () => {}, progress: () => {}, stage: () => {} });
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}
