/**
 * Parity with librosa 0.11 on both reference clips: every array within 1e-4 of the reference's
 * max |value|; tuning, tempo and beat frames exactly equal. All features of a clip are extracted in
 * one context, which must run the STFT once.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { builtinPlugins } from "../../plugins/index.ts";
import type { FeaturePlugin } from "../../core/plugin.ts";
import type { NdArray } from "../../core/ndarray.ts";
import { extractFeatures, createFeatureContext, type FeatureRequest, type RecordingFeatureContext } from "../../core/features/extract.ts";
import { STFT_KEY, magSpec, powerSpec } from "../../core/features/shared.ts";
import { defaultStft } from "../../core/features/params.ts";
import { estimateTuning } from "../../core/dsp/pitch.ts";
import { melFilterbankDense } from "../../core/dsp/mel.ts";
import { chromaFilterbank } from "../../core/dsp/chroma.ts";
import { toBinsMajor } from "../../core/dsp/spectrogram.ts";
import { chromaTuning } from "../../plugins/features/chroma_stft.ts";
import { toFloat64 } from "../../core/npy.ts";
import { CLIPS, deviation, referenceArray, referenceSignal, type Clip } from "./reference.ts";

const plugin = (name: string): FeaturePlugin => {
  const p = builtinPlugins.find((x) => x.kind === "feature" && x.name === name);
  if (!p) throw new Error(`no feature plugin ${name}`);
  return p as FeaturePlugin;
};

/** Output name -> (plugin, params, reference file). */
const CASES: [string, string, Record<string, unknown>, string][] = [
  ["melspectrogram", "melspectrogram", {}, "melspectrogram"],
  ["mel_db", "melspectrogram", { db: true }, "mel_db"],
  ["mel_db_refmax", "melspectrogram", { db: true, ref: "max" }, "mel_db_refmax"],
  ["mfcc", "mfcc", { n_mfcc: 13 }, "mfcc"],
  ["chroma_stft", "chroma_stft", {}, "chroma_stft"],
  ["chroma_stft_tuning0", "chroma_stft", { tuning: 0 }, "chroma_stft_tuning0"],
  ["spectral_contrast", "spectral_contrast", {}, "spectral_contrast"],
  ["onset_strength", "onset_strength", {}, "onset_strength"],
  ["tempogram", "tempogram", {}, "tempogram"],
  ["zero_crossing_rate", "zero_crossing_rate", {}, "zcr"],
  ["rms", "rms", {}, "rms"],
  ["spectral_centroid", "spectral_centroid", {}, "spectral_centroid"],
  ["spectral_bandwidth", "spectral_bandwidth", {}, "spectral_bandwidth"],
  ["spectral_rolloff", "spectral_rolloff", {}, "spectral_rolloff"],
  ["tempo", "tempo", {}, "tempo_feature"],
  ["beat_track", "beat_track", {}, "beat_frames"],
  ["beat_tempo", "beat_tempo", {}, "tempo"],
];

