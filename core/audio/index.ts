/**
 * Audio in: decode what users have (WAV, `.au`, MP3, Ogg Vorbis/Opus/FLAC, FLAC, WebM/Opus, M4A/AAC)
 * into exactly the samples `librosa.load` returns, by the system ffmpeg or by npm decoders alone.
 */
export { loadAudio, type AudioSignal, type LoadOptions } from "./load.ts";
export { audioInfo, type AudioInfo } from "./info.ts";
export { resample, type ResampleOptions, type SoxrQuality } from "./resample.ts";
export { toMono } from "./mono.ts";
export { segmentSignal, fixLength, type Segment, type SegmentOptions } from "./segment.ts";
export { decodeFile, type DecoderChoice } from "./decode.ts";
export type { DecodedAudio } from "./decoded.ts";
export { findFfmpeg } from "./ffmpeg.ts";
export { sniffFormat, type SniffedFormat } from "./sniff.ts";
export { AudioDecodeError } from "../errors.ts";
