/**
 * `librosa.load(path, sr=22050, mono=True, offset=0.0, duration=None)`: decode, cut
 * [offset, offset+duration) at the file's own rate (⌊offset·sr⌋ samples skipped, ⌊duration·sr⌋ kept,
 * as soundfile seeks and reads), average the channels, resample with libsoxr HQ.
 *
 *   const { y, sr } = await loadAudio("blues.00000.au");           // 22050 Hz mono float32
 *   const native = await loadAudio("track.opus", { sr: null });     // the file's own rate
 */
import { AudioDecodeError } from "../errors.ts";
import type { Signal } from "../plugin.ts";
import { decodeFile, type DecoderChoice } from "./decode.ts";
import { toMono } from "./mono.ts";
import { resample, type SoxrQuality } from "./resample.ts";

export interface LoadOptions {
  /** Target rate in Hz (default 22050, librosa's); `null` keeps the file's own rate. */
  readonly sr?: number | null;
  /** Average the channels (default true). */
  readonly mono?: boolean;
  /** Start reading this many seconds in (default 0). */
  readonly offset?: number;
  /** Read at most this many seconds (default: to the end). */
  readonly duration?: number | null;
  /** Decoding path: `auto` (ffmpeg if installed, else npm), or force `ffmpeg` / `npm`. */
  readonly decoder?: DecoderChoice;
  /** Resampling recipe, librosa's `res_type` (default `soxr_hq`). */
  readonly resType?: SoxrQuality;
}

/** A loaded signal. With `mono: false`, `y` holds `channels` rows of equal length, one after the other. */
export interface AudioSignal extends Signal {
  readonly channels: number;
}

function checkOptions(options: LoadOptions): void {
  const { sr, offset, duration } = options;
  if (sr !== undefined && sr !== null && !(Number.isFinite(sr) && sr > 0)) {
    throw new RangeError(`loadAudio: sr must be a positive number or null, got ${sr}`);
  }
  if (offset !== undefined && !(Number.isFinite(offset) && offset >= 0)) {
    throw new RangeError(`loadAudio: offset must be a non-negative number of seconds, got ${offset}`);
  }
  if (duration !== undefined && duration !== null && !(Number.isFinite(duration) && duration >= 0)) {
    throw new RangeError(`loadAudio: duration must be a non-negative number of seconds, got ${duration}`);
  }
}

/** Decode `path` as `librosa.load` does; `{ y: Float32Array, sr }`. */
export async function loadAudio(path: string, options: LoadOptions = {}): Promise<AudioSignal> {
  checkOptions(options);
  const target = options.sr === undefined ? 22050 : options.sr;
  const mono = options.mono !== false;
  const decoded = await decodeFile(path, options.decoder ?? "auto", { mono });
  const native = decoded.sr;
  const total = decoded.channels[0]?.length ?? 0;
  if (total === 0) throw new AudioDecodeError(path, "contains no audio samples");
  const start = options.offset ? Math.trunc(options.offset * native) : 0;
  if (start >= total) {
    throw new AudioDecodeError(path, `offset ${options.offset} s is past the end of the audio (${(total / native).toFixed(3)} s)`);
  }
  const count = options.duration != null ? Math.trunc(options.duration * native) : total - start;
  const end = Math.min(total, start + count);
  let channels = decoded.channels;
  if (start > 0 || end < total) channels = channels.map((c) => c.slice(start, end));
  const rate = target ?? native;
  // Decoded with `mono`, the one channel already is the mean.
  const rows = mono && channels.length > 1 ? [toMono(channels)] : channels;
  const out = rows.map((c) => (rate === native ? c : resample(c, native, rate, { resType: options.resType })));
  if (out.length === 1) return { y: out[0], sr: rate, channels: 1 };
  const n = out[0].length;
  const y = new Float32Array(n * out.length);
  out.forEach((c, i) => y.set(c, i * n));
  return { y, sr: rate, channels: out.length };
}
