/**
 * What a file is, from its first bytes (never from its name: a GTZAN `.au` renamed `.wav`, or a
 * yt-dlp download without its extension, is still read for what it is).
 */
import { isAu } from "./au.ts";
import { isWav } from "./wav.ts";

export type SniffedFormat =
  | "wav"
  | "au"
  | "aiff"
  | "flac"
  | "ogg-vorbis"
  | "ogg-opus"
  | "ogg-flac"
  | "ogg"
  | "mp3"
  | "aac"
  | "mp4"
  | "webm"
  | "unknown";

function ascii(bytes: Uint8Array, at: number, length: number): string {
  let s = "";
  for (let i = at; i < at + length && i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** An MPEG audio frame header at `at`: sync, a valid layer, bitrate and rate index. */
function isMpegFrame(bytes: Uint8Array, at: number): boolean {
  if (at + 4 > bytes.length) return false;
  const b1 = bytes[at + 1];
  const b2 = bytes[at + 2];
  return (
    bytes[at] === 0xff &&
    (b1 & 0xe0) === 0xe0 &&
    ((b1 >> 3) & 3) !== 1 && // version (1 is reserved)
    ((b1 >> 1) & 3) !== 0 && // layer (0 is reserved)
    (b2 >> 4) !== 15 && // bitrate index 15 is invalid
    ((b2 >> 2) & 3) !== 3 // sampling-rate index 3 is reserved
  );
}

function isAdts(bytes: Uint8Array, at: number): boolean {
  return at + 7 <= bytes.length && bytes[at] === 0xff && (bytes[at + 1] & 0xf6) === 0xf0;
}

/** The format of a file whose first bytes (a few KiB are enough) are `head`. */
export function sniffFormat(head: Uint8Array): SniffedFormat {
  if (isWav(head)) return "wav";
  if (isAu(head)) return "au";
  const magic = ascii(head, 0, 4);
  if (magic === "FORM" && ["AIFF", "AIFC"].includes(ascii(head, 8, 4))) return "aiff";
  if (magic === "fLaC") return "flac";
  if (magic === "OggS") {
    // The first page's first packet names the codec.
    const segments = head[26] ?? 0;
    const packet = 27 + segments;
    if (ascii(head, packet, 8) === "OpusHead") return "ogg-opus";
    if (ascii(head, packet + 1, 6) === "vorbis") return "ogg-vorbis";
    if (ascii(head, packet + 1, 4) === "FLAC") return "ogg-flac";
    return "ogg";
  }
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return "webm";
  if (ascii(head, 4, 4) === "ftyp") return "mp4";
  let at = 0;
  if (magic.startsWith("ID3") && head.length >= 10) {
    // ID3v2 tag: a synch-safe size, then the audio frames.
    const size = ((head[6] & 0x7f) << 21) | ((head[7] & 0x7f) << 14) | ((head[8] & 0x7f) << 7) | (head[9] & 0x7f);
    at = 10 + size + (head[5] & 0x10 ? 10 : 0);
    if (at >= head.length) return "mp3"; // a tag larger than the head read: trust it
  }
  // Skip leading zero padding some encoders leave, then look for an ADTS or MPEG frame.
  while (at < head.length && head[at] === 0) at++;
  if (isAdts(head, at)) return "aac";
  if (isMpegFrame(head, at)) return "mp3";
  return "unknown";
}
