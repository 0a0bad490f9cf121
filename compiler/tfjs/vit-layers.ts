/**
 * @fileoverview tfjs Layers classes for the transformer layers tfjs 4.22 cannot train or Keras does not have,
 * in Keras' class names, configs and weight layouts, so a model trained with them saves a model.json that the
 * snnc importer reads exactly like a Keras file (compiler/import/layers.ts). Used by the ViT training script
 * (examples/train/train-vit.ts) and by the import check (compiler/tfjs/check.ts, from-ann.ts).
 *
 *   MultiHeadAttention — Keras' layer, self-attention only (called on one tensor: query = key = value).
 *     config: num_heads, key_dim, value_dim (null = key_dim), output_shape (null = input features),
 *             use_bias (default true), dropout (0; only 0 is supported), attention_axes (null).
 *     weights (Keras order and names): query/kernel [F,H,Dk], query/bias [H,Dk], key/kernel [F,H,Dk],
 *             key/bias [H,Dk], value/kernel [F,H,Dv], value/bias [H,Dv], attention_output/kernel [H,Dv,O],
 *             attention_output/bias [O].
 *     y = Σ_h softmax((x·Wq_h + bq_h)/√Dk · (x·Wk_h + bk_h)ᵀ) · (x·Wv_h + bv_h) · Wo_h + bo
 *     (Keras scales the query by 1/√Dk before the product; so does this layer.) tfjs 4.22 ships a
 *     MultiHeadAttention class, but it builds on einsum, which has no gradient in tfjs; this class replaces it
 *     in the serialisation map (same class name, same weights), built from matMul/transpose/softmax.
 *   AddPositionEmbedding — learned position embedding added to the tokens (snnc custom layer; Keras has none).
 *     weight embeddings [T,F] (trainable); y[b,t,f] = x[b,t,f] + embeddings[t,f].
 *   ClassToken — learned class token prepended to the sequence (snnc custom layer; the name and weight of
 *     vit-keras). weight cls [1,1,F]; [B,T,F] → [B,T+1,F], row 0 = cls.
 *   TokenSlice — picks one token, [B,T,F] → [B,F] (snnc custom layer: the class-token readout). config index.
 *
 *   LayerNormalization — Keras' layer over the last axis (config axis −1, epsilon, center, scale; weights gamma
 *     [F], beta [F]): y = (x − mean)/√(var + ε)·γ + β. tfjs has one, but it tiles γ and β to the input shape,
 *     and tfjs' Tile gradient is a loop of slices (≈ 30,000 kernel calls per training step for the ViT example,
 *     10 s of a 17 s step); this class broadcasts instead. Same class name and weights, so it replaces it.
 *
 * GELU needs no class: tfjs has the activations `gelu` (exact, x·Φ(x) with erf) and `gelu_new` (tanh form).
 * GlobalAveragePooling1D, Softmax, Add, Dropout and Dense on rank-3 input are tfjs's own.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "./backend.ts";

type Tensor = tfTypes.Tensor;
type LayerVariable = tfTypes.LayerVariable;
type LayerArgs = NonNullable<ConstructorParameters<Tf["layers"]["Layer"]>[0]>;
type Shape = (number | null)[];
type Initializer = ReturnType<Tf["initializers"]["zeros"]>;

export interface MultiHeadAttentionArgs extends LayerArgs {
  numHeads: number;
  keyDim: number;
  valueDim?: number | null;
  outputShape?: number | null;
  useBias?: boolean;
  dropout?: number;
  attentionAxes?: null;
  /** Seed of the kernels' uniform initialiser (not serialised). */
  seed?: number;
}

export interface PositionEmbeddingArgs extends LayerArgs {
  /** Seed of the embeddings' initialiser (not serialised). */
  seed?: number;
}

export interface TokenSliceArgs extends LayerArgs {
  index?: number;
}

export interface LayerNormArgs extends LayerArgs {
  axis?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
}

export interface VitLayers {
  readonly LayerNormalization: new (args?: LayerNormArgs) => tfTypes.layers.Layer;
  readonly MultiHeadAttention: new (args: MultiHeadAttentionArgs) => tfTypes.layers.Layer;
  readonly AddPositionEmbedding: new (args?: PositionEmbeddingArgs) => tfTypes.layers.Layer;
  readonly ClassToken: new (args?: PositionEmbeddingArgs) => tfTypes.layers.Layer;
  readonly TokenSlice: new (args?: TokenSliceArgs) => tfTypes.layers.Layer;
}

const cache = new WeakMap<Tf, VitLayers>();

function single(inputs: Tensor | Tensor[]): Tensor {
  if (!Array.isArray(inputs)) return inputs;
  if (inputs[0] === undefined) throw new Error("expected an input tensor");
  return inputs[0];
}

function firstShape(s: Shape | Shape[]): Shape {
  return (Array.isArray(s[0]) ? s[0] : s) as Shape;
}

function variable(v: LayerVariable | null, layer: string): LayerVariable {
  if (v === null) throw new Error(`${layer}: layer not built`);
  return v;
}

