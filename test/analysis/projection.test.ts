/**
 * Projections against scikit-learn: PCA's scores and explained variance equal
 * `sklearn.decomposition.PCA`'s (to 1e-6, signs included); t-SNE and UMAP keep the neighbourhoods of
 * a clustered set (trustworthiness ≥ 0.9, computed by scikit-learn), and clave's trustworthiness is
 * scikit-learn's; the same seed draws the same picture.
 */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pca, project, trustworthiness } from "../../core/analysis/projection.ts";
import { tsne } from "../../core/analysis/tsne.ts";
import { mulberry32 } from "../../core/random.ts";
import { python, tempDir } from "../helpers.ts";

const dir = tempDir("clave-projection-");

/** `n` points in `d` dimensions around `k` centres (class c shifted on the dimensions ≡ c mod k), with unequal spreads. */
function clusters(n: number, d: number, k: number, seed: number) {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] = (1 + j / d) * normal() + (j % k === i % k ? 5 : 0) + 0.3 * j;
  return { data, shape: [n, d] as [number, number] };
}

function sklearnCheck(name: string, x: { data: Float64Array; shape: [number, number] }, payload: Record<string, unknown>, code: string): Record<string, unknown> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ X: Array.from(x.data), ...payload }));
  return JSON.parse(
    python(`
import json, numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness
d = json.load(open(${JSON.stringify(file)}))
X = np.array(d["X"]).reshape(${x.shape[0]}, ${x.shape[1]})
${code}`),
  );
}

describe("PCA", () => {
  test("scores and explained variance equal scikit-learn's, signs included", async () => {
    const x = clusters(120, 9, 3, 1);
    const ours = await pca(x, 4);
    const ref = sklearnCheck("pca", x, {}, `p = PCA(4).fit(X)\nprint(json.dumps({"scores": p.transform(X).ravel().tolist(), "ratio": p.explained_variance_ratio_.tolist()}))`) as { scores: number[]; ratio: number[] };
    let worst = 0;
    ref.scores.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ours.scores[i]))));
    expect(worst).toBeLessThan(1e-6);
    ref.ratio.forEach((r, i) => expect(Math.abs(r - ours.explained[i])).toBeLessThan(1e-9));
  });

  test("more components than the data has: the missing ones are zero", async () => {
    const x = { data: Float64Array.from([1, 2, 3, 4, 5, 7]), shape: [3, 2] as [number, number] };
    const out = await pca(x, 3);
    expect(out.explained[2]).toBe(0);
    expect(out.explained[0] + out.explained[1]).toBeCloseTo(1, 9);
    for (let i = 0; i < 3; i++) expect(out.scores[i * 3 + 2]).toBe(0);
  });
});

describe("t-SNE and UMAP", () => {
  const x = clusters(150, 12, 4, 3);
  const n = x.shape[0];

  test("keep the neighbourhoods of a clustered set: trustworthiness ≥ 0.9 by scikit-learn, and clave's equals it", async () => {
    const pictures: Record<string, number[]> = {};
    const ours: Record<string, number> = {};
    for (const method of ["tsne", "umap", "pca"] as const) {
      for (const dims of [2, 3]) {
        const y = await project(x, method, { dims, seed: 4 });
        pictures[`${method}${dims}`] = Array.from(y);
        ours[`${method}${dims}`] = trustworthiness(x, { data: y, shape: [n, dims] }, 5);
      }
    }
    const ref = sklearnCheck("trust", x, { pictures }, `print(json.dumps({k: trustworthiness(X, np.array(v).reshape(${n}, -1), n_neighbors=5) for k, v in d["pictures"].items()}))`) as Record<string, number>;
    for (const key of Object.keys(pictures)) {
      expect(Math.abs(ours[key] - ref[key])).toBeLessThan(1e-12);
      if (!key.startsWith("pca")) expect(ref[key]).toBeGreaterThanOrEqual(0.9);
    }
  }, 60_000);

  test("t-SNE reaches the Kullback–Leibler divergence scikit-learn's exact t-SNE reaches (within 10%, by its own measure)", async () => {
    const y = await project(x, "tsne", { dims: 2, seed: 0 });
    const ref = sklearnCheck("kl", x, { Y: Array.from(y) }, `
from sklearn.manifold import TSNE
from sklearn.manifold._t_sne import _joint_probabilities, _kl_divergence
from sklearn.metrics import pairwise_distances
Y = np.array(d["Y"]).reshape(${n}, 2)
theirs = TSNE(2, method="exact", init="pca", learning_rate="auto", perplexity=30, random_state=0).fit(X).kl_divergence_
P = _joint_probabilities(pairwise_distances(X, squared=True), 30, 0)
print(json.dumps({"theirs": float(theirs), "ours": float(_kl_divergence(Y.ravel(), P, 1, ${n}, 2)[0])}))`) as { theirs: number; ours: number };
    expect(ref.ours).toBeLessThan(ref.theirs * 1.1);
  }, 60_000);

  test("the same seed draws the same picture; UMAP's differs with the seed", async () => {
    for (const method of ["tsne", "umap"] as const) {
      const a = await project(x, method, { dims: 2, seed: 11 });
      const b = await project(x, method, { dims: 2, seed: 11 });
      expect(Array.from(a)).toEqual(Array.from(b));
    }
    const c = await project(x, "umap", { dims: 2, seed: 12 });
    const a = await project(x, "umap", { dims: 2, seed: 11 });
    expect(Array.from(a)).not.toEqual(Array.from(c));
  }, 60_000);

  test("t-SNE from random points (seeded) also separates the clusters", () => {
    const y = tsne(x, { dims: 2, init: "random", seed: 5, iterations: 500 });
    expect(trustworthiness(x, { data: y, shape: [n, 2] })).toBeGreaterThan(0.9);
    expect(y.every(Number.isFinite)).toBe(true);
  });

  test("trustworthiness: a picture that is the data itself scores 1; a shuffled one scores near 0.5", () => {
    expect(trustworthiness(x, x)).toBeCloseTo(1, 12);
    const random = mulberry32(1);
    const shuffled = Float64Array.from({ length: n * 2 }, () => random());
    expect(trustworthiness(x, { data: shuffled, shape: [n, 2] })).toBeLessThan(0.6);
    expect(() => trustworthiness(x, { data: shuffled, shape: [n - 1, 2] })).toThrow(RangeError);
  });
});
