/**
 * Points of many dimensions drawn in 2 or 3: PCA (ml-pca's SVD, each component's sign fixed as
 * scikit-learn's `svd_flip` fixes it, so the scores equal `sklearn.decomposition.PCA`'s), t-SNE
 * (tsne.ts) and UMAP (umap-js, every random draw — its nearest-neighbour trees and its starting
 * layout — from the seed). umap-js starts from a random layout where the reference Python UMAP starts
 * from a spectral one, so its pictures are UMAP's in kind, not the same points. How faithfully a
 * picture keeps neighbourhoods is its `trustworthiness` (`sklearn.manifold.trustworthiness`).
 */
import { mulberry32 } from "../random.ts";
import type { Matrix } from "./stats.ts";
import { squaredDistances, tsne } from "./tsne.ts";

export type ProjectionMethod = "pca" | "tsne" | "umap";
export const PROJECTION_METHODS: readonly ProjectionMethod[] = ["pca", "tsne", "umap"];

export interface Pca {
  /** Scores `[n, components]`. */
  readonly scores: Float64Array;
  readonly components: number;
  /** Each component's share of the total variance (scikit-learn's `explained_variance_ratio_`). */
  readonly explained: number[];
}

function rows(x: Matrix): number[][] {
  const [n, d] = x.shape;
  return Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => Number(x.data[i * d + j])));
}

/** Principal components of the rows of `x` (centred, not scaled). */
export async function pca(x: Matrix, components: number): Promise<Pca> {
  const [n, d] = x.shape;
  const { PCA } = await import("ml-pca");
  const model = new PCA(rows(x), { center: true, scale: false });
  const k = Math.min(components, d, n);
  const projected = model.predict(rows(x), { nComponents: k }).to2DArray();
  const scores = new Float64Array(n * components);
  for (let c = 0; c < k; c++) {
    // scikit-learn's sign: the score of largest magnitude is positive.
    let extreme = 0;
    for (let i = 0; i < n; i++) if (Math.abs(projected[i][c]) > Math.abs(extreme)) extreme = projected[i][c];
    const sign = extreme < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) scores[i * components + c] = sign * projected[i][c];
  }
  const explained = model.getExplainedVariance().slice(0, components);
  while (explained.length < components) explained.push(0);
  return { scores, components, explained };
}

export interface UmapOptions {
  readonly dims?: number;
  /** Default 15 (at most n − 1). */
  readonly neighbours?: number;
  /** Default 0.1. */
  readonly minDist?: number;
  readonly seed?: number;
}

/** The UMAP embedding `[n, dims]` of the rows of `x`, every random draw from `seed`. */
export async function umap(x: Matrix, options: UmapOptions = {}): Promise<Float64Array> {
  const [n] = x.shape;
  const dims = options.dims ?? 2;
  if (n < 3) return new Float64Array(n * dims);
  const { UMAP } = await import("umap-js");
  const model = new UMAP({
    nComponents: dims,
    nNeighbors: Math.max(2, Math.min(options.neighbours ?? 15, n - 1)),
    minDist: options.minDist ?? 0.1,
    random: mulberry32(options.seed ?? 0),
  });
  const embedding = model.fit(rows(x));
  return Float64Array.from(embedding.flat());
}

export interface ProjectOptions {
  readonly dims: number;
  readonly seed: number;
  /** t-SNE's perplexity (default 30). */
  readonly perplexity?: number;
  /** UMAP's neighbours (default 15). */
  readonly neighbours?: number;
}

/** `x` drawn in `options.dims` dimensions by `method`. */
export async function project(x: Matrix, method: ProjectionMethod, options: ProjectOptions): Promise<Float64Array> {
  switch (method) {
    case "pca":
      return (await pca(x, options.dims)).scores;
    case "tsne": {
      const start = await pca(x, options.dims);
      return tsne(x, { dims: options.dims, seed: options.seed, pcaScores: { data: start.scores, shape: [x.shape[0], options.dims] }, ...(options.perplexity !== undefined ? { perplexity: options.perplexity } : {}) });
    }
    case "umap":
      return umap(x, { dims: options.dims, seed: options.seed, ...(options.neighbours !== undefined ? { neighbours: options.neighbours } : {}) });
  }
}

/** Indices of the rows ordered by distance from row i (row i left out; ties by index). */
function neighbourOrder(distances: Float64Array, n: number, i: number): Int32Array {
  const order = Int32Array.from({ length: n - 1 }, (_, j) => (j < i ? j : j + 1));
  return order.sort((a, b) => distances[i * n + a] - distances[i * n + b] || a - b);
}

/**
 * How much a low-dimensional picture `embedded` keeps the neighbourhoods of `x` (1: every point's
 * `k` nearest neighbours in the picture are among its nearest in the data), as
 * `sklearn.manifold.trustworthiness(x, embedded, n_neighbors=k)` computes it.
 */
export function trustworthiness(x: Matrix, embedded: Matrix, k = 5): number {
  const [n] = x.shape;
  if (embedded.shape[0] !== n) throw new RangeError(`${n} points but ${embedded.shape[0]} embedded`);
  if (!(k < n / 2)) throw new RangeError(`trustworthiness: ${k} neighbours need more than ${2 * k} points, got ${n}`);
  const original = squaredDistances(x);
  const low = squaredDistances(embedded);
  const rank = new Int32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const order = neighbourOrder(original, n, i);
    order.forEach((j, r) => (rank[j] = r + 1));
    const near = neighbourOrder(low, n, i);
    for (let r = 0; r < k; r++) {
      const excess = rank[near[r]] - k;
      if (excess > 0) sum += excess;
    }
  }
  return 1 - sum * (2 / (n * k * (2 * n - 3 * k - 1)));
}
