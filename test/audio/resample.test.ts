/**
 * librosa parity: `loadAudio` reproduces librosa 0.11's `load` on the reference clips (22.05 kHz: the
 * decoded samples; 44.1 kHz: libsoxr HQ resampling) on both decoding paths, and clave's resampler
 * equals the machine's own libsoxr (the library python-soxr wraps) on ratios librosa users meet.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadAudio, resample, toMono } from "../../core/audio/index.ts";
import { readNpySync } from "../../core/npy.ts";
import { REFERENCE } from "../helpers.ts";
import { HAVE_FFMPEG, maxAbsDiff } from "./fixtures.ts";

const clips = [
  { name: "synth", native: "synth_22050.wav", hi: "synth_44100.wav" },
  { name: "real", native: "real_22050_stereo.wav", hi: "real_44100_stereo.wav" },
];

describe("librosa.load parity", () => {
  for (const decoder of ["npm", "ffmpeg"] as const) {
    for (const clip of clips) {
      test(`${clip.name} via ${decoder}`, async () => {
        const y22 = readNpySync(join(REFERENCE, clip.name, "y.npy")).data as Float32Array;
        const native = await loadAudio(join(REFERENCE, "audio", clip.native), { decoder });
        expect(native.sr).toBe(22050);
        expect(native.y.length).toBe(y22.length);
        expect(maxAbsDiff(native.y, y22)).toBe(0);

        const y44 = readNpySync(join(REFERENCE, clip.name, "y_from_44100_soxr_hq.npy")).data as Float32Array;
        const resampled = await loadAudio(join(REFERENCE, "audio", clip.hi), { decoder });
        expect(resampled.sr).toBe(22050);
        expect(resampled.y.length).toBe(y44.length);
        // libsoxr computes in float32, clave in float64: they agree to a few 1e-7.
        expect(maxAbsDiff(resampled.y, y44)).toBeLessThan(1e-6);
      }, 60_000);
    }
  }

  test("sr: null keeps the native rate; offset and duration cut as soundfile seeks", async () => {
    const path = join(REFERENCE, "audio", "real_44100_stereo.wav");
    const full = await loadAudio(path, { sr: null, decoder: "npm" });
    expect(full.sr).toBe(44100);
    expect(full.y.length).toBe(1323000);
    const cut = await loadAudio(path, { sr: null, offset: 1.5, duration: 2.25, decoder: "npm" });
    expect(cut.y.length).toBe(Math.trunc(2.25 * 44100));
    expect(maxAbsDiff(cut.y, full.y.subarray(Math.trunc(1.5 * 44100)))).toBe(0);
    const stereo = await loadAudio(path, { sr: null, mono: false, decoder: "npm" });
    expect(stereo.channels).toBe(2);
    const left = stereo.y.subarray(0, 1323000);
    const right = stereo.y.subarray(1323000);
    expect(maxAbsDiff(toMono([left, right]), full.y)).toBe(0);
  });

  test("resample follows librosa: equal rates copy, length is ceil(n·target/orig)", () => {
    const y = Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i / 7));
    const same = resample(y, 22050, 22050);
    expect(same).not.toBe(y);
    expect(maxAbsDiff(same, y)).toBe(0);
    expect(resample(y, 44100, 22050).length).toBe(Math.ceil(1001 / 2));
    expect(resample(y, 8000, 22050).length).toBe(Math.ceil((1001 * 22050) / 8000));
    expect(resample(new Float32Array(0), 48000, 22050).length).toBe(0);
    expect(() => resample(y, 0, 22050)).toThrow(RangeError);
  });
});

// ------------------------------------------------------------------ the machine's libsoxr as an oracle

function openSoxr() {
  for (const name of ["libsoxr.so.0", "/usr/lib/x86_64-linux-gnu/libsoxr.so.0", "/usr/lib/aarch64-linux-gnu/libsoxr.so.0"]) {
    try {
      return dlopen(name, {
        soxr_create: {
          args: [FFIType.f64, FFIType.f64, FFIType.u32, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr],
          returns: FFIType.ptr,
        },
        soxr_process: {
          args: [FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.ptr],
          returns: FFIType.ptr,
        },
        soxr_delete: { args: [FFIType.ptr], returns: FFIType.void },
      });
    } catch {
      // try the next name
    }
  }
  return null;
}

const soxr = openSoxr();

/** python-soxr's `resample(x, in, out, 'HQ')` for float32 mono: default specs (HQ, float32), chunked, flushed. */
function soxrResample(x: Float32Array, inRate: number, outRate: number): Float32Array {
  const lib = soxr!.symbols;
  const err = new BigUint64Array(1);
  const handle = lib.soxr_create(inRate, outRate, 1, ptr(err), null, null, null);
  if (!handle) throw new Error("soxr_create failed");
  const olen = Math.floor((x.length * outRate) / inRate) + 1;
  const y = new Float32Array(olen + 1);
  const done = new BigUint64Array(1);
  const chunk = Math.floor((48000 * inRate) / outRate);
  let pos = 0;
  for (let i = 0; i < x.length; i += chunk) {
    const n = Math.min(chunk, x.length - i);
    lib.soxr_process(handle, ptr(x, i * 4), n, null, ptr(y, pos * 4), olen - pos, ptr(done));
    pos += Number(done[0]);
  }
  lib.soxr_process(handle, null, 0, null, ptr(y, pos * 4), olen - pos, ptr(done));
  pos += Number(done[0]);
  lib.soxr_delete(handle);
  return y.slice(0, pos);
}

test("the tests have libsoxr, the oracle (apt-get install libsoxr0; ffmpeg brings it)", () => expect(soxr).not.toBeNull());

describe("resampler vs libsoxr", () => {
  // Noise plus a chirp, with silence at the start and a DC step at the end: edges and the whole band.
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const ratios: [number, number][] = [
    [44100, 22050],
    [48000, 22050],
    [32000, 22050],
    [16000, 22050],
    [8000, 22050],
    [11025, 22050],
    [96000, 22050],
    [88200, 22050],
    [192000, 22050],
    [22050, 44100],
    [44100, 16000],
    [44101, 22050], // not a small rational: interpolated poly-phase coefficients
    [4000, 22050], // large upsampling: pre, poly-phase and post stages
  ];
  for (const [from, to] of ratios) {
    test(`${from} → ${to}`, () => {
      const n = 20011;
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const t = i / from;
        x[i] = 0.3 * rand() + 0.3 * Math.sin(2 * Math.PI * (50 + (from / 4) * (t / (n / from))) * t);
      }
      x.fill(0, 0, 50);
      x.fill(0.5, n - 30);
      const ours = resample(x, from, to);
      const theirs = soxrResample(x, from, to);
      // librosa pads libsoxr's round(n·r) samples to ceil(n·r): compare what libsoxr returned.
      expect(ours.length).toBe(Math.ceil((n * to) / from));
      expect(Math.abs(ours.length - theirs.length)).toBeLessThanOrEqual(1);
      expect(maxAbsDiff(ours.subarray(0, theirs.length), theirs)).toBeLessThan(2e-6);
      for (let i = theirs.length; i < ours.length; i++) expect(ours[i]).toBe(0);
    });
  }
});
