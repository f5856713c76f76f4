/**
 * Autocorrelation tempogram, `librosa.feature.tempogram`: for each frame t of an onset envelope o,
 *
 *     x_t[i]    = w[i] · ô[t + i],  i = 0..W-1     (w: periodic window of W = win_length, Hann by default)
 *     ac_t[l]   = sum_i x_t[i] · x_t[i + l],       l = 0..W-1
 *     tg[l, t]  = ac_t[l] / max_l |ac_t[l]|        (norm=inf; all-zero frames stay 0)
 *
 * where ô is o padded by W/2 on each side with `numpy.pad(mode='linear_ramp', end_values=0)` (ramps
 * from 0 to the edge value) when centred.
 *
 * librosa computes each ac_t by FFT. Here, with frames one sample apart, each lag is done for all frames
 * at once: the window is a cosine sum w[i] = sum_a c_a cos(aθi) (θ = 2π/W), so
 *
 *     w[i] w[i+l] = sum_m α_m(l) cos(mθi) + β_m(l) sin(mθi),   m = 0..2A
 *
 * and ac_t[l] = sum_m α_m C_m + β_m S_m with C_m + i S_m = e^{-imθt} (Q_m[t+W-l] - Q_m[t]), Q_m the prefix
 * sums of o[n] o[n+l] e^{imθn}. That is O(W · frames) instead of an FFT pair per frame. Frames whose
 * energy is tiny next to the running sums (silence, the edges of a silent stretch) are computed
 * directly, so they keep full precision and all-zero frames come out exactly 0.
 *
 * Output: lag-major float64 (win_length x frames), librosa's layout.
 */
import { FLOAT64_TINY, linspace } from "./convert.ts";
import type { WindowName } from "./window.ts";

export interface TempogramOptions {
  readonly winLength?: number;
  readonly center?: boolean;
  readonly window?: WindowName;
  /** Per-frame normalisation: Infinity (max), a p-norm, or null for none. */
  readonly norm?: number | null;
}

