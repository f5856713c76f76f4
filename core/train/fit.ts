/**
 * The training engine for tfjs networks, with the habits of Keras's `fit`: AdamW, class weights,
 * ReduceLROnPlateau or StepLR, early stopping on the validation set with the best weights restored,
 * checkpoints, several outputs each with its loss and weight, one progress bar line per epoch, and a
 * History of every logged quantity (plus `lr`). Runs are reproducible from a seed.
 *
 * Batches stream from the typed arrays (core/train/batches.ts): each step's inputs and targets are
 * a tensor built for that step and disposed after it, augmented first when the settings ask
 * (core/train/augment.ts, training batches only); validation runs batch by batch in inference mode.
 * The backend never holds the training or validation set as a tensor, and the backward pass gives
 * memory back as it goes (core/train/gradients.ts). A step's loss and gradients (core/train/step.ts)
 * are apart from the optimizer's update, so that with `workers: k` the parts of a batch can be
 * differentiated on k threads at once and their gradients applied once (core/train/parallel.ts). A
 * network of dense layers takes its step on the wasm kernels directly, past tfjs's engine
 * (core/train/dense-graph.ts): the same gradients, a fraction of the bookkeeping.
 *
 * A network is trained in phases (one, usually): each phase names the outputs it trains, their losses
 * and weights, its epochs and the layers it leaves frozen; an autoencoder pretrains its reconstruction
 * in a first phase, then its classifier.
 */
import type * as TF from "@tensorflow/tfjs";
import { availableParallelism } from "node:os";
import { sizeOf } from "../ndarray.ts";
import type { LabelledArray, History } from "../plugin.ts";
import { progress } from "../progress.ts";
import { warnToStderr, type WarningSink } from "../text.ts";
import { withSeededRandom } from "../random.ts";
import { augments, BatchAugmenter } from "./augment.ts";
import {
  batchRanges,
  exampleOrder,
  exampleSize,
  featureStatistics,
  forEachBatch,
  gatherRows,
  oneHotRows,
  shuffledIndices,
  yieldToEventLoop,
} from "./batches.ts";
import { balancedClassWeights } from "./class-weights.ts";
import { installLeanBackward } from "./gradients.ts";
import { accuracyMetric, lossFunction } from "./losses.ts";
import { DataParallel } from "./parallel.ts";
import { DenseGraphStep, denseStepFlop } from "./dense-graph.ts";
import { StepGradients, stepLogs, type Stepper } from "./step.ts";
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
  /** Where a warning goes (data-parallel training falling back to one thread); default stderr. */
  readonly onWarning?: WarningSink;
}

/**
 * Validation loss and accuracy, batch by batch in inference mode: `val_loss` = Σ w_i L_i, and for
 * several outputs each `val_<output>_loss` = L_i unweighted (tfjs's own validation of a model with
 * several outputs logged running totals under the per-output names).
 */
