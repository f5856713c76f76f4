/**
 * Bounded fuzz: random truncations and byte flips of the CC recordings (Ogg Vorbis) and of short
 * files in every other format, decoded by both paths. Every outcome must be a signal of finite samples
 * (not a long run of silence standing in for a failure) or an AudioDecodeError naming the file.
 * The generator is seeded: a failure names the mutant, and re-running reproduces it.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { AudioDecodeError, loadAudio } from "../../core/audio/index.ts";
import { mulberry32 } from "../../core/random.ts";
import { tempDir } from "../helpers.ts";
import { HAVE_FFMPEG, SOURCE_CC, ccFiles, ffmpeg } from "./fixtures.ts";

const dir = tempDir("clave-audio-fuzz-");

/** A damaged copy: truncated, bytes flipped (often in the header), or both. */
function mutate(bytes: Uint8Array, rand: () => number): { bytes: Uint8Array; what: string } {
  const kind = Math.floor(rand() * 3);
  let out = bytes.slice();
  const what: string[] = [];
  if (kind !== 1) {
    const cut = rand() < 0.3 ? Math.floor(rand() * Math.min(256, bytes.length)) : Math.floor(rand() * bytes.length);
    out = out.slice(0, Math.max(1, cut));
    what.push(`cut@${cut}`);
  }
  if (kind !== 0) {
    const flips = 1 + Math.floor(rand() * 24);
    for (let i = 0; i < flips; i++) {
      const inHeader = rand() < 0.5;
      const at = Math.floor(rand() * (inHeader ? Math.min(512, out.length) : out.length));
      out[at] ^= 1 + Math.floor(rand() * 255);
    }
    what.push(`${flips} flips`);
  }
  return { bytes: out, what: what.join(", ") };
}

async function check(path: string, decoder: "ffmpeg" | "npm", label: string): Promise<string> {
  try {
    const { y, sr } = await loadAudio(path, { decoder, sr: null });
    expect(y.length).toBeGreaterThan(0);
    let nonzero = false;
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i])) throw new Error(`${label}: non-finite sample at ${i}`);
      if (y[i] !== 0) nonzero = true;
    }
    // Silence can be real (a cut inside a quiet intro), but seconds of it from damaged music would
    // be a decoder hiding its failure.
    if (!nonzero && y.length > 2 * sr) throw new Error(`${label}: ${y.length} samples of silence`);
    return "result";
  } catch (error) {
    if (!(error instanceof AudioDecodeError)) throw new Error(`${label}: not an AudioDecodeError: ${String(error)}`);
    expect(error.path).toBe(path);
    return "error";
  }
}

const decoders = HAVE_FFMPEG ? (["npm", "ffmpeg"] as const) : (["npm"] as const);

describe("fuzz", () => {
  const others: string[] = [];
  beforeAll(() => {
    if (!HAVE_FFMPEG) return;
    const src = join(dir, "src.wav");
    ffmpeg(["-ss", "10", "-t", "3", "-i", SOURCE_CC, "-map", "0:a:0", "-c:a", "pcm_s16le", src]);
    const specs: [string, string[]][] = [
      ["f.wav", ["-c:a", "pcm_s24le"]],
      ["f.au", ["-c:a", "pcm_s16be", "-f", "au"]],
      ["f.mp3", ["-c:a", "libmp3lame"]],
      ["f.flac", ["-c:a", "flac"]],
      ["f.opus", ["-c:a", "libopus"]],
      ["f.webm", ["-c:a", "libopus", "-f", "webm"]],
      ["f.m4a", ["-c:a", "aac"]],
    ];
    for (const [name, args] of specs) {
      ffmpeg(["-i", src, ...args, join(dir, name)]);
      others.push(join(dir, name));
    }
  }, 60_000);

  for (const decoder of decoders) {
    test(`CC recordings, damaged (${decoder})`, async () => {
      const rand = mulberry32(decoder === "npm" ? 1 : 2);
      const outcomes: Record<string, number> = { result: 0, error: 0 };
      for (const file of ccFiles()) {
        const bytes = new Uint8Array(readFileSync(file));
        for (let k = 0; k < 3; k++) {
          const m = mutate(bytes, rand);
          const path = join(dir, `${decoder}-${k}-${basename(file)}`);
          writeFileSync(path, m.bytes);
          outcomes[await check(path, decoder, `${basename(file)} (${m.what})`)]++;
        }
      }
      expect(outcomes.result + outcomes.error).toBe(ccFiles().length * 3);
    }, 240_000);

    test(`every format, damaged (${decoder})`, async () => {
      const rand = mulberry32(decoder === "npm" ? 3 : 4);
      for (const file of others) {
        const bytes = new Uint8Array(readFileSync(file));
        for (let k = 0; k < 5; k++) {
          const m = mutate(bytes, rand);
          const path = join(dir, `${decoder}-${k}-${basename(file)}`);
          writeFileSync(path, m.bytes);
          await check(path, decoder, `${basename(file)} (${m.what})`);
        }
      }
    }, 240_000);
  }
});
