/**
 * One trial of a sweep: a configuration (W&B passes every parameter, fixed or searched, to the
 * program) turned into a recorded training — `train` on a table or a dataset, or a cross-validation
 * when it says `folds` — and the value of the sweep's metric read from what was recorded.
 *
 * Keys that say what to train on: model, table, meta, dataset, features, label, group, split_column, join,
 * columns, drop, where, ratios, seed, epochs, folds, repeats, segment, hop, sr, cache. A key
 * `<feature>.<param>` (`melspectrogram.n_mels`) is a feature param; every other key is a model param.
 *
 * Metrics: `accuracy` (`test_accuracy`), `macro_f1`, `weighted_f1`, `loss` (`test_loss`),
 * `track_accuracy`, `track_macro_f1` of the test part (the mean over folds for a cross-validation;
 * `<metric>_std` their spread), or a logged quantity of the training history (`val_loss`,
 * `val_acc`, ...): its best epoch's value, by the metric's goal.
 */
import { ConfigError } from "../errors.ts";
import type { Registry } from "../registry.ts";
import { crossValidate, type CvResult } from "../run/cv.ts";
import type { Run } from "../run/recorded-run.ts";
import { train } from "../run/study.ts";
import type { WarningSink } from "../text.ts";
import type { ParamValue } from "./spec.ts";

/** Configuration keys that are not model params. */
export const TRIAL_KEYS = [
  "model",
  "table",
  "meta",
  "dataset",
  "features",
  "label",
  "group",
  "split_column",
  "join",
  "columns",
  "drop",
  "where",
  "ratios",
  "seed",
  "epochs",
  "folds",
  "repeats",
  "segment",
  "hop",
  "sr",
  "cache",
] as const;

export interface TrialOutcome {
  /** The run's id (a cross-validation's id for a CV trial), a folder in the sweep's folder. */
  readonly run: string;
  /** Every metric the trial can be ranked by. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly value: number;
  readonly duration_s: number;
}

function where(config: Readonly<Record<string, ParamValue>>, key: string): string {
  return `trial configuration, ${key} = ${JSON.stringify(config[key])}`;
}

function str(config: Readonly<Record<string, ParamValue>>, key: string): string | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new ConfigError(where(config, key), "expected a string");
  return v;
}

function num(config: Readonly<Record<string, ParamValue>>, key: string): number | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ConfigError(where(config, key), "expected a number");
  return v;
}

function strings(config: Readonly<Record<string, ParamValue>>, key: string): string[] | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (Array.isArray(v) && v.every((s) => typeof s === "string")) return v as string[];
  throw new ConfigError(where(config, key), "expected a string or a list of strings");
}

/** The metrics of a recorded run: test-part ones, and each history quantity's best epoch. */
export function runMetrics(run: Run, goal: "minimize" | "maximize"): Record<string, number> {
  const s = run.record.segment;
  const t = run.record.track;
  const out: Record<string, number> = {
    accuracy: s.accuracy,
    test_accuracy: s.accuracy,
    macro_f1: s.macro_f1,
    weighted_f1: s.weighted_f1,
    loss: s.loss,
    test_loss: s.loss,
    ...(t ? { track_accuracy: t.accuracy, track_macro_f1: t.macro_f1, track_weighted_f1: t.weighted_f1 } : {}),
  };
  for (const [key, values] of Object.entries(run.history)) {
    const finite = values.filter((v) => Number.isFinite(v));
    if (finite.length === 0) continue;
    const best = goal === "maximize" ? Math.max(...finite) : Math.min(...finite);
    // The test-part metrics keep their names; `loss` of the history is the training loss.
    out[key in out ? `history_${key}` : key] = best;
  }
  return out;
}

/** The metrics of a cross-validation: each summary's mean under its name, its std as `<name>_std`. */
export function cvMetrics(result: CvResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, s] of Object.entries(result.summary)) {
    if (!s) continue;
    out[name] = s.mean;
    out[`${name}_std`] = s.std;
    if (name === "accuracy" || name === "loss") out[`test_${name}`] = s.mean;
  }
  return out;
}

export interface RunTrialOptions {
  /** Folder the trial's run goes in (the sweep's folder). */
  readonly runs: string;
  readonly metric: { readonly name: string; readonly goal: "minimize" | "maximize" };
  readonly registry?: Registry;
  readonly onWarning?: WarningSink;
}

