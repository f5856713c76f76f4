/**
 * A run's data as the analyses read it: the tracks of its dataset, one at a time (decoded, cut and
 * featurised exactly as for training, through the feature cache), so that a large dataset is never
 * held whole; per-example feature aggregates (mean and variance over frames of each feature row,
 * named as GTZAN's columns are); and a model's internal vectors — the input of its classifier (the
 * penultimate layer) or any intermediate output its plugin's `inspect` names.
 */
import type * as TF from "@tensorflow/tfjs";
import { z } from "zod";
import { loadAudio } from "../audio/load.ts";
import { loadTf } from "../backend.ts";
import { hashFile } from "../dataset/hash.ts";
import { SPLITS, rowsOfSplit, trackPath, type Split } from "../dataset/manifest.ts";
import { dataset as openDataset, type Dataset } from "../dataset/open.ts";
import { RunError } from "../errors.ts";
import { GTZAN_COLUMN_NAMES } from "../features/aggregate.ts";
import type { NdArray } from "../ndarray.ts";
import { resolveParams } from "../params.ts";
import type { FeaturePlugin, Signal } from "../plugin.ts";
import { progress } from "../progress.ts";
import { LOGITS, PROBABILITIES, outputLayerNames } from "../tfmodel.ts";
import { predictInBatches } from "../train/batches.ts";
import type { Registry } from "../registry.ts";
import { trackExamples, type FeatureSpec, type SegmentInfo } from "../run/features.ts";
import type { Run } from "../run/recorded-run.ts";
import { datasetCache } from "../run/study.ts";
import type { RunModel } from "../run/use.ts";
import type { AnalysisContext } from "./analysis.ts";

/** Which part of the dataset an analysis reads: one split, or all three. */
export const splitParam = z.enum(["train", "validation", "test", "all"]);
export type SplitChoice = z.output<typeof splitParam>;

/** "the test split", "all splits": for titles and notes. */
export function splitText(choice: SplitChoice): string {
  return choice === "all" ? "all splits" : `the ${choice} split`;
}

export function splitsOf(choice: SplitChoice): Split[] {
  return choice === "all" ? [...SPLITS] : [choice];
}

/** Per example (segment) or per track (its segments pooled). */
export const levelParam = z.enum(["segment", "track"]);
export type AnalysisLevel = z.output<typeof levelParam>;

/** The run's feature pipeline; a run trained on in-memory arrays has none. */
export function runFeatureSpec(run: Run): FeatureSpec {
  const spec = run.config.features;
  if (!spec) throw new RunError(run.dir, "this run was trained on arrays, not on a dataset's features: it has no tracks to analyse");
  return spec;
}

/** The dataset the run was trained on, with a warning when its manifest changed since. */
export async function runDataset(context: AnalysisContext): Promise<Dataset> {
  const { run } = context;
  if (!run.dataset) throw new RunError(run.dir, "no dataset recorded with this run");
  const ds = await openDataset(run.dataset.manifest, { onWarning: context.onWarning });
  if ((await hashFile(ds.file)) !== run.dataset.sha256) context.onWarning(`${ds.file} changed since run ${run.id} was trained (sha256 differs)`);
  return ds;
}

/** One track as the run's model sees it. */
export interface TrackData {
  readonly id: string;
  readonly label: string;
  /** Index of the label among the run's labels. */
  readonly y: number;
  readonly split: Split;
  /** The audio file. */
  readonly path: string;
  /** Its examples `[segments, ...exampleShape]`, in the model's layout. */
  readonly x: NdArray<Float32Array>;
  readonly segments: readonly SegmentInfo[];
  /** The decoded audio, when asked for (`keepSignal`). */
  readonly signal?: Signal;
}

export interface EachTrackOptions {
  readonly splits: readonly Split[];
  /** Hop between segment starts in seconds (default the run's). */
  readonly hop?: number;
  readonly keepSignal?: boolean;
  /** Text of the progress bar. */
  readonly label?: string;
  /** Only these tracks (by id). */
  readonly ids?: ReadonlySet<string>;
}

