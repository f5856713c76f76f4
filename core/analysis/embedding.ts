/**
 * `embedding`: a run's tracks (or segments) drawn in 2-D and 3-D by PCA, t-SNE and UMAP, coloured by
 * label — from their feature aggregates or from the model's own vectors (the input of its
 * classifier, the token CNN's embeddings, the autoencoder's codes). Each picture's trustworthiness
 * says how well it keeps the neighbourhoods of the vectors; PCA's explained variance says how much of
 * their spread its axes hold. The same seed draws the same pictures.
 */
import * as aq from "arquero";
import { z } from "zod";
import type { Chart } from "../charts/chart.ts";
import { embeddingChart } from "../charts/embedding.ts";
import { explainedVarianceChart } from "../charts/variance.ts";
import { mulberry32 } from "../random.ts";
import { defineAnalysis, runAnalysis, type AnalysisOptions, type AnalysisResult } from "./analysis.ts";
import { collectVectors, levelParam, sourceParam, splitParam, splitText, standardizeColumns, type LabelledVectors } from "./data.ts";
import { PROJECTION_METHODS, pca, project, trustworthiness, type ProjectionMethod } from "./projection.ts";

const METHOD_TITLES: Record<ProjectionMethod, string> = { pca: "PCA", tsne: "t-SNE", umap: "UMAP" };

export const embeddingParams = z.object({
  source: sourceParam,
  split: splitParam.default("test").describe("tracks of this split (or all)"),
  level: levelParam.default("segment").describe("a point per segment, or per track (its segments' mean)"),
  methods: z.array(z.enum(["pca", "tsne", "umap"])).min(1).default(["pca", "tsne", "umap"]).describe("projections to draw"),
  dims: z.array(z.union([z.literal(2), z.literal(3)])).min(1).default([2, 3]).describe("2, 3 or both"),
  seed: z.number().int().min(0).default(0).describe("seed of t-SNE's and UMAP's random draws and of the sampling"),
  perplexity: z.number().positive().default(30).describe("t-SNE perplexity (at most (points − 1) / 3)"),
  neighbours: z.number().int().min(2).default(15).describe("UMAP neighbours"),
  max_points: z.number().int().min(10).default(2000).describe("points drawn at most (a seeded sample beyond)"),
  standardize: z.enum(["auto", "yes", "no"]).default("auto").describe("scale each dimension to unit variance first (auto: for feature aggregates)"),
});

/** `n` of `total` indices, a seeded sample in increasing order. */
export function sampleIndices(total: number, n: number, seed: number): number[] {
  if (n >= total) return Array.from({ length: total }, (_, i) => i);
  const random = mulberry32(seed ^ 0x5eed);
  const all = Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (total - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, n).sort((a, b) => a - b);
}

/** Rows `indices` of labelled vectors. */
function subset(v: LabelledVectors, indices: readonly number[]): LabelledVectors {
  const [, d] = v.matrix.shape;
  const data = new Float64Array(indices.length * d);
  indices.forEach((i, r) => data.set(v.matrix.data.subarray(i * d, (i + 1) * d), r * d));
  return {
    ...v,
    matrix: { data, shape: [indices.length, d] },
    labels: indices.map((i) => v.labels[i]),
    tracks: indices.map((i) => v.tracks[i]),
    segments: indices.map((i) => v.segments[i]),
  };
}

