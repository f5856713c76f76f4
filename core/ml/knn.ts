/**
 * k-nearest-neighbours classifier, scikit-learn's `KNeighborsClassifier` (brute force, Euclidean):
 *
 *     d(q, t)² = ‖q‖² + ‖t‖² − 2 q·t            (clamped at 0)
 *     neighbours(q) = the k training rows of smallest d, ordered by (d, row index)
 *     proba(q)[c] = Σ_{n ∈ neighbours, y_n = c} w_n / Σ_n w_n
 *     w_n = 1 ("uniform") or 1 / d(q, t_n) ("distance"; a neighbour at distance 0 takes all the weight)
 *     predict(q) = argmax_c proba(q)[c], the smallest class among ties (scikit-learn's mode)
 *
 * Params:
 *   k        integer ≥ 1, ≤ training rows; default 5 (scikit-learn's n_neighbors)
 *   weights  "uniform" | "distance"; default "uniform"
 *
 * The q·t products are computed in blocks (a block of queries against a block of training rows,
 * core/ml/gram.ts) in float64, and the k nearest are kept in a small sorted buffer
 * per query: a full sort of all n distances is never needed.
 */
import { ParamError } from "../errors.ts";
import {
  argmaxRows,
  checkKnownParams,
  checkPredictInput,
  checkTrainingData,
  choiceParam,
  jsonArray,
  numberParam,
  SavedReader,
  toFloat64,
  type Classifier,
  type Features,
  type SavedClassifier,
} from "./common.ts";
import { dotBlock, rowNorms } from "./gram.ts";

const KIND = "knn";

export interface KnnParams {
  readonly k?: number;
  readonly weights?: "uniform" | "distance";
}

/** Query rows per block: their rows stay in cache while a block of training rows streams past. */
const QUERY_BLOCK = 16;
/** Training rows per block. */
const TRAIN_BLOCK = 128;

export class KnnModel implements Classifier {
  readonly kind = KIND;
  private readonly trainSq: Float64Array;

  constructor(
    readonly nCols: number,
    readonly nClasses: number,
    readonly k: number,
    readonly weights: "uniform" | "distance",
    /** Training rows, row-major float64. */
    readonly train: Float64Array,
    readonly labels: Int32Array,
  ) {
    this.trainSq = rowNorms(train, labels.length, nCols);
  }

  /**
   * The k nearest training rows of each query row: `index` and squared `distance`, row-major
   * `nRows × k`, nearest first (equal distances: lower training index first).
   */
  kneighbors(X: Features, nRows: number): { index: Int32Array; distance: Float64Array } {
    checkPredictInput(KIND, X, nRows, this.nCols);
    const { k, nCols, train, trainSq } = this;
    const nTrain = this.labels.length;
    const index = new Int32Array(nRows * k);
    const distance = new Float64Array(nRows * k).fill(Infinity);
    const query = new Float64Array(QUERY_BLOCK * nCols);
    const querySq = new Float64Array(QUERY_BLOCK);
    const dots = new Float64Array(QUERY_BLOCK * TRAIN_BLOCK);
    for (let q0 = 0; q0 < nRows; q0 += QUERY_BLOCK) {
      const nq = Math.min(QUERY_BLOCK, nRows - q0);
      for (let i = 0; i < nq * nCols; i++) query[i] = X[q0 * nCols + i];
      querySq.set(rowNorms(query, nq, nCols));
      for (let t0 = 0; t0 < nTrain; t0 += TRAIN_BLOCK) {
        const nt = Math.min(TRAIN_BLOCK, nTrain - t0);
        dotBlock(query, 0, nq, train, t0, nt, nCols, dots, 0, TRAIN_BLOCK);
        for (let i = 0; i < nq; i++) {
          const out = (q0 + i) * k;
          const qs = querySq[i];
          let worst = distance[out + k - 1];
          for (let t = 0; t < nt; t++) {
            let d = qs + trainSq[t0 + t] - 2 * dots[i * TRAIN_BLOCK + t];
            if (d < 0) d = 0;
            // Strictly smaller: training rows arrive in index order, so an equal distance keeps the earlier row.
            if (d < worst) {
              let p = out + k - 1;
              while (p > out && distance[p - 1] > d) {
                distance[p] = distance[p - 1];
                index[p] = index[p - 1];
                p--;
              }
              distance[p] = d;
              index[p] = t0 + t;
              worst = distance[out + k - 1];
            }
          }
        }
      }
    }
    return { index, distance };
  }

  predictProba(X: Features, nRows: number): Float64Array {
    const { index, distance } = this.kneighbors(X, nRows);
    const { k, nClasses, labels } = this;
    const proba = new Float64Array(nRows * nClasses);
    for (let i = 0; i < nRows; i++) {
      const base = i * nClasses;
      const nb = i * k;
      if (this.weights === "uniform") {
        for (let n = 0; n < k; n++) proba[base + labels[index[nb + n]]] += 1;
      } else {
        let exact = false;
        for (let n = 0; n < k; n++) if (distance[nb + n] === 0) exact = true;
        for (let n = 0; n < k; n++) {
          const d = distance[nb + n];
          proba[base + labels[index[nb + n]]] += exact ? (d === 0 ? 1 : 0) : 1 / Math.sqrt(d);
        }
      }
      let total = 0;
      for (let c = 0; c < nClasses; c++) total += proba[base + c];
      for (let c = 0; c < nClasses; c++) proba[base + c] /= total;
    }
    return proba;
  }

  predict(X: Features, nRows: number): Int32Array {
    return argmaxRows(this.predictProba(X, nRows), nRows, this.nClasses);
  }

  toJSON(): SavedClassifier {
    return {
      kind: KIND,
      version: 1,
      nCols: this.nCols,
      nClasses: this.nClasses,
      k: this.k,
      weights: this.weights,
      train: jsonArray(this.train),
      labels: jsonArray(this.labels),
    };
  }

  static fromJSON(json: unknown): KnnModel {
    const r = new SavedReader(KIND, 1, json);
    const labels = r.int32("labels", undefined, 0, r.nClasses - 1);
    const k = r.integer("k", 1);
    if (k > labels.length) throw r.error(`k=${k} exceeds the ${labels.length} training rows`);
    return new KnnModel(r.nCols, r.nClasses, k, r.string("weights", ["uniform", "distance"]), r.float64("train", labels.length * r.nCols), labels);
  }
}

/** Fit (store) the training table. */
export function fitKnn(X: Features, nRows: number, nCols: number, y: Int32Array, nClasses: number, params: KnnParams = {}): KnnModel {
  checkKnownParams(KIND, params, ["k", "weights"]);
  const k = numberParam(KIND, params, "k", 5, { min: 1, integer: true });
  const weights = choiceParam(KIND, params, "weights", ["uniform", "distance"] as const, "uniform");
  checkTrainingData(KIND, X, nRows, nCols, y, nClasses);
  if (k > nRows) throw new ParamError(KIND, "k", `${k} exceeds the ${nRows} training rows`);
  return new KnnModel(nCols, nClasses, k, weights, toFloat64(X), y.slice());
}
