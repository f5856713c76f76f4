/**
 * Sweeps: a W&B sweep file (spec.ts) run as trials, each a recorded run (trial.ts), proposed by grid,
 * random search or TPE (tpe.ts), in this process or in parallel worker processes, resumable.
 *
 * The sweep's folder (`--runs`) holds the trials' runs and:
 *
 *     sweep.json    the spec, the seed, and every trial: number, its parameters, status
 *                   (pending/running/done/failed), run id, metric value, all metrics, error, times;
 *                   rewritten atomically (temp file, then rename) after every change
 *     summary.csv   the finished trials ranked by the metric (best first)
 *     .trials/      the job and result files of worker processes
 *
 * Resuming: running the same sweep file on the same folder goes on where it stopped — trials that
 * were running when the process ended run again with the same parameters, finished ones are kept.
 * A folder holding another sweep (another spec or seed), or one another live process is running, is
 * refused. Trial k's random draws come from a generator seeded by (seed, k), so a resumed or
 * re-run sweep proposes what it proposed before, given the same finished trials.
 *
 * Parallel trials run in worker processes: the runtime running clave (node, bun, deno) started on an
 * inline module that imports clave's library entry and runs `runSweepWorker` on a job file. Each
 * trial has a time limit (`trialTimeout`, default a day), after which its process is stopped.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, extname, join, resolve } from "node:path";
import * as aq from "arquero";
import { createRegistry } from "../config.ts";
import { formatCsv } from "../dataset/csv.ts";
import { builtinPluginList, registryOrDefault } from "../defaults.ts";
import { ClaveError, ConfigError, fsReason, UsageError } from "../errors.ts";
import { processRunning, writeFileAtomic } from "../fsutil.ts";
import { mulberry32 } from "../random.ts";
import type { Registry } from "../registry.ts";
import { warnToStderr, type WarningSink } from "../text.ts";
import { fromTpeValue, gridPoint, gridSize, parseSweepText, sampleParameter, toTpeValue, tpeDistribution, type ParamValue, type SweepSpec } from "./spec.ts";
import { tpeSuggest, type Distribution, type Observation } from "./tpe.ts";
import { runTrial, type TrialOutcome } from "./trial.ts";

export const SWEEP_FILE = "sweep.json";
const JOBS = ".trials";
/** Trials of a random or bayes sweep without run_cap. */
export const DEFAULT_RUN_CAP = 20;
/** Default time limit of a trial, in seconds. */
export const DEFAULT_TRIAL_TIMEOUT_S = 24 * 3600;

export type TrialStatus = "pending" | "running" | "done" | "failed";

export interface Trial {
  readonly number: number;
  /** The searched parameters' values. */
  readonly params: Readonly<Record<string, ParamValue>>;
  status: TrialStatus;
  run?: string;
  value?: number;
  metrics?: Readonly<Record<string, number>>;
  error?: string;
  started?: string;
  finished?: string;
  duration_s?: number;
}

export interface SweepState {
  readonly version: 1;
  readonly spec: SweepSpec;
  readonly seed: number;
  owner: { pid: number; host: string } | null;
  readonly trials: Trial[];
}

export interface SweepOptions {
  /** The sweep: a file's path (YAML or JSON, W&B's format) or a parsed spec. */
  readonly sweep: string | SweepSpec;
  /** The sweep's folder (default `runs/sweep-<file name>`; required for a spec given in memory). */
  readonly runs?: string;
  /** Trials at a time, each in its own worker process (default 1: in this process). */
  readonly parallel?: number;
  /** Seed of the proposals (default 0). */
  readonly seed?: number;
  /** Most trials (default the spec's run_cap; a grid's size; else 20). */
  readonly runCap?: number;
  /** Seconds a trial may take (default a day). */
  readonly trialTimeout?: number;
  readonly registry?: Registry;
  readonly onWarning?: WarningSink;
  /** Called when a trial starts and when it ends. */
  readonly onTrial?: (trial: Trial, event: "start" | "end") => void;
}

export interface SweepResult {
  readonly dir: string;
  readonly spec: SweepSpec;
  readonly trials: readonly Trial[];
  /** The best finished trial by the metric's goal. */
  readonly best: Trial | null;
  /** Finished trials ranked by the metric (best first): rank, trial, value, parameters, run, time. */
  readonly table: aq.ColumnTable;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The folder a sweep file's trials go in by default: `runs/sweep-<file name without extension>`. */
export function defaultSweepDir(file: string): string {
  const stem = basename(file, extname(file));
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/.test(stem)) throw new UsageError(`${file}: give the sweep's folder with --runs (its file name is not a plain folder name)`);
  return join("runs", `sweep-${stem}`);
}

