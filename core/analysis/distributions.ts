/**
 * `distributions`: per-label distributions of feature aggregates (the mean and variance over frames
 * of each feature row of the run's features) as box plots — of the features named, or by default of
 * those whose ANOVA F across the labels is largest — with their quartiles per label as a table, and
 * the whole aggregate table (a row per track or segment, as GTZAN's feature CSVs have them).
 */
import * as aq from "arquero";
import { z } from "zod";
import { boxStats, featureDistributionsChart } from "../charts/distributions.ts";
import { UsageError } from "../errors.ts";
import { defineAnalysis, runAnalysis, type AnalysisOptions, type AnalysisResult } from "./analysis.ts";
import { topByF } from "./correlation.ts";
import { collectAggregates, levelParam, splitParam, splitText } from "./data.ts";
import { fClassif } from "./stats.ts";

export const distributionsParams = z.object({
  split: splitParam.default("all").describe("tracks of this split (or all)"),
  level: levelParam.default("track").describe("a row per track (its frames pooled) or per segment"),
  features: z.array(z.string()).default([]).describe("aggregates to draw, e.g. mfcc1_mean,tempogram10_var (default: the largest ANOVA F)"),
  count: z.number().int().min(1).default(12).describe("without features: how many to draw"),
});

export const distributionsAnalysis = defineAnalysis({
  name: "distributions",
  description: "per-label box plots of feature aggregates (the named ones, or those of largest ANOVA F), their quartiles, and the aggregate table",
  params: distributionsParams,
  async compute(context, p) {
    const run = context.run;
    const data = await collectAggregates(context, p.split, p.level);
    const [n, d] = data.matrix.shape;
    let chosen: number[];
    if (p.features.length > 0) {
      chosen = p.features.map((f) => {
        const j = data.names.indexOf(f);
        if (j < 0) throw new UsageError(`distributions: no feature aggregate ${JSON.stringify(f)} (${data.names.slice(0, 6).join(", ")}, ... ${d} in all; see aggregates.csv)`);
        return j;
      });
    } else {
      chosen = topByF(fClassif(data.matrix, data.y).f, p.count);
    }
    const labels = run.labels.filter((_, c) => data.y.includes(c));
    const rows: Record<string, string | number>[] = [];
    for (const j of chosen) {
      for (const label of labels) {
        const c = run.labels.indexOf(label);
        const values: number[] = [];
        for (let i = 0; i < n; i++) if (data.y[i] === c) values.push(data.matrix.data[i * d + j]);
        const box = boxStats(values);
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
        rows.push({
          feature: data.names[j],
          label,
          n: values.length,
          mean,
          std,
          min: Math.min(...values),
          q1: box.q1,
          median: box.median,
          q3: box.q3,
          max: Math.max(...values),
        });
      }
    }
    const picked = { data: Float64Array.from({ length: n * chosen.length }, (_, k) => data.matrix.data[Math.floor(k / chosen.length) * d + chosen[k % chosen.length]]), shape: [n, chosen.length] };
    const aggregates = aq.table({
      track: data.tracks,
      ...(p.level === "segment" ? { segment: data.segments } : {}),
      ...Object.fromEntries(data.names.map((name, j) => [name, Array.from({ length: n }, (_, i) => data.matrix.data[i * d + j])])),
      label: data.labels,
    });
    return {
      tables: { distributions: aq.from(rows), aggregates },
      charts: {
        boxplots: featureDistributionsChart(picked, data.labels, {
          featureNames: chosen.map((j) => data.names[j]),
          labels,
          title: `Feature aggregates per label (${run.id}, ${p.level}s of ${splitText(p.split)})`,
        }),
      },
      notes: [
        `${n} ${p.level}s, ${d} aggregates (mean and population variance over frames of each feature row)`,
        p.features.length > 0 ? "features as named" : `the ${chosen.length} aggregates of largest ANOVA F`,
      ],
    };
  },
});

export type DistributionsAnalysisOptions = AnalysisOptions & Partial<z.input<typeof distributionsParams>>;

/**
 * Box plots of feature aggregates per label.
 * @example await distributions(run, { features: ["mfcc1_mean", "onset_strength_mean"] })
 */
export function distributions(run: Parameters<typeof runAnalysis>[1], options: DistributionsAnalysisOptions = {}): Promise<AnalysisResult> {
  return runAnalysis(distributionsAnalysis, run, options);
}
