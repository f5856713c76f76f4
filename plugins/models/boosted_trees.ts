/**
 * Histogram gradient boosting, scikit-learn's `HistGradientBoostingClassifier` (log loss, one tree per
 * class a round, best-first leaves; as XGBoost's `hist` and LightGBM grow them), core/ml/boosting.ts.
 * Trees do not need standardised columns (`standardize` is off by default).
 */
import { z } from "zod";
import { defineClassicalModel } from "../../core/ml/model.ts";
import { fitBoosting } from "../../core/ml/boosting.ts";

export default defineClassicalModel({
  name: "boosted_trees",
  description: "Histogram gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier, XGBoost hist).",
  params: z.object({
    max_iter: z.number().int().positive().default(100).describe("boosting rounds"),
    learning_rate: z.number().positive().default(0.1).describe("shrinkage of each tree"),
    max_leaf_nodes: z.number().int().min(2).nullable().default(31).describe("leaves per tree (null: none)"),
    max_depth: z.number().int().positive().nullable().default(null).describe("depth limit (null: none)"),
    min_samples_leaf: z.number().int().positive().default(20).describe("fewest rows in a leaf"),
    l2_regularization: z.number().min(0).default(0).describe("L2 penalty on leaf values"),
    max_bins: z.number().int().min(2).max(255).default(255).describe("quantile bins per feature"),
    early_stopping: z.boolean().default(false).describe("hold out validation_fraction and stop when its loss stops improving"),
    validation_fraction: z.number().gt(0).lt(1).default(0.1).describe("with early_stopping: rows held out"),
    n_iter_no_change: z.number().int().positive().default(10).describe("with early_stopping: rounds without improvement"),
    tol: z.number().min(0).default(1e-7).describe("with early_stopping: smallest improvement that counts"),
    random_state: z.number().int().nullable().default(null).describe("seed of the binning subsample and validation split (null: the run's seed)"),
    standardize: z.boolean().default(false).describe("standardise each column first (no effect on the trees' splits)"),
  }),
  fit: (X, nRows, nCols, y, nClasses, p, seed) =>
    fitBoosting(X, nRows, nCols, y, nClasses, {
      maxIter: p.max_iter,
      learningRate: p.learning_rate,
      maxLeafNodes: p.max_leaf_nodes,
      maxDepth: p.max_depth,
      minSamplesLeaf: p.min_samples_leaf,
      l2Regularization: p.l2_regularization,
      maxBins: p.max_bins,
      earlyStopping: p.early_stopping,
      validationFraction: p.validation_fraction,
      nIterNoChange: p.n_iter_no_change,
      tol: p.tol,
      seed: p.random_state ?? seed,
    }),
});
