/**
 * Audio-in benchmark: decode + average channels + resample to 22050 Hz (`loadAudio`) per 30 s of
 * audio, for each format and decoding path, as a ratio to the ffmpeg command line doing the same
 * conversion (channel mean, soxr at precision 20, float32 out) in the same run; librosa's own `load`
 * timings from ../shared/reference/librosa/*\/meta.json; peak memory (max RSS) for a 10-minute file.
 *
 *   npx bun bench/audio.ts            (CLAVE_BENCH_REPS=N to change the repetitions, default 5)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AudioDecodeError, loadAudio, type DecoderChoice } from "../core/audio/index.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SHARED = resolve(ROOT, "..", "shared");
const FFMPEG = "/usr/bin/ffmpeg";
const REPS = Number(process.env.CLAVE_BENCH_REPS ?? 5);
const dir = mkdtempSync(join(tmpdir(), "clave-bench-audio-"));

function ffmpeg(args: string[]): void {
  const r = spawnSync(FFMPEG, ["-nostdin", "-v", "error", "-y", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// 30 s of real music (stereo 44.1 kHz), in every format.
const cc = join(SHARED, "audio", "cc", "Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg");
const source = join(dir, "source.wav");
ffmpeg(["-ss", "15", "-t", "30", "-i", cc, "-map", "0:a:0", "-c:a", "pcm_s16le", source]);
const formats: [string, string[]][] = [
  ["wav", ["-c:a", "pcm_s16le"]],
  ["au", ["-ac", "1", "-ar", "22050", "-c:a", "pcm_s16be", "-f", "au"]],
  ["flac", ["-c:a", "flac"]],
  ["mp3", ["-c:a", "libmp3lame", "-b:a", "192k"]],
  ["ogg", ["-c:a", "libvorbis"]],
  ["opus", ["-c:a", "libopus"]],
  ["webm", ["-c:a", "libopus", "-f", "webm"]],
  ["m4a", ["-c:a", "aac"]],
];
const files = formats.map(([ext, args]) => {
  const path = join(dir, `clip.${ext}`);
  ffmpeg(["-i", source, ...args, path]);
  return { ext, path, channels: ext === "au" ? 1 : 2 };
});

/**
 * The ffmpeg CLI doing librosa.load's conversion: the same decoder clave's ffmpeg path picks (libopus,
 * libvorbis), float channel mean, soxr HQ to 22050, float32 out.
 */
