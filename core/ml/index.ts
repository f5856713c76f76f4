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

import { BoostingModel } from "./boosting.ts";
import { ModelDataError, type Classifier } from "./common.ts";
import { ForestModel } from "./forest.ts";
import { KnnModel } from "./knn.ts";
import { LogisticModel } from "./logistic.ts";
import { SvmModel } from "./svm.ts";

const LOADERS: Record<string, (json: unknown) => Classifier> = {
  knn: KnnModel.fromJSON,
  logistic: LogisticModel.fromJSON,
  forest: ForestModel.fromJSON,
  boosting: BoostingModel.fromJSON,
  svm: SvmModel.fromJSON,
};

/** Any saved classifier, by its `kind`. */
export function classifierFromJSON(json: unknown): Classifier {
  const kind = typeof json === "object" && json !== null ? (json as { kind?: unknown }).kind : undefined;
  const load = typeof kind === "string" && Object.hasOwn(LOADERS, kind) ? LOADERS[kind] : undefined;
  if (!load) throw new ModelDataError("saved model", `kind ${JSON.stringify(kind)} is not one of ${Object.keys(LOADERS).join(", ")}`);
  return load(json);
}
