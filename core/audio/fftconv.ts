/**
 * FFT convolution for the resampler's long FIR filters: overlap-save with a radix-2 complex FFT that
 * filters two real blocks at once (one as the real part, one as the imaginary part: the filter is
 * real, so the two results come back separated in the real and imaginary parts).
 *
 *   y[t] = Σ_i h[i] · x[t·step + c − i],  c = (h.length − 1) / 2,  x = 0 outside [0, x.length)
 *
 * i.e. the filter is applied centred (no delay), as libsoxr's delay-compensated stages apply it.
 */
import { ComplexFFT, nextPowerOfTwo } from "../dsp/fft.ts";

/**
 * `outLength` samples of the centred convolution of `x` with the odd-length filter `h`, keeping every
 * `step`-th sample (y[t] = Σ_i h[i]·x[t·step + c − i]).
 */
export function convolveCentered(
  x: ArrayLike<number>,
  h: Float64Array,
  outLength: number,
  step = 1,
): Float32Array {
  const k = h.length;
  const c = (k - 1) >> 1;
  const full = (outLength - 1) * step + 1; // samples of the undecimated output needed
  const n = Math.max(1024, nextPowerOfTwo(4 * k));
  const valid = n - k + 1;
  const plan = new ComplexFFT(n);

  // Filter spectrum.
  const hr = new Float64Array(n);
  const hi = new Float64Array(n);
  for (let i = 0; i < k; i++) hr[i] = h[i];
  plan.transform(hr, hi);

  const out = new Float32Array(outLength);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const xLen = x.length;
  // Causal output z[u] = Σ_i h[i] x[u − i]; we need z[c + s] for s in [0, full).
  // Block b covers u in [u0, u0 + valid), u0 = c + b·valid, and reads x[u0 − k + 1 .. u0 + valid − 1].
  const fill = (buf: Float64Array, u0: number): void => {
    const from = u0 - k + 1;
    for (let i = 0; i < n; i++) {
      const src = from + i;
      buf[i] = src >= 0 && src < xLen ? x[src] : 0;
    }
  };
  const store = (buf: Float64Array, u0: number): void => {
    // buf[k − 1 + j] = z[u0 + j] for j in [0, valid)
    const s0 = u0 - c;
    for (let j = 0; j < valid; j++) {
      const s = s0 + j;
      if (s >= full) break;
      if (s % step === 0) out[s / step] = buf[k - 1 + j];
    }
  };
  for (let b = 0; b * valid < full; b += 2) {
    const u0 = c + b * valid;
    const u1 = u0 + valid;
    fill(re, u0);
    if (u1 - c < full) fill(im, u1);
    else im.fill(0);
    plan.transform(re, im);
    for (let i = 0; i < n; i++) {
      const a = re[i];
      const bb = im[i];
      re[i] = a * hr[i] - bb * hi[i];
      im[i] = a * hi[i] + bb * hr[i];
    }
    plan.inverse(re, im);
    store(re, u0);
    if (u1 - c < full) store(im, u1);
  }
  return out;
}
