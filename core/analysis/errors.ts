/**
 * `errors`: where a run's model goes wrong on held-out tracks — the pairs of classes it confuses most
 * (true → predicted, with the share of the true class's tracks), and every misclassified track with
 * its two most probable classes and the probability of its true one, the most confident mistakes first.
 */
import * as aq from "arquero";
import { z } from "zod";
import type { Chart } from "../charts/chart.ts";
import { confusionChart } from "../charts/confusion.ts";
import { rankingChart } from "../charts/ranking.ts";
import { defineAnalysis, runAnalysis, type AnalysisOptions, type AnalysisResult } from "./analysis.ts";
import { eachTrack, levelParam, splitParam, splitText, splitsOf } from "./data.ts";

export const errorsParams = z.object({
  split: splitParam.default("test").describe("tracks of this split (or all)"),
  level: levelParam.default("track").describe("a prediction per track (the mean of its segments') or per segment"),
  top: z.number().int().min(1).default(20).describe("confused pairs drawn"),
});

/** The two largest entries of `row` (indices and values). */
export function topTwo(row: ArrayLike<number>): [number, number] {
  let first = 0;
  let second = row.length > 1 ? 1 : 0;
  if (row.length > 1 && row[1] > row[0]) [first, second] = [1, 0];
  for (let c = 2; c < row.length; c++) {
    if (row[c] > row[first]) [first, second] = [c, first];
    else if (row[c] > row[second]) second = c;
  }
  return [first, second];
}

export const errorsAnalysis = defineAnalysis({
  name: "errors",
  description: "the most confused pairs of classes, and the misclassified tracks with their two most probable classes",
  params: errorsParams,
  async compute(context, p) {
    const run = context.run;
    const labels = run.labels;
    const k = labels.length;
    const loaded = await run.model();
    const counts = labels.map(() => new Array<number>(k).fill(0));
    const wrong: Record<string, string | number | null>[] = [];
    await eachTrack(context, { splits: splitsOf(p.split), label: "errors" }, async (track) => {
      const probs = await loaded.plugin.predict(loaded.model, track.x);
      const n = track.x.shape[0];
      const rows: { row: Float64Array; segment: number | null; start: number | null; end: number | null }[] = [];
      if (p.level === "track") {
        const mean = new Float64Array(k);
        for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) mean[c] += probs.data[i * k + c] / n;
        rows.push({ row: mean, segment: null, start: null, end: null });
      } else {
        for (let i = 0; i < n; i++) {
          const s = track.segments[i];
          rows.push({ row: Float64Array.from(probs.data.subarray(i * k, (i + 1) * k)), segment: s.index, start: s.start_s, end: s.end_s });
        }
      }
      for (const { row, segment, start, end } of rows) {
        const [first, second] = topTwo(row);
        counts[track.y][first]++;
        if (first === track.y) continue;
        wrong.push({
          track: track.id,
          ...(p.level === "segment" ? { segment, start_s: start, end_s: end } : {}),
          label: track.label,
          predicted: labels[first],
          p_predicted: row[first],
          second: labels[second],
          p_second: row[second],
          p_true: row[track.y],
        });
      }
    });
    const support = counts.map((row) => row.reduce((a, b) => a + b, 0));
    const pairs: { true: string; predicted: string; count: number; share: number }[] = [];
    counts.forEach((row, i) => row.forEach((c, j) => {
      if (i !== j && c > 0) pairs.push({ true: labels[i], predicted: labels[j], count: c, share: c / support[i] });
    }));
    pairs.sort((a, b) => b.count - a.count || b.share - a.share || (a.true < b.true ? -1 : a.true > b.true ? 1 : a.predicted < b.predicted ? -1 : 1));
    wrong.sort((a, b) => (b.p_predicted as number) - (a.p_predicted as number));
    const total = support.reduce((a, b) => a + b, 0);
    const errors = wrong.length;
    const charts: Record<string, Chart> = {
      confusion: confusionChart(counts, labels, { normalize: true, title: `${run.id}: ${splitText(p.split)}, ${p.level} level` }),
    };
    if (pairs.length > 0) {
      charts.pairs = rankingChart(
        pairs.map((q) => ({ name: `${q.true} → ${q.predicted}`, value: q.count })),
        { title: `Most confused pairs (true → predicted), ${p.level}s of ${splitText(p.split)}`, xTitle: `${p.level}s`, top: p.top, format: "d" },
      );
    }
    return {
      tables: {
        pairs: pairs.length > 0 ? aq.from(pairs) : aq.table({ true: [], predicted: [], count: [], share: [] }),
        misclassified: wrong.length > 0 ? aq.from(wrong) : aq.table({ track: [], label: [], predicted: [], p_predicted: [], second: [], p_second: [], p_true: [] }),
      },
      charts,
      notes: [`${errors} of ${total} ${p.level}s misclassified (${total > 0 ? ((100 * errors) / total).toFixed(2) : "0.00"}%)`],
    };
  },
});

export type ErrorsOptions = AnalysisOptions & Partial<z.input<typeof errorsParams>>;

/**
 * The most confused pairs and the misclassified tracks of a run.
 * @example (await errors(run)).tables.misclassified
 */
export function errors(run: Parameters<typeof runAnalysis>[1], options: ErrorsOptions = {}): Promise<AnalysisResult> {
  return runAnalysis(errorsAnalysis, run, options);
}
