/**
 * `segments`: the passages a model finds most typical of each class. Among the tracks it classifies
 * correctly with the highest confidence (its probability of the true class, the mean over the
 * track's segments as in evaluation), the 5-second window of each that it attends to most (attention
 * models) or is most confident in (others: segments every `hop` seconds, each window scored by the
 * mean probability of the true class over the segments it overlaps, weighted by the overlap) is cut
 * out of the audio and written as a WAV clip, `clips/clip-000.wav`, ..., numbered in table order; a
 * heatmap shows every window's score, a row per clip.
 */
import * as aq from "arquero";
import { z } from "zod";
import type { Chart } from "../charts/chart.ts";
import { heatmapChart } from "../charts/heatmap.ts";
import { encodeWav16 } from "../dataset/wav.ts";
import { RunError } from "../errors.ts";
import type { SegmentInfo } from "../run/features.ts";
import { defineAnalysis, runAnalysis, type AnalysisOptions, type AnalysisResult } from "./analysis.ts";
import { attentionWeights } from "./attention.ts";
import { eachTrack, runFeatureSpec, splitParam, splitText, splitsOf } from "./data.ts";

export const segmentsParams = z.object({
  split: splitParam.default("test").describe("tracks of this split (or all)"),
  per_class: z.number().int().min(1).default(3).describe("tracks per class (the most confident correct ones)"),
  min_confidence: z.number().min(0).max(1).default(0.5).describe("least probability of the true class a track needs"),
  window: z.number().positive().default(5).describe("seconds of each clip"),
  hop: z.number().positive().default(0.5).describe("seconds between the windows (and segments) scored"),
  by: z.enum(["auto", "attention", "confidence"]).default("auto").describe("choose the window by attention or by confidence (auto: attention when the model has it)"),
});

/** Window starts over a track of `duration` s: every `hop` s while a whole window fits (one window when none does). */
export function windowStarts(duration: number, window: number, hop: number): number[] {
  if (duration <= window) return [0];
  const starts: number[] = [];
  for (let w = 0; w + window <= duration + 1e-9; w += hop) starts.push(Math.round(w * 1e6) / 1e6);
  const last = Math.round((duration - window) * 1e6) / 1e6;
  if (starts[starts.length - 1] < last - 1e-9) starts.push(last);
  return starts;
}

/** The mean of `values[i]` over the segments overlapping [start, end), weighted by the overlap. */
export function overlapMean(segments: readonly SegmentInfo[], values: ArrayLike<number>, start: number, end: number): number {
  let sum = 0;
  let weight = 0;
  segments.forEach((s, i) => {
    const overlap = Math.min(end, s.end_s) - Math.max(start, s.start_s);
    if (overlap > 0) {
      sum += overlap * values[i];
      weight += overlap;
    }
  });
  return weight > 0 ? sum / weight : NaN;
}

/**
 * Attention as a density over the track's time: each segment's step weights spread over the step's
 * span (so a segment's total is 1 over its length), then averaged over the segments covering each of
 * `bins` bins of `binSeconds`. Uniform attention gives 1 / segment length everywhere.
 */
export function attentionDensity(segments: readonly SegmentInfo[], weights: Float32Array, steps: number, binSeconds: number, bins: number): Float64Array {
  const sum = new Float64Array(bins);
  const cover = new Float64Array(bins);
  segments.forEach((s, i) => {
    const length = s.end_s - s.start_s;
    const step = length / steps;
    for (let b = Math.max(0, Math.floor(s.start_s / binSeconds)); b < Math.min(bins, Math.ceil(s.end_s / binSeconds)); b++) {
      const t = (b + 0.5) * binSeconds;
      if (t < s.start_s || t >= s.end_s) continue;
      const k = Math.min(steps - 1, Math.floor((t - s.start_s) / step));
      sum[b] += weights[i * steps + k] / step;
      cover[b] += 1;
    }
  });
  return sum.map((v, b) => (cover[b] > 0 ? v / cover[b] : 0));
}

interface Candidate {
  readonly id: string;
  readonly label: string;
  readonly y: number;
  readonly confidence: number;
}

