/**
 * A 16-bit PCM WAV encoder (RIFF/WAVE, `fmt ` chunk of 16 bytes, one `data` chunk). Samples in
 * [-1, 1] are scaled by 32767 and rounded to the nearest integer; values outside are clipped. Output
 * depends only on the samples and the rate: the same input gives the same bytes.
 */

/** The bytes of a WAV file holding `channels` interleaved channels of `samples` at `sr` Hz. */
export function encodeWav16(samples: Float32Array, sr: number, channels = 1): Uint8Array {
  if (!Number.isInteger(sr) || sr <= 0) throw new RangeError(`encodeWav16: sampling rate must be a positive integer, got ${sr}`);
  if (samples.length % channels !== 0) throw new RangeError(`encodeWav16: ${samples.length} samples do not divide into ${channels} channels`);
  const dataBytes = samples.length * 2;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels, true);
  view.setUint32(24, sr, true);
  view.setUint32(28, sr * channels * 2, true);
  view.setUint16(32, channels * 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i];
    const clipped = v > 1 ? 1 : v < -1 ? -1 : v !== v ? 0 : v;
    view.setInt16(44 + 2 * i, Math.round(clipped * 32767), true);
  }
  return bytes;
}
