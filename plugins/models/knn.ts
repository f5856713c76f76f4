/**
 * k-nearest neighbours on feature vectors, scikit-learn's `KNeighborsClassifier` (brute force,
 * Euclidean; core/ml/knn.ts), on columns standardised by the training part's statistics.
 */
import { z } from "zod";
import { defineClassicalModel } from "../../core/ml/model.ts";
import { fitKnn } from "../../core/ml/knn.ts";

export default defineClassicalModel({
  name: "knn",
  description: "k-nearest neighbours (scikit-learn's KNeighborsClassifier, Euclidean) on standardised feature vectors.",
  params: z.object({
    n_neighbors: z.number().int().positive().default(5).describe("neighbours that vote"),
    weights: z.enum(["uniform", "distance"]).default("uniform").describe("uniform votes, or weighted by 1/distance"),
    standardize: z.boolean().default(true).describe("standardise each column by the training part's mean and std"),
  }),
  fit: (X, nRows, nCols, y, nClasses, p) => fitKnn(X, nRows, nCols, y, nClasses, { k: p.n_neighbors, weights: p.weights }),
});
