/**
 * clave's custom tfjs layers, registered for serialisation so that a saved model loads back:
 *
 * - `Standardize`: `(x − μ) / σ` per feature, μ and σ adapted from the training set and saved with
 *   the model; passes the input mask on. A feature is one position of the last `featureAxes` axes
 *   (default 1): a mel band of `[time, mels]` examples, a (band, channel) of `[time, mels, channels]`
 *   with `featureAxes: 2` — statistics per row of the spectrogram, pooled over time and examples.
 * - `AttentionScores`: self-attention weights over time steps, `α = softmax_t(vᵀ tanh(W h_t + b))`,
 *   masked steps get weight 0. Output `[batch, time]`: the weights of each sample.
 * - `WeightedSum`: `Σ_t α_t h_t` of `[h, α]`, the attention-pooled vector `[batch, features]`.
 * - `TokenSplit`: `[batch, time, features(, channels)]` cut along time into `tokens` equal pieces
 *   (the last `time mod tokens` frames dropped), `[batch, tokens, time/tokens, features, channels]`.
 *
 * The classes extend the loaded tfjs's `Layer`, so they are made once per tfjs instance. Making them
 * also makes `TimeDistributed` fold time into the batch, as Keras does (time-distributed.ts).
 */
import type * as TF from "@tensorflow/tfjs";
import { STANDARDIZE } from "../kernels/standardize.ts";
import { featureStatistics } from "../train/batches.ts";
import { installFoldedTimeDistributed } from "./time-distributed.ts";

type Tf = typeof TF;
type Shape = (number | null)[];
type Kwargs = { mask?: TF.Tensor; training?: boolean; [key: string]: unknown };
type LayerArgs = ConstructorParameters<typeof TF.layers.Layer>[0];
/** No mask goes out of this layer (tfjs types computeMask as never returning null). */
const NO_MASK = null as unknown as TF.Tensor;

export interface StandardizeLayer extends TF.layers.Layer {
  /** Whether μ and σ have been set from data. */
  isAdapted(): boolean;
  /** Set μ and σ from examples `[n, ..., features]` (flat), ignoring frames that are all `ignoreValue`. */
  adapt(data: Float32Array): void;
  /** μ and σ, one per feature (flat). */
  statistics(): { mean: Float32Array; std: Float32Array };
}

export interface ClaveLayers {
  standardize(config: { name?: string; ignoreValue?: number | null; featureAxes?: number }): StandardizeLayer;
  attentionScores(config: { units: number; name?: string }): TF.layers.Layer;
  weightedSum(config?: { name?: string }): TF.layers.Layer;
  tokenSplit(config: { tokens: number; name?: string }): TF.layers.Layer;
  /** Class names as they appear in model.json. */
  readonly classNames: readonly string[];
}

/**
 * Batch normalisation as PyTorch's BatchNorm layers default to (the running statistics take 0.1 of
 * each batch's, ε = 1e-5), in Keras's terms. Keras's own momentum 0.99 leaves the running statistics
 * of a small dataset's few hundred steps far from the batches', and the first epochs' validation off.
 */
export const TORCH_BATCH_NORM = { momentum: 0.9, epsilon: 1e-5 } as const;

const made = new WeakMap<object, ClaveLayers>();

