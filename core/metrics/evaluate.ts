/**
 * The evaluation of a classifier's probabilities on a labelled test set: scores, confusion matrix
 * (counts and row-normalised) and test loss, at segment level and, when segments belong to tracks,
 * at track level (segment probabilities averaged per track).
 */
import type { NdArray } from "../ndarray.ts";
import { classificationScores, type ClassificationScores } from "./classification.ts";
import { confusionMatrix, normalizeRows } from "./confusion.ts";
import { argmaxRows, crossEntropy, meanByGroup } from "./probabilities.ts";

export interface LevelMetrics extends ClassificationScores {
  /** Number of examples (segments or tracks) scored. */
  readonly n: number;
  /** Mean cross-entropy of the true class. */
  readonly loss: number;
  /** Counts, rows true class, columns predicted class. */
  readonly confusion: number[][];
  /** Rows divided by their sums. */
  readonly confusionNormalized: number[][];
}

export interface Evaluation {
  /** Class names, in class-index order. */
  readonly labels: string[];
  readonly segment: LevelMetrics;
  /** Present when track ids were given. */
  readonly track?: LevelMetrics;
}

function rows(matrix: NdArray, k: number): number[][] {
  return Array.from({ length: matrix.shape[0] }, (_, i) => Array.from(matrix.data.subarray(i * k, (i + 1) * k) as ArrayLike<number>, Number));
}

/** Scores of one level from probabilities `[n, k]` and true class indices. */
export function levelMetrics(probs: NdArray<Float32Array | Float64Array>, y: ArrayLike<number>): LevelMetrics {
  const k = probs.shape[1];
  const predicted = argmaxRows(probs);
  const counts = confusionMatrix(y, predicted, k);
  return {
    n: y.length,
    loss: crossEntropy(probs, y),
    ...classificationScores(y, predicted, k),
    confusion: rows(counts, k),
    confusionNormalized: rows(normalizeRows(counts), k),
  };
}

/** Segment-level metrics, and track-level ones when `tracks` (one id per segment) is given. */
export function evaluateProbabilities(
  probs: NdArray<Float32Array | Float64Array>,
  y: ArrayLike<number>,
  labels: readonly string[],
  tracks?: readonly string[],
): Evaluation {
  if (probs.shape[1] !== labels.length) {
    throw new RangeError(`evaluate: probabilities have ${probs.shape[1]} classes but there are ${labels.length} labels`);
  }
  const segment = levelMetrics(probs, y);
  if (!tracks) return { labels: [...labels], segment };
  const grouped = meanByGroup(probs, y, tracks);
  return { labels: [...labels], segment, track: levelMetrics(grouped.probs, grouped.y) };
}
