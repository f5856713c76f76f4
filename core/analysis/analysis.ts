/**
 * What every analysis shares: a definition (a name, a params schema with defaults, like a plugin's,
 * and a `compute` from a recorded run to tables and charts), one runner that opens the run,
 * validates the params, computes, and writes the result into the analysis folder — each table as
 * `<name>.csv`, each chart as `<name>.svg`, other files (WAV clips) under names fixed by the
 * analysis, and `analysis.json` saying what was computed with which params. Nothing there is named
 * from data (labels, track ids, titles): every name is the analysis's own.
 */
import { readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import type * as aq from "arquero";
import type { Chart } from "../charts/chart.ts";
import { registryOrDefault } from "../defaults.ts";
import { UsageError } from "../errors.ts";
import { writeFileAtomic } from "../fsutil.ts";
import { tableCsv } from "../features/store.ts";
import { resolveParams } from "../params.ts";
import type { ParamsOf, ParamsSchema, TrackProblem } from "../plugin.ts";
import type { Registry } from "../registry.ts";
import { openRun, type OpenRunOptions, type Run } from "../run/recorded-run.ts";
import { warnToStderr, type WarningSink } from "../text.ts";

/** What an analysis computes: tables (the main one first), charts, other files, and notes for the reader. */
export interface AnalysisOutput {
  readonly tables: Readonly<Record<string, aq.ColumnTable>>;
  readonly charts: Readonly<Record<string, Chart>>;
  /** Other files by their fixed relative names (`clips/clip-000.wav`). */
  readonly files?: Readonly<Record<string, Uint8Array>>;
  /** What a reader should know: how points were sampled, what a library does differently. */
  readonly notes: readonly string[];
}

export interface AnalysisResult extends AnalysisOutput {
  readonly analysis: string;
  /** The run's id. */
  readonly run: string;
  /** The params used, defaults filled. */
  readonly params: Readonly<Record<string, unknown>>;
  /** The main table (the first of `tables`), what the CLI prints. */
  readonly main: aq.ColumnTable;
  /** The folder written, or null when nothing was written (`out: false`). */
  readonly out: string | null;
  /** Every file written, absolute. */
  readonly written: readonly string[];
  /** Tracks left out because they failed to load. */
  readonly problems: readonly TrackProblem[];
}

/** What `compute` is given besides its params. */
export interface AnalysisContext {
  readonly run: Run;
  readonly registry: Registry;
  readonly onWarning: WarningSink;
  /** Feature cache option: a folder, false for none, undefined for the dataset's default. */
  readonly cache: string | false | undefined;
  readonly progress: boolean;
  /** Tracks that failed: added to by the data helpers, reported once at the end. */
  readonly problems: TrackProblem[];
}

export interface AnalysisDefinition<S extends ParamsSchema> {
  readonly name: string;
  /** One line, shown by `clave analyze --help`. */
  readonly description: string;
  readonly params: S;
  /** Params that are not the analysis's own go to the run's model (ablation's `epochs=5`); otherwise they are refused. */
  readonly modelParams?: boolean;
  compute(context: AnalysisContext, params: ParamsOf<S>, modelParams: Readonly<Record<string, unknown>>): Promise<AnalysisOutput>;
}

/** Options every analysis takes (its own params come beside them). */
export interface AnalysisOptions extends OpenRunOptions {
  /** Folder to write into (default `runs/<id>/analysis/<name>/`); false: write nothing. */
  readonly out?: string | false;
  /** Feature cache folder (default `<dataset folder>/.clave/features`); false: none. */
  readonly cache?: string | false;
  readonly onWarning?: WarningSink;
  /** Show progress (default true). */
  readonly progress?: boolean;
}

const COMMON = new Set(["out", "cache", "onWarning", "progress", "runs", "registry", "params"]);
const MANIFEST = "analysis.json";
/** A name an analysis gives a file: lower-case words, at most one folder deep. */
const FIXED_NAME = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)?\.(csv|svg|wav|json)$/;

export function defineAnalysis<S extends ParamsSchema>(definition: AnalysisDefinition<S>): AnalysisDefinition<S> {
  return definition;
}

/** The analysis folder of a run: `runs/<id>/analysis/<name>/`. */
export function analysisDir(run: Run, name: string): string {
  return join(run.dir, "analysis", name);
}

