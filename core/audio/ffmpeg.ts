/**
 * The system ffmpeg as a decoder: any format it reads, decoded to float32 at the file's own rate with
 * every channel kept (no `-ac`, no `-ar`: channel averaging and resampling happen in clave, so both
 * decoding paths feed the same resampler). Opus and Vorbis go through ffmpeg's libopus / libvorbis
 * decoders when it has them: the reference decoders, which libsndfile (so soundfile, so librosa) and
 * the npm path's wasm decoders use too.
 *
 * `CLAVE_FFMPEG` names the binary (`CLAVE_FFMPEG=none` hides ffmpeg, forcing the npm path).
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { AudioDecodeError } from "../errors.ts";
import type { DecodedAudio } from "./decoded.ts";
import { readAuHeader } from "./au.ts";
import { SampleSink } from "./sink.ts";
import { sniffFormat, type SniffedFormat } from "./sniff.ts";
import { codecName, readWavHeader } from "./wav.ts";
import { webmAudioCodec } from "./webm.ts";

let ffmpegPath: string | null | undefined;

function findOnPath(name: string): string | null {
  const exe = process.platform === "win32" ? `${name}.exe` : name;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, exe);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The ffmpeg binary clave uses, or null when there is none (`CLAVE_FFMPEG=none` says there is none). */
export function findFfmpeg(): string | null {
  if (ffmpegPath !== undefined) return ffmpegPath;
  const configured = process.env.CLAVE_FFMPEG;
  if (configured !== undefined && configured !== "") ffmpegPath = configured === "none" ? null : configured;
  else ffmpegPath = findOnPath("ffmpeg");
  return ffmpegPath;
}

/** ffprobe beside the ffmpeg in use (same directory), else on PATH. */
export function findFfprobe(): string | null {
  const ffmpeg = findFfmpeg();
  if (!ffmpeg) return null;
  const sibling = ffmpeg.replace(/ffmpeg(\.exe)?$/, (_m, ext: string | undefined) => `ffprobe${ext ?? ""}`);
  if (sibling !== ffmpeg) {
    try {
      accessSync(sibling, constants.X_OK);
      return sibling;
    } catch {
      // fall through
    }
  }
  return findOnPath("ffprobe");
}

/** Forget the cached binary lookups (tests that change CLAVE_FFMPEG call this). */
export function resetFfmpegLookup(): void {
  ffmpegPath = undefined;
  decoderList = undefined;
}

