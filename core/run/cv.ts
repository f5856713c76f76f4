/**
 * Cross-validation: repeated stratified k-fold where a group — a track's segments, an artist's tracks —
 * never sits on both sides of a fold (split.ts's `assignParts`, a new seed per repeat), on a feature
 * table or on a dataset's features. Every fold is a recorded run; the mean and standard deviation of
 * each metric over the folds summarise them.
 *
 * On disk, one folder per model, a collection of runs (`clave runs` skips it; `clave runs --runs
 * <it>` lists its folds):
 *
 *     runs/<time>-cv-<model>-<hash>/
 *       cv.json          model, params, data, folds × repeats, seed, each fold's run id and metrics, and
 *                        the mean ± std (written after every fold: an interrupted CV keeps its folds)
 *       <fold run>/      one whole run per fold (run.json, config.json, metrics.json, model/, ...)
 *
 * The standard deviation is the population's (numpy's `std`, ddof 0), over every fold of every repeat.
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as aq from "arquero";
import { hashFile } from "../dataset/hash.ts";
import { EXCLUDED, type Manifest } from "../dataset/manifest.ts";
import { dataset as openDataset, type Dataset } from "../dataset/open.ts";
import { kfold } from "../dataset/split.ts";
import { loadTableDataset, tableFolds, type TableDataset, type TableInput, type TableOptions, type TableSpec } from "../dataset/table.ts";
import { registryOrDefault } from "../defaults.ts";
import { DatasetError, UsageError } from "../errors.ts";
import { writeFileAtomic } from "../fsutil.ts";
import type { Evaluation } from "../metrics/evaluate.ts";
import { ndarray } from "../ndarray.ts";
import { resolveParams } from "../params.ts";
import type { Registry } from "../registry.ts";
import { warnToStderr, type WarningSink } from "../text.ts";
import { datasetArrays, type SegmentSet } from "./data.ts";
import { resolveFeatureSpec, type FeatureSpec } from "./features.ts";
import { runId, tableName, trainRun, type DatasetRecord } from "./run.ts";
import { datasetCache, reportProblems } from "./study.ts";
import { reportTableNotes, tableDatasetRecord, tableRows } from "./table.ts";

/** The metrics summarised over folds (fractions; `track_*` when examples carry track ids). */
export const CV_METRICS = ["accuracy", "macro_f1", "weighted_f1", "loss", "track_accuracy", "track_macro_f1"] as const;
export type CvMetric = (typeof CV_METRICS)[number];

export interface CrossValidateOptions extends TableOptions {
  /** Model plugin name, or several (each cross-validated on the same folds). */
  readonly model: string | readonly string[];
  /** Model params (for every model given). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Params of each model by its name, over `params` (`{ svm: { C: 10 }, knn: { n_neighbors: 9 } }`). */
  readonly modelParams?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** A feature table (or several, joined): see core/dataset/table.ts. */
  readonly table?: TableInput | readonly TableInput[];
  /** Or a dataset manifest and a feature (preset or plugin), as `train` takes them. */
  readonly dataset?: string | Dataset;
  readonly features?: string;
  readonly featureParams?: Readonly<Record<string, unknown>>;
  readonly segment?: number | null;
  readonly hop?: number;
  readonly sr?: number;
  readonly cache?: string | false;
  /** Folds (default 5). */
  readonly folds?: number;
  /** Repeats of the k folds, each with its own seed (default 1). */
  readonly repeats?: number;
  /** Seed of the folds (repeat r uses seed + r) and of the models (default 0). */
  readonly seed?: number;
  /** Shorthand for `params.epochs` (networks). */
  readonly epochs?: number;
  /** Folder the CV folders go in (default `runs`). */
  readonly runs?: string;
  readonly registry?: Registry;
  readonly onWarning?: WarningSink;
  /** Called after each fold. */
  readonly onFold?: (fold: CvFold, model: string, done: number, total: number) => void;
  readonly progress?: boolean;
}

