/** What a decoder hands back: every channel at the file's own rate, and what the file was. */
export interface DecodedAudio {
  /**
   * One float32 array per channel, all of the same length, scaled to [-1, 1); when decoded with
   * `mono`, a single array: the channels' mean.
   */
  readonly channels: Float32Array[];
  /** How many channels the file has. */
  readonly sourceChannels: number;
  /** The file's sampling rate (Hz). */
  readonly sr: number;
  /** Container or file format: `wav`, `au`, `mp3`, `ogg`, `flac`, `mp4`, `webm`, ... */
  readonly format: string;
  /** How the samples were stored: `pcm_s16`, `pcm_f32`, `ulaw`, `mp3`, `vorbis`, `opus`, `aac`, ... */
  readonly codec: string;
  /** Which decoder produced the samples. */
  readonly decoder: "builtin" | "ffmpeg" | "npm";
}