/** Defines (once per tfjs instance) the layer classes. */
export function vitLayers(tf: Tf): VitLayers {
  const known = cache.get(tf);
  if (known) return known;

  const uniform = (fanIn: number, fanOut: number, seed: number | undefined): Initializer => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.initializers.randomUniform({ minval: -limit, maxval: limit, ...(seed !== undefined ? { seed } : {}) });
  };

  class MultiHeadAttention extends tf.layers.Layer {
    static className = "MultiHeadAttention";
    readonly numHeads: number;
    readonly keyDim: number;
    readonly valueDim: number;
    readonly outDim: number | null;
    readonly useBias: boolean;
    private readonly seed: number | undefined;
    private w: LayerVariable[] = [];

    constructor(args: MultiHeadAttentionArgs) {
      super(args);
      if ((args.dropout ?? 0) !== 0) throw new Error(`MultiHeadAttention: only dropout 0 is supported, got ${args.dropout}`);
      if (args.attentionAxes !== undefined && args.attentionAxes !== null) throw new Error("MultiHeadAttention: only the default attention_axes is supported");
      this.numHeads = args.numHeads;
      this.keyDim = args.keyDim;
      this.valueDim = args.valueDim ?? args.keyDim;
      this.outDim = args.outputShape ?? null;
      this.useBias = args.useBias ?? true;
      this.seed = args.seed;
    }

    override build(inputShape: Shape | Shape[]): void {
      const f = firstShape(inputShape).at(-1) ?? 0;
      const h = this.numHeads;
      const o = this.outDim ?? f;
      const s = this.seed;
      const zeros = tf.initializers.zeros();
      const add = (name: string, shape: number[], init: Initializer) => this.addWeight(name, shape, "float32", init, undefined, true);
      const list: LayerVariable[] = [];
      const proj = (name: string, d: number, k: number) => {
        list.push(add(`${name}/kernel`, [f, h, d], uniform(f, h * d, s === undefined ? undefined : s + k)));
        if (this.useBias) list.push(add(`${name}/bias`, [h, d], zeros));
      };
      proj("query", this.keyDim, 0);
      proj("key", this.keyDim, 1);
      proj("value", this.valueDim, 2);
      list.push(add("attention_output/kernel", [h, this.valueDim, o], uniform(h * this.valueDim, o, s === undefined ? undefined : s + 3)));
      if (this.useBias) list.push(add("attention_output/bias", [o], zeros));
      this.w = list;
      this.built = true;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const s = firstShape(inputShape);
      return [...s.slice(0, -1), this.outDim ?? s.at(-1) ?? null];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = single(inputs);
        if (Array.isArray(inputs) && inputs.length > 1) throw new Error(`${this.name}: only self-attention (one input) is supported`);
        const [, t = 0, f = 0] = x.shape;
        const h = this.numHeads;
        const dk = this.keyDim;
        const dv = this.valueDim;
        const ws = this.w.map((v) => v.read());
        let i = 0;
        const next = () => ws[i++] as Tensor;
        const x2 = tf.reshape(x, [-1, f]);
        const project = (d: number): Tensor => {
          const kernel = next();
          let y = tf.matMul(x2, tf.reshape(kernel, [f, h * d]));
          if (this.useBias) y = tf.add(y, tf.reshape(next(), [h * d]));
          return tf.transpose(tf.reshape(y, [-1, t, h, d]), [0, 2, 1, 3]); // [B,H,T,d]
        };
        const q = tf.mul(project(dk), 1 / Math.sqrt(dk));
        const k = project(dk);
        const v = project(dv);
        const scores = tf.matMul(q, k, false, true); // [B,H,T,T]
        const attention = tf.softmax(scores, -1);
        const o = tf.transpose(tf.matMul(attention, v), [0, 2, 1, 3]); // [B,T,H,dv]
        const wo = next();
        const outDim = wo.shape[2] ?? 0;
        let y = tf.matMul(tf.reshape(o, [-1, h * dv]), tf.reshape(wo, [h * dv, outDim]));
        if (this.useBias) y = tf.add(y, next());
        return tf.reshape(y, [-1, t, outDim]);
      });
    }

    override getConfig(): tfTypes.serialization.ConfigDict {
      return {
        numHeads: this.numHeads, keyDim: this.keyDim, valueDim: this.valueDim, outputShape: this.outDim, useBias: this.useBias,
        dropout: 0, attentionAxes: null, ...super.getConfig(),
      };
    }
  }

  class AddPositionEmbedding extends tf.layers.Layer {
    static className = "AddPositionEmbedding";
    private readonly seed: number | undefined;
    private emb: LayerVariable | null = null;

    constructor(args: PositionEmbeddingArgs = {}) {
      super(args);
      this.seed = args.seed;
    }

    override build(inputShape: Shape | Shape[]): void {
      const [, t, f] = firstShape(inputShape);
      const init = tf.initializers.truncatedNormal({ stddev: 0.02, ...(this.seed !== undefined ? { seed: this.seed } : {}) });
      this.emb = this.addWeight("embeddings", [t ?? 0, f ?? 0], "float32", init, undefined, true);
      this.built = true;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      return firstShape(inputShape);
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => tf.add(single(inputs), variable(this.emb, this.name).read()));
    }
  }

  class ClassToken extends tf.layers.Layer {
    static className = "ClassToken";
    private readonly seed: number | undefined;
    private cls: LayerVariable | null = null;

    constructor(args: PositionEmbeddingArgs = {}) {
      super(args);
      this.seed = args.seed;
    }

    override build(inputShape: Shape | Shape[]): void {
      const f = firstShape(inputShape).at(-1) ?? 0;
      const init = tf.initializers.truncatedNormal({ stddev: 0.02, ...(this.seed !== undefined ? { seed: this.seed } : {}) });
      this.cls = this.addWeight("cls", [1, 1, f], "float32", init, undefined, true);
      this.built = true;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const [b, t, f] = firstShape(inputShape);
      return [b ?? null, t === null || t === undefined ? null : t + 1, f ?? null];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = single(inputs);
        const [b = 0, , f = 0] = x.shape;
        const token = tf.broadcastTo(variable(this.cls, this.name).read(), [b, 1, f]);
        return tf.concat([token, x], 1);
      });
    }
  }

  class TokenSlice extends tf.layers.Layer {
    static className = "TokenSlice";
    readonly index: number;

    constructor(args: TokenSliceArgs = {}) {
      super(args);
      this.index = args.index ?? 0;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const s = firstShape(inputShape);
      return [s[0] ?? null, s.at(-1) ?? null];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = single(inputs);
        const [b = 0, , f = 0] = x.shape;
        return tf.reshape(tf.slice(x, [0, this.index, 0], [b, 1, f]), [b, f]);
      });
    }

    override getConfig(): tfTypes.serialization.ConfigDict {
      return { index: this.index, ...super.getConfig() };
    }
  }

  class LayerNormalization extends tf.layers.Layer {
    static className = "LayerNormalization";
    readonly epsilon: number;
    readonly center: boolean;
    readonly scale: boolean;
    private gamma: LayerVariable | null = null;
    private beta: LayerVariable | null = null;

    constructor(args: LayerNormArgs = {}) {
      super(args);
      const axis = (args as { axis?: number | number[] }).axis;
      const a = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
      if (a !== undefined && a !== -1) throw new Error(`LayerNormalization: only axis -1 is supported, got ${JSON.stringify(axis)}`);
      this.epsilon = args.epsilon ?? 1e-3;
      this.center = args.center ?? true;
      this.scale = args.scale ?? true;
    }

    override build(inputShape: Shape | Shape[]): void {
      const f = firstShape(inputShape).at(-1) ?? 0;
      if (this.scale) this.gamma = this.addWeight("gamma", [f], "float32", tf.initializers.ones(), undefined, true);
      if (this.center) this.beta = this.addWeight("beta", [f], "float32", tf.initializers.zeros(), undefined, true);
      this.built = true;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      return firstShape(inputShape);
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = single(inputs);
        const d = tf.sub(x, tf.mean(x, -1, true));
        let y = tf.mul(d, tf.rsqrt(tf.add(tf.mean(tf.square(d), -1, true), this.epsilon)));
        if (this.gamma) y = tf.mul(y, this.gamma.read());
        if (this.beta) y = tf.add(y, this.beta.read());
        return y;
      });
    }

    override getConfig(): tfTypes.serialization.ConfigDict {
      return { axis: -1, epsilon: this.epsilon, center: this.center, scale: this.scale, ...super.getConfig() };
    }
  }

  const classes: VitLayers = { LayerNormalization, MultiHeadAttention, AddPositionEmbedding, ClassToken, TokenSlice };
  cache.set(tf, classes);
  return classes;
}

