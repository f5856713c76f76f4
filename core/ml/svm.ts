/**
 * Support vector classifier with an RBF kernel, scikit-learn's `SVC` (libsvm's C-SVC):
 *
 *     K(x, x') = exp(−γ ‖x − x'‖²),   γ = "scale": 1 / (nCols · Var(X)) (Var over every value of the
 *                                     training table; 1 when it is 0), "auto": 1 / nCols, or a number
 *     each pair of classes a < b, labels +1 (a) / −1 (b), solves the dual
 *         min_α ½ αᵀQα − Σα,  0 ≤ α ≤ C,  yᵀα = 0,   Q_ij = y_i y_j K(x_i, x_j)
 *     f_ab(x) = Σ_i y_i α_i K(x_i, x) − ρ_ab;   a vote for a when f_ab(x) > 0, else for b
 *     predict(x) = the class with most votes, the smallest among ties (libsvm's one-vs-one)
 *
 * The dual is solved by SMO with libsvm's second-order working-set selection (Fan, Chen & Lin 2005,
 * "WSS 3"): i maximises −y_i ∇_i over the indices that can move up, j minimises −(b_ij)² / a_ij over
 * those that can move down with b_ij > 0; stop when the maximal violation m(α) − M(α) < tol. ρ is the
 * mean of y_i ∇_i over free α (libsvm's). No shrinking: it changes speed, not the solution (within tol).
 *
 * Kernel rows K(x_i, ·) over a pair's rows are cached (float32, as libsvm's cache; least recently used
 * rows go when cacheSize is exceeded) and shared by the pair's solve and its cross-validation folds.
 *
 * Probabilities (probability: true, as scikit-learn's): libsvm's Platt scaling. Per pair, 5-fold
 * cross-validated decision values fit a sigmoid P(a | f) = 1 / (1 + exp(A f + B)) (Lin, Lin & Weng's
 * Newton method); the pairwise probabilities are coupled into class probabilities by Wu, Lin & Weng's
 * method 2. Costs about 5× the fit. Without it, predictProba throws (there is no probability to give).
 *
 * Params:
 *   C            > 0; default 1.0
 *   gamma        "scale" | "auto" | number > 0; default "scale"
 *   tol          > 0, stopping tolerance on the violation; default 1e-3
 *   cacheSize    > 0, kernel cache in MB; default 200
 *   maxIter      integer ≥ 1 per pair, or −1 for libsvm's max(10⁷, 100·l); default −1
 *   probability  boolean; default false
 *   seed         integer, the cross-validation folds of probability; default 0
 */
import { ParamError } from "../errors.ts";
import { mulberry32 } from "../random.ts";
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
  toFloat64,
  type Classifier,
  type Features,
  type SavedClassifier,
} from "./common.ts";
import { dotRows, rowNorms } from "./gram.ts";

const KIND = "svm";
/** libsvm's TAU: the curvature used when a pair's is not positive. */
const TAU = 1e-12;
/** libsvm's bounds on pairwise probabilities. */
const MIN_PROB = 1e-7;
const FOLDS = 5;

export interface SvmParams {
  readonly C?: number;
  readonly gamma?: "scale" | "auto" | number;
  readonly tol?: number;
  readonly cacheSize?: number;
  readonly maxIter?: number;
  readonly probability?: boolean;
  readonly seed?: number;
}

export class SvmModel implements Classifier {
  readonly kind = KIND;
  private readonly svNorms: Float64Array;

  constructor(
    readonly nCols: number,
    readonly nClasses: number,
    /** The classes fitted, ascending (those present in the training labels). */
    readonly classes: Int32Array,
    readonly gamma: number,
    /** Support vectors, row-major, grouped by class in the order of `classes`. */
    readonly supportVectors: Float64Array,
    /** Number of support vectors of each fitted class. */
    readonly nSupport: Int32Array,
    /**
     * libsvm's sv_coef, `(classes − 1) × nSV`: for the pair (a, b), a < b (indices into classes), the
     * coefficients y·α of a's vectors are in row b − 1, those of b's vectors in row a.
     */
    readonly dualCoef: Float64Array,
    /** ρ per pair, pairs in the order (0,1), (0,2), …, (1,2), … */
    readonly rho: Float64Array,
    /** Platt sigmoid per pair (empty without probability). */
    readonly probA: Float64Array,
    readonly probB: Float64Array,
  ) {
    this.svNorms = rowNorms(supportVectors, supportVectors.length / nCols, nCols);
  }

