/**
 * @fileoverview Gradient kernels for the tfjs WebAssembly backend, so the example conv nets train on it.
 *
 * Why: tfjs-node cannot be installed here and the pure-JS cpu backend is ~25x slower than wasm (XNNPACK, SIMD),
 * but @tensorflow/tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` kernel (the weight gradient of Conv2D), so
 * training any conv layer fails with "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'".
 * Profiling a training step also showed wasm kernels that exist but are slow on the shapes backprop produces:
 *   - Conv2DBackpropInput: a scalar C loop, ~52 ms for [64,14,14,32]->[64,14,14,16]; as a conv2d, ~5 ms.
 *   - BatchMatMul / _FusedMatMul with transposeA or transposeB (both appear in every Dense gradient) bypass
 *     XNNPACK, ~10x slower than untransposed. We transpose the operand explicitly, then multiply.
 *   - Tile of a [1,1,1,C] vector to the activation shape (BatchNormalization gradient): ~40 ms for
 *     [64,28,28,16]; a broadcasting add does it in ~3 ms.
 *   - AvgPoolGrad: an index loop; for non-overlapping pools a broadcast multiply + reshape is ~8x faster.
 * Net effect per batch of 64: cnn 110 -> 72 ms, resnet 530 -> 340 ms, mlp 39 -> 26 ms.
 * Found on the way: the wasm _FusedMatMul gives wrong results when it has a bias and either a transpose or
 * rank-3 (batched) operands; both cases are routed around it here. (Layers' Dense calls it untransposed on
 * rank-2 operands, which is correct, and gradients use the plain BatchMatMul.)
 *
 * How: each kernel is the textbook gradient math expressed with forward ops the wasm backend does accelerate
 * (pad, transpose, reverse, slice, broadcasting arithmetic, conv2d with dilation), run through `tf` ops
 * inside the kernelFunc. Inputs arrive as backend TensorInfos: we incRef them before wrapping them as Tensors
 * so disposing the wrappers does not free the caller's data, and hand the result back the same way (incRef,
 * then dispose our Tensor), so the engine's tensor and byte counts stay balanced (checked with tf.memory()
 * across training batches). Cases outside a fast path call the original wasm kernel.
 *
 * Layout (NHWC): x [N,H,W,Ci], filter [KH,KW,Ci,Co], dy [N,OH,OW,Co]; NCHW conv inputs are transposed.
 * Checked against the cpu backend on random inputs (strides 1 and 2, mixed strides, 'same'/'valid'/explicit
 * padding, 1x1 to 5x5 kernels, NCHW; matmuls with every transpose combination, rank 2 and 3; pools 2x2 and 3x3
 * on odd and even sizes; BatchNormalization gradients end to end; 356 comparisons): worst relative difference
 * 3e-5 (1.4e-3 absolute on a weight gradient summing 50,176 products), i.e. float32 summation order.
 * Non-overlapping convs (stride = kernel, valid, no dilation: a ViT patch embedding, or 1×1 stride 1) take a
 * matmul path in both backprop kernels: the dilated-conv formulation cost 0.8 s per step of the ViT example.
 * Checked against the cpu backend (7×7/7 on 28×28 and on 30×29 with a cropped edge, 1×1/1, 4×4/4): worst
 * difference 1.4e-6.
 */
import type * as tfTypes from "@tensorflow/tfjs";

type Tf = typeof import("@tensorflow/tfjs");
type Tensor = tfTypes.Tensor;
type Tensor4D = tfTypes.Tensor4D;
type TensorInfo = tfTypes.TensorInfo;
type KernelBackend = tfTypes.KernelBackend;
type KernelFunc = tfTypes.KernelFunc;
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];
type Pad = "valid" | "same" | number | ExplicitPadding;
type DimRounding = "floor" | "round" | "ceil" | undefined;
type Strides = [number, number] | number;

