/**
 * Classical models (core/ml/) as model plugins: `defineClassicalModel` turns a fit function into a full
 * plugin, as `defineTfModel` does for networks. Each example is flattened to a vector (a feature table's
 * row as it is; an `[time, features]` array to its `time × features` values); the columns are
 * standardised (`standardize` param) by statistics fitted on the training part only, kept in the
 * model and applied to whatever it predicts later. A fitted model is one JSON file, `classical.json`
 * in the run's `model/` folder: the plugin, its params, the standardizer and the classifier
 * (`toJSON` of core/ml), read back by `classifierFromJSON`.
 *
 * Probabilities are the classifier's `predictProba`; a classifier without them (an SVM fitted with
 * `probability: false`) gives `scores` instead (the SVM's one-vs-one vote shares), which rank the
 * classes as its predictions do.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InputShapeError, ModelDataError } from "../errors.ts";
import { writeFileAtomic } from "../fsutil.ts";
import { ndarray, sizeOf, type NdArray } from "../ndarray.ts";
import { resolveParams } from "../params.ts";
import { defineModel, type ModelIO, type ModelPlugin, type ParamsOf, type ParamsSchema } from "../plugin.ts";
import type { Classifier, Features } from "./common.ts";
import { classifierFromJSON } from "./saved.ts";
import { fitStandardizer, Standardizer } from "./standardize.ts";

/** The file a classical model is saved to, in the run's `model/` folder. */
export const CLASSICAL_MODEL_FILE = "classical.json";
const FORMAT = "clave-classical-model";

/** A classical model plugin's model: built (classifier null) or fitted. */
export interface ClassicalModel<P = Record<string, unknown>> {
  readonly plugin: string;
  readonly params: P;
  readonly io: ModelIO;
  /** Values per example (the product of `io.inputShape`). */
  readonly nCols: number;
  standardizer: Standardizer | null;
  classifier: Classifier | null;
}

export interface ClassicalModelDefinition<S extends ParamsSchema> {
  readonly name: string;
  readonly description: string;
  /** The model's params; a `standardize` boolean among them turns standardisation on or off. */
  readonly params: S;
  /** Fit on a standardised (or raw) table; `seed` is the run's seed (models use it when their own is null). */
  fit(X: Float64Array, nRows: number, nCols: number, y: Int32Array, nClasses: number, params: ParamsOf<S>, seed: number): Classifier;
  /** Class scores when the classifier has no probabilities (default: `predictProba`). */
  scores?(classifier: Classifier, X: Features, nRows: number): Float64Array;
}

function flatten(name: string, x: NdArray<Float32Array>, nCols: number): { X: Float64Array; nRows: number } {
  const nRows = x.shape[0];
  if (sizeOf(x.shape.slice(1)) !== nCols) {
    throw new InputShapeError(name, `examples of shape [${x.shape.slice(1).join(", ")}] (${sizeOf(x.shape.slice(1))} values) where the model was built for ${nCols} values`);
  }
  return { X: Float64Array.from(x.data), nRows };
}

/** A model plugin from a classical fit function: standardisation, fit, probabilities, JSON save and load. */
export function defineClassicalModel<S extends ParamsSchema>(definition: ClassicalModelDefinition<S>): ModelPlugin<S, ClassicalModel<ParamsOf<S>>> {
  const { name } = definition;
  const plugin: ModelPlugin<S, ClassicalModel<ParamsOf<S>>> = defineModel<S, ClassicalModel<ParamsOf<S>>>({
    name,
    description: definition.description,
    params: definition.params,
    build(io, given) {
      const params = resolveParams(plugin, given as Record<string, unknown>);
      const nCols = sizeOf(io.inputShape);
      if (!(nCols > 0)) throw new InputShapeError(name, `examples of shape [${io.inputShape.join(", ")}] hold no values`);
      return { plugin: name, params, io, nCols, standardizer: null, classifier: null };
    },
    async fit(model, data, options) {
      const { X, nRows } = flatten(name, data.x, model.nCols);
      const standardize = (model.params as { standardize?: boolean }).standardize ?? false;
      model.standardizer = standardize ? fitStandardizer(X, nRows, model.nCols) : null;
      const table = model.standardizer ? model.standardizer.transform(X, nRows) : X;
      model.classifier = definition.fit(table, nRows, model.nCols, data.y, model.io.nClasses, model.params, options.seed);
      return {};
    },
    async predict(model, x) {
      if (!model.classifier) throw new ModelDataError(name, "the model is not fitted yet");
      const { X, nRows } = flatten(name, x, model.nCols);
      const table = model.standardizer ? model.standardizer.transform(X, nRows) : X;
      const scores = definition.scores ? definition.scores(model.classifier, table, nRows) : model.classifier.predictProba(table, nRows);
      return ndarray(Float32Array.from(scores), [nRows, model.io.nClasses]);
    },
    async save(model, dir) {
      if (!model.classifier) throw new ModelDataError(name, "the model is not fitted yet: nothing to save");
      const saved = {
        format: FORMAT,
        version: 1,
        plugin: name,
        params: model.params,
        io: model.io,
        standardizer: model.standardizer?.toJSON() ?? null,
        classifier: model.classifier.toJSON(),
      };
      await writeFileAtomic(join(dir, CLASSICAL_MODEL_FILE), JSON.stringify(saved));
    },
    async load(dir) {
      const file = join(dir, CLASSICAL_MODEL_FILE);
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
      } catch (error) {
        throw new ModelDataError(file, error instanceof SyntaxError ? `not valid JSON (${error.message})` : (error as Error).message);
      }
      if (json.format !== FORMAT || json.version !== 1) throw new ModelDataError(file, `not a clave classical model (format ${JSON.stringify(json.format)}, version ${JSON.stringify(json.version)})`);
      if (json.plugin !== name) throw new ModelDataError(file, `holds a ${String(json.plugin)} model, not ${name}`);
      const io = json.io as ModelIO;
      if (!io || !Array.isArray(io.inputShape) || !Number.isInteger(io.nClasses)) throw new ModelDataError(file, "io is not { inputShape, nClasses, seed }");
      const params = resolveParams(plugin, (json.params ?? {}) as Record<string, unknown>);
      const classifier = classifierFromJSON(json.classifier);
      const standardizer = json.standardizer ? Standardizer.fromJSON(json.standardizer) : null;
      const nCols = sizeOf(io.inputShape);
      if (classifier.nCols !== nCols || classifier.nClasses !== io.nClasses || (standardizer && standardizer.nCols !== nCols)) {
        throw new ModelDataError(file, `the classifier (${classifier.nCols} columns, ${classifier.nClasses} classes) does not match io (${nCols} values, ${io.nClasses} classes)`);
      }
      return { plugin: name, params, io, nCols, standardizer, classifier };
    },
  });
  return plugin;
}
