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
  // Edge padding repeats y[0] and y[-1], which adds no crossing: count on y with an index offset.
  const h = center ? N >> 1 : 0;
  const len = y.length + 2 * h;
  const nFrames = len < N ? 0 : 1 + Math.floor((len - N) / hop);
  if (nFrames === 0) throw new RangeError(`zero_crossing_rate: ${y.length} samples are fewer than frame_length=${N} with center=false`);
  // After zeroing |x| <= threshold, the sign bit is set exactly where x < -threshold.
  const lim = -Math.abs(threshold);
  // c[n] (padded index n >= 1) = 1 when samples n-1 and n differ in sign; blocks[j] = sum over n in (j g, (j+1) g].
  const g = gcd(N, hop);
  const nBlocks = Math.floor((len - 1) / g);
  const blocks = new Int32Array(nBlocks);
  const first = h + 1, last = h + y.length - 1; // padded indices whose crossing compares two samples of y
  // Branch-free counting: crossings are frequent and unpredictable in noisy audio.
  for (let j = 0; j < nBlocks; j++) {
    const from = Math.max(j * g + 1, first), to = Math.min((j + 1) * g, last);
    let count = 0;
    if (from <= to) {
      let prev = y[from - 1 - h] < lim ? 1 : 0;
      for (let m = from - h, e = to - h; m <= e; m++) {
        const neg = y[m] < lim ? 1 : 0;
        count += neg ^ prev;
        prev = neg;
      }
    }
    blocks[j] = count;
  }
  const cross = (n: number): number => (n >= first && n <= last && (y[n - h] < lim) !== (y[n - 1 - h] < lim) ? 1 : 0);
  const per = N / g, step = hop / g;
  const out = new Float64Array(nFrames);
  for (let t = 0; t < nFrames; t++) {
    // Crossings at s+1 .. s+N-1 = the blocks covering (s, s+N], minus the crossing at s+N.
    const s = t * hop;
    const j0 = t * step;
    const jEnd = Math.min(j0 + per, nBlocks);
    let count = 0;
    for (let j = j0; j < jEnd; j++) count += blocks[j];
    for (let n = jEnd * g + 1; n <= s + N - 1; n++) count += cross(n);
    if (jEnd * g >= s + N) count -= cross(s + N);
    out[t] = count / N;
  }
  return out;
}
