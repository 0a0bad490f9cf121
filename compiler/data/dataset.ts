/**
 * @fileoverview Labelled image data for calibration, accuracy and verification.
 *
 * Input: a directory or a file of images (+ labels) as IDX (optionally .gz) or .npy. Output: a `Dataset` of
 * float32 samples laid out [N, ...sampleShape] (NHWC) and int32 labels. Rules (see CONTRACT.md): integer
 * images are divided by 255, float images are taken as they are; a sample of H*W values is given the model's
 * trailing channel axis when the model wants [H, W, 1]; a flat sample of the right size ((784,) for a
 * [28, 28, 1] model) is reshaped to the model's shape. Labels are class indices [N] or one-hot rows [N, C].
 *
 * Refused (coded, before any work): a path that is a directory or device (SNNC156), sizes beyond LIMITS
 * (SNNC157), NaN or infinite values (SNNC154), zero samples (SNNC155). Float data outside [0, 1] that look
 * like 0–255 pixels get warning SNNC-W150 (integer images are divided by 255, float ones are not).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { checkLimit } from "../../runtime/limits.ts";
import { fail, type Warning } from "../diagnostics.ts";
import { readRegularFile } from "../util/safe-path.ts";
import { type Shape, shapeSize } from "../ir/ann.ts";
import { readIdx } from "./idx.ts";
import { readNpy } from "./npy.ts";

export interface Dataset {
  /** Float samples, [count, ...sampleShape]. */
  readonly images: Float32Array;
  readonly labels: Int32Array | null;
  readonly count: number;
  readonly sampleShape: Shape;
  /** Where it came from, for reports. */
  readonly source: string;
  /** Warnings about the values (e.g. 0–255 floats), for the command to print. */
  readonly warnings?: readonly Warning[];
  /** Event data [N, T, ...sample]: T frames per sample, one per step (absent: 1, a static input). */
  readonly frames?: number;
}

/** Values per sample: frames × the frame size. */
export function sampleValues(ds: Pick<Dataset, "sampleShape" | "frames">): number {
  return shapeSize(ds.sampleShape) * (ds.frames ?? 1);
}

/** Largest data file read (bytes on disk, and after gunzip). */
export const DATA_MAX_BYTES = 2 ** 31 - 1;

interface RawArray {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
  readonly integer: boolean;
}

const INTEGER_ARRAYS = [Uint8Array, Int8Array, Int16Array, Uint16Array, Int32Array, Uint32Array];

function readArrayFile(file: string): RawArray {
  if (!existsSync(file)) throw fail("SNNC001", "data file not found", { file });
  const bytes = readRegularFile(file, file, DATA_MAX_BYTES, "SNNC156");
  const isNpy = /\.npy$/i.test(file);
  const arr = isNpy ? readNpy(bytes, file) : readIdx(bytes, file);
  return { shape: arr.shape, data: arr.data, integer: INTEGER_ARRAYS.some((C) => arr.data instanceof C) };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false; // a dangling symlink or a file that vanished
  }
}

/** The labels file that goes with an images file, by the usual naming conventions. */
function siblingLabels(imagesFile: string): string | null {
  const dir = dirname(imagesFile);
  const name = basename(imagesFile);
  const candidates = [
    name.replace("images", "labels").replace("idx3", "idx1"),
    name.replace(/^x/, "y"),
    name.replace(/^X/, "y"),
    name.replace("images", "labels"),
  ];
  for (const c of candidates) {
    if (c !== name && existsSync(join(dir, c))) return join(dir, c); // read as a regular file (SNNC156 otherwise)
  }
  return null;
}

/** Picks the images file inside a directory: the test split when both splits are there. */
function imagesInDir(dir: string): string {
  const files = readdirSync(dir).filter((f) => isFile(join(dir, f)));
  const images = files.filter((f) => /images.*\.(idx3-ubyte|idx)(\.gz)?$|idx3-ubyte(\.gz)?$/i.test(f) || /^(x|images).*\.npy$/i.test(f));
  const ranked = [...images].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const best = ranked[0];
  if (best === undefined) {
    throw fail("SNNC153", "no images found in the data directory", { file: dir },
      "give IDX files (e.g. t10k-images-idx3-ubyte.gz + t10k-labels-idx1-ubyte.gz) or x.npy + y.npy");
  }
  return join(dir, best);
}

function rank(f: string): number {
  if (/t10k|test/i.test(f)) return 0;
  if (/train/i.test(f)) return 2;
  return 1;
}

export interface LoadOptions {
  /** Keep only the first `limit` samples. */
  readonly limit?: number;
  /** The model's per-sample input shape; the data are checked and reshaped to it. */
  readonly inputShape?: Shape;
  /** Accept event data [N, T, ...inputShape] (spiking networks read from NIR). */
  readonly events?: boolean;
}