async function validationLogs(
  tf: Tf,
  net: TF.LayersModel,
  losses: readonly OutputLoss[],
  data: LabelledArray,
  nClasses: number,
  batchSize: number,
  reconstructionTarget: ((x: TF.Tensor) => TF.Tensor) | undefined,
): Promise<Record<string, number>> {
  const sums = new Float64Array(losses.length);
  let correct = 0;
  const n = data.x.shape[0];
  const lossFns = losses.map((l) => lossFunction(tf, { ...l, weight: 1 }));
  await forEachBatch(tf, data.x, batchSize, async (x, start, end) => {
    const values = tf.tidy(() => {
      const predicted = net.predict(x);
      const outputs = Array.isArray(predicted) ? predicted : [predicted];
      const labels = tf.oneHot(tf.tensor1d(data.y.subarray(start, end), "int32"), nClasses).toFloat();
      const parts = losses.map((l, i) => {
        const target = l.loss === "crossentropy" ? labels : reconstructionTarget!(x);
        return tf.sum(lossFns[i](target, outputs[i]));
      });
      const probs = losses.findIndex((l) => l.loss === "crossentropy");
      const hits = probs >= 0 ? tf.sum(accuracyMetric(tf)(labels, outputs[probs])) : tf.scalar(0);
      return tf.stack([...parts, hits]);
    });
    const read = await values.data();
    values.dispose();
    losses.forEach((_, i) => (sums[i] += read[i]));
    correct += read[losses.length];
  });
  const logs: Record<string, number> = {};
  let total = 0;
  losses.forEach((l, i) => {
    const value = sums[i] / n;
    total += l.weight * value;
    if (losses.length > 1) logs[`val_${l.output}_loss`] = value;
    if (l.loss === "crossentropy") logs.val_acc = correct / n;
  });
  return { val_loss: total, ...logs };
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
  installLeanBackward(tf);
  const s = options.settings;
  const history: History = {};
  const outputNames = network.outputs.map((o) => o.sourceLayer.name);
  const probabilitiesLayer = outputNames.includes("probabilities") ? "probabilities" : outputNames[outputNames.length - 1];
  const nClasses = (network.getLayer(probabilitiesLayer).outputShape as number[]).at(-1)!;
  const classWeights =
    options.classWeights ?? (s.class_weight === "balanced" ? balancedClassWeights(data.y, nClasses) : undefined);
  const totalEpochs = options.phases.reduce((n, p) => n + p.epochs, 0);
  const bar = options.progress === false ? undefined : progress(totalEpochs, options.label ?? "train", { everyItem: true });

  const n = data.x.shape[0];
  const exampleShape = data.x.shape.slice(1);
  const size = exampleSize(data.x);
  const batchSize = Math.max(1, Math.min(options.batchSize, n));
  // One buffer each for a batch's inputs and targets, refilled every step.
  const xBuffer = new Float32Array(batchSize * size);
  const yBuffer = new Float32Array(batchSize * nClasses);
  // Separate seeded streams: the order of the examples, the augmentations, and (Math.random) the
  // initialisers and dropout masks, so turning one on does not change the others.
  const order = exampleOrder(options.seed);
  const augmenter = augments(s)
    ? new BatchAugmenter(s, {
        seed: (options.seed ^ 0x5eed_a06d) >>> 0,
        exampleShape,
        ...(exampleShape.length >= 2 ? { fill: featureStatistics(data.x.data, sizeOf(exampleShape.slice(1))).mean } : {}),
      })
    : undefined;
  const weightsTensor = classWeights ? tf.tensor1d(classWeights as number[]) : undefined;
  const recon = options.reconstructionTarget;

  const workers = trainingThreads(network, s.workers, batchSize);
  const parallel = workers > 1 && n > 1 ? await startWorkers(tf, network, Math.min(workers, batchSize, n), options) : undefined;

  await withSeededRandom(options.seed, async () => {
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
        // A network of dense layers steps on the kernels directly (dense-graph.ts); others through the engine.
        const stepper: Stepper = DenseGraphStep.compile(tf, trainNet, phase.losses, classWeights) ?? new StepGradients(tf, trainNet, phase.losses, weightsTensor);
        const variables = stepper.variables();
        if (parallel) {
          const targetSizes = phase.losses.map((l) => (l.loss === "crossentropy" ? nClasses : size));
          await parallel.phase(network, variables, {
            losses: phase.losses,
            ...(classWeights ? { classWeights } : {}),
            exampleShape,
            targetSizes,
            batchSize,
          });
        }
        const targetsOf = (labels: TF.Tensor, x: TF.Tensor): TF.Tensor[] =>
          phase.losses.map((l) => {
            if (l.loss === "crossentropy") return labels;
            if (!recon) throw new Error(`output ${l.output}: an mse loss needs a reconstruction target`);
            return recon(x);
          });

        let plateau: ReduceLrOnPlateau | undefined;
        let stopper: EarlyStopping | undefined;
        let monitor: string | undefined;
        let best: TF.Tensor[] | undefined;
        const prefix = phase.name ? `${phase.name}/` : "";
        let lr = s.learning_rate;

        for (let epoch = 0; epoch < phase.epochs; epoch++) {
          if (s.scheduler === "step") {
            lr = stepLr(s.learning_rate, epoch, s.lr_step, s.lr_factor);
            optimizer.setLearningRate(lr);
          }
          // Keras's epoch logs: each batch's values weighted by its size.
          const totals = new Map<string, number>();
          const rows = shuffledIndices(n, order);
          for (const [start, end] of batchRanges(n, batchSize)) {
            const batch = rows.subarray(start, end);
            const m = end - start;
            const xs = gatherRows(data.x, batch, xBuffer);
            const ys = oneHotRows(data.y, batch, nClasses, yBuffer);
            augmenter?.apply(xs, ys, m, nClasses);
            const x = tf.tensor(xs, [m, ...exampleShape]);
            const y = tf.tensor2d(ys, [m, nClasses]);
            const targets = targetsOf(y, x);
            try {
              const { grads, values } = parallel
                ? await parallel.gradients(
                    xs,
                    targets.map((t) => t.dataSync() as Float32Array),
                    m,
                    (rows) => {
                      const part = tf.tidy(() => [tf.slice(x, 0, rows), ...targets.map((t) => tf.slice(t, 0, rows))]);
                      try {
                        return stepper.gradients(part[0], part.slice(1));
                      } finally {
                        tf.dispose(part);
                      }
                    },
                  )
                : stepper.gradients(x, targets);
              optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: grads[i] })));
              tf.dispose(grads);
              for (const [name, value] of stepLogs(values, phase.losses)) totals.set(name, (totals.get(name) ?? 0) + value * m);
            } finally {
              tf.dispose([x, y, ...targets]);
            }
            await yieldToEventLoop();
          }
          const logs: Record<string, number> = Object.fromEntries([...totals].map(([k, v]) => [k, v / n]));
          if (options.validation) {
            Object.assign(logs, await validationLogs(tf, trainNet, phase.losses, options.validation, nClasses, batchSize, recon));
          }
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
          if (step.stop) break;
        }
        if (best) {
          network.setWeights(best);
          tf.dispose(best);
        }
        optimizer.dispose();
      }
    } finally {
      bar?.stop();
      weightsTensor?.dispose();
      await parallel?.dispose();
    }
  });
  return history;
}

