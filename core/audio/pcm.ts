/**
 * Raw sample words to float32, scaled as libsndfile (and so soundfile and `librosa.load`) scales them:
 * an n-bit signed integer is divided by 2^(n−1) (PCM16 by 32768), 8-bit WAV is unsigned (offset 128),
 * float words are kept, G.711 µ-law / A-law words expand to 16-bit values first.
 */

/** How the words of a PCM stream are stored. */
export type SampleEncoding =
  | "u8"
  | "s8"
  | "s16"
  | "s24"
  | "s32"
  | "f32"
  | "f64"
  | "ulaw"
  | "alaw";

/** Bytes per sample word of an encoding. */
export function bytesPerSample(encoding: SampleEncoding): number {
  return { u8: 1, s8: 1, s16: 2, s24: 3, s32: 4, f32: 4, f64: 8, ulaw: 1, alaw: 1 }[encoding];
}

/** G.711 µ-law word → 16-bit linear value (ITU-T G.711, as libsndfile's table). */
export function ulawToLinear(u: number): number {
  u = ~u & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** G.711 A-law word → 16-bit linear value. */
export function alawToLinear(a: number): number {
  a ^= 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

const ULAW = Float32Array.from({ length: 256 }, (_, i) => ulawToLinear(i) / 32768);
const ALAW = Float32Array.from({ length: 256 }, (_, i) => alawToLinear(i) / 32768);

/**
 * De-interleave `frames` frames of `channels` channels from `bytes` (starting at `offset`) into one
 * float32 array per channel, or with `mono` into one array of their mean (as `toMono` computes it).
 */
export function decodePcm(
  bytes: Uint8Array,
  offset: number,
  frames: number,
  channels: number,
  encoding: SampleEncoding,
  littleEndian: boolean,
  mono = false,
): Float32Array[] {
  const out = Array.from({ length: mono ? 1 : channels }, () => new Float32Array(frames));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = bytesPerSample(encoding);
  const average = mono && channels > 1;
  let p = offset;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, p += width) {
      let v: number;
      switch (encoding) {
        case "u8":
          v = (bytes[p] - 128) / 128;
          break;
        case "s8":
          v = view.getInt8(p) / 128;
          break;
        case "s16":
          v = view.getInt16(p, littleEndian) / 32768;
          break;
        case "s24": {
          const b0 = bytes[p];
          const b1 = bytes[p + 1];
          const b2 = bytes[p + 2];
          const word = littleEndian ? b0 | (b1 << 8) | (b2 << 16) : b2 | (b1 << 8) | (b0 << 16);
          v = ((word << 8) >> 8) / 8388608;
          break;
        }
        case "s32":
          // libsndfile: (float)word · 2⁻³¹ (the word is rounded to float32 first).
          v = Math.fround(view.getInt32(p, littleEndian)) / 2147483648;
          break;
        case "f32":
          v = view.getFloat32(p, littleEndian);
          break;
        case "f64":
          v = view.getFloat64(p, littleEndian);
          break;
        case "ulaw":
          v = ULAW[bytes[p]];
          break;
        case "alaw":
          v = ALAW[bytes[p]];
          break;
      }
      if (!average) out[mono ? 0 : c][f] = v;
      else sum = c === 0 ? Math.fround(v) : Math.fround(sum + Math.fround(v));
    }
    if (average) out[0][f] = sum / channels;
  }
  return out;
}