async function readState(file: string): Promise<SweepState | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ConfigError(file, `cannot read: ${fsReason(error)}`);
  }
  try {
    const state = JSON.parse(text) as SweepState;
    if (state.version !== 1 || !Array.isArray(state.trials) || typeof state.spec !== "object") throw new Error("not a sweep state (version 1)");
    return state;
  } catch (error) {
    throw new ConfigError(file, `not a sweep state: ${(error as Error).message}`);
  }
}

/** A generator for trial `number`'s draws: the same for the same seed and number. */
function trialRandom(seed: number, number: number): () => number {
  return mulberry32((Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(number + 1, 0x85ebca6b)) >>> 0);
}

/** The number of trials a sweep runs. */
export function trialBudget(spec: SweepSpec, runCap?: number): number {
  const cap = runCap ?? spec.run_cap;
  if (spec.method === "grid") return Math.min(gridSize(spec), cap ?? Infinity);
  return cap ?? DEFAULT_RUN_CAP;
}

/** The searched parameters' values of trial `number`, given the trials so far. */
export function propose(spec: SweepSpec, seed: number, number: number, trials: readonly Trial[]): Record<string, ParamValue> {
  const searched = Object.entries(spec.parameters).filter(([, p]) => p.distribution !== "constant");
  if (spec.method === "grid") {
    const point = gridPoint(spec, number);
    return Object.fromEntries(searched.map(([name]) => [name, point[name]]));
  }
  const random = trialRandom(seed, number);
  if (spec.method === "random") return Object.fromEntries(searched.map(([name, p]) => [name, sampleParameter(p, random)]));
  const space: Record<string, Distribution> = {};
  for (const [name, p] of searched) space[name] = tpeDistribution(p, name)!;
  const sign = spec.metric.goal === "maximize" ? -1 : 1;
  const observations: Observation[] = trials
    .filter((t) => t.status === "done" && typeof t.value === "number" && Number.isFinite(t.value))
    .sort((a, b) => a.number - b.number)
    .map((t) => {
      const params: Record<string, number> = {};
      for (const [name, p] of searched) {
        const v = t.params[name] === undefined ? null : toTpeValue(p, t.params[name]);
        if (v !== null) params[name] = v;
      }
      return { params, loss: sign * t.value! };
    });
  const suggested = tpeSuggest(space, observations, random);
  return Object.fromEntries(searched.map(([name, p]) => [name, fromTpeValue(p, suggested[name])]));
}

/** A trial's whole configuration: the fixed values and its searched ones. */
export function trialConfig(spec: SweepSpec, trial: Pick<Trial, "params">): Record<string, ParamValue> {
  const config: Record<string, ParamValue> = {};
  for (const [name, p] of Object.entries(spec.parameters)) config[name] = p.distribution === "constant" ? p.value : trial.params[name];
  return config;
}

/** Finished trials ranked by the metric, best first. */
export function rankTrials(spec: SweepSpec, trials: readonly Trial[]): Trial[] {
  const sign = spec.metric.goal === "maximize" ? -1 : 1;
  return trials.filter((t) => t.status === "done" && typeof t.value === "number").sort((a, b) => sign * (a.value! - b.value!) || a.number - b.number);
}

/** The ranked table of a sweep's finished trials. */
export function sweepTable(spec: SweepSpec, trials: readonly Trial[]): aq.ColumnTable {
  const ranked = rankTrials(spec, trials);
  const searched = Object.keys(spec.parameters).filter((n) => spec.parameters[n].distribution !== "constant");
  const cell = (v: ParamValue | undefined) => (v === undefined ? null : typeof v === "object" && v !== null ? JSON.stringify(v) : v);
  return aq.table({
    rank: ranked.map((_, i) => i + 1),
    trial: ranked.map((t) => t.number),
    [spec.metric.name]: ranked.map((t) => t.value!),
    ...Object.fromEntries(searched.map((n) => [n, ranked.map((t) => cell(t.params[n]))])),
    time_s: ranked.map((t) => t.duration_s ?? null),
    run: ranked.map((t) => t.run ?? null),
  });
}

// ------------------------------------------------------------------------------------- worker processes

interface WorkerJob {
  readonly config: Record<string, ParamValue>;
  readonly runs: string;
  readonly metric: SweepSpec["metric"];
  /** Plugin files or packages beyond the built-ins (the parent's registry's). */
  readonly plugins: readonly string[];
  readonly result: string;
}