/**
 * Call `fn` with each track of `splits`, in manifest order. A track that fails to load (or whose
 * label the run does not know) is added to `context.problems` and the others go on.
 */
export async function eachTrack(context: AnalysisContext, options: EachTrackOptions, fn: (track: TrackData) => Promise<void> | void): Promise<number> {
  const spec = runFeatureSpec(context.run);
  const ds = await runDataset(context);
  const plugin: FeaturePlugin = context.registry.feature(spec.plugin);
  const cache = datasetCache(context.cache, ds.file);
  const used = options.hop !== undefined && spec.segment_s !== null ? { ...spec, hop_s: options.hop } : spec;
  const labels = context.run.labels;
  const rows = options.splits.flatMap((s) => rowsOfSplit(ds.manifest, s)).filter((r) => !options.ids || options.ids.has(r.id));
  if (rows.length === 0) throw new RunError(ds.file, `no track in the ${options.splits.join("/")} split`);
  const bar = context.progress ? progress(rows.length, options.label ?? "tracks") : undefined;
  let done = 0;
  try {
    for (const row of rows) {
      const path = trackPath(ds.manifest, row);
      let track: TrackData;
      try {
        const y = labels.indexOf(row.label);
        if (y < 0) throw new Error(`label ${JSON.stringify(row.label)} is not one of the run's labels (${labels.join(", ")})`);
        const signal = await loadAudio(path, { sr: spec.sr });
        const examples = await trackExamples(signal, row.id, used, plugin, { ...(cache ? { cache } : {}), source: path });
        track = { id: row.id, label: row.label, y, split: row.split as Split, path, x: examples.x, segments: examples.segments, ...(options.keepSignal ? { signal } : {}) };
      } catch (error) {
        context.problems.push({ path, reason: `${row.id}: ${error instanceof Error ? error.message : String(error)}` });
        bar?.tick(1, row.id);
        continue;
      }
      await fn(track);
      done++;
      bar?.tick(1, row.id);
    }
  } finally {
    bar?.stop();
  }
  if (done === 0) throw new RunError(ds.file, `no track could be loaded (${context.problems.length} failed; first: ${context.problems[0]?.reason ?? "?"})`);
  return done;
}

// --------------------------------------------------------------------------------- feature aggregates

/**
 * The name of each feature row of the run's examples (the last axis of an example): the parts of a
 * stack by their features (`mfcc1` ... `mfcc13`, `chroma_stft1` ..., `onset_strength`, `tempogram1`
 * ...), another frame feature's rows by its name and index; null when they cannot be known.
 */
export function featureRowNames(spec: FeatureSpec, registry: Registry, rows: number): string[] {
  const parts = stackParts(spec, registry);
  const named = (base: string, count: number) => {
    const b = GTZAN_COLUMN_NAMES[base] ?? base;
    if (count === 1) return [b];
    const prefix = /\d$/.test(b) ? `${b}_` : b;
    return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
  };
  const names = parts ? parts.flatMap((p) => named(p.name, p.rows)) : named(spec.name, rows);
  if (names.length !== rows || new Set(names).size !== names.length) return Array.from({ length: rows }, (_, i) => `f${i + 1}`);
  return names;
}

/** One part of a stack feature: its feature's name and how many rows it has. */
export interface StackPart {
  readonly name: string;
  readonly rows: number;
}