  /** Decision values `nRows × pairs`, pairs in libsvm's order. */
  decisionFunction(X: Features, nRows: number): Float64Array {
    checkPredictInput(KIND, X, nRows, this.nCols);
    const { nCols, classes, nSupport, dualCoef, rho, gamma, supportVectors, svNorms } = this;
    const m = classes.length;
    const nSV = svNorms.length;
    const start = new Int32Array(m);
    for (let c = 1; c < m; c++) start[c] = start[c - 1] + nSupport[c - 1];
    const nPairs = (m * (m - 1)) / 2;
    const out = new Float64Array(nRows * nPairs);
    const x = new Float64Array(nCols);
    const kernel = new Float64Array(nSV);
    for (let i = 0; i < nRows; i++) {
      for (let j = 0; j < nCols; j++) x[j] = X[i * nCols + j];
      dotRows(x, 0, supportVectors, 0, nSV, nCols, kernel, 0);
      const xx = rowNorms(x, 1, nCols)[0];
      for (let s = 0; s < nSV; s++) kernel[s] = Math.exp(-gamma * Math.max(0, xx + svNorms[s] - 2 * kernel[s]));
      let p = 0;
      for (let a = 0; a < m; a++) {
        for (let b = a + 1; b < m; b++) {
          let sum = 0;
          const ca = (b - 1) * nSV, cb = a * nSV;
          for (let s = start[a]; s < start[a] + nSupport[a]; s++) sum += dualCoef[ca + s] * kernel[s];
          for (let s = start[b]; s < start[b] + nSupport[b]; s++) sum += dualCoef[cb + s] * kernel[s];
          out[i * nPairs + p] = sum - rho[p];
          p++;
        }
      }
    }
    return out;
  }

  /** One-vs-one voting; ties go to the smaller class. */
  predict(X: Features, nRows: number): Int32Array {
    const dec = this.decisionFunction(X, nRows);
    const m = this.classes.length;
    const nPairs = (m * (m - 1)) / 2;
    const votes = new Int32Array(m);
    const out = new Int32Array(nRows);
    for (let i = 0; i < nRows; i++) {
      votes.fill(0);
      let p = 0;
      for (let a = 0; a < m; a++) for (let b = a + 1; b < m; b++) votes[dec[i * nPairs + p++] > 0 ? a : b]++;
      let best = 0;
      for (let c = 1; c < m; c++) if (votes[c] > votes[best]) best = c;
      out[i] = this.classes[best];
    }
    return out;
  }

  /**
   * One-vs-one votes as class scores, `nRows × nClasses`: each class's votes divided by the number of
   * pairs m(m − 1)/2, so a row sums to 1. Their first maximum is `predict`'s class
   * (ties go to the smaller class, as in `predict`); not calibrated probabilities.
   */
  voteShares(X: Features, nRows: number): Float64Array {
    const dec = this.decisionFunction(X, nRows);
    const { classes, nClasses } = this;
    const m = classes.length;
    const nPairs = (m * (m - 1)) / 2;
    const out = new Float64Array(nRows * nClasses);
    for (let i = 0; i < nRows; i++) {
      let p = 0;
      for (let a = 0; a < m; a++) for (let b = a + 1; b < m; b++) out[i * nClasses + classes[dec[i * nPairs + p++] > 0 ? a : b]] += 1 / nPairs;
    }
    return out;
  }

  /** Platt-scaled, pairwise-coupled probabilities; needs a model fitted with probability: true. */
  predictProba(X: Features, nRows: number): Float64Array {
    if (this.probA.length === 0) {
      throw new ParamError(KIND, "probability", "predictProba needs a model fitted with probability: true");
    }
    const dec = this.decisionFunction(X, nRows);
    const { classes, nClasses, probA, probB } = this;
    const m = classes.length;
    const nPairs = (m * (m - 1)) / 2;
    const proba = new Float64Array(nRows * nClasses);
    const r = new Float64Array(m * m);
    const p = new Float64Array(m);
    for (let i = 0; i < nRows; i++) {
      let q = 0;
      for (let a = 0; a < m; a++) {
        for (let b = a + 1; b < m; b++) {
          const rab = Math.min(Math.max(sigmoidPredict(dec[i * nPairs + q], probA[q], probB[q]), MIN_PROB), 1 - MIN_PROB);
          r[a * m + b] = rab;
          r[b * m + a] = 1 - rab;
          q++;
        }
      }
      if (m === 2) {
        p[0] = r[1];
        p[1] = r[2];
      } else {
        coupleProbabilities(m, r, p);
      }
      for (let c = 0; c < m; c++) proba[i * nClasses + classes[c]] = p[c];
    }
    return proba;
  }

