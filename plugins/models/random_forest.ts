/**
 * Random forest, scikit-learn's `RandomForestClassifier` (gini, bootstrap, √columns features per split)
 * grown on binned features by the histogram tree learner shared with boosted_trees (core/ml/forest.ts).
 * Trees do not need standardised columns (`standardize` is off by default; binning is by quantiles).
 */
import { z } from "zod";
import { defineClassicalModel } from "../../core/ml/model.ts";
import { fitForest } from "../../core/ml/forest.ts";

export default defineClassicalModel({
  name: "random_forest",
  description: "Random forest of gini trees on binned features (scikit-learn's RandomForestClassifier).",
  params: z.object({
    n_estimators: z.number().int().positive().default(100).describe("trees"),
    max_features: z.union([z.enum(["sqrt", "log2", "all"]), z.number().int().positive()]).default("sqrt").describe('features drawn at each split: "sqrt", "log2", "all" or a count'),
    max_depth: z.number().int().positive().nullable().default(null).describe("depth limit (null: none)"),
    max_leaf_nodes: z.number().int().min(2).nullable().default(null).describe("leaves per tree (null: none)"),
    min_samples_leaf: z.number().int().positive().default(1).describe("fewest rows in a leaf"),
    bootstrap: z.boolean().default(true).describe("each tree on a bootstrap draw of the rows"),
    max_bins: z.number().int().min(2).max(256).default(255).describe("quantile bins per feature (clave's; scikit-learn splits on exact values)"),
    random_state: z.number().int().nullable().default(null).describe("seed of the draws (null: the run's seed)"),
    standardize: z.boolean().default(false).describe("standardise each column first (no effect on the trees' splits)"),
  }),
  fit: (X, nRows, nCols, y, nClasses, p, seed) =>
    fitForest(X, nRows, nCols, y, nClasses, {
      nEstimators: p.n_estimators,
      maxFeatures: p.max_features,
      maxDepth: p.max_depth,
      maxLeafNodes: p.max_leaf_nodes,
      minSamplesLeaf: p.min_samples_leaf,
      bootstrap: p.bootstrap,
      maxBins: p.max_bins,
      seed: p.random_state ?? seed,
    }),
});