/**
 * Steps of fewer floating-point operations than this (~2 ms of one core's products) train faster on
 * one thread than split: handing the parts to a worker and back cost ~0.6 ms a step on 2 cores, when
 * dense2's whole step took 0.3 ms (bench/train-parallel.ts).
 */
export const MIN_SPLIT_FLOP = 1e8;

/**
 * Threads to train `network` on: `workers` as given, or for "auto" every core, except for a network
 * of dense layers whose step on `batchSize` examples is under `MIN_SPLIT_FLOP` (one thread).
 */
export function trainingThreads(network: TF.LayersModel, workers: number | "auto", batchSize: number): number {
  if (workers !== "auto") return workers;
  const flop = denseStepFlop(network, batchSize);
  return flop !== undefined && flop < MIN_SPLIT_FLOP ? 1 : availableParallelism();
}

/**
 * The workers of data-parallel training; a network a worker cannot rebuild (a layer class only the
 * calling thread knows) trains on the calling thread, with a warning.
 */
async function startWorkers(tf: Tf, network: TF.LayersModel, workers: number, options: FitNetworkOptions): Promise<DataParallel | undefined> {
  if (workers <= 1) return undefined;
  try {
    return await DataParallel.start(tf, network, { workers, seed: options.seed });
  } catch (error) {
    (options.onWarning ?? warnToStderr)(`training on one thread: the ${workers - 1} data-parallel worker(s) could not start (${(error as Error).message})`);
    return undefined;
  }
}