  toJSON(): SavedClassifier {
    return {
      kind: KIND,
      version: 1,
      nCols: this.nCols,
      nClasses: this.nClasses,
      classes: jsonArray(this.classes),
      gamma: this.gamma,
      supportVectors: jsonArray(this.supportVectors),
      nSupport: jsonArray(this.nSupport),
      dualCoef: jsonArray(this.dualCoef),
      rho: jsonArray(this.rho),
      probA: jsonArray(this.probA),
      probB: jsonArray(this.probB),
    };
  }

  static fromJSON(json: unknown): SvmModel {
    const r = new SavedReader(KIND, 1, json);
    const classes = readClasses(r);
    const m = classes.length;
    const nSupport = r.int32("nSupport", m, 0, Number.MAX_SAFE_INTEGER);
    const nSV = nSupport.reduce((a, b) => a + b, 0);
    const nPairs = (m * (m - 1)) / 2;
    const gamma = r.number("gamma");
    if (!(gamma > 0)) throw r.error(`gamma=${gamma} is not positive`);
    const probA = r.float64("probA");
    if (probA.length !== 0 && probA.length !== nPairs) throw r.error(`probA holds ${probA.length} values, not 0 or ${nPairs}`);
    return new SvmModel(
      r.nCols,
      r.nClasses,
      classes,
      gamma,
      r.float64("supportVectors", nSV * r.nCols),
      nSupport,
      r.float64("dualCoef", (m - 1) * nSV),
      r.float64("rho", nPairs),
      probA,
      r.float64("probB", probA.length),
    );
  }
}