export function loadDataset(path: string, options: LoadOptions = {}): Dataset {
  const abs = resolve(path);
  if (!existsSync(abs)) throw fail("SNNC001", "data path not found", { file: path });
  const imagesFile = statSync(abs).isDirectory() ? imagesInDir(abs) : abs;
  const labelsFile = siblingLabels(imagesFile);
  const images = readArrayFile(imagesFile);
  const labels = labelsFile ? readArrayFile(labelsFile) : null;
  return toDataset(images, labels, imagesFile, labelsFile, options);
}

function toDataset(images: RawArray, labels: RawArray | null, imagesFile: string, labelsFile: string | null, options: LoadOptions): Dataset {
  const total = images.shape[0] ?? 0;
  if (images.shape.length < 2) {
    throw fail("SNNC151", `images array has shape [${images.shape.join(", ")}]; expected [N, ...sample]`, { file: imagesFile });
  }
  let sampleShape: Shape = images.shape.slice(1);
  // Event data [N, T, ...frame] for a model whose input is one frame (a NIR graph fed event frames).
  let frames = 1;
  if (options.events && options.inputShape && images.shape.length >= 3 && !fitsSample(sampleShape, options.inputShape) && fitsSample(images.shape.slice(2), options.inputShape)) {
    frames = images.shape[1] as number;
    sampleShape = options.inputShape;
  } else if (options.inputShape) sampleShape = fitSampleShape(sampleShape, options.inputShape, imagesFile);
  const per = shapeSize(sampleShape) * frames;
  const count = Math.min(total, options.limit ?? total);
  if (count === 0 || per === 0) {
    throw fail("SNNC155", `the data hold no samples (shape [${images.shape.join(", ")}]${options.limit === 0 ? ", limit 0" : ""})`, { file: imagesFile },
      "give at least one sample");
  }
  checkLimit("dataElements", count * per, { file: imagesFile });
  const out = new Float32Array(count * per);
  // Integer images are pixels (÷ 255); integer event frames are spike counts, taken as they are.
  const scale = images.integer && frames === 1 ? 1 / 255 : 1;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < out.length; i++) {
    const v = images.data[i] as number;
    if (!Number.isFinite(v)) {
      throw fail("SNNC154", `sample ${Math.floor(i / per)} has ${v} at element ${i % per}`, { file: imagesFile },
        "inputs must be finite numbers: clean the data (numpy.nan_to_num) before running");
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    out[i] = v * scale;
  }
  const warnings: Warning[] = [];
  if (!images.integer && frames === 1 && lo >= 0 && hi > 1.5 && hi <= 255) {
    warnings.push({
      code: "SNNC-W150",
      message: `float data span [${lo}, ${hi}], which looks like 0–255 pixels: float values are used as they are (only integer images are divided by 255); if the model was trained on [0, 1], divide the data by 255`,
      loc: { file: imagesFile },
    });
  }
  const lab = labels ? readLabels(labels, total, count, labelsFile ?? imagesFile) : null;
  return { images: out, labels: lab, count, sampleShape, source: imagesFile, ...(warnings.length ? { warnings } : {}), ...(frames > 1 ? { frames } : {}) };
}

/** fitSampleShape's test without the error. */
function fitsSample(dataShape: Shape, modelShape: Shape): boolean {
  try {
    fitSampleShape(dataShape, modelShape, "");
    return true;
  } catch {
    return false;
  }
}

/** Class indices from labels given as [N] (or [N, 1]) indices or as [N, C] one-hot rows. */
function readLabels(labels: RawArray, total: number, count: number, file: string): Int32Array {
  const n = labels.shape[0] ?? 0;
  // [N, 1] is a column of indices; [N, C ≥ 2] one-hot rows.
  const column = labels.shape.length === 2 && labels.shape[1] === 1;
  const oneHot = labels.shape.length === 2 && (labels.shape[1] ?? 0) >= 2;
  if ((labels.shape.length !== 1 && !oneHot && !column) || n !== total) {
    throw fail("SNNC152", `labels shape [${labels.shape.join(", ")}] does not match ${total} images`, { file },
      `give ${total} class indices ([${total}]) or one-hot rows ([${total}, classes])`);
  }
  const lab = new Int32Array(count);
  if (oneHot) {
    const c = labels.shape[1] as number;
    for (let i = 0; i < count; i++) {
      let hot = -1;
      for (let j = 0; j < c; j++) {
        const v = labels.data[i * c + j] as number;
        if (v === 1 && hot < 0) hot = j;
        else if (v !== 0) {
          hot = -2;
          break;
        }
      }
      if (hot < 0) throw fail("SNNC152", `label row ${i} is not one-hot (one 1, the rest 0)`, { file }, "give class indices, or one-hot rows");
      lab[i] = hot;
    }
    return lab;
  }
  for (let i = 0; i < count; i++) {
    const v = labels.data[i] ?? -1;
    if (!Number.isInteger(v) || v < 0) throw fail("SNNC152", `label ${i} is ${v}, not a class index`, { file });
    lab[i] = v;
  }
  return lab;
}

