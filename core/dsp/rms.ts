/**
 * Root-mean-square energy per frame, `librosa.feature.rms(y=...)`:
 *
 *     rms[t] = sqrt((1/N) · sum_{n=0}^{N-1} ŷ[t·hop + n]²)
 *
 * with N = frame_length, ŷ the signal padded by N/2 on each side (`center=True`, zeros by default), no
 * window; float32 result as librosa's. The signal is cut into blocks of g = gcd(N, hop) samples whose
 * sums of squares are computed once; each frame adds its N/g blocks (4 at the defaults), so silent
 * stretches give exactly 0.
 */
import { pad, type PadMode } from "./pad.ts";

export interface RmsOptions {
  readonly frameLength?: number;
  readonly hopLength?: number;
  readonly center?: boolean;
  readonly padMode?: PadMode;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function rms(y: Float32Array, o: RmsOptions = {}): Float32Array {
  const N = o.frameLength ?? 2048;
  const hop = o.hopLength ?? 512;
  const center = o.center ?? true;
  const mode = o.padMode ?? "constant";
  // Zero padding adds nothing to the sums: index y with an offset instead of copying it.
  const x = center && mode !== "constant" ? pad(y, N >> 1, N >> 1, mode) : y;
  const off = center && mode === "constant" ? N >> 1 : 0;
  const len = x.length + 2 * off;
  const nFrames = len < N ? 0 : 1 + Math.floor((len - N) / hop);
  if (nFrames === 0) throw new RangeError(`rms: ${y.length} samples are fewer than frame_length=${N} with center=false`);
  const g = gcd(N, hop);
  const nBlocks = Math.floor(len / g);
  const blocks = new Float64Array(nBlocks);
  for (let j = 0; j < nBlocks; j++) {
    let s = 0;
    const from = Math.max(j * g - off, 0), to = Math.min((j + 1) * g - off, x.length);
    for (let n = from; n < to; n++) s += x[n] * x[n];
    blocks[j] = s;
  }
  const per = N / g, step = hop / g;
  const out = new Float32Array(nFrames);
  for (let t = 0; t < nFrames; t++) {
    let s = 0;
    for (let j = t * step, e = j + per; j < e; j++) s += blocks[j];
    out[t] = Math.sqrt(s / N);
  }
  return out;
}
