/**
 * `clave analyze <run> <what>`: one analysis of a recorded run (ablation, distributions, correlation,
 * embedding, neighbours, attention, segments, errors), its tables written as CSV and its charts as
 * SVG into `runs/<id>/analysis/<what>/` (or `--out`), its main table printed.
 */
import type { Command } from "commander";
import { ANALYSES, ANALYSIS_NAMES, analyze } from "../core/analysis/index.ts";
import { UsageError } from "../core/errors.ts";
import { parseParamValue } from "../core/params.ts";
import { cliRegistry, collect } from "./context.ts";
import { formatTable, printable, type Cell } from "./table.ts";

interface AnalyzeFlags {
  out?: string;
  runs: string;
  json?: boolean;
  param: string[];
  expr?: string;
  file?: string;
  cache?: string | false;
}

/** Rows printed of a main table; the CSV has them all. */
const MAX_ROWS = 40;

/** `--param key=value` assignments as a record (values parsed as JSON when they are, else text). */
export function analysisParams(assignments: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) throw new UsageError(`--param ${assignment}: expected key=value`);
    out[assignment.slice(0, eq).trim()] = parseParamValue(assignment.slice(eq + 1));
  }
  return out;
}

async function run(runRef: string, what: string, o: AnalyzeFlags): Promise<void> {
  if (!(ANALYSIS_NAMES as string[]).includes(what)) throw new UsageError(`analyze ${what}: expected one of ${ANALYSIS_NAMES.join(", ")}`);
  const params = analysisParams(o.param);
  // Text flags stay text (an expression such as "1990s-2000s" is not JSON).
  if (o.expr !== undefined) params.expr = o.expr;
  if (o.file !== undefined) params.file = o.file;
  const result = await analyze(runRef, what, {
    ...params,
    registry: await cliRegistry(),
    runs: o.runs,
    progress: !o.json,
    ...(o.out !== undefined ? { out: o.out } : {}),
    ...(o.cache !== undefined ? { cache: o.cache } : {}),
  });
  if (result.problems.length > 0) process.exitCode = 1;
  if (o.json) {
    const tables = Object.fromEntries(Object.entries(result.tables).map(([name, t]) => [name, t.objects()]));
    process.stdout.write(`${JSON.stringify({ analysis: result.analysis, run: result.run, params: result.params, out: result.out, files: result.written, notes: result.notes, tables }, null, 2)}\n`);
    return;
  }
  const [mainName] = Object.keys(result.tables);
  const rows = result.main.objects() as Record<string, Cell>[];
  process.stdout.write(`${what} of run ${printable(result.run)}: ${mainName}\n`);
  process.stdout.write(rows.length > 0 ? `${formatTable(rows.slice(0, MAX_ROWS), result.main.columnNames())}\n` : "(no rows)\n");
  if (rows.length > MAX_ROWS) process.stdout.write(`... ${rows.length - MAX_ROWS} more rows in ${mainName}.csv\n`);
  for (const note of result.notes) process.stdout.write(`note: ${printable(note)}\n`);
  if (result.out) process.stdout.write(`\n${result.written.length} files written to ${printable(result.out)}\n`);
}

export function registerAnalyze(program: Command): void {
  const list = ANALYSIS_NAMES.map((name) => {
    const definition = ANALYSES[name];
    const params = Object.entries(definition.params.shape as Record<string, { description?: string }>)
      .map(([key, field]) => `      ${key}: ${field.description ?? ""}`)
      .join("\n");
    return `  ${name.padEnd(13)} ${definition.description}\n${params}`;
  }).join("\n");
  program
    .command("analyze")
    .description("analyse a run: ablation, distributions, correlation, embedding, neighbours, attention, segments, errors; tables as CSV, charts as SVG")
    .argument("<run>", "run folder or id (under --runs)")
    .argument("<what>", ANALYSIS_NAMES.join(", "))
    .option("--out <dir>", "folder to write into (default runs/<id>/analysis/<what>/)")
    .option("--runs <dir>", "folder of the runs", "runs")
    .option("--param <key=value>", "a param of the analysis (repeatable); ablation: other keys override the model's (epochs=5)", collect, [])
    .option("--expr <expression>", 'neighbours: arithmetic over class centroids, e.g. "blues-country+pop"')
    .option("--file <audio>", "attention: draw the per-segment attention of this audio file")
    .option("--cache <dir>", "feature cache (default <dataset folder>/.clave/features)")
    .option("--no-cache", "do not read or write cached features")
    .option("--json", "print every table as JSON (with the params, notes and files written)")
    .addHelpText(
      "after",
      `
Analyses and their params (--param key=value):
${list}
Examples:
  clave analyze 20250101-120000-lstm-3fa9c1 ablation --param seeds=3 --param epochs=10
  clave analyze 20250101-120000-lstm-3fa9c1 ablation --param groups=rhythm:onset_strength+tempogram,chroma_stft
  clave analyze <run> embedding --param source=features --param methods=pca,umap
  clave analyze <run> neighbours --expr "blues-country+pop"
  clave analyze <run> attention --file song.wav
  clave analyze <run> segments --out clips/`,
    )
    .action(run);
}