for (const clip of CLIPS) {
  describe(`librosa parity on the ${clip} clip`, () => {
    const out = new Map<string, NdArray>();
    let ctx: RecordingFeatureContext;
    beforeAll(async () => {
      ctx = createFeatureContext();
      const requests: FeatureRequest[] = CASES.map(([as, name, params]) => ({ plugin: plugin(name), params, as }));
      requests.push({ plugin: plugin("stack"), as: "stack" });
      for (const r of await extractFeatures(referenceSignal(clip), requests, { ctx })) out.set(r.name, r.array);
    });

    for (const [as, , , ref] of CASES) {
      if (["tempo", "beat_track", "beat_tempo"].includes(as)) continue;
      test(`${as} within 1e-4 of max |${ref}|`, () => {
        const reference = referenceArray(clip, ref);
        const actual = out.get(as)!;
        expect(actual.shape).toEqual(reference.shape);
        const d = deviation(actual, reference);
        if (as === "spectral_rolloff") {
          // A threshold on a cumulative sum: a frame may land one FFT bin (sr/n_fft Hz) away.
          const a = toFloat64(actual), r = toFloat64(reference);
          let offByOneBin = 0;
          for (let i = 0; i < r.length; i++) {
            const e = Math.abs(a[i] - r[i]);
            if (e > 1e-4 * d.maxRef) {
              expect(e).toBeLessThanOrEqual(22050 / 2048 + 1e-6);
              offByOneBin++;
            }
          }
          expect(offByOneBin).toBeLessThanOrEqual(Math.ceil(r.length * 0.01));
        } else {
          expect(d.outside).toBe(0);
          expect(d.relative).toBeLessThan(1e-4);
        }
      });
    }

    test("tempo (feature.tempo) exactly equal", () => {
      expect(Array.from(out.get("tempo")!.data as Float64Array)).toEqual(Array.from(toFloat64(referenceArray(clip, "tempo_feature"))));
    });

    test("beat_track tempo and beat frames exactly equal", () => {
      expect(out.get("beat_tempo")!.shape).toEqual([1]);
      expect(Array.from(out.get("beat_tempo")!.data as Float64Array)).toEqual(Array.from(toFloat64(referenceArray(clip, "tempo"))));
      const beats = out.get("beat_track")!;
      expect(beats.data).toBeInstanceOf(BigInt64Array);
      expect(Array.from(beats.data as BigInt64Array, Number)).toEqual(Array.from(toFloat64(referenceArray(clip, "beat_frames"))));
    });

    test("tuning exactly equal: chroma_stft's (power) and estimate_tuning(y=...)'s (magnitude)", () => {
      const signal = referenceSignal(clip);
      const stft = defaultStft(2048, 512);
      expect(chromaTuning(signal, stft, 12, ctx)).toBe(toFloat64(referenceArray(clip, "tuning_chroma"))[0]);
      expect(estimateTuning(magSpec(signal, stft, ctx), { sr: 22050, nFft: 2048 })).toBe(toFloat64(referenceArray(clip, "tuning_estimate_y"))[0]);
    });

    test("STFT magnitude and the mel and chroma filterbanks", () => {
      const signal = referenceSignal(clip);
      const stft = defaultStft(2048, 512);
      expect(deviation(toBinsMajor(magSpec(signal, stft, ctx)), referenceArray(clip, "stft_mag")).outside).toBe(0);
      expect(deviation({ data: melFilterbankDense({ sr: 22050, nFft: 2048 }), shape: [128, 1025] }, referenceArray(clip, "filters_mel")).relative).toBeLessThan(1e-6);
      const tuning = toFloat64(referenceArray(clip, "tuning_chroma"))[0];
      expect(deviation({ data: chromaFilterbank({ sr: 22050, nFft: 2048, tuning }), shape: [12, 1025] }, referenceArray(clip, "filters_chroma_tuning")).relative).toBeLessThan(1e-6);
      expect(deviation({ data: chromaFilterbank({ sr: 22050, nFft: 2048, tuning: 0 }), shape: [12, 1025] }, referenceArray(clip, "filters_chroma_tuning0")).relative).toBeLessThan(1e-6);
      void powerSpec;
    });

    test("stack (417) is mfcc 13 + chroma + contrast + onset + tempogram, row by row", () => {
      const stack = out.get("stack")!;
      expect(stack.shape).toEqual([417, 1292]);
      let row = 0;
      for (const [name, rows] of [["mfcc", 13], ["chroma_stft", 12], ["spectral_contrast", 7], ["onset_strength", 1], ["tempogram", 384]] as const) {
        const part = toFloat64(out.get(name)!);
        const s = stack.data as Float32Array;
        for (let i = 0; i < rows * 1292; i += 97) expect(s[row * 1292 + i]).toBeCloseTo(part[i], 4);
        row += rows;
      }
    });

    test("one STFT for all features of the clip", () => {
      const stfts = ctx.computed.filter((k) => k.startsWith(`${STFT_KEY}:`));
      expect(stfts).toEqual([`${STFT_KEY}:2048/512/2048/hann/true/constant`]);
    });
  });
}

export type { Clip };
