/**
 * Data augmentation for small audio datasets, applied to training batches only (validation, test
 * and prediction see the features as they are), each drawn from a seeded generator so that the same
 * seed gives the same augmented batches:
 *
 * - time shift: each example rolled along time by a whole number of frames in [−shift, shift];
 * - random gain: each example's level changed by g ~ U(−gain_db, gain_db) dB — added to features in
 *   decibels (log-mel), or a factor 10^(g/10) on power and 10^(g/20) on amplitude features;
 * - SpecAugment (Park et al. 2019): `time_masks` bands of t ~ U{0..time_mask_frames} consecutive
 *   frames and `freq_masks` bands of f ~ U{0..freq_mask_bins} consecutive bins (the axis after
 *   time), each set to the training mean of its feature, which the model's standardisation maps to 0;
 * - mixup (Zhang et al. 2018): the batch mixed with a shuffled copy of itself, inputs and one-hot
 *   targets alike, x = λ·x_i + (1 − λ)·x_j with one λ ~ Beta(α, α) per batch.
 *
 * Examples are `[time, bins, ...]` for the time and frequency operations; a vector example (no time
 * axis) takes only gain and mixup.
 */
import { mulberry32 } from "../random.ts";
import { sizeOf } from "../ndarray.ts";

/** The augmentation settings (training params `augment_*` and `mixup`); zero turns each off. */
export interface AugmentSettings {
  readonly augment_time_shift: number;
  readonly augment_gain_db: number;
  readonly augment_gain_scale: "db" | "power" | "amplitude";
  readonly augment_time_masks: number;
  readonly augment_time_mask_frames: number;
  readonly augment_freq_masks: number;
  readonly augment_freq_mask_bins: number;
  readonly mixup: number;
}

/** Whether any augmentation is on. */
export function augments(s: AugmentSettings): boolean {
  return s.augment_time_shift > 0 || s.augment_gain_db > 0 || s.augment_time_masks > 0 || s.augment_freq_masks > 0 || s.mixup > 0;
}

/** Why `s` cannot apply to examples of `exampleShape` (the setting and the reason), or undefined. */
export function augmentProblem(s: AugmentSettings, exampleShape: readonly number[]): { field: keyof AugmentSettings; reason: string } | undefined {
  const shape = `[${exampleShape.join(", ")}]`;
  if (exampleShape.length < 2) {
    for (const field of ["augment_time_shift", "augment_time_masks", "augment_freq_masks"] as const) {
      if (s[field] > 0) return { field, reason: `needs examples with a time and a frequency axis ([time, bins, ...]); these are ${shape}` };
    }
  }
  return undefined;
}

