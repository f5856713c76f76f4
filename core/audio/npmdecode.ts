/**
 * The pure-npm decoding path: WAV and `.au` by clave's own readers, MP3 by mpg123 (wasm), FLAC and
 * Ogg FLAC by libFLAC (wasm), Ogg Vorbis by libvorbis (wasm), Opus (Ogg or WebM, demuxed here) by
 * libopus (wasm), M4A/AAC by FAAD2 (wasm, the GPL-2.0 package `@audio/decode-aac`, used when the user installs it). AIFF and
 * WebM/Vorbis are read only through ffmpeg. Each decoder is imported when first needed.
 */
import { AudioDecodeError } from "../errors.ts";
import { decodeAu } from "./au.ts";
import type { DecodedAudio } from "./decoded.ts";
import { demuxOgg } from "./ogg.ts";
import { SampleSink } from "./sink.ts";
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

/** Collects what a streaming wasm decoder returns, call after call, into a sink. */
class Collector {
  sink: SampleSink | undefined;
  sr = 0;
  firstError: string | undefined;

  constructor(
    private readonly path: string,
    private readonly mono: boolean,
    private readonly codec: string,
    /** Keep only this many channels (mpg123 always returns two, mono files included). */
    private readonly keepChannels?: number,
  ) {}

  add(result: WasmResult, transform?: (channelData: Float32Array[]) => void): void {
    this.firstError ??= result.errors?.[0]?.message;
    const n = result.samplesDecoded;
    if (n <= 0 || result.channelData.length === 0) return;
    let data = result.channelData;
    if (this.keepChannels !== undefined) data = data.slice(0, this.keepChannels);
    if (!this.sink) {
      this.sink = new SampleSink(data.length, this.mono);
      this.sr = result.sampleRate;
    }
    if (data.length !== this.sink.channels) {
      throw new AudioDecodeError(this.path, `${this.codec} stream changes from ${this.sink.channels} to ${data.length} channels`);
    }
    transform?.(data);
    this.sink.pushPlanar(data, n);
  }

  result(format: string, limit = Infinity): DecodedAudio {
    if (!this.sink || this.sink.length === 0 || !(this.sr > 0)) {
      throw new AudioDecodeError(this.path, this.firstError ? `${this.codec} decoder: ${this.firstError}` : `${this.codec} decoder found no audio`);
    }
    return {
      channels: this.sink.finish(limit),
      sr: this.sr,
      format,
      codec: this.codec,
      decoder: "npm",
      sourceChannels: this.sink.channels,
    };
  }
}

/** Bytes handed to a streaming decoder per call: small enough that no decoder holds a long file twice. */
const CHUNK = 1 << 20;

/**
 * The wasm FLAC decoder divides b-bit integers by 2^(b−1) − 1; libsndfile (so librosa) and ffmpeg divide
 * by 2^(b−1). Recover the integers (exact up to 24 bits: the float32 error is below half a step) and
 * rescale.
 */
