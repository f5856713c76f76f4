/** `clave audio info` and `clave audio load`, run as a user runs them. */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readNpySync } from "../../core/npy.ts";
import { REFERENCE, runClave, tempDir } from "../helpers.ts";
import { HAVE_FFMPEG, maxAbsDiff } from "./fixtures.ts";

const dir = tempDir("clave-audio-cli-");

describe("clave audio", () => {
  for (const decoder of HAVE_FFMPEG ? ["npm", "ffmpeg"] : ["npm"]) {
    test(`load reproduces librosa's signals (${decoder})`, () => {
      for (const clip of ["synth", "real"]) {
        const input = join(REFERENCE, "audio", clip === "synth" ? "synth_44100.wav" : "real_44100_stereo.wav");
        const out = join(dir, `${clip}-${decoder}.npy`);
        const r = runClave(["audio", "load", input, "--decoder", decoder, "--out", out]);
        expect(r.stderr).toContain("22050 Hz");
        expect(r.code).toBe(0);
        const ours = readNpySync(out);
        const ref = readNpySync(join(REFERENCE, clip, "y_from_44100_soxr_hq.npy"));
        expect(ours.shape).toEqual(ref.shape);
        expect(maxAbsDiff(ours.data as Float32Array, ref.data as Float32Array)).toBeLessThan(1e-4);
      }
    }, 60_000);
  }

  test("load --sr native --no-mono writes (channels, samples)", () => {
    const out = join(dir, "stereo.npy");
    const r = runClave(["audio", "load", join(REFERENCE, "audio", "real_22050_stereo.wav"), "--sr", "native", "--no-mono", "--offset", "1", "--duration", "2", "--out", out]);
    expect(r.code).toBe(0);
    expect(readNpySync(out).shape).toEqual([2, 44100]);
  });

  test("info lists each file; a bad one is reported and makes the exit code 1", () => {
    const junk = join(dir, "junk.wav");
    writeFileSync(junk, "not audio at all");
    const r = runClave(["audio", "info", join(REFERENCE, "audio", "real_44100_stereo.wav"), junk, "--json"]);
    expect(r.code).toBe(1);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows[0]).toMatchObject({ format: "wav", codec: "pcm_s16", sr: 44100, channels: 2, duration: 30 });
    expect(rows[1].path).toBe(junk);
    expect(String(rows[1].error)).toContain(junk);
    expect(r.stderr).toContain("1 of 2 file(s) could not be read");
  });

  test("bad usage exits 2", () => {
    expect(runClave(["audio", "load", "x.wav", "--out", "y.txt"]).code).toBe(2);
    expect(runClave(["audio", "load", "x.wav", "--out", "y.npy", "--sr", "fast"]).code).toBe(2);
    expect(runClave(["audio", "load", "x.wav", "--out", "y.npy", "--decoder", "sox"]).code).toBe(2);
    expect(runClave(["audio", "load", "x.wav"]).code).toBe(2);
  });

  test("a missing file exits 1 with its path", () => {
    const r = runClave(["audio", "load", join(dir, "nope.mp3"), "--out", join(dir, "nope.npy")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("nope.mp3: does not exist (ENOENT)");
  });
});
