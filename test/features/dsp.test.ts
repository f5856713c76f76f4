/** The DSP building blocks against their definitions and against numpy (Debian's python3). */
import { describe, expect, test } from "bun:test";
import { BluesteinRealFFT, ComplexFFT, RealFFT } from "../../core/dsp/fft.ts";
import { getWindow } from "../../core/dsp/window.ts";
import { pad } from "../../core/dsp/pad.ts";
import { linspace, roundHalfEven } from "../../core/dsp/convert.ts";
import { extremeSums, medianInPlace } from "../../core/dsp/select.ts";
import { padLinearRamp, tempogram } from "../../core/dsp/tempogram.ts";
import { pitchTuning } from "../../core/dsp/pitch.ts";
import { powerSpectrogram } from "../../core/dsp/stft.ts";
import { zeroCrossingRate } from "../../core/dsp/zcr.ts";
import { rms } from "../../core/dsp/rms.ts";
import { python } from "../helpers.ts";

/** A deterministic pseudo-random sequence in [-0.5, 0.5). */
function noise(n: number, seed = 1): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

describe("FFT", () => {
  for (const n of [2, 4, 8, 32, 128, 2048]) {
    test(`real FFT of ${n} points equals the DFT`, () => {
      const x = noise(n, n);
      const re = new Float64Array(n / 2 + 1), im = new Float64Array(n / 2 + 1);
      new RealFFT(n).forward(x, re, im);
      const power = new Float64Array(n / 2 + 1);
      new RealFFT(n).powerSpectrum(x, power);
      // with a window (the STFT path, whose load is fused with the first butterflies)
      const w = getWindow("hann", n);
      const wPower = new Float64Array(n / 2 + 1);
      new RealFFT(n).powerSpectrum(x, wPower, 0, w);
      for (let k = 0; k <= n / 2; k++) {
        let sr = 0, si = 0;
        for (let t = 0; t < n; t++) {
          const a = (-2 * Math.PI * ((k * t) % n)) / n;
          sr += x[t] * Math.cos(a);
          si += x[t] * Math.sin(a);
        }
        expect(Math.abs(re[k] - sr)).toBeLessThan(1e-11 * n);
        expect(Math.abs(im[k] - si)).toBeLessThan(1e-11 * n);
        expect(Math.abs(power[k] - (sr * sr + si * si))).toBeLessThan(1e-10 * n);
        let wr = 0, wi = 0;
        for (let t = 0; t < n; t++) {
          const a = (-2 * Math.PI * ((k * t) % n)) / n;
          wr += x[t] * w[t] * Math.cos(a);
          wi += x[t] * w[t] * Math.sin(a);
        }
        expect(Math.abs(wPower[k] - (wr * wr + wi * wi))).toBeLessThan(1e-10 * n);
      }
    });
  }

  test("complex inverse undoes the forward transform", () => {
    const n = 1024;
    const re = noise(n, 3), im = noise(n, 4);
    const r0 = re.slice(), i0 = im.slice();
    const fft = new ComplexFFT(n);
    fft.transform(re, im);
    fft.inverse(re, im);
    for (let i = 0; i < n; i++) {
      expect(Math.abs(re[i] - r0[i])).toBeLessThan(1e-13);
      expect(Math.abs(im[i] - i0[i])).toBeLessThan(1e-13);
    }
  });

  for (const n of [1, 3, 100, 2205]) {
    test(`any other size (${n}) by Bluestein's algorithm equals the DFT`, () => {
      const x = noise(n + 10, n);
      const w = getWindow("hann", n);
      const power = new Float64Array(Math.floor(n / 2) + 1);
      new BluesteinRealFFT(n).powerSpectrum(x, power, 5, w);
      for (let k = 0; k <= n / 2; k++) {
        let sr = 0, si = 0;
        for (let t = 0; t < n; t++) {
          const a = (-2 * Math.PI * ((k * t) % n)) / n;
          sr += x[5 + t] * w[t] * Math.cos(a);
          si += x[5 + t] * w[t] * Math.sin(a);
        }
        expect(Math.abs(power[k] - (sr * sr + si * si))).toBeLessThan(1e-9 * n);
      }
    });
  }

  test("the STFT takes any n_fft; RealFFT itself only powers of two", () => {
    expect(() => new RealFFT(1000)).toThrow(/power of two/);
    const y = Float32Array.from(noise(4000, 9));
    const s = powerSpectrogram(y, { nFft: 2000, hopLength: 500 });
    expect([s.nFrames, s.nBins]).toEqual([9, 1001]);
    // frame 2 starts at 2 * 500 - 1000 = 0 in the unpadded signal
    const w = getWindow("hann", 2000);
    let sr = 0, si = 0;
    for (let t = 0; t < 2000; t++) {
      sr += y[t] * w[t] * Math.cos((-2 * Math.PI * ((7 * t) % 2000)) / 2000);
      si += y[t] * w[t] * Math.sin((-2 * Math.PI * ((7 * t) % 2000)) / 2000);
    }
    const exact = sr * sr + si * si;
    expect(Math.abs(s.data[2 * 1001 + 7] - exact) / exact).toBeLessThan(1e-6);
  });
});

