/**
 * FFT convolution for the resampler's long FIR filters: overlap-save with a radix-2 complex FFT that
 * filters two real blocks at once (one as the real part, one as the imaginary part: the filter is
 * real, so the two results come back separated in the real and imaginary parts).
 *
 *   y[t] = Σ_i h[i] · x[t·step + c − i],  c = (h.length − 1) / 2,  x = 0 outside [0, x.length)
 *
 * i.e. the filter is applied centred (no delay), as libsoxr's delay-compensated stages apply it.
 */

interface FftTables {
  readonly n: number;
  readonly cos: Float64Array;
  readonly sin: Float64Array;
  readonly rev: Uint32Array;
}

const tables = new Map<number, FftTables>();

function fftTables(n: number): FftTables {
  let t = tables.get(n);
  if (!t) {
    const cos = new Float64Array(n / 2);
    const sin = new Float64Array(n / 2);
    for (let i = 0; i < n / 2; i++) {
      cos[i] = Math.cos((2 * Math.PI * i) / n);
      sin[i] = -Math.sin((2 * Math.PI * i) / n);
    }
    const rev = new Uint32Array(n);
    const bits = Math.log2(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
      rev[i] = r;
    }
    t = { n, cos, sin, rev };
    tables.set(n, t);
  }
  return t;
}

/** In-place forward DFT (sign −) of (re, im); `inverse` conjugates the twiddles (no 1/n scaling). */
function fft(re: Float64Array, im: Float64Array, t: FftTables, inverse: boolean): void {
  const { n, cos, sin, rev } = t;
  for (let i = 0; i < n; i++) {
    const j = rev[i];
    if (j > i) {
      let tmp = re[i];
      re[i] = re[j];
      re[j] = tmp;
      tmp = im[i];
      im[i] = im[j];
      im[j] = tmp;
    }
  }
  const sign = inverse ? -1 : 1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >>> 1;
    const stride = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0, w = 0; k < half; k++, w += stride) {
        const wr = cos[w];
        const wi = sign * sin[w];
        const a = start + k;
        const b = a + half;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

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
  const n = Math.max(1024, nextPow2(4 * k));
  const valid = n - k + 1;
  const t = fftTables(n);

  // Filter spectrum, scaled by 1/n for the unscaled inverse transform.
  const hr = new Float64Array(n);
  const hi = new Float64Array(n);
  for (let i = 0; i < k; i++) hr[i] = h[i] / n;
  fft(hr, hi, t, false);

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
    fft(re, im, t, false);
    for (let i = 0; i < n; i++) {
      const a = re[i];
      const bb = im[i];
      re[i] = a * hr[i] - bb * hi[i];
      im[i] = a * hi[i] + bb * hr[i];
    }
    fft(re, im, t, true);
    store(re, u0);
    if (u1 - c < full) store(im, u1);
  }
  return out;
}
