/**
 * Figures from clave's own objects in one call: a run's confusion matrix, training curves and
 * per-class scores, a dataset's balance, an audio file's spectrogram or waveform, a feature table's
 * distributions and correlations. Each returns a `Chart` already drawn, so it shows as a figure when
 * it is a notebook cell's value, and saves with `chart.save("figure.png")`. `clave plot` calls these.
 *
 *     const run = await openRun("20250101-120000-lstm-3fa9c1");
 *     await plot.confusion(run, { normalize: true });
 */
import { readFile } from "node:fs/promises";
import * as aq from "arquero";
import { loadAudio } from "./audio/load.ts";
import type { Chart } from "./charts/chart.ts";
import { classBalanceChart, type ClassBalanceOptions } from "./charts/class-balance.ts";
import { classScoresChart, type ClassScoresOptions } from "./charts/class-scores.ts";
import { confusionChart, type ConfusionChartOptions } from "./charts/confusion.ts";
import { correlationChart, type CorrelationOptions } from "./charts/correlation.ts";
import { featureDistributionsChart, type DistributionsOptions } from "./charts/distributions.ts";
import { specshowChart, type SpecshowAxis, type SpecshowOptions } from "./charts/specshow.ts";
import { trainingCurvesChart, type TrainingCurvesOptions } from "./charts/training.ts";
import { waveformChart, type WaveformOptions } from "./charts/waveform.ts";
import { dataset as openDataset, type Dataset } from "./dataset/open.ts";
import { registryOrDefault } from "./defaults.ts";
import { ChartError, ConfigError, fsReason } from "./errors.ts";
import { extractFeatures } from "./features/extract.ts";
import type { Signal } from "./plugin.ts";
import type { Registry } from "./registry.ts";
import { openRun, type Level, type OpenRunOptions, type Run } from "./run/recorded-run.ts";

type RunRef = string | Run;

/** The y axis of each built-in time-frequency feature, and the params that make it a picture. */
const SPECTRA: Readonly<Record<string, { axis: SpecshowAxis; params?: Record<string, unknown>; db?: SpecshowOptions["db"] }>> = {
  melspectrogram: { axis: "mel", params: { db: true, ref: "max" } },
  chroma_stft: { axis: "chroma" },
  tempogram: { axis: "tempo" },
  mfcc: { axis: "mfcc" },
  spectral_contrast: { axis: "linear" },
};

/** Columns of a feature table that are not features. */
const NOT_FEATURES = new Set(["id", "filename", "length", "segment", "split", "fold", "artist", "title", "path", "hash", "source"]);

export interface RunChartOptions extends OpenRunOptions {
  /** `segment` or `track` (default: track when tracks were scored). */
  readonly level?: Level;
}

export interface SpectrogramOptions extends SpecshowOptions {
  /** The feature drawn (default `melspectrogram` in dB): a feature plugin with a frequency-like axis. */
  readonly feature?: string;
  /** The feature's params over the defaults (`{ n_mels: 64 }`). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Rate the audio is loaded at (default 22050). */
  readonly sampleRate?: number;
  /** Seconds to skip, and to load (default: all). */
  readonly offset?: number;
  readonly duration?: number;
  readonly registry?: Registry;
}

export interface TableChartOptions {
  /** The label column (default `label`). */
  readonly label?: string;
  /** Feature columns to use (default: every numeric column but ids, lengths and segments). */
  readonly featureColumns?: readonly string[];
}

async function signalOf(audio: string | Signal, options: { sampleRate?: number; offset?: number; duration?: number }): Promise<Signal> {
  if (typeof audio !== "string") return audio;
  return loadAudio(audio, {
    sr: options.sampleRate ?? 22050,
    ...(options.offset !== undefined ? { offset: options.offset } : {}),
    ...(options.duration !== undefined ? { duration: options.duration } : {}),
  });
}

/** A feature table from a CSV file (GTZAN's features_30_sec.csv, `features dataset --aggregate`) or as it is. */
async function tableOf(table: string | aq.ColumnTable): Promise<aq.ColumnTable> {
  if (typeof table !== "string") return table;
  let text: string;
  try {
    text = await readFile(table, "utf8");
  } catch (error) {
    throw new ConfigError(table, `cannot read the table: ${fsReason(error)}`);
  }
  try {
    return aq.fromCSV(text);
  } catch (error) {
    throw new ConfigError(table, `not a CSV table: ${(error as Error).message}`);
  }
}

/** The label column and the numeric feature columns of a table, as a row-major matrix. */
function featureMatrix(kind: string, table: aq.ColumnTable, options: TableChartOptions): { data: Float64Array; shape: [number, number]; names: string[]; labels: string[] } {
  const label = options.label ?? "label";
  if (!table.columnNames().includes(label)) throw new ChartError(kind, `the table has no label column ${JSON.stringify(label)} (columns: ${table.columnNames().join(", ")})`);
  const n = table.numRows();
  const numeric = (name: string) => {
    const column = table.array(name) as ArrayLike<unknown>;
    for (let i = 0; i < column.length; i++) if (typeof column[i] !== "number") return false;
    return column.length > 0;
  };
  const names = options.featureColumns ? [...options.featureColumns] : table.columnNames().filter((c) => c !== label && !NOT_FEATURES.has(c) && numeric(c));
  for (const c of names) if (!table.columnNames().includes(c)) throw new ChartError(kind, `the table has no column ${JSON.stringify(c)}`);
  if (names.length === 0) throw new ChartError(kind, "the table has no numeric feature columns");
  const data = new Float64Array(n * names.length);
  names.forEach((c, j) => {
    const column = table.array(c) as ArrayLike<number>;
    for (let i = 0; i < n; i++) data[i * names.length + j] = Number(column[i]);
  });
  const labels = Array.from(table.array(label) as ArrayLike<unknown>, String);
  return { data, shape: [n, names.length], names, labels };
}