export function fitSvm(X: Features, nRows: number, nCols: number, y: Int32Array, nClasses: number, params: SvmParams = {}): SvmModel {
  checkKnownParams(KIND, params, ["C", "gamma", "tol", "cacheSize", "maxIter", "probability", "seed"]);
  const C = numberParam(KIND, params, "C", 1, { min: 0, exclusiveMin: true });
  const tol = numberParam(KIND, params, "tol", 1e-3, { min: 0, exclusiveMin: true });
  const cacheSize = numberParam(KIND, params, "cacheSize", 200, { min: 0, exclusiveMin: true });
  const maxIter = numberParam(KIND, params, "maxIter", -1, { min: -1, integer: true });
  if (maxIter === 0) throw new ParamError(KIND, "maxIter", "0 must be -1 (no limit) or >= 1");
  const probability = booleanParam(KIND, params, "probability", false);
  const seed = numberParam(KIND, params, "seed", 0, { integer: true });
  const counts = checkTrainingData(KIND, X, nRows, nCols, y, nClasses);
  const data = toFloat64(X);
  const gamma = gammaOf(params.gamma, data, nCols);
  const { classes } = presentClasses(counts);
  const m = classes.length;

  // Rows of each fitted class, in their original order (libsvm groups them so).
  const members = Array.from(classes, (c) => {
    const rows: number[] = [];
    for (let i = 0; i < nRows; i++) if (y[i] === c) rows.push(i);
    return Int32Array.from(rows);
  });
  const solver = new Smo(C, tol, maxIter);
  const random = mulberry32(seed);
  const nPairs = (m * (m - 1)) / 2;
  const rho = new Float64Array(nPairs);
  const probA = new Float64Array(probability ? nPairs : 0);
  const probB = new Float64Array(probability ? nPairs : 0);
  /** Per pair: its rows (a's then b's) and their y·α. */
  const pairCoef: Float64Array[] = [];
  const isSupport = new Uint8Array(nRows);
  let p = 0;
  for (let a = 0; a < m; a++) {
    for (let b = a + 1; b < m; b++) {
      const rows = concat(members[a], members[b]);
      const l = rows.length;
      const labels = new Int8Array(l);
      labels.fill(1, 0, members[a].length);
      labels.fill(-1, members[a].length);
      const pairData = new Float64Array(l * nCols);
      for (let t = 0; t < l; t++) pairData.set(data.subarray(rows[t] * nCols, (rows[t] + 1) * nCols), t * nCols);
      const kernel = new KernelRows(pairData, l, nCols, gamma, cacheSize * 2 ** 20);
      const all = Int32Array.from({ length: l }, (_, t) => t);
      if (probability) [probA[p], probB[p]] = plattFromFolds(solver, kernel, labels, random);
      const fit = solver.solve(kernel, all, labels);
      rho[p] = fit.rho;
      for (let t = 0; t < rows.length; t++) if (fit.coef[t] !== 0) isSupport[rows[t]] = 1;
      pairCoef.push(fit.coef);
      p++;
    }
  }

  // Support vectors grouped by class; libsvm's coefficient layout.
  const nSupport = new Int32Array(m);
  const svIndex = new Int32Array(nRows).fill(-1);
  const svRows: number[] = [];
  for (let c = 0; c < m; c++) {
    for (const r of members[c]) {
      if (!isSupport[r]) continue;
      svIndex[r] = svRows.length;
      svRows.push(r);
      nSupport[c]++;
    }
  }
  const nSV = svRows.length;
  const supportVectors = new Float64Array(nSV * nCols);
  svRows.forEach((r, s) => supportVectors.set(data.subarray(r * nCols, (r + 1) * nCols), s * nCols));
  const dualCoef = new Float64Array(Math.max(1, m - 1) * nSV);
  p = 0;
  for (let a = 0; a < m; a++) {
    for (let b = a + 1; b < m; b++) {
      const coef = pairCoef[p++];
      const na = members[a].length;
      for (let t = 0; t < na; t++) if (coef[t] !== 0) dualCoef[(b - 1) * nSV + svIndex[members[a][t]]] = coef[t];
      for (let t = 0; t < members[b].length; t++) if (coef[na + t] !== 0) dualCoef[a * nSV + svIndex[members[b][t]]] = coef[na + t];
    }
  }
  return new SvmModel(nCols, nClasses, classes, gamma, supportVectors, nSupport, dualCoef, rho, probA, probB);
}

function gammaOf(value: SvmParams["gamma"], data: Float64Array, nCols: number): number {
  if (value === undefined || value === "scale") {
    let mean = 0;
    for (let i = 0; i < data.length; i++) mean += data[i];
    mean /= data.length;
    let variance = 0;
    for (let i = 0; i < data.length; i++) variance += (data[i] - mean) ** 2;
    variance /= data.length;
    return variance > 0 ? 1 / (nCols * variance) : 1;
  }
  if (value === "auto") return 1 / nCols;
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return value;
  throw new ParamError(KIND, "gamma", `${JSON.stringify(value)} is not "scale", "auto" or a positive number`);
}

function concat(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Rows of the RBF kernel matrix over a set of rows, K(x_i, ·), computed on demand and kept in a
 * least-recently-used cache of at most `budgetBytes` (never fewer than two rows: SMO holds two).
 */
class KernelRows {
  private readonly capacity: number;
  /** Row storage of each slot, allocated when the slot is first used. */
  private readonly slots: Float32Array[] = [];
  private readonly slotOf: Int32Array;
  private readonly rowOf: Int32Array;
  /** LRU order: a doubly linked list of slots, `head` the least recently used. */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1;
  private tail = -1;
  private used = 0;
  private readonly norms: Float64Array;
  private readonly dots: Float64Array;

  constructor(
    private readonly data: Float64Array,
    private readonly n: number,
    private readonly d: number,
    private readonly gamma: number,
    budgetBytes: number,
  ) {
    this.capacity = Math.max(2, Math.min(n, Math.floor(budgetBytes / (4 * n))));
    this.slotOf = new Int32Array(n).fill(-1);
    this.rowOf = new Int32Array(this.capacity).fill(-1);
    this.prev = new Int32Array(this.capacity).fill(-1);
    this.next = new Int32Array(this.capacity).fill(-1);
    this.norms = rowNorms(data, n, d);
    this.dots = new Float64Array(n);
  }

  row(i: number): Float32Array {
    let slot = this.slotOf[i];
    if (slot >= 0) {
      this.unlink(slot);
      this.append(slot);
      return this.slots[slot];
    }
    if (this.used < this.capacity) {
      slot = this.used++;
      this.slots.push(new Float32Array(this.n));
    } else {
      slot = this.head;
      this.unlink(slot);
      this.slotOf[this.rowOf[slot]] = -1;
    }
    this.slotOf[i] = slot;
    this.rowOf[slot] = i;
    this.append(slot);
    const out = this.slots[slot];
    const { dots, norms, gamma, n } = this;
    dotRows(this.data, i, this.data, 0, n, this.d, dots, 0);
    const ni = norms[i];
    for (let t = 0; t < n; t++) out[t] = Math.exp(-gamma * Math.max(0, ni + norms[t] - 2 * dots[t]));
    out[i] = 1;
    return out;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot], q = this.next[slot];
    if (p >= 0) this.next[p] = q;
    else this.head = q;
    if (q >= 0) this.prev[q] = p;
    else this.tail = p;
    this.prev[slot] = this.next[slot] = -1;
  }

  private append(slot: number): void {
    this.prev[slot] = this.tail;
    this.next[slot] = -1;
    if (this.tail >= 0) this.next[this.tail] = slot;
    else this.head = slot;
    this.tail = slot;
  }
}

