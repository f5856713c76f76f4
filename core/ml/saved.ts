/** Any saved classifier of core/ml, read back by its `kind` (what `toJSON` wrote). */
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
