/**
 * `clave train`: a model on a dataset's features, recorded in `runs/<id>/`.
 * `clave evaluate <run>`: the run's metrics recomputed on its test split (or another manifest).
 * `clave predict <run> <audio...>`: genre probabilities per segment and per file.
 * `clave runs`: the recorded runs side by side.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { SPLITS, type Split } from "../core/dataset/manifest.ts";
import { UsageError } from "../core/errors.ts";
import type { Evaluation, LevelMetrics } from "../core/metrics/evaluate.ts";
import { parseParamAssignments } from "../core/params.ts";
import { evaluate as evaluateRun } from "../core/run/evaluate.ts";
import { resolveFeatureSpec } from "../core/run/features.ts";
import { predict as predictFiles } from "../core/run/predict.ts";
import { scanRuns, type RunSummary } from "../core/run/run.ts";
import { train as trainRun } from "../core/run/study.ts";
import type { Run } from "../core/run/recorded-run.ts";
import { cliRegistry, collect } from "./context.ts";
import { addTableFlags, checkTableFlags, parseRatios, tableOptions, type TableFlags } from "./table-flags.ts";
import { formatTable, messageLine, printable, type Cell } from "./table.ts";

function parseNumber(flag: string, value: string | undefined, check: (n: number) => boolean, expected: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !check(n)) throw new UsageError(`${flag} ${value}: expected ${expected}`);
  return n;
}

function parseSegment(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === "none" || value === "0") return null;
  return parseNumber("--segment", value, (n) => n > 0, "a positive number of seconds, or none (whole tracks)");
}

/** Split `--param` assignments between the model (bare keys or `model.key`) and the feature. */
export function splitParams(assignments: readonly string[], model: string, featureNames: readonly string[]) {
  const grouped = parseParamAssignments(assignments, model);
  const modelParams = grouped[model] ?? {};
  let featureParams: Record<string, unknown> = {};
  for (const [target, values] of Object.entries(grouped)) {
    if (target === model) continue;
    if (featureNames.includes(target)) featureParams = { ...featureParams, ...values };
    else {
      throw new UsageError(
        `--param ${target}.${Object.keys(values)[0]}=...: ${JSON.stringify(target)} is neither the model (${model}) nor the feature (${featureNames.join(" / ")})`,
      );
    }
  }
  return { modelParams, featureParams };
}

const pct = (v: number) => Number((100 * v).toFixed(2));
/** A loss as printed: a diverged training's NaN comes back from JSON as null, shown as NaN, never a crash. */
const finite = (v: number | null): number => (typeof v === "number" && Number.isFinite(v) ? Number(v.toFixed(4)) : Number.NaN);

/** Decimals of the metric columns: percentages 2, losses 4, seconds 1 (so that 50.00 stands beside 66.67). */
const METRIC_DECIMALS: Readonly<Record<string, number>> = {
  accuracy: 2,
  macro_f1: 2,
  weighted_f1: 2,
  precision: 2,
  recall: 2,
  f1: 2,
  loss: 4,
  seg_acc: 2,
  seg_f1: 2,
  track_acc: 2,
  track_f1: 2,
  test_loss: 4,
  time_s: 1,
  start_s: 2,
  end_s: 2,
};
const decimals = { decimals: METRIC_DECIMALS };

function levelRows(evaluation: Evaluation): Record<string, Cell>[] {
  const levels: [string, LevelMetrics | undefined][] = [
    ["segment", evaluation.segment],
    ["track", evaluation.track],
  ];
  return levels
    .filter((l): l is [string, LevelMetrics] => l[1] !== undefined)
    .map(([level, m]) => ({
      level,
      n: m.n,
      accuracy: pct(m.accuracy),
      macro_f1: pct(m.macroF1),
      weighted_f1: pct(m.weightedF1),
      loss: finite(m.loss),
    }));
}

function perClassRows(evaluation: Evaluation, level: "segment" | "track"): Record<string, Cell>[] {
  const m = evaluation[level];
  if (!m) return [];
  return evaluation.labels.map((label, i) => ({
    label,
    precision: pct(m.perClass[i].precision),
    recall: pct(m.perClass[i].recall),
    f1: pct(m.perClass[i].f1),
    support: m.perClass[i].support,
  }));
}

function confusionRows(evaluation: Evaluation, level: "segment" | "track"): Record<string, Cell>[] {
  const m = evaluation[level];
  if (!m) return [];
  return evaluation.labels.map((label, i) => ({
    "true \\ predicted": label,
    ...Object.fromEntries(evaluation.labels.map((p, j) => [p, m.confusion[i][j]])),
  }));
}

