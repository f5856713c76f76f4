/**
 * Fast Fourier transforms on split real/imaginary `Float64Array`s, for power-of-two sizes.
 *
 *     X[k] = sum_{n=0}^{N-1} x[n] * exp(-2πi k n / N)
 *
 * `ComplexFFT` is an iterative decimation-in-time FFT whose stages are fused in pairs (radix-2²:
 * two radix-2 stages per pass over the data, one radix-2 pass first when log2 N is odd), with
 * per-pass contiguous twiddle tables. `RealFFT` computes the N-point transform of real input with one
 * N/2-point complex FFT (even samples as real part, odd samples as imaginary part) and a split step:
 *
 *     Z = FFT_{N/2}(x[2n] + i x[2n+1])
 *     X[k] = (Z[k] + conj Z[N/2-k]) / 2 + exp(-2πik/N) (Z[k] - conj Z[N/2-k]) / 2i,   k = 0..N/2
 *
 * Plans hold only typed arrays; `transform` allocates nothing.
 */

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/** The smallest power of two >= n. */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function checkSize(n: number, what: string): void {
  if (!isPowerOfTwo(n)) throw new RangeError(`${what}: size ${n} is not a power of two`);
}

/** In-place complex FFT of a fixed power-of-two size. */
export class ComplexFFT {
  readonly n: number;
  /** `bitReversed[i]` is where input sample i goes before the butterflies. */
  readonly bitReversed: Uint32Array;
  // Per radix-2² pass with half-width h: w1 = W_{4h}^j and w2 = W_{4h}^{2j}, j < h, interleaved
  // as [w1re, w1im, w2re, w2im] per j, passes concatenated.
  readonly #twiddles: Float64Array;
  readonly #firstH: number;

