/**
 * Pitch tracking by parabolic interpolation of spectral peaks (`librosa.piptrack`) and tuning
 * estimation from the peaks (`librosa.estimate_tuning`, `librosa.pitch_tuning`).
 *
 * piptrack, per frame t of a spectrogram S (power for chroma_stft's tuning, magnitude for
 * `estimate_tuning(y=...)`):
 *
 *     ref_t  = threshold · max_k S[t, k]
 *     peak   = localmax_k(S · (S > ref_t)) and fmin <= f_k < fmax
 *              (localmax: x[k] > x[k-1] and x[k] >= x[k+1]; never at k = 0; x[-1] > x[-2] at the end)
 *     a = S[k+1] + S[k-1] - 2 S[k],  b = (S[k+1] - S[k-1]) / 2,  shift = -b/a  (0 if |b| >= |a|)
 *     pitch  = (k + shift) · sr / n_fft
 *     mag    = S[k] + 0.5 · gradient(S)[k] · shift
 *
 * estimate_tuning keeps peaks with mag >= median(mag) and histograms their deviation from the equal
 * tempered grid: r = 12 · log2(f / 27.5) mod 1, minus 1 where r >= 0.5, over 100 bins of [-0.5, 0.5];
 * the tuning is the left edge of the fullest bin (first on ties). Steps librosa runs in float32 are
 * rounded to float32 here, so the discrete result matches.
 */
import { linspace } from "./convert.ts";
import { medianInPlace } from "./select.ts";
import type { FrameMatrix } from "./spectrogram.ts";

export interface PiptrackOptions {
  readonly sr: number;
  readonly nFft: number;
  readonly fmin?: number;
  readonly fmax?: number;
  readonly threshold?: number;
}

/** The peaks piptrack finds, as parallel arrays (librosa returns them as dense, mostly-zero matrices). */
export interface PitchPeaks {
  readonly frame: Int32Array;
  readonly bin: Int32Array;
  readonly pitch: Float32Array;
  readonly mag: Float32Array;
}

const f32 = Math.fround;

export function piptrack(s: FrameMatrix<Float32Array>, o: PiptrackOptions): PitchPeaks {
  const { sr, nFft } = o;
  const threshold = o.threshold ?? 0.1;
  const fmin = Math.max(o.fmin ?? 150, 0);
  const fmax = Math.min(o.fmax ?? 4000, sr / 2);
  const { data, nFrames, nBins } = s;
  const binHz = 1.0 / (nFft * (1.0 / sr));
  // Bins with fmin <= f_k < fmax; bin 0 is never a local max.
  let kLo = 0;
  while (kLo < nBins && kLo * binHz < fmin) kLo++;
  let kHi = kLo;
  while (kHi < nBins && kHi * binHz < fmax) kHi++;
  kLo = Math.max(kLo, 1);
  let cap = 1024, n = 0;
  let frame = new Int32Array(cap), bin = new Int32Array(cap), pitch = new Float32Array(cap), mag = new Float32Array(cap);
  for (let t = 0; t < nFrames; t++) {
    const row = t * nBins;
    let max = -Infinity;
    for (let k = row, e = row + nBins; k < e; k++) if (data[k] > max) max = data[k];
    const ref = f32(threshold * max);
    // x[k] = S[k] if S[k] > ref else 0 (float32 compare); peaks: x[k] > x[k-1] and x[k] >= x[k+1].
    for (let k = kLo; k < kHi; k++) {
      const s0 = data[row + k];
      if (!(s0 > ref)) continue;
      const sm = data[row + k - 1];
      const xm = sm > ref ? sm : 0;
      if (!(s0 > xm)) continue;
      let shift = 0;
      let grad: number;
      if (k < nBins - 1) {
        const sp = data[row + k + 1];
        const xp = sp > ref ? sp : 0;
        if (!(s0 >= xp)) continue;
        const a = f32(sm + sp) - 2 * s0;
        const b = f32(sp - sm) / 2;
        shift = Math.abs(b) >= Math.abs(a) ? 0 : f32(-b / a);
        grad = b;
      } else {
        grad = f32(s0 - sm);
      }
      if (n === cap) {
        cap *= 2;
        frame = grow(frame, cap);
        bin = grow(bin, cap);
        pitch = grow(pitch, cap);
        mag = grow(mag, cap);
      }
      frame[n] = t;
      bin[n] = k;
      pitch[n] = ((k + shift) * sr) / nFft;
      mag[n] = s0 + f32(0.5 * grad * shift);
      n++;
    }
  }
  return { frame: frame.slice(0, n), bin: bin.slice(0, n), pitch: pitch.slice(0, n), mag: mag.slice(0, n) };
}

function grow<T extends Int32Array | Float32Array>(a: T, cap: number): T {
  const b = new (a.constructor as { new (n: number): T })(cap);
  b.set(a);
  return b;
}

export interface TuningOptions {
  readonly resolution?: number;
  readonly binsPerOctave?: number;
}

/**
 * `librosa.pitch_tuning`: the most common deviation (in fractions of a bin) of `frequencies` from the
 * equal-tempered grid, quantised to `resolution`. 0 when there is no positive frequency.
 */
export function pitchTuning(frequencies: Float32Array, o: TuningOptions = {}): number {
  const resolution = o.resolution ?? 0.01;
  const bpo = o.binsPerOctave ?? 12;
  const edges = linspace(-0.5, 0.5, Math.ceil(1.0 / resolution) + 1);
  const nBins = edges.length - 1;
  const counts = new Int32Array(nBins);
  let any = false;
  for (let i = 0; i < frequencies.length; i++) {
    const f = frequencies[i];
    if (!(f > 0)) continue;
    any = true;
    // float32 throughout, as numpy computes it for float32 input.
    const octs = f32(Math.log2(f32(f / 27.5)));
    const x = f32(bpo * octs);
    let r = f32(x - Math.floor(x));
    if (r >= 0.5) r = f32(r - 1.0);
    // Bin i holds edges[i] <= r < edges[i+1]; the last bin also holds r == edges[nBins].
    let b = Math.floor((r - edges[0]) / resolution);
    if (b < 0) b = 0;
    if (b > nBins - 1) b = nBins - 1;
    while (b > 0 && r < edges[b]) b--;
    while (b < nBins - 1 && r >= edges[b + 1]) b++;
    if (r < edges[0] || r > edges[nBins]) continue;
    counts[b]++;
  }
  if (!any) return 0.0;
  let best = 0;
  for (let b = 1; b < nBins; b++) if (counts[b] > counts[best]) best = b;
  return edges[best];
}

/** `librosa.estimate_tuning(S=s, sr=, n_fft=)`: tuning deviation in fractions of a bin. */
export function estimateTuning(s: FrameMatrix<Float32Array>, o: PiptrackOptions & TuningOptions): number {
  const peaks = piptrack(s, o);
  const positive: number[] = [];
  for (let i = 0; i < peaks.pitch.length; i++) if (peaks.pitch[i] > 0) positive.push(i);
  if (positive.length === 0) return pitchTuning(new Float32Array(0), o);
  const mags = Float32Array.from(positive, (i) => peaks.mag[i]);
  const threshold = medianInPlace(mags, 0, mags.length, true);
  const kept = positive.filter((i) => peaks.mag[i] >= threshold).map((i) => peaks.pitch[i]);
  return pitchTuning(Float32Array.from(kept), o);
}
