/**
 * Standardization, scikit-learn's `StandardScaler` (with_mean, with_std):
 *
 *     z[i, j] = (x[i, j] − mean[j]) / scale[j],   scale[j] = sqrt(var[j])   (population variance, ddof 0)
 *
 * fitted on the training rows only, then applied to any rows. Mean and variance use float64
 * accumulators and the corrected two-pass formula var = (Σ(x − mean)² − (Σ(x − mean))² / n) / n, as
 * scikit-learn does. A column indistinguishable from a constant (var ≤ n·ε·var + (n·mean·ε)², the
 * error bound of that formula) gets scale 1, so it maps to 0 instead of dividing by ~0.
 */
import { checkFeatures, checkPredictInput, jsonArray, SavedReader, type Features, type SavedModel } from "./common.ts";

const KIND = "standardize";
const EPS = 2.220446049250313e-16;

export class Standardizer {
  constructor(
    readonly nCols: number,
    readonly mean: Float64Array,
    readonly scale: Float64Array,
    /** Population variance per column (scikit-learn's `var_`). */
    readonly variance: Float64Array,
  ) {}

  /** The standardized copy of `X` (`nRows × nCols`), of the same float type as `X`. */
  transform<T extends Features>(X: T, nRows: number): T {
    checkPredictInput(KIND, X, nRows, this.nCols);
    const out = (X instanceof Float32Array ? new Float32Array(X.length) : new Float64Array(X.length)) as T;
    const { mean, scale, nCols } = this;
    for (let i = 0; i < nRows; i++) {
      const base = i * nCols;
      for (let j = 0; j < nCols; j++) out[base + j] = (X[base + j] - mean[j]) / scale[j];
    }
    return out;
  }

  toJSON(): SavedModel {
    return { kind: KIND, version: 1, nCols: this.nCols, mean: jsonArray(this.mean), scale: jsonArray(this.scale), variance: jsonArray(this.variance) };
  }

  static fromJSON(json: unknown): Standardizer {
    const r = new SavedReader(KIND, 1, json, false);
    const scale = r.float64("scale", r.nCols);
    for (let j = 0; j < scale.length; j++) if (!(scale[j] > 0)) throw r.error(`scale[${j}]=${scale[j]} is not positive`);
    return new Standardizer(r.nCols, r.float64("mean", r.nCols), scale, r.float64("variance", r.nCols));
  }
}

/** Fit on the training rows `X` (`nRows × nCols`). */
export function fitStandardizer(X: Features, nRows: number, nCols: number): Standardizer {
  checkFeatures(KIND, X, nRows, nCols);
  const mean = new Float64Array(nCols);
  for (let i = 0; i < nRows; i++) {
    const base = i * nCols;
    for (let j = 0; j < nCols; j++) mean[j] += X[base + j];
  }
  for (let j = 0; j < nCols; j++) mean[j] /= nRows;
  const sumSq = new Float64Array(nCols);
  const sum = new Float64Array(nCols);
  for (let i = 0; i < nRows; i++) {
    const base = i * nCols;
    for (let j = 0; j < nCols; j++) {
      const d = X[base + j] - mean[j];
      sum[j] += d;
      sumSq[j] += d * d;
    }
  }
  const variance = new Float64Array(nCols);
  const scale = new Float64Array(nCols);
  for (let j = 0; j < nCols; j++) {
    const v = (sumSq[j] - (sum[j] * sum[j]) / nRows) / nRows;
    variance[j] = v;
    const bound = nRows * EPS * v + (nRows * mean[j] * EPS) ** 2;
    scale[j] = v <= bound ? 1 : Math.sqrt(v);
  }
  return new Standardizer(nCols, mean, scale, variance);
}
