/**
 * @fileoverview The import check against the model's own framework: the float interpreter and tfjs
 * predict() on the same samples. A TF.js model.json is loaded by tfjs itself; Keras files, which tfjs cannot
 * read, are rebuilt in tfjs from the imported graph (checking the interpreter's semantics and shapes).
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { fail } from "../diagnostics.ts";
import type { Dataset } from "../data/dataset.ts";
import type { AnnGraph } from "../ir/ann.ts";
import { shapeSize } from "../ir/ann.ts";
import { runAnn } from "../interp/ann-float.ts";
import { loadTf } from "./backend.ts";
import { annToTfjs } from "./from-ann.ts";
import { loadLayersModel } from "./io.ts";
import { registerVitLayers } from "./vit-layers.ts";

export interface TfjsCheck {
  readonly checked: boolean;
  readonly maxAbsDiff: number;
  readonly samples: number;
  readonly against: string;
  readonly note: string;
}

export async function checkWithTfjs(graph: AnnGraph, modelPath: string, data: Dataset, samples: number): Promise<TfjsCheck> {
  const tf = await loadTf();
  // The transformer layers tfjs lacks (or cannot train), in Keras' layout, so a model.json using them loads.
  registerVitLayers(tf);
  const n = Math.min(samples, data.count);
  const per = shapeSize(data.sampleShape);
  let model: tfTypes.LayersModel | null = null;
  let against = "";
  if (modelPath.endsWith(".json")) {
    try {
      model = await loadLayersModel(modelPath);
      against = `tfjs ${tf.version.tfjs} (${tf.getBackend()}) loading ${modelPath}`;
    } catch (e) {
      return { checked: false, maxAbsDiff: 0, samples: 0, against: "", note: `tfjs could not load the model (${(e as Error).message.split("\n")[0]}): not checked` };
    }
  } else {
    model = annToTfjs(tf, graph);
    against = `tfjs ${tf.version.tfjs} (${tf.getBackend()}) rebuilt from the imported graph`;
  }
  if (!model) return { checked: false, maxAbsDiff: 0, samples: 0, against: "", note: "the model has layers tfjs does not provide: not checked" };
  const x = data.images.subarray(0, n * per);
  const input = tf.tensor(x, [n, ...data.sampleShape]);
  const y = model.predict(input) as tfTypes.Tensor;
  const expected = (await y.data()) as Float32Array;
  tf.dispose([input, y]);
  model.dispose();
  const ours = runAnn(graph, x, n).get(graph.outputs[0] ?? "") as Float32Array;
  let max = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs((ours[i] as number) - (expected[i] as number));
    // NaN never compares greater than a tolerance: a NaN or infinite output is an error, not a small difference.
    if (!Number.isFinite(d)) {
      const outs = ours.length / Math.max(1, n);
      throw fail("SNNC120", `the model's output ${i % outs} of sample ${Math.floor(i / outs)} is ${ours[i]} (interpreter) and ${expected[i]} (tfjs)`,
        { file: modelPath, layer: graph.outputs[0] ?? "" }, "a weight or statistic of the model is invalid: retrain or re-export it");
    }
    max = Math.max(max, d);
  }
  return { checked: true, maxAbsDiff: max, samples: n, against, note: "" };
}
