/**
 * Per-clip (or per-segment) statistics of frame features, as the tabular datasets have them: the mean
 * and population variance (numpy's `var`, ddof=0) over frames, in columns named as GTZAN's
 * `features_30_sec.csv` names them:
 *
 *     chroma_stft_mean, chroma_stft_var, rms_mean, rms_var, spectral_centroid_mean, ...,
 *     rolloff_mean, rolloff_var, zero_crossing_rate_mean, ..., tempo, mfcc1_mean, mfcc1_var, ..., mfcc20_var
 *
 * Rules: a feature of one row (or a 1-D frame sequence such as onset_strength) gives `<name>_mean` and
 * `<name>_var`; a multi-row feature gives one pair per row, `<name><i>_mean` (1-based: `mfcc1_mean`),
 * except the pooled ones (chroma_stft, as GTZAN pools its 12 rows into one pair; a name ending in a
 * digit takes an underscore: `stack417_1_mean`); a single value
 * (tempo, shape [1]) gives `<name>` as is; spectral_rolloff is called `rolloff`, as in GTZAN.
 * Features of data-dependent length (beat_track) have no frame axis and are left out. Features whose
 * axis is the signal's samples (`signals`: hpss's harmonic and percussive parts, GTZAN's `harmony` and
 * `perceptr`) give `<name>_mean` and `<name>_var` over the samples, as Kaggle's CSV computes them
 * (`np.mean(y_harm)`, `np.var(y_harm)`).
 *
 * Segments split the frame axis into consecutive runs of `segmentFrames` frames (GTZAN's 3-second
 * rows are 3 s worth of frames, 129 at 22050 Hz / 512); the last, shorter run is dropped unless it is
 * the only one. Single values (tempo) are the clip's in every segment; signals take the samples
 * of the segment's frames (frame t covers samples t·hop .. (t+1)·hop).
 */
import * as aq from "arquero";
import type { NdArray } from "../ndarray.ts";

/** Column base names that differ from the feature names (GTZAN's). */
export const GTZAN_COLUMN_NAMES: Readonly<Record<string, string>> = { spectral_rolloff: "rolloff" };

export interface AggregateOptions {
  /** Frames per segment; default: the whole clip is one row. */
  readonly segmentFrames?: number;
  /** Multi-row features pooled into one mean/var pair (default: chroma_stft, as GTZAN). */
  readonly pooled?: readonly string[];
  /** 1-D features on the sample axis (default: harmony, perceptr), aggregated over samples. */
  readonly signals?: readonly string[];
  /** Samples per frame, mapping segments of frames onto signals (default 512). */
  readonly hopLength?: number;
}

/** GTZAN's names of the harmonic and percussive signals (the `gtzan` preset's hpss outputs). */
export const GTZAN_SIGNALS: readonly string[] = ["harmony", "perceptr"];

export type FeatureArrays = ReadonlyMap<string, NdArray> | Readonly<Record<string, NdArray>>;

function entries(features: FeatureArrays): [string, NdArray][] {
  return features instanceof Map ? [...features.entries()] : Object.entries(features);
}

/** Frames of a feature: [rows, frames] for frame features, null for single values and variable ones. */
function layout(a: NdArray): { rows: number; frames: number } | "value" | null {
  if (a.data instanceof BigInt64Array) return null;
  if (a.shape.length === 1 && a.shape[0] === 1) return "value";
  if (a.shape.length === 1) return { rows: 1, frames: a.shape[0] };
  if (a.shape.length === 2) return { rows: a.shape[0], frames: a.shape[1] };
  return null;
}

function meanVar(data: ArrayLike<number>, rowFrom: number, rowTo: number, frames: number, t0: number, t1: number): [number, number] {
  let n = 0, mean = 0, m2 = 0;
  for (let r = rowFrom; r < rowTo; r++) {
    for (let t = t0; t < t1; t++) {
      // Welford: stable for long clips
      const v = data[r * frames + t];
      n++;
      const d = v - mean;
      mean += d / n;
      m2 += d * (v - mean);
    }
  }
  return n > 0 ? [mean, m2 / n] : [NaN, NaN];
}

