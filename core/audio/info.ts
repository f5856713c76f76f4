/**
 * `clave audio info`: format, codec, rate, channels and duration of a file. WAV and `.au` are read from
 * their headers; other formats by ffprobe when ffmpeg is there, else by decoding them on the npm path.
 */
import { readFile } from "node:fs/promises";
import { AudioDecodeError } from "../errors.ts";
import { readAuHeader } from "./au.ts";
import { checkAudioFile, decodeFile, readHead, type DecoderChoice } from "./decode.ts";
import { findFfmpeg, probeWithFfprobe } from "./ffmpeg.ts";
import { sniffFormat } from "./sniff.ts";
import { codecName, readWavHeader } from "./wav.ts";

export interface AudioInfo {
  readonly path: string;
  /** Container as sniffed from the bytes: `wav`, `au`, `flac`, `ogg-vorbis`, `ogg-opus`, `mp3`, `mp4`, `webm`, ... */
  readonly format: string;
  readonly codec: string;
  readonly sr: number;
  readonly channels: number;
  /** Seconds; null when the container does not say and the file was not decoded. */
  readonly duration: number | null;
  /** Samples per channel when known exactly. */
  readonly frames: number | null;
}

/** What `path` holds, without decoding it when its header says enough. */
export async function audioInfo(path: string, options: { decoder?: DecoderChoice } = {}): Promise<AudioInfo> {
  const decoder = options.decoder ?? "auto";
  await checkAudioFile(path);
  const head = await readHead(path);
  const format = sniffFormat(head);
  if ((format === "wav" || format === "au") && decoder !== "ffmpeg") {
    const bytes = new Uint8Array(await readFile(path));
    const h = format === "wav" ? readWavHeader(bytes, path) : readAuHeader(bytes, path);
    return { path, format, codec: codecName(h.encoding), sr: h.sr, channels: h.channels, duration: h.frames / h.sr, frames: h.frames };
  }
  if (decoder !== "npm" && findFfmpeg()) {
    const p = await probeWithFfprobe(path);
    if (!(p.sr > 0) || !(p.channels > 0)) throw new AudioDecodeError(path, "ffprobe reports no sampling rate or channels");
    return { path, format: format === "unknown" ? p.format : format, codec: p.codec, sr: p.sr, channels: p.channels, duration: p.duration, frames: null };
  }
  const d = await decodeFile(path, "npm", { mono: true });
  const frames = d.channels[0]?.length ?? 0;
  return { path, format, codec: d.codec, sr: d.sr, channels: d.sourceChannels, duration: frames / d.sr, frames };
}
