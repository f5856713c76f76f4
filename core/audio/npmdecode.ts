/**
 * The pure-npm decoding path: WAV and `.au` by clave's own readers, MP3 by mpg123 (wasm), FLAC and
 * Ogg FLAC by libFLAC (wasm), Ogg Vorbis by libvorbis (wasm), Opus (Ogg or WebM, demuxed here) by
 * libopus (wasm), M4A/AAC by FAAD2 (wasm, the optional GPL-2.0 package `@audio/decode-aac`). AIFF and
 * WebM/Vorbis are read only through ffmpeg. Each decoder is imported when first needed.
 */
import { AudioDecodeError } from "../errors.ts";
import { decodeAu } from "./au.ts";
import type { DecodedAudio } from "./decoded.ts";
import { demuxOgg } from "./ogg.ts";
import type { SniffedFormat } from "./sniff.ts";
import { decodeWav } from "./wav.ts";
import { demuxWebm } from "./webm.ts";

interface WasmResult {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors?: readonly { message: string }[];
}

/** The wasm decoders print their errors with console.error; a bad file is reported by a typed error instead. */
async function quietly<T>(run: () => Promise<T> | T): Promise<T> {
  const original = console.error;
  console.error = () => undefined;
  try {
    return await run();
  } finally {
    console.error = original;
  }
}

function fromWasm(path: string, result: WasmResult, format: string, codec: string): DecodedAudio {
  const errors = result.errors ?? [];
  if (result.samplesDecoded === 0 && errors.length > 0) {
    throw new AudioDecodeError(path, `${codec} decoder: ${errors[0].message}`);
  }
  const n = result.samplesDecoded;
  const channels = result.channelData.map((c) => (c.length === n ? c : c.slice(0, n)));
  if (channels.length === 0 || !(result.sampleRate > 0)) {
    throw new AudioDecodeError(path, `${codec} decoder found no audio`);
  }
  return { channels, sr: result.sampleRate, format, codec, decoder: "npm" };
}

/**
 * The wasm FLAC decoder divides b-bit integers by 2^(b−1) − 1; libsndfile (so librosa) and ffmpeg divide
 * by 2^(b−1). Recover the integers (exact up to 24 bits: the float32 error is below half a step) and
 * rescale.
 */
function rescaleFlac<T extends WasmResult & { bitDepth: number }>(result: T): T {
  const bits = result.bitDepth;
  if (!(bits >= 4 && bits <= 32)) return result;
  const full = 2 ** (bits - 1);
  const wasm = full - 1;
  for (const channel of result.channelData) {
    for (let i = 0; i < channel.length; i++) {
      channel[i] = bits <= 24 ? Math.round(channel[i] * wasm) / full : (channel[i] * wasm) / full;
    }
  }
  return result;
}

/** Parameters of an OpusHead packet (RFC 7845 §5.1). */
interface OpusHead {
  readonly channels: number;
  readonly preSkip: number;
  readonly streamCount: number;
  readonly coupledStreamCount: number;
  readonly channelMappingTable: number[];
}

function parseOpusHead(head: Uint8Array | undefined, path: string): OpusHead {
  const text = head ? String.fromCharCode(...head.subarray(0, 8)) : "";
  if (!head || text !== "OpusHead" || head.length < 19) throw new AudioDecodeError(path, "Opus stream has no valid OpusHead header");
  const channels = head[9];
  const preSkip = head[10] | (head[11] << 8);
  const family = head[18];
  if (channels === 0) throw new AudioDecodeError(path, "OpusHead says 0 channels");
  if (family === 0) {
    if (channels > 2) throw new AudioDecodeError(path, `OpusHead mapping family 0 with ${channels} channels`);
    return { channels, preSkip, streamCount: 1, coupledStreamCount: channels - 1, channelMappingTable: channels === 1 ? [0] : [0, 1] };
  }
  if (head.length < 21 + channels) throw new AudioDecodeError(path, "OpusHead channel mapping table is truncated");
  return {
    channels,
    preSkip,
    streamCount: head[19],
    coupledStreamCount: head[20],
    channelMappingTable: Array.from(head.subarray(21, 21 + channels)),
  };
}

/** Decode Opus packets at 48 kHz; `total` (if known) trims the end to the stream's true length. */
async function decodeOpusPackets(
  path: string,
  head: OpusHead,
  packets: Uint8Array[],
  total: number | undefined,
  format: string,
): Promise<DecodedAudio> {
  const { OpusDecoder } = await import("opus-decoder");
  const decoder = new OpusDecoder({
    channels: head.channels,
    streamCount: head.streamCount,
    coupledStreamCount: head.coupledStreamCount,
    channelMappingTable: head.channelMappingTable,
    preSkip: head.preSkip,
  });
  await decoder.ready;
  try {
    const result = await quietly(() => decoder.decodeFrames(packets));
    const decoded = fromWasm(path, result, format, "opus");
    if (total !== undefined && total >= 0 && total < decoded.channels[0].length) {
      return { ...decoded, channels: decoded.channels.map((c) => c.slice(0, total)) };
    }
    return decoded;
  } finally {
    decoder.free();
  }
}