/** The parts of a stack feature in order, with their row counts; null when the run's feature is not a stack. */
export function stackParts(spec: FeatureSpec, registry: Registry): StackPart[] | null {
  const entries = (spec.params as { features?: unknown }).features;
  if (spec.plugin !== "stack" || !Array.isArray(entries)) return null;
  const samples = Math.round((spec.segment_s ?? 30) * spec.sr);
  const seen = new Map<string, number>();
  return entries.map((entry) => {
    const name = typeof entry === "string" ? entry : String((entry as { name: unknown }).name);
    const raw = typeof entry === "string" ? {} : ((entry as { params?: Record<string, unknown> }).params ?? {});
    const plugin = registry.feature(name);
    const shape = plugin.shape(resolveParams(plugin, raw) as never, samples, spec.sr);
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return { name: count > 1 ? `${name}_${count}` : name, rows: shape.length === 1 ? 1 : shape[0] };
  });
}

/** Frames and feature rows of one example of shape `exampleShape` (the last axis is the feature rows). */
function layoutOf(exampleShape: readonly number[]): { frames: number; rows: number } {
  if (exampleShape.length === 0) return { frames: 1, rows: 1 };
  // A 1-D example is one feature over frames (onset strength), or a single value.
  if (exampleShape.length === 1) return { frames: exampleShape[0], rows: 1 };
  const rows = exampleShape[exampleShape.length - 1];
  return { frames: exampleShape.slice(0, -1).reduce((a, b) => a * b, 1), rows };
}

/** Column names of the aggregates of examples shaped `exampleShape`: `<row>_mean`, `<row>_var` (a single value: its name). */
export function aggregateNames(spec: FeatureSpec, registry: Registry, exampleShape: readonly number[]): string[] {
  const { frames, rows } = layoutOf(exampleShape);
  if (frames === 1 && rows === 1) return [spec.name];
  return featureRowNames(spec, registry, rows).flatMap((r) => [`${r}_mean`, `${r}_var`]);
}

/**
 * Mean and population variance over frames of each feature row, of the examples `first..last` of
 * `x` pooled (one example: its own aggregates; a track's: pooled over its segments).
 */
export function aggregateExamples(x: NdArray<Float32Array>, first = 0, last = x.shape[0]): Float64Array {
  const { frames, rows } = layoutOf(x.shape.slice(1));
  if (frames === 1 && rows === 1) {
    let sum = 0;
    for (let i = first; i < last; i++) sum += x.data[i];
    return Float64Array.of(sum / Math.max(1, last - first));
  }
  const size = frames * rows;
  const mean = new Float64Array(rows);
  const m2 = new Float64Array(rows);
  let n = 0;
  for (let e = first; e < last; e++) {
    for (let t = 0; t < frames; t++) {
      n++;
      const base = e * size + t * rows;
      for (let r = 0; r < rows; r++) {
        // Welford: stable for long tracks.
        const v = x.data[base + r];
        const d = v - mean[r];
        mean[r] += d / n;
        m2[r] += d * (v - mean[r]);
      }
    }
  }
  const out = new Float64Array(2 * rows);
  for (let r = 0; r < rows; r++) {
    out[2 * r] = mean[r];
    out[2 * r + 1] = n > 0 ? m2[r] / n : NaN;
  }
  return out;
}

// ----------------------------------------------------------------------------------- model vectors

/** Where vectors come from: feature aggregates, the classifier's input, or a named intermediate output. */
export const sourceParam = z
  .string()
  .default("auto")
  .describe("vectors: features (aggregates), penultimate (the classifier's input), a tap the model names (embeddings, code, pooled...), or auto (penultimate when the model has layers, else features)");

const subModels = new WeakMap<object, TF.LayersModel>();

/** The layers network of a loaded model, when it has one (tfjs models do). */
function networkOf(loaded: RunModel): TF.LayersModel | null {
  const network = (loaded.model as { network?: unknown } | null)?.network as TF.LayersModel | undefined;
  return network && typeof network.getLayer === "function" ? network : null;
}

/** `auto` resolved: penultimate for models with layers, features otherwise. */
export function resolveSource(source: string, loaded: RunModel | null): string {
  if (source !== "auto") return source;
  return loaded && networkOf(loaded) ? "penultimate" : "features";
}

