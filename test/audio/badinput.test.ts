/**
 * Bad input, on both decoding paths: a correct result or an AudioDecodeError that names the path and
 * the reason; never a hang, never a silent array of zeros.
 */
import { describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AudioDecodeError, audioInfo, loadAudio, toMono } from "../../core/audio/index.ts";
import { tempDir } from "../helpers.ts";
import { HAVE_FFMPEG, SOURCE_CC, ffmpeg, maxAbsDiff } from "./fixtures.ts";

const dir = tempDir("clave-audio-bad-");
const decoders = HAVE_FFMPEG ? (["ffmpeg", "npm", "auto"] as const) : (["npm", "auto"] as const);

async function decodeError(path: string, decoder: string): Promise<AudioDecodeError> {
  const error = await loadAudio(path, { decoder: decoder as "npm" }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AudioDecodeError);
  const e = error as AudioDecodeError;
  expect(e.path).toBe(path);
  expect(e.message).toContain(path);
  expect(e.reason.length).toBeGreaterThan(0);
  return e;
}

function rms(y: Float32Array): number {
  let s = 0;
  for (const v of y) s += v * v;
  return Math.sqrt(s / Math.max(1, y.length));
}

describe("bad input", () => {
  const missing = join(dir, "missing.wav");
  const folder = join(dir, "a-folder.wav");
  mkdirSync(folder);
  const empty = join(dir, "empty.mp3");
  writeFileSync(empty, "");
  const text = join(dir, "notes.mp3");
  writeFileSync(text, "<html><body>This is not audio, it is a web page saved as .mp3</body></html>\n".repeat(50));
  const noise = join(dir, "noise.ogg");
  writeFileSync(noise, Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));

  for (const decoder of decoders) {
    test(`missing, directory, empty, non-audio (${decoder})`, async () => {
      expect((await decodeError(missing, decoder)).reason).toBe("does not exist (ENOENT)");
      expect((await decodeError(folder, decoder)).reason).toMatch(/directory/);
      expect((await decodeError(empty, decoder)).reason).toMatch(/empty/);
      expect((await decodeError(text, decoder)).reason).toMatch(/not a recognised audio format|Invalid data|recognised/i);
      await decodeError(noise, decoder);
    }, 30_000);
  }

  test("truncated mp3: the frames that are there, not zeros", async () => {
    const full = join(dir, "full.mp3");
    ffmpeg(["-ss", "30", "-t", "6", "-i", SOURCE_CC, "-map", "0:a:0", "-c:a", "libmp3lame", "-b:a", "128k", full]);
    const bytes = readFileSync(full);
    const cut = join(dir, "truncated.mp3");
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.55) + 7));
    for (const decoder of ["ffmpeg", "npm"] as const) {
      const whole = await loadAudio(full, { decoder, sr: null });
      const part = await loadAudio(cut, { decoder, sr: null });
      expect(part.y.length).toBeGreaterThan(whole.y.length * 0.45);
      expect(part.y.length).toBeLessThan(whole.y.length * 0.65);
      expect(rms(part.y)).toBeGreaterThan(0.01);
      // What was decoded is the start of the whole file (the last, cut frame aside).
      const m = Math.floor(part.y.length * 0.9);
      expect(maxAbsDiff(part.y.subarray(0, m), whole.y.subarray(0, m))).toBeLessThan(1e-6);
    }
  }, 60_000);

  test("zero-length audio is an error, not an empty or zero signal", async () => {
    const path = join(dir, "zero.wav");
    const header = Buffer.alloc(44);
    header.write("RIFF", 0);
    header.writeUInt32LE(36, 4);
    header.write("WAVEfmt ", 8);
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(22050, 24);
    header.writeUInt32LE(44100, 28);
    header.writeUInt16LE(2, 32);
    header.writeUInt16LE(16, 34);
    header.write("data", 36);
    header.writeUInt32LE(0, 40);
    writeFileSync(path, header);
    for (const decoder of decoders) expect((await decodeError(path, decoder)).reason).toMatch(/no audio samples/);
    const info = await audioInfo(path);
    expect(info.frames).toBe(0);
  });

  test("6 channels are averaged; 8 kHz is resampled", async () => {
    const six = join(dir, "six.flac");
    const tones = [220, 330, 440, 550, 660, 770].map((f, i) => `sin(2*PI*${f}*t)*${0.1 + 0.05 * i}`).join("|");
    ffmpeg(["-f", "lavfi", "-i", `aevalsrc=${tones}:s=44100:d=2`, "-c:a", "flac", six]);
    const eight = join(dir, "eight.wav");
    ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=2", "-c:a", "pcm_s16le", eight]);
    for (const decoder of ["ffmpeg", "npm"] as const) {
      const all = await loadAudio(six, { decoder, sr: null, mono: false });
      expect(all.channels).toBe(6);
      const n = all.y.length / 6;
      expect(n).toBe(88200);
      const rows = Array.from({ length: 6 }, (_, c) => all.y.subarray(c * n, (c + 1) * n));
      const mono = await loadAudio(six, { decoder, sr: null });
      expect(maxAbsDiff(mono.y, toMono(rows))).toBe(0);
      const mean = rows[0].map((_, i) => rows.reduce((s, r) => s + r[i], 0) / 6);
      expect(maxAbsDiff(mono.y, mean)).toBeLessThan(1e-6);
      const at22 = await loadAudio(six, { decoder });
      expect(at22.y.length).toBe(Math.ceil(88200 / 2));

      const native = await loadAudio(eight, { decoder, sr: null });
      expect(native.sr).toBe(8000);
      const up = await loadAudio(eight, { decoder });
      expect(up.sr).toBe(22050);
      expect(up.y.length).toBe(Math.ceil((16000 * 22050) / 8000));
      expect(Math.abs(rms(up.y) / rms(native.y) - 1)).toBeLessThan(0.01);
    }
  }, 60_000);

  test("an unknown extension is read for what the bytes are", async () => {
    const wav = join(dir, "clip.wav");
    ffmpeg(["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=22050:duration=1", "-c:a", "pcm_s16le", wav]);
    const odd = join(dir, "clip.xyz");
    copyFileSync(wav, odd);
    for (const decoder of decoders) {
      const a = await loadAudio(odd, { decoder });
      const b = await loadAudio(wav, { decoder });
      expect(a.y.length).toBe(22050);
      expect(maxAbsDiff(a.y, b.y)).toBe(0);
    }
  }, 30_000);

  test("options out of range are refused before any decoding", async () => {
    await expect(loadAudio(missing, { sr: -1 })).rejects.toThrow(RangeError);
    await expect(loadAudio(missing, { offset: -2 })).rejects.toThrow(RangeError);
  });

  test("an offset past the end names the file", async () => {
    const wav = join(dir, "short.wav");
    ffmpeg(["-f", "lavfi", "-i", "sine=frequency=500:sample_rate=22050:duration=1", "-c:a", "pcm_s16le", wav]);
    const e = await loadAudio(wav, { offset: 5 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AudioDecodeError);
    expect((e as AudioDecodeError).reason).toMatch(/past the end/);
  });
});
