/**
 * Global tempo from an onset envelope, `librosa.feature.tempo`:
 *
 *     W        = floor(floor(ac_size · sr) / hop)              (344 for 8 s at 22050 / 512)
 *     tg       = mean_t tempogram(onset, win_length=W)[:, t]   (aggregate=mean)
 *     bpm[l]   = 60 · sr / (hop · l)                           (bpm[0] = inf)
 *     prior[l] = -0.5 · ((log2 bpm[l] - log2 start_bpm) / std_bpm)²,  -inf where bpm[l] >= max_tempo
 *     tempo    = bpm[argmax_l (log1p(1e6 · tg[l]) + prior[l])]
 *
 * so the result sits on the lag grid (120 BPM material reads 117.45 = lag 22 at the defaults).
 * With aggregate=null the argmax is taken per frame.
 */
import { tempogram } from "./tempogram.ts";

export interface TempoOptions {
  readonly sr: number;
  readonly hopLength?: number;
  readonly startBpm?: number;
  readonly stdBpm?: number;
  readonly acSize?: number;
  readonly maxTempo?: number | null;
  readonly aggregate?: "mean" | null;
}

/** `librosa.tempo_frequencies(n_bins, hop_length=, sr=)`. */
export function tempoFrequencies(nBins: number, sr: number, hopLength: number): Float64Array {
  const out = new Float64Array(nBins);
  out[0] = Infinity;
  for (let l = 1; l < nBins; l++) out[l] = (60.0 * sr) / (hopLength * l);
  return out;
}

export function tempoWinLength(acSize: number, sr: number, hopLength: number): number {
  return Math.floor(Math.floor(acSize * sr) / hopLength);
}

export function tempo(onset: Float32Array, o: TempoOptions): Float64Array {
  const hop = o.hopLength ?? 512;
  const startBpm = o.startBpm ?? 120;
  const stdBpm = o.stdBpm ?? 1.0;
  const maxTempo = o.maxTempo === undefined ? 320 : o.maxTempo;
  const aggregate = o.aggregate === undefined ? "mean" : o.aggregate;
  if (!(startBpm > 0)) throw new RangeError(`tempo: start_bpm=${startBpm} must be strictly positive`);
  const win = tempoWinLength(o.acSize ?? 8.0, o.sr, hop);
  if (win < 1) throw new RangeError(`tempo: ac_size=${o.acSize} is shorter than one frame`);
  const tg = tempogram(onset, { winLength: win });
  const bpms = tempoFrequencies(win, o.sr, hop);
  const logprior = new Float64Array(win);
  for (let l = 0; l < win; l++) logprior[l] = -0.5 * ((Math.log2(bpms[l]) - Math.log2(startBpm)) / stdBpm) ** 2;
  if (maxTempo !== null) {
    // numpy.argmax(bpms < max_tempo): the first lag below max_tempo (0 if none).
    let maxIdx = 0;
    while (maxIdx < win && !(bpms[maxIdx] < maxTempo)) maxIdx++;
    if (maxIdx === win) maxIdx = 0;
    for (let l = 0; l < maxIdx; l++) logprior[l] = -Infinity;
  }
  const best = (col: (l: number) => number): number => {
    let arg = 0, max = -Infinity;
    for (let l = 0; l < win; l++) {
      const v = Math.log1p(1e6 * col(l)) + logprior[l];
      if (v > max) {
        max = v;
        arg = l;
      }
    }
    return bpms[arg];
  };
  const { data, nFrames } = tg; // lag-major
  if (aggregate === null) {
    const out = new Float64Array(nFrames);
    for (let t = 0; t < nFrames; t++) out[t] = best((l) => data[l * nFrames + t]);
    return out;
  }
  const mean = new Float64Array(win);
  for (let l = 0; l < win; l++) {
    let s = 0;
    for (let t = 0; t < nFrames; t++) s += data[l * nFrames + t];
    mean[l] = s / nFrames;
  }
  return Float64Array.of(best((l) => mean[l]));
}
