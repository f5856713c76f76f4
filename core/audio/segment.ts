/**
 * Fixed-length segments of a signal (the 3 s excerpts of GTZAN studies), each carrying its track id
 * and time span so that train/test splits can stay by track and any result traces back to its second
 * of audio.
 *
 * Segment i starts at sample i·hop and has `length` samples; with `pad` the last, partial segment is
 * zero-padded to `length` (at least `minLength` real samples must remain), without it a tail shorter
 * than `length` is dropped. A signal shorter than one segment gives one padded segment when `pad`.
 */
import type { Signal } from "../plugin.ts";

export interface Segment {
  readonly trackId: string;
  /** Position of the segment within its track, from 0. */
  readonly index: number;
  /** Start and end of the segment's real audio in the track, in seconds (end excludes padding). */
  readonly start_s: number;
  readonly end_s: number;
  /** Samples of real audio in `y` (the rest is zero padding). */
  readonly frames: number;
  /** `length` samples: the audio, then zeros when padded. */
  readonly y: Float32Array;
  readonly sr: number;
}

export interface SegmentOptions {
  /** Segment length in seconds (e.g. 1, 3, 5). */
  readonly duration: number;
  /** Hop between segment starts in seconds; defaults to `duration` (no overlap). */
  readonly hop?: number;
  /** Zero-pad a short last segment instead of dropping it (default false). */
  readonly pad?: boolean;
  /** With `pad`: the least real audio, in seconds, a padded segment must hold (default: half a segment). */
  readonly minDuration?: number;
}

/** Cut `signal` into segments of `duration` s every `hop` s. */
export function segmentSignal(signal: Signal, trackId: string, options: SegmentOptions): Segment[] {
  const { sr, y } = signal;
  const { duration } = options;
  const hop = options.hop ?? duration;
  if (!(duration > 0)) throw new RangeError(`segmentSignal: duration must be positive, got ${duration}`);
  if (!(hop > 0)) throw new RangeError(`segmentSignal: hop must be positive, got ${hop}`);
  const length = Math.round(duration * sr);
  const step = Math.round(hop * sr);
  if (length < 1 || step < 1) throw new RangeError(`segmentSignal: ${duration} s at ${sr} Hz is less than one sample`);
  const minFrames = options.pad ? Math.max(1, Math.round((options.minDuration ?? duration / 2) * sr)) : length;
  const segments: Segment[] = [];
  for (let start = 0, index = 0; start < y.length; start += step, index++) {
    const frames = Math.min(length, y.length - start);
    if (frames < length && (!options.pad || frames < Math.min(minFrames, length))) {
      // A short tail: kept (padded) only when asked, and only if it holds enough audio — or when it is
      // the whole signal, which would otherwise give no segment at all.
      if (!(options.pad && start === 0)) break;
    }
    let seg: Float32Array;
    if (frames === length) seg = y.slice(start, start + length);
    else {
      seg = new Float32Array(length);
      seg.set(y.subarray(start, start + frames));
    }
    segments.push({ trackId, index, start_s: start / sr, end_s: (start + frames) / sr, frames, y: seg, sr });
    if (start + length >= y.length) break;
  }
  return segments;
}

/** Pad with zeros or truncate `y` to exactly `length` samples (`librosa.util.fix_length`). */
export function fixLength(y: Float32Array, length: number): Float32Array {
  if (y.length === length) return y;
  if (y.length > length) return y.slice(0, length);
  const out = new Float32Array(length);
  out.set(y);
  return out;
}
