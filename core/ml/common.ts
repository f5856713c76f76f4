/**
 * What every classical model (core/ml/) shares: the table it takes (row-major `nRows × nCols` floats and
 * Int32 labels in [0, nClasses)), the checks that turn bad input into a typed error before any
 * arithmetic, the model contract (`predictProba`, `predict`, `toJSON`), and the parameter and
 * saved-model readers.
 */
import { InputShapeError, ModelDataError, ParamError } from "../errors.ts";

export { ModelDataError };

/** A feature table: row-major, `nRows × nCols`. */
export type Features = Float32Array | Float64Array;


/** A fitted classifier. Probabilities are row-major `nRows × nClasses`; class order is 0..nClasses-1. */
export interface Classifier {
  /** The algorithm, as saved in `toJSON().kind`. */
  readonly kind: string;
  readonly nCols: number;
  readonly nClasses: number;
  predictProba(X: Features, nRows: number): Float64Array;
  predict(X: Features, nRows: number): Int32Array;
  /** A plain JSON value; `<Model>.fromJSON` (or `classifierFromJSON` in core/ml/index.ts) reads it back. */
  toJSON(): SavedClassifier;
}

/** The saved form of every fitted model: its kind, a format version, its width, then its own fields. */
export interface SavedModel {
  readonly kind: string;
  readonly version: number;
  readonly nCols: number;
  readonly [field: string]: unknown;
}

/** A saved classifier also records its number of classes. */
export interface SavedClassifier extends SavedModel {
  readonly nClasses: number;
}

/** Check a table's shape and that every value is finite; names the first bad cell. */
export function checkFeatures(model: string, X: Features, nRows: number, nCols: number): void {
  if (!(X instanceof Float32Array || X instanceof Float64Array)) {
    throw new InputShapeError(model, "features must be a Float32Array or Float64Array");
  }
  if (!Number.isInteger(nRows) || nRows < 1) throw new InputShapeError(model, `nRows=${nRows} must be a positive integer`);
  if (!Number.isInteger(nCols) || nCols < 1) throw new InputShapeError(model, `nCols=${nCols} must be a positive integer`);
  if (X.length !== nRows * nCols) {
    throw new InputShapeError(model, `features hold ${X.length} values, not nRows × nCols = ${nRows} × ${nCols} = ${nRows * nCols}`);
  }
  for (let i = 0; i < X.length; i++) {
    const v = X[i];
    // v - v is NaN exactly for NaN and ±Infinity.
    if (v - v !== 0) {
      throw new ModelDataError(model, `feature value ${v} at row ${Math.floor(i / nCols)}, column ${i % nCols} (features must be finite)`);
    }
  }
}

/** Check a table at prediction time: its width must be the one the model was fitted on. */
export function checkPredictInput(model: string, X: Features, nRows: number, nColsFitted: number): void {
  if (Number.isInteger(nRows) && nRows >= 1 && X.length !== nRows * nColsFitted) {
    throw new InputShapeError(
      model,
      `features hold ${X.length} values, not nRows × ${nColsFitted} (the model was fitted on ${nColsFitted} columns)`,
    );
  }
  checkFeatures(model, X, nRows, nColsFitted);
}

/**
 * Check labels: one per row, each in [0, nClasses), at least two distinct classes present. Returns the
 * number of rows of each class (a class may be absent: it then gets probability 0 or near 0).
 */
export function checkLabels(model: string, y: Int32Array, nRows: number, nClasses: number): Int32Array {
  if (!(y instanceof Int32Array)) throw new InputShapeError(model, "labels must be an Int32Array");
  if (y.length !== nRows) throw new InputShapeError(model, `${y.length} labels for ${nRows} rows`);
  if (!Number.isInteger(nClasses) || nClasses < 2) throw new InputShapeError(model, `nClasses=${nClasses} must be an integer >= 2`);
  const counts = new Int32Array(nClasses);
  for (let i = 0; i < nRows; i++) {
    const c = y[i];
    if (c < 0 || c >= nClasses) throw new ModelDataError(model, `label ${c} at row ${i} is outside [0, ${nClasses})`);
    counts[c]++;
  }
  let present = 0;
  for (let c = 0; c < nClasses; c++) if (counts[c] > 0) present++;
  if (present < 2) throw new ModelDataError(model, `the training labels hold a single class (${y[0]}); a classifier needs at least two`);
  return counts;
}

