/**
 * Mel filterbank (`librosa.filters.mel`) and its application (`librosa.feature.melspectrogram`).
 *
 * With mel_f = mel_to_hz(linspace(mel(fmin), mel(fmax), n_mels + 2)) and FFT bin frequencies f_k,
 * filter i is the triangle
 *
 *     W[i, k] = max(0, min((f_k - mel_f[i]) / (mel_f[i+1] - mel_f[i]), (mel_f[i+2] - f_k) / (mel_f[i+2] - mel_f[i+1])))
 *
 * evaluated at the bin centres (not snapped to bins), then, for norm='slaney', scaled by
 * 2 / (mel_f[i+2] - mel_f[i]) so each filter has about constant energy. Weights are float32, as
 * librosa's. Each filter is non-zero on a few contiguous bins, so it is stored sparse (start, end,
 * weights) and applied as M[t, i] = sum_k W[i, k] S[t, k] over its own bins only.
 */
import { fftFrequencies, melFrequencies } from "./convert.ts";
import { frameMatrix, type FrameMatrix } from "./spectrogram.ts";

export interface MelOptions {
  readonly sr: number;
  readonly nFft: number;
  readonly nMels?: number;
  readonly fmin?: number;
  /** Defaults to sr / 2. */
  readonly fmax?: number | null;
  readonly htk?: boolean;
  /** 'slaney' (area normalisation), a p-norm per filter (1, 2, Infinity), or null for none. */
  readonly norm?: "slaney" | number | null;
}

/** Rows of a filterbank, each non-zero only on bins [start[i], end[i]). */
export interface SparseFilterbank {
  readonly nFilters: number;
  readonly nBins: number;
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** Weights of row i at offset[i] .. offset[i] + (end[i] - start[i]). */
  readonly offset: Int32Array;
  readonly weights: Float32Array;
}

/** Sparse rows of a dense row-major (nFilters x nBins) float32 matrix; zero columns at the row ends are dropped. */
export function sparseRows(dense: Float32Array, nFilters: number, nBins: number): SparseFilterbank {
  const start = new Int32Array(nFilters), end = new Int32Array(nFilters), offset = new Int32Array(nFilters);
  const kept: number[] = [];
  for (let i = 0; i < nFilters; i++) {
    const row = i * nBins;
    let s = 0;
    while (s < nBins && dense[row + s] === 0) s++;
    let e = nBins;
    while (e > s && dense[row + e - 1] === 0) e--;
    start[i] = s;
    end[i] = e;
    offset[i] = kept.length;
    for (let k = s; k < e; k++) kept.push(dense[row + k]);
  }
  return { nFilters, nBins, start, end, offset, weights: Float32Array.from(kept) };
}

/** The dense (nFilters x nBins) matrix of a sparse filterbank. */
export function denseRows(fb: SparseFilterbank): Float32Array {
  const out = new Float32Array(fb.nFilters * fb.nBins);
  for (let i = 0; i < fb.nFilters; i++) {
    for (let k = fb.start[i]; k < fb.end[i]; k++) out[i * fb.nBins + k] = fb.weights[fb.offset[i] + k - fb.start[i]];
  }
  return out;
}

/** `librosa.filters.mel(sr=, n_fft=, ...)` as a dense float32 (n_mels x (n_fft/2 + 1)) matrix. */
export function melFilterbankDense(o: MelOptions): Float32Array {
  const nMels = o.nMels ?? 128;
  const fmin = o.fmin ?? 0;
  const fmax = o.fmax ?? o.sr / 2;
  const htk = o.htk ?? false;
  const norm = o.norm === undefined ? "slaney" : o.norm;
  const nBins = Math.floor(o.nFft / 2) + 1;
  const fftFreqs = fftFrequencies(o.sr, o.nFft);
  const melF = melFrequencies(nMels + 2, fmin, fmax, htk);
  const w = new Float32Array(nMels * nBins);
  for (let i = 0; i < nMels; i++) {
    const d0 = melF[i + 1] - melF[i];
    const d1 = melF[i + 2] - melF[i + 1];
    const enorm = norm === "slaney" ? 2.0 / (melF[i + 2] - melF[i]) : 1;
    for (let k = 0; k < nBins; k++) {
      const lower = -(melF[i] - fftFreqs[k]) / d0;
      const upper = (melF[i + 2] - fftFreqs[k]) / d1;
      const v = Math.fround(Math.max(0, Math.min(lower, upper)));
      // librosa stores the triangle as float32, then scales it in place (float64 product, float32 store).
      w[i * nBins + k] = norm === "slaney" ? v * enorm : v;
    }
    if (typeof norm === "number") normalizeRow(w, i * nBins, nBins, norm);
  }
  return w;
}

function normalizeRow(w: Float32Array, from: number, n: number, p: number): void {
  let len = 0;
  if (p === Infinity) for (let k = 0; k < n; k++) len = Math.max(len, Math.abs(w[from + k]));
  else {
    for (let k = 0; k < n; k++) len += Math.abs(w[from + k]) ** p;
    len **= 1 / p;
  }
  if (len < 1.1754943508222875e-38) return;
  for (let k = 0; k < n; k++) w[from + k] /= len;
}

/** The mel filterbank in sparse form, for `applyFilterbank`. */
export function melFilterbank(o: MelOptions): SparseFilterbank {
  return sparseRows(melFilterbankDense(o), o.nMels ?? 128, Math.floor(o.nFft / 2) + 1);
}

/** M[t, i] = sum_k W[i, k] S[t, k]: a filterbank applied to every frame of a frame-major matrix. */
export function applyFilterbank(fb: SparseFilterbank, s: FrameMatrix): FrameMatrix<Float32Array> {
  if (s.nBins !== fb.nBins) throw new RangeError(`applyFilterbank: spectrogram has ${s.nBins} bins, filterbank ${fb.nBins}`);
  const { nFilters, start, end, offset, weights } = fb;
  const { data, nFrames, nBins } = s;
  const out = new Float32Array(nFrames * nFilters);
  for (let t = 0; t < nFrames; t++) {
    const row = t * nBins;
    const orow = t * nFilters;
    for (let i = 0; i < nFilters; i++) {
      let acc = 0;
      const e = end[i];
      for (let k = start[i], j = offset[i]; k < e; k++, j++) acc += weights[j] * data[row + k];
      out[orow + i] = acc;
    }
  }
  return frameMatrix(out, nFrames, nFilters);
}
