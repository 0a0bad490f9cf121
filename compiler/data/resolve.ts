/**
 * @fileoverview Which data a command uses when the user gives none: for the shipped examples, Debian's full
 * Fashion-MNIST (/usr/share/datasets/fashion-mnist, dataset-fashion-mnist) when installed, else the
 * 1,000-image sample next to the examples; for any other model, nothing (the command says what it needs).
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export const SYSTEM_FASHION_MNIST = "/usr/share/datasets/fashion-mnist";

export interface DataChoice {
  readonly path: string;
  readonly why: string;
}

/** A `data` directory in the model's folder or up to two folders above it. */
function sampleNear(modelPath: string): string | null {
  let dir = dirname(resolve(modelPath));
  for (let i = 0; i < 3; i++) {
    const d = join(dir, "data");
    if (existsSync(d) && statSync(d).isDirectory()) return d;
    dir = dirname(dir);
  }
  return null;
}

export function defaultData(modelPath: string): DataChoice | null {
  const sample = sampleNear(modelPath);
  if (!sample) return null;
  const fashion = /fashion-mnist/i.test(resolve(modelPath));
  if (fashion && existsSync(join(SYSTEM_FASHION_MNIST, "t10k-images-idx3-ubyte.gz"))) {
    return { path: SYSTEM_FASHION_MNIST, why: "Fashion-MNIST from dataset-fashion-mnist (test split)" };
  }
  return { path: sample, why: "the sample shipped next to the example model" };
}
