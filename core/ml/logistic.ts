/**
 * Logistic regression, scikit-learn's `LogisticRegression(penalty="l2", solver="lbfgs")` (1.2):
 *
 *     K ≥ 3 classes (multinomial):  z_ik = b_k + Σ_j x_ij W_jk,   p_ik = softmax_k(z_i)
 *         minimise  Σ_i [log Σ_k exp z_ik − z_{i,y_i}] + 1/(2C) Σ_jk W_jk²
 *     2 classes (binomial, scikit-learn's choice for two):  z_i = b + x_i·w,  p_i1 = σ(z_i)
 *         minimise  Σ_i [log(1 + exp z_i) − [y_i = 1] z_i] + 1/(2C) ‖w‖²
 *
 * The intercepts are not penalised; the loss is a sum over rows (not a mean), so `tol` is on the same
 * scale as scikit-learn's. Minimised by L-BFGS (core/ml/lbfgs.ts) from zeros. Classes absent from the
 * training labels are left out of the fit (as scikit-learn, which only knows the classes it saw) and get
 * probability 0.
 *
 * Params:
 *   C             > 0, inverse regularisation strength; default 1.0
 *   maxIter       integer ≥ 1, L-BFGS iterations; default 100
 *   tol           ≥ 0, stop when max |∇| ≤ tol; default 1e-4
 *   fitIntercept  boolean; default true
 *
 * `converged` and `iterations` on the model say whether L-BFGS met a tolerance (scikit-learn warns
 * when it does not).
 */
import {
  booleanParam,
  checkKnownParams,
  checkPredictInput,
  checkTrainingData,
  jsonArray,
  numberParam,
  presentClasses,
  readClasses,
  SavedReader,
  scoresToProba,
  sigmoid,
  toFloat64,
  type Classifier,
  type Features,
  type SavedClassifier,
} from "./common.ts";
import { dotBlock } from "./gram.ts";
import { minimizeLbfgs } from "./lbfgs.ts";

const KIND = "logistic";

export interface LogisticParams {
  readonly C?: number;
  readonly maxIter?: number;
  readonly tol?: number;
  readonly fitIntercept?: boolean;
}

export class LogisticModel implements Classifier {
  readonly kind = KIND;

  constructor(
    readonly nCols: number,
    readonly nClasses: number,
    /** The classes the model was fitted on, ascending (all those present in the training labels). */
    readonly classes: Int32Array,
    /**
     * Coefficients, row-major `nOutputs × nCols` (scikit-learn's `coef_`); nOutputs = 1 for two
     * classes (the second class's log-odds), else classes.length.
     */
    readonly coef: Float64Array,
    readonly intercept: Float64Array,
    readonly iterations: number,
    readonly converged: boolean,
  ) {}

  /** Raw scores `nRows × nOutputs` (scikit-learn's `decision_function`). */
  decisionFunction(X: Features, nRows: number): Float64Array {
    checkPredictInput(KIND, X, nRows, this.nCols);
    const { coef, intercept, nCols } = this;
    const nOut = intercept.length;
    const z = new Float64Array(nRows * nOut);
    for (let i = 0; i < nRows; i++) {
      const xb = i * nCols;
      for (let k = 0; k < nOut; k++) {
        let s = intercept[k];
        const wb = k * nCols;
        for (let j = 0; j < nCols; j++) s += X[xb + j] * coef[wb + j];
        z[i * nOut + k] = s;
      }
    }
    return z;
  }

  predictProba(X: Features, nRows: number): Float64Array {
    return scoresToProba(this.decisionFunction(X, nRows), nRows, this.intercept.length, this.classes, this.nClasses);
  }

  /** The class of the largest score (the first among equal ones), as scikit-learn's `predict`. */
  predict(X: Features, nRows: number): Int32Array {
    const z = this.decisionFunction(X, nRows);
    const { classes } = this;
    const nOut = this.intercept.length;
    const out = new Int32Array(nRows);
    for (let i = 0; i < nRows; i++) {
      if (nOut === 1) {
        out[i] = classes[z[i] > 0 ? 1 : 0];
        continue;
      }
      let best = 0;
      for (let k = 1; k < nOut; k++) if (z[i * nOut + k] > z[i * nOut + best]) best = k;
      out[i] = classes[best];
    }
    return out;
  }

  toJSON(): SavedClassifier {
    return {
      kind: KIND,
      version: 1,
      nCols: this.nCols,
      nClasses: this.nClasses,
      classes: jsonArray(this.classes),
      coef: jsonArray(this.coef),
      intercept: jsonArray(this.intercept),
      iterations: this.iterations,
      converged: this.converged,
    };
  }

  static fromJSON(json: unknown): LogisticModel {
    const r = new SavedReader(KIND, 1, json);
    const classes = readClasses(r);
    const nOut = classes.length === 2 ? 1 : classes.length;
    const converged = r.raw("converged");
    if (typeof converged !== "boolean") throw r.error("converged is not a boolean");
    return new LogisticModel(
      r.nCols,
      r.nClasses,
      classes,
      r.float64("coef", nOut * r.nCols),
      r.float64("intercept", nOut),
      r.integer("iterations"),
      converged,
    );
  }
}

