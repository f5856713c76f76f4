/** The feature runner: one STFT per clip, shape and params checks, stacking, memoised features. */
import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { builtinPlugins } from "../../plugins/index.ts";
import { createStackFeature, stackableBuiltins } from "../../plugins/features/stack.ts";
import { defineFeature, type FeaturePlugin } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { FeatureError, ParamError } from "../../core/errors.ts";
import { createFeatureContext, extractFeatures, runFeature } from "../../core/features/extract.ts";
import { STFT_KEY, magSpec, powerSpec } from "../../core/features/shared.ts";
import { FEATURE_PRESETS } from "../../core/features/presets.ts";

const feature = (name: string) => builtinPlugins.find((p) => p.kind === "feature" && p.name === name) as FeaturePlugin;

function tone(seconds: number, sr = 22050): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * sr) }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / sr) + 0.1 * Math.sin(i * 0.37));
}

describe("one context per clip", () => {
  test("every spectral feature of the 417 set, mel and the spectral statistics share one STFT", async () => {
    const ctx = createFeatureContext();
    const signal = { y: tone(3), sr: 22050 };
    const names = ["mfcc", "chroma_stft", "spectral_contrast", "onset_strength", "tempogram", "melspectrogram",
      "spectral_centroid", "spectral_bandwidth", "spectral_rolloff", "tempo", "beat_track", "beat_tempo", "stack"];
    await extractFeatures(signal, names.map((n) => ({ plugin: feature(n) })), { ctx });
    expect(ctx.computed.filter((k) => k.startsWith(`${STFT_KEY}:`))).toHaveLength(1);
    // the mel spectrogram and its dB are shared by mfcc, melspectrogram and the onset envelopes
    expect(ctx.computed.filter((k) => k.startsWith("mel:"))).toHaveLength(1);
    expect(ctx.computed.filter((k) => k.startsWith("meldb:"))).toHaveLength(1);
  });

  test("different STFT params make a second STFT, and only then", async () => {
    const ctx = createFeatureContext();
    const signal = { y: tone(1), sr: 22050 };
    await extractFeatures(signal, [
      { plugin: feature("mfcc") },
      { plugin: feature("spectral_centroid"), params: { n_fft: 1024 } },
      { plugin: feature("spectral_rolloff"), params: { n_fft: 1024 } },
    ], { ctx });
    expect(ctx.computed.filter((k) => k.startsWith(`${STFT_KEY}:`))).toHaveLength(2);
  });

  test("a feature asked for twice (alone and inside stack) runs once", async () => {
    const ctx = createFeatureContext();
    const signal = { y: tone(1), sr: 22050 };
    await extractFeatures(signal, [{ plugin: feature("mfcc"), params: { n_mfcc: 13 } }, { plugin: feature("stack") }], { ctx });
    expect(ctx.computed.filter((k) => k.startsWith("feature:mfcc:"))).toHaveLength(1);
  });
});

describe("reused intermediate buffers", () => {
  const stft = { n_fft: 2048, hop_length: 512, win_length: null, window: "hann", center: true, pad_mode: "constant" } as const;
  // Returns the clip's shared |X|² itself (not a copy), as a third-party plugin might.
  const rawPower = defineFeature({
    name: "raw_power",
    description: "The shared power spectrogram, frame-major.",
    params: z.object({}),
    shape: (_p, n) => [1 + Math.floor(n / 512), 1025],
    extract: (s, _p, ctx) => {
      const m = powerSpec(s, stft, ctx);
      return ndarray(m.data, [m.nFrames, m.nBins]);
    },
  });
  const rawMagnitude = defineFeature({
    name: "raw_magnitude",
    description: "The shared magnitude spectrogram, frame-major.",
    params: z.object({}),
    shape: (_p, n) => [1 + Math.floor(n / 512), 1025],
    extract: (s, _p, ctx) => {
      const m = magSpec(s, stft, ctx);
      return ndarray(m.data, [m.nFrames, m.nBins]);
    },
  });
  const names = ["mfcc", "chroma_stft", "spectral_contrast", "spectral_centroid", "spectral_rolloff", "melspectrogram"];
  const values = (a: { data: unknown }) => Array.from(a.data as ArrayLike<number>);

  test("results of one clip stay intact while later clips are extracted", async () => {
    const requests = [...names.map((n) => ({ plugin: feature(n) })), { plugin: rawPower }, { plugin: rawMagnitude }];
    const a = { y: tone(2), sr: 22050 };
    const b = { y: tone(2).map((v, i) => v * 0.3 + 0.2 * Math.sin(i * 0.011)), sr: 22050 };
    const first = await extractFeatures(a, requests);
    const saved = first.map((r) => values(r.array));
    const second = await extractFeatures(b, requests);
    first.forEach((r, i) => expect(values(r.array)).toEqual(saved[i]));
    expect(values(second[0].array)).not.toEqual(saved[0]);
    const again = await extractFeatures(a, requests);
    again.forEach((r, i) => expect(values(r.array)).toEqual(saved[i]));
  });

  test("clips of other lengths give the same results as a fresh extraction", async () => {
    const requests = names.map((n) => ({ plugin: feature(n) }));
    await extractFeatures({ y: tone(3), sr: 22050 }, requests);
    const signal = { y: tone(2.5), sr: 22050 };
    const pooled = await extractFeatures(signal, requests);
    const fresh = await extractFeatures(signal, requests, { ctx: createFeatureContext() });
    pooled.forEach((r, i) => expect(values(r.array)).toEqual(values(fresh[i].array)));
  });
});

