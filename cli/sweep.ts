/**
 * `clave sweep <file>`: a W&B sweep file (grid, random, or bayes = TPE) run as trials, each a recorded
 * run in the sweep's folder, `--parallel` at a time in worker processes; resumable; the trials
 * ranked by the metric.
 */
import type { Command } from "commander";
import { UsageError } from "../core/errors.ts";
import { sweep as runSweep, type Trial } from "../core/sweep/sweep.ts";
import { cliRegistry } from "./context.ts";
import { formatTable, messageLine, printable, type Cell } from "./table.ts";

interface SweepFlags {
  runs?: string;
  parallel: string;
  seed?: string;
  runCap?: string;
  trialTimeout?: string;
  top?: string;
  json?: boolean;
}

function positive(flag: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !(n > 0) || (integer && !Number.isInteger(n))) throw new UsageError(`${flag} ${value}: expected a positive ${integer ? "integer" : "number"}`);
  return n;
}

function describe(trial: Trial): string {
  const params = Object.entries(trial.params)
    .map(([k, v]) => `${k}=${typeof v === "number" ? Number(v.toPrecision(4)) : JSON.stringify(v)}`)
    .join(" ");
  return `trial ${trial.number} ${params}`;
}

async function sweep(file: string, o: SweepFlags): Promise<void> {
  const parallel = positive("--parallel", o.parallel, true)!;
  const seed = o.seed === undefined ? undefined : Number(o.seed);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0)) throw new UsageError(`--seed ${o.seed}: expected a non-negative integer`);
  const runCap = positive("--run-cap", o.runCap, true);
  const trialTimeout = positive("--trial-timeout", o.trialTimeout, false);
  const top = positive("--top", o.top, true) ?? 20;
  const result = await runSweep({
    sweep: file,
    registry: await cliRegistry(),
    parallel,
    ...(o.runs !== undefined ? { runs: o.runs } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(runCap !== undefined ? { runCap } : {}),
    ...(trialTimeout !== undefined ? { trialTimeout } : {}),
    onTrial: (trial, event) => {
      if (event === "start") process.stderr.write(messageLine(`${describe(trial)}: started`));
      else if (trial.status === "done") process.stderr.write(messageLine(`${describe(trial)}: ${trial.value} (run ${trial.run})`));
      else process.stderr.write(messageLine(`${describe(trial)}: failed: ${trial.error}`));
    },
  });
  const failed = result.trials.filter((t) => t.status === "failed");
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ dir: result.dir, best: result.best, trials: result.trials }, null, 2)}\n`);
  } else {
    const { spec } = result;
    const rows = (result.table.objects() as Record<string, Cell>[]).slice(0, top);
    process.stdout.write(`sweep ${spec.method} on ${spec.metric.name} (${spec.metric.goal}): ${result.trials.length - failed.length} trials finished, ${failed.length} failed; in ${printable(result.dir)}\n\n`);
    if (rows.length > 0) process.stdout.write(`${formatTable(rows)}\n`);
    if (result.table.numRows() > top) process.stdout.write(`(${result.table.numRows() - top} more in ${printable(result.dir)}/summary.csv)\n`);
  }
  for (const t of failed) process.stderr.write(messageLine(`trial ${t.number} failed: ${t.error}`));
  if (failed.length > 0) process.exitCode = 1;
}

export function registerSweep(program: Command): void {
  program
    .command("sweep")
    .description("run a W&B sweep file (grid, random, bayes = TPE): every trial a run, ranked by the metric; parallel, resumable")
    .argument("<file>", "sweep file (YAML or JSON, W&B's format: method, metric, parameters, run_cap)")
    .option("--runs <dir>", "the sweep's folder: its trials' runs, sweep.json (state) and summary.csv (default runs/sweep-<file name>)")
    .option("--parallel <n>", "trials at a time, each in a worker process", "1")
    .option("--seed <n>", "seed of the random and TPE proposals (default 0)")
    .option("--run-cap <n>", "most trials (default the file's run_cap; a grid's size; else 20)")
    .option("--trial-timeout <seconds>", "stop a trial that takes longer (default a day)")
    .option("--top <n>", "rows of the ranking printed (default 20)")
    .option("--json", "print every trial as JSON")
    .addHelpText(
      "after",
      `
Fixed settings are parameters with a single value, as W&B passes them: model, table (or dataset and
features), label, group, epochs, seed, folds (a cross-validation per trial: the metric is the mean
over folds), ...; every other parameter is a model param (feature params as <feature>.<param>).
Metrics: accuracy, macro_f1, weighted_f1, loss, track_accuracy (test part; mean over folds with
folds), or a training-history quantity (val_loss, val_acc: its best epoch).
Running the same file again resumes the sweep in its folder. Example file:

  method: bayes
  metric: { name: accuracy, goal: maximize }
  run_cap: 30
  parameters:
    model: { value: svm }
    table: { value: features_30_sec.csv }
    folds: { value: 5 }
    C: { distribution: log_uniform_values, min: 0.1, max: 100 }
    gamma: { distribution: log_uniform_values, min: 0.001, max: 1 }

  clave sweep sweep.yaml --parallel 2`,
    )
    .action(sweep);
}