/** A standard normal draw (Box–Muller) from `random`. */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, 1) by Marsaglia and Tsang; shape < 1 through Gamma(shape + 1) · U^(1/shape). */
function gamma(shape: number, random: () => number): number {
  if (shape < 1) return gamma(shape + 1, random) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let z: number;
    let v: number;
    do {
      z = normal(random);
      v = 1 + c * z;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Beta(α, α) draw. */
export function betaSymmetric(alpha: number, random: () => number): number {
  const a = gamma(alpha, random);
  const b = gamma(alpha, random);
  return a + b > 0 ? a / (a + b) : 0.5;
}

export interface AugmenterOptions {
  readonly seed: number;
  /** One example's shape, `[time, bins, ...]` or `[features]`. */
  readonly exampleShape: readonly number[];
  /** Value masks set each feature of a frame to (its training mean), `sizeOf(exampleShape.slice(1))` of them. */
  readonly fill?: Float32Array;
}

/** Augments training batches in place, batch after batch, from its own seeded generator. */
export class BatchAugmenter {
  private readonly random: () => number;
  private readonly frames: number;
  private readonly frame: number;
  private readonly bins: number;
  private readonly binStride: number;
  private readonly fill: Float32Array;
  private scratch = new Float32Array(0);

  constructor(
    readonly settings: AugmentSettings,
    options: AugmenterOptions,
  ) {
    const problem = augmentProblem(settings, options.exampleShape);
    if (problem) throw new RangeError(`${problem.field}: ${problem.reason}`);
    this.random = mulberry32(options.seed);
    const shape = options.exampleShape;
    const timed = shape.length >= 2;
    this.frames = timed ? shape[0] : 1;
    this.frame = timed ? sizeOf(shape.slice(1)) : sizeOf(shape);
    this.bins = timed ? shape[1] : 0;
    this.binStride = timed ? sizeOf(shape.slice(2)) : 0;
    this.fill = options.fill ?? new Float32Array(this.frame);
    if (this.fill.length !== this.frame) throw new RangeError(`fill has ${this.fill.length} values; a frame has ${this.frame}`);
  }

  /**
   * Augment the first `n` examples of `x` (`[n, ...exampleShape]`, flat) and, with mixup, their
   * targets (`[n, classes]`, one-hot or soft).
   */
  apply(x: Float32Array, targets: Float32Array, n: number, classes: number): void {
    const s = this.settings;
    const size = this.frames * this.frame;
    for (let i = 0; i < n; i++) {
      const example = x.subarray(i * size, (i + 1) * size);
      if (s.augment_time_shift > 0) this.shift(example, Math.floor(this.random() * (2 * s.augment_time_shift + 1)) - s.augment_time_shift);
      if (s.augment_gain_db > 0) this.gain(example, (2 * this.random() - 1) * s.augment_gain_db);
      for (let m = 0; m < s.augment_time_masks; m++) this.maskTime(example, s.augment_time_mask_frames);
      for (let m = 0; m < s.augment_freq_masks; m++) this.maskBins(example, s.augment_freq_mask_bins);
    }
    if (s.mixup > 0 && n > 1) this.mix(x, targets, n, classes, betaSymmetric(s.mixup, this.random));
  }

  /** Roll along time by `by` frames (positive: later). */
  private shift(example: Float32Array, by: number): void {
    const k = ((by % this.frames) + this.frames) % this.frames;
    if (k === 0) return;
    if (this.scratch.length < example.length) this.scratch = new Float32Array(example.length);
    const cut = (this.frames - k) * this.frame;
    this.scratch.set(example.subarray(cut), 0);
    this.scratch.set(example.subarray(0, cut), k * this.frame);
    example.set(this.scratch.subarray(0, example.length));
  }

  private gain(example: Float32Array, db: number): void {
    const scale = this.settings.augment_gain_scale;
    if (scale === "db") {
      for (let j = 0; j < example.length; j++) example[j] += db;
      return;
    }
    const factor = Math.pow(10, db / (scale === "power" ? 10 : 20));
    for (let j = 0; j < example.length; j++) example[j] *= factor;
  }

  private maskTime(example: Float32Array, widest: number): void {
    const width = Math.min(this.frames, Math.floor(this.random() * (widest + 1)));
    const start = Math.floor(this.random() * (this.frames - width + 1));
    for (let t = start; t < start + width; t++) example.set(this.fill, t * this.frame);
  }

  private maskBins(example: Float32Array, widest: number): void {
    const width = Math.min(this.bins, Math.floor(this.random() * (widest + 1)));
    const start = Math.floor(this.random() * (this.bins - width + 1));
    const from = start * this.binStride;
    const to = (start + width) * this.binStride;
    for (let t = 0; t < this.frames; t++) {
      const base = t * this.frame;
      for (let j = from; j < to; j++) example[base + j] = this.fill[j];
    }
  }

  private mix(x: Float32Array, targets: Float32Array, n: number, classes: number, lambda: number): void {
    const size = this.frames * this.frame;
    // Partners: a shuffled copy of the batch (Fisher–Yates), mixed from copies of the originals.
    const partner = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [partner[i], partner[j]] = [partner[j], partner[i]];
    }
    if (this.scratch.length < n * size) this.scratch = new Float32Array(n * size);
    const xs = this.scratch;
    xs.set(x.subarray(0, n * size));
    const ys = targets.slice(0, n * classes);
    for (let i = 0; i < n; i++) {
      const a = i * size;
      const b = partner[i] * size;
      for (let j = 0; j < size; j++) x[a + j] = lambda * xs[a + j] + (1 - lambda) * xs[b + j];
      for (let c = 0; c < classes; c++) targets[i * classes + c] = lambda * ys[i * classes + c] + (1 - lambda) * ys[partner[i] * classes + c];
    }
  }
}
