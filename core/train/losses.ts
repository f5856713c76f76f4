/**
 * The losses and the accuracy metric of clave's training engine (core/train/fit.ts), per example:
 * the mean over a batch is taken by the caller.
 */
import type * as TF from "@tensorflow/tfjs";
import type { OutputLoss } from "./fit.ts";

type Tf = typeof TF;

/**
 * The loss of one output, `spec.weight` times: mean squared error, or Keras's categorical
 * cross-entropy −Σ_c y_c log clip(p_c, ε, 1−ε) of (one-hot or mixed) targets y. Class weights w
 * scale each example's cross-entropy by Σ_c y_c w_c, its label's weight (as tfjs's `classWeight`).
 */
export function lossFunction(tf: Tf, spec: OutputLoss, classWeights?: TF.Tensor): (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor {
  const weight = spec.weight;
  if (spec.loss === "mse") {
    return (yTrue, yPred) => tf.tidy(() => tf.mul(tf.mean(tf.square(tf.sub(yPred, yTrue)), -1), weight));
  }
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const perExample = tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(yPred, 1e-7, 1 - 1e-7))), -1));
      const weighted = classWeights ? tf.mul(perExample, tf.sum(tf.mul(yTrue, classWeights), -1)) : perExample;
      return tf.mul(weighted, weight);
    });
}

export function accuracyMetric(tf: Tf) {
  // Named `acc` so tfjs logs it as Keras does.
  return function acc(yTrue: TF.Tensor, yPred: TF.Tensor): TF.Tensor {
    return tf.tidy(() => tf.cast(tf.equal(tf.argMax(yTrue, -1), tf.argMax(yPred, -1)), "float32"));
  };
}
