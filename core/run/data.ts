/**
 * A dataset's splits as arrays: every track of the manifest's train, validation and test parts
 * decoded, segmented and turned into examples by a feature spec, with the track each example comes
 * from (for track-level evaluation). Tracks that fail are reported and left out; the others go on.
 * With several tracks and cores, the tracks are decoded and their features computed in the feature
 * worker pool (core/features/dataset.ts), through the same cache; a feature plugin that is not built in
 * (the workers could not resolve it) is computed here on the main thread.
 */
import { availableParallelism } from "node:os";
import { loadAudio } from "../audio/load.ts";
import { rowsOfSplit, trackPath, type Manifest, type ManifestRow, type Split } from "../dataset/manifest.ts";
import { builtinPluginList } from "../defaults.ts";
import { DatasetError } from "../errors.ts";
import type { FeatureCache } from "../features/cache.ts";
import { extractDataset } from "../features/dataset.ts";
import { ndarray, sizeOf, type NdArray } from "../ndarray.ts";
import type { FeaturePlugin, LabelledArray, TrackProblem } from "../plugin.ts";
import { progress } from "../progress.ts";
import { trackExamples, type FeatureSpec, type SegmentInfo } from "./features.ts";

/** Labelled examples that know their tracks. */
export interface SegmentSet extends LabelledArray {
  /** Track id of each example. */
  readonly tracks: readonly string[];
  /** Which part of its track each example is (absent for in-memory data). */
  readonly segments?: readonly SegmentInfo[];
}

/** The parts of a dataset as arrays, with the class names (`y` indexes `labels`). */
export interface DatasetArrays {
  readonly labels: string[];
  readonly train?: SegmentSet;
  readonly validation?: SegmentSet;
  readonly test?: SegmentSet;
  /** Tracks left out, and why. */
  readonly problems: TrackProblem[];
}

export interface DatasetArraysOptions {
  /** Parts to load (default all three). */
  readonly splits?: readonly Split[];
  /** Class names in index order (default: the sorted labels of the loaded parts). */
  readonly labels?: readonly string[];
  readonly cache?: FeatureCache;
  /** Text of the progress bar. */
  readonly label?: string;
  /** Worker threads computing the tracks' examples (default: every core; 1: all on the main thread). */
  readonly workers?: number;
}

type TrackPart = { x: NdArray<Float32Array>; y: number; track: string; segments: readonly SegmentInfo[] };

/** Whether feature workers (which build their registry from the built-ins) run `plugin` itself. */
function workersCanRun(plugin: FeaturePlugin): boolean {
  return builtinPluginList().includes(plugin);
}

function concat(parts: TrackPart[], shape: readonly number[]): SegmentSet {
  const size = sizeOf(shape);
  const n = parts.reduce((s, p) => s + p.x.shape[0], 0);
  const x = new Float32Array(n * size);
  const y = new Int32Array(n);
  const tracks: string[] = [];
  const segments: SegmentInfo[] = [];
  let at = 0;
  for (const p of parts) {
    x.set(p.x.data, at * size);
    for (let i = 0; i < p.x.shape[0]; i++) {
      y[at + i] = p.y;
      tracks.push(p.track);
      segments.push(p.segments[i]);
    }
    at += p.x.shape[0];
  }
  return { x: ndarray(x, [n, ...shape]), y, tracks, segments };
}

/** Load the manifest's parts as arrays of examples. */
export async function datasetArrays(
  manifest: Manifest,
  file: string,
  spec: FeatureSpec,
  plugin: FeaturePlugin,
  options: DatasetArraysOptions = {},
): Promise<DatasetArrays> {
  const splits = options.splits ?? (["train", "validation", "test"] as const);
  const rows = splits.flatMap((s) => rowsOfSplit(manifest, s));
  if (rows.length === 0) {
    const present = [...new Set(manifest.rows.map((r) => r.split || "(none)"))].join(", ");
    throw new DatasetError(file, `no track in ${splits.join("/")} (splits present: ${present}); split it first: clave dataset split ${file}`);
  }
  const labels = options.labels ? [...options.labels] : [...new Set(rows.map((r) => r.label))].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const problems: TrackProblem[] = [];
  const parts = new Map<string, TrackPart[]>();
  let shape: readonly number[] | undefined;
  const add = (row: ManifestRow, path: string, y: number, x: NdArray<Float32Array>, segments: readonly SegmentInfo[]) => {
    const exampleShape = x.shape.slice(1);
    shape ??= exampleShape;
    if (exampleShape.some((d, i) => d !== shape![i]) || exampleShape.length !== shape.length) {
      problems.push({ path, reason: `${row.id}: examples of shape [${exampleShape.join(", ")}] where the others have [${shape.join(", ")}] (different sampling rate?)` });
      return;
    }
    const list = parts.get(row.split) ?? [];
    list.push({ x, y, track: row.id, segments });
    parts.set(row.split, list);
  };
  const labelOf = (row: ManifestRow): number => {
    const y = index.get(row.label);
    if (y === undefined) throw new Error(`label ${JSON.stringify(row.label)} is not one of the model's labels (${labels.join(", ")})`);
    return y;
  };
  const workers = Math.min(options.workers ?? availableParallelism(), rows.length);
  const bar = progress(rows.length, options.label ?? "features");
  try {
    if (workers > 1 && workersCanRun(plugin)) {
      // Jobs by position, so two rows of one id stay two tracks; results are put back in row order.
      const wanted: { row: ManifestRow; path: string; y: number }[] = [];
      for (const row of rows) {
        const path = trackPath(manifest, row);
        try {
          wanted.push({ row, path, y: labelOf(row) });
        } catch (error) {
          problems.push({ path, reason: `${row.id}: ${error instanceof Error ? error.message : String(error)}` });
          bar.tick(1, row.id);
        }
      }
      const result = await extractDataset(
        wanted.map((w, i) => ({ id: String(i), path: w.path, hash: "", examples: spec })),
        {
          features: [],
          cacheDir: options.cache?.dir ?? null,
          sr: spec.sr,
          workers,
          onClip: (_done, _total, outcome) => bar.tick(1, wanted[Number(outcome.id)].row.id),
        },
      );
      const byJob = new Map(result.outcomes.map((o) => [Number(o.id), o]));
      const failed = new Map(result.failures.map((f) => [Number(f.id), f.reason]));
      wanted.forEach((w, i) => {
        const examples = byJob.get(i)?.examples;
        if (examples) add(w.row, w.path, w.y, ndarray(examples.data, examples.shape), examples.segments);
        else problems.push({ path: w.path, reason: `${w.row.id}: ${failed.get(i) ?? "no examples"}` });
      });
    } else {
      for (const row of rows) {
        const path = trackPath(manifest, row);
        try {
          const y = labelOf(row);
          const signal = await loadAudio(path, { sr: spec.sr });
          const examples = await trackExamples(signal, row.id, spec, plugin, { ...(options.cache ? { cache: options.cache } : {}), source: path });
          add(row, path, y, examples.x, examples.segments);
        } catch (error) {
          problems.push({ path, reason: `${row.id}: ${error instanceof Error ? error.message : String(error)}` });
        }
        bar.tick(1, row.id);
      }
    }
  } finally {
    bar.stop();
  }
  if (!shape) throw new DatasetError(file, `no track could be loaded (${problems.length} failed; first: ${problems[0]?.reason ?? "?"})`);
  const out: { -readonly [K in keyof DatasetArrays]: DatasetArrays[K] } = { labels, problems };
  for (const split of splits) {
    const list = parts.get(split);
    if (list && list.length > 0) out[split] = concat(list, shape);
  }
  return out;
}
