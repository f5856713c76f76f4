/**
 * Genre probabilities of audio files from a recorded run's model: each file loaded and segmented as
 * the run's training data was, a probability per class for each segment, and the file's as the mean
 * of its segments'. Files that cannot be read are reported, and the others go on.
 */
import { resolve } from "node:path";
import { loadAudio } from "../audio/load.ts";
import { registryOrDefault } from "../defaults.ts";
import { AudioDecodeError, RunError } from "../errors.ts";
import { meanByGroup } from "../metrics/probabilities.ts";
import { trackExamples } from "./features.ts";
import { openRun, type OpenRunOptions, type Run } from "./recorded-run.ts";
import { predictRunModel } from "./use.ts";

export interface SegmentPrediction {
  readonly index: number;
  readonly start_s: number;
  readonly end_s: number;
  readonly top: string;
  readonly probabilities: Readonly<Record<string, number>>;
}

export interface FilePrediction {
  readonly file: string;
  /** The most probable label (of the mean over segments). */
  readonly top: string;
  /** Per label, the mean of the segments' probabilities. */
  readonly probabilities: Readonly<Record<string, number>>;
  readonly segments: readonly SegmentPrediction[];
}

export interface Predictions {
  readonly run: string;
  readonly labels: readonly string[];
  readonly files: FilePrediction[];
  /** Files that could not be predicted, with what is wrong (the file is named once, in `file`). */
  readonly failures: { readonly file: string; readonly error: string }[];
}

/** An error's message without the file it is about (the caller names the file once). */
function withoutPath(error: Error, file: string): string {
  if (error instanceof AudioDecodeError) return error.reason;
  for (const prefix of [`${file}: `, `${resolve(file)}: `]) if (error.message.startsWith(prefix)) return error.message.slice(prefix.length);
  return error.message;
}

/**
 * Class probabilities of each file and of each of its segments.
 * @example const p = await predict(run, ["song.mp3"]); p.files[0].top
 */
export async function predict(run: string | Run, files: readonly string[], options: OpenRunOptions = {}): Promise<Predictions> {
  const opened = await openRun(run, options);
  const spec = opened.config.features;
  if (!spec && opened.config.table) throw new RunError(opened.dir, "this run was trained on a feature table, not on audio: predict table rows with predictRunModel");
  if (!spec) throw new RunError(opened.dir, "this run was trained on arrays, not on a dataset's features: predict with predictRunModel");
  const loaded = await opened.model();
  const featurePlugin = (await registryOrDefault(opened.registry)).feature(spec.plugin);
  const labels = opened.config.labels;
  const named = (row: ArrayLike<number>) => Object.fromEntries(labels.map((l, i) => [l, Number(row[i])]));
  const top = (row: ArrayLike<number>) => {
    let best = 0;
    for (let i = 1; i < labels.length; i++) if (row[i] > row[best]) best = i;
    return labels[best];
  };
  const results: FilePrediction[] = [];
  const failures: { file: string; error: string }[] = [];
  try {
    for (const file of files) {
      try {
        const signal = await loadAudio(file, { sr: spec.sr });
        const examples = await trackExamples(signal, file, spec, featurePlugin, { source: file });
        const probs = await predictRunModel(loaded, examples.x);
        const k = labels.length;
        const n = examples.x.shape[0];
        const mean = meanByGroup(probs, new Int32Array(n), new Array<string>(n).fill(file)).probs.data;
        results.push({
          file,
          top: top(mean),
          probabilities: named(mean),
          segments: examples.segments.map((s, i) => {
            const row = probs.data.subarray(i * k, (i + 1) * k);
            return { ...s, top: top(row), probabilities: named(row) };
          }),
        });
      } catch (error) {
        if (!(error instanceof Error)) throw error;
        failures.push({ file, error: withoutPath(error, file) });
      }
    }
  } finally {
    // A run opened here is this call's alone: free its network, or each call would leave a model's weights behind.
    if (typeof run === "string") {
      const network = (loaded.model as { network?: { dispose?: () => unknown } } | null)?.network;
      if (network && typeof network.dispose === "function") network.dispose();
    }
  }
  return { run: opened.id, labels, files: results, failures };
}