export function printEvaluation(evaluation: Evaluation): void {
  const level = evaluation.track ? "track" : "segment";
  process.stdout.write(`${formatTable(levelRows(evaluation), undefined, decimals)}\n\nper class (${level} level)\n${formatTable(perClassRows(evaluation, level), undefined, decimals)}\n`);
  process.stdout.write(`\nconfusion (${level} level, rows true)\n${formatTable(confusionRows(evaluation, level), ["true \\ predicted", ...evaluation.labels])}\n`);
}

export interface TrainFlags extends TableFlags {
  model: string;
  features?: string;
  dataset?: string;
  param: string[];
  epochs?: string;
  seed?: string;
  segment?: string;
  hop?: string;
  sr?: string;
  runs: string;
  cache?: string | false;
  from?: string;
  freeze: boolean;
  json?: boolean;
}

/** `clave train` with its flags parsed: the one-call `train`, its evaluation printed. */
export async function train(o: TrainFlags): Promise<void> {
  checkTableFlags(o);
  const registry = await cliRegistry();
  const model = registry.model(o.model);
  if (o.table.length > 0) return trainOnTable(o, model.name);
  if (o.features === undefined || o.dataset === undefined) throw new UsageError("give --features and --dataset (a manifest), or --table (a feature table)");
  const preliminary = resolveFeatureSpec(registry, o.features, {}, {});
  const { modelParams, featureParams } = splitParams(o.param, model.name, [...new Set([o.features, preliminary.plugin])]);
  const epochs = parseNumber("--epochs", o.epochs, (n) => Number.isInteger(n) && n > 0, "a positive integer");
  const sr = parseNumber("--sr", o.sr, (n) => n > 0, "a rate in Hz");
  const segment = parseSegment(o.segment);
  const hop = parseNumber("--hop", o.hop, (n) => n > 0, "a positive number of seconds");
  const seed = parseNumber("--seed", o.seed, (n) => Number.isInteger(n) && n >= 0, "a non-negative integer");
  const run = await trainRun({
    registry,
    model: model.name,
    features: o.features,
    dataset: o.dataset,
    params: modelParams,
    featureParams,
    runs: o.runs,
    ...(epochs !== undefined ? { epochs } : {}),
    ...(sr !== undefined ? { sr } : {}),
    ...(segment !== undefined ? { segment } : {}),
    ...(hop !== undefined ? { hop } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(o.cache !== undefined ? { cache: o.cache } : {}),
    ...(o.from ? { from: o.from, freeze: o.freeze } : {}),
  });
  printRun(run, o.json);
}

/** `clave train --table`: a model on a feature table. */
async function trainOnTable(o: TrainFlags, model: string): Promise<void> {
  const stray = (["features", "segment", "hop", "sr", "from"] as const).filter((k) => o[k] !== undefined);
  if (stray.length > 0) throw new UsageError(`${stray.map((k) => `--${k}`).join(", ")}: not with --table (a table's rows are the examples)`);
  const params = parseParamAssignments(o.param, model)[model] ?? {};
  const epochs = parseNumber("--epochs", o.epochs, (n) => Number.isInteger(n) && n > 0, "a positive integer");
  const seed = parseNumber("--seed", o.seed, (n) => Number.isInteger(n) && n >= 0, "a non-negative integer");
  const ratios = parseRatios(o.ratios);
  const run = await trainRun({
    registry: await cliRegistry(),
    model,
    table: o.table,
    ...tableOptions(o),
    params,
    runs: o.runs,
    ...(ratios ? { ratios } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(seed !== undefined ? { seed } : {}),
  });
  printRun(run, o.json);
}

function printRun(run: Run, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ id: run.id, dir: run.dir, summary: run.record }, null, 2)}\n`);
    return;
  }
  printEvaluation(run.evaluation);
  process.stdout.write(`\nrun ${printable(run.id)}: ${run.record.epochs} epochs in ${run.record.duration_s.toFixed(1)} s on ${run.record.backend}; written to ${printable(run.dir)}\n`);
}

async function evaluate(run: string, o: { runs: string; dataset?: string; split: string; cache?: string | false; json?: boolean }): Promise<void> {
  if (!SPLITS.includes(o.split as Split)) throw new UsageError(`--split ${o.split}: expected one of ${SPLITS.join(", ")}`);
  const registry = await cliRegistry();
  const evaluation = await evaluateRun(run, {
    registry,
    runs: o.runs,
    split: o.split as Split,
    ...(o.dataset !== undefined ? { dataset: o.dataset } : {}),
    ...(o.cache !== undefined ? { cache: o.cache } : {}),
  });
  if (o.json) {
    const { problems: _problems, ...rest } = evaluation;
    process.stdout.write(`${JSON.stringify(rest, null, 2)}\n`);
  } else {
    process.stdout.write(`run ${printable(evaluation.run)} on the ${o.split} split of ${printable(evaluation.manifest)}\n\n`);
    printEvaluation(evaluation);
  }
  if (evaluation.problems.length > 0) process.exitCode = 1;
}

async function predict(run: string, files: string[], o: { runs: string; json?: boolean; segments: boolean }): Promise<void> {
  const registry = await cliRegistry();
  const { run: id, labels, files: results, failures } = await predictFiles(run, files, { registry, runs: o.runs });
  const probabilities = { decimals: { ...METRIC_DECIMALS, ...Object.fromEntries(labels.map((l) => [l, 4])) } };
  const round = (p: Record<string, number>) => Object.fromEntries(Object.entries(p).map(([l, v]) => [l, Number(v.toFixed(4))]));
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ run: id, labels, files: results, failures }, null, 2)}\n`);
  } else {
    if (o.segments && results.length > 0) {
      const rows = results.flatMap((r) =>
        r.segments.map((s) => ({ file: r.file, segment: s.index, start_s: Number(s.start_s.toFixed(2)), end_s: Number(s.end_s.toFixed(2)), top: s.top, ...round(s.probabilities) })),
      );
      process.stdout.write(`per segment\n${formatTable(rows, ["file", "segment", "start_s", "end_s", "top", ...labels], probabilities)}\n\nper file (mean of its segments)\n`);
    }
    if (results.length > 0) {
      const rows = results.map((r) => ({ file: r.file, segments: r.segments.length, top: r.top, ...round(r.probabilities) }));
      process.stdout.write(`${formatTable(rows, ["file", "segments", "top", ...labels], probabilities)}\n`);
    }
  }
  for (const f of failures) process.stderr.write(messageLine(`${f.file}: ${f.error}`));
  if (failures.length > 0) process.exitCode = 1;
}

