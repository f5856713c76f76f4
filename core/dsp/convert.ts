/**
 * Unit conversions of `librosa.core.convert`, float64 as librosa computes them.
 *
 * Slaney mel scale (default): linear below 1 kHz, logarithmic above,
 *
 *     mel(f) = f / (200/3)                          for f <  1000 Hz
 *     mel(f) = 15 + ln(f / 1000) / (ln(6.4) / 27)   for f >= 1000 Hz
 *
 * HTK mel scale: mel(f) = 2595 log10(1 + f / 700). Octaves: octs(f) = log2(f / (A440 / 16)),
 * A440 = 440 · 2^(tuning / bins_per_octave). FFT bin k has centre frequency k · sr / n_fft.
 */

const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOGSTEP = Math.log(6.4) / 27;

export function hzToMel(f: number, htk = false): number {
  if (htk) return 2595 * Math.log10(1 + f / 700);
  return f >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(f / MIN_LOG_HZ) / LOGSTEP : f / F_SP;
}

export function melToHz(m: number, htk = false): number {
  if (htk) return 700 * (10 ** (m / 2595) - 1);
  return m >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOGSTEP * (m - MIN_LOG_MEL)) : F_SP * m;
}

/** `numpy.linspace(start, stop, num, endpoint)`, computed as numpy does: i · step + start. */
export function linspace(start: number, stop: number, num: number, endpoint = true): Float64Array {
  const out = new Float64Array(num);
  const div = endpoint ? num - 1 : num;
  const step = (stop - start) / div;
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (endpoint && num > 1) out[num - 1] = stop;
  return out;
}

/** `librosa.mel_frequencies`: n_mels frequencies evenly spaced on the mel scale from fmin to fmax. */
export function melFrequencies(nMels: number, fmin: number, fmax: number, htk = false): Float64Array {
  const mels = linspace(hzToMel(fmin, htk), hzToMel(fmax, htk), nMels);
  return mels.map((m) => melToHz(m, htk));
}

/** `librosa.fft_frequencies` (`numpy.fft.rfftfreq(n_fft, 1/sr)`): k · sr / n_fft, k = 0..n_fft/2. */
export function fftFrequencies(sr: number, nFft: number): Float64Array {
  const val = 1.0 / (nFft * (1.0 / sr));
  const out = new Float64Array(Math.floor(nFft / 2) + 1);
  for (let k = 0; k < out.length; k++) out[k] = k * val;
  return out;
}

/** `librosa.hz_to_octs`: log2(f / (A440 / 16)) with A440 = 440 · 2^(tuning / bins_per_octave). */
export function hzToOcts(f: number, tuning = 0, binsPerOctave = 12): number {
  const a440 = 440.0 * 2.0 ** (tuning / binsPerOctave);
  return Math.log2(f / (a440 / 16));
}

/** `numpy.round` / `numpy.rint`: round half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `numpy.finfo(float32).tiny`: librosa's threshold below which a norm counts as zero. */
export const FLOAT32_TINY = 1.1754943508222875e-38;
/** `numpy.finfo(float64).tiny`. */
export const FLOAT64_TINY = 2.2250738585072014e-308;
