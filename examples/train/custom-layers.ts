/**
 * @fileoverview The two conversion-friendly activation layers the compiler imports (compiler/import/layers.ts,
 * cases `RateNorm` and `QCFS`), as tfjs Layers classes registered for (de)serialisation.
 *
 *   RateNorm — rate norm layer of RNL (Ding, Yu, Tian, Huang: "Optimal ANN-SNN Conversion for Fast and Accurate
 *   Inference in Deep Spiking Neural Networks", IJCAI 2021). Weights: scalar `<layer>/running_max`
 *   (non-trainable) and scalar `<layer>/scale` (trainable, initialised to 10); config `epsilon` (1e-4).
 *       θ = running_max · sigmoid(scale) + epsilon,      y = clamp(relu(x) / θ, 0, 1)
 *   In training steps only (kwargs.training, which `trainOnBatch` sets and `predict` does not) and unless
 *   `frozen`, running_max is first updated with the batch maximum — rm ← 0.9·rm + 0.1·max(relu(x)) (momentum
 *   0.1, a fixed constant, not serialised) — and the updated value is used for the forward pass. The batch
 *   maximum carries no gradient (running_max is a plain non-trainable variable); `scale` gets the autodiff
 *   gradient of the formula above (clamp passes the gradient only inside [0, 1]).
 *   The paper's two training stages are driven from variants.ts, not from this layer: stage 1 trains the
 *   weights with `scale` held fixed, stage 2 freezes running_max and trains only the scales with the rate
 *   inference loss (1 − cos) + λ·k̄ (see variants.ts for the simplifications made there).
 *
 *   QCFS — quantisation-clip-floor-shift activation (Bu, Fang, Ding, Dai, Yu, Huang: "Optimal ANN-SNN
 *   Conversion for High-accuracy and Ultra-low-latency Spiking Neural Networks", ICLR 2022). Weight: scalar
 *   `<layer>/lambda` (trainable); config `levels` (L, a positive integer) and `shift` (default 0.5).
 *       y = λ · clip(floor(x · L / λ + shift) / L, 0, 1)
 *   computed in the same order as the compiler's float interpreter (x·L, then /λ, then +shift) so both round
 *   the same way. Gradient, with the straight-through estimator floor'(·) = 1: write z = x·L/λ + shift and
 *   k = floor(z), so y = λ·clip(k/L, 0, 1) = λ·h(x/λ) with h(u) = clip(floor(u·L + shift)/L, 0, 1).
 *     - k < 0 (bottom clip):  y = 0                        → ∂y/∂x = 0, ∂y/∂λ = 0
 *     - k ≥ L (top clip):     y = λ                        → ∂y/∂x = 0, ∂y/∂λ = 1
 *     - 0 ≤ k < L (inside):   y = λ·k/L, and by the STE ∂k/∂z = 1 with ∂z/∂x = L/λ and ∂z/∂λ = −x·L/λ², so
 *                             ∂y/∂x = (λ/L)·(L/λ) = 1
 *                             ∂y/∂λ = k/L + (λ/L)·(−x·L/λ²) = k/L − x/λ    (= (k − z + shift)/L: the rounding
 *                             residual; ≈ y/λ − x/λ, i.e. what one would get from y ≈ x + λ·(k − z + shift)/L)
 *   This is what autograd gives for the reference code (y = λ·floor(clamp(x/λ, 0, 1)·L + 0.5)/L with a
 *   straight-through floor), except exactly at the edges: there the clamp sits before the floor, so the
 *   inside region is 0 < x/λ < 1 instead of −shift/L ≤ x/λ < (L − shift)/L here. The forward values agree.
 *
 * Both classes are built by `customLayers(tf)` for a given tfjs instance (tfjs is loaded lazily elsewhere, so
 * this module imports only its types) and registered with `tf.serialization.registerClass` by
 * `registerCustomLayers(tf)`: call it before `tf.loadLayersModel` of a model that contains them.
 */
import type * as tfTypes from "@tensorflow/tfjs";