type WorkerResult = { ok: true; outcome: TrialOutcome } | { ok: false; error: string };

/** The library entry a worker imports: the sources under Bun and Deno, the bundle beside this one under Node. */
function entryUrl(): string {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return new URL("../../index.ts", here).href;
  return here.endsWith(".cjs") ? here : new URL("./index.js", here).href;
}

/** How to start a worker with the runtime running clave. */
function workerCommand(): { command: string; args: string[] } {
  const code = `import(${JSON.stringify(entryUrl())}).then((m) => m.runSweepWorker()).then((code) => process.exit(code), (e) => { process.stderr.write(String((e && e.stack) || e) + "\\n"); process.exit(70); });`;
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun) return { command: process.execPath, args: ["-e", code] };
  if (versions.deno) return { command: process.execPath, args: ["eval", code] };
  return { command: process.execPath, args: ["--input-type=module", "-e", code] };
}

/**
 * The worker's side: run the trial of the job file named by `CLAVE_SWEEP_JOB`, write its outcome (or
 * error) beside it. Resolves to the process's exit code.
 */
export async function runSweepWorker(): Promise<number> {
  const jobFile = process.env.CLAVE_SWEEP_JOB;
  if (!jobFile) {
    process.stderr.write("clave sweep worker: CLAVE_SWEEP_JOB is not set\n");
    return 64;
  }
  const job = JSON.parse(await readFile(jobFile, "utf8")) as WorkerJob;
  let result: WorkerResult;
  try {
    const registry = job.plugins.length > 0 ? await createRegistry({ builtins: builtinPluginList(), plugins: job.plugins, config: false }) : await registryOrDefault();
    result = { ok: true, outcome: await runTrial(job.config, { runs: job.runs, metric: job.metric, registry }) };
  } catch (error) {
    result = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  await writeFileAtomic(job.result, JSON.stringify(result));
  return 0;
}

/** Run one trial in a worker process, within `timeoutS`. */
async function runInWorker(dir: string, number: number, job: Omit<WorkerJob, "result">, timeoutS: number): Promise<TrialOutcome> {
  const jobs = join(dir, JOBS);
  await mkdir(jobs, { recursive: true });
  const jobFile = join(jobs, `trial-${number}.json`);
  const resultFile = join(jobs, `trial-${number}.result.json`);
  await rm(resultFile, { force: true });
  await writeFileAtomic(jobFile, JSON.stringify({ ...job, result: resultFile }));
  const { command, args } = workerCommand();
  const stderr: string[] = [];
  const code = await new Promise<number | string>((done) => {
    const child = spawn(command, args, { env: { ...process.env, CLAVE_SWEEP_JOB: jobFile, CLAVE_PROGRESS: "0" }, stdio: ["ignore", "ignore", "pipe"] });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.join("").length < 20_000) stderr.push(chunk.toString("utf8"));
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    }, Math.min(timeoutS * 1000, 2 ** 31 - 1));
    child.on("error", (error) => {
      clearTimeout(timer);
      done(`could not start ${command}: ${error.message}`);
    });
    child.on("exit", (status, signal) => {
      clearTimeout(timer);
      done(timedOut ? `took longer than ${timeoutS} s (the trial time limit): stopped` : (status ?? `killed by ${signal}`));
    });
  });
  if (typeof code === "string") throw new ClaveError(code);
  if (!existsSync(resultFile)) throw new ClaveError(`the worker process ended (exit ${code}) without a result${stderr.length > 0 ? `: ${stderr.join("").trim().split("\n").slice(-3).join(" / ")}` : ""}`);
  const result = JSON.parse(await readFile(resultFile, "utf8")) as WorkerResult;
  await rm(jobFile, { force: true });
  await rm(resultFile, { force: true });
  if (!result.ok) throw new ClaveError(result.error);
  return result.outcome;
}

// ------------------------------------------------------------------------------------------- the sweep

/**
 * Run a sweep to its end (or resume it): trials proposed by its method, each a recorded run in the
 * sweep's folder, `parallel` at a time; the finished trials ranked by the metric.
 * @example const s = await sweep({ sweep: "sweep.yaml", parallel: 2 }); s.table
 */
