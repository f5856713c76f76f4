/**
 * One entry for decoding a file by either path. `decoder: "auto"` reads WAV and `.au` with clave's own
 * readers, everything else with the system ffmpeg when there is one and with the npm decoders when not;
 * `"ffmpeg"` and `"npm"` force a path (for every format, WAV included).
 */
import { open, readFile, stat } from "node:fs/promises";
import { AudioDecodeError, fsReason } from "../errors.ts";
import { decodeAu } from "./au.ts";
import type { DecodedAudio } from "./decoded.ts";
import { decodeWithFfmpeg, findFfmpeg } from "./ffmpeg.ts";
import { decodeWithNpm } from "./npmdecode.ts";
import { sniffFormat, type SniffedFormat } from "./sniff.ts";
import { decodeWav } from "./wav.ts";

export type DecoderChoice = "auto" | "ffmpeg" | "npm";

const HEAD_BYTES = 64 * 1024;

/** Check that `path` is a non-empty regular file; its size. Errors name the path and what is wrong. */
export async function checkAudioFile(path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new AudioDecodeError(path, fsReason(error), { cause: error });
  }
  if (info.isDirectory()) throw new AudioDecodeError(path, "is a directory, not an audio file");
  if (!info.isFile()) throw new AudioDecodeError(path, "is not a regular file");
  if (info.size === 0) throw new AudioDecodeError(path, "is empty (0 bytes)");
  return info.size;
}

/** The first bytes of a file, enough to sniff its format. */
export async function readHead(path: string, bytes = HEAD_BYTES): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const buffer = new Uint8Array(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    throw new AudioDecodeError(path, `cannot read: ${(error as Error).message}`, { cause: error });
  } finally {
    await handle.close();
  }
}

async function readWhole(path: string): Promise<Uint8Array> {
  try {
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (error) {
    throw new AudioDecodeError(path, `cannot read: ${(error as Error).message}`, { cause: error });
  }
}

/** Rates outside this range are damaged headers, not audio (and would make resampling explode). */
const MIN_RATE = 1000;
const MAX_RATE = 1_536_000;

/**
 * Decode every channel of `path` at its own rate, by the chosen path; with `mono`, only the channels'
 * mean (`toMono`'s), computed as the samples arrive so that the channels are never all in memory.
 */
export async function decodeFile(path: string, decoder: DecoderChoice = "auto", options: { mono?: boolean } = {}): Promise<DecodedAudio> {
  const decoded = await decodeAny(path, decoder, options.mono ?? false);
  if (!(decoded.sr >= MIN_RATE && decoded.sr <= MAX_RATE)) {
    throw new AudioDecodeError(path, `implausible sampling rate ${decoded.sr} Hz (damaged header?)`);
  }
  for (const channel of decoded.channels) {
    for (let i = 0; i < channel.length; i++) {
      if (!Number.isFinite(channel[i])) throw new AudioDecodeError(path, "decoded samples include NaN or infinity (damaged data)");
    }
  }
  return decoded;
}

async function decodeAny(path: string, decoder: DecoderChoice, mono: boolean): Promise<DecodedAudio> {
  const size = await checkAudioFile(path);
  const head = await readHead(path);
  const format: SniffedFormat = sniffFormat(head);
  const ffmpeg = findFfmpeg();

  if (decoder === "ffmpeg") {
    if (!ffmpeg) throw new AudioDecodeError(path, "decoder 'ffmpeg' was asked for but ffmpeg is not installed");
    return decodeWithFfmpeg(path, head, size, mono);
  }
  if (decoder === "npm") return decodeWithNpm(await readWhole(path), format, path, mono);

  if (format === "wav" || format === "au") {
    const bytes = await readWhole(path);
    try {
      return format === "wav" ? decodeWav(bytes, path, mono) : decodeAu(bytes, path, mono);
    } catch (error) {
      // A codec clave's readers lack (ADPCM WAV, ...) may still be one ffmpeg reads.
      if (!ffmpeg || !(error instanceof AudioDecodeError) || !/codec|encoding|bit samples/.test(error.reason)) throw error;
      return decodeWithFfmpeg(path, head, size, mono);
    }
  }
  if (ffmpeg) return decodeWithFfmpeg(path, head, size, mono);
  return decodeWithNpm(await readWhole(path), format, path, mono);
}
