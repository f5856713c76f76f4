/**
 * Classification scores from true and predicted class indices, with scikit-learn's definitions:
 *
 *     precision_c = TP_c / (TP_c + FP_c)      recall_c = TP_c / (TP_c + FN_c)
 *     F1_c = 2 · precision_c · recall_c / (precision_c + recall_c)
 *     macro F1 = mean_c F1_c                  weighted F1 = Σ_c support_c · F1_c / Σ_c support_c
 *
 * A ratio whose denominator is zero is 0 (`zero_division=0`).
 */
import { confusionMatrix } from "./confusion.ts";

export interface ClassScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Number of true examples of the class. */
  readonly support: number;
}

export interface ClassificationScores {
  readonly accuracy: number;
  readonly macroF1: number;
  readonly weightedF1: number;
  readonly macroPrecision: number;
  readonly macroRecall: number;
  /** Per class, in class-index order. */
  readonly perClass: ClassScores[];
}

const ratio = (num: number, den: number): number => (den > 0 ? num / den : 0);

/** Accuracy, per-class precision/recall/F1 and their macro and support-weighted means. */
export function classificationScores(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, nClasses: number): ClassificationScores {
  const cm = confusionMatrix(yTrue, yPred, nClasses).data;
  const perClass: ClassScores[] = [];
  let correct = 0;
  for (let c = 0; c < nClasses; c++) {
    const tp = cm[c * nClasses + c];
    let predicted = 0;
    let support = 0;
    for (let k = 0; k < nClasses; k++) {
      predicted += cm[k * nClasses + c];
      support += cm[c * nClasses + k];
    }
    correct += tp;
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    perClass.push({ precision, recall, f1: ratio(2 * precision * recall, precision + recall), support });
  }
  const total = yTrue.length;
  const mean = (f: (s: ClassScores) => number) => perClass.reduce((sum, s) => sum + f(s), 0) / Math.max(1, nClasses);
  return {
    accuracy: ratio(correct, total),
    macroF1: mean((s) => s.f1),
    weightedF1: ratio(
      perClass.reduce((sum, s) => sum + s.support * s.f1, 0),
      total,
    ),
    macroPrecision: mean((s) => s.precision),
    macroRecall: mean((s) => s.recall),
    perClass,
  };
}