/** One record of statistics per segment (one for the whole clip by default), in feature order. */
export function aggregateFeatures(features: FeatureArrays, options: AggregateOptions = {}): Record<string, number>[] {
  const pooled = new Set(options.pooled ?? ["chroma_stft"]);
  const signals = new Set(options.signals ?? GTZAN_SIGNALS);
  const hop = options.hopLength ?? 512;
  const list = entries(features);
  let frames = -1;
  for (const [name, a] of list) {
    if (signals.has(name)) {
      if (a.shape.length !== 1 || a.data instanceof BigInt64Array) throw new RangeError(`aggregate: ${name} is a signal but has shape [${a.shape.join(", ")}]`);
      continue;
    }
    const l = layout(a);
    if (l && l !== "value") {
      if (frames >= 0 && l.frames !== frames) {
        throw new RangeError(`aggregate: ${name} has ${l.frames} frames, other features ${frames}`);
      }
      frames = l.frames;
    }
  }
  const seg = options.segmentFrames ?? Math.max(frames, 1);
  if (!(Number.isInteger(seg) && seg > 0)) throw new RangeError(`aggregate: segmentFrames=${seg} must be a positive integer`);
  const nSeg = frames < 0 ? 1 : Math.max(1, Math.floor(frames / seg));
  const records: Record<string, number>[] = [];
  for (let s = 0; s < nSeg; s++) {
    const t0 = s * seg;
    const t1 = options.segmentFrames === undefined ? frames : Math.min(frames, t0 + seg);
    const record: Record<string, number> = {};
    for (const [name, a] of list) {
      const base = GTZAN_COLUMN_NAMES[name] ?? name;
      const data = a.data as ArrayLike<number>;
      if (signals.has(name)) {
        const n = a.shape[0];
        const [s0, s1] = options.segmentFrames === undefined || frames < 0 ? [0, n] : [Math.min(n, t0 * hop), Math.min(n, t1 * hop)];
        [record[`${base}_mean`], record[`${base}_var`]] = meanVar(data, 0, 1, 0, s0, s1);
        continue;
      }
      const l = layout(a);
      if (l === null) continue;
      if (l === "value") {
        record[base] = data[0];
      } else if (l.rows === 1 || pooled.has(name)) {
        [record[`${base}_mean`], record[`${base}_var`]] = meanVar(data, 0, l.rows, l.frames, t0, t1);
      } else {
        // mfcc1_mean; a name ending in a digit takes a separator (stack417_1_mean)
        const prefix = /\d$/.test(base) ? `${base}_` : base;
        for (let r = 0; r < l.rows; r++) {
          [record[`${prefix}${r + 1}_mean`], record[`${prefix}${r + 1}_var`]] = meanVar(data, r, r + 1, l.frames, t0, t1);
        }
      }
    }
    records.push(record);
  }
  return records;
}

/** One clip's features and the columns that identify it. */
export interface ClipFeatures {
  readonly filename?: string;
  /** Number of samples (GTZAN's `length` column). */
  readonly length?: number;
  readonly label?: string;
  readonly features: FeatureArrays;
}

/**
 * The statistics of many clips as an Arquero table: `filename`, `length` (when given), `segment` (when
 * segmenting), the statistic columns, then `label` (when given), as GTZAN's CSV orders them.
 */
export function aggregateTable(clips: readonly ClipFeatures[], options: AggregateOptions = {}): aq.ColumnTable {
  const rows: Record<string, string | number>[] = [];
  for (const clip of clips) {
    const records = aggregateFeatures(clip.features, options);
    records.forEach((stats, segment) => {
      const row: Record<string, string | number> = {};
      if (clip.filename !== undefined) row.filename = clip.filename;
      if (clip.length !== undefined) row.length = clip.length;
      if (options.segmentFrames !== undefined) row.segment = segment;
      Object.assign(row, stats);
      if (clip.label !== undefined) row.label = clip.label;
      rows.push(row);
    });
  }
  return aq.from(rows);
}
