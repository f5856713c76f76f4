/**
 * Chromagram from a power spectrogram, `librosa.feature.chroma_stft` with `librosa.filters.chroma`.
 *
 * Filterbank: for FFT bins k = 1..n_fft-1 with f_k = k · sr / n_fft,
 *
 *     bin_k   = n_chroma · log2(f_k / (A440 / 16)),  A440 = 440 · 2^(tuning / n_chroma)
 *     bin_0   = bin_1 - 1.5 · n_chroma
 *     width_k = max(bin_{k+1} - bin_k, 1)  (1 for the last)
 *     D[c, k] = remainder(bin_k - c + n_chroma/2 + 10 · n_chroma, n_chroma) - n_chroma/2
 *     W[c, k] = exp(-0.5 · (2 D[c, k] / width_k)²)
 *
 * each column L2-normalised (norm=2), times the octave weight exp(-0.5 · ((bin_k / n_chroma - ctroct) /
 * octwidth)²), rows rolled by -3 so row 0 is C (base_c), first n_fft/2 + 1 columns kept, float32.
 *
 * chroma_stft: C[t] = W · S[t] per frame, then each frame divided by its max |value| (norm=inf);
 * frames whose norm is below float32 tiny are left as they are (so silence stays 0).
 */
import { FLOAT32_TINY, roundHalfEven } from "./convert.ts";
import { frameMatrix, type FrameMatrix } from "./spectrogram.ts";

export interface ChromaFilterOptions {
  readonly sr: number;
  readonly nFft: number;
  readonly nChroma?: number;
  readonly tuning?: number;
  readonly ctroct?: number;
  /** null: no octave weighting. */
  readonly octwidth?: number | null;
  /** Column norm: a p-norm (2 by default), Infinity, or null for none. */
  readonly norm?: number | null;
  readonly baseC?: boolean;
}

/** `librosa.filters.chroma` as a dense float32 (n_chroma x (n_fft/2 + 1)) matrix. */
export function chromaFilterbank(o: ChromaFilterOptions): Float32Array {
  const { sr, nFft } = o;
  const nChroma = o.nChroma ?? 12;
  const tuning = o.tuning ?? 0;
  const ctroct = o.ctroct ?? 5.0;
  const octwidth = o.octwidth === undefined ? 2 : o.octwidth;
  const norm = o.norm === undefined ? 2 : o.norm;
  const baseC = o.baseC ?? true;
  const a440 = 440.0 * 2.0 ** (tuning / nChroma);
  const frqbins = new Float64Array(nFft);
  const step = sr / nFft; // numpy.linspace(0, sr, n_fft, endpoint=False)
  for (let k = 1; k < nFft; k++) frqbins[k] = nChroma * Math.log2((k * step) / (a440 / 16));
  frqbins[0] = frqbins[1] - 1.5 * nChroma;
  const width = new Float64Array(nFft);
  for (let k = 0; k < nFft - 1; k++) width[k] = Math.max(frqbins[k + 1] - frqbins[k], 1.0);
  width[nFft - 1] = 1;
  const half = roundHalfEven(nChroma / 2); // numpy.round(n_chroma / 2)
  const nBins = Math.floor(nFft / 2) + 1;
  const wts = new Float64Array(nChroma * nBins);
  const col = new Float64Array(nChroma);
  const shift = baseC ? 3 * Math.floor(nChroma / 12) : 0;
  for (let k = 0; k < nBins; k++) {
    for (let c = 0; c < nChroma; c++) {
      const v = frqbins[k] - c + half + 10 * nChroma;
      // numpy.remainder: result has the sign of the divisor.
      const rem = v - nChroma * Math.floor(v / nChroma);
      const d = rem - half;
      col[c] = Math.exp(-0.5 * ((2 * d) / width[k]) ** 2);
    }
    if (norm !== null) {
      let len = 0;
      if (norm === Infinity) for (let c = 0; c < nChroma; c++) len = Math.max(len, Math.abs(col[c]));
      else {
        for (let c = 0; c < nChroma; c++) len += Math.abs(col[c]) ** norm;
        len **= 1 / norm;
      }
      if (len >= 2.2250738585072014e-308) for (let c = 0; c < nChroma; c++) col[c] /= len;
    }
    const octWeight = octwidth === null ? 1 : Math.exp(-0.5 * ((frqbins[k] / nChroma - ctroct) / octwidth) ** 2);
    for (let c = 0; c < nChroma; c++) {
      const row = (((c - shift) % nChroma) + nChroma) % nChroma; // numpy.roll(wts, -shift, axis=0)
      wts[row * nBins + k] = col[c] * octWeight;
    }
  }
  return Float32Array.from(wts);
}

