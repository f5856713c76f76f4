/**
 * Harmonic/percussive source separation, as `librosa.effects.hpss(y)` (librosa 0.11: `effects.hpss` →
 * `decompose.hpss` → `core.istft`; Fitzgerald 2010 with soft masks):
 *
 *     X = stft(y)                          n_fft 2048, hop 512, periodic Hann, centred with zeros
 *     S = |X|, phase = X / S               (phase 1 where S = 0)
 *     H = median of S over 31 frames       (per frequency bin; scipy.ndimage.median_filter, mode reflect)
 *     P = median of S over 31 bins         (per frame)
 *     M_h = softmask(H, margin·P), M_p = softmask(P, margin·H)
 *         softmask(X, R) = (X/Z)^p / ((X/Z)^p + (R/Z)^p), Z = max(X, R); ½ where Z < float32 tiny
 *         (when both margins are 1, else 0), p = power (2)
 *     y_h = istft(S·M_h·phase), y_p = istft(S·M_p·phase)   (length of y; window-sum-square normalised)
 *
 * The arithmetic follows librosa's dtypes: the spectrum is complex64, masks and magnitudes float32,
 * the inverse transform's windowed frames overlap-added into a float32 signal and divided by a float32
 * window-sum-square envelope; the FFTs themselves run in float64 (librosa's inverse runs in float32:
 * the outputs agree to about 1e-6 of the signal's peak).
 *
 * The median filters keep a sorted window of 31 values and slide it (one removal and one insertion per
 * step), so each output costs a few dozen operations rather than a sort.
 */
import { ComplexFFT, isPowerOfTwo, RealFFT } from "./fft.ts";
import { stftFrameCount } from "./stft.ts";
import { getWindow } from "./window.ts";

export interface HpssOptions {
  /** Median filter widths: harmonic (frames), percussive (bins); default 31 each. */
  readonly kernelSize?: number | readonly [number, number];
  /** Soft-mask exponent; default 2. */
  readonly power?: number;
  /** Margins (≥ 1) of the harmonic and percussive masks; default 1. */
  readonly margin?: number | readonly [number, number];
  /** FFT size, a power of two; default 2048. */
  readonly nFft?: number;
  /** Default nFft / 4. */
  readonly hopLength?: number;
}

export interface HpssResult {
  readonly harmonic: Float32Array;
  readonly percussive: Float32Array;
}

const TINY32 = 1.1754943508222875e-38;
const f32 = Math.fround;

/** The index scipy.ndimage's `reflect` mode reads for position i of an axis of n (… b a | a b c d | d c …). */
export function reflectIndex(i: number, n: number): number {
  const period = 2 * n;
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - 1 - j;
}

/**
 * Median filter of width `size` (odd) along one axis: `n` values read at `data[offset + i * stride]`,
 * written to `out` at the same places; positions beyond the ends are reflected (scipy's `reflect`).
 */
export function medianFilter1d(data: Float32Array, out: Float32Array, offset: number, stride: number, n: number, size: number, window: Float32Array): void {
  const half = size >> 1;
  const at = (i: number) => data[offset + reflectIndex(i, n) * stride];
  // The first window, sorted.
  for (let k = 0; k < size; k++) window[k] = at(k - half);
  window.subarray(0, size).sort();
  for (let i = 0; ; i++) {
    out[offset + i * stride] = window[half];
    if (i + 1 >= n) break;
    // Slide: the value leaving (at i − half) out, the value entering (at i + 1 + half) in.
    const leaving = at(i - half);
    const entering = at(i + 1 + half);
    if (leaving === entering) continue;
    let lo = 0, hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (window[mid] < leaving) lo = mid + 1;
      else hi = mid;
    }
    // Remove at lo, then insert keeping the order.
    if (entering > leaving) {
      let p = lo;
      while (p + 1 < size && window[p + 1] < entering) {
        window[p] = window[p + 1];
        p++;
      }
      window[p] = entering;
    } else {
      let p = lo;
      while (p > 0 && window[p - 1] > entering) {
        window[p] = window[p - 1];
        p--;
      }
      window[p] = entering;
    }
  }
}

/** librosa's `util.softmask(X, ref, power, split_zeros)` for one value, in float32 as numpy computes it. */
function softmask(x: number, ref: number, power: number, splitZeros: boolean): number {
  const z = Math.max(x, ref);
  if (z < TINY32) return splitZeros ? 0.5 : 0;
  const a = power === 2 ? f32(f32(x / z) * f32(x / z)) : f32(f32(x / z) ** power);
  const b = power === 2 ? f32(f32(ref / z) * f32(ref / z)) : f32(f32(ref / z) ** power);
  return f32(a / f32(a + b));
}

