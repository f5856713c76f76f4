/**
 * Dynamic-programming beat tracker (Ellis 2007), `librosa.beat.beat_track` as librosa 0.11 runs it on
 * an onset envelope (librosa computes that envelope with aggregate=median):
 *
 *     bpm        = tempo(onset)                               (unless given)
 *     fpb        = round(frame_rate · 60 / bpm)                (frames per beat, half to even)
 *     o'         = onset / (std(onset, ddof=1) + tiny)
 *     local[i]   = sum_k g[k] · o'[i + fpb - k],  g[k] = exp(-0.5 (32 (k - fpb) / fpb)²), k = 0..2 fpb
 *                  (librosa's same-mode loop, which never reaches o'[0])
 *     cum[i]     = local[i] + max_{loc in [i - 2 fpb, i - round(fpb/2)]} cum[loc] - tightness (ln(i - loc) - ln fpb)²
 *
 * The first beat waits for local >= 1 % of max(local). The last beat is the last local maximum of cum
 * with cum >= 0.5 · median(cum at local maxima); beats follow the back-links from there. Trimming
 * (trim=True) drops leading and trailing frames whose local score is <= half the RMS of the Hann(5)
 * smoothed local score at the beats (librosa's full-convolution slice, two extra samples included).
 * No onset at all gives tempo 0 and no beats.
 */
import { roundHalfEven } from "./convert.ts";
import { medianInPlace } from "./select.ts";
import { tempo } from "./tempo.ts";

export interface BeatTrackOptions {
  readonly sr: number;
  readonly hopLength?: number;
  readonly startBpm?: number;
  readonly tightness?: number;
  readonly trim?: boolean;
  /** Use this tempo instead of estimating it. */
  readonly bpm?: number | null;
}

export interface BeatTrack {
  /** Tempo in BPM (0 when the envelope has no onset). */
  readonly tempo: number;
  /** Frame index of each beat, ascending. */
  readonly beats: Int32Array;
}

export function beatTrack(onset: Float32Array, o: BeatTrackOptions): BeatTrack {
  const hop = o.hopLength ?? 512;
  const tightness = o.tightness ?? 100;
  const trim = o.trim ?? true;
  if (!onset.some((v) => v !== 0)) return { tempo: 0, beats: new Int32Array(0) };
  const bpm = o.bpm ?? tempo(onset, { sr: o.sr, hopLength: hop, startBpm: o.startBpm ?? 120 })[0];
  if (!(bpm > 0)) throw new RangeError(`beat_track: bpm=${bpm} must be strictly positive`);
  if (!(tightness > 0)) throw new RangeError(`beat_track: tightness=${tightness} must be strictly positive`);
  const frameRate = o.sr / hop;
  const fpb = roundHalfEven((frameRate * 60.0) / bpm);
  const local = localScore(normalizeOnsets(onset), fpb);
  const { backlink, cumscore } = beatTrackDp(local, fpb, Math.fround(tightness));
  const n = onset.length;
  const beats = new Uint8Array(n);
  for (let i = lastBeat(cumscore); i >= 0; i = backlink[i]) beats[i] = 1;
  trimBeats(local, beats, trim);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (beats[i]) out.push(i);
  return { tempo: bpm, beats: Int32Array.from(out) };
}

/** onset / (sample standard deviation + float32 tiny), in float32 as numpy does for float32 input. */
function normalizeOnsets(onset: Float32Array): Float64Array {
  const n = onset.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += onset[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (onset[i] - mean) ** 2;
  const std = Math.fround(Math.sqrt(ss / (n - 1)));
  const denom = Math.fround(std + 1.1754943508222875e-38);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(onset[i] / denom);
  return out;
}

function localScore(onset: Float64Array, fpb: number): Float64Array {
  const n = onset.length;
  const K = 2 * fpb + 1;
  const window = new Float64Array(K);
  for (let k = 0; k < K; k++) window[k] = Math.exp(-0.5 * (((k - fpb) * 32.0) / fpb) ** 2);
  const half = K >> 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    const kEnd = Math.min(i + half, K);
    for (let k = Math.max(0, i + half - n + 1); k < kEnd; k++) acc += window[k] * onset[i + half - k];
    out[i] = acc;
  }
  return out;
}

function beatTrackDp(local: Float64Array, fpb: number, tightness: number): { backlink: Int32Array; cumscore: Float64Array } {
  const n = local.length;
  const backlink = new Int32Array(n);
  const cumscore = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (local[i] > max) max = local[i];
  const scoreThresh = 0.01 * max;
  let firstBeat = true;
  backlink[0] = -1;
  cumscore[0] = local[0];
  const logFpb = Math.log(fpb);
  const start = roundHalfEven(fpb / 2);
  for (let i = 0; i < n; i++) {
    let bestScore = -Infinity;
    let beatLocation = -1;
    for (let loc = i - start; loc > i - 2 * fpb - 1; loc--) {
      if (loc < 0) break;
      const d = Math.log(i - loc) - logFpb;
      const score = cumscore[loc] - tightness * d * d;
      if (score > bestScore) {
        bestScore = score;
        beatLocation = loc;
      }
    }
    cumscore[i] = beatLocation >= 0 ? local[i] + bestScore : local[i];
    if (firstBeat && local[i] < scoreThresh) backlink[i] = -1;
    else {
      backlink[i] = beatLocation;
      firstBeat = false;
    }
  }
  return { backlink, cumscore };
}

/** Local maxima as `librosa.util.localmax`: x[i] > x[i-1] and x[i] >= x[i+1]; never i = 0; last: x[-1] > x[-2]. */
function isLocalMax(x: Float64Array, i: number): boolean {
  const n = x.length;
  if (i === 0 || n < 2) return false;
  if (i === n - 1) return x[i] > x[i - 1];
  return x[i] > x[i - 1] && x[i] >= x[i + 1];
}

function lastBeat(cumscore: Float64Array): number {
  const n = cumscore.length;
  const maxima: number[] = [];
  for (let i = 0; i < n; i++) if (isLocalMax(cumscore, i)) maxima.push(cumscore[i]);
  const threshold = 0.5 * medianInPlace(Float64Array.from(maxima));
  for (let i = n - 1; i >= 0; i--) if (isLocalMax(cumscore, i) && cumscore[i] >= threshold) return i;
  return n - 1;
}

function trimBeats(local: Float64Array, beats: Uint8Array, trim: boolean): void {
  let threshold = 0;
  if (trim) {
    const values: number[] = [];
    for (let i = 0; i < beats.length; i++) if (beats[i]) values.push(local[i]);
    // numpy.convolve(values, hanning(5))[2 : len(local) + 2]
    const w = [0, 0.5, 1, 0.5, 0];
    const m = values.length;
    const full = new Float64Array(m + 4);
    for (let i = 0; i < m; i++) for (let k = 0; k < 5; k++) full[i + k] += values[i] * w[k];
    const smooth = full.subarray(2, Math.min(full.length, local.length + 2));
    let ss = 0;
    for (const v of smooth) ss += v * v;
    threshold = smooth.length > 0 ? 0.5 * Math.sqrt(ss / smooth.length) : 0;
  }
  const n = local.length;
  for (let i = 0; i < n && local[i] <= threshold; i++) beats[i] = 0;
  for (let i = n - 1; i >= 0 && local[i] <= threshold; i--) beats[i] = 0;
}