/** The custom layers for this tfjs, registered with its serialisation map. */
export function claveLayers(tf: Tf): ClaveLayers {
  const cached = made.get(tf);
  if (cached) return cached;
  installFoldedTimeDistributed(tf);

  class Standardize extends tf.layers.Layer implements StandardizeLayer {
    static className = "ClaveStandardize";
    readonly ignoreValue: number | null;
    readonly featureAxes: number;
    private mean?: TF.LayerVariable;
    private std?: TF.LayerVariable;
    private count?: TF.LayerVariable;
    constructor(config: TF.serialization.ConfigDict & { ignoreValue?: number | null; featureAxes?: number }) {
      super(config as LayerArgs);
      this.ignoreValue = (config.ignoreValue as number | null | undefined) ?? null;
      // Models saved before the option was there standardise along the last axis.
      this.featureAxes = (config.featureAxes as number | undefined) ?? 1;
      this.supportsMasking = true;
    }
    override build(inputShape: Shape | Shape[]): void {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
      if (this.featureAxes < 1 || this.featureAxes >= shape.length) {
        throw new Error(`${this.name}: featureAxes ${this.featureAxes} for inputs of rank ${shape.length - 1}`);
      }
      const features = shape.slice(shape.length - this.featureAxes) as number[];
      this.mean = this.addWeight("mean", features, "float32", tf.initializers.zeros(), undefined, false);
      this.std = this.addWeight("std", features, "float32", tf.initializers.ones(), undefined, false);
      this.count = this.addWeight("count", [1], "float32", tf.initializers.zeros(), undefined, false);
      this.built = true;
    }
    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      // One kernel on wasm with clave's kernels (core/kernels/standardize.ts), the same two roundings.
      if (x.dtype === "float32" && tf.getBackend() === "wasm" && tf.getKernel(STANDARDIZE, "wasm") !== undefined) {
        return tf.engine().runKernel(STANDARDIZE, { x, mean: this.mean!.read(), std: this.std!.read() } as unknown as TF.NamedTensorMap) as TF.Tensor;
      }
      return tf.tidy(() => tf.div(tf.sub(x, this.mean!.read()), this.std!.read()));
    }
    override computeMask(_inputs: TF.Tensor | TF.Tensor[], mask?: TF.Tensor | TF.Tensor[]): TF.Tensor | TF.Tensor[] {
      return mask as TF.Tensor;
    }
    isAdapted(): boolean {
      return this.built && (this.count!.read().dataSync()[0] ?? 0) > 0;
    }
    adapt(data: Float32Array): void {
      const shape = this.mean!.shape as number[];
      const { mean, std, frames } = featureStatistics(data, shape.reduce((a, b) => a * b, 1), this.ignoreValue);
      // A variable takes the values' data; the tensors that brought them go.
      tf.tidy(() => {
        this.mean!.write(tf.tensor(mean, shape));
        this.std!.write(tf.tensor(std, shape));
        this.count!.write(tf.tensor1d([frames]));
      });
    }
    statistics(): { mean: Float32Array; std: Float32Array } {
      return { mean: this.mean!.read().dataSync() as Float32Array, std: this.std!.read().dataSync() as Float32Array };
    }
    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), ignoreValue: this.ignoreValue, featureAxes: this.featureAxes };
    }
  }

  class AttentionScores extends tf.layers.Layer {
    static className = "ClaveAttentionScores";
    readonly units: number;
    private kernel?: TF.LayerVariable;
    private bias?: TF.LayerVariable;
    private context?: TF.LayerVariable;
    constructor(config: TF.serialization.ConfigDict & { units: number }) {
      super(config as LayerArgs);
      this.units = config.units as number;
      this.supportsMasking = true;
    }
    override build(inputShape: Shape | Shape[]): void {
      const shape = inputShape as Shape;
      const features = shape[shape.length - 1] as number;
      this.kernel = this.addWeight("kernel", [features, this.units], "float32", tf.initializers.glorotUniform({}));
      this.bias = this.addWeight("bias", [this.units], "float32", tf.initializers.zeros());
      this.context = this.addWeight("context", [this.units, 1], "float32", tf.initializers.glorotUniform({}));
      this.built = true;
    }
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const shape = inputShape as Shape;
      return [shape[0], shape[1]];
    }
    override computeMask(): TF.Tensor {
      return NO_MASK;
    }
    override call(inputs: TF.Tensor | TF.Tensor[], kwargs: Kwargs): TF.Tensor {
      return tf.tidy(() => {
        const h = Array.isArray(inputs) ? inputs[0] : inputs;
        const [batch, time, features] = h.shape as number[];
        const flat = tf.reshape(h, [batch * time, features]);
        const hidden = tf.tanh(tf.add(tf.matMul(flat, this.kernel!.read()), this.bias!.read()));
        let scores = tf.reshape(tf.matMul(hidden, this.context!.read()), [batch, time]);
        if (kwargs?.mask) {
          const mask = tf.cast(tf.reshape(kwargs.mask, [batch, time]), "float32");
          scores = tf.add(scores, tf.mul(tf.sub(1, mask), -1e9));
        }
        return tf.softmax(scores, -1);
      });
    }
    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), units: this.units };
    }
  }

  class WeightedSum extends tf.layers.Layer {
    static className = "ClaveWeightedSum";
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const [h] = inputShape as Shape[];
      return [h[0], h[h.length - 1]];
    }
    override computeMask(): TF.Tensor {
      return NO_MASK;
    }
    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const [h, weights] = inputs as TF.Tensor[];
        return tf.sum(tf.mul(h, tf.expandDims(weights, -1)), 1);
      });
    }
  }

  class TokenSplit extends tf.layers.Layer {
    static className = "ClaveTokenSplit";
    readonly tokens: number;
    constructor(config: TF.serialization.ConfigDict & { tokens: number }) {
      super(config as LayerArgs);
      this.tokens = config.tokens as number;
    }
    private split(shape: Shape): Shape {
      const time = shape[1] as number;
      const length = Math.floor(time / this.tokens);
      return [shape[0], this.tokens, length, shape[2], shape.length > 3 ? shape[3] : 1];
    }
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      return this.split(inputShape as Shape);
    }
    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const out = this.split(x.shape) as number[];
        const used = out[1] * out[2];
        const kept = used === x.shape[1] ? x : tf.slice(x, 0, [x.shape[0], used, ...x.shape.slice(2)]);
        return tf.reshape(kept, out);
      });
    }
    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), tokens: this.tokens };
    }
  }

  for (const cls of [Standardize, AttentionScores, WeightedSum, TokenSplit]) {
    tf.serialization.registerClass(cls as unknown as TF.serialization.SerializableConstructor<TF.layers.Layer>);
  }
  const layers: ClaveLayers = {
    standardize: (config) => new Standardize(config as TF.serialization.ConfigDict),
    attentionScores: (config) => new AttentionScores(config),
    weightedSum: (config = {}) => new WeightedSum(config as TF.serialization.ConfigDict),
    tokenSplit: (config) => new TokenSplit(config),
    classNames: [Standardize.className, AttentionScores.className, WeightedSum.className, TokenSplit.className],
  };
  made.set(tf, layers);
  return layers;
}
