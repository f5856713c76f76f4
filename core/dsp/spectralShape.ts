/**
 * Spectral centroid, bandwidth and rolloff of a magnitude spectrogram, as librosa's
 * `feature.spectral_centroid`, `spectral_bandwidth` and `spectral_rolloff` (f_k = k · sr / n_fft):
 *
 *     centroid[t]  = sum_k f_k · Ŝ[t, k],            Ŝ[t] = S[t] / sum_k |S[t, k]|  (unchanged if the sum < float32 tiny)
 *     bandwidth[t] = (sum_k Ŝ[t, k] · |f_k - centroid[t]|^p)^(1/p)      (norm=True)
 *     rolloff[t]   = min { f_k : cumsum_k S[t] >= roll_percent · sum_k S[t] }
 *
 * Rolloff's cumulative sum runs in float32 as numpy's does on float32 input, because it is a threshold
 * test; a value can still land one bin away from librosa's where the FFTs differ in the last bit.
 */
import { FLOAT32_TINY, fftFrequencies } from "./convert.ts";
import type { FrameMatrix } from "./spectrogram.ts";

export interface SpectralShapeOptions {
  readonly sr: number;
  readonly nFft: number;
}

function frameNorm(data: Float32Array, row: number, nBins: number): number {
  let sum = 0;
  for (let k = 0; k < nBins; k++) sum += Math.abs(data[row + k]);
  sum = Math.fround(sum);
  return sum < FLOAT32_TINY ? 1 : sum;
}

export function spectralCentroid(mag: FrameMatrix<Float32Array>, o: SpectralShapeOptions): Float64Array {
  const { data, nFrames, nBins } = mag;
  const freq = fftFrequencies(o.sr, o.nFft);
  const out = new Float64Array(nFrames);
  for (let t = 0; t < nFrames; t++) {
    const row = t * nBins;
    let sum = 0, c = 0;
    for (let k = 0; k < nBins; k++) {
      const v = data[row + k];
      sum += Math.abs(v);
      c += freq[k] * v;
    }
    sum = Math.fround(sum);
    out[t] = c / (sum < FLOAT32_TINY ? 1 : sum);
  }
  return out;
}

export function spectralBandwidth(
  mag: FrameMatrix<Float32Array>,
  o: SpectralShapeOptions & { p?: number; norm?: boolean; centroid?: Float64Array },
): Float64Array {
  const { data, nFrames, nBins } = mag;
  const p = o.p ?? 2;
  const normalise = o.norm ?? true;
  const freq = fftFrequencies(o.sr, o.nFft);
  const centroid = o.centroid ?? spectralCentroid(mag, o);
  const out = new Float64Array(nFrames);
  for (let t = 0; t < nFrames; t++) {
    const row = t * nBins;
    const norm = normalise ? frameNorm(data, row, nBins) : 1;
    const c = centroid[t];
    let acc = 0;
    if (p === 2) {
      for (let k = 0; k < nBins; k++) {
        const d = freq[k] - c;
        acc += data[row + k] * d * d;
      }
      out[t] = Math.sqrt(acc / norm);
    } else {
      for (let k = 0; k < nBins; k++) acc += data[row + k] * Math.abs(freq[k] - c) ** p;
      out[t] = (acc / norm) ** (1 / p);
    }
  }
  return out;
}

export function spectralRolloff(
  mag: FrameMatrix<Float32Array>,
  o: SpectralShapeOptions & { rollPercent?: number },
): Float64Array {
  const { data, nFrames, nBins } = mag;
  const rollPercent = o.rollPercent ?? 0.85;
  if (!(rollPercent > 0 && rollPercent < 1)) throw new RangeError(`spectral_rolloff: roll_percent=${rollPercent} must be in (0, 1)`);
  const freq = fftFrequencies(o.sr, o.nFft);
  const out = new Float64Array(nFrames);
  const f32 = Math.fround;
  const rp = f32(rollPercent);
  const cum = new Float32Array(nBins);
  for (let t = 0; t < nFrames; t++) {
    const row = t * nBins;
    let s = 0;
    for (let k = 0; k < nBins; k++) {
      s = f32(s + data[row + k]);
      cum[k] = s;
    }
    const threshold = f32(rp * s);
    let k = 0;
    while (k < nBins && cum[k] < threshold) k++;
    out[t] = k < nBins ? freq[k] : NaN;
  }
  return out;
}
