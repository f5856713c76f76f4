/**
 * A dataset as an object: a manifest read (or built) once, with its rows as an Arquero table, its
 * balance, and the warnings a reader should see. What `dataset()` and `buildDataset()` return, and
 * what `train`, `extract` and `plot.balance` accept in place of a manifest's path.
 *
 *     const ds = await dataset("data/gtzan/manifest.csv");
 *     ds.table;                          // one row per track: id, label, artist, split, path, ...
 *     ds.stats();                        // tracks per label and split, durations
 */
import { resolve } from "node:path";
import * as aq from "arquero";
import { registryOrDefault } from "../defaults.ts";
import type { SourcePlugin, TrackProblem } from "../plugin.ts";
import type { Registry } from "../registry.ts";
import { warnToStderr, type WarningSink } from "../text.ts";
import { buildManifest, type BuildOptions } from "./build.ts";
import { labelCaseWarnings, readManifest, rowsOfSplit, toTable, type Manifest, type ManifestRow, type Split } from "./manifest.ts";
import { emptySplitWarnings } from "./split.ts";
import { datasetStats } from "./stats.ts";

export class Dataset {
  #table: aq.ColumnTable | undefined;

  constructor(
    /** Absolute path of the manifest CSV. */
    readonly file: string,
    readonly manifest: Manifest,
    /** What looks unintended in it: labels differing only in case, a class missing from a split. */
    readonly warnings: readonly string[] = [],
    /** Tracks a build left out, with the reason (empty for a dataset that was read). */
    readonly problems: readonly TrackProblem[] = [],
  ) {}

  get rows(): readonly ManifestRow[] {
    return this.manifest.rows;
  }

  /** The folder paths are relative to. */
  get root(): string {
    return this.manifest.root;
  }

  /** Class labels, sorted. */
  get labels(): string[] {
    return [...new Set(this.manifest.rows.map((r) => r.label))].sort();
  }

  /** The manifest's rows as an Arquero table (every column, extras included). */
  get table(): aq.ColumnTable {
    this.#table ??= toTable(this.manifest);
    return this.#table;
  }

  /** The rows of one part of the split. */
  split(part: Split): ManifestRow[] {
    return rowsOfSplit(this.manifest, part);
  }

  /** Tracks per label and split, artists, durations: one row per label and a total row `(all)`. */
  stats(): aq.ColumnTable {
    return aq.from(datasetStats(this.manifest));
  }

  /** util.inspect / a notebook cell's value: one line about the dataset. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    const parts = ["train", "validation", "test"].map((p) => `${this.rows.filter((r) => r.split === p).length} ${p}`).join(", ");
    return `Dataset ${this.file}: ${this.rows.length} tracks, ${this.labels.length} labels (${parts})`;
  }
}

export interface OpenDatasetOptions {
  /** Folder the manifest's paths are relative to (default: the manifest's folder). */
  readonly root?: string;
  /** Where warnings go (default: stderr as `clave: warning: ...`). */
  readonly onWarning?: WarningSink;
  /** Warn about classes missing from a part of the split (default true; off for uses that ignore splits). */
  readonly splitWarnings?: boolean;
}

/**
 * Read a dataset manifest: refused with the file and row named when it is malformed (duplicate ids,
 * a bad hash, broken quoting); warned about when it looks unintended.
 * @example const ds = await dataset("data/gtzan/manifest.csv"); ds.stats()
 */
export async function dataset(file: string | Dataset, options: OpenDatasetOptions = {}): Promise<Dataset> {
  if (file instanceof Dataset) return file;
  const path = resolve(file);
  const manifest = await readManifest(path, options.root !== undefined ? { root: options.root } : {});
  const warnings = [...labelCaseWarnings(manifest.rows), ...(options.splitWarnings === false ? [] : emptySplitWarnings(manifest))];
  for (const w of warnings) (options.onWarning ?? warnToStderr)(w);
  return new Dataset(path, manifest, warnings);
}

export interface BuildDatasetOptions extends Omit<BuildOptions, "out"> {
  /** The source plugin or its name (`gtzan`, `fma`, `folder`, `synthetic`, or a plugin's). */
  readonly source: string | SourcePlugin;
  /** The source's params (`path`, `per_class`...); defaults filled from its schema. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** The manifest file to write; its folder is the dataset root. */
  readonly out: string;
  readonly registry?: Registry;
  readonly onWarning?: WarningSink;
}

/**
 * List a source's tracks, check each file (or render it), split them leak-free and write the manifest.
 * @example const ds = await buildDataset({ source: "synthetic", params: { per_class: 20 }, out: "data/synthetic/manifest.csv" })
 */
export async function buildDataset(options: BuildDatasetOptions): Promise<Dataset> {
  const { source, params, registry, onWarning, ...build } = options;
  const plugin = typeof source === "string" ? (await registryOrDefault(registry)).source(source) : source;
  const out = resolve(options.out);
  const result = await buildManifest(plugin, params ?? {}, { ...build, out });
  for (const w of result.warnings) (onWarning ?? warnToStderr)(w);
  return new Dataset(out, result.manifest, result.warnings, result.problems);
}