/**
 * A chroma filterbank as runs of bins per chroma row, for fast application: weights below `relTol` x
 * the largest weight (the far Gaussian tails, 1e-10 by default) are dropped, which changes no chroma
 * value by more than ~1e-7 of its frame's max; each row keeps about one run of bins per octave.
 */
export interface ChromaRuns {
  readonly nChroma: number;
  readonly nBins: number;
  /** Row c's runs are rowFirst[c] .. rowFirst[c+1]-1; run r covers bins runStart[r] .. runEnd[r]-1. */
  readonly rowFirst: Int32Array;
  readonly runStart: Int32Array;
  readonly runEnd: Int32Array;
  /** Weights of all runs, in order. */
  readonly weights: Float64Array;
}

export function chromaRuns(filters: Float32Array, nChroma: number, relTol = 1e-10): ChromaRuns {
  const nBins = filters.length / nChroma;
  let max = 0;
  for (const w of filters) max = Math.max(max, Math.abs(w));
  const rowFirst = new Int32Array(nChroma + 1);
  const starts: number[] = [], ends: number[] = [], weights: number[] = [];
  for (let c = 0; c < nChroma; c++) {
    rowFirst[c] = starts.length;
    let k = 0;
    while (k < nBins) {
      while (k < nBins && !(Math.abs(filters[c * nBins + k]) > relTol * max)) k++;
      if (k === nBins) break;
      const s = k;
      while (k < nBins && Math.abs(filters[c * nBins + k]) > relTol * max) weights.push(filters[c * nBins + k++]);
      starts.push(s);
      ends.push(k);
    }
  }
  rowFirst[nChroma] = starts.length;
  return { nChroma, nBins, rowFirst, runStart: Int32Array.from(starts), runEnd: Int32Array.from(ends), weights: Float64Array.from(weights) };
}

/** Chroma of every frame of a frame-major power spectrogram, frame-normalised (norm=inf by default). */
export function chromaFromPower(
  power: FrameMatrix<Float32Array>,
  filters: Float32Array | ChromaRuns,
  nChroma: number,
  norm: number | null = Infinity,
): FrameMatrix<Float32Array> {
  const { data, nFrames, nBins } = power;
  const runs = filters instanceof Float32Array ? chromaRuns(filters, nChroma) : filters;
  if (runs.nBins !== nBins || runs.nChroma !== nChroma) throw new RangeError(`chroma: filterbank does not have ${nChroma} x ${nBins} weights`);
  const { rowFirst, runStart, runEnd, weights } = runs;
  const out = new Float32Array(nFrames * nChroma);
  // Two frames at a time: each weight is loaded once for both.
  for (let t = 0; t < nFrames; t += 2) {
    const pair = t + 1 < nFrames;
    const row0 = t * nBins, row1 = pair ? row0 + nBins : row0;
    for (let c = 0, o = 0; c < nChroma; c++) {
      let s0 = 0, s1 = 0;
      for (let r = rowFirst[c], re = rowFirst[c + 1]; r < re; r++) {
        const e = runEnd[r];
        for (let k = runStart[r]; k < e; k++) {
          const w = weights[o++];
          s0 += w * data[row0 + k];
          s1 += w * data[row1 + k];
        }
      }
      // float32, as numpy's einsum over float32 arrays
      out[t * nChroma + c] = s0;
      if (pair) out[(t + 1) * nChroma + c] = s1;
    }
  }
  for (let t = 0; t < nFrames; t++) {
    const o = t * nChroma;
    let len = 0;
    for (let c = 0; c < nChroma; c++) {
      const v = out[o + c];
      if (norm === Infinity) len = Math.max(len, Math.abs(v));
      else if (norm !== null) len += Math.abs(v) ** norm;
    }
    if (norm === null) len = 1;
    else if (norm !== Infinity) len **= 1 / norm;
    if (len < FLOAT32_TINY) len = 1;
    for (let c = 0; c < nChroma; c++) out[o + c] = out[o + c] / len;
  }
  return frameMatrix(out, nFrames, nChroma);
}
