/**
 * A recorded run's model scored again: on its own test split (or another part), or on another
 * manifest with the same labels — the features computed exactly as for training (the run's spec).
 */
import { hashFile } from "../dataset/hash.ts";
import { SPLITS, type Split } from "../dataset/manifest.ts";
import { dataset as openDataset, type Dataset } from "../dataset/open.ts";
import { registryOrDefault } from "../defaults.ts";
import { ClaveError, RunError, UsageError } from "../errors.ts";
import type { Evaluation } from "../metrics/evaluate.ts";
import type { TrackProblem } from "../plugin.ts";
import { warnToStderr, type WarningSink } from "../text.ts";
import { datasetArrays } from "./data.ts";
import { openRun, type OpenRunOptions, type Run } from "./recorded-run.ts";
import { datasetCache, reportProblems } from "./study.ts";
import { evaluateRunModel } from "./use.ts";

export interface EvaluateOptions extends OpenRunOptions {
  /** The part to score (default `test`). */
  readonly split?: Split;
  /** Another dataset to score on (default: the run's own manifest). */
  readonly dataset?: string | Dataset;
  /** Feature cache folder (default `<dataset folder>/.clave/features`); false: none. */
  readonly cache?: string | false;
  readonly onWarning?: WarningSink;
}

export interface RunEvaluation extends Evaluation {
  readonly run: string;
  readonly manifest: string;
  readonly split: Split;
  /** Tracks left out because they failed to load. */
  readonly problems: readonly TrackProblem[];
}

/**
 * Metrics of a run's model on a split of its dataset or of another one.
 * @example const ev = await evaluate("20250101-120000-lstm-3fa9c1", { split: "validation" })
 */
export async function evaluate(run: string | Run, options: EvaluateOptions = {}): Promise<RunEvaluation> {
  const split = options.split ?? "test";
  if (!SPLITS.includes(split)) throw new UsageError(`split ${split}: expected one of ${SPLITS.join(", ")}`);
  const onWarning = options.onWarning ?? warnToStderr;
  const opened = await openRun(run, options);
  const spec = opened.config.features;
  if (!spec && opened.config.table) throw new RunError(opened.dir, "this run was trained on a feature table: its test metrics are in metrics.json; score other rows with evaluateRunModel");
  if (!spec) throw new RunError(opened.dir, "this run was trained on arrays, not on a dataset's features: evaluate it with evaluateRunModel");
  if (options.dataset === undefined && !opened.dataset) throw new RunError(opened.dir, "no dataset recorded: give a dataset to evaluate on");
  const ds = await openDataset(options.dataset ?? opened.dataset!.manifest, { onWarning });
  if (options.dataset === undefined && opened.dataset && (await hashFile(ds.file)) !== opened.dataset.sha256) {
    onWarning(`${ds.file} changed since the run was trained (sha256 differs)`);
  }
  const loaded = await opened.model();
  const featurePlugin = (await registryOrDefault(opened.registry)).feature(spec.plugin);
  const cache = datasetCache(options.cache, ds.file);
  const data = await datasetArrays(ds.manifest, ds.file, spec, featurePlugin, { splits: [split], labels: opened.config.labels, ...(cache ? { cache } : {}) });
  reportProblems(data.problems, onWarning);
  const set = data[split];
  if (!set) throw new ClaveError(`${ds.file}: no ${split} examples`);
  const evaluation = await evaluateRunModel(loaded, set);
  return { ...evaluation, run: opened.id, manifest: ds.file, split, problems: data.problems };
}