function fileNames(output: AnalysisOutput): string[] {
  const names = [
    ...Object.keys(output.tables).map((t) => `${t}.csv`),
    ...Object.keys(output.charts).map((c) => `${c}.svg`),
    ...Object.keys(output.files ?? {}),
  ];
  for (const name of names) if (!FIXED_NAME.test(name) || name === MANIFEST) throw new Error(`analysis output name ${JSON.stringify(name)} is not a fixed file name`);
  return names;
}

/** The files an earlier run of the analysis wrote into `dir`, from its `analysis.json`. */
async function earlierFiles(dir: string): Promise<string[]> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST), "utf8")) as { files?: unknown };
    return Array.isArray(manifest.files) ? manifest.files.filter((f): f is string => typeof f === "string" && FIXED_NAME.test(f)) : [];
  } catch {
    return [];
  }
}

/**
 * Write an analysis's tables, charts and files into `dir`, each atomically, then `analysis.json`;
 * files an earlier run of it wrote there and this one does not (fewer clips) are removed.
 */
export async function writeAnalysis(dir: string, result: Omit<AnalysisResult, "out" | "written">): Promise<string[]> {
  const names = fileNames(result);
  const before = await earlierFiles(dir);
  const written: string[] = [];
  const put = async (name: string, data: string | Uint8Array) => {
    const path = join(dir, name);
    await writeFileAtomic(path, data);
    written.push(path);
  };
  for (const [name, table] of Object.entries(result.tables)) await put(`${name}.csv`, tableCsv(table));
  for (const [name, chart] of Object.entries(result.charts)) await put(`${name}.svg`, await chart.toSVG());
  for (const [name, bytes] of Object.entries(result.files ?? {})) await put(name, bytes);
  for (const stale of before) if (!names.includes(stale)) await rm(join(dir, stale), { force: true });
  const manifest = {
    analysis: result.analysis,
    run: result.run,
    params: result.params,
    created: new Date().toISOString(),
    notes: result.notes,
    files: names,
    problems: result.problems,
  };
  await put(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  return written;
}

/** The analysis's own params and the model's (for analyses that retrain), from one record of values. */
function splitValues(definition: AnalysisDefinition<ParamsSchema>, values: Readonly<Record<string, unknown>>): [Record<string, unknown>, Record<string, unknown>] {
  const own = new Set(Object.keys(definition.params.shape));
  const mine: Record<string, unknown> = {};
  const model: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (own.has(key)) mine[key] = value;
    else if (definition.modelParams) model[key] = value;
    else throw new UsageError(`${definition.name}: unknown parameter ${JSON.stringify(key)} (known: ${[...own].join(", ") || "none"})`);
  }
  return [mine, model];
}

/**
 * Run an analysis on a recorded run: its params validated (defaults filled), computed, written
 * (unless `out: false`). `values` are the analysis's params; with `modelParams`, the others and
 * `values.params` are the model's.
 */
export async function runAnalysis<S extends ParamsSchema>(
  definition: AnalysisDefinition<S>,
  run: string | Run,
  options: AnalysisOptions = {},
): Promise<AnalysisResult> {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (!COMMON.has(key)) values[key] = value;
  const [mine, model] = splitValues(definition as unknown as AnalysisDefinition<ParamsSchema>, values);
  const given = (options as { params?: Readonly<Record<string, unknown>> }).params;
  if (given !== undefined && !definition.modelParams) throw new UsageError(`${definition.name}: takes no model params`);
  const params = resolveParams({ name: `analysis ${definition.name}`, params: definition.params }, mine);
  const registry = await registryOrDefault(options.registry);
  const opened = await openRun(run, { ...(options.runs !== undefined ? { runs: options.runs } : {}), registry });
  const context: AnalysisContext = {
    run: opened,
    registry,
    onWarning: options.onWarning ?? warnToStderr,
    cache: options.cache,
    progress: options.progress ?? true,
    problems: [],
  };
  const output = await definition.compute(context, params, { ...model, ...(given ?? {}) });
  for (const p of context.problems) context.onWarning(`${p.path}: ${p.reason}`);
  if (context.problems.length > 0) context.onWarning(`${context.problems.length} track(s) left out`);
  const tables = Object.values(output.tables);
  if (tables.length === 0) throw new Error(`analysis ${definition.name} computed no table`);
  const result = {
    ...output,
    analysis: definition.name,
    run: opened.id,
    params: params as Record<string, unknown>,
    main: tables[0],
    problems: context.problems,
  };
  if (options.out === false) return { ...result, out: null, written: [] };
  const dir = resolve(options.out ?? analysisDir(opened, definition.name));
  const written = await writeAnalysis(dir, result);
  return { ...result, out: dir, written };
}
