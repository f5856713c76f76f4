/**
 * The training settings every tfjs model accepts, besides its architecture params: they are part of
 * the model's params schema, so `clave train --param learning_rate=3e-4` and `clave plugins` treat
 * them like any other param. Each architecture may change the defaults (its study's settings).
 */
import { z } from "zod";

/** Default values of the training settings, as an architecture may override them. */
export interface TrainingDefaults {
  epochs: number;
  batch_size: number;
  learning_rate: number;
  weight_decay: number;
  class_weight: "none" | "balanced";
  scheduler: "none" | "plateau" | "step";
  lr_factor: number;
  lr_patience: number;
  lr_step: number;
  min_lr: number;
  early_stopping: number;
  monitor: "val_loss" | "val_acc" | "loss" | "acc";
  restore_best: boolean;
  standardize: boolean;
  augment_time_shift: number;
  augment_gain_db: number;
  augment_gain_scale: "db" | "power" | "amplitude";
  augment_time_masks: number;
  augment_time_mask_frames: number;
  augment_freq_masks: number;
  augment_freq_mask_bins: number;
  mixup: number;
  workers: number | "auto";
}

export const TRAINING_DEFAULTS: Readonly<TrainingDefaults> = {
  epochs: 50,
  batch_size: 32,
  learning_rate: 1e-3,
  weight_decay: 0,
  class_weight: "none",
  scheduler: "none",
  lr_factor: 0.1,
  lr_patience: 5,
  lr_step: 10,
  min_lr: 0,
  early_stopping: 0,
  monitor: "val_loss",
  restore_best: true,
  standardize: true,
  // Augmentation: off unless asked for (core/train/augment.ts).
  augment_time_shift: 0,
  augment_gain_db: 0,
  augment_gain_scale: "db",
  augment_time_masks: 0,
  augment_time_mask_frames: 16,
  augment_freq_masks: 0,
  augment_freq_mask_bins: 16,
  mixup: 0,
  // One thread unless asked: results depend on the number of workers (core/train/parallel.ts).
  workers: 1,
};

/** The zod fields of the training settings with `overrides` as defaults. */
export function trainingParamsShape(overrides: Partial<TrainingDefaults> = {}) {
  const d = { ...TRAINING_DEFAULTS, ...overrides };
  return {
    epochs: z.number().int().positive().default(d.epochs).describe("training epochs (fewer with early stopping)"),
    batch_size: z.number().int().positive().default(d.batch_size).describe("examples per gradient step"),
    learning_rate: z.number().positive().default(d.learning_rate).describe("Adam learning rate"),
    weight_decay: z
      .number()
      .min(0)
      .default(d.weight_decay)
      .describe("decoupled weight decay (AdamW): each step multiplies weights by 1 - learning_rate * weight_decay"),
    class_weight: z
      .enum(["none", "balanced"])
      .default(d.class_weight)
      .describe("weight the loss of each class by n / (k * n_class) (balanced) or not at all"),
    scheduler: z
      .enum(["none", "plateau", "step"])
      .default(d.scheduler)
      .describe("learning-rate schedule: ReduceLROnPlateau on the monitor, or StepLR"),
    lr_factor: z.number().positive().max(1).default(d.lr_factor).describe("plateau/step: multiply the learning rate by this"),
    lr_patience: z.number().int().positive().default(d.lr_patience).describe("plateau: epochs without improvement before reducing"),
    lr_step: z.number().int().positive().default(d.lr_step).describe("step: reduce every this many epochs"),
    min_lr: z.number().min(0).default(d.min_lr).describe("plateau: lower bound of the learning rate"),
    early_stopping: z
      .number()
      .int()
      .min(0)
      .default(d.early_stopping)
      .describe("stop after this many epochs without improvement of the monitor (0: never)"),
    monitor: z
      .enum(["val_loss", "val_acc", "loss", "acc"])
      .default(d.monitor)
      .describe("quantity watched by early stopping, the plateau schedule and checkpoints (val_* needs a validation set)"),
    restore_best: z.boolean().default(d.restore_best).describe("end training with the weights of the best epoch of the monitor"),
    standardize: z
      .boolean()
      .default(d.standardize)
      .describe("standardise each input feature (each mel band) with the training set's mean and std, a layer saved with the model"),
    augment_time_shift: z
      .number()
      .int()
      .min(0)
      .default(d.augment_time_shift)
      .describe("augmentation: roll each training example along time by up to this many frames, either way (0: off)"),
    augment_gain_db: z.number().min(0).default(d.augment_gain_db).describe("augmentation: random gain of each training example, uniform in ±this many dB (0: off)"),
    augment_gain_scale: z
      .enum(["db", "power", "amplitude"])
      .default(d.augment_gain_scale)
      .describe("how the features follow a gain: in decibels (log-mel: the gain is added), power (x 10^(g/10)), amplitude (x 10^(g/20))"),
    augment_time_masks: z
      .number()
      .int()
      .min(0)
      .default(d.augment_time_masks)
      .describe("augmentation (SpecAugment): time masks per training example, each set to the training mean (0: off)"),
    augment_time_mask_frames: z.number().int().positive().default(d.augment_time_mask_frames).describe("widest time mask, in frames (widths drawn from 0 to this)"),
    augment_freq_masks: z
      .number()
      .int()
      .min(0)
      .default(d.augment_freq_masks)
      .describe("augmentation (SpecAugment): frequency masks per training example over the axis after time (0: off)"),
    augment_freq_mask_bins: z.number().int().positive().default(d.augment_freq_mask_bins).describe("widest frequency mask, in bins (widths drawn from 0 to this)"),
    mixup: z
      .number()
      .min(0)
      .default(d.mixup)
      .describe("augmentation: mixup α; each training batch is mixed with a shuffled copy of itself, λ ~ Beta(α, α) (0: off)"),
    workers: z
      .union([z.number().int().min(1).max(64), z.literal("auto")])
      .default(d.workers)
      .describe(
        "threads training data-parallel: each batch is split among them and their gradients averaged (1: the calling thread only; auto: every core, or one thread for a dense network whose step is too short to split)",
      ),
  };
}

export type TrainingParams = z.output<z.ZodObject<ReturnType<typeof trainingParamsShape>>>;

/** The training settings out of a model's params. */
export function pickTrainingParams(params: Readonly<Record<string, unknown>>): TrainingParams {
  const shape = trainingParamsShape();
  return z.object(shape).parse(Object.fromEntries(Object.keys(shape).map((k) => [k, params[k]])));
}
