/**
 * Zero-crossing rate, `librosa.feature.zero_crossing_rate`:
 *
 *     x'[n]   = 0 if |x[n]| <= threshold else x[n]
 *     c[n]    = signbit(x'[n]) != signbit(x'[n-1])       (zero counts as positive)
 *     zcr[t]  = (1 / N) · sum_{n=1}^{N-1} c[t·hop + n]    (the first sample of a frame never crosses)
 *
 * over frames of N = frame_length samples of the signal edge-padded by N/2 on each side (`center=True`,
 * librosa pads ZCR with mode 'edge', not zeros). Crossings are counted once per block of
 * g = gcd(N, hop) samples; a frame adds its N/g blocks.
 */
import { pad } from "./pad.ts";

export interface ZcrOptions {
  readonly frameLength?: number;
  readonly hopLength?: number;
  readonly center?: boolean;
  readonly threshold?: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function zeroCrossingRate(y: Float32Array, o: ZcrOptions = {}): Float64Array {
  const N = o.frameLength ?? 2048;
  const hop = o.hopLength ?? 512;
  const center = o.center ?? true;
  const threshold = o.threshold ?? 1e-10;
  const x = center ? pad(y, N >> 1, N >> 1, "edge") : y;
  const nFrames = x.length < N ? 0 : 1 + Math.floor((x.length - N) / hop);
  if (nFrames === 0) throw new RangeError(`zero_crossing_rate: ${y.length} samples are fewer than frame_length=${N} with center=false`);
  // After zeroing |x| <= threshold, the sign bit is set exactly where x < -threshold.
  const lim = -Math.abs(threshold);
  const len = x.length;
  // crossAt(n) = c[n]; blocks[j] = sum of c[n] for n in (j g, (j+1) g].
  const g = gcd(N, hop);
  const nBlocks = Math.floor((len - 1) / g);
  const blocks = new Int32Array(nBlocks);
  // Branch-free counting: crossings are frequent and unpredictable in noisy audio.
  let prevNeg = x[0] < lim ? 1 : 0;
  for (let j = 0, n = 1; j < nBlocks; j++) {
    let count = 0;
    for (const e = (j + 1) * g; n <= e; n++) {
      const neg = x[n] < lim ? 1 : 0;
      count += neg ^ prevNeg;
      prevNeg = neg;
    }
    blocks[j] = count;
  }
  const per = N / g, step = hop / g;
  const out = new Float64Array(nFrames);
  for (let t = 0; t < nFrames; t++) {
    // Crossings at s+1 .. s+N-1 = blocks covering (s, s+N] minus the crossing at s+N.
    const s = t * hop;
    let count = 0;
    const j0 = t * step;
    const jEnd = Math.min(j0 + per, nBlocks);
    for (let j = j0; j < jEnd; j++) count += blocks[j];
    for (let n = (jEnd + 0) * g + 1; n <= s + N - 1; n++) if ((x[n] < lim) !== (x[n - 1] < lim)) count++;
    const e = s + N;
    if (e < len && jEnd * g >= e && (x[e] < lim) !== (x[e - 1] < lim)) count--;
    out[t] = count / N;
  }
  return out;
}
