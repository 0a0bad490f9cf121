/**
 * @fileoverview The TensorFlow.js runtime snnc checks models against.
 *
 * `@tensorflow/tfjs-node` cannot be installed here (its install script downloads libtensorflow), so snnc runs
 * on `@tensorflow/tfjs` with the WebAssembly backend (SIMD), falling back to the pure-JS cpu backend.
 * Loaded lazily: importing tfjs costs about a second, and most commands never need it.
 */
import type * as TfModule from "@tensorflow/tfjs";

export type Tf = typeof TfModule;

let loaded: Promise<Tf> | null = null;

export type TfBackend = "wasm" | "cpu";

/** Loads tfjs once and selects `backend` (default wasm; cpu if wasm cannot start). */
export function loadTf(backend: TfBackend = "wasm"): Promise<Tf> {
  loaded ??= (async () => {
    const tf = (await import("@tensorflow/tfjs")) as unknown as Tf;
    if (backend === "wasm") {
      await import("@tensorflow/tfjs-backend-wasm");
      try {
        if (await tf.setBackend("wasm")) {
          await tf.ready();
          return tf;
        }
      } catch {
        // fall through to cpu
      }
    }
    await tf.setBackend("cpu");
    await tf.ready();
    return tf;
  })();
  return loaded;
}
