/**
 * libsoxr's constant-rate resampler (0.1.3, the one python-soxr and so `librosa.resample(...,
 * res_type='soxr_hq')` run), re-implemented so that clave's samples equal librosa's.
 *
 * libsoxr plans a cascade of stages from the I/O ratio and the quality recipe (`_soxr_init` in cr.c):
 * half-band decimators (for ratios ≥ 4), a "pre" FIR stage (rational L/M, FFT-filtered), an "arb"
 * poly-phase stage (rational, or with interpolated coefficients for irrational ratios) and a "post"
 * FIR stage. Every filter is a Kaiser-windowed sinc designed at run time (`lsx_design_lpf` in
 * filter.c); every stage is delay-compensated, the input is zero before its start and after its end
 * (the flush), and the output is the first round(n · out/in) samples. This module plans the same
 * cascade with the same arithmetic and applies each stage as the exact convolution it computes, in
 * float64 (libsoxr runs in float32 on float32 input: the two agree to ~1e-7).
 *
 * Only the linear-phase recipes are ported (librosa's soxr_* res_types all are).
 */

import { convolveCentered } from "./fftconv.ts";

const MULT32 = 65536 * 65536;
const U100_L = 42;
const LQ_BW0 = 1385 / 2048;

const linearToDb = (x: number): number => Math.log10(x) * 20;
const rangeLimit = (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi);
const trunc = Math.trunc;

// ------------------------------------------------------------------------------------ filter design

/** Modified Bessel function of the first kind, order 0 (power series, as `lsx_bessel_I_0`). */
export function besselI0(x: number): number {
  let term = 1;
  let sum = 1;
  let last: number;
  const x2 = x / 2;
  let i = 1;
  do {
    const y = x2 / i++;
    last = sum;
    term *= y * y;
    sum += term;
  } while (sum !== last);
  return sum;
}

const KAISER_BETA_COEFS: readonly (readonly number[])[] = [
  [-6.784957e-10, 1.02856e-5, 0.1087556, -0.8988365 + 0.001],
  [-6.897885e-10, 1.027433e-5, 0.10876, -0.8994658 + 0.002],
  [-1.000683e-9, 1.030092e-5, 0.1087677, -0.9007898 + 0.003],
  [-3.654474e-10, 1.040631e-5, 0.1087085, -0.8977766 + 0.006],
  [8.106988e-9, 6.983091e-6, 0.1091387, -0.9172048 + 0.015],
  [9.519571e-9, 7.272678e-6, 0.1090068, -0.9140768 + 0.025],
  [-5.626821e-9, 1.342186e-5, 0.1083999, -0.9065452 + 0.05],
  [-9.965946e-8, 5.073548e-5, 0.1040967, -0.7672778 + 0.085],
  [1.604808e-7, -5.856462e-5, 0.1185998, -1.34824 + 0.1],
  [-1.511964e-7, 6.363034e-5, 0.1064627, -0.9876665 + 0.18],
];

/** Kaiser β for a stop-band attenuation `att` (dB) and transition width (`lsx_kaiser_beta`). */
export function kaiserBeta(att: number, trBw: number): number {
  if (att >= 60) {
    const realm = Math.log(trBw / 0.0005) / Math.log(2);
    const last = KAISER_BETA_COEFS.length - 1;
    const c0 = KAISER_BETA_COEFS[rangeLimit(trunc(realm), 0, last)];
    const c1 = KAISER_BETA_COEFS[rangeLimit(1 + trunc(realm), 0, last)];
    const b0 = ((c0[0] * att + c0[1]) * att + c0[2]) * att + c0[3];
    const b1 = ((c1[0] * att + c1[1]) * att + c1[2]) * att + c1[3];
    return b0 + (b1 - b0) * (realm - trunc(realm));
  }
  if (att > 50) return 0.1102 * (att - 8.7);
  if (att > 20.96) return 0.58417 * Math.pow(att - 20.96, 0.4) + 0.07886 * (att - 20.96);
  return 0;
}

