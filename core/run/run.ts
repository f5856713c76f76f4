/**
 * Runs: every training leaves `runs/<id>/` (id: time, model, short hash), written whole or not at
 * all (built in a hidden temporary folder, then renamed):
 *
 *   run.json       summary: id, times, model, features, dataset hash, backend, epochs, headline metrics
 *   config.json    model and params, feature spec, labels, input shape, seed, transfer source
 *   dataset.json   the manifest's path and sha256, and the track ids of each split
 *   backend.json   the compute backend (`backendInfo()`)
 *   history.json   per-epoch loss, metrics and learning rate
 *   metrics.json   segment- and track-level accuracy, per-class precision/recall/F1, macro and
 *                  weighted F1, confusion matrices (counts and row-normalised), test loss
 *   confusion.csv  level,true,predicted,count,fraction (long format, both levels)
 *   model/         model.json + weights.bin (tfjs) and clave-model.json, or classical.json (core/ml models)
 *
 * While training, the best weights so far are checkpointed in the temporary folder
 * (`runs/.partial-<id>/checkpoint/`), so an interrupted run keeps them. The folder's `owner.json`
 * names the process writing it; temporary folders left behind (a process killed with -9) are removed
 * the next time runs are written or listed, see `removeStalePartials`.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, join, resolve } from "node:path";
import { backendInfo, type BackendInfo } from "../backend.ts";
import { ClaveError, fsReason, ParamError, RunError } from "../errors.ts";
import { processRunning, writeFileAtomic } from "../fsutil.ts";
import { evaluateProbabilities, type Evaluation, type LevelMetrics } from "../metrics/evaluate.ts";
import { resolveParams } from "../params.ts";
import type { History, ModelPlugin } from "../plugin.ts";
import type { SegmentSet } from "./data.ts";
import type { TableSpec } from "../dataset/table.ts";
import type { FeatureSpec } from "./features.ts";

export const RUN_FILES = [
  "run.json",
  "config.json",
  "dataset.json",
  "backend.json",
  "history.json",
  "metrics.json",
  "confusion.csv",
  "model/model.json",
  "model/weights.bin",
] as const;

/** The dataset a run was trained on: the manifest, its hash, and which tracks went where. */
export interface DatasetRecord {
  /** Absolute path of the manifest when trained. */
  readonly manifest: string;
  /** sha256 of the manifest file's bytes. */
  readonly sha256: string;
  /** Track ids of each part. */
  readonly splits: { readonly train: string[]; readonly validation: string[]; readonly test: string[] };
  /** Tracks left out because they failed to load. */
  readonly problems?: readonly { path: string; reason: string }[];
}

export interface RunConfig {
  readonly model: string;
  readonly params: Record<string, unknown>;
  readonly features: FeatureSpec | null;
  readonly labels: string[];
  readonly input_shape: number[];
  readonly seed: number;
  /** Run whose model this one was transferred from, and whether its body was frozen. */
  readonly transfer?: { readonly from: string; readonly freeze: boolean };
  /** For a run on a feature table: its files, label, group, split and feature columns. */
  readonly table?: TableSpec;
}

export interface RunSummary {
  readonly id: string;
  readonly created: string;
  readonly finished: string;
  readonly duration_s: number;
  readonly model: string;
  readonly features: string | null;
  readonly dataset_sha256: string | null;
  readonly backend: string;
  readonly epochs: number;
  readonly examples: { readonly train: number; readonly validation: number; readonly test: number };
  readonly segment: Headline;
  readonly track: Headline | null;
}

/** The numbers `clave runs` compares. */
export interface Headline {
  readonly accuracy: number;
  readonly macro_f1: number;
  readonly weighted_f1: number;
  readonly loss: number;
}