export interface CvFold {
  readonly repeat: number;
  readonly fold: number;
  /** The fold's run id (a folder in the CV's folder). */
  readonly run: string;
  readonly train: number;
  readonly test: number;
  readonly duration_s: number;
  readonly metrics: Readonly<Partial<Record<CvMetric, number>>>;
}

export interface CvSummary {
  readonly mean: number;
  readonly std: number;
}

/** One model's cross-validation, as `cv.json` holds it. */
export interface CvResult {
  readonly id: string;
  readonly dir: string;
  readonly model: string;
  readonly params: Record<string, unknown>;
  /** What the rows were: the table's record, or the feature spec. */
  readonly data: { readonly table?: TableSpec; readonly features?: FeatureSpec; readonly dataset?: string; readonly sha256?: string };
  readonly k: number;
  readonly repeats: number;
  readonly seed: number;
  readonly group: string;
  readonly labels: readonly string[];
  readonly folds: readonly CvFold[];
  /** Mean and population std of each metric over the folds (NaN metrics left out). */
  readonly summary: Readonly<Partial<Record<CvMetric, CvSummary>>>;
  readonly complete: boolean;
}

/** Every model's result, and a table with one row per model: mean ± std of each metric. */
export interface CvReport {
  readonly results: readonly CvResult[];
  readonly table: aq.ColumnTable;
}

/** What the folds are made of: the examples of some rows, the fold of each row, how to record them. */
export interface FoldSource {
  readonly labels: readonly string[];
  readonly nRows: number;
  readonly group: string;
  /** Fold index (0..k-1) of each row for a seed. */
  folds(k: number, seed: number): number[];
  /** The examples of these rows. */
  examples(rows: readonly number[]): SegmentSet;
  /** The record of a fold's data (train and test rows). */
  record(train: readonly number[], test: readonly number[]): DatasetRecord;
  readonly data: CvResult["data"];
  readonly table?: TableSpec;
  readonly features?: FeatureSpec;
}

function meanStd(values: readonly number[]): CvSummary {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
  return { mean, std: Math.sqrt(variance) };
}

function foldMetrics(evaluation: Evaluation): Partial<Record<CvMetric, number>> {
  const m = evaluation.segment;
  return {
    accuracy: m.accuracy,
    macro_f1: m.macroF1,
    weighted_f1: m.weightedF1,
    loss: m.loss,
    ...(evaluation.track ? { track_accuracy: evaluation.track.accuracy, track_macro_f1: evaluation.track.macroF1 } : {}),
  };
}

/** Mean ± std of each metric over the folds. */
export function summariseFolds(folds: readonly CvFold[]): Partial<Record<CvMetric, CvSummary>> {
  const out: Partial<Record<CvMetric, CvSummary>> = {};
  for (const metric of CV_METRICS) {
    const values = folds.map((f) => f.metrics[metric]).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
    if (values.length > 0) out[metric] = meanStd(values);
  }
  return out;
}

/** The folds of a feature table, using only `columns` (indices of its feature columns) when given. */
export function tableFoldSource(data: TableDataset, columns?: readonly number[]): FoldSource {
  const spec: TableSpec = columns ? { ...data.spec, columns: columns.map((j) => data.columns[j]) } : data.spec;
  return {
    labels: data.labels,
    nRows: data.y.length,
    group: data.spec.group,
    folds: (k, seed) => tableFolds(data, k, seed),
    examples: (rows) => tableRows(data, rows, columns),
    record: (train, test) => tableDatasetRecord(data, { train, validation: [], test }),
    data: { table: spec },
    table: spec,
  };
}

