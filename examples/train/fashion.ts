/**
 * @fileoverview Fashion-MNIST loader for the example training scripts.
 *
 * Reads the four gzip IDX files of the Debian package `dataset-fashion-mnist` (default directory
 * /usr/share/datasets/fashion-mnist, overridable with FASHION_MNIST_DIR) and returns float32 pixels in [0,1]
 * laid out NHWC [N,28,28,1], int32 labels 0..9, and the raw uint8 bytes (for writing the shipped data sample).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readIdx } from "../../compiler/data/idx.ts";

export const FASHION_MNIST_DIR = process.env["FASHION_MNIST_DIR"] ?? "/usr/share/datasets/fashion-mnist";

export const CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"] as const;

export interface FashionSplit {
  readonly count: number;
  /** [count, 28, 28, 1] row-major, pixel / 255. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
  /** The original uint8 pixels, [count, 28, 28]. */
  readonly rawImages: Uint8Array;
  readonly rawLabels: Uint8Array;
}

export interface FashionMnist {
  readonly train: FashionSplit;
  readonly test: FashionSplit;
}

const FILES = {
  train: ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"],
  test: ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"],
} as const;

function readU8(file: string, dims: number): { shape: readonly number[]; data: Uint8Array } {
  const arr = readIdx(new Uint8Array(readFileSync(file)), file);
  if (!(arr.data instanceof Uint8Array) || arr.shape.length !== dims) {
    throw new Error(`${file}: expected a ${dims}-D uint8 IDX array, got shape [${arr.shape.join(",")}]`);
  }
  return { shape: arr.shape, data: arr.data };
}

function loadSplit(dir: string, split: keyof typeof FILES): FashionSplit {
  const [imagesFile, labelsFile] = FILES[split];
  const images = readU8(join(dir, imagesFile), 3);
  const labels = readU8(join(dir, labelsFile), 1);
  const [count = 0, h, w] = images.shape;
  if (h !== 28 || w !== 28) throw new Error(`${imagesFile}: expected 28x28 images, got ${h}x${w}`);
  if (labels.shape[0] !== count) throw new Error(`${labelsFile}: ${labels.shape[0]} labels for ${count} images`);
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (images.data[i] ?? 0) / 255;
  return { count, images: pixels, labels: Int32Array.from(labels.data), rawImages: images.data, rawLabels: labels.data };
}

/** Loads the train (60,000) and test (10,000) splits. Throws a readable error if the data are not installed. */
export function loadFashionMnist(dir: string = FASHION_MNIST_DIR): FashionMnist {
  const missing = [...FILES.train, ...FILES.test].filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new Error(
      `Fashion-MNIST not found in ${dir} (missing ${missing.join(", ")}).\n` +
        `Install it with:  apt-get install dataset-fashion-mnist\n` +
        `or point FASHION_MNIST_DIR at a directory holding the four *-ubyte.gz files.`,
    );
  }
  return { train: loadSplit(dir, "train"), test: loadSplit(dir, "test") };
}