function levelMetrics(run: Run, level: Level | undefined) {
  const chosen = level ?? run.level;
  const m = run.evaluation[chosen];
  if (!m) throw new ChartError(chosen, `run ${run.id} has no ${chosen}-level metrics`);
  return { level: chosen, metrics: m };
}

/**
 * One call per figure; each resolves to a drawn `Chart`.
 * @example await plot.history("20250101-120000-lstm-3fa9c1")
 */
export const plot = {
  /** A run's confusion matrix (counts, or row fractions with `normalize`), labels on both axes. */
  async confusion(run: RunRef, options: RunChartOptions & ConfusionChartOptions = {}): Promise<Chart> {
    const r = await openRun(run, options);
    const { level, metrics } = levelMetrics(r, options.level);
    return confusionChart(metrics.confusion, r.labels, { title: `${r.id}: ${level} level`, ...options }).draw();
  },

  /** A run's training curves, train and validation per metric, the restored best epoch marked. */
  async history(run: RunRef, options: OpenRunOptions & TrainingCurvesOptions = {}): Promise<Chart> {
    const r = await openRun(run, options);
    const monitor = typeof r.config.params.monitor === "string" ? r.config.params.monitor : undefined;
    return trainingCurvesChart(r.history, { title: r.id, ...(monitor ? { monitor } : {}), ...options }).draw();
  },

  /** A run's precision, recall and F1 per class. */
  async f1(run: RunRef, options: RunChartOptions & ClassScoresOptions = {}): Promise<Chart> {
    const r = await openRun(run, options);
    const { level, metrics } = levelMetrics(r, options.level);
    return classScoresChart(metrics.perClass, r.labels, { title: `${r.id}: ${level} level`, ...options }).draw();
  },

  /** Tracks per label and split of a dataset (a manifest's path or a `Dataset`). */
  async balance(data: string | Dataset, options: ClassBalanceOptions = {}): Promise<Chart> {
    const ds = await openDataset(data, { onWarning: () => {} });
    return classBalanceChart(ds.rows, options).draw();
  },

  /**
   * A time-frequency picture of an audio file as librosa.display.specshow draws it: the mel
   * spectrogram in dB by default, or chroma, tempogram, MFCC (`feature`).
   */
  async spectrogram(audio: string | Signal, options: SpectrogramOptions = {}): Promise<Chart> {
    const feature = options.feature ?? "melspectrogram";
    const known = SPECTRA[feature];
    const plugin = (await registryOrDefault(options.registry)).feature(feature);
    const signal = await signalOf(audio, options);
    const params = { ...(known?.params ?? {}), ...(options.params ?? {}) };
    const [result] = await extractFeatures(signal, [{ plugin, params }], typeof audio === "string" ? { source: audio } : {});
    if (result.array.shape.length !== 2) throw new ChartError("specshow", `${feature} gives shape [${result.array.shape.join(", ")}], not [rows, frames]`);
    const hop = typeof params.hop_length === "number" ? params.hop_length : 512;
    return specshowChart(result.array, {
      yAxis: known?.axis ?? "linear",
      sr: signal.sr,
      hopLength: hop,
      title: typeof audio === "string" ? `${feature}: ${audio}` : feature,
      ...(feature === "melspectrogram" ? { legendTitle: "dB" } : {}),
      ...options,
    }).draw();
  },

  /** The waveform's envelope of an audio file (or signal). */
  async waveform(audio: string | Signal, options: WaveformOptions & { sampleRate?: number; offset?: number; duration?: number } = {}): Promise<Chart> {
    const signal = await signalOf(audio, options);
    return waveformChart(signal, { ...(typeof audio === "string" ? { title: audio } : {}), ...options }).draw();
  },

  /** Box plots of each feature column per label, from a feature table (CSV path or Arquero table). */
  async distribution(table: string | aq.ColumnTable, options: TableChartOptions & DistributionsOptions = {}): Promise<Chart> {
    const m = featureMatrix("feature distributions", await tableOf(table), options);
    return featureDistributionsChart({ data: m.data, shape: m.shape }, m.labels, { featureNames: m.names, ...options }).draw();
  },

  /** The Pearson correlation of a feature table's columns, as a heatmap. */
  async correlation(table: string | aq.ColumnTable, options: TableChartOptions & CorrelationOptions = {}): Promise<Chart> {
    const m = featureMatrix("correlation", await tableOf(table), options);
    return correlationChart({ data: m.data, shape: m.shape }, { featureNames: m.names, ...options }).draw();
  },
} as const;

/** The kinds `plot` draws (and `clave plot` takes). */
export type PlotKind = keyof typeof plot;
export const PLOT_KINDS = Object.keys(plot) as PlotKind[];