export const embeddingAnalysis = defineAnalysis({
  name: "embedding",
  description: "PCA, t-SNE and UMAP of feature aggregates or of the model's vectors, 2-D and 3-D, coloured by label, with trustworthiness and PCA's explained variance",
  params: embeddingParams,
  async compute(context, p) {
    const collected = await collectVectors(context, { source: p.source, split: p.split, level: p.level, label: "embedding" });
    const notes: string[] = [`vectors: ${collected.source} of ${splitText(p.split)}, a point per ${p.level}`];
    const total = collected.labels.length;
    const vectors = subset(collected, sampleIndices(total, p.max_points, p.seed));
    if (vectors.labels.length < total) notes.push(`${vectors.labels.length} of ${total} points drawn (a sample from seed ${p.seed})`);
    const standardize = p.standardize === "yes" || (p.standardize === "auto" && vectors.source === "features");
    if (standardize) {
      standardizeColumns(vectors.matrix);
      notes.push("each dimension scaled to zero mean and unit variance first");
    }
    const x = vectors.matrix;
    const [n, d] = x.shape;
    if (n < 4) throw new RangeError(`embedding: ${n} points are too few to draw (need at least 4)`);
    const components = Math.min(10, d, n);
    const variance = await pca(x, components);
    const pctOf = (k: number) => `${(100 * variance.explained[k]).toFixed(1)}%`;
    const summary: Record<string, string | number>[] = [];
    const points: Record<string, string | number | null>[] = [];
    const charts: Record<string, Chart> = {};
    const trustK = Math.max(1, Math.min(5, Math.floor((n - 1) / 2)));
    for (const method of PROJECTION_METHODS.filter((m) => p.methods.includes(m))) {
      for (const dims of [...new Set(p.dims)].sort()) {
        const coords = await project(x, method, { dims, seed: p.seed, perplexity: p.perplexity, neighbours: p.neighbours });
        const explained = method === "pca" ? variance.explained.slice(0, dims).reduce((a, b) => a + b, 0) : NaN;
        summary.push({
          method,
          dims,
          points: n,
          trustworthiness: trustworthiness(x, { data: coords, shape: [n, dims] }, trustK),
          explained_variance: explained,
        });
        for (let i = 0; i < n; i++) {
          points.push({
            method,
            dims,
            track: vectors.tracks[i],
            segment: vectors.segments[i],
            label: vectors.labels[i],
            x: coords[i * dims],
            y: coords[i * dims + 1],
            z: dims === 3 ? coords[i * dims + 2] : null,
          });
        }
        const axisTitles = method === "pca" ? Array.from({ length: dims }, (_, k) => `PC${k + 1} (${pctOf(k)})`) : Array.from({ length: dims }, (_, k) => `${METHOD_TITLES[method]} ${k + 1}`);
        const title = `${METHOD_TITLES[method]} ${dims}-D of ${vectors.source} (${context.run.id})`;
        charts[`${method}-${dims}d`] = embeddingChart({ data: coords, shape: [n, dims] }, vectors.labels, { title, axisTitles, labels: context.run.labels, names: vectors.tracks });
      }
    }
    charts.variance = explainedVarianceChart(variance.explained, { title: `Explained variance of ${vectors.source} (line: cumulative)` });
    if (p.methods.includes("umap")) notes.push("UMAP (umap-js) starts from a random layout drawn from the seed, where Python's UMAP starts from a spectral one");
    if (p.methods.includes("tsne")) notes.push("t-SNE is exact (O(n²)) and starts from the PCA layout, as scikit-learn's does");
    notes.push(`trustworthiness with ${trustK} neighbours (sklearn.manifold.trustworthiness)`);
    let cumulative = 0;
    return {
      tables: {
        summary: aq.from(summary),
        points: aq.from(points),
        variance: aq.table({
          component: variance.explained.map((_, k) => `PC${k + 1}`),
          explained_variance: variance.explained,
          cumulative: variance.explained.map((r) => (cumulative += r)),
        }),
      },
      charts,
      notes,
    };
  },
});

export type EmbeddingOptions = AnalysisOptions & Partial<z.input<typeof embeddingParams>>;

/**
 * PCA, t-SNE and UMAP pictures of a run's vectors.
 * @example const { tables, charts } = await embedding(run, { source: "penultimate", methods: ["pca", "umap"] })
 */
export function embedding(run: Parameters<typeof runAnalysis>[1], options: EmbeddingOptions = {}): Promise<AnalysisResult> {
  return runAnalysis(embeddingAnalysis, run, options);
}
