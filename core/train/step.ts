/**
 * One training step's loss and gradients, as tfjs's `trainOnBatch` computes them (Keras's
 * semantics): the network runs in training mode; the total loss is Σ_i mean_batch(L_i(y_i, ŷ_i))
 * over the phase's outputs (each loss already carries its weight, core/train/losses.ts) plus the
 * layers' regularisation penalties; gradients are taken by clave's lean backward pass with respect
 * to the trainable weights.
 *
 * Split from the optimizer's update so that data-parallel training (core/train/parallel.ts) can
 * take the gradients of parts of a batch on several threads and apply their weighted mean once.
 */
import type * as TF from "@tensorflow/tfjs";
import type { OutputLoss } from "./fit.ts";
import { accuracyMetric, lossFunction } from "./losses.ts";

type Tf = typeof TF;

/** What a step reports. */
export interface StepValues {
  /** Total loss (weighted losses + regularisation), mean over the batch. */
  loss: number;
  /** Each output's weighted loss, mean over the batch (logged only with several outputs). */
  outputs: number[];
  /** Accuracy of the probabilities output over the batch (NaN without one). */
  acc: number;
}

/**
 * A step's values under their names in the history, as Keras logs them: `loss`; with several
 * outputs each `<output>_loss` unweighted (the weight is inside the loss function); `acc` when an
 * output is classified.
 */
export function stepLogs(values: StepValues, losses: readonly OutputLoss[]): [string, number][] {
  const logs: [string, number][] = [["loss", values.loss]];
  if (losses.length > 1) losses.forEach((l, i) => logs.push([`${l.output}_loss`, l.weight > 0 ? values.outputs[i] / l.weight : values.outputs[i]]));
  if (losses.some((l) => l.loss === "crossentropy")) logs.push(["acc", values.acc]);
  return logs;
}

/** One step without the update: what `StepGradients` and the direct dense step (dense-graph.ts) both do. */
export interface Stepper {
  /** The variables gradients are taken for, in the order `gradients` returns them. */
  variables(): TF.Variable[];
  /**
   * Loss, metrics and the gradient of each trainable variable (the caller disposes them) of one
   * batch `x` with a target per output of the phase.
   */
  gradients(x: TF.Tensor, targets: readonly TF.Tensor[]): { grads: TF.Tensor[]; values: StepValues };
}

/** A training net with its phase's losses: `gradients(x, targets)` is one step without the update. */
export class StepGradients implements Stepper {
  private readonly lossFns: ((yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor)[];
  private readonly probs: number;
  private readonly accuracy: (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor;

  constructor(
    private readonly tf: Tf,
    private readonly net: TF.LayersModel,
    private readonly losses: readonly OutputLoss[],
    classWeights?: TF.Tensor,
  ) {
    this.lossFns = losses.map((l) => lossFunction(tf, l, classWeights));
    this.probs = losses.findIndex((l) => l.loss === "crossentropy");
    this.accuracy = accuracyMetric(tf);
  }

  /** The variables gradients are taken for, in the order `gradients` returns them. */
  variables(): TF.Variable[] {
    return this.net.trainableWeights.map((w) => w.read() as TF.Variable);
  }

  /**
   * Loss, metrics and the gradient of each trainable variable (the caller disposes them) of one
   * batch `x` with a target per output of the phase.
   */
  gradients(x: TF.Tensor, targets: readonly TF.Tensor[]): { grads: TF.Tensor[]; values: StepValues } {
    const tf = this.tf;
    const variables = this.variables();
    let scores: TF.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const predicted = this.net.apply(x, { training: true }) as TF.Tensor | TF.Tensor[];
      const outputs = Array.isArray(predicted) ? predicted : [predicted];
      const parts = this.lossFns.map((fn, i) => tf.mean(fn(targets[i], outputs[i])));
      // Not differentiated: read once with the loss.
      scores = tf.keep(
        tf.tidy(() =>
          tf.stack([...parts, this.probs >= 0 ? tf.mean(this.accuracy(targets[this.probs], outputs[this.probs])) : tf.scalar(Number.NaN)]),
        ),
      );
      let total = parts.length === 1 ? parts[0] : tf.addN(parts);
      for (const penalty of (this.net as unknown as { calculateLosses(): TF.Scalar[] }).calculateLosses()) total = tf.add(total, penalty);
      return total as TF.Scalar;
    }, variables);
    const all = tf.tidy(() => tf.concat([tf.reshape(value, [1]), scores!]));
    const read = all.dataSync();
    tf.dispose([all, value, scores!]);
    const n = this.losses.length;
    return {
      grads: variables.map((v) => grads[v.name]),
      values: { loss: read[0], outputs: Array.from(read.subarray(1, 1 + n)), acc: read[1 + n] },
    };
  }
}
