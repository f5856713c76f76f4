/**
 * Training on feature tables: a table dataset (core/dataset/table.ts) cut into its parts — the split
 * column's, or a stratified split that keeps groups whole — and trained as any run (`trainRun`), so
 * that every fit is recorded in `runs/<id>/`, with the table's files, label, group and columns in
 * its config. Any model whose input is a vector takes a table: the classical ones (knn, svm,
 * random_forest, boosted_trees, logistic_regression) and the dense networks (mlp, dense2).
 */
import { createHash } from "node:crypto";
import type { Split } from "../dataset/manifest.ts";
import { loadTableDataset, tableSplit, type TableDataset, type TableInput, type TableOptions } from "../dataset/table.ts";
import { registryOrDefault } from "../defaults.ts";
import { DatasetError } from "../errors.ts";
import { ndarray, type NdArray } from "../ndarray.ts";
import { resolveParams } from "../params.ts";
import type { Registry } from "../registry.ts";
import { warnToStderr, type WarningSink } from "../text.ts";
import type { SegmentSet } from "./data.ts";
import { openRun, type Run } from "./recorded-run.ts";
import { trainRun, type DatasetRecord } from "./run.ts";

export interface TableTrainOptions extends TableOptions {
  /** Model plugin name (`svm`, `knn`, `random_forest`, `boosted_trees`, `logistic_regression`, `mlp`, ...). */
  readonly model: string;
  /** The table: a CSV's path or an Arquero table; several are joined on `join` (default `id`). */
  readonly table: TableInput | readonly TableInput[];
  /** Model params (scikit-learn's names for the classical models); defaults filled. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Shorthand for `params.epochs` (networks). */
  readonly epochs?: number;
  /** Seed of the split and of the model (default 0). */
  readonly seed?: number;
  /** Train/validation/test ratios when the table has no split column (default 0.8/0/0.2). */
  readonly ratios?: readonly [number, number, number];
  /** Folder of the runs (default `runs`). */
  readonly runs?: string;
  readonly registry?: Registry;
  readonly onWarning?: WarningSink;
  readonly progress?: boolean;
}

/** The examples of `rows` (indices into the table), with only `columns` (indices of its feature columns) when given. */
export function tableRows(data: TableDataset, rows: ArrayLike<number>, columns?: readonly number[]): SegmentSet {
  const nCols = data.columns.length;
  const cols = columns ?? Array.from({ length: nCols }, (_, j) => j);
  const x = new Float32Array(rows.length * cols.length);
  const y = new Int32Array(rows.length);
  const tracks: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    for (let j = 0; j < cols.length; j++) x[i * cols.length + j] = data.x.data[r * nCols + cols[j]];
    y[i] = data.y[r];
    tracks.push(data.tracks[r]);
  }
  return { x: ndarray(x, [rows.length, cols.length]) as NdArray<Float32Array>, y, tracks };
}

/** sha256 of an in-memory table's content, so that its runs still say which data they saw. */
function tableHash(data: TableDataset): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ columns: data.columns, labels: data.labels }));
  hash.update(new Uint8Array(data.x.data.buffer, data.x.data.byteOffset, data.x.data.byteLength));
  hash.update(new Uint8Array(data.y.buffer, data.y.byteOffset, data.y.byteLength));
  return hash.digest("hex");
}

/** The record of a table run's data: its (first) file, a hash of every source, each part's track keys. */
export function tableDatasetRecord(data: TableDataset, parts: Readonly<Record<Split, readonly number[]>>): DatasetRecord {
  const sources = data.spec.sources;
  const sha256 = sources.length === 1 && sources[0].sha256 ? sources[0].sha256 : sources.every((s) => s.sha256) ? createHash("sha256").update(sources.map((s) => s.sha256).join(",")).digest("hex") : tableHash(data);
  const ids = (rows: readonly number[]) => [...new Set(rows.map((r) => data.tracks[r]))];
  return {
    manifest: sources.map((s) => s.name).join(" + "),
    sha256,
    splits: { train: ids(parts.train), validation: ids(parts.validation), test: ids(parts.test) },
  };
}

/** Report what loading a table left out. */
export function reportTableNotes(data: TableDataset, onWarning: WarningSink): void {
  for (const note of data.notes) onWarning(note);
}

/** Row indices of each part. */
export function partsOf(split: readonly Split[]): Record<Split, number[]> {
  const parts: Record<Split, number[]> = { train: [], validation: [], test: [] };
  split.forEach((s, i) => parts[s].push(i));
  return parts;
}

/**
 * Train `model` on a feature table, evaluate it on the table's test part, record the run.
 * @example const run = await train({ model: "svm", table: "features_30_sec.csv", label: "label" })
 */
export async function trainTable(options: TableTrainOptions, loaded?: TableDataset): Promise<Run> {
  const registry = await registryOrDefault(options.registry);
  const onWarning = options.onWarning ?? warnToStderr;
  const model = registry.model(options.model);
  const given: Record<string, unknown> = { ...(options.params ?? {}) };
  if (options.epochs !== undefined) given.epochs = options.epochs;
  // Bad params are refused before any table is read.
  const params = resolveParams(model, given) as Record<string, unknown>;
  const seed = options.seed ?? 0;
  const data = loaded ?? (await loadTableDataset(options.table, options));
  if (!loaded) reportTableNotes(data, onWarning);
  const parts = partsOf(tableSplit(data, { ...(options.ratios ? { ratios: options.ratios } : {}), seed }));
  const where = data.spec.sources[0].name;
  if (parts.train.length === 0) throw new DatasetError(where, "no training rows (is the train split empty?)");
  if (parts.test.length === 0) throw new DatasetError(where, "no test rows (is the test split empty?)");
  const result = await trainRun({
    model,
    params,
    labels: data.labels,
    train: tableRows(data, parts.train),
    ...(parts.validation.length > 0 ? { validation: tableRows(data, parts.validation) } : {}),
    test: tableRows(data, parts.test),
    seed,
    runsDir: options.runs ?? "runs",
    table: data.spec,
    dataset: tableDatasetRecord(data, parts),
    ...(options.progress === false ? { progress: false } : {}),
  });
  return openRun(result.dir, { registry });
}