/** Wraps a backend TensorInfo as a Tensor that owns its own reference (dispose it when done). */
function wrap(tf: Tf, backend: KernelBackend, info: TensorInfo): Tensor {
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** Runs `fn` on Tensors aliasing `inputs` and returns its result as a TensorInfo for the engine to adopt. */
function composite(tf: Tf, backend: KernelBackend, inputs: readonly TensorInfo[], fn: (ts: Tensor[]) => Tensor): TensorInfo {
  const wrapped = inputs.map((info) => wrap(tf, backend, info));
  let result: Tensor;
  try {
    result = tf.tidy(() => fn(wrapped));
  } finally {
    for (const t of wrapped) t.dispose();
  }
  // Keep the buffer alive for the engine, which wraps the returned TensorInfo in a Tensor of its own.
  backend.incRef(result.dataId);
  const out: TensorInfo = { dataId: result.dataId, shape: result.shape.slice(), dtype: result.dtype };
  result.dispose();
  return out;
}

function conv2dInfo(tf: Tf, xShape: readonly number[], filterShape: readonly number[], strides: Strides, pad: Pad, dimRoundingMode: DimRounding) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    "channelsLast",
  );
}

const toNHWC = (tf: Tf, t: Tensor4D, nchw: boolean): Tensor4D => (nchw ? tf.transpose(t, [0, 2, 3, 1]) : t);
const nchwToNhwcShape = (s: readonly number[]): number[] => [s[0] ?? 0, s[2] ?? 0, s[3] ?? 0, s[1] ?? 0];

/** A conv whose windows tile the input without overlap or padding (stride = kernel, no dilation, valid). */
function isPatchify(info: tfTypes.backend_util.Conv2DInfo): boolean {
  const p = info.padInfo;
  return info.strideHeight === info.filterHeight && info.strideWidth === info.filterWidth && info.dilationHeight === 1 && info.dilationWidth === 1 &&
    p.top === 0 && p.left === 0 && p.bottom <= 0 && p.right <= 0;
}

/**
 * dW[kh,kw,ci,co] = sum over n,oh,ow of xpad[n, oh*sh+kh, ow*sw+kw, ci] * dy[n,oh,ow,co].
 * One valid conv2d with dilation (sh,sw): the "image" is xpad with Ci as batch and N as channels ([Ci,Hp,Wp,N]),
 * the "filter" is dy as [OH,OW,N,Co]; the output [Ci,>=KH,>=KW,Co] is cropped to KH x KW and transposed.
 * (A 9-tap slice + matmul formulation measured 3-5x slower.)
 */
export function conv2dBackpropFilter(tf: Tf, x: Tensor4D, dy: Tensor4D, filterShape: readonly number[], strides: Strides, pad: Pad, dimRoundingMode: DimRounding = undefined): Tensor4D {
  const info = conv2dInfo(tf, x.shape, filterShape, strides, pad, dimRoundingMode);
  const { top, bottom, left, right } = info.padInfo;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  if (dy.shape[1] !== oh || dy.shape[2] !== ow) {
    throw new Error(`Conv2DBackpropFilter: dy ${dy.shape.join("x")} does not match the conv output ${oh}x${ow}`);
  }
  if (isPatchify(info)) {
    // Non-overlapping windows (a ViT patch embedding): dW = patchesᵀ · dy, one matmul.
    const [n = 0, , , ci = 0] = x.shape;
    const co = dy.shape[3];
    const crop = tf.slice(x, [0, 0, 0, 0], [-1, oh * kh, ow * kw, -1]);
    const patches = tf.reshape(tf.transpose(tf.reshape(crop, [n, oh, kh, ow, kw, ci]), [2, 4, 5, 0, 1, 3]), [kh * kw * ci, n * oh * ow]);
    return tf.reshape(tf.matMul(patches, tf.reshape(dy, [n * oh * ow, co])), [kh, kw, ci, co]);
  }
  // Rows/cols past the last one any output reads are never used: crop them (keeps the conv output >= K).
  const needH = (oh - 1) * sh + kh;
  const needW = (ow - 1) * sw + kw;
  let xp: Tensor4D = tf.pad(x, [[0, 0], [top, Math.max(0, bottom)], [left, Math.max(0, right)], [0, 0]]);
  const [, hp = 0, wp = 0] = xp.shape;
  if (hp > needH || wp > needW) xp = tf.slice(xp, [0, 0, 0, 0], [-1, Math.min(needH, hp), Math.min(needW, wp), -1]);
  const img = tf.transpose(xp, [3, 1, 2, 0]); // [Ci, Hp, Wp, N]
  const flt = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, Co]
  const r = tf.conv2d(img, flt, 1, "valid", "NHWC", [sh, sw]); // [Ci, >=KH, >=KW, Co]
  return tf.transpose(tf.slice(r, [0, 0, 0, 0], [-1, kh, kw, -1]), [1, 2, 0, 3]);
}

