/**
 * @fileoverview Fashion-MNIST for the accuracy benchmarks: the test images to evaluate (the full test set
 * when Debian's dataset-fashion-mnist is installed, else the shipped 1,000-image sample, of which the first
 * 500 are evaluated), and calibration images disjoint from them (the first 1,000 training images, else the
 * sample's last 500).
 */
import { existsSync } from "node:fs";
import { type Dataset, loadDataset, sliceDataset } from "../../compiler/data/dataset.ts";
import { SYSTEM_FASHION_MNIST } from "../../compiler/data/resolve.ts";

export interface BenchData {
  readonly full: boolean;
  readonly calibration: Dataset;
  readonly evalSet: Dataset;
  readonly labels: Int32Array;
  /** Evaluated images. */
  readonly n: number;
  /** "N Fashion-MNIST test images (...), calibration M ... images", for the benchmark's first line. */
  readonly describe: string;
}

export function benchData(samples: number, offset = 0): BenchData {
  const full = existsSync(`${SYSTEM_FASHION_MNIST}/t10k-images-idx3-ubyte.gz`);
  const shape = [28, 28, 1];
  const test = full ? loadDataset(`${SYSTEM_FASHION_MNIST}/t10k-images-idx3-ubyte.gz`, { inputShape: shape }) : loadDataset("examples/fashion-mnist/data", { inputShape: shape });
  const calibration = full ? loadDataset(`${SYSTEM_FASHION_MNIST}/train-images-idx3-ubyte.gz`, { inputShape: shape, limit: 1000 }) : sliceDataset(test, 500, 500);
  const available = full ? test.count : 500;
  const from = Math.max(0, Math.min(offset, available - 1));
  const n = Math.min(samples, available - from);
  const evalSet = sliceDataset(test, from, n);
  return {
    full, calibration, evalSet, labels: evalSet.labels as Int32Array, n,
    describe: `${n} Fashion-MNIST test images${from > 0 ? ` from image ${from}` : ""} (${full ? "full test set available" : "shipped sample"}), calibration ${calibration.count} ${full ? "training" : "held-out"} images`,
  };
}
