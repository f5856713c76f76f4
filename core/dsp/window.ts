/**
 * Analysis windows, as `scipy.signal.get_window(name, n, fftbins=True)` makes them: periodic (the
 * symmetric window of n+1 points without its last point), which is what librosa uses.
 *
 *     hann[n]     = 0.5  - 0.5  cos(2πn/N)
 *     hamming[n]  = 0.54 - 0.46 cos(2πn/N)
 *     blackman[n] = 0.42 - 0.5  cos(2πn/N) + 0.08 cos(4πn/N)
 *     boxcar[n]   = 1
 *
 * with N = n_points for a periodic window and N = n_points - 1 for a symmetric one.
 */

export const WINDOW_NAMES = ["hann", "hamming", "blackman", "boxcar"] as const;
export type WindowName = (typeof WINDOW_NAMES)[number];

export function getWindow(name: WindowName, length: number, periodic = true): Float64Array {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`getWindow: length must be a positive integer, got ${length}`);
  const w = new Float64Array(length);
  const denom = periodic ? length : length - 1;
  if (denom === 0 || name === "boxcar") return w.fill(1);
  for (let n = 0; n < length; n++) {
    const x = (2 * Math.PI * n) / denom;
    if (name === "hann") w[n] = 0.5 - 0.5 * Math.cos(x);
    else if (name === "hamming") w[n] = 0.54 - 0.46 * Math.cos(x);
    else w[n] = 0.42 - 0.5 * Math.cos(x) + 0.08 * Math.cos(2 * x);
  }
  return w;
}

/**
 * `librosa.util.pad_center`: put `w` in the middle of `size` zeros (left pad (size - len)/2,
 * rounded down), as `stft` does when `win_length < n_fft`.
 */
export function padCenter(w: Float64Array, size: number): Float64Array {
  if (w.length > size) throw new RangeError(`padCenter: window of ${w.length} is longer than ${size}`);
  const out = new Float64Array(size);
  out.set(w, Math.floor((size - w.length) / 2));
  return out;
}