/**
 * dx = correlation of the zero-dilated dy with the 180-degree-rotated filter (Ci and Co swapped): dy is
 * dilated by the strides (zeros between rows/cols), padded by K-1-padBefore before and by whatever makes the
 * result exactly H x W after, then convolved (stride 1, valid) with reverse(filter,[0,1]) as [KH,KW,Co,Ci].
 */
export function conv2dBackpropInput(tf: Tf, dy: Tensor4D, filter: Tensor4D, inputShape: readonly number[], strides: Strides, pad: Pad, dimRoundingMode: DimRounding = undefined): Tensor4D {
  const info = conv2dInfo(tf, inputShape, filter.shape, strides, pad, dimRoundingMode);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, inHeight: h, inWidth: w } = info;
  const [n, , , co] = dy.shape;
  if (isPatchify(info)) {
    // Non-overlapping windows: each output pixel's gradient spreads over its own patch, dx = dy · Wᵀ.
    const ci = filter.shape[2];
    const cols = tf.matMul(tf.reshape(dy, [n * oh * ow, co]), tf.reshape(filter, [kh * kw * ci, co]), false, true);
    const img = tf.reshape(tf.transpose(tf.reshape(cols, [n, oh, ow, kh, kw, ci]), [0, 1, 3, 2, 4, 5]), [n, oh * kh, ow * kw, ci]) as Tensor4D;
    return oh * kh === h && ow * kw === w ? img : tf.pad(img, [[0, 0], [0, h - oh * kh], [0, w - ow * kw], [0, 0]]);
  }
  let d: Tensor4D = dy;
  if (sh > 1 || sw > 1) {
    // [N,OH,OW,Co] -> [N,OH,1,OW,1,Co] -> zero-pad to [N,OH,sh,OW,sw,Co] -> [N,OH*sh,OW*sw,Co] -> drop trailing zeros.
    const six = tf.reshape(dy, [n, oh, 1, ow, 1, co]);
    const spread = tf.pad(six, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
    d = tf.slice(tf.reshape(spread, [n, oh * sh, ow * sw, co]) as Tensor4D, [0, 0, 0, 0], [-1, (oh - 1) * sh + 1, (ow - 1) * sw + 1, -1]);
  }
  // padInfo.top <= kh-1, so padTop >= 0; the valid conv then has padTop + dH + padBottom - kh + 1 = h rows.
  const padTop = kh - 1 - info.padInfo.top;
  const padLeft = kw - 1 - info.padInfo.left;
  const padBottom = h + kh - 1 - padTop - ((oh - 1) * sh + 1);
  const padRight = w + kw - 1 - padLeft - ((ow - 1) * sw + 1);
  d = tf.pad(d, [[0, 0], [padTop, Math.max(0, padBottom)], [padLeft, Math.max(0, padRight)], [0, 0]]);
  if (padBottom < 0 || padRight < 0) {
    // Only with explicit padding larger than the conv ever reads; those dy entries do not reach dx.
    const [, dh = 0, dw = 0] = d.shape;
    d = tf.slice(d, [0, 0, 0, 0], [-1, dh + Math.min(0, padBottom), dw + Math.min(0, padRight), -1]);
  }
  const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [KH,KW,Co,Ci]
  return tf.conv2d(d, rotated, 1, "valid");
}

