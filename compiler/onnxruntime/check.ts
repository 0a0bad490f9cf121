/**
 * @fileoverview The import check for ONNX models: the float interpreter against onnxruntime-web (wasm, the
 * registry package that installs without downloads) on the same samples. The runtime is imported lazily, so
 * commands that do not check pay nothing for it. Samples come in snnc's NHWC layout and are transposed to the
 * model's NCHW input here.
 */
import { readFileSync } from "node:fs";
import type * as ortTypes from "onnxruntime-web";
import type { Dataset } from "../data/dataset.ts";
import type { AnnGraph } from "../ir/ann.ts";
import { runAnn } from "../interp/ann-float.ts";
import type { TfjsCheck } from "../tfjs/check.ts";

let ortModule: Promise<typeof ortTypes> | null = null;

async function loadOrt(): Promise<typeof ortTypes> {
  ortModule ??= import("onnxruntime-web").then((m) => {
    const ort = ((m as { default?: typeof ortTypes }).default ?? m) as typeof ortTypes;
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = "error";
    return ort;
  });
  return ortModule;
}

/** NHWC samples [n, h, w, c] → NCHW [n, c, h, w]; vectors unchanged. */
export function toNchw(x: Float32Array, n: number, sampleShape: readonly number[]): Float32Array {
  if (sampleShape.length !== 3) return x;
  const [h = 0, w = 0, c = 0] = sampleShape;
  const out = new Float32Array(x.length);
  for (let s = 0; s < n; s++) {
    const base = s * h * w * c;
    for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let k = 0; k < c; k++) {
      out[base + (k * h + y) * w + xx] = x[base + (y * w + xx) * c + k] as number;
    }
  }
  return out;
}

export interface OnnxSession {
  readonly against: string;
  /** Outputs [n, K] for NHWC samples, run in batches. */
  run(x: Float32Array, n: number, sampleShape: readonly number[]): Promise<Float32Array>;
}

export async function onnxSession(modelPath: string): Promise<OnnxSession> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(readFileSync(modelPath), { executionProviders: ["wasm"], graphOptimizationLevel: "disabled" });
  const inName = session.inputNames[0] as string;
  const outName = session.outputNames[0] as string;
  return {
    against: `onnxruntime-web ${ort.env.versions.web ?? ""} (wasm) loading ${modelPath}`,
    async run(x, n, sampleShape) {
      const per = sampleShape.reduce((a, b) => a * b, 1);
      const dims = sampleShape.length === 3 ? [sampleShape[2] as number, sampleShape[0] as number, sampleShape[1] as number] : [...sampleShape];
      const parts: Float32Array[] = [];
      const batch = 250;
      for (let i = 0; i < n; i += batch) {
        const m = Math.min(batch, n - i);
        const input = new ort.Tensor("float32", toNchw(x.subarray(i * per, (i + m) * per), m, sampleShape), [m, ...dims]);
        const out = await session.run({ [inName]: input });
        parts.push(Float32Array.from((out[outName] as ortTypes.Tensor).data as Float32Array));
      }
      const total = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
      let off = 0;
      for (const p of parts) {
        total.set(p, off);
        off += p.length;
      }
      return total;
    },
  };
}

export async function checkWithOnnxRuntime(graph: AnnGraph, modelPath: string, data: Dataset, samples: number): Promise<TfjsCheck> {
  const n = Math.min(samples, data.count);
  const per = data.sampleShape.reduce((a, b) => a * b, 1);
  let session: OnnxSession;
  try {
    session = await onnxSession(modelPath);
  } catch (e) {
    return { checked: false, maxAbsDiff: 0, samples: 0, against: "", note: `onnxruntime could not load the model (${(e as Error).message.split("\n")[0]}): not checked` };
  }
  const x = data.images.subarray(0, n * per);
  const expected = await session.run(x, n, data.sampleShape);
  const ours = runAnn(graph, x, n).get(graph.outputs[0] ?? "") as Float32Array;
  if (ours.length !== expected.length) {
    return { checked: false, maxAbsDiff: 0, samples: 0, against: session.against, note: `onnxruntime gives ${expected.length / n} outputs per sample, the imported graph ${ours.length / n}: not checked` };
  }
  let max = 0;
  for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs((ours[i] as number) - (expected[i] as number)));
  return { checked: true, maxAbsDiff: max, samples: n, against: session.against, note: "" };
}
