/**
 * `TimeDistributed` as Keras computes it: the time axis folded into the batch, the wrapped layer
 * applied once to `[batch·time, ...]`, the result unfolded to `[batch, time, ...]`. tfjs-layers
 * instead loops over the time steps (one call of the wrapped layer per step, then a stack): for
 * cnn_token_attention's 20 tokens that is 20 small convolutions, their gradients and the stacking,
 * in place of one convolution of the same arithmetic. Keras folds whenever it can; so does this, for
 * an unmasked input of rank ≥ 3 (a mask, or anything else, keeps tfjs's loop).
 *
 * The same numbers for a layer that treats examples independently (convolution, pooling, dense,
 * activations). A batch normalisation inside it now normalises over batch and time together and
 * updates its moving statistics once a step, as Keras's (and PyTorch's, the tokens folded into the
 * batch) do, where tfjs's loop normalised each step by its own batch and updated them once per step.
 * Models save and load as plain `TimeDistributed` layers.
 */
import type * as TF from "@tensorflow/tfjs";

type Tf = typeof TF;
type Kwargs = { mask?: TF.Tensor | null; [key: string]: unknown } | undefined;
type Call = (this: { layer: TF.layers.Layer }, inputs: TF.Tensor | TF.Tensor[], kwargs: Kwargs) => TF.Tensor | TF.Tensor[];

const FOLDED = Symbol.for("clave.foldedTimeDistributed");

/** Wrap `TimeDistributed.prototype.call` of this tfjs once (idempotent). */
export function installFoldedTimeDistributed(tf: Tf): void {
  const proto = Object.getPrototypeOf(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1 }) })) as { call: Call; [FOLDED]?: true };
  if (proto[FOLDED]) return;
  const stock = proto.call;
  proto.call = function (this: { layer: TF.layers.Layer }, inputs: TF.Tensor | TF.Tensor[], kwargs: Kwargs) {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    if (!x || x.rank < 3 || kwargs?.mask != null) return stock.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const [batch, time, ...rest] = x.shape;
      const folded = tf.reshape(x, [batch * time, ...rest]);
      const out = this.layer.call(folded, kwargs as Record<string, unknown>);
      const y = Array.isArray(out) ? out[0] : out;
      return tf.reshape(y, [batch, time, ...y.shape.slice(1)]);
    });
  };
  proto[FOLDED] = true;
}