/** Swaps the last two axes. */
function transposeLast2(tf: Tf, t: Tensor): Tensor {
  const perm = t.shape.map((_, i) => i);
  const r = perm.length;
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(t, perm);
}

/** The fused-kernel activations (tfjs `Activation`) as ops. */
function activate(tf: Tf, x: Tensor, activation: string, prelu: Tensor | undefined, leakyreluAlpha: number | undefined): Tensor {
  switch (activation) {
    case "linear":
      return x;
    case "relu":
      return tf.relu(x);
    case "relu6":
      return tf.relu6(x);
    case "elu":
      return tf.elu(x);
    case "sigmoid":
      return tf.sigmoid(x);
    case "leakyrelu":
      return tf.leakyRelu(x, leakyreluAlpha ?? 0.2);
    case "prelu":
      if (prelu === undefined) throw new Error("_FusedMatMul: prelu activation without weights");
      return tf.prelu(x, prelu);
    default:
      throw new Error(`_FusedMatMul: unknown activation ${activation}`);
  }
}

export interface WasmGradOptions {
  /** Replace the wasm backend's own (scalar-loop) Conv2DBackpropInput. Default true. */
  readonly replaceBackpropInput?: boolean;
  /** Route the slow wasm paths (transposed matmuls, broadcast Tile, non-overlapping AvgPoolGrad) to fast ones. Default true. */
  readonly fastPaths?: boolean;
}

/** Names of the kernels `registerWasmGradients` installed or rerouted, in order (for logs and training.json). */
export const registeredKernels: string[] = [];

/**
 * Registers the missing convolution gradient kernels for the 'wasm' backend and reroutes the slow ones.
 * Idempotent; call it before or after `tf.setBackend("wasm")`. Other backends are untouched.
 */