export interface TrainRunOptions {
  readonly model: ModelPlugin;
  /** Model params as given (validated here; defaults filled). */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly labels: readonly string[];
  readonly train: SegmentSet;
  readonly validation?: SegmentSet;
  readonly test: SegmentSet;
  readonly seed?: number;
  /** Folder holding the runs (default `runs`). */
  readonly runsDir?: string;
  readonly features?: FeatureSpec;
  /** A feature table's record, for runs on tables (instead of `features`). */
  readonly table?: TableSpec;
  readonly dataset?: DatasetRecord;
  /** Transfer learning: start from this run's model, with a new head for `labels`. */
  readonly from?: string;
  /** With `from`: train only the new head (default true). */
  readonly freeze?: boolean;
  readonly epochs?: number;
  readonly progress?: boolean;
  readonly onEpoch?: (epoch: number, logs: Readonly<Record<string, number>>) => void;
}

export interface RunResult {
  readonly id: string;
  readonly dir: string;
  readonly summary: RunSummary;
  readonly evaluation: Evaluation;
  readonly history: History;
}

/** `table:features_30_sec.csv+echonest.csv`: what a run on tables shows as its features. */
export function tableName(table: TableSpec): string {
  return `table:${table.sources.map((s) => basename(s.name)).join("+")}`;
}

function headline(m: LevelMetrics): Headline {
  return { accuracy: m.accuracy, macro_f1: m.macroF1, weighted_f1: m.weightedF1, loss: m.loss };
}

function stamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** `20250101-120000-lstm-3fa9c1`: when, what, and a hash of the config and data. */
export function runId(date: Date, model: string, content: unknown): string {
  const hash = createHash("sha256").update(JSON.stringify(content)).update(String(date.getTime())).update(String(Math.random())).digest("hex");
  return `${stamp(date)}-${model}-${hash.slice(0, 6)}`;
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** `confusion.csv`: one row per (level, true label, predicted label). */
export function confusionCsv(evaluation: Evaluation): string {
  const lines = ["level,true,predicted,count,fraction"];
  const levels: [string, LevelMetrics | undefined][] = [
    ["segment", evaluation.segment],
    ["track", evaluation.track],
  ];
  for (const [level, m] of levels) {
    if (!m) continue;
    evaluation.labels.forEach((truth, i) =>
      evaluation.labels.forEach((predicted, j) => {
        lines.push([level, csvField(truth), csvField(predicted), String(m.confusion[i][j]), String(m.confusionNormalized[i][j])].join(","));
      }),
    );
  }
  return `${lines.join("\n")}\n`;
}

function checkSet(name: string, set: SegmentSet, nClasses: number): void {
  const n = set.x.shape[0];
  if (set.y.length !== n || set.tracks.length !== n) {
    throw new RangeError(`${name}: ${n} examples but ${set.y.length} labels and ${set.tracks.length} track ids`);
  }
  for (const c of set.y) if (c < 0 || c >= nClasses) throw new RangeError(`${name}: label index ${c} outside the ${nClasses} labels`);
}

/** A run's folder from its path or its id under `runsDir`. */
export function resolveRunDir(run: string, runsDir = "runs"): string {
  for (const candidate of [resolve(run), resolve(runsDir, run)]) {
    if (existsSync(join(candidate, "config.json"))) return candidate;
  }
  const other = resolve(runsDir, run) === resolve(run) ? "" : ` (nor ${resolve(runsDir, run)})`;
  throw new RunError(resolve(run), `no run here${other}: expected a folder with config.json (list them with clave runs)`);
}

async function readJson<T>(dir: string, file: string): Promise<T> {
  const path = join(dir, file);
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (error) {
    throw new RunError(path, existsSync(path) ? `not valid JSON: ${(error as Error).message}` : "missing (an incomplete run?)");
  }
}

export interface LoadedRun {
  readonly dir: string;
  readonly summary: RunSummary;
  readonly config: RunConfig;
  readonly dataset: DatasetRecord | null;
}

/** A classical model's one file (core/ml/model.ts), in place of a tfjs model's `model.json` + `weights.bin`. */
export const CLASSICAL_RUN_MODEL_FILES = ["model/classical.json"] as const;

/**
 * The files of `RUN_FILES` missing from a run folder. The model's files are those of one layout: a
 * tfjs model's (`model/model.json`, `model/weights.bin`) or a classical model's (`model/classical.json`).
 */
function missingRunFiles(dir: string): string[] {
  const missing = RUN_FILES.filter((file) => !existsSync(join(dir, file)));
  if (CLASSICAL_RUN_MODEL_FILES.every((file) => existsSync(join(dir, file)))) return missing.filter((file) => !file.startsWith("model/"));
  return missing;
}

/** Read a run's summary, config and dataset record; a run missing any of its files is refused, naming them. */
export async function readRun(dir: string): Promise<LoadedRun> {
  const missing = missingRunFiles(dir);
  if (missing.length > 0) throw new RunError(dir, `a damaged run: ${missing.join(", ")} missing`);
  const [summary, config, dataset] = await Promise.all([
    readJson<RunSummary>(dir, "run.json"),
    readJson<RunConfig>(dir, "config.json"),
    readJson<DatasetRecord | null>(dir, "dataset.json"),
  ]);
  return { dir, summary, config, dataset };
}

/** A folder under the runs folder that is not a whole run, and why. */
export interface DamagedRun {
  /** The folder's name. */
  readonly id: string;
  readonly dir: string;
  readonly reason: string;
}

/** The runs under a folder: the whole ones, and the others with what is wrong with them. */
export interface RunListing {
  /** Oldest first. */
  readonly runs: RunSummary[];
  readonly damaged: DamagedRun[];
}

const SUMMARY_FIELDS = ["id", "created", "model", "segment"] as const;

/**
 * Files that mark a folder under the runs folder as a collection of runs, not a run: a cross-validation
 * (core/run/cv.ts) or a sweep (core/sweep/). `clave runs --runs <that folder>` lists what they hold.
 */
export const RUN_COLLECTION_FILES = ["cv.json", "sweep.json"] as const;

/**
 * Every folder under `runsDir`: whole runs, and damaged ones (a file missing, a `run.json` that is not
 * a run summary) with the reason, and interrupted runs that kept a checkpoint. Stale temporary
 * folders are removed first (`removeStalePartials`). A missing `runsDir` holds no runs.
 */
export async function scanRuns(runsDir = "runs"): Promise<RunListing> {
  const root = resolve(runsDir);
  if (!existsSync(root)) return { runs: [], damaged: [] };
  const kept = await removeStalePartials(root);
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    throw new RunError(root, `cannot list the runs: ${fsReason(error)}`);
  }
  const runs: RunSummary[] = [];
  const damaged: DamagedRun[] = kept.map((p) => ({
    id: p.name,
    dir: p.dir,
    reason: `interrupted run (its process ended); its best weights so far are in ${join(p.dir, "checkpoint")}, removed after ${STALE_CHECKPOINT_HOURS} h`,
  }));
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const dir = join(root, entry.name);
    if (RUN_COLLECTION_FILES.some((file) => existsSync(join(dir, file)))) continue;
    const bad = (reason: string) => damaged.push({ id: entry.name, dir, reason });
    const missing = missingRunFiles(dir);
    if (missing.includes("run.json")) {
      bad(`${missing.join(", ")} missing`);
      continue;
    }
    let summary: unknown;
    try {
      summary = JSON.parse(await readFile(join(dir, "run.json"), "utf8"));
    } catch (error) {
      bad(`run.json: ${error instanceof SyntaxError ? `not valid JSON (${error.message})` : fsReason(error)}`);
      continue;
    }
    const lacking = SUMMARY_FIELDS.filter((f) => typeof summary !== "object" || summary === null || !(f in summary));
    if (lacking.length > 0) bad(`run.json is not a run summary: no ${lacking.join(", ")}`);
    else if (missing.length > 0) bad(`${missing.join(", ")} missing`);
    else runs.push(summary as RunSummary);
  }
  runs.sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : 1));
  damaged.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { runs, damaged };
}

/** The summaries of every whole run under `runsDir`, oldest first (`scanRuns` also says which folders are damaged). */
export async function listRuns(runsDir = "runs"): Promise<RunSummary[]> {
  return (await scanRuns(runsDir)).runs;
}

// ----------------------------------------------------------------------------- temporary run folders