  constructor(n: number) {
    checkSize(n, "ComplexFFT");
    this.n = n;
    const bits = Math.round(Math.log2(n));
    this.bitReversed = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0, v = i; b < bits; b++, v >>= 1) r = (r << 1) | (v & 1);
      this.bitReversed[i] = r;
    }
    this.#firstH = bits % 2 === 1 ? 2 : 1;
    let total = 0;
    for (let h = this.#firstH; 4 * h <= n; h *= 4) total += 4 * h;
    this.#twiddles = new Float64Array(total);
    let o = 0;
    for (let h = this.#firstH; 4 * h <= n; h *= 4) {
      for (let j = 0; j < h; j++) {
        const a = (-2 * Math.PI * j) / (4 * h);
        this.#twiddles[o++] = Math.cos(a);
        this.#twiddles[o++] = Math.sin(a);
        this.#twiddles[o++] = Math.cos(2 * a);
        this.#twiddles[o++] = Math.sin(2 * a);
      }
    }
  }

  /** Forward transform of (re, im), in place. */
  transform(re: Float64Array, im: Float64Array): void {
    const { n, bitReversed } = this;
    for (let i = 0; i < n; i++) {
      const j = bitReversed[i];
      if (j > i) {
        let t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    this.butterflies(re, im);
  }

  /** Inverse transform (with the 1/N factor), in place: conj(FFT(conj x)) / N. */
  inverse(re: Float64Array, im: Float64Array): void {
    const n = this.n;
    for (let i = 0; i < n; i++) im[i] = -im[i];
    this.transform(re, im);
    const s = 1 / n;
    for (let i = 0; i < n; i++) {
      re[i] *= s;
      im[i] = -im[i] * s;
    }
  }

  /** True when the first pass is a radix-2² pass with unit twiddles (log2 n even, n >= 4). */
  get firstPassIsRadix4(): boolean {
    return this.#firstH === 1 && this.n >= 4;
  }

  /**
   * The butterfly passes alone, for input already in bit-reversed order (see `bitReversed`).
   * `skipFirst`: the caller has already done the first radix-2² pass (see `firstPassIsRadix4`).
   */
  butterflies(re: Float64Array, im: Float64Array, skipFirst = false): void {
    const n = this.n;
    if (n === 1) return;
    if (this.#firstH === 2) {
      for (let i = 0; i < n; i += 2) {
        const ar = re[i], ai = im[i], br = re[i + 1], bi = im[i + 1];
        re[i] = ar + br;
        im[i] = ai + bi;
        re[i + 1] = ar - br;
        im[i + 1] = ai - bi;
      }
    }
    const tw = this.#twiddles;
    let o = 0;
    let h = this.#firstH;
    if (h === 1 && n >= 4) {
      // First radix-2² pass: all twiddles are 1.
      for (let b = 0; b < n && !skipFirst; b += 4) {
        const x0r = re[b], x0i = im[b], x1r = re[b + 1], x1i = im[b + 1];
        const x2r = re[b + 2], x2i = im[b + 2], x3r = re[b + 3], x3i = im[b + 3];
        const y0r = x0r + x1r, y0i = x0i + x1i, y1r = x0r - x1r, y1i = x0i - x1i;
        const y2r = x2r + x3r, y2i = x2i + x3i, y3r = x2r - x3r, y3i = x2i - x3i;
        re[b] = y0r + y2r;
        im[b] = y0i + y2i;
        re[b + 2] = y0r - y2r;
        im[b + 2] = y0i - y2i;
        re[b + 1] = y1r + y3i;
        im[b + 1] = y1i - y3r;
        re[b + 3] = y1r - y3i;
        im[b + 3] = y1i + y3r;
      }
      o += 4;
      h = 4;
    }
    for (; 4 * h <= n; h *= 4) {
      const span = 4 * h;
      for (let b = 0; b < n; b += span) {
        let t = o;
        for (let j = 0; j < h; j++, t += 4) {
          const w1r = tw[t], w1i = tw[t + 1], w2r = tw[t + 2], w2i = tw[t + 3];
          const i0 = b + j, i1 = i0 + h, i2 = i1 + h, i3 = i2 + h;
          const x0r = re[i0], x0i = im[i0];
          const x1r = re[i1], x1i = im[i1];
          const x2r = re[i2], x2i = im[i2];
          const x3r = re[i3], x3i = im[i3];
          // Stage h: (i0, i1) and (i2, i3) with twiddle w2 = W_{2h}^j.
          const t1r = x1r * w2r - x1i * w2i, t1i = x1r * w2i + x1i * w2r;
          const t3r = x3r * w2r - x3i * w2i, t3i = x3r * w2i + x3i * w2r;
          const y0r = x0r + t1r, y0i = x0i + t1i, y1r = x0r - t1r, y1i = x0i - t1i;
          const y2r = x2r + t3r, y2i = x2i + t3i, y3r = x2r - t3r, y3i = x2i - t3i;
          // Stage 2h: (i0, i2) with w1 = W_{4h}^j, (i1, i3) with W_{4h}^{j+h} = -i w1.
          const u2r = y2r * w1r - y2i * w1i, u2i = y2r * w1i + y2i * w1r;
          const u3r = y3r * w1r - y3i * w1i, u3i = y3r * w1i + y3i * w1r;
          re[i0] = y0r + u2r;
          im[i0] = y0i + u2i;
          re[i2] = y0r - u2r;
          im[i2] = y0i - u2i;
          re[i1] = y1r + u3i;
          im[i1] = y1i - u3r;
          re[i3] = y1r - u3i;
          im[i3] = y1i + u3r;
        }
      }
      o += span;
    }
  }
}

/** Real-input FFT of a fixed power-of-two size N >= 2, returning bins 0..N/2. */
export class RealFFT implements RealPowerTransform {
  readonly n: number;
  readonly half: ComplexFFT;
  readonly #re: Float64Array;
  readonly #im: Float64Array;
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;

  constructor(n: number) {
    checkSize(n, "RealFFT");
    if (n < 2) throw new RangeError("RealFFT: size must be at least 2");
    this.n = n;
    const m = n / 2;
    this.half = new ComplexFFT(m);
    this.#re = new Float64Array(m);
    this.#im = new Float64Array(m);
    this.#cos = new Float64Array(m + 1);
    this.#sin = new Float64Array(m + 1);
    for (let k = 0; k <= m; k++) {
      this.#cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.#sin[k] = -Math.sin((2 * Math.PI * k) / n);
    }
  }

  /**
   * Load `x` (N samples, optionally multiplied by `window`) into the internal half-size buffer in
   * bit-reversed order. Reads `x[offset + i]`; samples outside [0, x.length) count as 0.
   */
  #load(x: ArrayLike<number>, offset: number, window: Float64Array | null): boolean {
    const m = this.n / 2;
    if (window && offset >= 0 && offset + this.n <= x.length && this.half.firstPassIsRadix4) {
      this.#loadFirstPass(x, offset, window);
      return true;
    }
    const rev = this.half.bitReversed;
    const re = this.#re, im = this.#im;
    const len = x.length;
    if (offset >= 0 && offset + this.n <= len) {
      if (window) {
        for (let i = 0; i < m; i++) {
          const r = rev[i];
          re[r] = x[offset + 2 * i] * window[2 * i];
          im[r] = x[offset + 2 * i + 1] * window[2 * i + 1];
        }
      } else {
        for (let i = 0; i < m; i++) {
          const r = rev[i];
          re[r] = x[offset + 2 * i];
          im[r] = x[offset + 2 * i + 1];
        }
      }
      return false;
    }
    for (let i = 0; i < m; i++) {
      const a = offset + 2 * i, b = a + 1;
      const va = a >= 0 && a < len ? x[a] : 0;
      const vb = b >= 0 && b < len ? x[b] : 0;
      const r = rev[i];
      re[r] = window ? va * window[2 * i] : va;
      im[r] = window ? vb * window[2 * i + 1] : vb;
    }
    return false;
  }

  /**
   * Windowed load fused with the first radix-2² pass: output block b..b+3 (bit-reversed order) takes
   * the complex samples rev[b..b+3], so they go through the 4-point butterfly on the way in.
   */
  #loadFirstPass(x: ArrayLike<number>, o: number, w: Float64Array): void {
    const m = this.n / 2;
    const rev = this.half.bitReversed;
    const re = this.#re, im = this.#im;
    for (let b = 0; b < m; b += 4) {
      const j0 = 2 * rev[b], j1 = 2 * rev[b + 1], j2 = 2 * rev[b + 2], j3 = 2 * rev[b + 3];
      const x0r = x[o + j0] * w[j0], x0i = x[o + j0 + 1] * w[j0 + 1];
      const x1r = x[o + j1] * w[j1], x1i = x[o + j1 + 1] * w[j1 + 1];
      const x2r = x[o + j2] * w[j2], x2i = x[o + j2 + 1] * w[j2 + 1];
      const x3r = x[o + j3] * w[j3], x3i = x[o + j3 + 1] * w[j3 + 1];
      const y0r = x0r + x1r, y0i = x0i + x1i, y1r = x0r - x1r, y1i = x0i - x1i;
      const y2r = x2r + x3r, y2i = x2i + x3i, y3r = x2r - x3r, y3i = x2i - x3i;
      re[b] = y0r + y2r;
      im[b] = y0i + y2i;
      re[b + 2] = y0r - y2r;
      im[b + 2] = y0i - y2i;
      re[b + 1] = y1r + y3i;
      im[b + 1] = y1i - y3r;
      re[b + 3] = y1r - y3i;
      im[b + 3] = y1i + y3r;
    }
  }

  /**
   * Transform N real samples `x[offset..offset+N)` (times `window` if given); write Re X[k] and
   * Im X[k], k = 0..N/2, to `outRe`, `outIm` (length >= N/2+1).
   */
  forward(
    x: ArrayLike<number>,
    outRe: Float64Array,
    outIm: Float64Array,
    offset = 0,
    window: Float64Array | null = null,
  ): void {
    this.half.butterflies(this.#re, this.#im, this.#load(x, offset, window));
    const m = this.n / 2;
    const zr = this.#re, zi = this.#im, c = this.#cos, s = this.#sin;
    outRe[0] = zr[0] + zi[0];
    outIm[0] = 0;
    outRe[m] = zr[0] - zi[0];
    outIm[m] = 0;
    for (let k = 1; k <= m >> 1; k++) {
      const j = m - k;
      const ar = zr[k], ai = zi[k], br = zr[j], bi = zi[j];
      // E = (Z[k] + conj Z[j]) / 2, O = (Z[k] - conj Z[j]) / 2i
      const er = 0.5 * (ar + br), ei = 0.5 * (ai - bi);
      const or = 0.5 * (ai + bi), oi = -0.5 * (ar - br);
      // X[k] = E + W^k O; X[j] = conj(E) + W^j conj(O), with W^j = -conj(W^k)
      const wr = c[k], wi = s[k];
      const tr = or * wr - oi * wi, ti = or * wi + oi * wr;
      outRe[k] = er + tr;
      outIm[k] = ei + ti;
      outRe[j] = er - tr;
      outIm[j] = ti - ei;
    }
  }

  /** |X[k]|², k = 0..N/2, of N real samples (times `window`), written to `out[outOffset + k]`. */
  powerSpectrum(
    x: ArrayLike<number>,
    out: Float64Array | Float32Array,
    offset = 0,
    window: Float64Array | null = null,
    outOffset = 0,
  ): void {
    this.half.butterflies(this.#re, this.#im, this.#load(x, offset, window));
    const m = this.n / 2;
    const zr = this.#re, zi = this.#im, c = this.#cos, s = this.#sin;
    const dc = zr[0] + zi[0], ny = zr[0] - zi[0];
    const o = outOffset;
    out[o] = dc * dc;
    out[o + m] = ny * ny;
    for (let k = 1; k <= m >> 1; k++) {
      const j = m - k;
      const ar = zr[k], ai = zi[k], br = zr[j], bi = zi[j];
      const er = 0.5 * (ar + br), ei = 0.5 * (ai - bi);
      const or = 0.5 * (ai + bi), oi = -0.5 * (ar - br);
      const wr = c[k], wi = s[k];
      const tr = or * wr - oi * wi, ti = or * wi + oi * wr;
      const xr = er + tr, xi = ei + ti, yr = er - tr, yi = ti - ei;
      out[o + k] = xr * xr + xi * xi;
      out[o + j] = yr * yr + yi * yi;
    }
  }
}

/** What the STFT needs from a real FFT of size N: |X[k]|², k = 0..floor(N/2). */
export interface RealPowerTransform {
  readonly n: number;
  powerSpectrum(
    x: ArrayLike<number>,
    out: Float64Array | Float32Array,
    offset?: number,
    window?: Float64Array | null,
    outOffset?: number,
  ): void;
}

/**
 * Real FFT of any size N by Bluestein's chirp-z identity, nk = (n² + k² - (k - n)²) / 2:
 *
 *     X[k] = conj(w_k) · sum_n (x[n] conj(w_n)) w_{k-n},   w_j = exp(iπ j² / N)
 *
 * a convolution done with power-of-two FFTs of size M >= 2N - 1. Slower than `RealFFT` (two M-point
 * transforms per call), for the n_fft values that are not powers of two.
 */
export class BluesteinRealFFT implements RealPowerTransform {
  readonly n: number;
  readonly #m: number;
  readonly #fft: ComplexFFT;
  readonly #wr: Float64Array;
  readonly #wi: Float64Array;
  readonly #br: Float64Array;
  readonly #bi: Float64Array;
  readonly #re: Float64Array;
  readonly #im: Float64Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`BluesteinRealFFT: size ${n} must be a positive integer`);
    this.n = n;
    const m = nextPowerOfTwo(2 * n - 1);
    this.#m = m;
    this.#fft = new ComplexFFT(m);
    this.#wr = new Float64Array(n);
    this.#wi = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      // j² mod 2N keeps the angle exact for large j
      const a = (Math.PI * ((j * j) % (2 * n))) / n;
      this.#wr[j] = Math.cos(a);
      this.#wi[j] = Math.sin(a);
    }
    this.#br = new Float64Array(m);
    this.#bi = new Float64Array(m);
    for (let j = 0; j < n; j++) {
      this.#br[j] = this.#wr[j];
      this.#bi[j] = this.#wi[j];
      if (j > 0) {
        this.#br[m - j] = this.#wr[j];
        this.#bi[m - j] = this.#wi[j];
      }
    }
    this.#fft.transform(this.#br, this.#bi);
    this.#re = new Float64Array(m);
    this.#im = new Float64Array(m);
  }

  powerSpectrum(x: ArrayLike<number>, out: Float64Array | Float32Array, offset = 0, window: Float64Array | null = null, outOffset = 0): void {
    const { n } = this;
    const m = this.#m;
    const re = this.#re, im = this.#im, wr = this.#wr, wi = this.#wi;
    re.fill(0);
    im.fill(0);
    for (let j = 0; j < n; j++) {
      const i = offset + j;
      const v = i >= 0 && i < x.length ? (window ? x[i] * window[j] : x[i]) : 0;
      re[j] = v * wr[j];
      im[j] = -v * wi[j];
    }
    this.#fft.transform(re, im);
    const br = this.#br, bi = this.#bi;
    for (let k = 0; k < m; k++) {
      const ar = re[k], ai = im[k];
      re[k] = ar * br[k] - ai * bi[k];
      im[k] = ar * bi[k] + ai * br[k];
    }
    this.#fft.inverse(re, im);
    // |conj(w_k) c_k| = |c_k|
    const half = Math.floor(n / 2);
    for (let k = 0; k <= half; k++) out[outOffset + k] = re[k] * re[k] + im[k] * im[k];
  }
}

/** The fastest real power transform for size n: `RealFFT` for powers of two, Bluestein otherwise. */
export function realPowerTransform(n: number): RealPowerTransform {
  return isPowerOfTwo(n) && n >= 2 ? new RealFFT(n) : new BluesteinRealFFT(n);
}
