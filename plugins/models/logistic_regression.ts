/**
 * Multinomial logistic regression with an L2 penalty, fitted by L-BFGS: scikit-learn's
 * `LogisticRegression(solver="lbfgs")` (core/ml/logistic.ts), on columns standardised by the training
 * part's statistics (without them L-BFGS stops at max_iter on raw features, as scikit-learn warns).
 */
import { z } from "zod";
import { defineClassicalModel } from "../../core/ml/model.ts";
import { fitLogistic } from "../../core/ml/logistic.ts";

export default defineClassicalModel({
  name: "logistic_regression",
  description: "Multinomial logistic regression, L2 penalty, L-BFGS (scikit-learn's LogisticRegression) on standardised features.",
  params: z.object({
    C: z.number().positive().default(1).describe("inverse regularisation strength"),
    max_iter: z.number().int().positive().default(100).describe("L-BFGS iterations"),
    tol: z.number().min(0).default(1e-4).describe("stop when the largest gradient component is below this"),
    fit_intercept: z.boolean().default(true).describe("fit a bias per class"),
    standardize: z.boolean().default(true).describe("standardise each column by the training part's mean and std"),
  }),
  fit: (X, nRows, nCols, y, nClasses, p) => fitLogistic(X, nRows, nCols, y, nClasses, { C: p.C, maxIter: p.max_iter, tol: p.tol, fitIntercept: p.fit_intercept }),
});