describe("contract checks", () => {
  const liar = defineFeature({
    name: "liar",
    description: "Declares one shape, returns another.",
    params: z.object({ n: z.number().int().default(3).describe("rows") }),
    shape: (p, n) => [p.n, n],
    extract: (signal) => ndarray(new Float32Array(2), [1, 2]),
  });

  test("an output that breaks the declared shape is a FeatureError naming the plugin and both shapes", async () => {
    const run = extractFeatures({ y: tone(0.1), sr: 22050 }, [{ plugin: liar }], { source: "clip.wav" });
    await expect(run).rejects.toThrow(FeatureError);
    await expect(run).rejects.toThrow(/clip\.wav: feature "liar": returned shape \[1, 2\] but declares \[3, 2205\]/);
  });

  test("bad params are a ParamError naming the plugin and field", async () => {
    await expect(extractFeatures({ y: tone(0.1), sr: 22050 }, [{ plugin: feature("mfcc"), params: { n_mfcc: -1 } }])).rejects.toThrow(ParamError);
    await expect(extractFeatures({ y: tone(0.1), sr: 22050 }, [{ plugin: feature("mfcc"), params: { nmfcc: 3 } }])).rejects.toThrow(/mfcc: parameter "nmfcc": unknown parameter/);
  });
});

describe("stack", () => {
  test("the default is the 417-dim set, and other sets are one line", async () => {
    const signal = { y: tone(2), sr: 22050 };
    const frames = 1 + Math.floor(signal.y.length / 512);
    expect(feature("stack").shape(feature("stack").params.parse({}) as never, signal.y.length, 22050)).toEqual([417, frames]);
    const custom = { features: [{ name: "mfcc", params: { n_mfcc: 20 } }, "rms", "zero_crossing_rate"] };
    const [r] = await extractFeatures(signal, [{ plugin: feature("stack"), params: custom }]);
    expect(r.array.shape).toEqual([22, frames]);
    const rms = await runFeature(feature("rms"), {}, signal, createFeatureContext());
    for (let t = 0; t < frames; t += 7) expect((r.array.data as Float32Array)[20 * frames + t]).toBeCloseTo((rms.data as Float32Array)[t], 6);
  });

  test("stacking parts with different frame counts, or an unknown feature, is refused", async () => {
    const signal = { y: tone(1), sr: 22050 };
    const bad = { features: ["mfcc", { name: "rms", params: { hop_length: 256 } }] };
    await expect(extractFeatures(signal, [{ plugin: feature("stack"), params: bad }])).rejects.toThrow(/frames/);
    await expect(extractFeatures(signal, [{ plugin: feature("stack"), params: { features: ["nope"] } }])).rejects.toThrow(/unknown feature "nope"/);
  });

  test("createStackFeature stacks your own features too", async () => {
    const ones = defineFeature({
      name: "ones",
      description: "A row of ones per frame.",
      params: z.object({}),
      shape: (_p, n) => [1, 1 + Math.floor(n / 512)],
      extract: (s) => ndarray(new Float32Array(1 + Math.floor(s.y.length / 512)).fill(1), [1, 1 + Math.floor(s.y.length / 512)]),
    });
    const stack = createStackFeature([...stackableBuiltins, ones]);
    const [r] = await extractFeatures({ y: tone(1), sr: 22050 }, [{ plugin: stack, params: { features: ["rms", "ones"] } }]);
    expect(r.array.shape[0]).toBe(2);
    expect((r.array.data as Float32Array)[r.array.shape[1]]).toBe(1);
  });

  test("the stack417 preset is the stack default", () => {
    expect(FEATURE_PRESETS.stack417[0].plugin).toBe("stack");
    expect(feature("stack").params.parse(FEATURE_PRESETS.stack417[0].params)).toEqual(feature("stack").params.parse({}));
  });
});
