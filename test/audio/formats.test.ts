/**
 * Every format on both decoding paths: lossless ones decode to the source samples exactly, PCM
 * variants agree between paths bit for bit, lossy ones agree between paths and with the source.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { AudioDecodeError, decodeFile, loadAudio, type DecodedAudio } from "../../core/audio/index.ts";
import { resetFfmpegLookup } from "../../core/audio/ffmpeg.ts";
import { tempDir } from "../helpers.ts";
import { FORMATS, HAVE_FFMPEG, correlation, makeFixtures, maxAbsDiff } from "./fixtures.ts";

async function aacDecoderInstalled(): Promise<boolean> {
  return import("@audio/decode-aac" as string).then(
    () => true,
    () => false,
  );
}

const dir = tempDir("clave-audio-formats-");
let source: DecodedAudio;
let files: Record<string, string> = {};

beforeAll(async () => {
  const made = makeFixtures(dir);
  files = made.files;
  source = await decodeFile(made.source, "npm");
}, 120_000);

test("the tests have the system ffmpeg (apt-get install ffmpeg)", () => expect(HAVE_FFMPEG).toBe(true));

describe("formats", () => {
  test("the fixtures cover WAVE_FORMAT_EXTENSIBLE (ffmpeg writes it for 24-bit)", () => {
    const bytes = readFileSync(files["s24.wav"]);
    expect(bytes.readUInt16LE(20)).toBe(0xfffe);
    expect(readFileSync(files["s16.wav"]).readUInt16LE(20)).toBe(1);
  });

  for (const format of FORMATS) {
    test(`${format.name}: both paths`, async () => {
      const path = files[format.name];
      const viaFfmpeg = await decodeFile(path, "ffmpeg");
      expect(viaFfmpeg.decoder).toBe("ffmpeg");
      expect(viaFfmpeg.channels.length).toBe(2);
      // AAC's wasm decoder is GPL-2.0: clave uses it only when the user installed it.
      const npm = format.npm && (!format.name.endsWith(".m4a") || (await aacDecoderInstalled()));
      if (!npm) {
        const error = await decodeFile(path, "npm").catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AudioDecodeError);
        expect((error as AudioDecodeError).path).toBe(path);
        expect((error as AudioDecodeError).reason).toMatch(format.npm ? /npm install @audio\/decode-aac/ : /only through ffmpeg/);
      }
      const viaNpm = npm ? await decodeFile(path, "npm") : viaFfmpeg;
      expect(viaNpm.channels.length).toBe(2);
      const isOpus = /opus|webm/.test(format.name);
      expect(viaFfmpeg.sr).toBe(isOpus ? 48000 : 44100);
      expect(viaNpm.sr).toBe(viaFfmpeg.sr);
      const n = source.channels[0].length;
      for (const decoded of [viaFfmpeg, viaNpm]) {
        const [l, r] = decoded.channels;
        expect(r.length).toBe(l.length);
        if (format.lossless) {
          expect(l.length).toBe(n);
          expect(maxAbsDiff(l, source.channels[0])).toBe(0);
          expect(maxAbsDiff(r, source.channels[1])).toBe(0);
        } else if (!isOpus) {
          // Gapless lossy codecs (LAME tag, Vorbis granules) and 8-bit PCM keep the length; AAC's
          // ffmpeg decoding keeps the encoder's end padding (as librosa's audioread fallback does).
          if (format.name.endsWith(".m4a") && decoded.decoder === "ffmpeg") expect(l.length).toBeGreaterThanOrEqual(n);
          else expect(l.length).toBe(n);
          expect(correlation(l, source.channels[0])).toBeGreaterThan(0.99);
        }
      }
      if (isOpus) {
        // Opus runs at 48 kHz: compare with the source through clave's own resampler.
        const at44 = await loadAudio(path, { sr: 44100, mono: false, decoder: "npm" });
        // Opus encoders pad to whole 48 kHz samples: the length may be one more at 44.1 kHz.
        expect(Math.abs(at44.y.length / 2 - n)).toBeLessThanOrEqual(1);
        expect(correlation(at44.y.subarray(0, n), source.channels[0])).toBeGreaterThan(0.99);
      }
      const m = Math.min(viaFfmpeg.channels[0].length, viaNpm.channels[0].length);
      const diff = Math.max(
        maxAbsDiff(viaFfmpeg.channels[0].subarray(0, m), viaNpm.channels[0].subarray(0, m)),
        maxAbsDiff(viaFfmpeg.channels[1].subarray(0, m), viaNpm.channels[1].subarray(0, m)),
      );
      if (/\.(wav|au|flac|oga|aiff)$/.test(format.name)) expect(diff).toBe(0);
      else if (format.name.endsWith(".m4a")) {
        // FAAD2 and ffmpeg's AAC decoder differ where the encoder used noise substitution.
        expect(diff).toBeLessThan(0.05);
        expect(correlation(viaFfmpeg.channels[0].subarray(0, m), viaNpm.channels[0].subarray(0, m))).toBeGreaterThan(0.999);
      } else expect(diff).toBeLessThan(1e-3); // libmpg123/libvorbis/libopus builds differ in float details
    }, 60_000);
  }

  test("loadAudio gives the same 22050 Hz mono signal on both paths", async () => {
    for (const name of ["s16.wav", "a.flac", "a.mp3", "a.opus"]) {
      const a = await loadAudio(files[name], { decoder: "ffmpeg" });
      const b = await loadAudio(files[name], { decoder: "npm" });
      expect(a.sr).toBe(22050);
      expect(b.sr).toBe(22050);
      expect(a.y.length).toBe(b.y.length);
      expect(maxAbsDiff(a.y, b.y)).toBeLessThan(name.endsWith(".wav") || name.endsWith(".flac") ? 1e-9 : 1e-3);
    }
  }, 60_000);

  test("the format is read from the bytes, not the extension", async () => {
    const { copyFileSync } = await import("node:fs");
    const disguised = `${dir}/really-an-mp3.xyz`;
    copyFileSync(files["a.mp3"], disguised);
    const au = `${dir}/really-au.wav`;
    copyFileSync(files["s16.au"], au);
    for (const decoder of ["ffmpeg", "npm", "auto"] as const) {
      const mp3 = await decodeFile(disguised, decoder);
      expect(mp3.format).toBe("mp3");
      const x = await decodeFile(au, decoder);
      expect(x.format).toBe("au");
      expect(maxAbsDiff(x.channels[0], source.channels[0])).toBe(0);
    }
  }, 60_000);

  test("auto uses ffmpeg when there is one, the npm decoders when CLAVE_FFMPEG=none hides it", async () => {
    expect((await decodeFile(files["a.mp3"], "auto")).decoder).toBe("ffmpeg");
    expect((await decodeFile(files["s16.wav"], "auto")).decoder).toBe("builtin");
    const saved = process.env.CLAVE_FFMPEG;
    process.env.CLAVE_FFMPEG = "none";
    resetFfmpegLookup();
    try {
      expect((await decodeFile(files["a.mp3"], "auto")).decoder).toBe("npm");
      const forced = await decodeFile(files["a.mp3"], "ffmpeg").catch((e: unknown) => e);
      expect(forced).toBeInstanceOf(AudioDecodeError);
      expect((forced as AudioDecodeError).reason).toMatch(/ffmpeg is not installed/);
    } finally {
      if (saved === undefined) delete process.env.CLAVE_FFMPEG;
      else process.env.CLAVE_FFMPEG = saved;
      resetFfmpegLookup();
    }
  });
});
