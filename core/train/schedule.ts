/**
 * Learning-rate schedules, as Keras and PyTorch users know them. Plain state machines fed one value
 * per epoch, so they can be tested without a network.
 */

/**
 * StepLR: `lr(epoch) = lr0 · gamma^floor(epoch / stepSize)` (epochs counted from 0), PyTorch's
 * `torch.optim.lr_scheduler.StepLR`.
 */
export function stepLr(initial: number, epoch: number, stepSize: number, gamma: number): number {
  return initial * gamma ** Math.floor(epoch / stepSize);
}

export interface PlateauOptions {
  /** Multiply the rate by this when the monitored value stops improving (Keras default 0.1). */
  readonly factor: number;
  /** Epochs without improvement before reducing. */
  readonly patience: number;
  /** Smallest change that counts as an improvement (absolute). */
  readonly minDelta: number;
  /** Epochs to wait after a reduction before counting again. */
  readonly cooldown: number;
  /** The rate never goes below this. */
  readonly minLr: number;
  /** `min` for losses, `max` for accuracies. */
  readonly mode: "min" | "max";
}

/**
 * ReduceLROnPlateau with Keras's semantics: after each epoch, if the monitored value improved on the
 * best by more than `minDelta` the wait resets; otherwise (outside cooldown) the wait grows, and when
 * it reaches `patience` the rate becomes `max(lr · factor, minLr)`.
 */
export class ReduceLrOnPlateau {
  private best: number;
  private wait = 0;
  private cooldownLeft = 0;

  constructor(readonly options: PlateauOptions) {
    this.best = options.mode === "min" ? Infinity : -Infinity;
  }

  private improved(value: number): boolean {
    return this.options.mode === "min" ? value < this.best - this.options.minDelta : value > this.best + this.options.minDelta;
  }

  /** The rate for the next epoch, given this epoch's monitored value and the current rate. */
  step(value: number, lr: number): number {
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.wait = 0;
    }
    if (this.improved(value)) {
      this.best = value;
      this.wait = 0;
      return lr;
    }
    if (this.cooldownLeft > 0) return lr;
    this.wait++;
    if (this.wait < this.options.patience || lr <= this.options.minLr) return lr;
    this.cooldownLeft = this.options.cooldown;
    this.wait = 0;
    return Math.max(lr * this.options.factor, this.options.minLr);
  }
}
