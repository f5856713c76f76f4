/**
 * Training from names, in one call: a model plugin, a feature (preset or plugin) and a dataset
 * manifest become a recorded run — the features of every track of the train, validation and test
 * splits (through the feature cache), the model fitted on train (validation for early stopping),
 * evaluated on the held-out test tracks, written to `runs/<id>/`. `study` is the main job: the same,
 * on the embedded synthetic dataset when no dataset is given.
 *
 *     const run = await train({ model: "lstm", features: "stack417", dataset: "data/gtzan/manifest.csv" });
 *     run.metrics();
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Dataset, buildDataset, dataset as openDataset } from "../dataset/open.ts";
import { hashFile } from "../dataset/hash.ts";
import type { Split } from "../dataset/manifest.ts";
import { registryOrDefault } from "../defaults.ts";
import { ClaveError, InputShapeError } from "../errors.ts";
import { FeatureCache } from "../features/cache.ts";
import { ndarray, sizeOf } from "../ndarray.ts";
import { resolveParams } from "../params.ts";
import type { FeaturePlugin, ModelPlugin, TrackProblem } from "../plugin.ts";
import type { Registry } from "../registry.ts";
import { warnToStderr, type WarningSink } from "../text.ts";
import { datasetArrays } from "./data.ts";
import { resolveFeatureSpec, toModelLayout, type FeatureSpec } from "./features.ts";
import { openRun, type Run } from "./recorded-run.ts";
import { resolveRunDir, trainRun } from "./run.ts";
import { trainTable, type TableTrainOptions } from "./table.ts";

export interface TrainOptions {
  /** Model plugin name (`lstm`, `cnn2d`, ... : `clave plugins --kind model`). */
  readonly model: string;
  /** Feature preset (`stack417`) or feature plugin (`melspectrogram`, `mfcc`, ...). */
  readonly features: string;
  /** The dataset: a manifest's path, or a `Dataset` from `dataset()` / `buildDataset()`. */
  readonly dataset: string | Dataset;
  /** Model params, training settings included (epochs, batch_size, learning_rate...); defaults filled. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** The feature's params over the preset's or plugin's defaults (`{ n_mels: 64 }`). */
  readonly featureParams?: Readonly<Record<string, unknown>>;
  /** Shorthand for `params.epochs`. */
  readonly epochs?: number;
  /** Seed of weights, dropout and shuffling (default 0). */
  readonly seed?: number;
  /** Segment length in seconds (default 3); null: whole tracks are the examples. */
  readonly segment?: number | null;
  /** Hop between segment starts in seconds (default: the segment length). */
  readonly hop?: number;
  /** Rate the audio is loaded at (default 22050, or the feature's `sr`). */
  readonly sr?: number;
  /** Folder of the runs (default `runs`). */
  readonly runs?: string;
  /** Feature cache folder (default `<dataset folder>/.clave/features`); false: none. */
  readonly cache?: string | false;
  /** Transfer learning: start from this run (id or folder) with a new head for this dataset's labels. */
  readonly from?: string;
  /** With `from`: train only the new head (default true). */
  readonly freeze?: boolean;
  readonly registry?: Registry;
  /** Where warnings and tracks left out are reported (default: stderr). */
  readonly onWarning?: WarningSink;
  /** Show progress (a bar on a terminal, lines in a notebook; default true). */
  readonly progress?: boolean;
}

/** The shape one example will have, known before any audio is read (null for whole tracks of any length). */
function exampleShape(spec: FeatureSpec, plugin: FeaturePlugin): number[] | null {
  if (spec.segment_s === null) return null;
  const declared = plugin.shape(spec.params as never, Math.round(spec.segment_s * spec.sr), spec.sr);
  if (declared.some((d) => d < 0)) return null;
  return toModelLayout(ndarray(new Float32Array(sizeOf(declared)), declared)).shape as number[];
}

/** Refuse a model/feature pairing before any audio is decoded: build the model on the feature's example shape. */
async function checkPairing(model: ModelPlugin, params: Record<string, unknown>, shape: number[] | null, features: string): Promise<void> {
  if (!shape) return;
  try {
    await model.build({ inputShape: shape, nClasses: 2, seed: 0 }, params);
  } catch (error) {
    if (error instanceof InputShapeError) throw new InputShapeError(error.model, `features ${features} give examples of shape [${shape.join(", ")}]: ${error.message}`);
    throw error;
  }
}

/** The feature cache a dataset uses by default: `.clave/features` beside its manifest. */
export function datasetCache(option: string | false | undefined, manifestFile: string): FeatureCache | undefined {
  if (option === false) return undefined;
  return new FeatureCache(resolve(option ?? join(dirname(resolve(manifestFile)), ".clave", "features")));
}

/** Tell the caller about tracks left out (each with its path and reason). */
export function reportProblems(problems: readonly TrackProblem[], onWarning: WarningSink): void {
  for (const p of problems) onWarning(`${p.path}: ${p.reason}`);
  if (problems.length > 0) onWarning(`${problems.length} track(s) left out`);
}

