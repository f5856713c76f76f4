/**
 * Early stopping with Keras's semantics: stop when the monitored value has not improved on the best
 * by more than `minDelta` for `patience` epochs; remember the best epoch so its weights can be restored.
 */
export interface EarlyStoppingOptions {
  readonly patience: number;
  readonly minDelta: number;
  readonly mode: "min" | "max";
}

export interface EarlyStoppingStep {
  /** This epoch is the best so far (its weights are the checkpoint). */
  readonly improved: boolean;
  /** Training should stop after this epoch. */
  readonly stop: boolean;
}

export class EarlyStopping {
  best: number;
  bestEpoch = -1;
  private wait = 0;

  constructor(readonly options: EarlyStoppingOptions) {
    this.best = options.mode === "min" ? Infinity : -Infinity;
  }

  step(epoch: number, value: number): EarlyStoppingStep {
    const { mode, minDelta, patience } = this.options;
    const improved = Number.isFinite(value) && (mode === "min" ? value < this.best - minDelta : value > this.best + minDelta);
    if (improved) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      return { improved, stop: false };
    }
    this.wait++;
    return { improved, stop: patience > 0 && this.wait >= patience };
  }
}
