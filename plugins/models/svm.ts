/**
 * Support vector classifier with an RBF kernel, scikit-learn's `SVC` (libsvm's C-SVC, one-vs-one;
 * core/ml/svm.ts), on columns standardised by the training part's statistics.
 *
 * `probability` is off by default, as in scikit-learn: libsvm's Platt scaling runs a 5-fold
 * cross-validation inside every fit (about 5× the fit's time, and 15 fits more in a 5×3 CV), and the
 * accuracy comes from the votes either way. The scores recorded are then the one-vs-one vote shares
 * (a class's votes over the pairs): their argmax is the SVM's prediction, so accuracy, F1 and the
 * confusion matrix are the SVM's own, but the log loss of vote shares is not a calibrated loss. With
 * `probability: true` the scores are libsvm's Platt-scaled probabilities (their argmax may differ
 * from the votes' on a few examples, as scikit-learn's predict_proba does).
 */
import { z } from "zod";
import { defineClassicalModel } from "../../core/ml/model.ts";
import { fitSvm, SvmModel } from "../../core/ml/svm.ts";

export default defineClassicalModel({
  name: "svm",
  description: "RBF support vector classifier (scikit-learn's SVC, one-vs-one) on standardised features.",
  params: z.object({
    C: z.number().positive().default(1).describe("penalty of margin violations"),
    gamma: z.union([z.enum(["scale", "auto"]), z.number().positive()]).default("scale").describe('RBF width: "scale" = 1/(columns × variance), "auto" = 1/columns, or a number'),
    tol: z.number().positive().default(1e-3).describe("stopping tolerance of the SMO solver"),
    cache_size: z.number().positive().default(200).describe("kernel cache in MB"),
    max_iter: z.number().int().min(-1).default(-1).describe("SMO iterations per pair of classes, -1 for no limit"),
    probability: z.boolean().default(false).describe("fit libsvm's Platt scaling (5-fold CV inside each fit) for probabilities; off: scores are vote shares"),
    random_state: z.number().int().nullable().default(null).describe("seed of the Platt scaling's folds (null: the run's seed)"),
    standardize: z.boolean().default(true).describe("standardise each column by the training part's mean and std"),
  }),
  fit: (X, nRows, nCols, y, nClasses, p, seed) =>
    fitSvm(X, nRows, nCols, y, nClasses, {
      C: p.C,
      gamma: p.gamma,
      tol: p.tol,
      cacheSize: p.cache_size,
      maxIter: p.max_iter,
      probability: p.probability,
      seed: p.random_state ?? seed,
    }),
  scores: (model, X, nRows) => {
    const svm = model as SvmModel;
    return svm.probA.length > 0 ? svm.predictProba(X, nRows) : svm.voteShares(X, nRows);
  },
});