interface BinaryFit {
  /** y_t·α_t per row of the subproblem. */
  readonly coef: Float64Array;
  readonly rho: number;
}

/** libsvm's Solver for C-SVC on a subset `rows` of a kernel's rows. */
class Smo {
  constructor(
    private readonly C: number,
    private readonly tol: number,
    private readonly maxIter: number,
  ) {}

  solve(kernel: KernelRows, rows: Int32Array, y: Int8Array): BinaryFit {
    const { C, tol } = this;
    const l = rows.length;
    const alpha = new Float64Array(l);
    // ∇ = Qα − e, which is −e at α = 0.
    const G = new Float64Array(l).fill(-1);
    const limit = this.maxIter > 0 ? this.maxIter : Math.max(10_000_000, 100 * l);
    for (let iter = 0; iter < limit; iter++) {
      // i: the most violating index that can move up (y = +1, α < C) or down (y = −1, α > 0).
      let gMax = -Infinity, i = -1;
      for (let t = 0; t < l; t++) {
        if (y[t] === 1) {
          if (alpha[t] < C && -G[t] >= gMax) {
            gMax = -G[t];
            i = t;
          }
        } else if (alpha[t] > 0 && G[t] >= gMax) {
          gMax = G[t];
          i = t;
        }
      }
      if (i < 0) break;
      const Ki = kernel.row(rows[i]);
      const yi = y[i];
      // j: the partner of largest second-order decrease −(b_ij)² / a_ij (K(x, x) = 1 for the RBF kernel).
      let gMax2 = -Infinity, j = -1, objMin = Infinity;
      for (let t = 0; t < l; t++) {
        let gradDiff: number;
        if (y[t] === 1) {
          if (!(alpha[t] > 0)) continue;
          if (G[t] >= gMax2) gMax2 = G[t];
          gradDiff = gMax + G[t];
        } else {
          if (!(alpha[t] < C)) continue;
          if (-G[t] >= gMax2) gMax2 = -G[t];
          gradDiff = gMax - G[t];
        }
        if (gradDiff > 0) {
          let quad = 2 - 2 * Ki[rows[t]];
          if (quad <= 0) quad = TAU;
          const obj = -(gradDiff * gradDiff) / quad;
          if (obj <= objMin) {
            objMin = obj;
            j = t;
          }
        }
      }
      if (gMax + gMax2 < tol || j < 0) break;
      const Kj = kernel.row(rows[j]);
      const yj = y[j];
      const kij = Ki[rows[j]];
      const oldAi = alpha[i], oldAj = alpha[j];
      let ai = oldAi, aj = oldAj;
      let quad = 2 - 2 * kij;
      if (quad <= 0) quad = TAU;
      if (yi !== yj) {
        const delta = (-G[i] - G[j]) / quad;
        const diff = ai - aj;
        ai += delta;
        aj += delta;
        if (diff > 0) {
          if (aj < 0) {
            aj = 0;
            ai = diff;
          }
        } else if (ai < 0) {
          ai = 0;
          aj = -diff;
        }
        if (diff > 0) {
          if (ai > C) {
            ai = C;
            aj = C - diff;
          }
        } else if (aj > C) {
          aj = C;
          ai = C + diff;
        }
      } else {
        const delta = (G[i] - G[j]) / quad;
        const sum = ai + aj;
        ai -= delta;
        aj += delta;
        if (sum > C) {
          if (ai > C) {
            ai = C;
            aj = sum - C;
          }
        } else if (aj < 0) {
          aj = 0;
          ai = sum;
        }
        if (sum > C) {
          if (aj > C) {
            aj = C;
            ai = sum - C;
          }
        } else if (ai < 0) {
          ai = 0;
          aj = sum;
        }
      }
      alpha[i] = ai;
      alpha[j] = aj;
      // ∇_t += Q_ti Δα_i + Q_tj Δα_j, Q_ts = y_t y_s K_ts.
      const di = yi * (ai - oldAi), dj = yj * (aj - oldAj);
      for (let t = 0; t < l; t++) {
        const r = rows[t];
        G[t] += y[t] * (di * Ki[r] + dj * Kj[r]);
      }
    }
    return { coef: Float64Array.from(alpha, (a, t) => y[t] * a), rho: this.rho(alpha, G, y) };
  }