/** Kaiser-windowed sinc, `h[i] = sin(Fc·π·z)/(π·z) · I0(β·√(1−(z/(m/2+ρ))²)) / I0(β) · scale`. */
function makeLpf(numTaps: number, fc: number, beta: number, rho: number, scale: number): Float64Array {
  const m = numTaps - 1;
  const h = new Float64Array(numTaps);
  const mult = scale / besselI0(beta);
  const mult1 = 1 / (0.5 * m + rho);
  for (let i = 0; i <= m / 2; i++) {
    const z = i - 0.5 * m;
    const x = z * Math.PI;
    const y = z * mult1;
    let v = x !== 0 ? Math.sin(fc * x) / x : fc;
    v *= besselI0(beta * Math.sqrt(1 - y * y)) * mult;
    h[i] = v;
    h[m - i] = v;
  }
  return h;
}

interface LpfDesign {
  numTaps: number;
  h: Float64Array | null;
}

/**
 * `lsx_design_lpf`: a low-pass from pass-band end `fp`, stop-band start `fs` (relative to `fn`, the
 * Nyquist frequency; `fn < 0` only sizes the filter), attenuation `att` dB. `k > 0` is a number of
 * phases; `k < 0` makes the length ≡ 1 (mod −k). `numTaps = 0` estimates it; `beta < 0` estimates β.
 */
export function designLpf(
  fp: number,
  fs: number,
  fn: number,
  att: number,
  numTaps: number,
  k: number,
  beta: number,
): LpfDesign {
  const n = numTaps;
  const phases = Math.max(k, 1);
  const modulo = Math.max(-k, 1);
  const rho = phases === 1 ? 0.5 : att < 120 ? 0.63 : 0.75;
  fp /= Math.abs(fn);
  fs /= Math.abs(fn);
  let trBw = 0.5 * (fs - fp);
  trBw /= phases;
  fs /= phases;
  trBw = Math.min(trBw, 0.5 * fs);
  const fc = fs - trBw;
  // lsx_kaiser_params
  if (beta < 0) beta = kaiserBeta(att, (trBw * 0.5) / fc);
  const a =
    att < 60
      ? (att - 7.95) / (2.285 * Math.PI * 2)
      : ((0.0007528358 - 1.577737e-5 * beta) * beta + 0.6248022) * beta + 0.06186902;
  if (!numTaps) numTaps = Math.ceil(a / trBw + 1);
  if (!n) {
    numTaps =
      phases > 1 ? trunc(numTaps / phases) * phases + phases - 1 : trunc((numTaps + modulo - 2) / modulo) * modulo + 1;
  }
  return { numTaps, h: fn < 0 ? null : makeLpf(numTaps, fc, beta, rho, phases) };
}

const sinePhi = (x: number): number => ((2.0517e-7 * x - 1.1303e-4) * x + 0.023154) * x + 0.55924;
const sinePow = (x: number): number => Math.log(0.5) / Math.log(Math.sin(x * 0.5));

/** `lsx_inv_f_resp`: the normalised frequency where a filter of attenuation `a` has dropped `drop` dB. */
export function invFResp(drop: number, a: number): number {
  let x = sinePhi(a);
  drop = Math.exp(drop * (Math.LN10 * 0.05));
  const s = drop > 0.5 ? 1 - drop : drop;
  x = Math.asin(Math.pow(s, 1 / sinePow(x))) / x;
  return drop > 0.5 ? x : 1 - x;
}

// ---------------------------------------------------------------------------------- quality recipes

/** The linear-phase quality recipes of `soxr_quality_spec` that librosa's `res_type`s name. */
export type SoxrQuality = "soxr_vhq" | "soxr_hq" | "soxr_mq" | "soxr_lq" | "soxr_qq";

