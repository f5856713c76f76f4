/**
 * Spectral contrast, `librosa.feature.spectral_contrast`, on a magnitude spectrogram.
 *
 * Octave bands with edges [0, fmin, 2 fmin, ..., 2^n_bands fmin]; band b takes the bins with
 * lo_b <= f_k <= hi_b, plus one bin below for b > 0, plus every bin above for the last band; bands
 * b < n_bands then drop their last bin. With q = max(1, rint(quantile · count)) (count including the
 * added bin),
 *
 *     valley[b, t] = mean of the q smallest S[t, k] in band b
 *     peak[b, t]   = mean of the q largest
 *     contrast     = power_to_db(peak) - power_to_db(valley)      (linear=False)
 *     contrast     = peak - valley                                (linear=True)
 *
 * power_to_db here is librosa's (10 log10 of the magnitudes, amin 1e-10, top_db 80), applied to the
 * whole peak matrix and the whole valley matrix separately. Output: (n_bands + 1) rows, float64.
 */
import { fftFrequencies, roundHalfEven } from "./convert.ts";
import { powerToDb } from "./db.ts";
import { extremeSums } from "./select.ts";
import { frameMatrix, type FrameMatrix } from "./spectrogram.ts";

export interface ContrastOptions {
  readonly sr: number;
  readonly nFft: number;
  readonly fmin?: number;
  readonly nBands?: number;
  readonly quantile?: number;
  readonly linear?: boolean;
}

/** Bin range [from, to) and q of each band. */
export function contrastBands(o: ContrastOptions): { from: Int32Array; to: Int32Array; q: Int32Array } {
  const fmin = o.fmin ?? 200;
  const nBands = o.nBands ?? 6;
  const quantile = o.quantile ?? 0.02;
  if (!(fmin > 0)) throw new RangeError(`spectral_contrast: fmin=${fmin} must be positive`);
  if (!Number.isInteger(nBands) || nBands < 1) throw new RangeError(`spectral_contrast: n_bands=${nBands} must be a positive integer`);
  if (!(quantile > 0 && quantile < 1)) throw new RangeError(`spectral_contrast: quantile=${quantile} must be in (0, 1)`);
  const freq = fftFrequencies(o.sr, o.nFft);
  const octa = new Float64Array(nBands + 2);
  for (let i = 1; i < nBands + 2; i++) octa[i] = fmin * 2.0 ** (i - 1);
  for (let i = 0; i < nBands + 1; i++) {
    if (octa[i] >= 0.5 * o.sr) throw new RangeError("spectral_contrast: frequency band exceeds Nyquist; reduce fmin or n_bands");
  }
  const nRows = nBands + 1;
  const from = new Int32Array(nRows), to = new Int32Array(nRows), q = new Int32Array(nRows);
  for (let b = 0; b < nRows; b++) {
    const lo = octa[b], hi = octa[b + 1];
    let first = -1, last = -1;
    for (let k = 0; k < freq.length; k++) {
      if (freq[k] >= lo && freq[k] <= hi) {
        if (first < 0) first = k;
        last = k;
      }
    }
    if (first < 0) throw new RangeError(`spectral_contrast: band ${b} (${lo}-${hi} Hz) holds no FFT bin; increase n_fft`);
    if (b > 0) first = Math.max(0, first - 1);
    if (b === nBands) last = freq.length - 1;
    const count = last - first + 1;
    q[b] = Math.max(1, roundHalfEven(quantile * count));
    from[b] = first;
    to[b] = b < nBands ? last : last + 1; // bands below the last drop their last bin
  }
  return { from, to, q };
}

export function spectralContrast(mag: FrameMatrix<Float32Array>, o: ContrastOptions): FrameMatrix<Float64Array> {
  const { from, to, q } = contrastBands(o);
  const nRows = from.length;
  const { data, nFrames, nBins } = mag;
  const peak = new Float64Array(nFrames * nRows);
  const valley = new Float64Array(nFrames * nRows);
  let maxQ = 1;
  for (let b = 0; b < nRows; b++) maxQ = Math.max(maxQ, q[b]);
  const low = new Float64Array(maxQ), high = new Float64Array(maxQ), sums = new Float64Array(2);
  for (let t = 0; t < nFrames; t++) {
    const row = t * nBins;
    for (let b = 0; b < nRows; b++) {
      const n = extremeSums(data, row + from[b], row + to[b], q[b], low, high, sums);
      // numpy takes these means of float32 values in float32.
      valley[t * nRows + b] = Math.fround(sums[0] / n);
      peak[t * nRows + b] = Math.fround(sums[1] / n);
    }
  }
  const out = new Float64Array(nFrames * nRows);
  if (o.linear) {
    for (let i = 0; i < out.length; i++) out[i] = peak[i] - valley[i];
  } else {
    const p = powerToDb(peak), v = powerToDb(valley);
    for (let i = 0; i < out.length; i++) out[i] = p[i] - v[i];
  }
  return frameMatrix(out, nFrames, nRows);
}