/**
 * Train `model` on `features` of `dataset` (or on a feature table: `table`, core/run/table.ts),
 * evaluate on its test split, record the run.
 * @example const run = await train({ model: "cnn2d", features: "melspectrogram", dataset: "data/gtzan/manifest.csv", epochs: 30 })
 * @example const run = await train({ model: "svm", table: "features_30_sec.csv", label: "label" })
 */
export async function train(options: TrainOptions | TableTrainOptions): Promise<Run> {
  if ("table" in options) return trainTable(options);
  const registry = await registryOrDefault(options.registry);
  const onWarning = options.onWarning ?? warnToStderr;
  const model = registry.model(options.model);
  const modelParams: Record<string, unknown> = { ...(options.params ?? {}) };
  if (options.epochs !== undefined) modelParams.epochs = options.epochs;
  const params = resolveParams(model, modelParams) as Record<string, unknown>;
  const seed = options.seed ?? 0;
  const spec = resolveFeatureSpec(registry, options.features, options.featureParams ?? {}, {
    ...(options.sr !== undefined ? { sr: options.sr } : {}),
    ...(options.segment !== undefined ? { segment_s: options.segment } : {}),
    ...(options.hop !== undefined ? { hop_s: options.hop } : {}),
  });
  const featurePlugin = registry.feature(spec.plugin);
  if (!options.from) await checkPairing(model, params, exampleShape(spec, featurePlugin), options.features);

  const ds = await openDataset(options.dataset, { onWarning });
  const manifestFile = ds.file;
  const cache = datasetCache(options.cache, manifestFile);
  const data = await datasetArrays(ds.manifest, manifestFile, spec, featurePlugin, cache ? { cache } : {});
  reportProblems(data.problems, onWarning);
  if (!data.train) throw new ClaveError(`${manifestFile}: no training examples (is the train split empty?)`);
  if (!data.test) throw new ClaveError(`${manifestFile}: no test examples (is the test split empty?)`);
  const ids = (s: Split) => [...new Set(data[s]?.tracks ?? [])];
  const runsDir = options.runs ?? "runs";
  const result = await trainRun({
    model,
    params,
    labels: data.labels,
    train: data.train,
    ...(data.validation ? { validation: data.validation } : {}),
    test: data.test,
    seed,
    runsDir,
    features: spec,
    dataset: {
      manifest: manifestFile,
      sha256: await hashFile(manifestFile),
      splits: { train: ids("train"), validation: ids("validation"), test: ids("test") },
      ...(data.problems.length > 0 ? { problems: data.problems } : {}),
    },
    ...(options.from ? { from: resolveRunDir(options.from, runsDir), freeze: options.freeze ?? true } : {}),
    ...(options.progress === false ? { progress: false } : {}),
  });
  return openRun(result.dir, { registry });
}

/** Where the embedded default dataset is rendered. */
export const DEFAULT_DATASET = join("data", "synthetic", "manifest.csv");

export interface StudyOptions extends Omit<TrainOptions, "dataset" | "model" | "features"> {
  /** The dataset (default: clave's synthetic set, rendered into `data/synthetic/` on first use). */
  readonly dataset?: string | Dataset;
  /** Model plugin (default `lstm`, the studies' model). */
  readonly model?: string;
  /** Features (default `stack417`, the studies' 417-dim stack). */
  readonly features?: string;
  /** Synthetic dataset: clips per style (default 30) and seconds per clip (default 6). */
  readonly perClass?: number;
  readonly seconds?: number;
  /** Called before each step with a line saying what it does (and, from step 2 on, the dataset). */
  readonly onStep?: (step: number, text: string, dataset?: Dataset) => void;
}

/**
 * The main job: a dataset (by default the embedded synthetic one, rendered on first use), its
 * features, a model trained on the train split and evaluated on held-out tracks, recorded as a run.
 * @example const run = await study(); run.confusion()
 */
export async function study(options: StudyOptions = {}): Promise<{ dataset: Dataset; run: Run }> {
  const registry = await registryOrDefault(options.registry);
  const model = options.model ?? "lstm";
  const features = options.features ?? "stack417";
  const seed = options.seed ?? 0;
  // Refuse an unknown model before rendering or reading any audio.
  registry.model(model);
  const manifestFile = typeof options.dataset === "string" ? resolve(options.dataset) : options.dataset?.file ?? resolve(DEFAULT_DATASET);
  options.onStep?.(1, `dataset ${manifestFile}`);
  let ds: Dataset;
  if (options.dataset === undefined && !existsSync(manifestFile)) {
    const perClass = options.perClass ?? 30;
    const seconds = options.seconds ?? 6;
    // The embedded default: synthetic son clave / rumba clave / linear dance-beat clips, from a seed.
    ds = await buildDataset({
      source: "synthetic",
      params: { per_class: perClass, seconds, seed },
      out: manifestFile,
      split: "auto",
      seed,
      registry,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
  } else {
    ds = await openDataset(options.dataset ?? manifestFile, options.onWarning ? { onWarning: options.onWarning } : {});
  }
  options.onStep?.(2, `features ${features} → model ${model} trained on the train split → evaluated on the held-out test tracks`, ds);
  const run = await train({ ...options, model, features, dataset: ds, seed, registry });
  return { dataset: ds, run };
}