interface QualitySpec {
  readonly precision: number;
  readonly passbandEnd: number;
  readonly stopbandBegin: number;
  readonly rolloff: 0 | 1 | 2; // small, medium, none
}

function qualitySpec(quality: SoxrQuality): QualitySpec {
  // SOXR_QQ 0, LQ 1, MQ 2, HQ = 20-bit 4, VHQ = 28-bit 6.
  const q = { soxr_qq: 0, soxr_lq: 1, soxr_mq: 2, soxr_hq: 4, soxr_vhq: 6 }[quality];
  const precision = q === 0 ? 0 : q <= 2 ? 16 : 4 + q * 4;
  const rej = precision * linearToDb(2);
  const toThreeDb = 1 - invFResp(-3, rej);
  return {
    precision,
    passbandEnd: q === 1 ? LQ_BW0 : 1 - 0.05 / toThreeDb,
    stopbandBegin: 1,
    rolloff: q <= 2 ? 1 : 0,
  };
}

// -------------------------------------------------------------------------------------------- plan

/** The 0.1.3 float32 SIMD core's half-band filters (half-coefs.h), with the attenuation each reaches. */
const HALF_FIRS: readonly { readonly coefs: readonly number[]; readonly att: number }[] = [
  {
    coefs: [
      3.1154652365332069e-1, -8.7344917685739543e-2, 3.681445835363728e-2, -1.5189204581464479e-2,
      5.4540855610738801e-3, -1.5643862626630416e-3, 3.1816575906323303e-4, -3.4799449225005688e-5,
    ],
    att: 136.51,
  },
  {
    coefs: [
      3.1227034755311189e-1, -8.9221517147969526e-2, 3.9139704015071934e-2, -1.7250558515852023e-2,
      6.8589440230476112e-3, -2.3045049636430419e-3, 6.0963740543348963e-4, -1.1323803957431231e-4,
      1.1197769991000046e-5,
    ],
    att: 152.32,
  },
];

/** The double-precision core's table (half_fir_coefs_7 is only in it; used for precision > 20). */
const HALF_FIR_7 = {
  coefs: [
    3.106265649665737e-1, -8.4998810699955796e-2, 3.40070446211235e-2, -1.2839903789829387e-2,
    3.9899380181723145e-3, -8.9355202017945374e-4, 1.0918292424806546e-4,
  ],
  att: 120.65,
};

/** poly_firs[]: per row, β (−1: estimate) and the scalar of each interpolation order 0..2. */
const POLY_FIRS: readonly { readonly beta: number; readonly interp: readonly [number, number, number] }[] = [
  { beta: -1, interp: [0, 7.2, 5.0] },
  { beta: -1, interp: [0, 9.4, 6.7] },
  { beta: -1, interp: [0, 12.4, 7.8] },
  { beta: -1, interp: [0, 13.6, 9.3] },
  { beta: -1, interp: [0, 10.5, 8.4] },
  { beta: -1, interp: [0, 11.85, 9.0] },
  { beta: -1, interp: [0, 8.0, 5.3] },
  { beta: -1, interp: [0, 8.6, 5.7] },
  { beta: -1, interp: [0, 10.6, 6.75] },
  { beta: -1, interp: [0, 12.6, 8.6] },
  { beta: -1, interp: [0, 9.6, 7.6] },
  { beta: -1, interp: [0, 11.4, 8.65] },
  { beta: 10.62, interp: [0, 0, 0] }, // SIMD core: vpoly0 only
  { beta: -1, interp: [0, 8, 6] },
  { beta: -1, interp: [0, 9, 6] },
  { beta: -1, interp: [0, 11, 7] },
  { beta: -1, interp: [0, 13, 8] },
  { beta: -1, interp: [0, 10, 8] },
  { beta: -1, interp: [0, 12, 9] },
];