/** The folds of a dataset's tracks: every track not `excluded`, in folds by track or artist (split.ts's `kfold`). */
async function datasetFoldSource(options: CrossValidateOptions, registry: Registry, onWarning: WarningSink): Promise<FoldSource> {
  if (options.features === undefined) throw new UsageError("cross-validation on a dataset needs features (a preset or a feature plugin)");
  const spec = resolveFeatureSpec(registry, options.features, options.featureParams ?? {}, {
    ...(options.sr !== undefined ? { sr: options.sr } : {}),
    ...(options.segment !== undefined ? { segment_s: options.segment } : {}),
    ...(options.hop !== undefined ? { hop_s: options.hop } : {}),
  });
  const ds = await openDataset(options.dataset!, { onWarning });
  // Every track that is in the data (whatever its split) is one of the folds' rows.
  const rows = ds.manifest.rows.filter((r) => r.split !== EXCLUDED && r.path !== "");
  if (rows.length === 0) throw new DatasetError(ds.file, "no track to cross-validate on (every track is excluded)");
  const pooled: Manifest = { ...ds.manifest, rows: rows.map((r) => ({ ...r, split: "train" })) };
  const cache = datasetCache(options.cache, ds.file);
  const arrays = await datasetArrays(pooled, ds.file, spec, registry.feature(spec.plugin), cache ? { cache, splits: ["train"] } : { splits: ["train"] });
  reportProblems(arrays.problems, onWarning);
  const all = arrays.train;
  if (!all) throw new DatasetError(ds.file, "no track could be loaded");
  const loaded = rows.filter((r) => all.tracks.includes(r.id));
  const sha256 = await hashFile(ds.file);
  const size = all.x.shape.slice(1).reduce((a, b) => a * b, 1);
  const segmentsOf = new Map<string, number[]>();
  all.tracks.forEach((t, i) => segmentsOf.set(t, [...(segmentsOf.get(t) ?? []), i]));
  const group = options.group === "track" || options.group === "artist" ? options.group : "auto";
  return {
    labels: arrays.labels,
    nRows: loaded.length,
    group,
    folds: (k, seed) => kfold(loaded, k, { seed, group }),
    examples: (trackRows) => {
      const segments = trackRows.flatMap((r) => segmentsOf.get(loaded[r].id) ?? []);
      const x = new Float32Array(segments.length * size);
      segments.forEach((s, i) => x.set(all.x.data.subarray(s * size, (s + 1) * size), i * size));
      return {
        x: ndarray(x, [segments.length, ...all.x.shape.slice(1)]),
        y: Int32Array.from(segments, (s) => all.y[s]),
        tracks: segments.map((s) => all.tracks[s]),
      };
    },
    record: (train, test) => ({
      manifest: ds.file,
      sha256,
      splits: { train: train.map((r) => loaded[r].id), validation: [], test: test.map((r) => loaded[r].id) },
    }),
    data: { features: spec, dataset: ds.file, sha256 },
    features: spec,
  };
}

/** Cross-validate one model on a fold source; every fold recorded in `<runs>/<cv id>/`. */
export async function crossValidateSource(
  source: FoldSource,
  model: string,
  options: Pick<CrossValidateOptions, "params" | "epochs" | "folds" | "repeats" | "seed" | "runs" | "registry" | "onFold" | "progress">,
): Promise<CvResult> {
  const registry = await registryOrDefault(options.registry);
  const plugin = registry.model(model);
  const given: Record<string, unknown> = { ...(options.params ?? {}) };
  if (options.epochs !== undefined) given.epochs = options.epochs;
  const params = resolveParams(plugin, given) as Record<string, unknown>;
  const k = options.folds ?? 5;
  const repeats = options.repeats ?? 1;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(k) || k < 2) throw new UsageError(`folds ${k}: expected an integer >= 2`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new UsageError(`repeats ${repeats}: expected a positive integer`);
  // Folds of every repeat, made (and checked) before any training.
  const assignments = Array.from({ length: repeats }, (_, r) => source.folds(k, seed + r));
  const started = new Date();
  const id = runId(started, `cv-${plugin.name}`, { params, data: source.data, k, repeats, seed });
  const dir = resolve(options.runs ?? "runs", id);
  await mkdir(dir, { recursive: true });
  const folds: CvFold[] = [];
  const result = (complete: boolean): CvResult => ({
    id,
    dir,
    model: plugin.name,
    params,
    data: source.data,
    k,
    repeats,
    seed,
    group: source.group,
    labels: source.labels,
    folds,
    summary: summariseFolds(folds),
    complete,
  });
  const save = (complete: boolean) => writeFileAtomic(join(dir, "cv.json"), `${JSON.stringify(result(complete), null, 2)}\n`);
  await save(false);
  for (let r = 0; r < repeats; r++) {
    for (let f = 0; f < k; f++) {
      const train: number[] = [];
      const test: number[] = [];
      assignments[r].forEach((fold, row) => (fold === f ? test : train).push(row));
      const run = await trainRun({
        model: plugin,
        params,
        labels: source.labels,
        train: source.examples(train),
        test: source.examples(test),
        seed: seed + r,
        runsDir: dir,
        ...(source.features ? { features: source.features } : {}),
        ...(source.table ? { table: source.table } : {}),
        dataset: source.record(train, test),
        progress: options.progress ?? false,
      });
      const fold: CvFold = {
        repeat: r,
        fold: f,
        run: run.id,
        train: run.summary.examples.train,
        test: run.summary.examples.test,
        duration_s: run.summary.duration_s,
        metrics: foldMetrics(run.evaluation),
      };
      folds.push(fold);
      await save(false);
      options.onFold?.(fold, plugin.name, folds.length, k * repeats);
    }
  }
  await save(true);
  return result(true);
}