/** Train (or cross-validate) what a trial's configuration says; its metric's value. */
export async function runTrial(config: Readonly<Record<string, ParamValue>>, options: RunTrialOptions): Promise<TrialOutcome> {
  const model = str(config, "model");
  if (!model) throw new ConfigError("trial configuration", "no model: give the model as a parameter (model: { value: svm })");
  const tables = strings(config, "table");
  const dataset = str(config, "dataset");
  const features = str(config, "features");
  if ((tables === undefined) === (dataset === undefined)) throw new ConfigError("trial configuration", "give table, or dataset and features, as parameters");
  const params: Record<string, unknown> = {};
  const featureParams: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if ((TRIAL_KEYS as readonly string[]).includes(key)) continue;
    const dot = key.indexOf(".");
    if (dot > 0) {
      if (dataset === undefined || key.slice(0, dot) !== features) {
        throw new ConfigError(where(config, key), `${key.slice(0, dot)}.* is a feature's param, and the trial's feature is ${features ?? "none (a table)"}`);
      }
      featureParams[key.slice(dot + 1)] = value;
    } else {
      params[key] = value;
    }
  }
  const whereRaw = config.where;
  const whereOption: Record<string, string[]> = {};
  if (whereRaw !== undefined && whereRaw !== null) {
    if (typeof whereRaw !== "object" || Array.isArray(whereRaw)) throw new ConfigError(where(config, "where"), "expected a mapping of column to value(s)");
    for (const [k, v] of Object.entries(whereRaw)) whereOption[k] = Array.isArray(v) ? v.map(String) : [String(v)];
  }
  const ratios = config.ratios;
  if (ratios !== undefined && !(Array.isArray(ratios) && ratios.length === 3 && ratios.every((r) => typeof r === "number"))) throw new ConfigError(where(config, "ratios"), "expected [train, validation, test]");
  const splitColumn = config.split_column;
  const tableOptions = {
    ...(strings(config, "meta") ? { meta: strings(config, "meta")! } : {}),
    ...(str(config, "label") !== undefined ? { label: str(config, "label")! } : {}),
    ...(str(config, "group") !== undefined ? { group: str(config, "group")! } : {}),
    ...(splitColumn !== undefined ? { split: splitColumn === null || splitColumn === "none" ? null : String(splitColumn) } : {}),
    ...(str(config, "join") !== undefined ? { join: str(config, "join")! } : {}),
    ...(strings(config, "columns") ? { columns: strings(config, "columns")! } : {}),
    ...(strings(config, "drop") ? { drop: strings(config, "drop")! } : {}),
    ...(Object.keys(whereOption).length > 0 ? { where: whereOption } : {}),
  };
  const seed = num(config, "seed");
  const epochs = num(config, "epochs");
  const segment = config.segment === null || config.segment === "none" ? null : num(config, "segment");
  const common = {
    model,
    params,
    runs: options.runs,
    ...(seed !== undefined ? { seed } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    progress: false,
  };
  const audio = {
    dataset: dataset!,
    features: features ?? "",
    ...(Object.keys(featureParams).length > 0 ? { featureParams } : {}),
    ...(segment !== undefined ? { segment } : {}),
    ...(num(config, "hop") !== undefined ? { hop: num(config, "hop")! } : {}),
    ...(num(config, "sr") !== undefined ? { sr: num(config, "sr")! } : {}),
    ...(config.cache === false ? { cache: false as const } : str(config, "cache") !== undefined ? { cache: str(config, "cache")! } : {}),
  };
  if (dataset !== undefined && !features) throw new ConfigError("trial configuration", "a dataset needs features (a preset or a feature plugin) as a parameter");
  const started = Date.now();
  const folds = num(config, "folds");
  let metrics: Record<string, number>;
  let run: string;
  if (folds !== undefined) {
    const repeats = num(config, "repeats");
    const report = await crossValidate({
      ...common,
      folds,
      ...(repeats !== undefined ? { repeats } : {}),
      ...(tables ? { table: tables, ...tableOptions } : audio),
    });
    const result = report.results[0];
    metrics = cvMetrics(result);
    run = result.id;
  } else {
    const trained = tables
      ? await train({ ...common, table: tables, ...tableOptions, ...(ratios ? { ratios: ratios as [number, number, number] } : {}) })
      : await train({ ...common, ...audio });
    metrics = runMetrics(trained, options.metric.goal);
    run = trained.id;
  }
  const value = metrics[options.metric.name];
  if (value === undefined) {
    throw new ConfigError("sweep metric", `${JSON.stringify(options.metric.name)} is not among the trial's metrics (${Object.keys(metrics).join(", ")})`);
  }
  return { run, metrics, value, duration_s: (Date.now() - started) / 1000 };
}
