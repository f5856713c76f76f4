/**
 * WAV (RIFF and RF64) reader: PCM 8/16/24/32-bit, IEEE float 32/64, G.711 µ-law/A-law, and the
 * WAVE_FORMAT_EXTENSIBLE wrapper of each. A data chunk whose size is unknown (0xFFFFFFFF, as a
 * streaming writer leaves it) or larger than the file is read to the last whole frame present.
 */
import { AudioDecodeError } from "../errors.ts";
import type { DecodedAudio } from "./decoded.ts";
import { bytesPerSample, decodePcm, type SampleEncoding } from "./pcm.ts";

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** The format of a WAV file, read from its header alone. */
export interface WavHeader {
  readonly sr: number;
  readonly channels: number;
  readonly encoding: SampleEncoding;
  readonly dataOffset: number;
  readonly frames: number;
}

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

/** True when `bytes` start like a RIFF/RF64 WAVE file. */
export function isWav(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ["RIFF", "RF64", "BW64"].includes(fourcc(bytes, 0)) && fourcc(bytes, 8) === "WAVE";
}

function encodingOf(tag: number, bits: number, width: number, path: string): SampleEncoding {
  if (tag === WAVE_FORMAT_PCM) {
    const e = ({ 1: "u8", 2: "s16", 3: "s24", 4: "s32" } as const)[width];
    if (e) return e;
  } else if (tag === WAVE_FORMAT_IEEE_FLOAT) {
    if (width === 4) return "f32";
    if (width === 8) return "f64";
  } else if (tag === WAVE_FORMAT_MULAW && width === 1) return "ulaw";
  else if (tag === WAVE_FORMAT_ALAW && width === 1) return "alaw";
  else {
    throw new AudioDecodeError(path, `WAV codec 0x${tag.toString(16).padStart(4, "0")} is not PCM, float or G.711`);
  }
  throw new AudioDecodeError(path, `WAV with ${bits}-bit samples in ${width}-byte words is not supported`);
}

/** Parse a WAV header; throws AudioDecodeError naming `path` when it is not a readable WAV. */
export function readWavHeader(bytes: Uint8Array, path: string): WavHeader {
  if (!isWav(bytes)) throw new AudioDecodeError(path, "not a RIFF/WAVE file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let ds64DataSize: number | undefined;
  let fmt: { tag: number; channels: number; sr: number; blockAlign: number; bits: number } | undefined;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = fourcc(bytes, pos);
    let size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === "ds64" && body + 16 <= bytes.length) {
      ds64DataSize = Number(view.getBigUint64(body + 8, true));
    } else if (id === "fmt ") {
      if (body + 16 > bytes.length || size < 16) throw new AudioDecodeError(path, "WAV 'fmt ' chunk is truncated");
      let tag = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const sr = view.getUint32(body + 4, true);
      const blockAlign = view.getUint16(body + 12, true);
      const bits = view.getUint16(body + 14, true);
      if (tag === WAVE_FORMAT_EXTENSIBLE) {
        if (size < 40 || body + 40 > bytes.length) throw new AudioDecodeError(path, "WAVE_FORMAT_EXTENSIBLE header is truncated");
        tag = view.getUint16(body + 24, true); // the sub-format GUID starts with the format tag
      }
      fmt = { tag, channels, sr, blockAlign, bits };
    } else if (id === "data") {
      if (!fmt) throw new AudioDecodeError(path, "WAV 'data' chunk comes before any 'fmt ' chunk");
      if (fmt.channels === 0) throw new AudioDecodeError(path, "WAV header says 0 channels");
      if (fmt.sr === 0) throw new AudioDecodeError(path, "WAV header says a sampling rate of 0 Hz");
      const width = fmt.blockAlign > 0 ? fmt.blockAlign / fmt.channels : Math.ceil(fmt.bits / 8);
      if (!Number.isInteger(width) || width < 1) {
        throw new AudioDecodeError(path, `WAV block align ${fmt.blockAlign} does not fit ${fmt.channels} channels`);
      }
      const encoding = encodingOf(fmt.tag, fmt.bits, width, path);
      if (ds64DataSize !== undefined && size === 0xffffffff) size = ds64DataSize;
      const available = bytes.length - body;
      // Sizes a streaming writer leaves: 0xFFFFFFFF, or 0 with an unset RIFF size as well.
      const riffSize = view.getUint32(4, true);
      const unknown = size === 0xffffffff || (size === 0 && (riffSize === 0 || riffSize === 0xffffffff));
      const dataBytes = unknown || size > available ? available : size;
      const frames = Math.floor(dataBytes / (bytesPerSample(encoding) * fmt.channels));
      return { sr: fmt.sr, channels: fmt.channels, encoding, dataOffset: body, frames };
    }
    if (size === 0xffffffff) break;
    pos = body + size + (size & 1);
  }
  throw new AudioDecodeError(path, fmt ? "WAV file has no 'data' chunk" : "WAV file has no 'fmt ' chunk");
}

/** Decode a whole WAV file held in memory. */
export function decodeWav(bytes: Uint8Array, path: string, mono = false): DecodedAudio {
  const h = readWavHeader(bytes, path);
  const channels = decodePcm(bytes, h.dataOffset, h.frames, h.channels, h.encoding, true, mono);
  return { channels, sr: h.sr, format: "wav", codec: codecName(h.encoding), decoder: "builtin", sourceChannels: h.channels };
}

/** ffmpeg-style codec names for the encodings (`pcm_s16`, `pcm_f32`, `ulaw`, ...). */
export function codecName(encoding: SampleEncoding): string {
  return encoding === "ulaw" || encoding === "alaw" ? encoding : `pcm_${encoding}`;
}
