/**
 * Classical models on feature tables: each takes a row-major table (Float32Array or Float64Array,
 * nRows × nCols) and Int32 labels, is deterministic for its seed, and saves to plain JSON.
 */
// The public part of common.ts; its helpers (argmaxRows, toFloat64, param readers) stay internal.
export { type Classifier, type Features, type SavedClassifier, type SavedModel } from "./common.ts";
export { fitStandardizer, Standardizer } from "./standardize.ts";
export { fitKnn, KnnModel, type KnnParams } from "./knn.ts";
export { fitLogistic, LogisticModel, type LogisticParams } from "./logistic.ts";
export { minimizeLbfgs, type LbfgsOptions, type LbfgsResult } from "./lbfgs.ts";
export { fitForest, ForestModel, type ForestParams } from "./forest.ts";
export { fitBoosting, BoostingModel, type BoostingParams } from "./boosting.ts";
export { fitSvm, SvmModel, type SvmParams } from "./svm.ts";
export { binTable, type BinnedTable } from "./binning.ts";

export { classifierFromJSON } from "./saved.ts";
export { defineClassicalModel, CLASSICAL_MODEL_FILE, type ClassicalModel, type ClassicalModelDefinition } from "./model.ts";