const PARTIAL_PREFIX = ".partial-";
const OWNER_FILE = "owner.json";
/** An interrupted run's checkpoint is kept this long after its process ended, for the user to take. */
export const STALE_CHECKPOINT_HOURS = 24;
/** A temporary folder whose process cannot be checked (no owner file, another host) is removed after this. */
export const STALE_UNKNOWN_DAYS = 7;

interface Owner {
  readonly pid: number;
  readonly host: string;
}

async function readOwner(dir: string): Promise<Owner | null> {
  try {
    const owner = JSON.parse(await readFile(join(dir, OWNER_FILE), "utf8")) as Partial<Owner>;
    return Number.isInteger(owner.pid) && typeof owner.host === "string" ? (owner as Owner) : null;
  } catch {
    return null;
  }
}

/**
 * Remove the temporary run folders (`.partial-<id>`) no process will finish: those of an ended
 * process of this host at once, or, when they hold a checkpoint, `STALE_CHECKPOINT_HOURS` after;
 * those whose process cannot be checked after `STALE_UNKNOWN_DAYS`. Returns the folders of ended
 * processes kept for their checkpoint. A folder that cannot be removed is left for the next time.
 */
export async function removeStalePartials(runsDir: string, now = Date.now()): Promise<{ name: string; dir: string }[]> {
  let names: string[];
  try {
    names = (await readdir(runsDir)).filter((n) => n.startsWith(PARTIAL_PREFIX));
  } catch {
    return [];
  }
  const kept: { name: string; dir: string }[] = [];
  for (const name of names) {
    const dir = join(runsDir, name);
    let age: number;
    try {
      const s = await stat(dir);
      if (!s.isDirectory()) continue;
      age = now - s.mtimeMs;
    } catch {
      continue;
    }
    const owner = await readOwner(dir);
    let stale: boolean;
    if (owner && owner.host === hostname()) {
      if (processRunning(owner.pid)) continue;
      const hasCheckpoint = existsSync(join(dir, "checkpoint"));
      stale = !hasCheckpoint || age > STALE_CHECKPOINT_HOURS * 3600_000;
      if (!stale) kept.push({ name, dir });
    } else {
      stale = age > STALE_UNKNOWN_DAYS * 86400_000;
    }
    if (stale) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  return kept;
}

/** Run `write`; a file-system error becomes a `RunError` naming `path` and what failed, in words. */
async function writing<T>(path: string, what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof ClaveError || typeof (error as NodeJS.ErrnoException).syscall !== "string") throw error;
    throw new RunError(path, `cannot ${what}: ${fsReason(error)}`);
  }
}

/**
 * Train a model plugin on in-memory splits, evaluate it on the test part (segments, and tracks by
 * averaging their segments' probabilities), and record everything in `runs/<id>/`.
 */