export interface ProcessResult {
  readonly code: number | null;
  /** Standard output, unless an `onStdout` callback consumed it. */
  readonly stdout: Uint8Array;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/**
 * Run a process to completion, killed after `timeoutMs`. Standard output goes to `onStdout` chunk by
 * chunk when given (nothing is kept), else it is collected.
 */
export function runProcess(
  file: string,
  args: readonly string[],
  timeoutMs: number,
  onStdout?: (chunk: Uint8Array) => void,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Uint8Array[] = [];
    let length = 0;
    let stderr = "";
    let timedOut = false;
    let failure: unknown;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (chunk: Uint8Array) => {
      if (failure !== undefined) return;
      if (!onStdout) {
        chunks.push(chunk);
        length += chunk.length;
        return;
      }
      try {
        onStdout(chunk);
      } catch (error) {
        failure = error;
        child.kill("SIGKILL");
      }
    });
    child.stderr.on("data", (chunk: Uint8Array) => {
      if (stderr.length < 64 * 1024) stderr += new TextDecoder().decode(chunk);
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (failure !== undefined) return reject(failure);
      const stdout = new Uint8Array(length);
      let at = 0;
      for (const c of chunks) {
        stdout.set(c, at);
        at += c.length;
      }
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/**
 * Reads the float32 WAV ffmpeg streams: the header from the first bytes, then the samples chunk by
 * chunk into a sink (frames split across chunks carried over).
 */
class WavStreamReader {
  private head: Uint8Array | null = new Uint8Array(0);
  private carry = new Uint8Array(0);
  private scratch = new Float32Array(0);
  sink: SampleSink | undefined;
  sr = 0;
  channels = 0;

  constructor(
    private readonly path: string,
    private readonly mono: boolean,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.head) {
      const head = new Uint8Array(this.head.length + chunk.length);
      head.set(this.head);
      head.set(chunk, this.head.length);
      let header;
      try {
        header = readWavHeader(head, this.path);
      } catch (error) {
        if (head.length > 1 << 20) throw error;
        this.head = head; // the header is not complete yet
        return;
      }
      if (header.encoding !== "f32") throw new AudioDecodeError(this.path, `ffmpeg wrote ${header.encoding} samples, not float32`);
      this.head = null;
      this.sr = header.sr;
      this.channels = header.channels;
      this.sink = new SampleSink(header.channels, this.mono);
      chunk = head.subarray(header.dataOffset);
    }
    const frameBytes = 4 * this.channels;
    let bytes = chunk;
    if (this.carry.length > 0) {
      bytes = new Uint8Array(this.carry.length + chunk.length);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.length);
    }
    const frames = Math.floor(bytes.length / frameBytes);
    const used = frames * frameBytes;
    if (this.scratch.length < used / 4) this.scratch = new Float32Array(used / 4);
    // Copy into an aligned buffer: pipe chunks need not start on a 4-byte boundary.
    new Uint8Array(this.scratch.buffer, 0, used).set(bytes.subarray(0, used));
    this.sink!.pushInterleaved(this.scratch, frames);
    this.carry = bytes.slice(used);
  }
}

let decoderList: Promise<string> | undefined;

/** Names of the audio decoders this ffmpeg has (`ffmpeg -decoders`), read once. */
function ffmpegDecoders(ffmpeg: string): Promise<string> {
  decoderList ??= runProcess(ffmpeg, ["-hide_banner", "-decoders"], 30_000).then(
    (r) => new TextDecoder().decode(r.stdout),
    () => "",
  );
  return decoderList;
}

/** The last line of ffmpeg's stderr worth showing, without its `[component @ 0x...]` or path prefix. */
export function ffmpegReason(stderr: string, path?: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, "").trim())
    .map((l) => (path && l.startsWith(`${path}: `) ? l.slice(path.length + 2) : l))
    .filter((l) => l.length > 0);
  if (lines.some((l) => /matches no streams/.test(l))) return "no audio stream";
  const useful = lines.filter((l) => !/^(Error (opening|while)|Conversion failed|Exiting|To ignore this)/i.test(l));
  const line = useful.at(-1) ?? lines.at(-1) ?? "no message";
  if (/Invalid data found when processing input/.test(line)) return "not a recognised audio format (ffmpeg: Invalid data found when processing input)";
  if (/^End of file$/.test(line)) return "truncated: the stream ends before its first audio (ffmpeg: End of file)";
  if (/Decoder \(codec none\) not found/.test(line)) return `no decodable audio stream (ffmpeg: ${line})`;
  return `ffmpeg: ${line}`;
}

/** Seconds ffmpeg may take on a file of `bytes` bytes before it is presumed stuck. */
function timeoutFor(bytes: number): number {
  return 60_000 + Math.ceil(bytes / 1_000_000) * 10_000;
}

/** The codec a sniffed format implies, named as ffmpeg names it. */
function impliedCodec(format: SniffedFormat, head: Uint8Array, path: string): string {
  switch (format) {
    case "wav":
    case "au":
      try {
        const h = format === "wav" ? readWavHeader(head, path) : readAuHeader(head, path);
        return codecName(h.encoding);
      } catch {
        return format === "wav" ? "wav" : "au";
      }
    case "ogg-vorbis":
      return "vorbis";
    case "ogg-opus":
      return "opus";
    case "flac":
    case "ogg-flac":
      return "flac";
    case "webm": {
      const id = webmAudioCodec(head) ?? "";
      return id.startsWith("A_") ? id.slice(2).toLowerCase().replace(/\/.*$/, "") : "unknown";
    }
    case "mp3":
    case "aac":
      return format;
    case "mp4":
      return "aac";
    default:
      return "unknown";
  }
}

