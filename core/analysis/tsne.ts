/**
 * Exact t-SNE (van der Maaten and Hinton 2008) as scikit-learn's `TSNE(method="exact")` runs it:
 * Gaussian affinities whose bandwidths are found by binary search for the perplexity, symmetrised;
 * a Student-t kernel with max(dims − 1, 1) degrees of freedom in the embedding; gradient descent
 * with momentum (0.5, then 0.8) and per-coordinate gains, the affinities exaggerated 12-fold for the
 * first 250 iterations, learning rate max(n / 48, 50). It starts from the data's PCA scaled to a
 * standard deviation of 1e-4 (scikit-learn's default), so it draws nothing at random unless asked
 * to start from random points. O(n²) per iteration: a few thousand points at most.
 */
import { mulberry32 } from "../random.ts";
import { gaussian, type Matrix } from "./stats.ts";

export interface TsneOptions {
  /** 2 or 3 (default 2). */
  readonly dims?: number;
  /** Effective number of neighbours (default 30; at most (n − 1) / 3). */
  readonly perplexity?: number;
  /** Iterations (default 1000). */
  readonly iterations?: number;
  /** Start from the data's first principal components (default) or from random points drawn from `seed`. */
  readonly init?: "pca" | "random";
  readonly seed?: number;
  /** Principal component scores of the data, when the caller has them (`init: "pca"`). */
  readonly pcaScores?: Matrix;
}

const EPSILON = 2.220446049250313e-16;
const EXAGGERATION = 12;
const EXPLORATION = 250;

/** Squared Euclidean distances between the rows of `[n, d]`. */
export function squaredDistances(x: Matrix): Float64Array {
  const [n, d] = x.shape;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const v = x.data[i * d + k] - x.data[j * d + k];
        s += v * v;
      }
      out[i * n + j] = out[j * n + i] = s;
    }
  }
  return out;
}

/** Conditional affinities p(j|i) with each row's bandwidth set for `perplexity` (scikit-learn's binary search). */
function conditionalAffinities(distances: Float64Array, n: number, perplexity: number): Float64Array {
  const p = new Float64Array(n * n);
  const target = Math.log(perplexity);
  for (let i = 0; i < n; i++) {
    let beta = 1;
    let lo = -Infinity;
    let hi = Infinity;
    for (let step = 0; step < 100; step++) {
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const v = j === i ? 0 : Math.exp(-distances[i * n + j] * beta);
        p[i * n + j] = v;
        sum += v;
      }
      if (sum === 0) sum = EPSILON;
      let weighted = 0;
      for (let j = 0; j < n; j++) {
        p[i * n + j] /= sum;
        weighted += distances[i * n + j] * p[i * n + j];
      }
      const entropy = Math.log(sum) + beta * weighted;
      const diff = entropy - target;
      if (Math.abs(diff) <= 1e-5) break;
      if (diff > 0) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
      }
    }
  }
  return p;
}

/**
 * The KL gradient (without its constant factor) of embedding `y`, into `grad`, in one pass over the
 * pairs: with the Student-t kernel w_ij and its normaliser Z = Σ w, the gradient of point i is
 * Σ_j (e·p_ij − w_ij / Z) w_ij (y_i − y_j); the attractive sum (p w) and the repulsive one (w²) are
 * gathered apart and joined once Z is known. (scikit-learn clamps q = w / Z below at 2.2e-16; a pair
 * that far away adds nothing either way.)
 */
function gradient(y: Float64Array, p: Float64Array, n: number, dims: number, dof: number, exaggeration: number, grad: Float64Array, repulsion: Float64Array): void {
  grad.fill(0);
  repulsion.fill(0);
  let total = 0;
  const diff = new Float64Array(dims);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < dims; k++) {
        diff[k] = y[i * dims + k] - y[j * dims + k];
        s += diff[k] * diff[k];
      }
      // (1 + s/dof)^(-(dof + 1)/2), for the degrees of freedom 2-D (1) and 3-D (2) use.
      let w: number;
      if (dof === 1) w = 1 / (1 + s);
      else if (dof === 2) {
        const b = 1 + s / 2;
        w = 1 / (b * Math.sqrt(b));
      } else w = Math.pow(1 + s / dof, (dof + 1) / -2);
      total += 2 * w;
      const attract = exaggeration * p[i * n + j] * w;
      const repel = w * w;
      for (let k = 0; k < dims; k++) {
        grad[i * dims + k] += attract * diff[k];
        grad[j * dims + k] -= attract * diff[k];
        repulsion[i * dims + k] += repel * diff[k];
        repulsion[j * dims + k] -= repel * diff[k];
      }
    }
  }
  for (let i = 0; i < n * dims; i++) grad[i] -= repulsion[i] / total;
}

/** The t-SNE embedding `[n, dims]` of the rows of `x`. */
export function tsne(x: Matrix, options: TsneOptions = {}): Float64Array {
  const [n] = x.shape;
  const dims = options.dims ?? 2;
  if (n < 2) return new Float64Array(n * dims);
  const perplexity = Math.min(options.perplexity ?? 30, Math.max(1, (n - 1) / 3));
  const iterations = options.iterations ?? 1000;
  const dof = Math.max(dims - 1, 1);

  const conditional = conditionalAffinities(squaredDistances(x), n, perplexity);
  const p = new Float64Array(n * n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = conditional[i * n + j] + conditional[j * n + i];
      p[i * n + j] = v;
      sum += v;
    }
  }
  for (let i = 0; i < n * n; i++) p[i] = Math.max(p[i] / sum, EPSILON);
  for (let i = 0; i < n; i++) p[i * n + i] = 0;

  const y = new Float64Array(n * dims);
  if ((options.init ?? "pca") === "pca" && options.pcaScores) {
    const scores = options.pcaScores;
    const width = scores.shape[1];
    let mean = 0;
    for (let i = 0; i < n; i++) mean += scores.data[i * width];
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (scores.data[i * width] - mean) ** 2;
    const std = Math.sqrt(variance / n) || 1;
    for (let i = 0; i < n; i++) for (let k = 0; k < dims; k++) y[i * dims + k] = k < width ? (scores.data[i * width + k] / std) * 1e-4 : 0;
  } else {
    const normal = gaussian(mulberry32(options.seed ?? 0));
    for (let i = 0; i < n * dims; i++) y[i] = 1e-4 * normal();
  }

  const learningRate = Math.max(n / EXAGGERATION / 4, 50);
  const factor = (2 * (dof + 1)) / dof;
  const update = new Float64Array(n * dims);
  const gains = new Float64Array(n * dims).fill(1);
  const grad = new Float64Array(n * dims);
  const repulsion = new Float64Array(n * dims);
  for (let it = 0; it < iterations; it++) {
    const exaggeration = it < EXPLORATION ? EXAGGERATION : 1;
    const momentum = it < EXPLORATION ? 0.5 : 0.8;
    gradient(y, p, n, dims, dof, exaggeration, grad, repulsion);
    let norm = 0;
    for (let i = 0; i < n * dims; i++) {
      const g = grad[i] * factor;
      norm += g * g;
      gains[i] = update[i] * g < 0 ? gains[i] + 0.2 : Math.max(gains[i] * 0.8, 0.01);
      update[i] = momentum * update[i] - learningRate * gains[i] * g;
      y[i] += update[i];
    }
    if (Math.sqrt(norm) < 1e-7) break;
  }
  return y;
}
