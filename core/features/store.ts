/**
 * Features of a whole dataset into a feature store, in one call: every track of a manifest through
 * the worker pool (dataset.ts), each array in the store under its content hash, an `index.csv` that
 * maps track ids to their arrays, and optionally a table of per-clip aggregates (GTZAN's columns).
 * Resumable: clips whose features are stored are not decoded again. Failures are collected, and the
 * index and aggregates are written for the tracks that worked.
 *
 *     const out = await extract("data/gtzan/manifest.csv", "stack417");
 *     out.index;                        // id, label, split, hash, and each feature's .npy path
 */
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import * as aq from "arquero";
import { resolvePluginSpecifier } from "../config.ts";
import { formatCsv } from "../dataset/csv.ts";
import { trackPath } from "../dataset/manifest.ts";
import { dataset as openDataset, type Dataset } from "../dataset/open.ts";
import { registryOrDefault } from "../defaults.ts";
import { DatasetError, UsageError } from "../errors.ts";
import { fileError, removeStaleTemporaries, writeFileAtomic } from "../fsutil.ts";
import { resolveParams } from "../params.ts";
import { progress } from "../progress.ts";
import type { Registry } from "../registry.ts";
import type { WarningSink } from "../text.ts";
import { FeatureCache } from "./cache.ts";
import { extractDataset, type ClipFailure, type ClipOutcome, type FeatureJobSpec } from "./dataset.ts";
import { FEATURE_PRESETS } from "./presets.ts";

/**
 * Feature names (plugins or presets such as `stack417`, `gtzan`) and params per output into the specs
 * workers run. `params[NAME]` applies to the output named NAME (a plugin's name, or a preset's part),
 * so `{ mfcc: { n_mfcc: 20 } }` sets MFCC's count whether mfcc was named alone or came with a preset.
 */
export function featureJobSpecs(
  registry: Registry,
  names: readonly string[],
  params: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {},
): FeatureJobSpec[] {
  if (names.length === 0) throw new UsageError("features: name at least one feature (see `clave plugins --kind feature`)");
  const specs: FeatureJobSpec[] = [];
  for (const name of names) {
    const preset = FEATURE_PRESETS[name];
    if (preset) specs.push(...preset.map((p) => ({ plugin: p.plugin, params: { ...p.params }, as: p.as })));
    else specs.push({ plugin: registry.feature(name).name, params: {}, as: name });
  }
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.as)) throw new UsageError(`features: ${s.as} is asked for twice`);
    seen.add(s.as);
  }
  for (const target of Object.keys(params)) {
    if (!specs.some((s) => s.as === target || s.plugin === target)) {
      throw new UsageError(`params of ${target}: ${target} is not among the features (${[...seen].join(", ")})`);
    }
  }
  return specs.map((s) => {
    const values: Record<string, unknown> = { ...s.params, ...(params[s.plugin] ?? {}), ...(params[s.as] ?? {}) };
    return { plugin: s.plugin, params: resolveParams(registry.feature(s.plugin), values), as: s.as };
  });
}

export interface ExtractDatasetOptions {
  /** Params per output name (`{ mfcc: { n_mfcc: 20 } }`). */
  readonly params?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The feature store (default: `features/` beside the manifest). */
  readonly out?: string;
  /** Rate the audio is decoded at (default 22050). */
  readonly sr?: number;
  /** Worker threads (default: every core). */
  readonly workers?: number;
  /** Also compute per-clip aggregates (mean and variance columns, GTZAN's names). */
  readonly aggregate?: boolean;
  /** With `aggregate`: one row per segment of this many seconds (GTZAN's 3-second rows: 3). */
  readonly segmentSeconds?: number;
  /** A clip taking longer than this many seconds is stopped and reported (default 600). */
  readonly clipTimeout?: number;
  readonly registry?: Registry;
  readonly onWarning?: WarningSink;
  /** Called after each clip, done or failed. */
  readonly onClip?: (done: number, total: number, outcome: ClipOutcome | ClipFailure) => void;
  /** Show a progress bar on a terminal, lines in a notebook (default true). */
  readonly progress?: boolean;
}

export interface ExtractDatasetResult {
  /** The feature store. */
  readonly out: string;
  /** One row per track done: id, label, split, hash, and each feature's `.npy` path relative to `out`. */
  readonly index: aq.ColumnTable;
  /** Per-clip (or per-segment) aggregates, when asked: id, filename, length, [segment], stats, label. */
  readonly aggregates?: aq.ColumnTable;
  /** Tracks computed now / found already stored. */
  readonly computed: number;
  readonly stored: number;
  readonly failures: readonly ClipFailure[];
  /** Writes of `index.csv` (or of the caller's aggregate file) that failed, each naming its path. */
  readonly writeErrors: readonly string[];
  readonly workers: number;
  readonly total: number;
}

/**
 * Extract `features` for every track of a dataset into its feature store; `index.csv` is written
 * there. Tracks that fail are in `failures`; the others are stored.
 * @example const { index, failures } = await extract(ds, ["mfcc", "chroma_stft"], { params: { mfcc: { n_mfcc: 20 } } })
 */
