/**
 * Multimodal comparisons, as seed 004 reports them: several feature tables of the same tracks joined by
 * their key (audio aggregates with FMA's echonest features, say), each model cross-validated on each
 * table's columns alone and on all of them concatenated — on the same rows and the same folds, so
 * that the rows of the comparison differ only by the features. `meta` tables (FMA's tracks.csv, giving
 * the labels) join without being modalities.
 */
import { basename } from "node:path";
import * as aq from "arquero";
import { loadTableDataset, type TableInput } from "../dataset/table.ts";
import { registryOrDefault } from "../defaults.ts";
import { DatasetError, UsageError } from "../errors.ts";
import { resolveParams } from "../params.ts";
import { warnToStderr } from "../text.ts";
import { CV_METRICS, crossValidateSource, tableFoldSource, type CrossValidateOptions, type CvResult } from "./cv.ts";
import { reportTableNotes } from "./table.ts";

export interface MultimodalOptions extends Omit<CrossValidateOptions, "dataset" | "features" | "featureParams" | "segment" | "hop" | "sr" | "cache" | "table"> {
  /** Two tables or more, joined on `join` (default `id`). */
  readonly table: readonly TableInput[];
}

export interface ModalityResult {
  /** The table's file name, or `a + b` for the combination. */
  readonly modality: string;
  readonly columns: number;
  readonly result: CvResult;
}

export interface MultimodalReport {
  readonly results: readonly ModalityResult[];
  /** One row per model and modality: mean and std of each metric over the folds. */
  readonly table: aq.ColumnTable;
}

/**
 * Each model on each table's features alone and on their concatenation, cross-validated on the same folds.
 * @example const m = await multimodal({ model: "svm", table: ["audio.csv", "echonest.csv", "tracks.csv"], label: "track.genre_top" }); m.table
 */
export async function multimodal(options: MultimodalOptions): Promise<MultimodalReport> {
  const registry = await registryOrDefault(options.registry);
  const onWarning = options.onWarning ?? warnToStderr;
  const models = typeof options.model === "string" ? [options.model] : [...options.model];
  if (models.length === 0) throw new UsageError("multimodal: name at least one model");
  const paramsOf = (m: string) => ({ ...(options.params ?? {}), ...(options.modelParams?.[m] ?? {}) });
  for (const m of models) resolveParams(registry.model(m), { ...paramsOf(m), ...(options.epochs !== undefined ? { epochs: options.epochs } : {}) });
  if (options.table.length < 2) throw new UsageError("multimodal: give two tables or more, joined on their key");
  const data = await loadTableDataset(options.table, options);
  reportTableNotes(data, onWarning);
  const names = data.spec.sources.map((s) => basename(s.name));
  const modalities = [...new Set(data.modality)].sort((a, b) => a - b);
  if (modalities.length < 2) {
    throw new DatasetError(data.spec.sources.map((s) => s.name).join(", "), `only ${modalities.map((m) => names[m]).join("") || "no table"} has feature columns: a multimodal comparison needs two tables with features`);
  }
  const sets: { modality: string; columns: number[] }[] = [
    ...modalities.map((m) => ({ modality: names[m], columns: data.modality.flatMap((t, j) => (t === m ? [j] : [])) })),
    { modality: modalities.map((m) => names[m]).join(" + "), columns: data.columns.map((_, j) => j) },
  ];
  const results: ModalityResult[] = [];
  for (const model of models) {
    for (const set of sets) {
      const result = await crossValidateSource(tableFoldSource(data, set.columns), model, { ...options, params: paramsOf(model), registry });
      results.push({ modality: set.modality, columns: set.columns.length, result });
    }
  }
  const metrics: Record<string, (number | null)[]> = {};
  for (const metric of CV_METRICS) {
    if (!results.some((r) => r.result.summary[metric])) continue;
    metrics[`${metric}_mean`] = results.map((r) => r.result.summary[metric]?.mean ?? null);
    metrics[`${metric}_std`] = results.map((r) => r.result.summary[metric]?.std ?? null);
  }
  const table = aq.table({
    model: results.map((r) => r.result.model),
    modality: results.map((r) => r.modality),
    columns: results.map((r) => r.columns),
    folds: results.map((r) => `${r.result.k}x${r.result.repeats}`),
    ...metrics,
    id: results.map((r) => r.result.id),
  });
  return { results, table };
}
