/**
 * Gradient boosting classifier, scikit-learn's `HistGradientBoostingClassifier` (1.2, loss "log_loss"):
 *
 *     K ≥ 3 classes:  raw_ik = log p̄_k − mean_k log p̄_k + Σ_trees,  p = softmax(raw_i)
 *                     each round: g_ik = p_ik − [y_i = k], h_ik = p_ik (1 − p_ik) from the round's start,
 *                     then one tree per class on (g_k, h_k)
 *     2 classes:      raw_i = log(p̄ / (1 − p̄)) + Σ_trees, p = σ(raw_i); g = p − y, h = p (1 − p); one tree a round
 *
 * p̄ is the class frequency (clipped to [ε, 1 − ε]). Trees are grown by the newton criterion of
 * core/ml/histtree.ts on features binned once (core/ml/binning.ts): best-first to maxLeafNodes leaves,
 * leaf value −G/(H + l2)·learningRate. Classes absent from the training labels are left out (probability 0).
 *
 * Early stopping (off by default, as scikit-learn's "auto" for fewer than 10,000 rows): a stratified
 * validationFraction of the rows is held out; after each round the validation log loss is scored, and
 * training stops when none of the last nIterNoChange scores improves on the one before them by more than tol.
 *
 * Params:
 *   maxIter             integer ≥ 1, boosting rounds; default 100
 *   learningRate        > 0; default 0.1
 *   maxLeafNodes        integer ≥ 2, or null for none; default 31
 *   maxDepth            integer ≥ 1, or null for none; default none
 *   minSamplesLeaf      integer ≥ 1; default 20
 *   l2Regularization    ≥ 0; default 0
 *   maxBins             integer in [2, 255]; default 255
 *   earlyStopping       boolean; default false
 *   validationFraction  in (0, 1); default 0.1
 *   nIterNoChange       integer ≥ 1; default 10
 *   tol                 ≥ 0; default 1e-7
 *   seed                integer; default 0 (binning subsample, validation split)
 */
import { mulberry32 } from "../random.ts";
import { binTable } from "./binning.ts";
import {
  argmaxRows,
  booleanParam,
  checkKnownParams,
  checkPredictInput,
  checkTrainingData,
  jsonArray,
  limitParam,
  numberParam,
  presentClasses,
  readClasses,
  SavedReader,
  scoresToProba,
  sigmoid,
  type Classifier,
  type Features,
  type SavedClassifier,
} from "./common.ts";
import { growTree, Tree, TreeWorkspace } from "./histtree.ts";

const KIND = "boosting";
const EPS = 2.220446049250313e-16;
/** scikit-learn's min_hessian_to_split. */
const MIN_HESSIAN = 1e-3;

export interface BoostingParams {
  readonly maxIter?: number;
  readonly learningRate?: number;
  readonly maxLeafNodes?: number | null;
  readonly maxDepth?: number | null;
  readonly minSamplesLeaf?: number;
  readonly l2Regularization?: number;
  readonly maxBins?: number;
  readonly earlyStopping?: boolean;
  readonly validationFraction?: number;
  readonly nIterNoChange?: number;
  readonly tol?: number;
  readonly seed?: number;
}

export class BoostingModel implements Classifier {
  readonly kind = KIND;

  constructor(
    readonly nCols: number,
    readonly nClasses: number,
    /** The classes fitted, ascending (those present in the training labels). */
    readonly classes: Int32Array,
    /** Raw score before any tree, one per output (1 for two classes, else classes.length). */
    readonly baseline: Float64Array,
    /** Round-major: trees[round · nOutputs + output]. */
    readonly trees: readonly Tree[],
  ) {}

  get nOutputs(): number {
    return this.baseline.length;
  }

  get rounds(): number {
    return this.trees.length / this.nOutputs;
  }

  /** Raw scores `nRows × nOutputs` (log-odds or pre-softmax scores). */
  decisionFunction(X: Features, nRows: number): Float64Array {
    checkPredictInput(KIND, X, nRows, this.nCols);
    const nOut = this.nOutputs;
    const raw = new Float64Array(nRows * nOut);
    for (let i = 0; i < nRows; i++) raw.set(this.baseline, i * nOut);
    this.trees.forEach((tree, t) => {
      const k = t % nOut;
      for (let i = 0; i < nRows; i++) raw[i * nOut + k] += tree.values[tree.leaf(X, i, this.nCols)];
    });
    return raw;
  }