/** Accepts data whose sample shape equals the model's, or differs only by unit axes (28x28 vs 28x28x1). */
export function fitSampleShape(dataShape: Shape, modelShape: Shape, file: string): Shape {
  const squeeze = (s: Shape) => s.filter((d) => d !== 1);
  const a = squeeze(dataShape);
  const b = squeeze(modelShape);
  if (a.length === b.length && a.every((d, i) => d === b[i])) return modelShape;
  // A flat sample of the model's size ((784,) for [28, 28, 1]), in the model's NHWC order.
  if (dataShape.length === 1 && dataShape[0] === shapeSize(modelShape)) return modelShape;
  // A model that takes a flat vector (a NIR graph's Input of shape [784]): the sample flattened row-major.
  if (modelShape.length === 1 && shapeSize(dataShape) === shapeSize(modelShape)) return modelShape;
  throw fail("SNNC151", `data samples have shape [${dataShape.join(", ")}], the model takes [${modelShape.join(", ")}]`, { file },
    "give data with the model's per-sample input shape (NHWC)");
}

/** One input or a batch for `snnc run --input x.npy`. */
export function loadInputs(file: string, inputShape: Shape): Dataset {
  const arr = readArrayFile(file);
  const per = shapeSize(inputShape);
  const size = arr.shape.reduce((a, b) => a * b, 1);
  if (size === 0) throw fail("SNNC155", `the input has shape [${arr.shape.join(", ")}]: no samples`, { file }, "give at least one sample");
  // A single sample may come without the batch axis, or flat ((784,) for a [28, 28, 1] model).
  const single = size === per && (fitsOne(arr.shape, inputShape) || arr.shape.length === 1);
  const shape = single ? [1, ...arr.shape] : arr.shape;
  if (size % per !== 0) {
    throw fail("SNNC151", `input has shape [${arr.shape.join(", ")}], the model takes [${inputShape.join(", ")}] per sample`, { file });
  }
  return toDataset({ ...arr, shape }, null, file, null, { inputShape });
}

function fitsOne(shape: Shape, inputShape: Shape): boolean {
  const a = shape.filter((d) => d !== 1);
  const b = inputShape.filter((d) => d !== 1);
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Take samples [start, start+count) as a new dataset view (no copy). */
export function sliceDataset(ds: Dataset, start: number, count: number): Dataset {
  const per = sampleValues(ds);
  const n = Math.max(0, Math.min(count, ds.count - start));
  return {
    images: ds.images.subarray(start * per, (start + n) * per),
    labels: ds.labels ? ds.labels.subarray(start, start + n) : null,
    count: n,
    sampleShape: ds.sampleShape,
    source: ds.source,
    ...(ds.frames !== undefined ? { frames: ds.frames } : {}),
  };
}

/** Event input for `snnc run --events`: frames [T, ...] per sample (one per step), as read. */
export interface EventInputs {
  readonly images: Float32Array;
  readonly count: number;
  readonly frames: number;
}

/**
 * `snnc run --input events.npy --events`: [T, ...inputShape] (one sample) or [N, T, ...inputShape]; a frame may
 * also be flat (its size) or carry unit axes. Values are taken as they are (spike counts or currents; no
 * division by 255). A shape that fits neither is SNNC250; a non-finite value SNNC154.
 */
export function loadEvents(file: string, inputShape: Shape): EventInputs {
  const arr = readArrayFile(file);
  const per = shapeSize(inputShape);
  const frameFits = (s: readonly number[]) => shapeSize(s) === per && (fitsOne(s, inputShape) || s.length === 1);
  let count: number;
  let frames: number;
  if (arr.shape.length >= 2 && frameFits(arr.shape.slice(1))) [count, frames] = [1, arr.shape[0] as number];
  else if (arr.shape.length >= 3 && frameFits(arr.shape.slice(2))) [count, frames] = [arr.shape[0] as number, arr.shape[1] as number];
  else {
    throw fail("SNNC250", `event input has shape [${arr.shape.join(", ")}]; the network takes frames of [${inputShape.join(", ")}]: give [T, ${inputShape.join(", ")}] or [N, T, ${inputShape.join(", ")}]`, { file });
  }
  if (count * frames === 0) throw fail("SNNC155", `the event input has shape [${arr.shape.join(", ")}]: no frames`, { file }, "give at least one frame");
  const images = Float32Array.from(arr.data);
  for (let i = 0; i < images.length; i++) {
    if (!Number.isFinite(images[i] as number)) throw fail("SNNC154", `event input value ${i} is ${images[i]}`, { file });
  }
  return { images, count, frames };
}
