/**
 * Zero-crossing rate, `librosa.feature.zero_crossing_rate`:
 *
 *     x'[n]   = 0 if |x[n]| <= threshold else x[n]
 *     c[n]    = signbit(x'[n]) != signbit(x'[n-1])       (zero counts as positive)
 *     zcr[t]  = (1 / N) · sum_{n=1}^{N-1} c[t·hop + n]    (the first sample of a frame never crosses)
 *
 * over frames of N = frame_length samples of the signal edge-padded by N/2 on each side (`center=True`,
 * librosa pads ZCR with mode 'edge', not zeros). The per-sample crossings are counted once and each
 * frame's count is a difference of prefix sums.
 */
import { pad } from "./pad.ts";

export interface ZcrOptions {
  readonly frameLength?: number;
  readonly hopLength?: number;
  readonly center?: boolean;
  readonly threshold?: number;
}

export function zeroCrossingRate(y: Float32Array, o: ZcrOptions = {}): Float64Array {
  const N = o.frameLength ?? 2048;
  const hop = o.hopLength ?? 512;
  const center = o.center ?? true;
  const threshold = o.threshold ?? 1e-10;
  const x = center ? pad(y, N >> 1, N >> 1, "edge") : y;
  const nFrames = x.length < N ? 0 : 1 + Math.floor((x.length - N) / hop);
  if (nFrames === 0) throw new RangeError(`zero_crossing_rate: ${y.length} samples are fewer than frame_length=${N} with center=false`);
  // prefix[i] = crossings at samples 1..i-1 (crossing at n compares x[n] with x[n-1]).
  const prefix = new Int32Array(x.length + 1);
  // After zeroing |x| <= threshold, the sign bit is set exactly where x < -threshold.
  const lim = -Math.abs(threshold);
  let prevNeg = x[0] < lim;
  for (let n = 1; n < x.length; n++) {
    const neg = x[n] < lim;
    prefix[n + 1] = prefix[n] + (neg !== prevNeg ? 1 : 0);
    prevNeg = neg;
  }
  const out = new Float64Array(nFrames);
  for (let t = 0; t < nFrames; t++) {
    const s = t * hop;
    out[t] = (prefix[s + N] - prefix[s + 1]) / N;
  }
  return out;
}
