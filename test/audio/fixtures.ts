/**
 * Audio fixtures made by the real ffmpeg at test time (nothing binary is committed): a 4 s excerpt of
 * a CC recording as 16-bit stereo WAV, re-encoded into every format clave reads.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CC_AUDIO, REFERENCE } from "../helpers.ts";

export const FFMPEG = "/usr/bin/ffmpeg";
export const HAVE_FFMPEG = existsSync(FFMPEG);

export function ffmpeg(args: readonly string[]): void {
  const r = spawnSync(FFMPEG, ["-nostdin", "-v", "error", "-y", ...args], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(" ")} failed: ${r.stderr}`);
}

/** The CC recordings in ../shared/audio/cc (Ogg Vorbis, 44.1 kHz, some with cover art). */
export function ccFiles(): string[] {
  return readdirSync(CC_AUDIO)
    .filter((f) => f.endsWith(".ogg"))
    .sort()
    .map((f) => join(CC_AUDIO, f));
}

export const SOURCE_CC = join(CC_AUDIO, "Kevin_MacLeod_-_Vibe_Ace.hq.ogg");
export const REF_44100 = join(REFERENCE, "audio", "real_44100_stereo.wav");

/** Each fixture: file name, ffmpeg output options, and whether it is lossless (decodes to the source). */
export const FORMATS: readonly { name: string; args: string[]; lossless: boolean; npm: boolean }[] = [
  { name: "s16.wav", args: ["-c:a", "pcm_s16le"], lossless: true, npm: true },
  { name: "u8.wav", args: ["-c:a", "pcm_u8"], lossless: false, npm: true },
  { name: "s24.wav", args: ["-c:a", "pcm_s24le"], lossless: true, npm: true },
  { name: "s32.wav", args: ["-c:a", "pcm_s32le"], lossless: true, npm: true },
  { name: "f32.wav", args: ["-c:a", "pcm_f32le"], lossless: true, npm: true },
  { name: "f64.wav", args: ["-c:a", "pcm_f64le"], lossless: true, npm: true },
  { name: "ulaw.wav", args: ["-c:a", "pcm_mulaw"], lossless: false, npm: true },
  { name: "alaw.wav", args: ["-c:a", "pcm_alaw"], lossless: false, npm: true },
  { name: "s16.au", args: ["-c:a", "pcm_s16be", "-f", "au"], lossless: true, npm: true },
  { name: "ulaw.au", args: ["-c:a", "pcm_mulaw", "-f", "au"], lossless: false, npm: true },
  { name: "a.flac", args: ["-c:a", "flac"], lossless: true, npm: true },
  { name: "s24.flac", args: ["-c:a", "flac", "-sample_fmt", "s32"], lossless: true, npm: true },
  { name: "flac.oga", args: ["-c:a", "flac", "-f", "ogg"], lossless: true, npm: true },
  { name: "a.mp3", args: ["-c:a", "libmp3lame", "-b:a", "192k"], lossless: false, npm: true },
  { name: "vorbis.ogg", args: ["-c:a", "libvorbis", "-q:a", "6"], lossless: false, npm: true },
  { name: "a.opus", args: ["-c:a", "libopus", "-b:a", "128k"], lossless: false, npm: true },
  { name: "opus.webm", args: ["-c:a", "libopus", "-b:a", "128k", "-f", "webm"], lossless: false, npm: true },
  { name: "aac.m4a", args: ["-c:a", "aac", "-b:a", "192k"], lossless: false, npm: true },
  { name: "s16.aiff", args: ["-c:a", "pcm_s16be", "-f", "aiff"], lossless: true, npm: false },
];

/** Make `source.wav` (4 s of a CC recording, s16 stereo 44.1 kHz) and every format above in `dir`. */
export function makeFixtures(dir: string): { source: string; files: Record<string, string> } {
  const source = join(dir, "source.wav");
  ffmpeg(["-ss", "20", "-t", "4", "-i", SOURCE_CC, "-map", "0:a:0", "-ac", "2", "-ar", "44100", "-c:a", "pcm_s16le", source]);
  const files: Record<string, string> = {};
  for (const f of FORMATS) {
    const out = join(dir, f.name);
    ffmpeg(["-i", source, "-map", "0:a:0", ...f.args, out]);
    files[f.name] = out;
  }
  return { source, files };
}

/** Largest absolute difference of two arrays over their common length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Correlation coefficient of two arrays over their common length. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i];
    sb += b[i];
  }
  const ma = sa / n;
  const mb = sb / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}