function rescaleFlac(bits: number): (channelData: Float32Array[]) => void {
  return (channelData) => {
    if (!(bits >= 4 && bits <= 32)) return;
    const full = 2 ** (bits - 1);
    const wasm = full - 1;
    for (const channel of channelData) {
      for (let i = 0; i < channel.length; i++) {
        channel[i] = bits <= 24 ? Math.round(channel[i] * wasm) / full : (channel[i] * wasm) / full;
      }
    }
  };
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

/** Samples (at 48 kHz) an Opus packet decodes to, from its TOC byte (RFC 6716 §3.1). */
function opusPacketSamples(packet: Uint8Array): number {
  if (packet.length === 0) return 0;
  const toc = packet[0];
  const config = toc >> 3;
  const frameSize =
    config < 12 ? [480, 960, 1920, 2880][config & 3] : config < 16 ? [480, 960][config & 1] : [120, 240, 480, 960][config & 3];
  const code = toc & 3;
  const frames = code === 0 ? 1 : code < 3 ? 2 : packet.length > 1 ? packet[1] & 0x3f : 0;
  return frames * frameSize;
}

/**
 * Decode Opus packets at 48 kHz in batches; `total` (if known) is the stream's true length, else the
 * packets' own durations less the pre-skip and `trimEnd`.
 */
async function decodeOpusPackets(
  path: string,
  head: OpusHead,
  packets: Uint8Array[],
  total: number | undefined,
  trimEnd: number,
  format: string,
  mono: boolean,
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
  const collector = new Collector(path, mono, "opus");
  try {
    for (let i = 0; i < packets.length; i += 1000) {
      const batch = packets.slice(i, i + 1000);
      collector.add(await quietly(() => decoder.decodeFrames(batch)));
    }
  } finally {
    decoder.free();
  }
  const length =
    total !== undefined && total >= 0
      ? total
      : packets.reduce((n, p) => n + opusPacketSamples(p), 0) - head.preSkip - trimEnd;
  return collector.result(format, length);
}

async function decodeOggOpus(bytes: Uint8Array, path: string, mono: boolean): Promise<DecodedAudio> {
  const ogg = demuxOgg(bytes);
  const head = parseOpusHead(ogg.packets[0], path);
  // Packet 1 is OpusTags; audio follows. The last granule counts samples before the pre-skip.
  const total = ogg.lastGranule >= 0 && !ogg.truncated ? ogg.lastGranule - head.preSkip : undefined;
  return decodeOpusPackets(path, head, ogg.packets.slice(2), total, 0, "ogg", mono);
}

async function decodeWebm(bytes: Uint8Array, path: string, mono: boolean): Promise<DecodedAudio> {
  const webm = demuxWebm(bytes);
  if (!webm) throw new AudioDecodeError(path, "WebM/Matroska file has no audio track");
  const codec = webm.track.codecId;
  if (codec !== "A_OPUS") {
    throw new AudioDecodeError(path, `WebM audio codec ${codec || "(none)"} is read only through ffmpeg (the npm path reads WebM/Opus)`);
  }
  const head = parseOpusHead(webm.track.codecPrivate, path);
  if (webm.frames.length === 0) throw new AudioDecodeError(path, "WebM file has no audio frames");
  // Without granules, the length is the frames' durations less the pre-skip and the final DiscardPadding.
  const drop = Math.max(0, Math.round((webm.discardPadding * 48000) / 1e9));
  return decodeOpusPackets(path, head, webm.frames, undefined, drop, "webm", mono);
}

async function decodeAac(bytes: Uint8Array, path: string, format: string, mono: boolean): Promise<DecodedAudio> {
  let decode: (src: Uint8Array) => Promise<{ channelData: Float32Array[]; sampleRate: number }>;
  try {
    decode = ((await import("@audio/decode-aac" as string)) as { default: typeof decode }).default;
  } catch (error) {
    throw new AudioDecodeError(
      path,
      "M4A/AAC without ffmpeg needs @audio/decode-aac, which clave does not install for its GPL-2.0 licence: `npm install @audio/decode-aac`, or install ffmpeg",
      { cause: error },
    );
  }
  let result: { channelData: Float32Array[]; sampleRate: number };
  try {
    result = await quietly(() => decode(bytes));
  } catch (error) {
    throw new AudioDecodeError(path, `AAC decoder: ${(error as Error).message}`, { cause: error });
  }
  const collector = new Collector(path, mono, "aac");
  collector.add({ ...result, samplesDecoded: result.channelData[0]?.length ?? 0 });
  return collector.result(format);
}

/** Channels an MPEG audio file has, from its first frame header (mode 3 is single channel). */
function mpegChannels(bytes: Uint8Array): number | undefined {
  let at = 0;
  if (bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33 && bytes.length >= 10) {
    at = 10 + (((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f));
  }
  for (const end = Math.min(bytes.length - 4, at + 65536); at < end; at++) {
    if (bytes[at] === 0xff && (bytes[at + 1] & 0xe0) === 0xe0) return bytes[at + 3] >> 6 === 3 ? 1 : 2;
  }
  return undefined;
}

/** Decode a whole file held in memory without ffmpeg (with `mono`, to the channels' mean). */
export async function decodeWithNpm(bytes: Uint8Array, format: SniffedFormat, path: string, mono = false): Promise<DecodedAudio> {
  try {
    return await decodeByFormat(bytes, format, path, mono);
  } catch (error) {
    if (error instanceof AudioDecodeError) throw error;
    // A wasm decoder that traps or throws on damaged data: report it as what it is.
    const message = error instanceof Error ? error.message : String(error);
    throw new AudioDecodeError(path, `${format} decoder failed: ${message}`, { cause: error });
  }
}

async function decodeByFormat(bytes: Uint8Array, format: SniffedFormat, path: string, mono: boolean): Promise<DecodedAudio> {
  switch (format) {
    case "wav":
      return decodeWav(bytes, path, mono);
    case "au":
      return decodeAu(bytes, path, mono);
    case "mp3": {
      const { MPEGDecoder } = await import("mpg123-decoder");
      const decoder = new MPEGDecoder();
      await decoder.ready;
      const collector = new Collector(path, mono, "mp3", mpegChannels(bytes));
      try {
        for (let at = 0; at < bytes.length; at += CHUNK) {
          const chunk = bytes.subarray(at, at + CHUNK);
          collector.add(await quietly(() => decoder.decode(chunk)));
        }
      } finally {
        decoder.free();
      }
      return collector.result("mp3");
    }
    case "flac":
    case "ogg-flac": {
      const { FLACDecoder } = await import("@wasm-audio-decoders/flac");
      const decoder = new FLACDecoder();
      await decoder.ready;
      const collector = new Collector(path, mono, "flac");
      const add = (r: WasmResult & { bitDepth: number }) => collector.add(r, rescaleFlac(r.bitDepth));
      try {
        for (let at = 0; at < bytes.length; at += CHUNK) {
          const chunk = bytes.subarray(at, at + CHUNK);
          add(await quietly(() => decoder.decode(chunk)));
        }
        add(await quietly(() => decoder.flush()));
      } finally {
        decoder.free();
      }
      return collector.result(format === "flac" ? "flac" : "ogg");
    }
    case "ogg-vorbis": {
      const { OggVorbisDecoder } = await import("@wasm-audio-decoders/ogg-vorbis");
      const decoder = new OggVorbisDecoder();
      await decoder.ready;
      const collector = new Collector(path, mono, "vorbis");
      try {
        for (let at = 0; at < bytes.length; at += CHUNK) {
          const chunk = bytes.subarray(at, at + CHUNK);
          collector.add(await quietly(() => decoder.decode(chunk)));
        }
        collector.add(await quietly(() => decoder.flush()));
      } finally {
        decoder.free();
      }
      return collector.result("ogg");
    }
    case "ogg-opus":
      return decodeOggOpus(bytes, path, mono);
    case "webm":
      return decodeWebm(bytes, path, mono);
    case "mp4":
    case "aac":
      return decodeAac(bytes, path, format, mono);
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