type Tf = typeof import("@tensorflow/tfjs");
type Tensor = tfTypes.Tensor;
type LayerVariable = tfTypes.LayerVariable;
type LayerArgs = NonNullable<ConstructorParameters<Tf["layers"]["Layer"]>[0]>;
type Shape = (number | null)[];
type Kwargs = { [key: string]: unknown };

export const RATE_NORM_MOMENTUM = 0.1;
export const RATE_NORM_EPSILON = 1e-4;
export const RATE_NORM_SCALE_INIT = 10;
export const QCFS_SHIFT = 0.5;

export interface RateNormArgs extends LayerArgs {
  /** Added to θ so it never reaches 0 (default 1e-4). */
  epsilon?: number;
  /** Initial running_max (default 1; variants.ts sets it from data). */
  runningMaxInit?: number;
  /** Initial scale (default 10, sigmoid(10) ≈ 0.99995). */
  scaleInit?: number;
}

export interface QcfsArgs extends LayerArgs {
  /** Quantisation levels L (positive integer). */
  levels: number;
  /** Shift (default 0.5). */
  shift?: number;
  /** Initial λ (default 8, as in the paper). */
  lambdaInit?: number;
}

/** The instance surface the training script uses (the classes themselves are built per tfjs instance). */
export interface RateNormLayer extends tfTypes.layers.Layer {
  readonly epsilon: number;
  /** When true, training steps do not update running_max (stage 2). */
  frozen: boolean;
  readonly runningMaxVar: LayerVariable;
  readonly scaleVar: LayerVariable;
  /** θ = running_max · sigmoid(scale) + epsilon, as a number. */
  theta(): number;
}

export interface QcfsLayer extends tfTypes.layers.Layer {
  readonly levels: number;
  readonly shift: number;
  readonly lambdaVar: LayerVariable;
}

export interface CustomLayers {
  readonly RateNorm: new (args?: RateNormArgs) => RateNormLayer;
  readonly QCFS: new (args: QcfsArgs) => QcfsLayer;
}

const cache = new WeakMap<Tf, CustomLayers>();

function single(inputs: Tensor | Tensor[]): Tensor {
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length !== 1 || inputs[0] === undefined) throw new Error(`expected one input tensor, got ${inputs.length}`);
  return inputs[0];
}

function scalarOf(v: LayerVariable): number {
  return v.read().dataSync()[0] ?? NaN;
}

/** y = λ·clip(floor(x·L/λ + shift)/L, 0, 1) with the straight-through gradient derived in the header. */
export function qcfsOp(tf: Tf, x: Tensor, lambda: Tensor, levels: number, shift: number): Tensor {
  const op = tf.customGrad((xIn, lamIn, save) => {
    const xt = xIn as Tensor;
    const lam = lamIn as Tensor;
    const k = tf.floor(tf.add(tf.div(tf.mul(xt, levels), lam), shift));
    const value = tf.mul(lam, tf.clipByValue(tf.div(k, levels), 0, 1));
    (save as tfTypes.GradSaveFunc)([xt, lam, k]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, ls, ks] = saved as [Tensor, Tensor, Tensor];
        const inside = tf.logicalAnd(tf.greaterEqual(ks, 0), tf.less(ks, levels));
        const top = tf.greaterEqual(ks, levels);
        const zeros = tf.zerosLike(dy);
        const dx = tf.where(inside, dy, zeros);
        const dydl = tf.where(inside, tf.sub(tf.div(ks, levels), tf.div(xs, ls)), tf.where(top, tf.onesLike(dy), zeros));
        const dl = tf.reshape(tf.sum(tf.mul(dy, dydl)), ls.shape);
        return [dx, dl];
      },
    };
  });
  return op(x, lambda);
}