/** The `clave runs` table rows. */
export function runRows(runs: readonly RunSummary[]): Record<string, Cell>[] {
  const p = (v: number | undefined) => (v === undefined ? null : pct(v));
  return runs.map((r) => ({
    id: r.id,
    model: r.model,
    features: r.features,
    data: r.dataset_sha256?.slice(0, 8) ?? null,
    backend: r.backend,
    epochs: r.epochs,
    seg_acc: p(r.segment.accuracy),
    seg_f1: p(r.segment.macro_f1),
    track_acc: p(r.track?.accuracy),
    track_f1: p(r.track?.macro_f1),
    test_loss: finite(r.segment.loss),
    time_s: Number(r.duration_s.toFixed(1)),
  }));
}

const SORT_KEYS = ["created", "seg_acc", "seg_f1", "track_acc", "track_f1", "test_loss"] as const;

async function runs(o: { runs: string; json?: boolean; sort?: string; model?: string }): Promise<void> {
  if (o.sort !== undefined && !SORT_KEYS.includes(o.sort as never)) throw new UsageError(`--sort ${o.sort}: expected one of ${SORT_KEYS.join(", ")}`);
  const listing = await scanRuns(o.runs);
  let list = listing.runs;
  if (o.model) list = list.filter((r) => r.model === o.model);
  const damaged = () => {
    if (listing.damaged.length === 0) return;
    const rows = listing.damaged.map((d) => ({ damaged: d.id, reason: d.reason }));
    process.stdout.write(`\n${listing.damaged.length} damaged or interrupted run folder(s) in ${printable(resolve(o.runs))}\n${formatTable(rows)}\n`);
  };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    for (const d of listing.damaged) process.stderr.write(messageLine(`warning: ${d.dir}: ${d.reason}`));
    return;
  }
  if (list.length === 0) {
    process.stdout.write(`no runs in ${printable(resolve(o.runs))} (train one with clave train)\n`);
    damaged();
    return;
  }
  let rows = runRows(list);
  if (o.sort && o.sort !== "created") {
    const key = o.sort;
    const sign = key === "test_loss" ? 1 : -1;
    rows = [...rows].sort((a, b) => sign * ((Number(a[key] ?? -Infinity) || 0) - (Number(b[key] ?? -Infinity) || 0)));
  }
  process.stdout.write(`${formatTable(rows, undefined, decimals)}\n`);
  damaged();
}