/**
 * Decode `path` with ffmpeg to float32 channels at the native rate (with `mono`, to their mean).
 * `head` (the file's first bytes) tells the format, which selects the reference decoder for Opus and
 * Vorbis.
 */
export async function decodeWithFfmpeg(path: string, head: Uint8Array, sizeBytes: number, mono = false): Promise<DecodedAudio> {
  const ffmpeg = findFfmpeg();
  if (!ffmpeg) throw new AudioDecodeError(path, "ffmpeg was asked for but is not installed (or CLAVE_FFMPEG=none)");
  const format = sniffFormat(head);
  const codec = impliedCodec(format, head, path);
  const codecArgs: string[] = [];
  if (codec === "opus" || codec === "vorbis") {
    const decoders = await ffmpegDecoders(ffmpeg);
    if (new RegExp(` lib${codec} `).test(decoders)) codecArgs.push("-c:a", `lib${codec}`);
  }
  const args = [
    "-nostdin",
    "-hide_banner",
    "-loglevel",
    "error",
    ...codecArgs,
    "-i",
    path,
    "-map",
    "0:a:0",
    "-vn",
    "-sn",
    "-dn",
    "-c:a",
    "pcm_f32le",
    "-f",
    "wav",
    "pipe:1",
  ];
  const reader = new WavStreamReader(path, mono);
  let result: ProcessResult;
  try {
    result = await runProcess(ffmpeg, args, timeoutFor(sizeBytes), (chunk) => reader.push(chunk));
  } catch (error) {
    if (error instanceof AudioDecodeError) throw error;
    throw new AudioDecodeError(path, `could not run ffmpeg (${ffmpeg}): ${(error as Error).message}`, { cause: error });
  }
  if (result.timedOut) throw new AudioDecodeError(path, `ffmpeg did not finish within ${timeoutFor(sizeBytes) / 1000} s`);
  if (result.code !== 0 || !reader.sink) {
    const reason = ffmpegReason(result.stderr || "no output", path);
    // Bytes clave could not place that ffmpeg rejects too are simply not audio.
    throw new AudioDecodeError(path, format === "unknown" && !reason.startsWith("not a recognised") ? `not a recognised audio format (${reason})` : reason);
  }
  return {
    channels: reader.sink.finish(),
    sr: reader.sr,
    format: format === "unknown" ? "unknown" : format.replace(/^ogg-.*/, "ogg"),
    codec,
    decoder: "ffmpeg",
    sourceChannels: reader.channels,
  };
}

export interface FfprobeInfo {
  readonly format: string;
  readonly codec: string;
  readonly sr: number;
  readonly channels: number;
  readonly duration: number | null;
}

/** Format, codec, rate, channels and duration of the first audio stream, by ffprobe. */
export async function probeWithFfprobe(path: string): Promise<FfprobeInfo> {
  const ffprobe = findFfprobe();
  if (!ffprobe) throw new AudioDecodeError(path, "ffprobe is not installed beside ffmpeg");
  const args = [
    "-v",
    "error",
    "-select_streams",
    "a:0",
    "-show_entries",
    "stream=codec_name,sample_rate,channels,duration:format=format_name,duration",
    "-of",
    "json",
    path,
  ];
  const result = await runProcess(ffprobe, args, 60_000);
  if (result.code !== 0) throw new AudioDecodeError(path, ffmpegReason(result.stderr, path));
  const json = JSON.parse(new TextDecoder().decode(result.stdout)) as {
    streams?: { codec_name?: string; sample_rate?: string; channels?: number; duration?: string }[];
    format?: { format_name?: string; duration?: string };
  };
  const stream = json.streams?.[0];
  if (!stream) throw new AudioDecodeError(path, "no audio stream");
  const duration = Number(stream.duration ?? json.format?.duration);
  return {
    format: json.format?.format_name ?? "unknown",
    codec: stream.codec_name ?? "unknown",
    sr: Number(stream.sample_rate),
    channels: stream.channels ?? 0,
    duration: Number.isFinite(duration) ? duration : null,
  };
}