  /** ρ: the mean of y∇ over free α; without free α, the middle of the feasible interval. */
  private rho(alpha: Float64Array, G: Float64Array, y: Int8Array): number {
    const C = this.C;
    let ub = Infinity, lb = -Infinity, nFree = 0, sumFree = 0;
    for (let t = 0; t < alpha.length; t++) {
      const yG = y[t] * G[t];
      if (alpha[t] >= C) {
        if (y[t] === -1) ub = Math.min(ub, yG);
        else lb = Math.max(lb, yG);
      } else if (alpha[t] <= 0) {
        if (y[t] === 1) ub = Math.min(ub, yG);
        else lb = Math.max(lb, yG);
      } else {
        nFree++;
        sumFree += yG;
      }
    }
    return nFree > 0 ? sumFree / nFree : (ub + lb) / 2;
  }
}

/** libsvm's svm_binary_svc_probability: Platt's A, B from 5-fold cross-validated decision values. */
function plattFromFolds(solver: Smo, kernel: KernelRows, y: Int8Array, random: () => number): [number, number] {
  const l = y.length;
  const perm = Int32Array.from({ length: l }, (_, i) => i);
  for (let i = 0; i < l; i++) {
    const j = i + Math.floor(random() * (l - i));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  const dec = new Float64Array(l);
  for (let fold = 0; fold < FOLDS; fold++) {
    const begin = Math.floor((fold * l) / FOLDS);
    const end = Math.floor(((fold + 1) * l) / FOLDS);
    const trainIdx: number[] = [];
    for (let t = 0; t < l; t++) if (t < begin || t >= end) trainIdx.push(perm[t]);
    let positives = 0;
    for (const t of trainIdx) if (y[t] === 1) positives++;
    const negatives = trainIdx.length - positives;
    if (positives === 0 || negatives === 0) {
      for (let t = begin; t < end; t++) dec[perm[t]] = positives > 0 ? 1 : negatives > 0 ? -1 : 0;
      continue;
    }
    const subRows = Int32Array.from(trainIdx);
    const subY = Int8Array.from(trainIdx, (t) => y[t]);
    const fit = solver.solve(kernel, subRows, subY);
    for (let t = begin; t < end; t++) {
      const K = kernel.row(perm[t]);
      let sum = -fit.rho;
      for (let s = 0; s < subRows.length; s++) if (fit.coef[s] !== 0) sum += fit.coef[s] * K[subRows[s]];
      dec[perm[t]] = sum;
    }
  }
  return sigmoidTrain(dec, y);
}

/** Platt's sigmoid fit with Lin, Lin & Weng's Newton method and backtracking (libsvm's sigmoid_train). */
function sigmoidTrain(dec: Float64Array, y: Int8Array): [number, number] {
  const l = dec.length;
  let prior1 = 0;
  for (let i = 0; i < l; i++) if (y[i] > 0) prior1++;
  const prior0 = l - prior1;
  const maxIter = 100, minStep = 1e-10, sigma = 1e-12, eps = 1e-5;
  const hiTarget = (prior1 + 1) / (prior1 + 2), loTarget = 1 / (prior0 + 2);
  const t = Float64Array.from(y, (v) => (v > 0 ? hiTarget : loTarget));
  let A = 0, B = Math.log((prior0 + 1) / (prior1 + 1));
  const objective = (a: number, b: number) => {
    let f = 0;
    for (let i = 0; i < l; i++) {
      const fApB = dec[i] * a + b;
      f += fApB >= 0 ? t[i] * fApB + Math.log1p(Math.exp(-fApB)) : (t[i] - 1) * fApB + Math.log1p(Math.exp(fApB));
    }
    return f;
  };
  let fval = objective(A, B);
  for (let iter = 0; iter < maxIter; iter++) {
    let h11 = sigma, h22 = sigma, h21 = 0, g1 = 0, g2 = 0;
    for (let i = 0; i < l; i++) {
      const fApB = dec[i] * A + B;
      let p: number, q: number;
      if (fApB >= 0) {
        const e = Math.exp(-fApB);
        p = e / (1 + e);
        q = 1 / (1 + e);
      } else {
        const e = Math.exp(fApB);
        p = 1 / (1 + e);
        q = e / (1 + e);
      }
      const d2 = p * q;
      h11 += dec[i] * dec[i] * d2;
      h22 += d2;
      h21 += dec[i] * d2;
      const d1 = t[i] - p;
      g1 += dec[i] * d1;
      g2 += d1;
    }
    if (Math.abs(g1) < eps && Math.abs(g2) < eps) break;
    const det = h11 * h22 - h21 * h21;
    const dA = -(h22 * g1 - h21 * g2) / det;
    const dB = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * dA + g2 * dB;
    let step = 1;
    while (step >= minStep) {
      const newA = A + step * dA, newB = B + step * dB;
      const newF = objective(newA, newB);
      if (newF < fval + 0.0001 * step * gd) {
        A = newA;
        B = newB;
        fval = newF;
        break;
      }
      step /= 2;
    }
    if (step < minStep) break;
  }
  return [A, B];
}

function sigmoidPredict(decision: number, A: number, B: number): number {
  const fApB = decision * A + B;
  return fApB >= 0 ? Math.exp(-fApB) / (1 + Math.exp(-fApB)) : 1 / (1 + Math.exp(fApB));
}

/**
 * Wu, Lin & Weng's method 2 (libsvm's multiclass_probability): the p minimising
 * Σ_a Σ_{b≠a} (r_ba p_a − r_ab p_b)² on the simplex, by cyclic coordinate updates. r is m × m.
 */
function coupleProbabilities(m: number, r: Float64Array, p: Float64Array): void {
  const Q = new Float64Array(m * m);
  const Qp = new Float64Array(m);
  const maxIter = Math.max(100, m);
  const eps = 0.005 / m;
  for (let t = 0; t < m; t++) {
    p[t] = 1 / m;
    Q[t * m + t] = 0;
    for (let j = 0; j < t; j++) {
      Q[t * m + t] += r[j * m + t] * r[j * m + t];
      Q[t * m + j] = Q[j * m + t];
    }
    for (let j = t + 1; j < m; j++) {
      Q[t * m + t] += r[j * m + t] * r[j * m + t];
      Q[t * m + j] = -r[j * m + t] * r[t * m + j];
    }
  }
  for (let iter = 0; iter < maxIter; iter++) {
    let pQp = 0;
    for (let t = 0; t < m; t++) {
      Qp[t] = 0;
      for (let j = 0; j < m; j++) Qp[t] += Q[t * m + j] * p[j];
      pQp += p[t] * Qp[t];
    }
    let maxError = 0;
    for (let t = 0; t < m; t++) maxError = Math.max(maxError, Math.abs(Qp[t] - pQp));
    if (maxError < eps) break;
    for (let t = 0; t < m; t++) {
      const diff = (-Qp[t] + pQp) / Q[t * m + t];
      p[t] += diff;
      pQp = (pQp + diff * (diff * Q[t * m + t] + 2 * Qp[t])) / (1 + diff) / (1 + diff);
      for (let j = 0; j < m; j++) {
        Qp[j] = (Qp[j] + diff * Q[t * m + j]) / (1 + diff);
        p[j] /= 1 + diff;
      }
    }
  }
}
