/**
 * @fileoverview The backends, listed explicitly (no discovery): one per target family.
 */
import type { Backend } from "./backend.ts";
import { loihiBackend } from "./loihi/encode.ts";
import { spinnakerBackend } from "./spinnaker/encode.ts";

export const BACKENDS: readonly Backend[] = [loihiBackend, spinnakerBackend];