  predictProba(X: Features, nRows: number): Float64Array {
    return scoresToProba(this.decisionFunction(X, nRows), nRows, this.nOutputs, this.classes, this.nClasses);
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
      classes: jsonArray(this.classes),
      baseline: jsonArray(this.baseline),
      trees: this.trees.map((t) => t.toJSON()),
    };
  }

  static fromJSON(json: unknown): BoostingModel {
    const r = new SavedReader(KIND, 1, json);
    const classes = readClasses(r);
    const nOut = classes.length === 2 ? 1 : classes.length;
    const baseline = r.float64("baseline", nOut);
    const trees = r.list("trees", (item, i) => {
      const tree = Tree.fromJSON(item, r.nCols, 1);
      if (typeof tree === "string") throw r.error(`trees[${i}]: ${tree}`);
      return tree;
    });
    if (trees.length % nOut !== 0) throw r.error(`${trees.length} trees is not a multiple of the ${nOut} outputs`);
    return new BoostingModel(r.nCols, r.nClasses, classes, baseline, trees);
  }
}

export function fitBoosting(X: Features, nRows: number, nCols: number, y: Int32Array, nClasses: number, params: BoostingParams = {}): BoostingModel {
  checkKnownParams(KIND, params, [
    "maxIter",
    "learningRate",
    "maxLeafNodes",
    "maxDepth",
    "minSamplesLeaf",
    "l2Regularization",
    "maxBins",
    "earlyStopping",
    "validationFraction",
    "nIterNoChange",
    "tol",
    "seed",
  ]);
  const maxIter = numberParam(KIND, params, "maxIter", 100, { min: 1, integer: true });
  const learningRate = numberParam(KIND, params, "learningRate", 0.1, { min: 0, exclusiveMin: true });
  const maxLeafNodes = limitParam(KIND, params, "maxLeafNodes", 31, 2);
  const maxDepth = limitParam(KIND, params, "maxDepth", null, 1);
  const minSamplesLeaf = numberParam(KIND, params, "minSamplesLeaf", 20, { min: 1, integer: true });
  const l2 = numberParam(KIND, params, "l2Regularization", 0, { min: 0 });
  const maxBins = numberParam(KIND, params, "maxBins", 255, { min: 2, max: 255, integer: true });
  const earlyStopping = booleanParam(KIND, params, "earlyStopping", false);
  const validationFraction = numberParam(KIND, params, "validationFraction", 0.1, { min: 0, exclusiveMin: true, max: 1 - 1e-12 });
  const nIterNoChange = numberParam(KIND, params, "nIterNoChange", 10, { min: 1, integer: true });
  const tol = numberParam(KIND, params, "tol", 1e-7, { min: 0 });
  const seed = numberParam(KIND, params, "seed", 0, { integer: true });
  const counts = checkTrainingData(KIND, X, nRows, nCols, y, nClasses);

  const { classes, index } = presentClasses(counts);
  const nOut = classes.length === 2 ? 1 : classes.length;

  // Training and (with early stopping) validation rows.
  let trainRows: Int32Array;
  let validRows: Int32Array = new Int32Array(0);
  if (earlyStopping) [trainRows, validRows] = stratifiedSplit(y, classes, validationFraction, seed);
  else trainRows = Int32Array.from({ length: nRows }, (_, i) => i);
  const n = trainRows.length;
  const Xtrain = gatherRows(X, nCols, trainRows);
  const target = Int32Array.from(trainRows, (r) => index[y[r]]);
  const Xvalid = gatherRows(X, nCols, validRows);
  const targetValid = Int32Array.from(validRows, (r) => index[y[r]]);

  const baseline = baselineScores(target, classes.length, nOut);
  const table = binTable(Xtrain, n, nCols, { maxBins, seed });
  const ws = new TreeWorkspace(table, 0);
  const raw = new Float64Array(n * nOut);
  for (let i = 0; i < n; i++) raw.set(baseline, i * nOut);
  const rawValid = new Float64Array(validRows.length * nOut);
  for (let i = 0; i < validRows.length; i++) rawValid.set(baseline, i * nOut);
  const gradient = new Float64Array(n * nOut);
  const hessian = new Float64Array(n * nOut);
  const rows = new Int32Array(n);
  const trees: Tree[] = [];
  const scores: number[] = earlyStopping ? [-logLoss(rawValid, targetValid, nOut)] : [];
  const options = { maxDepth, maxLeafNodes, minSamplesLeaf, maxFeatures: nCols, random: () => 0 };

  for (let round = 0; round < maxIter; round++) {
    gradients(raw, target, n, nOut, gradient, hessian);
    for (let k = 0; k < nOut; k++) {
      for (let i = 0; i < n; i++) rows[i] = i;
      const grown = growTree(
        ws,
        rows,
        {
          criterion: "newton",
          gradient: gradient.subarray(k * n, (k + 1) * n),
          hessian: hessian.subarray(k * n, (k + 1) * n),
          l2,
          minHessian: MIN_HESSIAN,
          shrinkage: learningRate,
        },
        options,
      );
      const { tree, leafStart, leafEnd } = grown;
      for (let leaf = 0; leaf < tree.nLeaves; leaf++) {
        const v = tree.values[leaf];
        for (let p = leafStart[leaf]; p < leafEnd[leaf]; p++) raw[grown.rows[p] * nOut + k] += v;
      }
      for (let i = 0; i < validRows.length; i++) rawValid[i * nOut + k] += tree.values[tree.leaf(Xvalid, i, nCols)];
      trees.push(tree);
    }
    if (earlyStopping) {
      scores.push(-logLoss(rawValid, targetValid, nOut));
      if (shouldStop(scores, nIterNoChange, tol)) break;
    }
  }
  return new BoostingModel(nCols, nClasses, classes, baseline, trees);
}