/** A tempogram: `data[l * nFrames + t]` is lag l of frame t. */
export interface Tempogram {
  readonly data: Float64Array;
  readonly nLags: number;
  readonly nFrames: number;
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

/** Coefficients c_a of a periodic window written as sum_a c_a cos(2π a i / W) (scipy's cosine windows). */
const COSINE_SUMS: Record<WindowName, readonly number[]> = {
  hann: [0.5, -0.5],
  hamming: [0.54, -0.46],
  blackman: [0.42, -0.5, 0.08],
  boxcar: [1],
};

/** Share of the running sums below which a frame is recomputed directly. */
const DIRECT_BELOW = 1e-7;

export function tempogram(onset: Float32Array, o: TempogramOptions = {}): Tempogram {
  const W = o.winLength ?? 384;
  const center = o.center ?? true;
  const norm = o.norm === undefined ? Infinity : o.norm;
  if (!Number.isInteger(W) || W < 1) throw new RangeError(`tempogram: win_length=${W} must be a positive integer`);
  const n = onset.length;
  const padded = Float64Array.from(center ? padLinearRamp(onset, Math.floor(W / 2)) : onset);
  const T = center ? n : n - W + 1;
  if (T < 0) throw new RangeError(`tempogram: onset envelope of ${n} frames is shorter than win_length=${W} with center=false`);
  const L = padded.length;
  const coeffs = COSINE_SUMS[o.window ?? "hann"];
  const A = coeffs.length - 1;
  const M = 2 * A;
  const theta = (2 * Math.PI) / W;
  const cosT = new Float64Array(W), sinT = new Float64Array(W);
  for (let k = 0; k < W; k++) {
    cosT[k] = Math.cos(theta * k);
    sinT[k] = Math.sin(theta * k);
  }
  const out = new Float64Array(W * T);
  // Prefix sums: q0[n] and, per m = 1..M, qc[m][n], qs[m][n].
  const q0 = new Float64Array(L + 1);
  const qc: Float64Array[] = [], qs: Float64Array[] = [];
  for (let m = 0; m <= Math.max(M, 2); m++) {
    qc.push(new Float64Array(L + 1));
    qs.push(new Float64Array(L + 1));
  }
  const alpha = new Float64Array(Math.max(M, 2) + 1), beta = new Float64Array(Math.max(M, 2) + 1);
  // Frames to compute directly: tiny energy next to the lag-0 running sum.
  const direct = new Uint8Array(T);
  for (let l = 0; l < W; l++) {
    // w[i] w[i+l] = sum_{a,b} c_a c_b cos(aθi) cos(bθ(i+l)) = sum_m α_m cos(mθi) + β_m sin(mθi)
    alpha.fill(0);
    beta.fill(0);
    for (let a = 0; a <= A; a++) {
      for (let b = 0; b <= A; b++) {
        const coef = 0.5 * coeffs[a] * coeffs[b];
        const phi = b * theta * l;
        for (const [k, ph] of [[a - b, -phi], [a + b, phi]] as const) {
          const kk = Math.abs(k), p = k >= 0 ? ph : -ph;
          alpha[kk] += coef * Math.cos(p);
          if (kk > 0) beta[kk] -= coef * Math.sin(p);
        }
      }
    }
    const end = L - l;
    const span = W - l;
    const row = l * T;
    if (M <= 2) lagCosineSum2(padded, l, end, span, T, W, cosT, sinT, alpha, beta, q0, qc[1], qs[1], qc[2], qs[2], out, row);
    else lagCosineSum(padded, l, end, span, T, W, M, cosT, sinT, alpha, beta, q0, qc, qs, out, row);
    if (l === 0) {
      for (let t = 0; t < T; t++) if (!(out[t] > DIRECT_BELOW * q0[t + W])) direct[t] = 1;
    }
  }
  const win = new Float64Array(W);
  for (let i = 0; i < W; i++) for (let a = 0; a <= A; a++) win[i] += coeffs[a] * cosT[(a * i) % W];
  const x = new Float64Array(W);
  for (let t = 0; t < T; t++) {
    if (!direct[t]) continue;
    for (let i = 0; i < W; i++) x[i] = win[i] * padded[t + i];
    for (let l = 0; l < W; l++) {
      let ac = 0;
      for (let i = 0; i + l < W; i++) ac += x[i] * x[i + l];
      out[l * T + t] = ac;
    }
  }
  if (norm !== null) normalizeColumns(out, W, T, norm);
  return { data: out, nLags: W, nFrames: T };
}

/** One lag for every frame, for windows with at most two cosine terms (Hann, Hamming, boxcar). */
function lagCosineSum2(
  x: Float64Array, l: number, end: number, span: number, T: number, W: number,
  cosT: Float64Array, sinT: Float64Array, alpha: Float64Array, beta: Float64Array,
  q0: Float64Array, qc1: Float64Array, qs1: Float64Array, qc2: Float64Array, qs2: Float64Array,
  out: Float64Array, row: number,
): void {
  let s0 = 0, c1 = 0, s1 = 0, c2 = 0, s2 = 0;
  for (let i = 0, i1 = 0, i2 = 0; i < end; i++) {
    const q = x[i] * x[i + l];
    s0 += q;
    c1 += q * cosT[i1];
    s1 += q * sinT[i1];
    c2 += q * cosT[i2];
    s2 += q * sinT[i2];
    q0[i + 1] = s0;
    qc1[i + 1] = c1;
    qs1[i + 1] = s1;
    qc2[i + 1] = c2;
    qs2[i + 1] = s2;
    if (++i1 === W) i1 = 0;
    i2 += 2;
    if (i2 >= W) i2 -= W;
  }
  const a0 = alpha[0], a1 = alpha[1], b1 = beta[1], a2 = alpha[2] ?? 0, b2 = beta[2] ?? 0;
  for (let t = 0, j1 = 0, j2 = 0; t < T; t++) {
    const b = t + span;
    const dC1 = qc1[b] - qc1[t], dS1 = qs1[b] - qs1[t];
    const dC2 = qc2[b] - qc2[t], dS2 = qs2[b] - qs2[t];
    const ct1 = cosT[j1], st1 = sinT[j1], ct2 = cosT[j2], st2 = sinT[j2];
    out[row + t] =
      a0 * (q0[b] - q0[t]) +
      a1 * (dC1 * ct1 + dS1 * st1) + b1 * (dS1 * ct1 - dC1 * st1) +
      a2 * (dC2 * ct2 + dS2 * st2) + b2 * (dS2 * ct2 - dC2 * st2);
    if (++j1 === W) j1 = 0;
    j2 += 2;
    if (j2 >= W) j2 -= W;
  }
}

/** One lag for every frame, any number of cosine terms. */
function lagCosineSum(
  x: Float64Array, l: number, end: number, span: number, T: number, W: number, M: number,
  cosT: Float64Array, sinT: Float64Array, alpha: Float64Array, beta: Float64Array,
  q0: Float64Array, qc: Float64Array[], qs: Float64Array[], out: Float64Array, row: number,
): void {
  for (let i = 0; i < end; i++) q0[i + 1] = q0[i] + x[i] * x[i + l];
  for (let m = 1; m <= M; m++) {
    const c = qc[m], s = qs[m];
    for (let i = 0, idx = 0; i < end; i++) {
      const q = x[i] * x[i + l];
      c[i + 1] = c[i] + q * cosT[idx];
      s[i + 1] = s[i] + q * sinT[idx];
      idx += m;
      if (idx >= W) idx -= W;
    }
  }
  for (let t = 0; t < T; t++) {
    const b = t + span;
    let ac = alpha[0] * (q0[b] - q0[t]);
    for (let m = 1; m <= M; m++) {
      const idx = (m * t) % W;
      const ct = cosT[idx], st = sinT[idx];
      const dC = qc[m][b] - qc[m][t], dS = qs[m][b] - qs[m][t];
      // C + iS = e^{-imθt}(dC + i dS)
      ac += alpha[m] * (dC * ct + dS * st) + beta[m] * (dS * ct - dC * st);
    }
    out[row + t] = ac;
  }
}

/** Divide each frame (column) by its norm; norms below float64 tiny leave the frame as it is. */
function normalizeColumns(data: Float64Array, W: number, T: number, norm: number): void {
  const len = new Float64Array(T);
  for (let l = 0; l < W; l++) {
    const row = l * T;
    if (norm === Infinity) for (let t = 0; t < T; t++) len[t] = Math.max(len[t], Math.abs(data[row + t]));
    else for (let t = 0; t < T; t++) len[t] += Math.abs(data[row + t]) ** norm;
  }
  for (let t = 0; t < T; t++) {
    if (norm !== Infinity) len[t] **= 1 / norm;
    len[t] = len[t] < FLOAT64_TINY ? 1 : 1 / len[t];
  }
  for (let l = 0; l < W; l++) {
    const row = l * T;
    for (let t = 0; t < T; t++) data[row + t] *= len[t];
  }
}
