/**
 * @fileoverview Save and load TF.js Layers models as `model.json` + one `weights.bin` shard on the local disk,
 * without tfjs-node's `file://` handler (which needs the native addon).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type * as tfTypes from "@tensorflow/tfjs";
import { loadTf } from "./backend.ts";

export interface SaveOptions {
  /** Shard file name inside the directory. */
  readonly weightsFile?: string;
}

/** Writes `dir/model.json` and `dir/weights.bin` for `model`. */
export async function saveLayersModel(model: tfTypes.LayersModel, dir: string, options: SaveOptions = {}): Promise<void> {
  const tf = await loadTf();
  const weightsFile = options.weightsFile ?? "weights.bin";
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data];
      const bytes = Buffer.concat(buffers.map((b) => Buffer.from(b)));
      const json = {
        format: "layers-model",
        generatedBy: artifacts.generatedBy ?? "snnc",
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSync(join(dir, "model.json"), JSON.stringify(json));
      writeFileSync(join(dir, weightsFile), bytes);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
}

/** Loads a `model.json` (any number of shards) into tfjs, for predict() comparisons. */
export async function loadLayersModel(modelJsonPath: string): Promise<tfTypes.LayersModel> {
  const tf = await loadTf();
  const json = JSON.parse(readFileSync(modelJsonPath, "utf8")) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tfTypes.io.WeightsManifestEntry[] }[];
  };
  const dir = dirname(modelJsonPath);
  const specs: tfTypes.io.WeightsManifestEntry[] = [];
  const parts: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) parts.push(readFileSync(join(dir, p)));
  }
  const all = Buffer.concat(parts);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}