async function decodeOggOpus(bytes: Uint8Array, path: string): Promise<DecodedAudio> {
  const ogg = demuxOgg(bytes);
  const head = parseOpusHead(ogg.packets[0], path);
  // Packet 1 is OpusTags; audio follows. The last granule counts samples before the pre-skip.
  const total = ogg.lastGranule >= 0 && !ogg.truncated ? ogg.lastGranule - head.preSkip : undefined;
  return decodeOpusPackets(path, head, ogg.packets.slice(2), total, "ogg");
}

async function decodeWebm(bytes: Uint8Array, path: string): Promise<DecodedAudio> {
  const webm = demuxWebm(bytes);
  if (!webm) throw new AudioDecodeError(path, "WebM/Matroska file has no audio track");
  const codec = webm.track.codecId;
  if (codec !== "A_OPUS") {
    throw new AudioDecodeError(path, `WebM audio codec ${codec || "(none)"} is read only through ffmpeg (the npm path reads WebM/Opus)`);
  }
  const head = parseOpusHead(webm.track.codecPrivate, path);
  if (webm.frames.length === 0) throw new AudioDecodeError(path, "WebM file has no audio frames");
  // Without granules, the length is what the frames decode to less the final DiscardPadding.
  const result = await decodeOpusPackets(path, head, webm.frames, undefined, "webm");
  const drop = Math.round((webm.discardPadding * 48000) / 1e9);
  if (drop > 0 && drop < result.channels[0].length) {
    const n = result.channels[0].length - drop;
    return { ...result, channels: result.channels.map((c) => c.slice(0, n)) };
  }
  return result;
}

async function decodeAac(bytes: Uint8Array, path: string, format: string): Promise<DecodedAudio> {
  let decode: (src: Uint8Array) => Promise<{ channelData: Float32Array[]; sampleRate: number }>;
  try {
    decode = (await import("@audio/decode-aac")).default;
  } catch (error) {
    throw new AudioDecodeError(
      path,
      "M4A/AAC on the npm path needs the optional package @audio/decode-aac (GPL-2.0), which is not installed; install it or ffmpeg",
      { cause: error },
    );
  }
  let result: { channelData: Float32Array[]; sampleRate: number };
  try {
    result = await quietly(() => decode(bytes));
  } catch (error) {
    throw new AudioDecodeError(path, `AAC decoder: ${(error as Error).message}`, { cause: error });
  }
  const n = result.channelData[0]?.length ?? 0;
  return fromWasm(path, { ...result, samplesDecoded: n, errors: n ? [] : [{ message: "no audio decoded" }] }, format, "aac");
}

/** Decode a whole file held in memory without ffmpeg. */
export async function decodeWithNpm(bytes: Uint8Array, format: SniffedFormat, path: string): Promise<DecodedAudio> {
  try {
    return await decodeByFormat(bytes, format, path);
  } catch (error) {
    if (error instanceof AudioDecodeError) throw error;
    // A wasm decoder that traps or throws on damaged data: report it as what it is.
    const message = error instanceof Error ? error.message : String(error);
    throw new AudioDecodeError(path, `${format} decoder failed: ${message}`, { cause: error });
  }
}

async function decodeByFormat(bytes: Uint8Array, format: SniffedFormat, path: string): Promise<DecodedAudio> {
  switch (format) {
    case "wav":
      return decodeWav(bytes, path);
    case "au":
      return decodeAu(bytes, path);
    case "mp3": {
      const { MPEGDecoder } = await import("mpg123-decoder");
      const decoder = new MPEGDecoder();
      await decoder.ready;
      try {
        return fromWasm(path, await quietly(() => decoder.decode(bytes)), "mp3", "mp3");
      } finally {
        decoder.free();
      }
    }
    case "flac":
    case "ogg-flac": {
      const { FLACDecoder } = await import("@wasm-audio-decoders/flac");
      const decoder = new FLACDecoder();
      await decoder.ready;
      try {
        const result = await quietly(() => decoder.decodeFile(bytes));
        return fromWasm(path, rescaleFlac(result), format === "flac" ? "flac" : "ogg", "flac");
      } finally {
        decoder.free();
      }
    }
    case "ogg-vorbis": {
      const { OggVorbisDecoder } = await import("@wasm-audio-decoders/ogg-vorbis");
      const decoder = new OggVorbisDecoder();
      await decoder.ready;
      try {
        return fromWasm(path, await quietly(() => decoder.decodeFile(bytes)), "ogg", "vorbis");
      } finally {
        decoder.free();
      }
    }
    case "ogg-opus":
      return decodeOggOpus(bytes, path);
    case "webm":
      return decodeWebm(bytes, path);
    case "mp4":
    case "aac":
      return decodeAac(bytes, path, format);
    case "aiff":
      throw new AudioDecodeError(path, "AIFF is read only through ffmpeg (not on the npm path)");
    case "ogg":
      throw new AudioDecodeError(path, "Ogg stream with a codec other than Vorbis, Opus or FLAC");
    default:
      throw new AudioDecodeError(path, `not a recognised audio format (first bytes: ${hex(bytes.subarray(0, 8))})`);
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}