export function registerTrain(program: Command): void {
  const command = program
    .command("train")
    .description("train a model on a dataset's features or on a feature table; records config, split, history, metrics and model in runs/<id>/")
    .requiredOption("--model <name>", "model plugin: lstm, crnn, cnn2d, mlp, svm, knn, random_forest, boosted_trees, logistic_regression, ... (clave plugins --kind model)")
    .option("--features <name>", "feature preset (stack417) or feature plugin (melspectrogram, mfcc, ...)")
    .option("--dataset <manifest>", "dataset manifest CSV with train/validation/test splits (clave dataset build)")
    .option("--param <key=value>", "a model param (epochs, batch_size, learning_rate, units...) or feature.key=value (repeatable)", collect, [])
    .option("--epochs <n>", "shorthand for --param epochs=N")
    .option("--seed <n>", "seed of weights, dropout and shuffling (default 0)")
    .option("--segment <seconds|none>", "cut tracks into segments of this length (default 3); none: whole tracks")
    .option("--hop <seconds>", "hop between segment starts (default: the segment length)")
    .option("--sr <hz>", "sampling rate the audio is loaded at (default 22050)")
    .option("--runs <dir>", "folder of the runs", "runs")
    .option("--cache <dir>", "feature cache (default <dataset folder>/.clave/features)")
    .option("--no-cache", "do not read or write cached features")
    .option("--from <run>", "transfer learning: start from this run's model with a new head for this dataset's labels")
    .option("--no-freeze", "with --from: train every layer, not only the new head")
    .option("--json", "print the run summary as JSON")
    .addHelpText(
      "after",
      `
Params are the model's (clave plugins --kind model lists them with their defaults), including the
training settings: epochs, batch_size, learning_rate, weight_decay (AdamW), class_weight=balanced,
scheduler=plateau|step, early_stopping=<patience>, monitor, restore_best, workers=<threads> (data-parallel
training on several cores).
Examples:
  clave dataset build --source synthetic --per-class 20 --seconds 6 --out data/synthetic/manifest.csv
  clave train --model lstm --features stack417 --dataset data/synthetic/manifest.csv
  clave train --model crnn --features melspectrogram --dataset data/gtzan/manifest.csv \\
      --param conv=1d --param rnn=lstm --param melspectrogram.n_mels=64 --epochs 30
  clave train --model mlp --features mfcc --dataset data/salsa/manifest.csv --from runs/<id>   # transfer
  clave train --model svm --table features_30_sec.csv                      # Kaggle's GTZAN features
  clave train --model knn --table features_3_sec.csv --group track         # a track's 3-s rows on one side
  clave train --model boosted_trees --table fma_metadata/features.csv --meta fma_metadata/tracks.csv \\
      --label track.genre_top --split-column set.split --where set.subset=small`,
    );
  addTableFlags(command).action(train);

  program
    .command("evaluate")
    .description("recompute a run's metrics on its test split (or on another manifest's split)")
    .argument("<run>", "run folder or id (under --runs)")
    .option("--runs <dir>", "folder of the runs", "runs")
    .option("--dataset <manifest>", "evaluate on this manifest instead of the run's own")
    .option("--split <part>", `part to evaluate: ${SPLITS.join(", ")}`, "test")
    .option("--cache <dir>", "feature cache (default <dataset folder>/.clave/features)")
    .option("--no-cache", "do not read or write cached features")
    .option("--json", "print the metrics as JSON")
    .addHelpText(
      "after",
      `
Segment-level and track-level (mean of a track's segment probabilities) accuracy, macro and
weighted F1, per-class precision/recall/F1, confusion matrix and test loss. Examples:
  clave evaluate 20250101-120000-lstm-3fa9c1
  clave evaluate runs/20250101-120000-lstm-3fa9c1 --dataset data/other/manifest.csv --json`,
    )
    .action(evaluate);

  program
    .command("predict")
    .description("genre probabilities of audio files, per segment and per file, from a run's model")
    .argument("<run>", "run folder or id (under --runs)")
    .argument("<audio...>", "audio files")
    .option("--runs <dir>", "folder of the runs", "runs")
    .option("--no-segments", "print only the per-file table")
    .option("--json", "print JSON: per file its probabilities and those of each segment")
    .addHelpText(
      "after",
      `
A file's probabilities are the mean of its segments'. Files that cannot be read are reported and
skipped (exit 1). Example:
  clave predict 20250101-120000-lstm-3fa9c1 song.mp3 other.ogg`,
    )
    .action(predict);

  program
    .command("runs")
    .description("the recorded runs as a table: model, features, dataset, accuracy and F1 per level, test loss")
    .option("--runs <dir>", "folder of the runs", "runs")
    .option("--model <name>", "only runs of this model")
    .option("--sort <key>", `order by ${SORT_KEYS.join(", ")} (default created)`)
    .option("--json", "print the run summaries as JSON")
    .addHelpText("after", "\nExamples:\n  clave runs\n  clave runs --sort track_f1 --model lstm")
    .action(runs);
}

