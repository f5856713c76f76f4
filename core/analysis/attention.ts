/**
 * `attention`, for models that pool over time with attention (bilstm_attention, bilstm_attention_bn,
 * cnn_token_attention: their `inspect` names `attention`, `[segments, steps]`, each row summing to 1):
 * the mean weight of each time step of a segment over the segments of each class, the top-k steps of
 * each class, a class × step heatmap, and, for one audio file, the weights of each of its segments.
 */
import * as aq from "arquero";
import { z } from "zod";
import { loadAudio } from "../audio/load.ts";
import type { Chart } from "../charts/chart.ts";
import { heatmapChart } from "../charts/heatmap.ts";
import { RunError } from "../errors.ts";
import type { NdArray } from "../ndarray.ts";
import { trackExamples } from "../run/features.ts";
import type { Run } from "../run/recorded-run.ts";
import type { RunModel } from "../run/use.ts";
import { defineAnalysis, runAnalysis, type AnalysisOptions, type AnalysisResult } from "./analysis.ts";
import { eachTrack, runFeatureSpec, splitParam, splitText, splitsOf } from "./data.ts";

export const attentionParams = z.object({
  split: splitParam.default("test").describe("tracks of this split (or all)"),
  top: z.number().int().min(1).default(5).describe("steps listed per class (the most attended)"),
  by: z.enum(["true", "predicted"]).default("true").describe("group segments by their true or their predicted class"),
  file: z.string().default("").describe("an audio file whose per-segment attention to draw"),
});

/** The attention weights `[segments, steps]` of examples `x`, or an error naming the models that have them. */
export async function attentionWeights(run: Run, loaded: RunModel, x: NdArray<Float32Array>): Promise<{ weights: NdArray<Float32Array>; probabilities: NdArray<Float32Array> }> {
  const taps = loaded.plugin.inspect ? await loaded.plugin.inspect(loaded.model, x) : {};
  const weights = taps.attention;
  if (!weights) {
    throw new RunError(run.dir, `a ${run.config.model} model has no attention weights (models with attention: bilstm_attention, bilstm_attention_bn, cnn_token_attention)`);
  }
  const n = x.shape[0];
  const steps = weights.data.length / Math.max(1, n);
  return { weights: { data: weights.data, shape: [n, steps] }, probabilities: taps.probabilities ?? (await loaded.plugin.predict(loaded.model, x)) };
}

/** Mean, standard deviation and count of each step's weight over the rows of each class. */
export function attentionProfile(weights: NdArray<Float32Array>, classes: ArrayLike<number>, k: number): { mean: number[][]; std: number[][]; count: number[] } {
  const [n, steps] = weights.shape;
  const sum = Array.from({ length: k }, () => new Float64Array(steps));
  const sq = Array.from({ length: k }, () => new Float64Array(steps));
  const count = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    const c = classes[i];
    count[c]++;
    for (let s = 0; s < steps; s++) {
      const w = weights.data[i * steps + s];
      sum[c][s] += w;
      sq[c][s] += w * w;
    }
  }
  const mean = sum.map((row, c) => Array.from(row, (v) => (count[c] > 0 ? v / count[c] : NaN)));
  const std = sq.map((row, c) => Array.from(row, (v, s) => (count[c] > 0 ? Math.sqrt(Math.max(0, v / count[c] - mean[c][s] ** 2)) : NaN)));
  return { mean, std, count };
}

/** Names of the steps of a segment of `seconds`: each step's start, enough decimals to tell them apart. */
function stepNames(steps: number, seconds: number): string[] {
  for (let digits = 2; digits <= 5; digits++) {
    const names = Array.from({ length: steps }, (_, s) => `${((s * seconds) / steps).toFixed(digits)} s`);
    if (new Set(names).size === steps) return names;
  }
  return Array.from({ length: steps }, (_, s) => `step ${s}`);
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
  return best;
}

