/**
 * Feature binning for histogram tree learners, scikit-learn's `_BinMapper` (HistGradientBoosting;
 * XGBoost's "hist" is the same idea):
 *
 *     column j with u distinct values:
 *       u ≤ maxBins:  thresholds = midpoints of consecutive distinct values    (u − 1 thresholds)
 *       u > maxBins:  thresholds = numpy.percentile(x_j, 100·q/maxBins, method="midpoint"), q = 1..maxBins−1
 *     bin(x) = #{t ∈ thresholds : t < x}      so  bin(x) ≤ b  ⇔  x ≤ thresholds[b]
 *
 * A split "bin ≤ b" found on the binned table is therefore the split "x ≤ thresholds[b]" on raw
 * values, and a fitted tree predicts raw rows without binning them. Thresholds are computed on at most
 * `subsample` rows (a seeded draw without replacement), as scikit-learn's 200,000.
 *
 * Params: maxBins integer in [2, 256], default 255; subsample integer ≥ 1, default 200,000; seed.
 */
import { mulberry32 } from "../random.ts";
import type { Features } from "./common.ts";

export interface BinnedTable {
  /** Bin codes, column-major: codes[j·nRows + i] is row i's bin in column j (a column's codes are contiguous). */
  readonly codes: Uint8Array;
  readonly nRows: number;
  readonly nCols: number;
  /** Number of bins of each column (thresholds + 1). */
  readonly nBins: Int32Array;
  /** Thresholds of column j: thresholds[thresholdStart[j] .. thresholdStart[j + 1]). */
  readonly thresholds: Float64Array;
  readonly thresholdStart: Int32Array;
  /** The largest nBins, the histogram stride. */
  readonly maxBins: number;
}

export interface BinOptions {
  readonly maxBins?: number;
  readonly subsample?: number;
  readonly seed?: number;
}

/** Bin thresholds from `X` (row-major `nRows × nCols`), then `X` binned with them. */
export function binTable(X: Features, nRows: number, nCols: number, options: BinOptions = {}): BinnedTable {
  const maxBins = options.maxBins ?? 255;
  const subsample = options.subsample ?? 200_000;
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > 256) throw new RangeError(`binning: maxBins=${maxBins} must be an integer in [2, 256]`);
  if (!Number.isInteger(subsample) || subsample < 1) throw new RangeError(`binning: subsample=${subsample} must be a positive integer`);
  const sampleRows = sampleWithoutReplacement(nRows, subsample, options.seed ?? 0);
  const n = sampleRows.length;
  const column = new Float64Array(n);
  const perColumn: Float64Array[] = [];
  for (let j = 0; j < nCols; j++) {
    for (let i = 0; i < n; i++) column[i] = X[sampleRows[i] * nCols + j];
    column.sort();
    let distinct = 1;
    for (let i = 1; i < n; i++) if (column[i] !== column[i - 1]) distinct++;
    let t: Float64Array;
    if (distinct <= maxBins) {
      t = new Float64Array(distinct - 1);
      for (let i = 1, p = 0; i < n; i++) if (column[i] !== column[i - 1]) t[p++] = (column[i - 1] + column[i]) / 2;
    } else {
      t = new Float64Array(maxBins - 1);
      for (let q = 1; q < maxBins; q++) {
        // numpy's virtual index (n − 1)·p, p = q / maxBins; "midpoint" averages its two neighbours.
        const position = ((n - 1) * ((100 * q) / maxBins)) / 100;
        const lo = Math.floor(position);
        const hi = position === lo ? lo : lo + 1;
        t[q - 1] = (column[lo] + column[hi]) / 2;
      }
    }
    perColumn.push(t);
  }
  const thresholdStart = new Int32Array(nCols + 1);
  for (let j = 0; j < nCols; j++) thresholdStart[j + 1] = thresholdStart[j] + perColumn[j].length;
  const thresholds = new Float64Array(thresholdStart[nCols]);
  const nBins = new Int32Array(nCols);
  let widest = 1;
  for (let j = 0; j < nCols; j++) {
    thresholds.set(perColumn[j], thresholdStart[j]);
    nBins[j] = perColumn[j].length + 1;
    widest = Math.max(widest, nBins[j]);
  }
  const table: BinnedTable = { codes: new Uint8Array(nRows * nCols), nRows, nCols, nBins, thresholds, thresholdStart, maxBins: widest };
  applyBins(table, X, nRows, table.codes);
  return table;
}

/** Bin rows of `X` with a table's thresholds into `out` (column-major, like `codes`). */
export function applyBins(table: BinnedTable, X: Features, nRows: number, out: Uint8Array): void {
  const { nCols, thresholds, thresholdStart } = table;
  for (let j = 0; j < nCols; j++) {
    const from = thresholdStart[j];
    const count = thresholdStart[j + 1] - from;
    const base = j * nRows;
    for (let i = 0; i < nRows; i++) {
      const x = X[i * nCols + j];
      // Binary search: the number of thresholds strictly below x.
      let lo = 0, hi = count;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (x <= thresholds[from + mid]) hi = mid;
        else lo = mid + 1;
      }
      out[base + i] = lo;
    }
  }
}

/** All rows 0..n-1 when n ≤ k, else k distinct rows drawn from a seeded generator, ascending. */
function sampleWithoutReplacement(n: number, k: number, seed: number): Int32Array {
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  if (n <= k) return all;
  const random = mulberry32(seed);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.subarray(0, k).sort();
}
