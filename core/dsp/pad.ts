/**
 * Signal padding, as `numpy.pad(y, (left, right), mode)` does it for the modes librosa's framing uses:
 *
 *     constant: 0 0 0 | a b c d | 0 0 0
 *     edge:     a a a | a b c d | d d d
 *     reflect:  d c b | a b c d | c b a      (mirror about the edge sample, not repeating it)
 */

export const PAD_MODES = ["constant", "edge", "reflect"] as const;
export type PadMode = (typeof PAD_MODES)[number];

export function pad(y: Float32Array, left: number, right: number, mode: PadMode): Float32Array {
  const n = y.length;
  const out = new Float32Array(n + left + right);
  out.set(y, left);
  if (mode === "constant") return out;
  if (n === 0) throw new RangeError(`pad: cannot pad an empty signal in mode "${mode}"`);
  if (mode === "edge") {
    out.fill(y[0], 0, left);
    out.fill(y[n - 1], left + n);
    return out;
  }
  // reflect: numpy reflects repeatedly when the pad is longer than the signal; period 2(n-1).
  if (n === 1) {
    out.fill(y[0]);
    return out;
  }
  const period = 2 * (n - 1);
  const at = (i: number): number => {
    let j = ((i % period) + period) % period;
    if (j >= n) j = period - j;
    return y[j];
  };
  for (let i = 0; i < left; i++) out[i] = at(i - left);
  for (let i = 0; i < right; i++) out[left + n + i] = at(n + i);
  return out;
}
