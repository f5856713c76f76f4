/**
 * `neighbours`: each class's centroid (the mean of its vectors, model or feature), the classes
 * nearest to each ("closest to blues: country, reggae") with their distances, and arithmetic over
 * centroids: `blues - country + pop` is the vector c(blues) − c(country) + c(pop), and the classes
 * nearest to it answer it.
 */
import * as aq from "arquero";
import { z } from "zod";
import { heatmapChart } from "../charts/heatmap.ts";
import { UsageError } from "../errors.ts";
import { defineAnalysis, runAnalysis, type AnalysisOptions, type AnalysisResult } from "./analysis.ts";
import { collectVectors, levelParam, sourceParam, splitParam, splitText } from "./data.ts";
import type { Matrix } from "./stats.ts";

export type Metric = "euclidean" | "cosine";

export const neighboursParams = z.object({
  source: sourceParam,
  split: splitParam.default("all").describe("tracks of this split (or all)"),
  level: levelParam.default("track").describe("centroid of tracks (each its segments' mean) or of segments"),
  metric: z.enum(["euclidean", "cosine"]).default("euclidean").describe("distance between vectors: euclidean, or cosine (1 − cos)"),
  top: z.number().int().min(1).default(3).describe("nearest classes listed per class"),
  expr: z.string().default("").describe('arithmetic over class centroids, e.g. "blues-country+pop"'),
});

