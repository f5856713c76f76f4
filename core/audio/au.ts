/**
 * Sun/NeXT `.au` reader (GTZAN's original format): a big-endian header
 * `.snd | header size | data size (0xFFFFFFFF: to the end) | encoding | rate | channels` and
 * big-endian samples. Encodings: 1 µ-law, 2/3/4/5 8/16/24/32-bit PCM, 6/7 float 32/64, 27 A-law.
 */
import { AudioDecodeError } from "../errors.ts";
import type { DecodedAudio } from "./decoded.ts";
import { bytesPerSample, decodePcm, type SampleEncoding } from "./pcm.ts";
import { codecName } from "./wav.ts";

const ENCODINGS: Readonly<Record<number, SampleEncoding>> = {
  1: "ulaw",
  2: "s8",
  3: "s16",
  4: "s24",
  5: "s32",
  6: "f32",
  7: "f64",
  27: "alaw",
};

export interface AuHeader {
  readonly sr: number;
  readonly channels: number;
  readonly encoding: SampleEncoding;
  readonly dataOffset: number;
  readonly frames: number;
}

/** True when `bytes` start with the `.snd` magic. */
export function isAu(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x2e && bytes[1] === 0x73 && bytes[2] === 0x6e && bytes[3] === 0x64;
}

export function readAuHeader(bytes: Uint8Array, path: string): AuHeader {
  if (!isAu(bytes)) throw new AudioDecodeError(path, "not a Sun .au file (no '.snd' magic)");
  if (bytes.length < 24) throw new AudioDecodeError(path, ".au header is truncated");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(4, false);
  const dataSize = view.getUint32(8, false);
  const code = view.getUint32(12, false);
  const sr = view.getUint32(16, false);
  const channels = view.getUint32(20, false);
  const encoding = ENCODINGS[code];
  if (!encoding) throw new AudioDecodeError(path, `.au encoding ${code} is not PCM, float or G.711`);
  if (channels === 0 || channels > 1024) throw new AudioDecodeError(path, `.au header says ${channels} channels`);
  if (sr === 0) throw new AudioDecodeError(path, ".au header says a sampling rate of 0 Hz");
  if (dataOffset < 24 || dataOffset > bytes.length) throw new AudioDecodeError(path, `.au data offset ${dataOffset} is outside the file`);
  const available = bytes.length - dataOffset;
  const size = dataSize === 0xffffffff || dataSize > available ? available : dataSize;
  const frames = Math.floor(size / (bytesPerSample(encoding) * channels));
  return { sr, channels, encoding, dataOffset, frames };
}

export function decodeAu(bytes: Uint8Array, path: string, mono = false): DecodedAudio {
  const h = readAuHeader(bytes, path);
  const channels = decodePcm(bytes, h.dataOffset, h.frames, h.channels, h.encoding, false, mono);
  return { channels, sr: h.sr, format: "au", codec: codecName(h.encoding), decoder: "builtin", sourceChannels: h.channels };
}
