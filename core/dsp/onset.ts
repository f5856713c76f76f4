/**
 * Onset strength, `librosa.onset.onset_strength` (spectral flux of a dB mel spectrogram):
 *
 *     ref[t, m]  = max_{|j - m| <= max_size/2} S[t, j]          (ref = S when max_size = 1)
 *     flux[t, m] = max(0, S[t, m] - ref[t - lag, m])
 *     onset[t]   = aggregate_m flux[t, m]                        (mean, or median for beat tracking)
 *
 * then `lag + n_fft // (2 hop)` zeros in front (centre compensation, `center=True`), optionally the DC
 * removal filter y[n] = x[n] - x[n-1] + 0.99 y[n-1] (`detrend`), truncated to the number of frames.
 * S is frame-major; the result is float32, one value per frame.
 */
import { medianInPlace } from "./select.ts";
import type { FrameMatrix } from "./spectrogram.ts";

export interface OnsetOptions {
  readonly lag?: number;
  readonly maxSize?: number;
  readonly aggregate?: "mean" | "median";
  readonly center?: boolean;
  readonly nFft?: number;
  readonly hopLength?: number;
  readonly detrend?: boolean;
}

/** `scipy.ndimage.maximum_filter1d(x, size, mode='reflect')` of one row (half-sample symmetric edges). */
function maxFilterRow(x: Float32Array, from: number, n: number, size: number, out: Float32Array, outFrom: number): void {
  const left = size >> 1;
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = i - left; j < i - left + size; j++) {
      let r = j;
      // reflect: d c b a | a b c d | d c b a
      while (r < 0 || r >= n) r = r < 0 ? -r - 1 : 2 * n - r - 1;
      const v = x[from + r];
      if (v > m) m = v;
    }
    out[outFrom + i] = m;
  }
}

export function onsetStrength(s: FrameMatrix<Float32Array>, o: OnsetOptions = {}): Float32Array {
  const lag = o.lag ?? 1;
  const maxSize = o.maxSize ?? 1;
  const aggregate = o.aggregate ?? "mean";
  const center = o.center ?? true;
  const nFft = o.nFft ?? 2048;
  const hop = o.hopLength ?? 512;
  if (!Number.isInteger(lag) || lag < 1) throw new RangeError(`onset_strength: lag=${lag} must be a positive integer`);
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError(`onset_strength: max_size=${maxSize} must be a positive integer`);
  const { data, nFrames: T, nBins: M } = s;
  let ref = data;
  if (maxSize > 1) {
    ref = new Float32Array(data.length);
    for (let t = 0; t < T; t++) maxFilterRow(data, t * M, M, maxSize, ref, t * M);
  }
  const padWidth = lag + (center ? Math.floor(nFft / (2 * hop)) : 0);
  const nOut = center ? T : T - lag + padWidth;
  const full = new Float32Array(Math.max(nOut, padWidth + Math.max(0, T - lag)));
  const scratch = new Float32Array(M);
  for (let t = lag; t < T; t++) {
    const row = t * M, prev = (t - lag) * M;
    let value: number;
    if (aggregate === "median") {
      for (let m = 0; m < M; m++) scratch[m] = Math.max(0, Math.fround(data[row + m] - ref[prev + m]));
      value = medianInPlace(scratch, 0, M, true);
    } else {
      let sum = 0;
      for (let m = 0; m < M; m++) sum += Math.max(0, Math.fround(data[row + m] - ref[prev + m]));
      value = sum / M;
    }
    const at = t - lag + padWidth;
    if (at < full.length) full[at] = value;
  }
  if (o.detrend) {
    let xPrev = 0, yPrev = 0;
    for (let i = 0; i < full.length; i++) {
      const x = full[i];
      const y = Math.fround(x - xPrev + 0.99 * yPrev);
      full[i] = y;
      xPrev = x;
      yPrev = y;
    }
  }
  return full.length === nOut ? full : full.slice(0, nOut);
}
