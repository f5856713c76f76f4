/**
 * The losses and the accuracy metric of clave's training engine (core/train/fit.ts), per example:
 * the mean over a batch is taken by the caller. On the wasm backend with clave's kernels each is one
 * kernel (core/kernels/losses.ts), the same values to float rounding; elsewhere tfjs ops.
 */
import type * as TF from "@tensorflow/tfjs";
import { ACCURACY, CROSS_ENTROPY, type LossAttrs, SQUARED_ERROR } from "../kernels/losses.ts";
import type { OutputLoss } from "./fit.ts";

type Tf = typeof TF;

/** Whether the clave kernel `name` runs here (wasm backend, kernel registered). */
function fused(tf: Tf, name: string): boolean {
  return tf.getBackend() === "wasm" && tf.getKernel(name, "wasm") !== undefined;
}

function runLoss(tf: Tf, name: string, yTrue: TF.Tensor, yPred: TF.Tensor, weight: number): TF.Tensor {
  const attrs: LossAttrs = { weight };
  return tf.engine().runKernel(name, { yTrue, yPred } as unknown as TF.NamedTensorMap, attrs as unknown as TF.NamedAttrMap) as TF.Tensor;
}

/** Whether targets and predictions are both [batch, values] float32 of one shape (what the kernels take). */
function pair(yTrue: TF.Tensor, yPred: TF.Tensor): boolean {
  return yTrue.rank === 2 && yPred.rank === 2 && yTrue.dtype === "float32" && yPred.dtype === "float32" && yTrue.shape.every((d, i) => d === yPred.shape[i]);
}

/**
 * The loss of one output, `spec.weight` times: mean squared error, or Keras's categorical
 * cross-entropy −Σ_c y_c log clip(p_c, ε, 1−ε) of (one-hot or mixed) targets y. Class weights w
 * scale each example's cross-entropy by Σ_c y_c w_c, its label's weight (as tfjs's `classWeight`).
 */
export function lossFunction(tf: Tf, spec: OutputLoss, classWeights?: TF.Tensor): (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor {
  const weight = spec.weight;
  if (spec.loss === "mse") {
    return (yTrue, yPred) =>
      fused(tf, SQUARED_ERROR) && pair(yTrue, yPred)
        ? runLoss(tf, SQUARED_ERROR, yTrue, yPred, weight)
        : tf.tidy(() => tf.mul(tf.mean(tf.square(tf.sub(yPred, yTrue)), -1), weight));
  }
  return (yTrue, yPred) =>
    tf.tidy(() => {
      if (fused(tf, CROSS_ENTROPY) && pair(yTrue, yPred)) {
        const loss = runLoss(tf, CROSS_ENTROPY, yTrue, yPred, weight);
        return classWeights ? tf.mul(loss, tf.sum(tf.mul(yTrue, classWeights), -1)) : loss;
      }
      const perExample = tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(yPred, 1e-7, 1 - 1e-7))), -1));
      const weighted = classWeights ? tf.mul(perExample, tf.sum(tf.mul(yTrue, classWeights), -1)) : perExample;
      return tf.mul(weighted, weight);
    });
}

export function accuracyMetric(tf: Tf) {
  // Named `acc` so tfjs logs it as Keras does.
  return function acc(yTrue: TF.Tensor, yPred: TF.Tensor): TF.Tensor {
    if (fused(tf, ACCURACY) && pair(yTrue, yPred)) {
      return tf.engine().runKernel(ACCURACY, { yTrue, yPred } as unknown as TF.NamedTensorMap) as TF.Tensor;
    }
    return tf.tidy(() => tf.cast(tf.equal(tf.argMax(yTrue, -1), tf.argMax(yPred, -1)), "float32"));
  };
}
