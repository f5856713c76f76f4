/**
 * The training engine for tfjs networks, with the habits of Keras's `fit`: AdamW, class weights,
 * ReduceLROnPlateau or StepLR, early stopping on the validation set with the best weights restored,
 * checkpoints, several outputs each with its loss and weight, one progress bar line per epoch, and a
 * History of every logged quantity (plus `lr`). Runs are reproducible from a seed.
 *
 * A network is trained in phases (one, usually): each phase names the outputs it trains, their losses
 * and weights, its epochs and the layers it leaves frozen; an autoencoder pretrains its reconstruction
 * in a first phase, then its classifier.
 */
import type * as TF from "@tensorflow/tfjs";
import type { LabelledArray, History } from "../plugin.ts";
import { progress } from "../progress.ts";
import { withSeededRandom } from "../random.ts";
import { balancedClassWeights } from "./class-weights.ts";
import { EarlyStopping } from "./early-stopping.ts";
import { adamW } from "./optimizer.ts";
import type { TrainingParams } from "./params.ts";
import { ReduceLrOnPlateau, stepLr } from "./schedule.ts";

type Tf = typeof TF;

/** How one output of a network is trained. */
export interface OutputLoss {
  /** Name of the layer whose output this is. */
  readonly output: string;
  /**
   * `crossentropy`: sparse categorical cross-entropy of softmax probabilities against the labels;
   * `mse`: mean squared error against the network's (standardised) input, flattened — a reconstruction.
   */
  readonly loss: "crossentropy" | "mse";
  /** Factor of this output's loss in the total loss. */
  readonly weight: number;
}

export interface TrainingPhase {
  /** Prefix of this phase's entries in the history (`pretrain/loss`); empty for the main phase. */
  readonly name: string;
  readonly epochs: number;
  readonly losses: readonly OutputLoss[];
  /** Layers this phase does not train. */
  readonly frozen?: (layerName: string) => boolean;
}

export interface FitNetworkOptions {
  readonly settings: TrainingParams;
  readonly phases: readonly TrainingPhase[];
  readonly seed: number;
  readonly batchSize: number;
  readonly validation?: LabelledArray;
  /** Explicit class weights; otherwise `settings.class_weight` decides. */
  readonly classWeights?: readonly number[];
  /** Layers frozen in every phase (transfer learning). */
  readonly frozen?: ReadonlySet<string>;
  /** `[n, ...]` input → the reconstruction target (the standardised input, flattened). */
  readonly reconstructionTarget?: (x: TF.Tensor) => TF.Tensor;
  readonly onEpoch?: (epoch: number, logs: Readonly<Record<string, number>>) => void;
  /** Called after each epoch that improves on the best monitored value (save a checkpoint). */
  readonly onImprovement?: (epoch: number) => Promise<void>;
  readonly progress?: boolean;
  /** Text before the progress bar. */
  readonly label?: string;
}

const PROBABILITIES_PREFIX = /^(val_)?[^_]*probabilities_acc$/;

/**
 * Keras-like logs: a multi-output model's `probabilities_acc` is logged as `acc`, and each output's
 * `<output>_loss` unweighted (tfjs has no loss weights, so the weight is inside the loss function).
 */
function normalizeLogs(logs: TF.Logs | undefined, weights: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(logs ?? {})) {
    const name = PROBABILITIES_PREFIX.test(key) ? (key.startsWith("val_") ? "val_acc" : "acc") : key;
    const weight = weights.get(key.replace(/^val_/, "").replace(/_loss$/, ""));
    out[name] = key.endsWith("_loss") && weight !== undefined && weight > 0 ? Number(value) / weight : Number(value);
  }
  return out;
}

function lossFunction(tf: Tf, spec: OutputLoss): (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor {
  const weight = spec.weight;
  if (spec.loss === "mse") {
    return (yTrue, yPred) => tf.tidy(() => tf.mul(tf.mean(tf.square(tf.sub(yPred, yTrue)), -1), weight));
  }
  // -Σ_c y_c log clip(p_c, ε, 1-ε) with one-hot targets y, Keras's categorical cross-entropy.
  return (yTrue, yPred) =>
    tf.tidy(() => tf.mul(tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(yPred, 1e-7, 1 - 1e-7))), -1)), weight));
}