/** Harmonic and percussive signals of `y`, each as long as `y`. */
export function hpss(y: Float32Array, options: HpssOptions = {}): HpssResult {
  const nFft = options.nFft ?? 2048;
  const hop = options.hopLength ?? Math.floor(nFft / 4);
  const [kHarm, kPerc] = typeof options.kernelSize === "number" || options.kernelSize === undefined ? [options.kernelSize ?? 31, options.kernelSize ?? 31] : options.kernelSize;
  const [mHarm, mPerc] = typeof options.margin === "number" || options.margin === undefined ? [options.margin ?? 1, options.margin ?? 1] : options.margin;
  const power = options.power ?? 2;
  if (!isPowerOfTwo(nFft) || nFft < 4) throw new RangeError(`hpss: n_fft=${nFft} must be a power of two >= 4`);
  if (!Number.isInteger(hop) || hop < 1) throw new RangeError(`hpss: hop_length=${hop} must be a positive integer`);
  for (const k of [kHarm, kPerc]) if (!Number.isInteger(k) || k < 1 || k % 2 === 0) throw new RangeError(`hpss: kernel_size=${k} must be an odd positive integer`);
  if (!(mHarm >= 1) || !(mPerc >= 1)) throw new RangeError(`hpss: margins must be >= 1, got ${mHarm}, ${mPerc}`);
  if (!(power > 0)) throw new RangeError(`hpss: power=${power} must be positive`);
  const nBins = nFft / 2 + 1;
  const nFrames = stftFrameCount(y.length, nFft, hop, true);
  const half = nFft / 2;
  const window = getWindow("hann", nFft, true);

  // STFT, complex64 as librosa stores it, frame-major.
  const re = new Float32Array(nFrames * nBins);
  const im = new Float32Array(nFrames * nBins);
  const mag = new Float32Array(nFrames * nBins);
  {
    const fft = new RealFFT(nFft);
    const outRe = new Float64Array(nBins);
    const outIm = new Float64Array(nBins);
    for (let t = 0; t < nFrames; t++) {
      fft.forward(y, outRe, outIm, t * hop - half, window);
      const o = t * nBins;
      for (let k = 0; k < nBins; k++) {
        const a = f32(outRe[k]);
        const b = f32(outIm[k]);
        re[o + k] = a;
        im[o + k] = b;
        mag[o + k] = Math.hypot(a, b);
      }
    }
  }

  // Median filters: over frames for each bin (harmonic), over bins for each frame (percussive).
  const harm = new Float32Array(mag.length);
  const perc = new Float32Array(mag.length);
  const scratch = new Float32Array(Math.max(kHarm, kPerc));
  for (let k = 0; k < nBins; k++) medianFilter1d(mag, harm, k, nBins, nFrames, kHarm, scratch);
  for (let t = 0; t < nFrames; t++) medianFilter1d(mag, perc, t * nBins, 1, nBins, kPerc, scratch);

  // The masked spectra, S · mask · phase.
  const splitZeros = mHarm === 1 && mPerc === 1;
  const hRe = new Float32Array(mag.length), hIm = new Float32Array(mag.length);
  const pRe = new Float32Array(mag.length), pIm = new Float32Array(mag.length);
  for (let i = 0; i < mag.length; i++) {
    const s = mag[i];
    const nonzero = s === 0 ? 1 : s;
    const phRe = f32(f32(re[i] / nonzero) + (s === 0 ? 1 : 0));
    const phIm = f32(im[i] / nonzero);
    const mh = f32(s * softmask(harm[i], f32(perc[i] * mHarm), power, splitZeros));
    const mp = f32(s * softmask(perc[i], f32(harm[i] * mPerc), power, splitZeros));
    hRe[i] = f32(mh * phRe);
    hIm[i] = f32(mh * phIm);
    pRe[i] = f32(mp * phRe);
    pIm[i] = f32(mp * phIm);
  }
  return { harmonic: istft(hRe, hIm, nFrames, nBins, y.length, nFft, hop, window), percussive: istft(pRe, pIm, nFrames, nBins, y.length, nFft, hop, window) };
}

/**
 * `librosa.istft(D, length=n, center=True)` of a frame-major complex spectrum: each frame's inverse real
 * FFT times the window, overlap-added (float32) at t·hop − n_fft/2, divided by the window's sum of
 * squares where that is above float32's tiny.
 */
export function istft(re: Float32Array, im: Float32Array, nFrames: number, nBins: number, length: number, nFft: number, hop: number, window: Float64Array): Float32Array {
  const half = nFft / 2;
  const framesUsed = Math.min(nFrames, Math.ceil((length + 2 * half) / hop));
  const y = new Float32Array(length);
  const fft = new ComplexFFT(nFft);
  const bufRe = new Float64Array(nFft);
  const bufIm = new Float64Array(nFft);
  for (let t = 0; t < framesUsed; t++) {
    const o = t * nBins;
    // The Hermitian spectrum of a real frame; irfft ignores the imaginary parts of DC and Nyquist.
    bufRe[0] = re[o];
    bufIm[0] = 0;
    bufRe[half] = re[o + half];
    bufIm[half] = 0;
    for (let k = 1; k < half; k++) {
      bufRe[k] = re[o + k];
      bufIm[k] = im[o + k];
      bufRe[nFft - k] = re[o + k];
      bufIm[nFft - k] = -im[o + k];
    }
    fft.inverse(bufRe, bufIm);
    const start = t * hop - half;
    for (let n = 0; n < nFft; n++) {
      const at = start + n;
      if (at < 0 || at >= length) continue;
      y[at] = f32(y[at] + window[n] * f32(bufRe[n]));
    }
  }
  // The window-sum-square envelope (float32), from the padded signal's start.
  const envelope = new Float32Array(nFft + hop * (framesUsed - 1));
  for (let t = 0; t < framesUsed; t++) {
    const s = t * hop;
    for (let n = 0; n < nFft && s + n < envelope.length; n++) envelope[s + n] = f32(envelope[s + n] + window[n] * window[n]);
  }
  for (let i = 0; i < length; i++) {
    const w = i + half < envelope.length ? envelope[i + half] : 0;
    if (w > TINY32) y[i] = f32(y[i] / w);
  }
  return y;
}