/** The input of the model's classifier (the dense layer before its softmax) for examples `x`. */
async function penultimate(run: Run, loaded: RunModel, x: NdArray<Float32Array>): Promise<NdArray<Float32Array>> {
  const network = networkOf(loaded);
  if (!network) throw new RunError(run.dir, `a ${run.config.model} model has no layers to read a penultimate vector from (use source=features)`);
  let model = subModels.get(network);
  if (!model) {
    const tf = await loadTf();
    const names = outputLayerNames(network);
    let head = network.getLayer(names.includes(PROBABILITIES) ? PROBABILITIES : names[names.length - 1]);
    // A head split into logits (dense) → probabilities (softmax) is one classifier.
    if (head.getClassName() === "Activation" && network.layers.some((l) => l.name === LOGITS)) head = network.getLayer(LOGITS);
    model = tf.model({ inputs: network.inputs, outputs: head.input as TF.SymbolicTensor });
    subModels.set(network, model);
  }
  return (await predictInBatches(await loadTf(), model, x, 32))[0];
}

/** Rows `[n, d]` of `array` (`[n, ...]`), extra axes averaged (token embeddings `[n, tokens, 128]` → `[n, 128]`). */
function perExample(array: NdArray<Float32Array>): { data: Float32Array; dims: number } {
  const [n, ...rest] = array.shape;
  if (rest.length <= 1) return { data: array.data, dims: rest[0] ?? 1 };
  const dims = rest[rest.length - 1];
  const steps = rest.slice(0, -1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < steps; s++) for (let d = 0; d < dims; d++) out[i * dims + d] += array.data[(i * steps + s) * dims + d] / steps;
  }
  return { data: out, dims };
}

/** The taps a model offers (names), for messages. */
export async function tapNames(loaded: RunModel, x: NdArray<Float32Array>): Promise<string[]> {
  if (!loaded.plugin.inspect) return [];
  return Object.keys(await loaded.plugin.inspect(loaded.model, x));
}

/**
 * The vectors `[segments, d]` of one track's examples from `source` (resolved, not `auto`):
 * `features` (aggregates of each example), `penultimate`, or a tap of the model's `inspect`.
 */
export async function exampleVectors(run: Run, loaded: RunModel | null, x: NdArray<Float32Array>, source: string): Promise<{ data: Float32Array | Float64Array; dims: number }> {
  const n = x.shape[0];
  if (source === "features") {
    const rows = Array.from({ length: n }, (_, i) => aggregateExamples(x, i, i + 1));
    const dims = rows[0]?.length ?? 0;
    const data = new Float64Array(n * dims);
    rows.forEach((r, i) => data.set(r, i * dims));
    return { data, dims };
  }
  if (!loaded) throw new RunError(run.dir, `source ${source} needs the run's model`);
  if (source === "penultimate") return perExample(await penultimate(run, loaded, x));
  if (!loaded.plugin.inspect) throw new RunError(run.dir, `a ${run.config.model} model names no intermediate outputs; use source=penultimate or source=features`);
  const taps = await loaded.plugin.inspect(loaded.model, x);
  const tap = taps[source];
  if (!tap) throw new RunError(run.dir, `a ${run.config.model} model has no output ${JSON.stringify(source)} (it has: ${["features", "penultimate", ...Object.keys(taps)].join(", ")})`);
  return perExample(tap);
}

/** A growing table of rows of one width. */
export class Rows {
  #chunks: Float64Array[] = [];
  #count = 0;
  dims = -1;

  /** Append `count` rows of `dims` values. */
  push(data: ArrayLike<number>, dims: number): void {
    if (this.dims >= 0 && dims !== this.dims) throw new RangeError(`rows of ${dims} values after rows of ${this.dims}`);
    this.dims = dims;
    this.#chunks.push(Float64Array.from(data));
    this.#count += dims > 0 ? data.length / dims : 0;
  }

  get count(): number {
    return this.#count;
  }