/** Defines (once per tfjs instance) the RateNorm and QCFS layer classes. */
export function customLayers(tf: Tf): CustomLayers {
  const known = cache.get(tf);
  if (known) return known;

  class RateNorm extends tf.layers.Layer implements RateNormLayer {
    static className = "RateNorm";
    readonly epsilon: number;
    frozen = false;
    private readonly runningMaxInit: number;
    private readonly scaleInit: number;
    private rm: LayerVariable | null = null;
    private sc: LayerVariable | null = null;

    constructor(args: RateNormArgs = {}) {
      super(args);
      this.epsilon = args.epsilon ?? RATE_NORM_EPSILON;
      this.runningMaxInit = args.runningMaxInit ?? 1;
      this.scaleInit = args.scaleInit ?? RATE_NORM_SCALE_INIT;
    }

    get runningMaxVar(): LayerVariable {
      if (this.rm === null) throw new Error(`${this.name}: layer not built`);
      return this.rm;
    }

    get scaleVar(): LayerVariable {
      if (this.sc === null) throw new Error(`${this.name}: layer not built`);
      return this.sc;
    }

    override build(_inputShape: Shape | Shape[]): void {
      // Trainable weights are listed first by tfjs, so the files hold scale, then running_max (looked up by name).
      this.sc = this.addWeight("scale", [], "float32", tf.initializers.constant({ value: this.scaleInit }), undefined, true);
      this.rm = this.addWeight("running_max", [], "float32", tf.initializers.constant({ value: this.runningMaxInit }), undefined, false);
      this.built = true;
    }

    theta(): number {
      const rm = scalarOf(this.runningMaxVar);
      const s = scalarOf(this.scaleVar);
      return rm / (1 + Math.exp(-s)) + this.epsilon;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
      return inputShape;
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
      return tf.tidy(() => {
        const r = tf.relu(single(inputs));
        const rm = this.runningMaxVar;
        if (kwargs["training"] === true && !this.frozen) {
          // Momentum update from the batch max; the new value is written to the variable (no gradient path).
          const next = tf.add(tf.mul(rm.read(), 1 - RATE_NORM_MOMENTUM), tf.mul(tf.max(r), RATE_NORM_MOMENTUM));
          rm.write(next);
        }
        const theta = tf.add(tf.mul(rm.read(), tf.sigmoid(this.scaleVar.read())), this.epsilon);
        return tf.clipByValue(tf.div(r, theta), 0, 1);
      });
    }

    override getConfig(): tfTypes.serialization.ConfigDict {
      return { epsilon: this.epsilon, ...super.getConfig() };
    }
  }

  class QCFS extends tf.layers.Layer implements QcfsLayer {
    static className = "QCFS";
    readonly levels: number;
    readonly shift: number;
    private readonly lambdaInit: number;
    private lam: LayerVariable | null = null;

    constructor(args: QcfsArgs) {
      super(args);
      if (!Number.isInteger(args.levels) || args.levels < 1) throw new Error(`QCFS: levels must be a positive integer, got ${args.levels}`);
      this.levels = args.levels;
      this.shift = args.shift ?? QCFS_SHIFT;
      this.lambdaInit = args.lambdaInit ?? 8;
    }

    get lambdaVar(): LayerVariable {
      if (this.lam === null) throw new Error(`${this.name}: layer not built`);
      return this.lam;
    }

    override build(_inputShape: Shape | Shape[]): void {
      this.lam = this.addWeight("lambda", [], "float32", tf.initializers.constant({ value: this.lambdaInit }), undefined, true);
      this.built = true;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
      return inputShape;
    }

    override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
      return tf.tidy(() => qcfsOp(tf, single(inputs), this.lambdaVar.read(), this.levels, this.shift));
    }

    override getConfig(): tfTypes.serialization.ConfigDict {
      return { levels: this.levels, shift: this.shift, ...super.getConfig() };
    }
  }

  const classes: CustomLayers = { RateNorm, QCFS };
  cache.set(tf, classes);
  return classes;
}

/** Registers RateNorm and QCFS with tfjs serialisation (idempotent); returns the classes. */
export function registerCustomLayers(tf: Tf): CustomLayers {
  const classes = customLayers(tf);
  tf.serialization.registerClass(classes.RateNorm as unknown as tfTypes.serialization.SerializableConstructor<tfTypes.serialization.Serializable>);
  tf.serialization.registerClass(classes.QCFS as unknown as tfTypes.serialization.SerializableConstructor<tfTypes.serialization.Serializable>);
  return classes;
}
