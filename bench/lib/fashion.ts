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

/**
 * The images to evaluate: `split` "test" (default) or "train", from image `offset` on. Training images are for
 * choosing options without looking at the test set (a threshold rule, a percentile); those below 1,000 are the
 * calibration images, so a "train" offset starts at 1,000 at the least. "train" needs the full dataset.
 */
export function benchData(samples: number, offset = 0, split: "test" | "train" = "test"): BenchData {
  const full = existsSync(`${SYSTEM_FASHION_MNIST}/t10k-images-idx3-ubyte.gz`);
  const shape = [28, 28, 1];
  const trainFile = `${SYSTEM_FASHION_MNIST}/train-images-idx3-ubyte.gz`;
  if (split === "train" && !full) throw new Error(`benchData: the training split needs Debian's dataset-fashion-mnist (${trainFile})`);
  const train = split === "train" ? loadDataset(trainFile, { inputShape: shape }) : null;
  const pool = train ?? (full ? loadDataset(`${SYSTEM_FASHION_MNIST}/t10k-images-idx3-ubyte.gz`, { inputShape: shape }) : loadDataset("examples/fashion-mnist/data", { inputShape: shape }));
  const calibration = train ? sliceDataset(train, 0, 1000) : full ? loadDataset(trainFile, { inputShape: shape, limit: 1000 }) : sliceDataset(pool, 500, 500);
  const available = full ? pool.count : 500;
  const from = Math.max(train ? 1000 : 0, Math.min(offset, available - 1));
  const n = Math.min(samples, available - from);
  const evalSet = sliceDataset(pool, from, n);
  const what = train ? "training images (not calibration images)" : "test images";
  return {
    full, calibration, evalSet, labels: evalSet.labels as Int32Array, n,
    describe: `${n} Fashion-MNIST ${what}${from > 0 ? ` from image ${from}` : ""} (${full ? "full dataset available" : "shipped sample"}), calibration ${calibration.count} ${full ? "training" : "held-out"} images`,
  };
}