export const segmentsAnalysis = defineAnalysis({
  name: "segments",
  description: "the most confidently and correctly classified tracks per class, each one's most attended (or most confident) 5 s window as a WAV clip, with a table of track, window and confidence",
  params: segmentsParams,
  async compute(context, p) {
    const run = context.run;
    const spec = runFeatureSpec(run);
    const loaded = await run.model();
    const labels = run.labels;
    const k = labels.length;
    const splits = splitsOf(p.split);
    // Pass 1: each track's probabilities as evaluation computes them (the run's own segments).
    const candidates: Candidate[] = [];
    let hasAttention = false;
    await eachTrack(context, { splits, label: "confidence" }, async (track) => {
      const probs = await loaded.plugin.predict(loaded.model, track.x);
      const n = track.x.shape[0];
      const mean = new Float64Array(k);
      for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) mean[c] += probs.data[i * k + c] / n;
      let best = 0;
      for (let c = 1; c < k; c++) if (mean[c] > mean[best]) best = c;
      if (best === track.y && mean[best] >= p.min_confidence) candidates.push({ id: track.id, label: track.label, y: track.y, confidence: mean[best] });
    });
    if (loaded.plugin.inspect && p.by !== "confidence") {
      // Whether the model has attention: one look at a zero example of its input shape.
      const shape = run.config.input_shape;
      const taps = await loaded.plugin.inspect(loaded.model, { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape: [1, ...shape] });
      hasAttention = "attention" in taps;
    }
    const by = p.by === "auto" ? (hasAttention ? "attention" : "confidence") : p.by;
    if (by === "attention" && !hasAttention) throw new RunError(run.dir, `a ${run.config.model} model has no attention weights: use by=confidence`);
    if (by === "confidence" && spec.segment_s === null) throw new RunError(run.dir, "this run's examples are whole tracks: windows can only be chosen by attention (an attention model)");
    const chosen = labels.flatMap((_, c) =>
      candidates
        .filter((t) => t.y === c)
        .sort((a, b) => b.confidence - a.confidence || (a.id < b.id ? -1 : 1))
        .slice(0, p.per_class),
    );
    const notes = [`${candidates.length} tracks of ${splitText(p.split)} classified correctly with confidence ≥ ${p.min_confidence}; the ${p.per_class} most confident per class kept`, `windows of ${p.window} s chosen by ${by}`];
    const rows: Record<string, string | number>[] = [];
    const files: Record<string, Uint8Array> = {};
    const charts: Record<string, Chart> = {};
    if (chosen.length > 0) {
      // Pass 2: the chosen tracks again, segments every `hop` seconds, their audio kept for the clips.
      const found = new Map<string, { start: number; end: number; score: number; clip: Float32Array; sr: number; scores: Map<number, number> }>();
      const hop = spec.segment_s === null ? undefined : Math.min(p.hop, spec.segment_s);
      await eachTrack(context, { splits, ids: new Set(chosen.map((t) => t.id)), keepSignal: true, ...(hop !== undefined ? { hop } : {}), label: "windows" }, async (track) => {
        const signal = track.signal!;
        const duration = signal.y.length / signal.sr;
        const starts = windowStarts(duration, p.window, p.hop);
        let scoreOf: (start: number, end: number) => number;
        if (by === "attention") {
          const { weights } = await attentionWeights(run, loaded, track.x);
          const bin = 0.01;
          const bins = Math.ceil(duration / bin);
          const density = attentionDensity(track.segments, weights.data, weights.shape[1], bin, bins);
          // Relative to uniform attention: 1 means the window gets its share of each segment's attention.
          const uniform = 1 / (spec.segment_s ?? duration);
          scoreOf = (start, end) => {
            let sum = 0;
            let count = 0;
            for (let b = Math.floor(start / bin); b < Math.min(bins, Math.ceil(end / bin)); b++) {
              sum += density[b];
              count++;
            }
            return count > 0 ? sum / count / uniform : NaN;
          };
        } else {
          const probs = await loaded.plugin.predict(loaded.model, track.x);
          const truth = Float64Array.from({ length: track.x.shape[0] }, (_, i) => probs.data[i * k + track.y]);
          scoreOf = (start, end) => overlapMean(track.segments, truth, start, end);
        }
        let best = { start: 0, end: Math.min(duration, p.window), score: -Infinity };
        const scores = new Map<number, number>();
        for (const start of starts) {
          const end = Math.min(duration, start + p.window);
          const score = scoreOf(start, end);
          scores.set(start, score);
          if (score > best.score) best = { start, end, score };
        }
        const clip = signal.y.slice(Math.round(best.start * signal.sr), Math.round(best.end * signal.sr));
        found.set(track.id, { ...best, clip, sr: signal.sr, scores });
      });
      let index = 0;
      const timeline: { name: string; scores: Map<number, number> }[] = [];
      for (const t of chosen) {
        const w = found.get(t.id);
        if (!w) continue;
        const file = `clips/clip-${String(index).padStart(3, "0")}.wav`;
        files[file] = encodeWav16(w.clip, w.sr);
        rows.push({ clip: index, file, track: t.id, label: t.label, confidence: t.confidence, start_s: w.start, end_s: w.end, score: w.score, by });
        timeline.push({ name: `${index}: ${t.label} (${t.id})`, scores: w.scores });
        index++;
      }
      // Every window's score, a row per clip: where in its track each clip was taken from.
      const starts = [...new Set(timeline.flatMap((t) => [...t.scores.keys()]))].sort((a, b) => a - b);
      if (timeline.length > 0) {
        charts.windows = heatmapChart(
          timeline.map((t) => starts.map((s) => t.scores.get(s) ?? NaN)),
          timeline.map((t) => t.name),
          starts.map((s) => `${s.toFixed(1)} s`),
          {
            title: `Score of each ${p.window} s window (by ${by}); the clip is the best one`,
            rowTitle: "clip",
            columnTitle: "window start",
            legendTitle: by === "attention" ? "vs uniform" : "P(true)",
            format: ".2f",
          },
        );
      }
    } else {
      notes.push("no track qualified: lower min_confidence, or train the model longer");
    }
    const table = rows.length > 0 ? aq.from(rows) : aq.table({ clip: [], file: [], track: [], label: [], confidence: [], start_s: [], end_s: [], score: [], by: [] });
    return { tables: { segments: table }, charts, files, notes };
  },
});

export type SegmentsOptions = AnalysisOptions & Partial<z.input<typeof segmentsParams>>;

/**
 * The most typical 5-second passage of each class's best-recognised tracks, as WAV clips.
 * @example (await segments(run, { per_class: 2 })).tables.segments
 */
export function segments(run: Parameters<typeof runAnalysis>[1], options: SegmentsOptions = {}): Promise<AnalysisResult> {
  return runAnalysis(segmentsAnalysis, run, options);
}