/** Initial raw scores: the link of the class frequencies (clipped away from 0 and 1). */
function baselineScores(target: Int32Array, nPresent: number, nOut: number): Float64Array {
  const freq = new Float64Array(nPresent);
  for (let i = 0; i < target.length; i++) freq[target[i]]++;
  for (let k = 0; k < nPresent; k++) freq[k] = Math.min(Math.max(freq[k] / target.length, EPS), 1 - EPS);
  if (nOut === 1) return new Float64Array([Math.log(freq[1] / (1 - freq[1]))]);
  const logs = freq.map(Math.log);
  const mean = logs.reduce((a, b) => a + b, 0) / nPresent;
  return logs.map((l) => l - mean);
}

/** Gradients and hessians of the log loss, output-major: gradient[k·n + i]. */
function gradients(raw: Float64Array, target: Int32Array, n: number, nOut: number, gradient: Float64Array, hessian: Float64Array): void {
  if (nOut === 1) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(raw[i]);
      gradient[i] = p - target[i];
      hessian[i] = p * (1 - p);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const base = i * nOut;
    let max = -Infinity;
    for (let k = 0; k < nOut; k++) max = Math.max(max, raw[base + k]);
    let sum = 0;
    for (let k = 0; k < nOut; k++) sum += Math.exp(raw[base + k] - max);
    for (let k = 0; k < nOut; k++) {
      const p = Math.exp(raw[base + k] - max) / sum;
      gradient[k * n + i] = p - (target[i] === k ? 1 : 0);
      hessian[k * n + i] = p * (1 - p);
    }
  }
}

/** Mean log loss of raw scores. */
function logLoss(raw: Float64Array, target: Int32Array, nOut: number): number {
  const n = target.length;
  if (n === 0) return 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (nOut === 1) {
      const z = raw[i];
      total += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - target[i] * z;
      continue;
    }
    const base = i * nOut;
    let max = -Infinity;
    for (let k = 0; k < nOut; k++) max = Math.max(max, raw[base + k]);
    let sum = 0;
    for (let k = 0; k < nOut; k++) sum += Math.exp(raw[base + k] - max);
    total += Math.log(sum) + max - raw[base + target[i]];
  }
  return total / n;
}

/** scikit-learn's `_should_stop`: no score of the last nIterNoChange beats the one before them by more than tol. */
function shouldStop(scores: number[], nIterNoChange: number, tol: number): boolean {
  const reference = nIterNoChange + 1;
  if (scores.length < reference) return false;
  const referenceScore = scores[scores.length - reference] + tol;
  for (let i = scores.length - reference + 1; i < scores.length; i++) if (scores[i] > referenceScore) return false;
  return true;
}

/** Seeded stratified hold-out: per class, a shuffled ⌈fraction · count⌉ rows (at least 1) go to validation. */
function stratifiedSplit(y: Int32Array, classes: Int32Array, fraction: number, seed: number): [Int32Array, Int32Array] {
  const random = mulberry32(seed ^ 0x9e3779b9);
  const held = new Uint8Array(y.length);
  for (const c of classes) {
    const members: number[] = [];
    for (let i = 0; i < y.length; i++) if (y[i] === c) members.push(i);
    const take = Math.min(members.length - 1, Math.max(1, Math.round(fraction * members.length)));
    for (let t = 0; t < take; t++) {
      const j = t + Math.floor(random() * (members.length - t));
      [members[t], members[j]] = [members[j], members[t]];
      held[members[t]] = 1;
    }
  }
  const train: number[] = [];
  const valid: number[] = [];
  for (let i = 0; i < y.length; i++) (held[i] ? valid : train).push(i);
  return [Int32Array.from(train), Int32Array.from(valid)];
}

function gatherRows(X: Features, nCols: number, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length * nCols);
  for (let i = 0; i < rows.length; i++) for (let j = 0; j < nCols; j++) out[i * nCols + j] = X[rows[i] * nCols + j];
  return out;
}