function ffmpegCli(path: string, channels: number, ext: string): number {
  const mean = channels === 2 ? "aformat=sample_fmts=flt,pan=mono|c0=0.5*c0+0.5*c1," : "aformat=sample_fmts=flt,";
  const decoder = ext === "opus" || ext === "webm" ? ["-c:a", "libopus"] : ext === "ogg" ? ["-c:a", "libvorbis"] : [];
  const t0 = performance.now();
  const r = spawnSync(FFMPEG, ["-nostdin", "-v", "error", ...decoder, "-i", path, "-af", `${mean}aresample=22050:resampler=soxr:precision=20`, "-f", "f32le", "-"], {
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(String(r.stderr));
  return performance.now() - t0;
}

async function ours(path: string, decoder: DecoderChoice): Promise<number> {
  const t0 = performance.now();
  await loadAudio(path, { decoder });
  return performance.now() - t0;
}

console.log(`audio in: decode + mono + resample to 22050 Hz, 30 s stereo 44.1 kHz clip, median of ${REPS} warm runs\n`);
console.log("format  ffmpeg-CLI   ffmpeg-path (ratio)   npm-path (ratio)");
for (const f of files) {
  await ours(f.path, "ffmpeg");
  // A format the npm path lacks (AAC without the user-installed GPL decoder) is reported, not timed.
  const npmLacks = await ours(f.path, "npm").then(
    () => undefined,
    (error: unknown) => (error instanceof AudioDecodeError ? error.reason : Promise.reject(error)),
  );
  ffmpegCli(f.path, f.channels, f.ext);
  const cli: number[] = [];
  const viaFfmpeg: number[] = [];
  const viaNpm: number[] = [];
  for (let i = 0; i < REPS; i++) {
    cli.push(ffmpegCli(f.path, f.channels, f.ext));
    viaFfmpeg.push(await ours(f.path, "ffmpeg"));
    if (!npmLacks) viaNpm.push(await ours(f.path, "npm"));
  }
  const c = median(cli);
  const a = median(viaFfmpeg);
  const b = npmLacks ? undefined : median(viaNpm);
  const npmText = b === undefined ? `n/a: ${npmLacks}` : `${b.toFixed(0).padStart(7)} ms (${(b / c).toFixed(2)}x)`;
  console.log(`${f.ext.padEnd(6)}  ${c.toFixed(0).padStart(7)} ms  ${a.toFixed(0).padStart(7)} ms (${(a / c).toFixed(2)}x)  ${npmText}`);
}

// The claim that npm decoders read WebM/Opus far slower than Ogg/Opus: with clave's demuxer.
{
  const ogg = files.find((f) => f.ext === "opus")!;
  const webm = files.find((f) => f.ext === "webm")!;
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < REPS; i++) {
    a.push(await ours(webm.path, "npm"));
    b.push(await ours(ogg.path, "npm"));
  }
  console.log(`\nnpm path, WebM/Opus vs the same stream in Ogg: ${(median(a) / median(b)).toFixed(2)}x`);
}

// librosa's own timings on the reference clips (same class of machine, measured when they were made).
const meta = JSON.parse(readFileSync(join(SHARED, "reference", "librosa", "real", "meta.json"), "utf8")) as {
  timings: Record<string, { warm_median_s: number }>;
};
const ref44 = join(SHARED, "reference", "librosa", "audio", "real_44100_stereo.wav");
const ref22 = join(SHARED, "reference", "librosa", "audio", "real_22050_stereo.wav");
const t44: number[] = [];
const t22: number[] = [];
for (let i = 0; i < REPS + 1; i++) {
  t44.push(await ours(ref44, "auto"));
  t22.push(await ours(ref22, "auto"));
}
const l44 = meta.timings["load_direct_resample_44100 (soundfile+to_mono+soxr_hq)"].warm_median_s * 1000;
const l22 = meta.timings["load_direct (soundfile+to_mono[+soxr_hq])"].warm_median_s * 1000;
const lFull = meta.timings["load_resample_44100_to_22050_soxr_hq"].warm_median_s * 1000;
console.log("\nvs librosa (reference clip 'real', WAV, auto path = clave's own WAV reader):");
console.log(`  44.1 kHz → 22050: clave ${median(t44.slice(1)).toFixed(0)} ms; librosa soundfile+to_mono+soxr ${l44.toFixed(0)} ms (${(median(t44.slice(1)) / l44).toFixed(2)}x); librosa.load ${lFull.toFixed(0)} ms (${(median(t44.slice(1)) / lFull).toFixed(2)}x)`);
console.log(`  22.05 kHz (no resampling): clave ${median(t22.slice(1)).toFixed(0)} ms; librosa soundfile+to_mono ${l22.toFixed(0)} ms (${(median(t22.slice(1)) / l22).toFixed(2)}x)`);

// Peak memory: a 10-minute stereo file, loaded in a fresh process, max RSS less the runtime's own.
const long = join(dir, "ten-minutes");
ffmpeg(["-stream_loop", "-1", "-i", source, "-t", "600", "-c:a", "pcm_s16le", `${long}.wav`]);
ffmpeg(["-i", `${long}.wav`, "-c:a", "libmp3lame", "-b:a", "192k", `${long}.mp3`]);
ffmpeg(["-i", `${long}.wav`, "-c:a", "libopus", `${long}.opus`]);
// VmHWM, the process's own high-water mark: getrusage's maxRSS would count the pages a child shares
// with this (large) parent at fork.
const HWM = `(require("node:fs").readFileSync("/proc/self/status", "utf8").match(/VmHWM:\\s+(\\d+)/) ?? [0, process.resourceUsage().maxRSS])[1]`;
function maxRss(code: string): number {
  const r = spawnSync(process.execPath, ["-e", `${code}; console.log(${HWM})`], { encoding: "utf8", cwd: ROOT });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
}
const index = JSON.stringify(join(ROOT, "core", "audio", "index.ts"));
const baseline = maxRss(`await import(${index})`);
console.log(`\npeak memory, 10-minute stereo file → 22050 Hz mono (max RSS above a bare runtime, ${(baseline / 1024).toFixed(0)} MB):`);
for (const ext of ["wav", "mp3", "opus"]) {
  const row: string[] = [];
  for (const decoder of ["ffmpeg", "npm"]) {
    const t0 = performance.now();
    const kb = maxRss(
      `const { loadAudio } = await import(${index}); await loadAudio(${JSON.stringify(`${long}.${ext}`)}, { decoder: "${decoder}" })`,
    );
    row.push(`${decoder} ${((kb - baseline) / 1024).toFixed(0)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  console.log(`  ${ext.padEnd(5)} ${row.join(", ")}`);
}
console.log(`  (the 10-minute signal itself: ${((600 * 44100 * 2 * 4) / 2 ** 20).toFixed(0)} MB as float32 stereo, ${((600 * 22050 * 4) / 2 ** 20).toFixed(0)} MB at 22050 Hz mono)`);
rmSync(dir, { recursive: true, force: true });