export function fitLogistic(
  X: Features,
  nRows: number,
  nCols: number,
  y: Int32Array,
  nClasses: number,
  params: LogisticParams = {},
): LogisticModel {
  checkKnownParams(KIND, params, ["C", "maxIter", "tol", "fitIntercept"]);
  const C = numberParam(KIND, params, "C", 1, { min: 0, exclusiveMin: true });
  const maxIter = numberParam(KIND, params, "maxIter", 100, { min: 1, integer: true });
  const tol = numberParam(KIND, params, "tol", 1e-4, { min: 0 });
  const fitIntercept = booleanParam(KIND, params, "fitIntercept", true);
  const counts = checkTrainingData(KIND, X, nRows, nCols, y, nClasses);

  const { classes, index } = presentClasses(counts);
  const target = Int32Array.from(y, (c) => index[c]);
  const data = toFloat64(X);
  const nOut = classes.length === 2 ? 1 : classes.length;
  const objective = nOut === 1 ? binomialObjective(data, nRows, nCols, target, 1 / C, fitIntercept) : multinomialObjective(data, nRows, nCols, target, nOut, 1 / C, fitIntercept);
  // Parameters: W class-major (scikit-learn's coef_ layout), then the intercepts.
  const result = minimizeLbfgs(objective, new Float64Array(nCols * nOut + nOut), { maxIter, gtol: tol });
  const coef = result.x.slice(0, nCols * nOut);
  const intercept = result.x.slice(nCols * nOut);
  return new LogisticModel(nCols, nClasses, classes, coef, intercept, result.iterations, result.converged);
}

/**
 * Σ softmax cross-entropy + λ/2 ‖W‖² and its gradient; λ = 1/C. Parameters class-major: W_k = w[k·d ..
 * (k+1)·d), then the K intercepts. Scores are row · W_k products and the gradient Σ_i r_ik x_i is
 * column · residual products over a transposed copy of X: both contiguous dot products (core/ml/gram.ts).
 */
function multinomialObjective(X: Float64Array, n: number, d: number, y: Int32Array, K: number, lambda: number, fitIntercept: boolean) {
  const Xt = transpose(X, n, d);
  /** Scores, row-major n × K. */
  const scores = new Float64Array(n * K);
  /** Residuals p − onehot(y), class-major K × n. */
  const residual = new Float64Array(K * n);
  return (w: Float64Array, grad: Float64Array): number => {
    const bOffset = d * K;
    let loss = 0;
    dotBlock(X, 0, n, w, 0, K, d, scores, 0, K);
    for (let i = 0; i < n; i++) {
      const zb = i * K;
      if (fitIntercept) for (let k = 0; k < K; k++) scores[zb + k] += w[bOffset + k];
      let max = scores[zb];
      for (let k = 1; k < K; k++) if (scores[zb + k] > max) max = scores[zb + k];
      const label = y[i];
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const e = Math.exp(scores[zb + k] - max);
        residual[k * n + i] = e;
        sum += e;
      }
      // log Σ exp z − z_y, shifted by the max so that exp cannot overflow.
      loss += Math.log(sum) + max - scores[zb + label];
      for (let k = 0; k < K; k++) residual[k * n + i] /= sum;
      residual[label * n + i] -= 1;
    }
    dotBlock(residual, 0, K, Xt, 0, d, n, grad, 0, d);
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += residual[k * n + i];
      grad[bOffset + k] = fitIntercept ? s : 0;
    }
    let penalty = 0;
    for (let p = 0; p < bOffset; p++) {
      penalty += w[p] * w[p];
      grad[p] += lambda * w[p];
    }
    return loss + 0.5 * lambda * penalty;
  };
}

function transpose(X: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[j * n + i] = X[i * d + j];
  return out;
}

/** Σ log(1 + exp z) − y z + λ/2 ‖w‖² and its gradient; y ∈ {0, 1}. */
function binomialObjective(X: Float64Array, n: number, d: number, y: Int32Array, lambda: number, fitIntercept: boolean) {
  return (w: Float64Array, grad: Float64Array): number => {
    let loss = 0;
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const xb = i * d;
      let z = fitIntercept ? w[d] : 0;
      for (let j = 0; j < d; j++) z += X[xb + j] * w[j];
      // log(1 + e^z) without overflow.
      loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i] * z;
      const r = sigmoid(z) - y[i];
      for (let j = 0; j < d; j++) grad[j] += r * X[xb + j];
      if (fitIntercept) grad[d] += r;
    }
    let penalty = 0;
    for (let j = 0; j < d; j++) {
      penalty += w[j] * w[j];
      grad[j] += lambda * w[j];
    }
    return loss + 0.5 * lambda * penalty;
  };
}