/** Check both, the usual start of a `fit`. */
export function checkTrainingData(
  model: string,
  X: Features,
  nRows: number,
  nCols: number,
  y: Int32Array,
  nClasses: number,
): Int32Array {
  checkFeatures(model, X, nRows, nCols);
  return checkLabels(model, y, nRows, nClasses);
}

/** Row-wise argmax of `nRows × nClasses` scores; the first maximum wins (numpy's argmax). */
export function argmaxRows(scores: Float64Array, nRows: number, nClasses: number): Int32Array {
  const out = new Int32Array(nRows);
  for (let i = 0; i < nRows; i++) {
    const base = i * nClasses;
    let best = 0;
    let bestValue = scores[base];
    for (let k = 1; k < nClasses; k++) {
      if (scores[base + k] > bestValue) {
        bestValue = scores[base + k];
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Params readers: a missing field takes its default; a present one must satisfy the check. */
export function numberParam(
  model: string,
  params: object,
  field: string,
  fallback: number,
  check: { min?: number; max?: number; exclusiveMin?: boolean; integer?: boolean } = {},
): number {
  const value = (params as Record<string, unknown>)[field];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) throw new ParamError(model, field, `${String(value)} is not a finite number`);
  if (check.integer && !Number.isInteger(value)) throw new ParamError(model, field, `${value} is not an integer`);
  if (check.min !== undefined && (check.exclusiveMin ? value <= check.min : value < check.min)) {
    throw new ParamError(model, field, `${value} must be ${check.exclusiveMin ? ">" : ">="} ${check.min}`);
  }
  if (check.max !== undefined && value > check.max) throw new ParamError(model, field, `${value} must be <= ${check.max}`);
  return value;
}

export function choiceParam<T extends string>(model: string, params: object, field: string, choices: readonly T[], fallback: T): T {
  const value = (params as Record<string, unknown>)[field];
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    throw new ParamError(model, field, `${JSON.stringify(value)} is not one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`);
  }
  return value as T;
}

export function booleanParam(model: string, params: object, field: string, fallback: boolean): boolean {
  const value = (params as Record<string, unknown>)[field];
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new ParamError(model, field, `${JSON.stringify(value)} is not true or false`);
  return value;
}

/** Refuse params fields a model does not know (a typo would otherwise silently fall back to a default). */
export function checkKnownParams(model: string, params: object, known: readonly string[]): void {
  for (const field of Object.keys(params)) {
    if (!known.includes(field)) throw new ParamError(model, field, `unknown parameter (known: ${known.join(", ")})`);
  }
}

/** A row-major Float64 copy of a table (models keep their own copy, whatever the caller does to theirs). */
export function toFloat64(X: Features): Float64Array {
  return X instanceof Float64Array ? X.slice() : Float64Array.from(X);
}

/** Reads a saved model's fields, naming the model and the field in every error. */
export class SavedReader {
  private readonly record: Record<string, unknown>;
  readonly nCols: number;
  readonly nClasses: number;

  /** `classifier`: whether the saved model records nClasses (every model but the standardizer). */
  constructor(
    readonly kind: string,
    readonly version: number,
    json: unknown,
    classifier = true,
  ) {
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw this.error("not a JSON object");
    this.record = json as Record<string, unknown>;
    if (this.record.kind !== kind) throw this.error(`kind is ${JSON.stringify(this.record.kind)}, not ${JSON.stringify(kind)}`);
    if (this.record.version !== version) throw this.error(`format version ${JSON.stringify(this.record.version)} is not ${version}`);
    this.nCols = this.integer("nCols", 1);
    this.nClasses = classifier ? this.integer("nClasses", 2) : 0;
  }

  error(reason: string): ModelDataError {
    return new ModelDataError(`saved ${this.kind} model`, reason);
  }

  number(field: string): number {
    const v = this.record[field];
    if (typeof v !== "number" || !Number.isFinite(v)) throw this.error(`${field} is not a finite number`);
    return v;
  }

  integer(field: string, min = 0): number {
    const v = this.number(field);
    if (!Number.isInteger(v) || v < min) throw this.error(`${field}=${v} is not an integer >= ${min}`);
    return v;
  }

  string<T extends string>(field: string, choices: readonly T[]): T {
    const v = this.record[field];
    if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) throw this.error(`${field} is not one of ${choices.join(", ")}`);
    return v as T;
  }

  /** A numeric array field of exactly `length` finite values (any length when undefined). */
  float64(field: string, length?: number): Float64Array {
    const v = this.record[field];
    if (!Array.isArray(v)) throw this.error(`${field} is not an array`);
    if (length !== undefined && v.length !== length) throw this.error(`${field} holds ${v.length} values, not ${length}`);
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== "number" || !Number.isFinite(x)) throw this.error(`${field}[${i}] is not a finite number`);
      out[i] = x;
    }
    return out;
  }

  /** An integer array field with every value in [min, max]. */
  int32(field: string, length: number | undefined, min: number, max: number): Int32Array {
    const values = this.float64(field, length);
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      if (!Number.isInteger(x) || x < min || x > max) throw this.error(`${field}[${i}]=${x} is not an integer in [${min}, ${max}]`);
      out[i] = x;
    }
    return out;
  }

  /** A list of objects (e.g. trees), each handed to `read`. */
  list<T>(field: string, read: (item: unknown, index: number) => T): T[] {
    const v = this.record[field];
    if (!Array.isArray(v)) throw this.error(`${field} is not an array`);
    return v.map(read);
  }

  raw(field: string): unknown {
    return this.record[field];
  }
}