describe("windows, padding and rounding match numpy / scipy", () => {
  test("periodic windows", () => {
    const ours = (["hann", "hamming", "blackman"] as const).map((w) => Array.from(getWindow(w, 16)));
    const theirs = JSON.parse(
      python(
        "import json, numpy as np\nN=16; n=np.arange(N)\nprint(json.dumps([list(0.5-0.5*np.cos(2*np.pi*n/N)), list(0.54-0.46*np.cos(2*np.pi*n/N)), list(0.42-0.5*np.cos(2*np.pi*n/N)+0.08*np.cos(4*np.pi*n/N))]))",
      ),
    ) as number[][];
    ours.forEach((w, i) => w.forEach((v, j) => expect(v).toBeCloseTo(theirs[i][j], 14)));
  });

  test("pad modes, linear ramps, linspace, rint, median", () => {
    const y = Float32Array.from([1, -2, 3, 0.5]);
    const ref = JSON.parse(
      python(
        "import json, numpy as np\ny=np.array([1,-2,3,0.5],dtype=np.float32)\n" +
          "print(json.dumps({'edge': np.pad(y,(3,3),mode='edge').tolist(), 'reflect': np.pad(y,(6,5),mode='reflect').tolist(),\n" +
          " 'ramp': np.pad(y,(4,4),mode='linear_ramp',end_values=0).tolist(), 'lin': np.linspace(-0.5,0.5,101).tolist(),\n" +
          " 'rint': np.rint([0.5,1.5,2.5,-0.5,-1.5,2.4999,0.38]).tolist(), 'med': [float(np.median([3,1,4,1,5,9,2,6])), float(np.median([3,1,4]))]}))",
      ),
    ) as Record<string, number[]>;
    expect(Array.from(pad(y, 3, 3, "edge"))).toEqual(ref.edge);
    expect(Array.from(pad(y, 6, 5, "reflect"))).toEqual(ref.reflect);
    expect(Array.from(padLinearRamp(y, 4))).toEqual(ref.ramp.map(Math.fround));
    expect(Array.from(linspace(-0.5, 0.5, 101))).toEqual(ref.lin);
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 0.38].map(roundHalfEven).map((v) => v + 0)).toEqual(ref.rint.map((v) => v + 0));
    expect(medianInPlace(Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6]))).toBe(ref.med[0]);
    expect(medianInPlace(Float64Array.from([3, 1, 4]))).toBe(ref.med[1]);
  });

  test("sums of the q smallest and largest values equal those of a sort", () => {
    const x = Float32Array.from(noise(500, 7));
    const low = new Float64Array(16), high = new Float64Array(16), sums = new Float64Array(2);
    for (const [from, to, q] of [[0, 500, 9], [10, 40, 1], [100, 103, 3], [5, 9, 8], [0, 2, 2]]) {
      const n = extremeSums(x, from, to, q, low, high, sums);
      const sorted = Array.from(x.subarray(from, to)).sort((a, b) => a - b);
      const qq = Math.min(q, to - from);
      expect(n).toBe(qq);
      expect(sums[0]).toBeCloseTo(sorted.slice(0, qq).reduce((a, b) => a + b, 0), 12);
      expect(sums[1]).toBeCloseTo(sorted.slice(-qq).reduce((a, b) => a + b, 0), 12);
    }
  });

  test("pitch_tuning's histogram: left edge of the fullest bin, 0 without pitches", () => {
    // 440 Hz * 2^(0.23/12): residual 0.23 -> bin [0.23, 0.24)
    const f = Math.fround(440 * 2 ** (0.234 / 12));
    expect(pitchTuning(Float32Array.from([f, f, 220]))).toBeCloseTo(0.23, 12);
    expect(pitchTuning(new Float32Array(0))).toBe(0);
  });
});