function accuracyMetric(tf: Tf) {
  // Named `acc` so tfjs logs it as Keras does.
  return function acc(yTrue: TF.Tensor, yPred: TF.Tensor): TF.Tensor {
    return tf.tidy(() => tf.cast(tf.equal(tf.argMax(yTrue, -1), tf.argMax(yPred, -1)), "float32"));
  };
}

/**
 * Validation loss and accuracy, computed here rather than by tfjs (whose validation of a model with
 * several outputs logs running totals under the per-output names): `val_loss` = Σ w_i L_i, and for
 * several outputs each `val_<output>_loss` = L_i unweighted.
 */
function validationLogs(
  tf: Tf,
  net: TF.LayersModel,
  losses: readonly OutputLoss[],
  x: TF.Tensor,
  targets: TF.Tensor[],
  batchSize: number,
): Record<string, number> {
  return tf.tidy(() => {
    const predicted = net.predict(x, { batchSize: Math.max(batchSize, 256) });
    const outputs = Array.isArray(predicted) ? predicted : [predicted];
    const logs: Record<string, number> = {};
    let total = 0;
    losses.forEach((l, i) => {
      const value = tf.mean(lossFunction(tf, { ...l, weight: 1 })(targets[i], outputs[i])).dataSync()[0];
      total += l.weight * value;
      if (losses.length > 1) logs[`val_${l.output}_loss`] = value;
      if (l.loss === "crossentropy") logs.val_acc = tf.mean(accuracyMetric(tf)(targets[i], outputs[i])).dataSync()[0];
    });
    return { val_loss: total, ...logs };
  });
}

/** The monitored quantity actually available: `val_*` falls back to the training value without validation. */
function effectiveMonitor(wanted: string, logs: Record<string, number>): string {
  const candidates = [wanted, wanted.replace(/^val_/, ""), "val_loss", "loss"];
  return candidates.find((c) => c in logs && Number.isFinite(logs[c])) ?? "loss";
}

function formatLogs(logs: Record<string, number>, lr: number): string {
  const parts = Object.entries(logs).map(([k, v]) => `${k} ${v.toPrecision(4)}`);
  parts.push(`lr ${lr.toPrecision(3)}`);
  return parts.join(" ");
}