export async function trainRun(options: TrainRunOptions): Promise<RunResult> {
  const started = new Date();
  const plugin = options.model;
  const labels = [...options.labels];
  const nClasses = labels.length;
  if (nClasses < 2) throw new ParamError(plugin.name, "labels", `need at least 2 classes, got ${nClasses} (${labels.join(", ")})`);
  checkSet("train", options.train, nClasses);
  checkSet("test", options.test, nClasses);
  if (options.validation) checkSet("validation", options.validation, nClasses);
  if (options.train.x.shape[0] === 0) throw new ParamError(plugin.name, "train", "the training set is empty");
  if (options.test.x.shape[0] === 0) throw new ParamError(plugin.name, "test", "the test set is empty");
  const seed = options.seed ?? 0;
  const inputShape = options.train.x.shape.slice(1);

  let params: Record<string, unknown>;
  let model: unknown;
  let transfer: RunConfig["transfer"];
  if (options.from) {
    const source = await readRun(options.from);
    if (source.config.model !== plugin.name) {
      throw new ParamError(plugin.name, "from", `run ${source.summary.id} holds a ${source.config.model} model, not ${plugin.name}`);
    }
    if (!plugin.transfer) throw new ParamError(plugin.name, "from", `${plugin.name} does not support transfer learning`);
    const loaded = await plugin.load(join(source.dir, "model"));
    // The source's architecture, with the training settings given now.
    params = resolveParams(plugin, { ...source.config.params, ...(options.params ?? {}) }) as Record<string, unknown>;
    const transferred = await plugin.transfer(loaded, { nClasses, seed }, { freeze: options.freeze ?? true });
    model = typeof transferred === "object" && transferred !== null && "params" in transferred ? { ...transferred, params } : transferred;
    transfer = { from: source.summary.id, freeze: options.freeze ?? true };
  } else {
    params = resolveParams(plugin, options.params ?? {}) as Record<string, unknown>;
    model = await plugin.build({ inputShape, nClasses, seed }, params);
  }

  const runsDir = resolve(options.runsDir ?? "runs");
  const id = runId(started, plugin.name, { params, features: options.features, dataset: options.dataset?.sha256 });
  const partial = join(runsDir, `${PARTIAL_PREFIX}${id}`);
  const final = join(runsDir, id);
  await removeStalePartials(runsDir);
  await writing(partial, "create the run's folder", async () => {
    await mkdir(partial, { recursive: true });
    await writeFileAtomic(join(partial, OWNER_FILE), `${JSON.stringify({ pid: process.pid, host: hostname(), started: started.toISOString() })}\n`);
  });
  try {
    const history = await writing(join(partial, "checkpoint"), "write the checkpoint", () => plugin.fit(model, options.train, {
      seed,
      ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
      ...(options.validation && options.validation.x.shape[0] > 0 ? { validation: options.validation } : {}),
      ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
      checkpointDir: join(partial, "checkpoint"),
      progress: options.progress ?? true,
    }));
    const probs = await plugin.predict(model, options.test.x);
    const evaluation = evaluateProbabilities(probs, options.test.y, labels, options.test.tracks);
    await writing(join(partial, "model"), "save the model", () => plugin.save(model, join(partial, "model")));
    await rm(join(partial, "checkpoint"), { recursive: true, force: true });

    const backend: BackendInfo = await backendInfo();
    const finished = new Date();
    const config: RunConfig = {
      model: plugin.name,
      params,
      features: options.features ?? null,
      labels,
      input_shape: [...inputShape],
      seed,
      ...(transfer ? { transfer } : {}),
      ...(options.table ? { table: options.table } : {}),
    };
    const epochs = history.loss?.length ?? 0;
    const summary: RunSummary = {
      id,
      created: started.toISOString(),
      finished: finished.toISOString(),
      duration_s: (finished.getTime() - started.getTime()) / 1000,
      model: plugin.name,
      features: options.features?.name ?? (options.table ? tableName(options.table) : null),
      dataset_sha256: options.dataset?.sha256 ?? null,
      backend: backend.choice,
      epochs,
      examples: { train: options.train.x.shape[0], validation: options.validation?.x.shape[0] ?? 0, test: options.test.x.shape[0] },
      segment: headline(evaluation.segment),
      track: evaluation.track ? headline(evaluation.track) : null,
    };
    const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
    const files: [string, string][] = [
      ["config.json", json(config)],
      ["dataset.json", json(options.dataset ?? null)],
      ["backend.json", json(backend)],
      ["history.json", json(history)],
      ["metrics.json", json(evaluation)],
      ["confusion.csv", confusionCsv(evaluation)],
      ["run.json", json(summary)],
    ];
    for (const [name, text] of files) await writing(join(partial, name), "write it", () => writeFileAtomic(join(partial, name), text));
    await writing(join(partial, OWNER_FILE), "remove it", () => rm(join(partial, OWNER_FILE), { force: true }));
    await writing(final, `move the finished run from ${partial} to it`, () => rename(partial, final));
    return { id, dir: final, summary, evaluation, history };
  } catch (error) {
    // Keep the checkpoint of an interrupted training; drop a folder with nothing worth keeping.
    if (!existsSync(join(partial, "checkpoint"))) await rm(partial, { recursive: true, force: true });
    throw error;
  }
}