export type Stage =
  | { readonly kind: "half"; readonly coefs: readonly number[] }
  | { readonly kind: "fir"; readonly L: number; readonly M: number; readonly h: Float64Array }
  | {
      readonly kind: "poly";
      readonly phases: number;
      readonly numCoefs: number;
      readonly h: Float64Array;
      /** Interpolation order of the coefficients: 0 for rational ratios (clock in 1/phases units). */
      readonly order: number;
      readonly phaseBits: number;
      /** Clock start and step: in 1/phases of an input sample when order = 0, else in 2⁻³² units. */
      readonly at: number;
      readonly step: number;
    };

export interface ResamplePlan {
  readonly ioRatio: number;
  readonly stages: readonly Stage[];
}

/** libsoxr's stage plan for resampling by `ioRatio` = input rate / output rate (`_soxr_init`). */
export function planResample(ioRatio: number, quality: SoxrQuality = "soxr_hq"): ResamplePlan {
  const q = qualitySpec(quality);
  const tolerance = 1 + 1e-5;
  let bits = q.precision;
  const rolloff = q.rolloff;
  const interpolator = -1; // SOXR_COEF_INTERP_AUTO
  const fp0 = q.passbandEnd;
  const fs0 = q.stopbandBegin;
  const phaseResponse = 50;
  // Precision > 20 bits runs libsoxr's double-precision core (no SIMD padding, half-band h7 too).
  const double = bits > 20;
  const sizeofReal = double ? 8 : 4;
  const halfFirs = double ? [HALF_FIR_7, ...HALF_FIRS] : HALF_FIRS;

  let arbM = ioRatio;
  let fp1 = fp0;
  let fs1 = fs0;
  const bits1 = Math.min(bits, 33);
  let att = (bits1 + 1) * linearToDb(2);
  let attArb = att;
  let preL = 1;
  let preM = 1;
  let shr = 0;
  let arbL = 1;
  let postL = 1;
  let postM = 1;
  let upsample = false;
  let rational = false;
  const iOpt = true;
  const lqBits = bits === 16;
  const lqFp0 = fp0 === LQ_BW0;
  let mode =
    lqBits && rolloff === 1
      ? Number(ioRatio > 1 || phaseResponse !== 50 || !lqFp0 || fs0 !== 1)
      : trunc((Math.ceil(bits1) - 6) / 4);

  if (!(ioRatio > 0)) throw new RangeError(`resample: ratio ${ioRatio} is not positive`);
  if (bits !== 0) {
    let n = 0;
    while (n++ === 0) {
      const maxL = interpolator > 0 ? 1 : mode ? 2048 : Math.ceil((400 * 1000) / (U100_L * sizeofReal));
      let epsilon = 0;
      upsample = arbM < 1;
      let i: number;
      for (i = trunc(0.5 * arbM), shr = 0; (i >>= 1); arbM *= 0.5, ++shr);
      preM = Number(upsample || (arbM > 1.5 && arbM < 2));
      postM = 1 + Number(arbM > 1 && preM !== 0);
      arbM /= postM;
      preL = 1 + Number(!preM && arbM < 2) + Number(upsample && mode !== 0);
      arbM *= preL;
      const frac = arbM - trunc(arbM);
      if (frac !== 0) epsilon = Math.abs(Math.floor(frac * MULT32 + 0.5) / (frac * MULT32) - 1);
      for (i = 1, rational = frac === 0; i <= maxL && !rational; ++i) {
        const d = frac * i;
        const tr = trunc(d + 0.5);
        rational = Math.abs(tr / d - 1) <= epsilon;
        if (rational) {
          if (tr === i) {
            arbM = Math.ceil(arbM);
            const x = Number(arbM > 3);
            shr += x;
            arbM /= 1 + x;
          } else {
            arbM = i * trunc(arbM) + tr;
            arbL = i;
          }
        }
      }
      let L = preL * arbL;
      let M = trunc(arbM * postM);
      const x = (L | M) & 1;
      L >>= Number(!x);
      M >>= Number(!x);
      const d = (preL * arbL) / arbM;
      if (iOpt && postL === 1 && d > 4 && d !== 5) {
        for (postL = 4, i = trunc(d / 16); (i >>= 1) && postL < 256; postL <<= 1);
        arbM = (arbM * postL) / arbL / preL;
        arbL = 1;
        n = 0;
      } else if (rational && (Math.max(L, M) < 3 + 2 * Number(iOpt) || L * M < 6 * Number(iOpt))) {
        preL = L;
        preM = M;
        arbM = arbL = postM = 1;
      }
      if (!mode && (!rational || !n)) {
        ++mode;
        n = 0;
      }
    }
  }

  const havePre = preM * preL !== 1;
  const haveArb = arbM * arbL !== 1;
  const havePost = postM * postL !== 1;
  const numStages = shr + Number(havePre) + Number(haveArb) + Number(havePost);
  if (bits === 0) throw new RangeError("resample: the quick cubic recipe (soxr_qq) is not supported");
  const alpha = postM / (ioRatio * postL);
  if (numStages > 1) {
    let n = numStages;
    if (haveArb) {
      att += linearToDb(2);
      attArb = att;
      --n;
    }
    att += linearToDb(n);
  }

  const stages: Stage[] = [];
  let halfIndex = 0;
  while (halfIndex + 1 < halfFirs.length && att > halfFirs[halfIndex].att) ++halfIndex;
  for (let i = 0; i < shr; i++) stages.push({ kind: "half", coefs: halfFirs[halfIndex].coefs });

  if (havePre) {
    const fn1 = preM ? Math.max(preL, preM) : arbM / arbL;
    stages.push(firStage(fp1, fs1, fn1, att, preL, Math.max(preM, 1)));
    fp1 /= fn1;
    fs1 /= fn1;
  }

  if (haveArb) {
    const row = 6 * (Number(upsample) + Number(!!preM)) + mode - Number(!upsample);
    const f = POLY_FIRS[row];
    let numCoefs = f.interp[0];
    const mult = upsample ? 1 : arbM / arbL;
    let fn: number;
    let fs: number;
    if (!upsample && preM) {
      fn = 2 * mult;
      fs = 3 + Math.abs(fs1 - 1);
    } else {
      fn = 1;
      fs = 2 - (mode ? fp1 + (fs1 - fp1) * 0.7 : fs1);
    }
    let fp = fp1;
    const rolloffs = [-0.01, -0.3, 0, -0.103].map(Math.fround);
    if (mode) fp = fs - (fs - fp) / (1 - invFResp(rolloffs[rolloff], attArb));

    let i = (interpolator < 0 ? Number(!rational) : Math.max(interpolator, Number(!rational))) - 1;
    let phaseBits: number;
    let phases: number;
    let order: number;
    let at: number;
    for (;;) {
      ++i;
      const scalar = Math.fround(f.interp[i]);
      if (i) {
        arbM /= arbL;
        arbL = 1;
        rational = false;
      }
      phaseBits = Math.ceil(scalar - Math.log(mult) / Math.log(2));
      phases = !rational ? 1 << phaseBits : arbL;
      if (f.interp[0] === 0) {
        const phases0 = Math.max(phases, 19);
        const n0 = designLpf(fp, fs, -fn, attArb, 0, phases0, f.beta).numTaps;
        numCoefs = trunc(n0 / phases0) + 1;
        numCoefs += numCoefs & Number(!preM);
      }
      if (numCoefs & 1 && rational && arbL & 1) {
        phases <<= 1;
        arbL <<= 1;
        arbM *= 2;
      }
      at = arbL * (0.5 * (numCoefs & 1));
      order = i + Number(i !== 0 && mode > 4);
      const numCoefs4 = double ? numCoefs : (numCoefs + 3) & ~3;
      const coefsSize = numCoefs4 * phases * (order + 1) * sizeofReal;
      if (!(interpolator < 0 && i < 2 && f.interp[i + 1] !== 0 && trunc(coefsSize / 1000) > 400)) break;
    }
    const numTaps = numCoefs * phases - 1;
    const h = designLpf(fp, fs, fn, attArb, numTaps, phases, f.beta).h!;
    const atWhole = Math.floor(at * MULT32 + 0.5);
    const stepWhole = Math.floor(arbM * MULT32 + 0.5);
    stages.push(
      order === 0
        ? { kind: "poly", phases, numCoefs, h, order, phaseBits, at: atWhole / MULT32, step: stepWhole / MULT32 }
        : { kind: "poly", phases, numCoefs, h, order, phaseBits, at: atWhole, step: stepWhole },
    );
  }

  if (havePost) {
    stages.push(
      firStage(
        fp0 / (upsample ? alpha : 1),
        upsample ? Math.max(2 - fs0 / alpha, 1) : fs0,
        Math.max(postL, postM),
        att,
        postL,
        postM,
      ),
    );
  }
  return { ioRatio, stages };
}