export function registerWasmGradients(tf: Tf, options: WasmGradOptions = {}): void {
  const done = (name: string): boolean => registeredKernels.includes(name);

  /** Replaces kernel `name` (keeping its setupFunc) with `make(original)`. */
  const reroute = (name: string, make: (original: KernelFunc) => KernelFunc): void => {
    const original = tf.getKernel(name, "wasm");
    if (original === undefined || done(name)) return;
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      ...(original.setupFunc !== undefined ? { setupFunc: original.setupFunc } : {}),
      kernelFunc: make(original.kernelFunc),
    });
    registeredKernels.push(name);
  };

  const backpropFilterKernel: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as tfTypes.Conv2DBackpropFilterAttrs;
    const nchw = a.dataFormat === "NCHW";
    return composite(tf, backend as KernelBackend, [x, dy], ([xt, dyt]) =>
      conv2dBackpropFilter(tf, toNHWC(tf, xt as Tensor4D, nchw), toNHWC(tf, dyt as Tensor4D, nchw), a.filterShape, a.strides, a.pad, a.dimRoundingMode),
    );
  };

  const backpropInputKernel: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as tfTypes.Conv2DBackpropInputAttrs;
    const nchw = a.dataFormat === "NCHW";
    return composite(tf, backend as KernelBackend, [dy, filter], ([dyt, ft]) => {
      const shape = nchw ? nchwToNhwcShape(a.inputShape) : a.inputShape;
      const dx = conv2dBackpropInput(tf, toNHWC(tf, dyt as Tensor4D, nchw), ft as Tensor4D, shape, a.strides, a.pad, a.dimRoundingMode);
      return nchw ? tf.transpose(dx, [0, 3, 1, 2]) : dx;
    });
  };

  if (!done("Conv2DBackpropFilter") && tf.getKernel("Conv2DBackpropFilter", "wasm") === undefined) {
    tf.registerKernel({ kernelName: "Conv2DBackpropFilter", backendName: "wasm", kernelFunc: backpropFilterKernel });
    registeredKernels.push("Conv2DBackpropFilter");
  }
  if (tf.getKernel("Conv2DBackpropInput", "wasm") === undefined) {
    tf.registerKernel({ kernelName: "Conv2DBackpropInput", backendName: "wasm", kernelFunc: backpropInputKernel });
    registeredKernels.push("Conv2DBackpropInput");
  } else if (options.replaceBackpropInput ?? true) {
    reroute("Conv2DBackpropInput", () => backpropInputKernel);
  }
  if (!(options.fastPaths ?? true)) return;

  // Transposed matmuls: transpose the operand explicitly, then run the (XNNPACK) untransposed kernel. This also
  // sidesteps a wasm _FusedMatMul bug: with a bias and transposeA or transposeB it returns wrong values.
  for (const name of ["BatchMatMul", "_FusedMatMul"]) {
    reroute(name, (original) => (args) => {
      const attrs = args.attrs as unknown as tfTypes._FusedMatMulAttrs;
      const inputs = args.inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
      const backend = args.backend as KernelBackend;
      if (name === "_FusedMatMul" && inputs.bias !== undefined && (inputs.a.shape.length > 2 || inputs.b.shape.length > 2)) {
        // The wasm _FusedMatMul adds the bias wrongly for batched (rank-3) operands: decompose.
        const extra = inputs.preluActivationWeights;
        return composite(tf, backend, extra ? [inputs.a, inputs.b, inputs.bias, extra] : [inputs.a, inputs.b, inputs.bias], ([a, b, bias, prelu]) =>
          activate(tf, tf.add(tf.matMul(a as Tensor, b as Tensor, attrs.transposeA, attrs.transposeB), bias as Tensor), attrs.activation, prelu, attrs.leakyreluAlpha),
        );
      }
      if (!attrs.transposeA && !attrs.transposeB) return original(args);
      const temps: Tensor[] = [];
      const flip = (info: TensorInfo): Tensor => {
        const w = wrap(tf, backend, info);
        const t = transposeLast2(tf, w);
        w.dispose();
        temps.push(t);
        return t;
      };
      try {
        const a = attrs.transposeA ? flip(inputs.a) : inputs.a;
        const b = attrs.transposeB ? flip(inputs.b) : inputs.b;
        return original({ ...args, inputs: { ...args.inputs, a, b }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
      } finally {
        for (const t of temps) t.dispose();
      }
    });
  }

  // Tile that only broadcasts size-1 axes (BatchNormalization gradient): x + zeros(outShape).
  reroute("Tile", (original) => (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { reps } = args.attrs as unknown as tfTypes.TileAttrs;
    const broadcastOnly = x.dtype === "float32" && x.shape.every((d, i) => d === 1 || (reps[i] ?? 1) === 1);
    if (!broadcastOnly) return original(args);
    const outShape = x.shape.map((d, i) => d * (reps[i] ?? 1));
    return composite(tf, args.backend as KernelBackend, [x], ([xt]) => tf.add(xt as Tensor, tf.zeros(outShape)));
  });

  // AvgPoolGrad of a non-overlapping, unpadded pool (filter == stride): spread dy/(fh*fw) over each window.
  reroute("AvgPoolGrad", (original) => (args) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const a = args.attrs as unknown as tfTypes.AvgPoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad);
    const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, inHeight: h, inWidth: w } = info;
    const p = info.padInfo;
    const simple = fh === sh && fw === sw && p.top === 0 && p.left === 0 && p.bottom <= 0 && p.right <= 0 && oh * fh <= h && ow * fw <= w;
    if (!simple || dy.dtype !== "float32") return original(args);
    return composite(tf, args.backend as KernelBackend, [dy], ([dyt]) => {
      const [n, , , c] = (dyt as Tensor).shape;
      const six = tf.reshape(dyt as Tensor, [n ?? 0, oh, 1, ow, 1, c ?? 0]);
      const spread = tf.mul(six, tf.fill([1, 1, fh, 1, fw, 1], 1 / (fh * fw)));
      const up = tf.reshape(spread, [n ?? 0, oh * fh, ow * fw, c ?? 0]);
      return oh * fh === h && ow * fw === w ? up : tf.pad(up, [[0, 0], [0, h - oh * fh], [0, w - ow * fw], [0, 0]]);
    });
  });
}