/** One row per result: model, data, folds, and the mean and std of each metric. */
export function cvTable(results: readonly CvResult[]): aq.ColumnTable {
  const column = <T>(f: (r: CvResult) => T) => results.map(f);
  const metrics: Record<string, (number | null)[]> = {};
  for (const metric of CV_METRICS) {
    if (!results.some((r) => r.summary[metric])) continue;
    metrics[`${metric}_mean`] = column((r) => r.summary[metric]?.mean ?? null);
    metrics[`${metric}_std`] = column((r) => r.summary[metric]?.std ?? null);
  }
  return aq.table({
    model: column((r) => r.model),
    data: column((r) => (r.data.table ? tableName(r.data.table) : (r.data.features?.name ?? null))),
    folds: column((r) => `${r.k}x${r.repeats}`),
    ...metrics,
    time_s: column((r) => r.folds.reduce((a, f) => a + f.duration_s, 0)),
    id: column((r) => r.id),
  });
}

/**
 * Repeated, stratified, grouped k-fold cross-validation of one or more models on a feature table
 * (`table`) or a dataset's features (`dataset` + `features`); every fold a recorded run.
 * @example const cv = await crossValidate({ model: ["knn", "svm"], table: "features_30_sec.csv", folds: 5, repeats: 3 }); cv.table
 */
export async function crossValidate(options: CrossValidateOptions): Promise<CvReport> {
  const registry = await registryOrDefault(options.registry);
  const onWarning = options.onWarning ?? warnToStderr;
  const models = typeof options.model === "string" ? [options.model] : [...options.model];
  if (models.length === 0) throw new UsageError("cross-validation: name at least one model");
  const paramsOf = (m: string) => ({ ...(options.params ?? {}), ...(options.modelParams?.[m] ?? {}) });
  // Unknown models and bad params are refused before any data is read.
  for (const m of models) resolveParams(registry.model(m), { ...paramsOf(m), ...(options.epochs !== undefined ? { epochs: options.epochs } : {}) });
  for (const m of Object.keys(options.modelParams ?? {})) if (!models.includes(m)) throw new UsageError(`params for ${m}, which is not among the models (${models.join(", ")})`);
  if ((options.table === undefined) === (options.dataset === undefined)) throw new UsageError("cross-validation needs a table, or a dataset with features (not both)");
  let source: FoldSource;
  if (options.table !== undefined) {
    const data = await loadTableDataset(options.table, options);
    reportTableNotes(data, onWarning);
    source = tableFoldSource(data);
  } else {
    source = await datasetFoldSource(options, registry, onWarning);
  }
  const results: CvResult[] = [];
  for (const model of models) results.push(await crossValidateSource(source, model, { ...options, params: paramsOf(model), registry }));
  return { results, table: cvTable(results) };
}
