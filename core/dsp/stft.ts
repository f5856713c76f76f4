/**
 * Short-time Fourier transform power and magnitude, as `librosa.stft` + `abs(.)**power` compute them:
 *
 *     X[k, t] = sum_{n=0}^{N-1} w[n] · ŷ[t·hop + n] · exp(-2πi k n / N),   k = 0..N/2
 *
 * with N = n_fft, w the periodic window of `win_length` samples centred in N, and ŷ the signal padded
 * by N/2 on each side (`center=True`, zeros by default: librosa's `pad_mode='constant'`). There are
 * 1 + floor(len(y) / hop) frames when centred, 1 + floor((len(y) - N) / hop) otherwise.
 *
 * Returns frame-major float32 matrices (what librosa's complex64 STFT gives for float32 input); the FFT
 * itself runs in float64. Any n_fft works; powers of two take the fast path (others use Bluestein's
 * algorithm, several times slower).
 */
import { realPowerTransform } from "./fft.ts";
import { pad, type PadMode } from "./pad.ts";
import { frameMatrix, type FrameMatrix } from "./spectrogram.ts";
import { getWindow, padCenter, type WindowName } from "./window.ts";

export interface StftOptions {
  readonly nFft: number;
  readonly hopLength: number;
  /** Defaults to nFft. */
  readonly winLength?: number | null;
  readonly window?: WindowName;
  readonly center?: boolean;
  readonly padMode?: PadMode;
}

/** Number of STFT frames for `nSamples` samples. */
export function stftFrameCount(nSamples: number, nFft: number, hopLength: number, center = true): number {
  const padded = center ? nSamples + 2 * Math.floor(nFft / 2) : nSamples;
  if (padded < nFft) return 0;
  return 1 + Math.floor((padded - nFft) / hopLength);
}

function checkOptions(y: Float32Array, o: StftOptions): void {
  if (!Number.isInteger(o.nFft) || o.nFft < 2) throw new RangeError(`stft: n_fft=${o.nFft} must be an integer >= 2`);
  if (!Number.isInteger(o.hopLength) || o.hopLength < 1) throw new RangeError(`stft: hop_length=${o.hopLength} must be a positive integer`);
  const win = o.winLength ?? o.nFft;
  if (!Number.isInteger(win) || win < 1 || win > o.nFft) throw new RangeError(`stft: win_length=${win} must be in 1..n_fft`);
  if (!(o.center ?? true) && y.length < o.nFft) {
    throw new RangeError(`stft: n_fft=${o.nFft} is too large for a signal of ${y.length} samples with center=false`);
  }
}

/** The analysis window, `win_length` long, zero-padded to n_fft. */
export function stftWindow(o: StftOptions): Float64Array {
  const w = getWindow(o.window ?? "hann", o.winLength ?? o.nFft, true);
  return w.length === o.nFft ? w : padCenter(w, o.nFft);
}

/**
 * |X|² as a frame-major float32 matrix (frames x (n_fft/2 + 1)). `allocate(n)` gives the array to fill
 * (every value is written), for callers that reuse buffers; default a fresh one.
 */
export function powerSpectrogram(
  y: Float32Array,
  o: StftOptions,
  allocate: (n: number) => Float32Array = (n) => new Float32Array(n),
): FrameMatrix<Float32Array> {
  checkOptions(y, o);
  const { nFft, hopLength } = o;
  const center = o.center ?? true;
  const nBins = Math.floor(nFft / 2) + 1;
  const nFrames = stftFrameCount(y.length, nFft, hopLength, center);
  const out = allocate(nFrames * nBins);
  const fft = realPowerTransform(nFft); // power-of-two sizes are much faster
  const window = stftWindow(o);
  // Zero padding is implicit (the FFT loader reads out-of-range samples as 0); other modes copy.
  const half = Math.floor(nFft / 2);
  const mode = o.padMode ?? "constant";
  const x = center && mode !== "constant" ? pad(y, half, half, mode) : y;
  const shift = center && mode === "constant" ? -half : 0;
  for (let t = 0; t < nFrames; t++) {
    fft.powerSpectrum(x, out, t * hopLength + shift, window, t * nBins);
  }
  return frameMatrix(out, nFrames, nBins);
}

/**
 * |X| from |X|²: the magnitude spectrogram (power 1) that contrast, centroid and rolloff use.
 * `allocate` as in `powerSpectrogram`.
 */
export function magnitudeFromPower(
  power: FrameMatrix<Float32Array>,
  allocate: (n: number) => Float32Array = (n) => new Float32Array(n),
): FrameMatrix<Float32Array> {
  const p = power.data;
  const out = allocate(p.length);
  for (let i = 0; i < p.length; i++) out[i] = Math.sqrt(p[i]);
  return frameMatrix(out, power.nFrames, power.nBins);
}

/** |X|^power for any power from |X|² (power 2 returns the input). */
export function spectrogramPower(power: FrameMatrix<Float32Array>, exponent: number): FrameMatrix<Float32Array> {
  if (exponent === 2) return power;
  if (exponent === 1) return magnitudeFromPower(power);
  const p = power.data;
  const out = new Float32Array(p.length);
  const e = exponent / 2;
  for (let i = 0; i < p.length; i++) out[i] = p[i] ** e;
  return frameMatrix(out, power.nFrames, power.nBins);
}
