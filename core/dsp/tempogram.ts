/**
 * Autocorrelation tempogram, `librosa.feature.tempogram`: for each frame t of an onset envelope o,
 *
 *     x_t[i]    = w[i] · ô[t + i],  i = 0..W-1     (w: periodic Hann of W = win_length)
 *     ac_t[l]   = sum_i x_t[i] · x_t[i + l],       l = 0..W-1
 *     tg[l, t]  = ac_t[l] / max_l |ac_t[l]|        (norm=inf; all-zero frames stay 0)
 *
 * where ô is o padded by W/2 on each side with `numpy.pad(mode='linear_ramp', end_values=0)` (ramps
 * from 0 to the edge value) when centred. The autocorrelation is computed as librosa's is, through
 * the FFT (|FFT|² then inverse, zero-padded past 2W - 1 so nothing wraps); two real frames share one
 * complex FFT. Output is frame-major float64 (frames x W).
 */
import { ComplexFFT, nextPowerOfTwo } from "./fft.ts";
import { frameMatrix, type FrameMatrix } from "./spectrogram.ts";
import { FLOAT64_TINY, linspace } from "./convert.ts";
import { getWindow, type WindowName } from "./window.ts";

export interface TempogramOptions {
  readonly winLength?: number;
  readonly center?: boolean;
  readonly window?: WindowName;
  /** Per-frame normalisation: Infinity (max), a p-norm, or null for none. */
  readonly norm?: number | null;
}

/** `numpy.pad(x, (w, w), mode='linear_ramp', end_values=0)` in float32. */
export function padLinearRamp(x: Float32Array, w: number): Float32Array {
  const n = x.length;
  const out = new Float32Array(n + 2 * w);
  out.set(x, w);
  if (n === 0 || w === 0) return out;
  const left = linspace(0, x[0], w, false);
  const right = linspace(0, x[n - 1], w, false);
  for (let i = 0; i < w; i++) {
    out[i] = left[i];
    out[w + n + i] = right[w - 1 - i];
  }
  return out;
}

export function tempogram(onset: Float32Array, o: TempogramOptions = {}): FrameMatrix<Float64Array> {
  const win = o.winLength ?? 384;
  const center = o.center ?? true;
  const norm = o.norm === undefined ? Infinity : o.norm;
  if (!Number.isInteger(win) || win < 1) throw new RangeError(`tempogram: win_length=${win} must be a positive integer`);
  const n = onset.length;
  const padded = center ? padLinearRamp(onset, Math.floor(win / 2)) : onset;
  const nFrames = center ? n : n - win + 1;
  if (nFrames < 0) throw new RangeError(`tempogram: onset envelope of ${n} frames is shorter than win_length=${win} with center=false`);
  const window = getWindow(o.window ?? "hann", win, true);
  const size = nextPowerOfTwo(2 * win - 1);
  const fft = new ComplexFFT(size);
  const rev = fft.bitReversed;
  const re = new Float64Array(size), im = new Float64Array(size);
  const pa = new Float64Array(size), pb = new Float64Array(size);
  const out = new Float64Array(nFrames * win);
  const scale = 1 / size;
  const len = padded.length;
  for (let t = 0; t < nFrames; t += 2) {
    const pair = t + 1 < nFrames;
    re.fill(0);
    im.fill(0);
    for (let i = 0; i < win; i++) {
      const r = rev[i];
      const a = t + i < len ? padded[t + i] : 0;
      re[r] = a * window[i];
      if (pair) im[r] = (t + 1 + i < len ? padded[t + 1 + i] : 0) * window[i];
    }
    fft.butterflies(re, im);
    // Split Z = A + iB into |A|² and |B|² (A, B the spectra of the two real frames).
    for (let k = 0; k < size; k++) {
      const j = (size - k) & (size - 1);
      const sr = re[k] + re[j], di = im[k] - im[j], si = im[k] + im[j], dr = re[k] - re[j];
      pa[k] = 0.25 * (sr * sr + di * di);
      pb[k] = 0.25 * (si * si + dr * dr);
    }
    // Inverse of the real, even spectra |A|² + i|B|²: conj(FFT(conj(.))) / size.
    for (let k = 0; k < size; k++) {
      const r = rev[k];
      re[r] = pa[k];
      im[r] = -pb[k];
    }
    fft.butterflies(re, im);
    writeFrame(out, t, win, re, scale, norm);
    if (pair) {
      for (let l = 0; l < win; l++) im[l] = -im[l];
      writeFrame(out, t + 1, win, im, scale, norm);
    }
  }
  return frameMatrix(out, nFrames, win);
}

function writeFrame(out: Float64Array, t: number, win: number, ac: Float64Array, scale: number, norm: number | null): void {
  let len = 1;
  if (norm !== null) {
    len = 0;
    if (norm === Infinity) for (let l = 0; l < win; l++) len = Math.max(len, Math.abs(ac[l] * scale));
    else {
      for (let l = 0; l < win; l++) len += Math.abs(ac[l] * scale) ** norm;
      len **= 1 / norm;
    }
    if (len < FLOAT64_TINY) len = 1;
  }
  const row = t * win;
  for (let l = 0; l < win; l++) out[row + l] = (ac[l] * scale) / len;
}
