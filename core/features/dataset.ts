/**
 * Feature extraction over a whole dataset (a manifest), in parallel worker threads: each worker holds
 * one clip at a time (decode, extract, store in the cache, forget), so memory stays one clip per worker
 * however large the dataset. Features land in the feature cache keyed by the audio's content hash, so
 * an interrupted run resumes where it stopped (clips whose features are all stored are not decoded
 * again) and a changed param recomputes only that feature. A clip that fails (unreadable audio, NaN
 * samples) is reported and the others go on; so is a clip that takes longer than the per-clip time
 * limit (a plugin stuck in a loop, a decoder that never returns): its worker is stopped and another
 * takes over the rest.
 *
 * Workers are `node:worker_threads` started from an inline bootstrap that imports clave's library entry
 * (the sources under Bun and Deno, `dist/` under Node), so they run wherever the main thread runs.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ClaveError } from "../errors.ts";
import type { FeatureRequest } from "./extract.ts";
import type { AggregateOptions } from "./aggregate.ts";
import type { FeatureSpec, SegmentInfo } from "../run/features.ts";

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
  /**
   * sha256 the manifest records for the file, or empty. The file's bytes are hashed anyway (the cache is
   * keyed by what is there now); a recorded hash that differs makes the clip fail.
   */
  readonly hash: string;
  /**
   * Instead of the pool's features: the clip's model examples for this spec (core/run/features.ts
   * `trackExamples`: decoded at `spec.sr`, segmented, each segment's feature through the cache). The
   * file is not hashed (segments are cached by the hash of their samples).
   */
  readonly examples?: FeatureSpec;
}

/** A clip's examples (`ClipJob.examples`): `[segments, ...exampleShape]` row-major, and where each segment is. */
export interface ClipExamples {
  readonly data: Float32Array;
  readonly shape: number[];
  readonly segments: SegmentInfo[];
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
  /** The clip's examples, when the job asked for them. */
  readonly examples?: ClipExamples;
}

export interface ClipFailure {
  readonly id: string;
  readonly path: string;
  readonly reason: string;
}

export interface DatasetExtractOptions {
  readonly features: readonly FeatureJobSpec[];
  /** The feature cache (null: none, for jobs that ask for examples only). */
  readonly cacheDir: string | null;
  /** Sampling rate to decode at (default 22050). */
  readonly sr?: number;
  /** Worker threads (default: every core). */
  readonly workers?: number;
  /** Plugin modules (file paths) workers import besides the built-ins, for features not built in. */
  readonly pluginFiles?: readonly string[];
  /** Longest a clip may take, in seconds, before its worker is stopped and the clip fails (default 600). */
  readonly clipTimeout?: number;
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
  readonly cacheDir: string | null;
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
  require("node:worker_threads").parentPort.postMessage({ type: "fatal", reason: String(e && e.message || e), stack: String(e && e.stack || e) });
});
`;

/** Default per-clip time limit: a 30 s clip takes about a second; an hour-long file a few minutes. */
export const DEFAULT_CLIP_TIMEOUT_S = 600;

/** Extract `features` for every job, `workers` clips at a time. Failures are collected, not thrown. */
export function extractDataset(jobs: readonly ClipJob[], options: DatasetExtractOptions): Promise<DatasetExtractResult> {
  const total = jobs.length;
  const timeoutS = options.clipTimeout ?? DEFAULT_CLIP_TIMEOUT_S;
  if (!(timeoutS > 0) || !Number.isFinite(timeoutS)) throw new RangeError(`extractDataset: clipTimeout must be a positive number of seconds, got ${timeoutS}`);
  const nWorkers = Math.max(1, Math.min(options.workers ?? availableParallelism(), total || 1));
  const data: FeatureWorkerData = {
    ...(options.moduleUrls ?? workerModuleUrls()),
    features: options.features,
    cacheDir: options.cacheDir,
    sr: options.sr ?? 22050,
    // Paths, not URLs: the worker imports them with importPlugins, as the main thread does.
    pluginFiles: [...(options.pluginFiles ?? [])],
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
    const fail = (job: ClipJob, reason: string) => {
      done++;
      const failure = { id: job.id, path: job.path, reason };
      failures.push(failure);
      options.onClip?.(done, total, failure);
    };
    const start = () => {
      const worker = new Worker(BOOTSTRAP, { eval: true, workerData: data });
      live++;
      let current: ClipJob | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let stopped = false;
      const feed = () => {
        if (fatal || next >= total) {
          current = undefined;
          void worker.terminate();
          return;
        }
        current = jobs[next++];
        const job = current;
        // A clip that never finishes must not hold the batch: stop this worker, the exit handler starts another.
        timer = setTimeout(() => {
          if (current !== job || stopped) return;
          stopped = true;
          current = undefined;
          fail(job, `took longer than ${timeoutS} s (the per-clip time limit, --clip-timeout): stopped`);
          void worker.terminate();
        }, Math.min(timeoutS * 1000, 2 ** 31 - 1));
        worker.postMessage({ type: "job", job });
      };
      worker.on("message", (msg: { type: string; outcome?: ClipOutcome; reason?: string; stack?: string }) => {
        if (stopped) return;
        if (msg.type === "ready") return feed();
        if (msg.type === "fatal") {
          fatal ??= new ClaveError(`feature worker could not start: ${msg.reason}`, { cause: msg.stack });
          void worker.terminate();
          return;
        }
        clearTimeout(timer);
        if (msg.type === "done" && msg.outcome) {
          done++;
          outcomes.push(msg.outcome);
          options.onClip?.(done, total, msg.outcome);
        } else if (current) {
          fail(current, msg.reason ?? "unknown error");
        }
        feed();
      });
      worker.on("error", (error) => {
        // The worker died: count its clip as failed, start another worker for the rest.
        clearTimeout(timer);
        if (current && !stopped) {
          fail(current, `worker crashed: ${error.message}`);
          current = undefined;
        }
      });
      worker.on("exit", () => {
        clearTimeout(timer);
        live--;
        if (!fatal && next < total) start();
        else finish();
      });
    };
    for (let i = 0; i < nWorkers; i++) start();
  });
}

export type { FeatureRequest };