/** Distance between two vectors. */
export function distance(a: ArrayLike<number>, b: ArrayLike<number>, metric: Metric): number {
  if (metric === "euclidean") {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
    return Math.sqrt(s);
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? 1 - dot / Math.sqrt(na * nb) : NaN;
}

/** The mean vector of each label's rows, in `labels` order (labels without rows are left out). */
export function classCentroids(matrix: Matrix, rowLabels: readonly string[], labels: readonly string[]): { labels: string[]; counts: number[]; centroids: Float64Array[] } {
  const [n, d] = matrix.shape;
  if (rowLabels.length !== n) throw new RangeError(`${n} rows but ${rowLabels.length} labels`);
  const sums = new Map(labels.map((l) => [l, { sum: new Float64Array(d), count: 0 }]));
  for (let i = 0; i < n; i++) {
    const entry = sums.get(rowLabels[i]);
    if (!entry) throw new RangeError(`row ${i}: label ${JSON.stringify(rowLabels[i])} is not among the labels`);
    entry.count++;
    for (let j = 0; j < d; j++) entry.sum[j] += matrix.data[i * d + j];
  }
  const present = labels.filter((l) => sums.get(l)!.count > 0);
  return {
    labels: present,
    counts: present.map((l) => sums.get(l)!.count),
    centroids: present.map((l) => {
      const { sum, count } = sums.get(l)!;
      return sum.map((v) => v / count);
    }),
  };
}

/** One signed term of a centroid expression. */
export interface Term {
  readonly sign: 1 | -1;
  readonly label: string;
}

/**
 * `"blues - country + pop"` as terms, each label matched whole against `labels` (the longest match
 * first, so labels holding `-` or `+`, such as `hip-hop`, are read as one).
 */
export function parseExpression(expr: string, labels: readonly string[]): Term[] {
  const byLength = [...labels].sort((a, b) => b.length - a.length);
  const terms: Term[] = [];
  let i = 0;
  const skip = () => {
    while (i < expr.length && /\s/.test(expr[i])) i++;
  };
  skip();
  while (i < expr.length) {
    let sign: 1 | -1 = 1;
    // After a term comes a sign: a label matches only where one (or the end) follows it.
    if (expr[i] === "+" || expr[i] === "-") {
      sign = expr[i] === "-" ? -1 : 1;
      i++;
      skip();
    }
    const label = byLength.find((l) => {
      if (!expr.startsWith(l, i)) return false;
      const rest = expr.slice(i + l.length).trimStart();
      return rest === "" || rest[0] === "+" || rest[0] === "-";
    });
    if (!label) throw new UsageError(`expr ${JSON.stringify(expr)}: no class at ${JSON.stringify(expr.slice(i))} (classes: ${labels.join(", ")})`);
    terms.push({ sign, label });
    i += label.length;
    skip();
  }
  if (terms.length === 0) throw new UsageError(`expr ${JSON.stringify(expr)}: no class named`);
  return terms;
}

export interface ClassNeighbours {
  readonly labels: string[];
  readonly counts: number[];
  readonly centroids: Float64Array[];
  /** Distance between every two centroids, `[labels][labels]`. */
  readonly distances: number[][];
  /** For each label, the others nearest first. */
  readonly nearest: { readonly label: string; readonly rank: number; readonly neighbour: string; readonly distance: number }[];
}

/** Centroids of `rowLabels`' classes and, for each class, the other classes by distance. */
export function classNeighbours(matrix: Matrix, rowLabels: readonly string[], labels: readonly string[], metric: Metric = "euclidean"): ClassNeighbours {
  const c = classCentroids(matrix, rowLabels, labels);
  const distances = c.centroids.map((a) => c.centroids.map((b) => distance(a, b, metric)));
  const nearest: ClassNeighbours["nearest"][number][] = [];
  c.labels.forEach((label, i) => {
    const others = c.labels.map((l, j) => ({ l, j })).filter(({ j }) => j !== i);
    others.sort((a, b) => distances[i][a.j] - distances[i][b.j] || a.j - b.j);
    others.forEach(({ l, j }, r) => nearest.push({ label, rank: r + 1, neighbour: l, distance: distances[i][j] }));
  });
  return { ...c, distances, nearest };
}

/** The classes nearest to the vector an expression over centroids makes, nearest first. */
export function evaluateExpression(result: Pick<ClassNeighbours, "labels" | "centroids">, terms: readonly Term[], metric: Metric = "euclidean"): { label: string; distance: number; inExpression: boolean }[] {
  const d = result.centroids[0]?.length ?? 0;
  const vector = new Float64Array(d);
  for (const t of terms) {
    const i = result.labels.indexOf(t.label);
    if (i < 0) throw new UsageError(`expr: class ${JSON.stringify(t.label)} has no vectors in this part of the data`);
    for (let j = 0; j < d; j++) vector[j] += t.sign * result.centroids[i][j];
  }
  const used = new Set(terms.map((t) => t.label));
  return result.labels
    .map((label, i) => ({ label, distance: distance(vector, result.centroids[i], metric), inExpression: used.has(label) }))
    .sort((a, b) => a.distance - b.distance);
}

export const neighboursAnalysis = defineAnalysis({
  name: "neighbours",
  description: 'class centroids in the model\'s (or the features\') space, the nearest classes of each with distances, and arithmetic over centroids (expr="blues-country+pop")',
  params: neighboursParams,
  async compute(context, p) {
    const run = context.run;
    const terms = p.expr.trim() === "" ? null : parseExpression(p.expr, run.labels);
    const vectors = await collectVectors(context, { source: p.source, split: p.split, level: p.level, label: "neighbours" });
    const result = classNeighbours(vectors.matrix, vectors.labels, run.labels, p.metric);
    const tables: Record<string, aq.ColumnTable> = {
      // With an expression, its answer is the main table (printed first).
      ...(terms ? { expression: aq.table({}) } : {}),
      nearest: aq.from(result.nearest.filter((r) => r.rank <= p.top)),
      distances: aq.table({ label: result.labels, ...Object.fromEntries(result.labels.map((l, j) => [l, result.distances.map((row) => row[j])])) }),
      centroids: aq.table({
        label: result.labels,
        n: result.counts,
        ...Object.fromEntries(Array.from({ length: vectors.matrix.shape[1] }, (_, j) => [vectors.names?.[j] ?? `v${j + 1}`, result.centroids.map((c) => c[j])])),
      }),
    };
    const notes = [`vectors: ${vectors.source} of ${splitText(p.split)}, centroids of ${p.level}s, ${p.metric} distance`];
    if (terms) {
      const answer = evaluateExpression(result, terms, p.metric);
      tables.expression = aq.from(answer.map((a, r) => ({ rank: r + 1, label: a.label, distance: a.distance, in_expression: a.inExpression })));
      const outside = answer.find((a) => !a.inExpression);
      notes.push(outside ? `${p.expr.trim()} → ${outside.label} (the nearest class not in the expression)` : `${p.expr.trim()} → ${answer[0].label} (every class is in the expression)`);
    }
    const charts = {
      distances: heatmapChart(result.distances, result.labels, result.labels, {
        title: `Distances between class centroids (${vectors.source}, ${p.metric})`,
        legendTitle: "distance",
        scheme: "viridis",
        format: ".3~g",
      }),
    };
    return { tables, charts, notes };
  },
});

export type NeighboursOptions = AnalysisOptions & Partial<z.input<typeof neighboursParams>>;

/**
 * Class centroids, their nearest classes, and arithmetic over them.
 * @example const r = await neighbours(run, { expr: "blues-country+pop" }); r.tables.expression
 */
export function neighbours(run: Parameters<typeof runAnalysis>[1], options: NeighboursOptions = {}): Promise<AnalysisResult> {
  return runAnalysis(neighboursAnalysis, run, options);
}