export async function extract(data: string | Dataset, features: string | readonly string[], options: ExtractDatasetOptions = {}): Promise<ExtractDatasetResult> {
  const registry = await registryOrDefault(options.registry);
  const names = typeof features === "string" ? features.split(",").map((s) => s.trim()).filter((s) => s !== "") : [...features];
  const specs = featureJobSpecs(registry, names, options.params ?? {});
  const sr = options.sr ?? 22050;
  // Extraction does not use the split: only what concerns the labels is warned about.
  const ds = await openDataset(data, { splitWarnings: false, ...(options.onWarning ? { onWarning: options.onWarning } : {}) });
  const out = resolve(options.out ?? join(dirname(ds.file), "features"));
  const segmentFrames = options.segmentSeconds !== undefined ? Math.max(1, Math.floor((options.segmentSeconds * sr) / 512)) : undefined;
  if (options.segmentSeconds !== undefined && !(options.segmentSeconds > 0)) throw new UsageError(`segmentSeconds ${options.segmentSeconds}: expected a positive number`);
  // Results are joined back to rows by id: two rows with one id would mix their features.
  const firstRow = new Map<string, number>();
  ds.rows.forEach((r, i) => {
    const first = firstRow.get(r.id);
    if (first !== undefined) throw new DatasetError(ds.file, `track id ${JSON.stringify(r.id)} appears twice (data rows ${first + 1} and ${i + 1}); ids must be unique`);
    firstRow.set(r.id, i);
  });
  // Features that are not built in come from plugin files the workers import too.
  const pluginFiles = new Set<string>();
  for (const s of specs) {
    const origin = registry.list("feature").find((e) => e.plugin.name === s.plugin)?.origin ?? "builtin";
    if (origin !== "builtin") pluginFiles.add(resolvePluginSpecifier(origin, process.cwd()));
  }
  await removeStaleTemporaries(out);
  const rows = ds.rows.filter((r) => r.path !== "");
  const bar = options.progress === false ? undefined : progress(rows.length, "features");
  const result = await extractDataset(
    rows.map((r) => ({ id: r.id, path: trackPath(ds.manifest, r), hash: r.hash })),
    {
      features: specs,
      cacheDir: out,
      sr,
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      pluginFiles: [...pluginFiles],
      // hpss's outputs are signals: their statistics run over samples, not frames.
      aggregate: options.aggregate ? { segmentFrames, signals: specs.filter((s) => s.plugin === "hpss").map((s) => s.as) } : null,
      ...(options.clipTimeout !== undefined ? { clipTimeout: options.clipTimeout } : {}),
      onClip: (done, total, outcome) => {
        bar?.tick(1, outcome.id);
        options.onClip?.(done, total, outcome);
      },
    },
  );
  bar?.stop();
  const byId = new Map<string, ClipOutcome>(result.outcomes.map((o) => [o.id, o]));
  const store = new FeatureCache(out);
  const done = rows.filter((r) => byId.has(r.id));
  const header = ["id", "label", "split", "hash", ...specs.map((s) => s.as)];
  const indexRows = done.map((r) => {
    const o = byId.get(r.id)!;
    const files = specs.map((s) => relative(out, store.path(o.hash, s.plugin, s.params, sr)).split(sep).join("/"));
    return [r.id, r.label, r.split, o.hash, ...files];
  });
  // A failing write (a full disk) is reported with the per-track failures, not instead of them.
  const writeErrors: string[] = [];
  try {
    await writeFileAtomic(join(out, "index.csv"), formatCsv(header, indexRows));
  } catch (error) {
    writeErrors.push(fileError(join(out, "index.csv"), error, "write").message);
  }
  let aggregates: aq.ColumnTable | undefined;
  if (options.aggregate) {
    const records: Record<string, string | number>[] = [];
    for (const r of rows) {
      const o = byId.get(r.id);
      if (!o?.aggregates) continue;
      o.aggregates.forEach((stats, segment) => {
        const row: Record<string, string | number> = { id: r.id, filename: basename(r.path), length: o.samples || "" };
        if (segmentFrames !== undefined) row.segment = segment;
        records.push(Object.assign(row, stats, { label: r.label }));
      });
    }
    aggregates = records.length > 0 ? aq.from(records) : aq.table({ id: [], filename: [], label: [] });
  }
  const computed = result.outcomes.filter((o) => o.computed > 0).length;
  return {
    out,
    index: aq.table(Object.fromEntries(header.map((h, j) => [h, indexRows.map((row) => row[j])]))),
    ...(aggregates ? { aggregates } : {}),
    computed,
    stored: result.outcomes.length - computed,
    failures: result.failures,
    writeErrors,
    workers: result.workers,
    total: rows.length,
  };
}

/** An aggregates table as CSV text (columns in the table's order). */
export function tableCsv(table: aq.ColumnTable): string {
  const names = table.columnNames();
  return formatCsv(names, (table.objects() as Record<string, string | number>[]).map((o) => names.map((n) => o[n])));
}