  /** The rows as one row-major matrix. */
  matrix(): { data: Float64Array; shape: [number, number] } {
    const dims = Math.max(0, this.dims);
    const data = new Float64Array(this.#count * dims);
    let at = 0;
    for (const c of this.#chunks) {
      data.set(c, at);
      at += c.length;
    }
    return { data, shape: [this.#count, dims] };
  }
}

/** The mean of rows `[n, d]`. */
export function meanRow(data: ArrayLike<number>, n: number, dims: number): Float64Array {
  const out = new Float64Array(dims);
  for (let i = 0; i < n; i++) for (let d = 0; d < dims; d++) out[d] += data[i * dims + d] / n;
  return out;
}

/** Columns scaled to zero mean and unit variance (constant columns to zero), in place. */
export function standardizeColumns(matrix: { data: Float64Array; shape: readonly [number, number] }): void {
  const [n, d] = matrix.shape;
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += matrix.data[i * d + j];
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (matrix.data[i * d + j] - mean) ** 2;
    const std = Math.sqrt(variance / n);
    for (let i = 0; i < n; i++) matrix.data[i * d + j] = std > 0 ? (matrix.data[i * d + j] - mean) / std : 0;
  }
}

/** Vectors of a run's examples or tracks, with the label and track of each row. */
export interface LabelledVectors {
  readonly matrix: { readonly data: Float64Array; readonly shape: [number, number] };
  readonly labels: string[];
  readonly tracks: string[];
  /** Each row's segment index (null for track rows). */
  readonly segments: (number | null)[];
  /** The source the vectors came from (`auto` resolved). */
  readonly source: string;
  /** Column names, when the source has them (feature aggregates). */
  readonly names?: string[];
}

export interface CollectOptions {
  readonly source: string;
  readonly split: SplitChoice;
  readonly level: AnalysisLevel;
  readonly label?: string;
}

/** The vectors of every track (or segment) of a split, from `source`. */
export async function collectVectors(context: AnalysisContext, options: CollectOptions): Promise<LabelledVectors> {
  const { run } = context;
  const loaded = options.source === "features" ? null : await run.model();
  const source = resolveSource(options.source, loaded);
  const rows = new Rows();
  const labels: string[] = [];
  const tracks: string[] = [];
  const segments: (number | null)[] = [];
  let shape: readonly number[] | undefined;
  await eachTrack(context, { splits: splitsOf(options.split), label: options.label ?? source }, async (track) => {
    shape ??= track.x.shape.slice(1);
    const n = track.x.shape[0];
    if (options.level === "track" && source === "features") {
      const pooled = aggregateExamples(track.x);
      rows.push(pooled, pooled.length);
    } else {
      const v = await exampleVectors(run, source === "features" ? null : loaded, track.x, source);
      if (options.level === "track") rows.push(meanRow(v.data, n, v.dims), v.dims);
      else rows.push(v.data, v.dims);
    }
    const count = options.level === "track" ? 1 : n;
    for (let i = 0; i < count; i++) {
      labels.push(track.label);
      tracks.push(track.id);
      segments.push(options.level === "track" ? null : track.segments[i].index);
    }
  });
  const names = source === "features" && shape ? aggregateNames(runFeatureSpec(run), context.registry, shape) : undefined;
  return { matrix: rows.matrix(), labels, tracks, segments, source, ...(names && names.length === rows.dims ? { names } : {}) };
}

/** Feature aggregates of a run's tracks (a row per track or segment), their column names and label indices. */
export async function collectAggregates(context: AnalysisContext, split: SplitChoice, level: AnalysisLevel): Promise<LabelledVectors & { names: string[]; y: Int32Array }> {
  const v = await collectVectors(context, { source: "features", split, level, label: "aggregates" });
  const names = v.names ?? Array.from({ length: v.matrix.shape[1] }, (_, j) => `f${j + 1}`);
  const y = Int32Array.from(v.labels, (l) => context.run.labels.indexOf(l));
  return { ...v, names, y };
}