/** Train `network` in place on `data`; returns the history of every phase. */
export async function fitNetwork(tf: Tf, network: TF.LayersModel, data: LabelledArray, options: FitNetworkOptions): Promise<History> {
  const s = options.settings;
  const history: History = {};
  const outputNames = network.outputs.map((o) => o.sourceLayer.name);
  const probabilitiesLayer = outputNames.includes("probabilities") ? "probabilities" : outputNames[outputNames.length - 1];
  const nClasses = (network.getLayer(probabilitiesLayer).outputShape as number[]).at(-1)!;
  const classWeights =
    options.classWeights ?? (s.class_weight === "balanced" ? balancedClassWeights(data.y, nClasses) : undefined);
  const totalEpochs = options.phases.reduce((n, p) => n + p.epochs, 0);
  const bar = options.progress === false ? undefined : progress(totalEpochs, options.label ?? "train", { everyItem: true });

  await withSeededRandom(options.seed, async () => {
    const x = tf.tensor(data.x.data, [...data.x.shape]);
    // One-hot targets: tfjs checks a custom loss's targets against the output's shape.
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(data.y, "int32"), nClasses).toFloat());
    const vx = options.validation ? tf.tensor(options.validation.x.data, [...options.validation.x.shape]) : undefined;
    const vy = options.validation ? tf.tidy(() => tf.oneHot(tf.tensor1d(options.validation!.y, "int32"), nClasses).toFloat()) : undefined;
    const recon = options.reconstructionTarget;
    const xTarget = recon ? recon(x) : undefined;
    const vTarget = recon && vx ? recon(vx) : undefined;
    try {
      for (const phase of options.phases) {
        if (phase.epochs <= 0) continue;
        for (const layer of network.layers) {
          layer.trainable = !(options.frozen?.has(layer.name) || phase.frozen?.(layer.name));
        }
        const outputs = phase.losses.map((l) => network.getLayer(l.output).output as TF.SymbolicTensor);
        const sameOutputs =
          outputs.length === network.outputs.length && phase.losses.every((l, i) => outputNames[i] === l.output);
        const trainNet = sameOutputs ? network : tf.model({ inputs: network.inputs, outputs });
        const optimizer = adamW(tf, { learningRate: s.learning_rate, weightDecay: s.weight_decay });
        const probsOutput = phase.losses.find((l) => l.loss === "crossentropy")?.output;
        trainNet.compile({
          optimizer,
          loss: phase.losses.map((l) => lossFunction(tf, l)),
          metrics: probsOutput ? { [probsOutput]: accuracyMetric(tf) } : [],
        });
        const targetsOf = (labels: TF.Tensor, recTarget: TF.Tensor | undefined) =>
          phase.losses.map((l) => {
            if (l.loss === "crossentropy") return labels;
            if (!recTarget) throw new Error(`output ${l.output}: an mse loss needs a reconstruction target`);
            return recTarget;
          });

        let plateau: ReduceLrOnPlateau | undefined;
        let stopper: EarlyStopping | undefined;
        let monitor: string | undefined;
        let best: TF.Tensor[] | undefined;
        const prefix = phase.name ? `${phase.name}/` : "";
        const outputWeights = new Map(phase.losses.length > 1 ? phase.losses.map((l) => [l.output, l.weight]) : []);
        let lr = s.learning_rate;

        await trainNet.fit(x, targetsOf(y, xTarget), {
          epochs: phase.epochs,
          batchSize: options.batchSize,
          shuffle: true,
          verbose: 0,
          yieldEvery: "never",
          ...(classWeights && probsOutput ? { classWeight: { [probsOutput]: Object.fromEntries(classWeights.map((w, i) => [i, w])) } } : {}),
          callbacks: {
            onEpochBegin: async (epoch) => {
              if (s.scheduler === "step") {
                lr = stepLr(s.learning_rate, epoch, s.lr_step, s.lr_factor);
                optimizer.setLearningRate(lr);
              }
            },
            onEpochEnd: async (epoch, rawLogs) => {
              const logs = normalizeLogs(rawLogs, outputWeights);
              if (vx && vy) Object.assign(logs, validationLogs(tf, trainNet, phase.losses, vx, targetsOf(vy, vTarget), options.batchSize));
              for (const [key, value] of Object.entries(logs)) (history[prefix + key] ??= []).push(value);
              (history[`${prefix}lr`] ??= []).push(lr);
              options.onEpoch?.(epoch, { ...logs, lr });
              bar?.tick(1, `${prefix}${formatLogs(logs, lr)}`);

              monitor ??= effectiveMonitor(s.monitor, logs);
              const value = logs[monitor];
              const mode = monitor.endsWith("acc") ? "max" : "min";
              stopper ??= new EarlyStopping({ patience: s.early_stopping, minDelta: 0, mode });
              if (s.scheduler === "plateau") {
                plateau ??= new ReduceLrOnPlateau({ factor: s.lr_factor, patience: s.lr_patience, minDelta: 1e-4, cooldown: 0, minLr: s.min_lr, mode });
              }
              const step = stopper.step(epoch, value);
              if (step.improved) {
                if (s.restore_best) {
                  tf.dispose(best);
                  best = network.getWeights().map((w) => tf.clone(w));
                }
                await options.onImprovement?.(epoch);
              }
              if (plateau) {
                lr = plateau.step(value, lr);
                optimizer.setLearningRate(lr);
              }
              if (step.stop) trainNet.stopTraining = true;
            },
          },
        });
        if (best) {
          network.setWeights(best);
          tf.dispose(best);
        }
        optimizer.dispose();
      }
    } finally {
      bar?.stop();
      tf.dispose([x, y, ...(vx ? [vx] : []), ...(vy ? [vy] : []), ...(xTarget ? [xTarget] : []), ...(vTarget ? [vTarget] : [])]);
    }
  });
  return history;
}