export async function sweep(options: SweepOptions): Promise<SweepResult> {
  const onWarning = options.onWarning ?? warnToStderr;
  const registry = await registryOrDefault(options.registry);
  let spec: SweepSpec;
  let dir: string;
  if (typeof options.sweep === "string") {
    const file = resolve(options.sweep);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new ConfigError(file, `cannot read: ${fsReason(error)}`);
    }
    spec = parseSweepText(text, file, onWarning);
    dir = resolve(options.runs ?? defaultSweepDir(file));
  } else {
    spec = options.sweep;
    if (!options.runs) throw new UsageError("a sweep given in memory needs its folder (runs)");
    dir = resolve(options.runs);
  }
  const seed = options.seed ?? 0;
  const parallel = options.parallel ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) throw new UsageError(`parallel ${parallel}: expected a positive integer`);
  const timeoutS = options.trialTimeout ?? DEFAULT_TRIAL_TIMEOUT_S;
  if (!(timeoutS > 0)) throw new UsageError(`trial timeout ${timeoutS}: expected a positive number of seconds`);
  const budget = trialBudget(spec, options.runCap);
  // An unknown model is refused before any trial.
  const model = spec.parameters.model;
  const models = model === undefined ? [] : model.distribution === "constant" ? [model.value] : model.distribution === "categorical" ? model.values : [];
  for (const m of models) if (typeof m === "string") registry.model(m);

  await mkdir(dir, { recursive: true });
  const stateFile = join(dir, SWEEP_FILE);
  const previous = await readState(stateFile);
  let state: SweepState;
  if (previous) {
    if (!sameJson(previous.spec, spec) || previous.seed !== seed) {
      throw new ConfigError(stateFile, "this folder holds another sweep (its spec or seed differs): give another folder with --runs, or remove it");
    }
    const owner = previous.owner;
    if (owner && owner.host === hostname() && owner.pid !== process.pid && processRunning(owner.pid)) {
      throw new ConfigError(stateFile, `process ${owner.pid} is running this sweep; wait for it, or stop it first`);
    }
    state = previous;
    for (const t of state.trials) if (t.status === "running") t.status = "pending";
    const resumed = state.trials.filter((t) => t.status === "pending").length;
    const done = state.trials.filter((t) => t.status === "done" || t.status === "failed").length;
    if (done + resumed > 0 && done < budget) onWarning(`resuming the sweep in ${dir}: ${done} trials finished${resumed > 0 ? `, ${resumed} interrupted to run again` : ""}`);
  } else {
    state = { version: 1, spec, seed, owner: null, trials: [] };
  }
  state.owner = { pid: process.pid, host: hostname() };
  // Writes are serialised: a later state never lands before an earlier one.
  let writing = Promise.resolve();
  const save = () => {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    writing = writing.then(() => writeFileAtomic(stateFile, text));
    return writing;
  };
  await save();

  const plugins = [...new Set(registry.list().filter((e) => e.origin !== "builtin").map((e) => e.origin))];
  const execute = async (trial: Trial): Promise<void> => {
    trial.status = "running";
    trial.started = new Date().toISOString();
    delete trial.error;
    await save();
    options.onTrial?.(trial, "start");
    const config = trialConfig(spec, trial);
    try {
      const outcome =
        parallel > 1
          ? await runInWorker(dir, trial.number, { config, runs: dir, metric: spec.metric, plugins }, timeoutS)
          : await runTrial(config, { runs: dir, metric: spec.metric, registry, onWarning });
      trial.status = "done";
      trial.run = outcome.run;
      trial.value = outcome.value;
      trial.metrics = outcome.metrics;
      trial.duration_s = outcome.duration_s;
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      trial.status = "failed";
      trial.error = error.message;
    }
    trial.finished = new Date().toISOString();
    await save();
    options.onTrial?.(trial, "end");
  };

  const next = (): Trial | null => {
    const pending = state.trials.find((t) => t.status === "pending");
    if (pending) return pending;
    if (state.trials.length >= budget) return null;
    const number = state.trials.length;
    const trial: Trial = { number, params: propose(spec, seed, number, state.trials), status: "pending" };
    state.trials.push(trial);
    return trial;
  };
  const slots = Array.from({ length: parallel }, async () => {
    for (let trial = next(); trial; trial = next()) await execute(trial);
  });
  try {
    await Promise.all(slots);
  } finally {
    state.owner = null;
    await save();
  }
  const table = sweepTable(spec, state.trials);
  const names = table.columnNames();
  await writeFileAtomic(join(dir, "summary.csv"), formatCsv(names, (table.objects() as Record<string, string | number | null>[]).map((o) => names.map((n) => o[n]))));
  await rm(join(dir, JOBS), { recursive: true, force: true });
  return { dir, spec, trials: state.trials, best: rankTrials(spec, state.trials)[0] ?? null, table };
}