/** A linear-phase FFT-filter stage (`dft_stage_init`): up by L, filter, down by M; gain L folded in. */
function firStage(fp: number, fs: number, fn: number, att: number, L: number, M: number): Stage {
  const isPow2 = (v: number): boolean => !(v < 2 || (v & (v - 1)) !== 0);
  const k = isPow2(L) && fn === L ? L << 1 : 4;
  const { h } = designLpf(fp, fs, fn, att, 0, -k, -1);
  const scaled = h!.map((v) => v * L);
  return { kind: "fir", L, M, h: scaled };
}

// ------------------------------------------------------------------------------------------ stages

/** Output i of the half-band decimator: ½x[2i] + Σ_j c_j (x[2i−2j−1] + x[2i+2j+1]). */
function runHalf(x: Float32Array, coefs: readonly number[]): Float32Array {
  const reach = 2 * coefs.length - 1;
  const outLength = Math.ceil((x.length + reach) / 2);
  const out = new Float32Array(outLength);
  const n = x.length;
  for (let i = 0; i < outLength; i++) {
    const c = 2 * i;
    let sum = c < n ? x[c] * 0.5 : 0;
    if (c - reach >= 0 && c + reach < n) {
      for (let j = 0; j < coefs.length; j++) sum += (x[c - 2 * j - 1] + x[c + 2 * j + 1]) * coefs[j];
    } else {
      for (let j = 0; j < coefs.length; j++) {
        const a = c - 2 * j - 1;
        const b = c + 2 * j + 1;
        sum += ((a >= 0 && a < n ? x[a] : 0) + (b < n ? x[b] : 0)) * coefs[j];
      }
    }
    out[i] = sum;
  }
  return out;
}

