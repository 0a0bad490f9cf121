/**
 * @fileoverview `importModel`: model file → AnnGraph, dispatching on the file type.
 *   .json          TF.js Layers model (tfjs.ts)
 *   .h5 / .hdf5    Keras 2 HDF5 (keras-h5.ts)
 *   .keras         Keras 3 zip archive (keras-h5.ts)
 *   .onnx          ONNX model, opsets 11–21 (onnx/index.ts)
 */
import { existsSync, statSync } from "node:fs";
import { extname } from "node:path";
import { fail } from "../diagnostics.ts";
import type { AnnGraph } from "../ir/ann.ts";
import { importKerasH5, importKerasV3 } from "./keras-h5.ts";
import { importOnnx } from "./onnx/index.ts";
import { importTfjs } from "./tfjs.ts";

export async function importModel(path: string): Promise<AnnGraph> {
  if (!existsSync(path)) {
    throw fail("SNNC001", `model file ${path} not found`, { file: path }, "give a TF.js model.json, a Keras .h5, a Keras 3 .keras or an ONNX .onnx file");
  }
  if (!statSync(path).isFile()) {
    const what = statSync(path).isDirectory() ? "a directory" : "not a regular file";
    throw fail("SNNC001", `the model path is ${what}`, { file: path }, "give a TF.js model.json, a Keras .h5, a Keras 3 .keras or an ONNX .onnx file");
  }
  switch (extname(path).toLowerCase()) {
    case ".json":
      return importTfjs(path);
    case ".h5":
    case ".hdf5":
      return importKerasH5(path);
    case ".keras":
      return importKerasV3(path);
    case ".onnx":
      return importOnnx(path);
    default:
      throw fail("SNNC102", `unknown model file type "${extname(path)}"`, { file: path }, "give a TF.js model.json, a Keras .h5, a Keras 3 .keras or an ONNX .onnx file");
  }
}