/** A typed array as a plain array for JSON (JSON numbers round-trip float64 exactly). */
export function jsonArray(a: Float64Array | Float32Array | Int32Array | Uint8Array): number[] {
  return Array.from(a);
}

/** A size limit that may be absent: undefined takes `fallback`, null means no limit. */
export function limitParam(model: string, params: object, field: string, fallback: number | null, min: number): number {
  const value = (params as Record<string, unknown>)[field];
  if (value === null || (value === undefined && fallback === null)) return Number.MAX_SAFE_INTEGER;
  return numberParam(model, { [field]: value }, field, fallback ?? 0, { min, integer: true });
}

/** The logistic function, without overflow for large |z|. */
export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * Class probabilities from raw scores (`nRows × nOut`) of a model fitted on the ascending `classes`:
 * nOut = 1 is the log-odds of classes[1] against classes[0] (sigmoid), else one score per class
 * (softmax). Written into the `nClasses` columns; columns of classes not fitted stay 0.
 */
export function scoresToProba(raw: Float64Array, nRows: number, nOut: number, classes: Int32Array, nClasses: number): Float64Array {
  const proba = new Float64Array(nRows * nClasses);
  for (let i = 0; i < nRows; i++) {
    const out = i * nClasses;
    if (nOut === 1) {
      const p = sigmoid(raw[i]);
      proba[out + classes[0]] = 1 - p;
      proba[out + classes[1]] = p;
      continue;
    }
    const base = i * nOut;
    let max = -Infinity;
    for (let k = 0; k < nOut; k++) max = Math.max(max, raw[base + k]);
    let sum = 0;
    for (let k = 0; k < nOut; k++) sum += Math.exp(raw[base + k] - max);
    for (let k = 0; k < nOut; k++) proba[out + classes[k]] = Math.exp(raw[base + k] - max) / sum;
  }
  return proba;
}

/**
 * The classes present in the labels (ascending) and, for each label value, its index among them
 * (−1 when absent). Models that fit only what they saw, as scikit-learn does, use these.
 */
export function presentClasses(counts: Int32Array): { classes: Int32Array; index: Int32Array } {
  const classes = Int32Array.from(Array.from(counts.keys()).filter((c) => counts[c] > 0));
  const index = new Int32Array(counts.length).fill(-1);
  classes.forEach((c, k) => (index[c] = k));
  return { classes, index };
}

/** Read a saved `classes` field: ascending, at least two, each in [0, nClasses). */
export function readClasses(r: SavedReader): Int32Array {
  const classes = r.int32("classes", undefined, 0, r.nClasses - 1);
  if (classes.length < 2) throw r.error("classes must list at least two classes");
  for (let k = 1; k < classes.length; k++) if (classes[k] <= classes[k - 1]) throw r.error("classes must be ascending");
  return classes;
}
