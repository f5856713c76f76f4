/**
 * `librosa.to_mono`: the plain mean over channels, `y = mean(y, axis=0)`, in float32 as NumPy computes
 * it for float32 input (channels summed in order, then divided by their count).
 */
export function toMono(channels: readonly Float32Array[]): Float32Array {
  if (channels.length === 0) return new Float32Array(0);
  if (channels.length === 1) return channels[0].slice();
  const n = channels[0].length;
  const k = channels.length;
  const out = new Float32Array(n);
  if (k === 2) {
    const [a, b] = channels;
    for (let i = 0; i < n; i++) out[i] = Math.fround(a[i] + b[i]) / 2;
    return out;
  }
  for (let i = 0; i < n; i++) {
    let sum = channels[0][i];
    for (let c = 1; c < k; c++) sum = Math.fround(sum + channels[c][i]);
    out[i] = sum / k;
  }
  return out;
}