/** out[j] = Σ_m x[m] · h[c + jM − Lm]: zero-stuff by L, filter centred, keep every M-th. */
function runFir(x: Float32Array, L: number, M: number, h: Float64Array): Float32Array {
  const half = (h.length - 1) / 2;
  const outLength = Math.ceil((x.length * L + half) / M);
  let up: Float32Array = x;
  if (L > 1) {
    up = new Float32Array(x.length * L);
    for (let i = 0; i < x.length; i++) up[i * L] = x[i];
  }
  return convolveCentered(up, h, outLength, M);
}

/** The poly-phase stage (`vpoly0` for rational ratios, `vpoly1..3` with coefficient interpolation). */
function runPoly(x: Float32Array, s: Extract<Stage, { kind: "poly" }>): Float32Array {
  const { phases, numCoefs, h, order } = s;
  const numTaps = h.length;
  const d = numCoefs - 1 - ((numCoefs - 1) >> 1); // input offset of tap 0 (preload compensated)
  const n = x.length;
  // Prototype taps with one zero before (index −1) and two after, so no tap lookup needs a test.
  const hp = new Float64Array(numTaps + 4);
  hp.set(h, 2);
  const hq = (i: number): number => hp[i + 2];
  // Tap i of the output whose first input is `p0` reads x[p0 − i]; zero outside the signal.
  const tap = (p: number): number => (p >= 0 && p < n ? x[p] : 0);
  const last = numCoefs - 1;
  if (order === 0) {
    // Clock in units of 1/phases input samples.
    const at0 = Math.round(s.at);
    const step = Math.round(s.step);
    const limit = (n + numCoefs) * phases;
    const count = Math.max(0, Math.ceil((limit - at0) / step));
    const out = new Float32Array(count);
    for (let k = 0, a = at0; k < count; k++, a += step) {
      const div = Math.floor(a / phases);
      const rem = a - div * phases;
      let sum = 0;
      const p0 = div + d;
      if (p0 - last >= 0 && p0 < n) {
        for (let i = 0, q = rem + 1, p = p0; i < numCoefs; i++, q += phases, p--) sum += hp[q] * x[p];
      } else {
        for (let i = 0, q = rem + 1, p = p0; i < numCoefs; i++, q += phases, p--) sum += hp[q] * tap(p);
      }
      out[k] = sum;
    }
    return out;
  }
  // 32.32 fixed-point clock: integer part and fraction kept apart so the sum stays exact.
  const stepInt = Math.floor(s.step / MULT32);
  const stepFrac = s.step - stepInt * MULT32;
  let int = Math.floor(s.at / MULT32);
  let frac = s.at - int * MULT32;
  const phaseUnit = 2 ** (32 - s.phaseBits);
  const limit = n + numCoefs;
  const count = Math.max(0, Math.ceil((limit - s.at / MULT32) / (s.step / MULT32)) + 1);
  const out = new Float32Array(count);
  let k = 0;
  for (; int < limit && k < count; k++) {
    const phase = Math.floor(frac / phaseUnit);
    const xf = (frac - phase * phaseUnit) / phaseUnit;
    let sum = 0;
    for (let i = 0; i < numCoefs; i++) {
      const q = i * phases + phase;
      const f0 = hq(q - 1);
      const f1 = hq(q);
      let coef: number;
      if (order === 1) coef = f0 + xf * (f1 - f0);
      else if (order === 2) {
        const f2 = hq(q + 1);
        const c = 0.5 * (f2 + f0) - f1;
        const b = f1 - c - f0;
        coef = (c * xf + b) * xf + f0;
      } else {
        const f2 = hq(q + 1);
        const fm1 = hq(q - 2);
        const c = 0.5 * (f1 + fm1) - f0;
        const dd = (1 / 6) * (f2 - f1 + fm1 - f0 - 4 * c);
        const b = f1 - f0 - dd - c;
        coef = ((dd * xf + c) * xf + b) * xf + f0;
      }
      sum += coef * tap(int + d - i);
    }
    out[k] = sum;
    frac += stepFrac;
    int += stepInt;
    if (frac >= MULT32) {
      frac -= MULT32;
      int += 1;
    }
  }
  return out.subarray(0, k);
}

/** Run a plan on a whole signal: libsoxr's output after flushing, round(n / ioRatio) samples. */
export function runPlan(plan: ResamplePlan, x: Float32Array): Float32Array {
  let y = x;
  for (const stage of plan.stages) {
    if (stage.kind === "half") y = runHalf(y, stage.coefs);
    else if (stage.kind === "fir") y = runFir(y, stage.L, stage.M, stage.h);
    else y = runPoly(y, stage);
  }
  const outLength = Math.trunc(x.length / plan.ioRatio + 0.5);
  if (y === x) return x.slice();
  if (y.length >= outLength) return y.length === outLength ? y : y.slice(0, outLength);
  const padded = new Float32Array(outLength);
  padded.set(y);
  return padded;
}