/**
 * tfjs 4.22 saves the tanh GELU activation as "gelu_new" but looks it up on load as class "geluNew", which it
 * does not register, so its own model.json fails to load. This registers that name (same formula as tfjs').
 */
function geluNewAlias(tf: Tf): tfTypes.serialization.SerializableConstructor<tfTypes.serialization.Serializable> {
  class GeluNew extends tf.serialization.Serializable {
    static className = "geluNew";
    apply(x: Tensor): Tensor {
      return tf.tidy(() => tf.mul(0.5, tf.mul(x, tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))))));
    }
    override getClassName(): string {
      return "gelu_new";
    }
    getConfig(): tfTypes.serialization.ConfigDict {
      return {};
    }
  }
  return GeluNew as unknown as tfTypes.serialization.SerializableConstructor<tfTypes.serialization.Serializable>;
}

/** Registers the classes with tfjs serialisation (idempotent; replaces tfjs's own MultiHeadAttention and
 * LayerNormalization, and adds the missing "geluNew" activation name). */
export function registerVitLayers(tf: Tf): VitLayers {
  const classes = vitLayers(tf);
  for (const cls of Object.values(classes)) {
    tf.serialization.registerClass(cls as unknown as tfTypes.serialization.SerializableConstructor<tfTypes.serialization.Serializable>);
  }
  if (!registeredAlias.has(tf)) {
    tf.serialization.registerClass(geluNewAlias(tf));
    registeredAlias.add(tf);
  }
  return classes;
}

const registeredAlias = new WeakSet<Tf>();
