/**
 * `clave cv`: repeated stratified k-fold cross-validation of one or more models, grouped (a track's
 * segments, an artist's tracks never on both sides), on a feature table or a dataset's features; one
 * row per model with the mean ± std of each metric; every fold a run in `<runs>/<cv id>/`.
 */
import type { Command } from "commander";
import { UsageError } from "../core/errors.ts";
import { parseParamAssignments } from "../core/params.ts";
import { progress } from "../core/progress.ts";
import { crossValidate, type CvResult } from "../core/run/cv.ts";
import { cliRegistry, collect } from "./context.ts";
import { formatTable, printable, type Cell } from "./table.ts";
import { addTableFlags, checkTableFlags, tableOptions, type TableFlags } from "./table-flags.ts";

interface CvFlags extends TableFlags {
  model: string;
  dataset?: string;
  features?: string;
  folds: string;
  repeats: string;
  seed?: string;
  epochs?: string;
  param: string[];
  runs: string;
  segment?: string;
  cache?: string | false;
  json?: boolean;
}

function integer(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min) throw new UsageError(`${flag} ${value}: expected an integer >= ${min}`);
  return n;
}

const pct = (v: number | undefined) => (v === undefined ? null : (100 * v).toFixed(2));

/** `78.40 ± 2.10`: a metric's mean and std over the folds, in percent. */
export function meanStdCell(result: CvResult, metric: "accuracy" | "macro_f1" | "track_accuracy" | "track_macro_f1"): string | null {
  const s = result.summary[metric];
  return s ? `${pct(s.mean)} ± ${pct(s.std)}` : null;
}

/** The rows `clave cv` prints: one per model. */
export function cvRows(results: readonly CvResult[]): Record<string, Cell>[] {
  // Track-level scores say something new only when a track has several rows (3-second segments).
  const track = results.some((r) => r.summary.track_accuracy !== undefined && r.summary.track_accuracy.mean !== r.summary.accuracy?.mean);
  return results.map((r) => ({
    model: r.model,
    folds: `${r.k}x${r.repeats}`,
    accuracy: meanStdCell(r, "accuracy"),
    macro_f1: meanStdCell(r, "macro_f1"),
    ...(track ? { track_accuracy: meanStdCell(r, "track_accuracy") } : {}),
    time_s: Number(r.folds.reduce((a, f) => a + f.duration_s, 0).toFixed(1)),
    cv: r.id,
  }));
}

async function cv(o: CvFlags): Promise<void> {
  checkTableFlags(o);
  if (o.table.length === 0 && (o.dataset === undefined || o.features === undefined)) throw new UsageError("give --table (a feature table), or --dataset and --features");
  if (o.table.length > 0 && o.features !== undefined) throw new UsageError("--features: not with --table (a table's columns are the features)");
  const models = o.model.split(",").map((m) => m.trim()).filter((m) => m !== "");
  const registry = await cliRegistry();
  for (const m of models) registry.model(m);
  // `--param C=10` for a single model; `--param svm.C=10` names the model when there are several.
  const grouped = parseParamAssignments(o.param, models.length === 1 ? models[0] : undefined);
  const folds = integer("--folds", o.folds, 2)!;
  const repeats = integer("--repeats", o.repeats, 1)!;
  const seed = integer("--seed", o.seed, 0);
  const epochs = integer("--epochs", o.epochs, 1);
  if (o.table.length > 0 && (o.segment !== undefined || o.cache !== undefined)) throw new UsageError("--segment, --cache: only with --dataset");
  const segment = o.segment === undefined ? undefined : o.segment === "none" ? null : Number(o.segment);
  if (typeof segment === "number" && !(segment > 0)) throw new UsageError(`--segment ${o.segment}: expected a positive number of seconds, or none`);
  const bar = progress(folds * repeats * models.length, "cv");
  const report = await crossValidate({
    registry,
    model: models,
    modelParams: grouped,
    ...(o.table.length > 0
      ? { table: o.table, ...tableOptions(o) }
      : {
          dataset: o.dataset!,
          features: o.features!,
          ...(o.group !== undefined ? { group: o.group } : {}),
          ...(segment !== undefined ? { segment } : {}),
          ...(o.cache !== undefined ? { cache: o.cache } : {}),
        }),
    folds,
    repeats,
    runs: o.runs,
    ...(seed !== undefined ? { seed } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    onFold: (fold, model) => bar.tick(1, `${model} ${fold.repeat + 1}/${fold.fold + 1}: ${pct(fold.metrics.accuracy)}%`),
  });
  bar.stop();
  if (o.json) {
    process.stdout.write(`${JSON.stringify(report.results, null, 2)}\n`);
    return;
  }
  const rows = cvRows(report.results);
  const first = report.results[0];
  const what = first.data.table ? first.data.table.sources.map((s) => s.name).join(" + ") : `${first.data.features?.name} of ${first.data.dataset}`;
  process.stdout.write(`${folds}-fold cross-validation${repeats > 1 ? `, ${repeats} repeats` : ""}, grouped by ${printable(first.group)}, on ${printable(what)}: mean ± std over ${folds * repeats} folds (%)\n\n`);
  process.stdout.write(`${formatTable(rows)}\n\nevery fold is a run: clave runs --runs ${printable(report.results[0].dir)}\n`);
}

export function registerCv(program: Command): void {
  const command = program
    .command("cv")
    .description("repeated stratified k-fold cross-validation, grouped by track or artist, of one or more models; mean ± std, every fold a run")
    .requiredOption("--model <names>", "model plugin(s), comma-separated: knn,svm,random_forest,boosted_trees,logistic_regression,mlp")
    .option("--dataset <manifest>", "a dataset manifest (with --features) instead of a table")
    .option("--features <name>", "with --dataset: feature preset or plugin")
    .option("--segment <seconds|none>", "with --dataset: segment length (default 3); none: whole tracks")
    .option("--cache <dir>", "with --dataset: feature cache (default <dataset folder>/.clave/features)")
    .option("--no-cache", "with --dataset: do not read or write cached features")
    .option("--folds <k>", "folds", "5")
    .option("--repeats <n>", "repeats of the k folds, each with its own seed", "1")
    .option("--seed <n>", "seed of the folds (repeat r uses seed + r) and of the models (default 0)")
    .option("--param <key=value>", "a model param (model.key=value with several models; repeatable)", collect, [])
    .option("--epochs <n>", "shorthand for --param epochs=N (networks)")
    .option("--runs <dir>", "folder the CV's folder goes in", "runs")
    .option("--json", "print every model's folds and summary as JSON")
    .addHelpText(
      "after",
      `
Each fold trains on the other folds and is scored on its own rows; the rows of a group (a track's
3-second segments with --group track, an artist's tracks with --group artist) stay in one fold.
The spread is the population standard deviation over every fold of every repeat.
Examples:
  clave cv --model knn,svm,random_forest,boosted_trees,logistic_regression,mlp --table features_30_sec.csv --folds 5 --repeats 3
  clave cv --model svm --table features_3_sec.csv --group track --param C=10
  clave cv --model mlp --dataset data/gtzan/manifest.csv --features mfcc --folds 5 --epochs 30`,
    );
  addTableFlags(command).action(cv);
}
