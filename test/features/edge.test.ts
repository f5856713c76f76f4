/**
 * Edge cases: silence, clips shorter than n_fft, non-finite and empty signals. Where librosa defines a
 * result the result is librosa's; otherwise the error is a FeatureError saying what is wrong.
 */
import { describe, expect, test } from "bun:test";
import { builtinPlugins } from "../../plugins/index.ts";
import type { FeaturePlugin } from "../../core/plugin.ts";
import { FeatureError } from "../../core/errors.ts";
import { createFeatureContext, extractFeatures } from "../../core/features/extract.ts";
import type { NdArray } from "../../core/ndarray.ts";

const features = builtinPlugins.filter((p) => p.kind === "feature") as FeaturePlugin[];
const feature = (name: string) => features.find((p) => p.name === name)!;
const values = (a: NdArray) => Array.from(a.data as ArrayLike<number | bigint>, Number);

async function all(y: Float32Array): Promise<Map<string, NdArray>> {
  const results = await extractFeatures({ y, sr: 22050 }, features.map((plugin) => ({ plugin })), { ctx: createFeatureContext() });
  return new Map(results.map((r) => [r.name, r.array]));
}

describe("silence (2 s of zeros)", () => {
  const frames = 1 + Math.floor(44100 / 512);
  test("librosa's values: zeros, -100 dB floors, tempo from the prior alone, no beats", async () => {
    const out = await all(new Float32Array(44100));
    for (const name of ["melspectrogram", "chroma_stft", "spectral_contrast", "onset_strength", "tempogram", "zero_crossing_rate", "rms",
      "spectral_centroid", "spectral_bandwidth", "spectral_rolloff"]) {
      expect(values(out.get(name)!).every((v) => v === 0)).toBe(true);
    }
    // power_to_db(0) = 10 log10(1e-10) = -100 everywhere; its orthonormal DCT: c0 = -100 sqrt(128), the rest 0.
    const mfcc = out.get("mfcc")!;
    expect(mfcc.shape).toEqual([20, frames]);
    expect(values(mfcc)[0]).toBeCloseTo(-100 * Math.sqrt(128), 3);
    expect(Math.max(...values(mfcc).slice(frames).map(Math.abs))).toBeLessThan(1e-3);
    // feature.tempo: an all-zero tempogram leaves the log-normal prior, whose best lag is 22 (117.45 BPM).
    expect(values(out.get("tempo")!)).toEqual([(60 * 22050) / (512 * 22)]);
    // beat_track returns (0.0, []) when the onset envelope has no onset.
    expect(values(out.get("beat_tempo")!)).toEqual([0]);
    expect(out.get("beat_track")!.shape).toEqual([0]);
  });
});

describe("a clip shorter than n_fft (1000 samples)", () => {
  test("centred framing gives 1 + len // hop frames, as librosa", async () => {
    const y = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i / 7) * 0.3);
    const out = await all(y);
    expect(out.get("mfcc")!.shape).toEqual([20, 2]);
    expect(out.get("stack")!.shape).toEqual([417, 2]);
    expect(out.get("onset_strength")!.shape).toEqual([2]);
    expect(out.get("tempo")!.shape).toEqual([1]);
    // rms frame 0: samples 0..1023 of the zero-padded signal = y[0..1023] -> y[0..999] and zeros, over 2048.
    let s = 0;
    for (let i = 0; i < 1000; i++) s += y[i] * y[i];
    expect(values(out.get("rms")!)[0]).toBeCloseTo(Math.sqrt(s / 2048), 6);
    for (const [name, a] of out) expect([name, values(a).every(Number.isFinite)]).toEqual([name, true]);
  });

  test("without centring there is no frame: a FeatureError", async () => {
    const run = extractFeatures({ y: new Float32Array(1000), sr: 22050 }, [{ plugin: feature("spectral_centroid"), params: { center: false } }]);
    await expect(run).rejects.toThrow(FeatureError);
    await expect(run).rejects.toThrow(/too large for a signal of 1000 samples/);
  });
});

describe("signals librosa refuses", () => {
  for (const [what, bad] of [["NaN", NaN], ["Inf", Infinity], ["-Inf", -Infinity]] as const) {
    test(`${what} samples: FeatureError naming the sample`, async () => {
      const y = new Float32Array(5000);
      y[1234] = bad;
      for (const name of ["mfcc", "rms", "waveform", "tempo"]) {
        const run = extractFeatures({ y, sr: 22050 }, [{ plugin: feature(name) }], { source: "bad.wav" });
        await expect(run).rejects.toThrow(FeatureError);
        await expect(run).rejects.toThrow(new RegExp(`bad\\.wav: feature "${name}": audio buffer is not finite everywhere: sample 1234 is ${what === "NaN" ? "NaN" : what.replace("Inf", "Infinity")}`));
      }
    });
  }

  test("an empty signal: FeatureError", async () => {
    await expect(extractFeatures({ y: new Float32Array(0), sr: 22050 }, [{ plugin: feature("mfcc") }])).rejects.toThrow(/the signal is empty/);
  });
});
