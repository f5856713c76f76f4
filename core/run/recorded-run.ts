/**
 * A recorded run as an object: what `train()` returns and `openRun()` reads back from `runs/<id>/`.
 * It holds the run's record, config, training history and evaluation, gives them as Arquero tables,
 * and loads its model on first use to evaluate, predict or print its layers.
 *
 *     const run = await openRun("20250101-120000-lstm-3fa9c1");
 *     run.metrics();                       // accuracy, macro/weighted F1, loss per level
 *     await run.summary();                 // the model's layers, like Keras's model.summary()
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as aq from "arquero";
import { registryOrDefault } from "../defaults.ts";
import { RunError, fsReason } from "../errors.ts";
import type { Evaluation, LevelMetrics } from "../metrics/evaluate.ts";
import type { History } from "../plugin.ts";
import type { Registry } from "../registry.ts";
import { readRun, resolveRunDir, type DatasetRecord, type LoadedRun, type RunConfig, type RunSummary } from "./run.ts";
import { loadRunModel, type RunModel } from "./use.ts";

/** Which evaluation level a table or chart shows: per segment, or per track (mean of its segments). */
export type Level = "segment" | "track";

async function readJsonFile<T>(dir: string, name: string): Promise<T> {
  const path = join(dir, name);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new RunError(path, `cannot read: ${fsReason(error)}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new RunError(path, `not valid JSON: ${(error as Error).message}`);
  }
}

export class Run {
  #model: Promise<RunModel> | undefined;

  constructor(
    /** Where the run lives (`runs/<id>`). */
    readonly dir: string,
    /** `run.json`: id, times, model, features, backend, epochs, headline metrics. */
    readonly record: RunSummary,
    /** `config.json`: model and params, feature spec, labels, input shape, seed. */
    readonly config: RunConfig,
    /** `dataset.json`: the manifest, its hash and each split's track ids (null for in-memory data). */
    readonly dataset: DatasetRecord | null,
    /** Per-epoch loss, metrics and learning rate. */
    readonly history: History,
    /** Metrics on the test split when the run was recorded. */
    readonly evaluation: Evaluation,
    /** The registry the run's plugins come from (default: built-ins and `clave.config.*`). */
    readonly registry?: Registry,
  ) {}

  get id(): string {
    return this.record.id;
  }

  get labels(): readonly string[] {
    return this.config.labels;
  }

  /** The level tables and charts show by default: track when tracks were scored, else segment. */
  get level(): Level {
    return this.evaluation.track ? "track" : "segment";
  }

  /** The run's model, loaded once by the plugin that trained it. */
  model(): Promise<RunModel> {
    this.#model ??= registryOrDefault(this.registry).then((registry) => loadRunModel(this.dir, registry));
    return this.#model;
  }

  /** One row per level: n, accuracy, macro and weighted F1, macro precision and recall, loss. */
  metrics(evaluation: Evaluation = this.evaluation): aq.ColumnTable {
    const levels = (["segment", "track"] as const).filter((l) => evaluation[l] !== undefined);
    const m = (l: Level) => evaluation[l] as LevelMetrics;
    return aq.table({
      level: levels,
      n: levels.map((l) => m(l).n),
      accuracy: levels.map((l) => m(l).accuracy),
      macro_f1: levels.map((l) => m(l).macroF1),
      weighted_f1: levels.map((l) => m(l).weightedF1),
      macro_precision: levels.map((l) => m(l).macroPrecision),
      macro_recall: levels.map((l) => m(l).macroRecall),
      loss: levels.map((l) => m(l).loss),
    });
  }

  /** One row per class: precision, recall, F1 and support at `level`. */
  perClass(level: Level = this.level, evaluation: Evaluation = this.evaluation): aq.ColumnTable {
    const m = levelOf(this, evaluation, level);
    return aq.table({
      label: evaluation.labels,
      precision: m.perClass.map((c) => c.precision),
      recall: m.perClass.map((c) => c.recall),
      f1: m.perClass.map((c) => c.f1),
      support: m.perClass.map((c) => c.support),
    });
  }

  /** The confusion matrix at `level`, rows true class, a column per predicted class (counts or row fractions). */
  confusion(level: Level = this.level, options: { normalize?: boolean; evaluation?: Evaluation } = {}): aq.ColumnTable {
    const evaluation = options.evaluation ?? this.evaluation;
    const m = levelOf(this, evaluation, level);
    const matrix = options.normalize ? m.confusionNormalized : m.confusion;
    return aq.table({
      true: evaluation.labels,
      ...Object.fromEntries(evaluation.labels.map((p, j) => [p, matrix.map((row) => row[j])])),
    });
  }

  /** The history as a table: one row per epoch, a column per logged value. */
  historyTable(): aq.ColumnTable {
    const keys = Object.keys(this.history);
    const epochs = Math.max(0, ...keys.map((k) => this.history[k].length));
    return aq.table({ epoch: Array.from({ length: epochs }, (_, i) => i + 1), ...Object.fromEntries(keys.map((k) => [k, this.history[k]])) });
  }

  /** Print the model's layers, output shapes and parameter counts, as Keras's `model.summary()` does. */
  async summary(): Promise<void> {
    process.stdout.write(`${await this.summaryText()}\n`);
  }

  /** What `summary()` prints, as text. */
  async summaryText(): Promise<string> {
    const loaded = await this.model();
    const lines: string[] = [`run ${this.id}: ${this.config.model}, features ${this.config.features?.name ?? "(arrays)"}, labels ${this.labels.join(", ")}`];
    const network = (loaded.model as { network?: { summary?: (width?: number, positions?: number[], print?: (...m: unknown[]) => void) => void } }).network;
    if (network && typeof network.summary === "function") network.summary(98, [0.4, 0.7, 0.85, 1], (...message: unknown[]) => lines.push(message.join(" ")));
    else lines.push(`params: ${JSON.stringify(this.config.params)}`);
    return lines.join("\n");
  }

  /** util.inspect / a notebook cell's value: one line about the run. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    const m = this.evaluation[this.level];
    const score = m ? `${this.level} accuracy ${(100 * m.accuracy).toFixed(2)}%, macro F1 ${(100 * m.macroF1).toFixed(2)}%` : "";
    return `Run ${this.id} (${this.config.model} on ${this.config.features?.name ?? "arrays"}, ${this.record.epochs} epochs; ${score})`;
  }
}

function levelOf(run: Run, evaluation: Evaluation, level: Level): LevelMetrics {
  const m = evaluation[level];
  if (!m) throw new RunError(run.dir, `no ${level}-level metrics (the examples carried no track ids)`);
  return m;
}

export interface OpenRunOptions {
  /** Folder of the runs, for a run given by id (default `runs`). */
  readonly runs?: string;
  readonly registry?: Registry;
}

/**
 * A recorded run, by id (under `options.runs`) or folder.
 * @example const run = await openRun("20250101-120000-lstm-3fa9c1"); run.perClass()
 */
export async function openRun(run: string | Run, options: OpenRunOptions = {}): Promise<Run> {
  if (run instanceof Run) return run;
  const dir = resolveRunDir(run, options.runs);
  const loaded: LoadedRun = await readRun(dir);
  const [history, evaluation] = await Promise.all([readJsonFile<History>(dir, "history.json"), readJsonFile<Evaluation>(dir, "metrics.json")]);
  return new Run(dir, loaded.summary, loaded.config, loaded.dataset, history, evaluation, options.registry);
}