describe("tempogram", () => {
  /** librosa's definition, computed directly: windowed frames, autocorrelation, max-normalised. */
  function direct(onset: Float32Array, W: number, window: "hann" | "hamming" | "blackman" | "boxcar"): Float64Array {
    const padded = padLinearRamp(onset, W / 2);
    const w = getWindow(window, W);
    const T = onset.length;
    const out = new Float64Array(W * T);
    for (let t = 0; t < T; t++) {
      const x = Array.from({ length: W }, (_, i) => w[i] * padded[t + i]);
      const ac = x.map((_, l) => x.slice(0, W - l).reduce((s, v, i) => s + v * x[i + l], 0));
      const m = Math.max(...ac.map(Math.abs));
      ac.forEach((v, l) => (out[l * T + t] = m > 0 ? v / m : v));
    }
    return out;
  }

  for (const window of ["hann", "hamming", "blackman", "boxcar"] as const) {
    test(`${window}: equals the direct definition, including silent stretches`, () => {
      // Onsets with a long silent gap in the middle: frames there must be exactly 0.
      const x = noise(300, 11).map((v) => Math.max(0, v) * 3);
      x.fill(0, 100, 200);
      const onset = Float32Array.from(x);
      const W = 64;
      const tg = tempogram(onset, { winLength: W, window });
      const ref = direct(onset, W, window);
      expect(tg.nLags).toBe(W);
      expect(tg.nFrames).toBe(300);
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(tg.data[i] - ref[i]));
      expect(err).toBeLessThan(1e-9);
      for (let l = 0; l < W; l++) expect(tg.data[l * 300 + 150]).toBe(0);
    });
  }
});

describe("zero-crossing rate and rms by blocks equal their definitions", () => {
  const y = Float32Array.from(noise(3001, 5), (v, i) => (i % 50 < 3 ? 0 : i % 97 === 0 ? 1e-11 : v));
  for (const [N, hop, center] of [[2048, 512, true], [512, 128, true], [300, 70, true], [256, 100, false], [64, 64, false]] as const) {
    test(`frame_length ${N}, hop ${hop}, center ${center}`, () => {
      const h = center ? N >> 1 : 0;
      const edge = (i: number) => y[Math.min(Math.max(i - h, 0), y.length - 1)];
      const zero = (i: number) => (i - h >= 0 && i - h < y.length ? y[i - h] : 0);
      const len = y.length + 2 * h;
      const frames = 1 + Math.floor((len - N) / hop);
      const z = zeroCrossingRate(y, { frameLength: N, hopLength: hop, center });
      const r = rms(y, { frameLength: N, hopLength: hop, center });
      expect(z.length).toBe(frames);
      expect(r.length).toBe(frames);
      for (let t = 0; t < frames; t++) {
        let c = 0, s = 0;
        for (let n = 0; n < N; n++) {
          const i = t * hop + n;
          if (n > 0) {
            const a = edge(i - 1), b = edge(i);
            const sa = Math.abs(a) <= 1e-10 ? false : a < 0, sb = Math.abs(b) <= 1e-10 ? false : b < 0;
            if (sa !== sb) c++;
          }
          s += zero(i) ** 2;
        }
        expect(z[t]).toBe(c / N);
        expect(r[t]).toBeCloseTo(Math.sqrt(s / N), 6);
      }
    });
  }
});
