/**
 * `correlation`: how much each feature aggregate (the mean and variance over frames of each feature
 * row: `mfcc1_mean`, `tempogram12_var`, ...) tells about the label — its ANOVA F and p-value
 * (scikit-learn's `f_classif`) and its mutual information with the label (`mutual_info_classif`) —
 * with, for the most telling features, the label means as z-scores (a heatmap) and their Pearson
 * correlations with each other.
 */
import * as aq from "arquero";
import { z } from "zod";
import { correlationChart } from "../charts/correlation.ts";
import { heatmapChart } from "../charts/heatmap.ts";
import { rankingChart } from "../charts/ranking.ts";
import { defineAnalysis, runAnalysis, type AnalysisOptions, type AnalysisResult } from "./analysis.ts";
import { collectAggregates, levelParam, splitParam, splitText } from "./data.ts";
import { fClassif, mutualInfoClassif } from "./stats.ts";

export const correlationParams = z.object({
  split: splitParam.default("all").describe("tracks of this split (or all)"),
  level: levelParam.default("track").describe("a row per track (its frames pooled) or per segment"),
  top: z.number().int().min(2).default(20).describe("features drawn (the largest F)"),
  seed: z.number().int().min(0).default(0).describe("seed of the jitter mutual information breaks ties with"),
  neighbours: z.number().int().min(1).default(3).describe("neighbours of the mutual information estimator"),
});

/** Indices of the `top` columns of largest F (NaN last), largest first. */
export function topByF(f: ArrayLike<number>, top: number): number[] {
  const order = Array.from({ length: f.length }, (_, j) => j);
  const key = (j: number) => (Number.isNaN(f[j]) ? -Infinity : f[j]);
  order.sort((a, b) => key(b) - key(a) || a - b);
  return order.slice(0, Math.min(top, order.length));
}

export const correlationAnalysis = defineAnalysis({
  name: "correlation",
  description: "each feature aggregate's association with the label (ANOVA F and p-value, mutual information, as scikit-learn), label means as z-scores and the top features' correlations",
  params: correlationParams,
  async compute(context, p) {
    const run = context.run;
    const data = await collectAggregates(context, p.split, p.level);
    const [n, d] = data.matrix.shape;
    const anova = fClassif(data.matrix, data.y);
    const mi = mutualInfoClassif(data.matrix, data.y, { seed: p.seed, neighbours: p.neighbours });
    const rank = (values: ArrayLike<number>) => {
      const order = topByF(values, d);
      const out = new Array<number>(d);
      order.forEach((j, r) => (out[j] = r + 1));
      return out;
    };
    const rankF = rank(anova.f);
    const rankMi = rank(mi);
    const order = topByF(anova.f, d);
    const association = aq.table({
      feature: order.map((j) => data.names[j]),
      f: order.map((j) => anova.f[j]),
      p_value: order.map((j) => anova.p[j]),
      mutual_info: order.map((j) => mi[j]),
      rank_f: order.map((j) => rankF[j]),
      rank_mi: order.map((j) => rankMi[j]),
    });
    const top = order.slice(0, p.top);
    // Label means of each top feature, in standard deviations of the feature from its overall mean.
    const labels = run.labels.filter((_, c) => data.y.includes(c));
    const profiles = top.map((j) => {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += data.matrix.data[i * d + j];
      mean /= n;
      let variance = 0;
      for (let i = 0; i < n; i++) variance += (data.matrix.data[i * d + j] - mean) ** 2;
      const std = Math.sqrt(variance / n) || 1;
      return labels.map((label) => {
        const c = run.labels.indexOf(label);
        let sum = 0;
        let count = 0;
        for (let i = 0; i < n; i++) if (data.y[i] === c) {
          sum += data.matrix.data[i * d + j];
          count++;
        }
        return (sum / count - mean) / std;
      });
    });
    const topNames = top.map((j) => data.names[j]);
    const columns = aq.table({ feature: topNames, ...Object.fromEntries(labels.map((l, c) => [l, profiles.map((row) => row[c])])) });
    const topTable = { data: Float64Array.from({ length: n * top.length }, (_, k) => data.matrix.data[Math.floor(k / top.length) * d + top[k % top.length]]), shape: [n, top.length] };
    return {
      tables: { association, profiles: columns },
      charts: {
        association: rankingChart(
          [
            ...top.map((j) => ({ name: data.names[j], value: anova.f[j], panel: "ANOVA F" })),
            ...topByF(mi, p.top).map((j) => ({ name: data.names[j], value: mi[j], panel: "mutual information (nats)" })),
          ],
          { title: `Features most associated with the label (${run.id})`, top: p.top },
        ),
        profiles: heatmapChart(profiles, topNames, labels, {
          title: "Label means of the top features (z-scores)",
          diverging: true,
          legendTitle: "z",
          columnTitle: "label",
        }),
        correlation: correlationChart(topTable, { featureNames: topNames, title: "Correlation of the top features (Pearson)" }),
      },
      notes: [
        `${n} ${p.level}s of ${splitText(p.split)}, ${d} feature aggregates (mean and variance over frames of each feature row)`,
        `mutual information: scikit-learn's estimator with ${p.neighbours} neighbours; ties broken by a jitter from seed ${p.seed}`,
      ],
    };
  },
});

export type CorrelationAnalysisOptions = AnalysisOptions & Partial<z.input<typeof correlationParams>>;

/**
 * ANOVA F, p-value and mutual information of each feature aggregate with the label.
 * @example (await correlation(run)).tables.association
 */
export function correlation(run: Parameters<typeof runAnalysis>[1], options: CorrelationAnalysisOptions = {}): Promise<AnalysisResult> {
  return runAnalysis(correlationAnalysis, run, options);
}