export const attentionAnalysis = defineAnalysis({
  name: "attention",
  description: "attention models: mean attention weight per time step of each class, the top-k steps per class, a heatmap; per-segment weights of one file (file=song.wav)",
  params: attentionParams,
  async compute(context, p) {
    const run = context.run;
    const spec = runFeatureSpec(run);
    const loaded = await run.model();
    const labels = run.labels;
    const k = labels.length;
    const chunks: Float32Array[] = [];
    const classes: number[] = [];
    let steps = -1;
    let seconds = spec.segment_s ?? 0;
    await eachTrack(context, { splits: splitsOf(p.split), label: "attention" }, async (track) => {
      const { weights, probabilities } = await attentionWeights(run, loaded, track.x);
      if (steps >= 0 && weights.shape[1] !== steps) throw new RunError(track.path, `${weights.shape[1]} attention steps where other tracks have ${steps}`);
      steps = weights.shape[1];
      if (spec.segment_s === null) seconds = Math.max(seconds, track.segments[0].end_s - track.segments[0].start_s);
      chunks.push(weights.data);
      for (let i = 0; i < track.x.shape[0]; i++) classes.push(p.by === "true" ? track.y : argmax(probabilities.data.subarray(i * k, (i + 1) * k)));
    });
    const data = new Float32Array(classes.length * steps);
    let at = 0;
    for (const c of chunks) {
      data.set(c, at);
      at += c.length;
    }
    const profile = attentionProfile({ data, shape: [classes.length, steps] }, classes, k);
    const step = seconds / steps;
    const names = stepNames(steps, seconds);
    const present = labels.map((_, c) => c).filter((c) => profile.count[c] > 0);
    const profileRows: Record<string, string | number>[] = [];
    const topRows: Record<string, string | number>[] = [];
    for (const c of present) {
      for (let s = 0; s < steps; s++) {
        profileRows.push({ label: labels[c], step: s, start_s: s * step, end_s: (s + 1) * step, mean: profile.mean[c][s], std: profile.std[c][s], segments: profile.count[c] });
      }
      const order = Array.from({ length: steps }, (_, s) => s).sort((a, b) => profile.mean[c][b] - profile.mean[c][a] || a - b);
      order.slice(0, p.top).forEach((s, r) => {
        // `vs_uniform`: the weight over that of attention spread evenly (1/steps).
        topRows.push({ label: labels[c], rank: r + 1, step: s, start_s: s * step, end_s: (s + 1) * step, weight: profile.mean[c][s], vs_uniform: profile.mean[c][s] * steps });
      });
    }
    const tables: Record<string, aq.ColumnTable> = { top: aq.from(topRows), profile: aq.from(profileRows) };
    const charts: Record<string, Chart> = {
      attention: heatmapChart(
        present.map((c) => profile.mean[c]),
        present.map((c) => labels[c]),
        names,
        { title: `Mean attention per step of a segment, by ${p.by} class`, rowTitle: `${p.by} class`, columnTitle: "time in the segment", legendTitle: "weight", format: ".3f" },
      ),
    };
    const notes = [`${classes.length} segments of ${splitText(p.split)}; ${steps} steps of ${step.toFixed(3)} s per segment`];
    if (p.file !== "") {
      const featurePlugin = context.registry.feature(spec.plugin);
      const signal = await loadAudio(p.file, { sr: spec.sr });
      const examples = await trackExamples(signal, p.file, spec, featurePlugin, { source: p.file });
      const { weights, probabilities } = await attentionWeights(run, loaded, examples.x);
      if (weights.shape[1] !== steps) throw new RunError(p.file, `${weights.shape[1]} attention steps where the dataset's segments have ${steps}`);
      const fileRows: Record<string, string | number>[] = [];
      const segmentNames = examples.segments.map((s) => `${s.start_s.toFixed(1)}–${s.end_s.toFixed(1)} s`);
      examples.segments.forEach((segment, i) => {
        const top = argmax(probabilities.data.subarray(i * k, (i + 1) * k));
        for (let s = 0; s < steps; s++) {
          fileRows.push({ segment: segment.index, step: s, start_s: segment.start_s + s * step, end_s: segment.start_s + (s + 1) * step, weight: weights.data[i * steps + s], predicted: labels[top] });
        }
      });
      tables.file = aq.from(fileRows);
      const matrix = examples.segments.map((_, i) => Array.from(weights.data.subarray(i * steps, (i + 1) * steps)));
      charts.file = heatmapChart(matrix, new Set(segmentNames).size === segmentNames.length ? segmentNames : segmentNames.map((n, i) => `${i}: ${n}`), names, {
        title: "Attention per segment of the file",
        rowTitle: "segment",
        columnTitle: "time in the segment",
        legendTitle: "weight",
        format: ".3f",
      });
      notes.push(`file: ${examples.segments.length} segments`);
    }
    return { tables, charts, notes };
  },
});

export type AttentionOptions = AnalysisOptions & Partial<z.input<typeof attentionParams>>;

/**
 * Where an attention model looks, per class and for one file.
 * @example (await attention(run, { file: "song.wav" })).tables.top
 */
export function attention(run: Parameters<typeof runAnalysis>[1], options: AttentionOptions = {}): Promise<AnalysisResult> {
  return runAnalysis(attentionAnalysis, run, options);
}
