/**
 * Feature extraction over a whole dataset (a manifest), in parallel worker threads: each worker holds
 * one clip at a time (decode, extract, store in the cache, forget), so memory stays one clip per worker
 * however large the dataset. Features land in the feature cache keyed by the audio's content hash, so
 * an interrupted run resumes where it stopped (clips whose features are all stored are not decoded
 * again) and a changed param recomputes only that feature. A clip that fails (unreadable audio, NaN
 * samples) is reported and the others go on.
 *
 * Workers are `node:worker_threads` started from an inline bootstrap that imports clave's library entry
 * (the sources under Bun and Deno, `dist/` under Node), so they run wherever the main thread runs.
 */
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { FeatureRequest } from "./extract.ts";
import type { AggregateOptions } from "./aggregate.ts";

/** A feature as workers receive it: by plugin name (workers resolve it in their own registry). */
export interface FeatureJobSpec {
  readonly plugin: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly as: string;
}

/** One clip to extract. */
export interface ClipJob {
  readonly id: string;
  /** Absolute path of the audio file. */
  readonly path: string;
  /** sha256 of the file (the manifest's `hash`), or empty to compute it. */
  readonly hash: string;
}

export interface ClipOutcome {
  readonly id: string;
  readonly path: string;
  readonly hash: string;
  /** Features read back from the cache / computed. */
  readonly cached: number;
  readonly computed: number;
  /** Aggregate rows (when asked for). */
  readonly aggregates?: Record<string, number>[];
  readonly samples: number;
}

export interface ClipFailure {
  readonly id: string;
  readonly path: string;
  readonly reason: string;
}

export interface DatasetExtractOptions {
  readonly features: readonly FeatureJobSpec[];
  readonly cacheDir: string;
  /** Sampling rate to decode at (default 22050). */
  readonly sr?: number;
  /** Worker threads (default: every core). */
  readonly workers?: number;
  /** Plugin modules (files) workers import besides the built-ins, for features not built in. */
  readonly pluginFiles?: readonly string[];
  /** Also compute per-clip aggregates (GTZAN-style statistics) in the workers. */
  readonly aggregate?: AggregateOptions | null;
  /** Called after each clip, done or failed. */
  readonly onClip?: (done: number, total: number, outcome: ClipOutcome | ClipFailure) => void;
  /** Modules the workers import (default: `workerModuleUrls()`). */
  readonly moduleUrls?: { entryUrl: string; builtinsUrl: string };
}

export interface DatasetExtractResult {
  readonly outcomes: ClipOutcome[];
  readonly failures: ClipFailure[];
  readonly workers: number;
}

/** What a worker needs to start. */
export interface FeatureWorkerData {
  /** Module exporting `runFeatureWorker`. */
  readonly entryUrl: string;
  /** Module exporting the built-in feature plugins (`builtinPlugins`, or `stackableBuiltins` + default). */
  readonly builtinsUrl: string;
  readonly features: readonly FeatureJobSpec[];
  readonly cacheDir: string;
  readonly sr: number;
  readonly pluginFiles: readonly string[];
  readonly aggregate: AggregateOptions | null;
}

/**
 * The modules workers import: from the sources (Bun, Deno), the worker module and the feature plugins
 * alone; from the Node bundles, the library entry, which exports both.
 */
export function workerModuleUrls(): { entryUrl: string; builtinsUrl: string } {
  const here = import.meta.url;
  if (here.endsWith(".ts")) {
    return { entryUrl: new URL("./worker.ts", here).href, builtinsUrl: new URL("../../plugins/features/stack.ts", here).href };
  }
  const entry = here.endsWith(".cjs") ? here : new URL("./index.js", here).href; // index.js sits next to cli.js
  return { entryUrl: entry, builtinsUrl: entry };
}

const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
import(workerData.entryUrl).then((m) => m.runFeatureWorker()).catch((e) => {
  require("node:worker_threads").parentPort.postMessage({ type: "fatal", reason: String(e && e.stack || e) });
});
`;

/** Extract `features` for every job, `workers` clips at a time. Failures are collected, not thrown. */
export function extractDataset(jobs: readonly ClipJob[], options: DatasetExtractOptions): Promise<DatasetExtractResult> {
  const total = jobs.length;
  const nWorkers = Math.max(1, Math.min(options.workers ?? availableParallelism(), total || 1));
  const data: FeatureWorkerData = {
    ...(options.moduleUrls ?? workerModuleUrls()),
    features: options.features,
    cacheDir: options.cacheDir,
    sr: options.sr ?? 22050,
    pluginFiles: (options.pluginFiles ?? []).map((f) => (f.startsWith("file:") ? f : pathToFileURL(f).href)),
    aggregate: options.aggregate ?? null,
  };
  const outcomes: ClipOutcome[] = [];
  const failures: ClipFailure[] = [];
  return new Promise((resolve, reject) => {
    if (total === 0) {
      resolve({ outcomes, failures, workers: 0 });
      return;
    }
    let next = 0;
    let done = 0;
    let live = 0;
    let fatal: Error | null = null;
    const finish = () => {
      if (live > 0) return;
      if (fatal) reject(fatal);
      else resolve({ outcomes, failures, workers: nWorkers });
    };
    const start = () => {
      const worker = new Worker(BOOTSTRAP, { eval: true, workerData: data });
      live++;
      let current: ClipJob | undefined;
      const feed = () => {
        if (fatal || next >= total) {
          current = undefined;
          void worker.terminate();
          return;
        }
        current = jobs[next++];
        worker.postMessage({ type: "job", job: current });
      };
      worker.on("message", (msg: { type: string; outcome?: ClipOutcome; reason?: string }) => {
        if (msg.type === "ready") return feed();
        if (msg.type === "fatal") {
          fatal ??= new Error(`feature worker could not start: ${msg.reason}`);
          void worker.terminate();
          return;
        }
        done++;
        if (msg.type === "done" && msg.outcome) {
          outcomes.push(msg.outcome);
          options.onClip?.(done, total, msg.outcome);
        } else if (current) {
          const failure = { id: current.id, path: current.path, reason: msg.reason ?? "unknown error" };
          failures.push(failure);
          options.onClip?.(done, total, failure);
        }
        feed();
      });
      worker.on("error", (error) => {
        // The worker died: count its clip as failed, start another worker for the rest.
        if (current) {
          done++;
          const failure = { id: current.id, path: current.path, reason: `worker crashed: ${error.message}` };
          failures.push(failure);
          options.onClip?.(done, total, failure);
          current = undefined;
        }
      });
      worker.on("exit", () => {
        live--;
        if (!fatal && next < total) start();
        else finish();
      });
    };
    for (let i = 0; i < nWorkers; i++) start();
  });
}

export type { FeatureRequest };
