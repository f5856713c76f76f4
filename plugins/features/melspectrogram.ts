/**
 * Mel spectrogram, `librosa.feature.melspectrogram(y=y, sr=sr)`: M = W_mel · |STFT|^power, optionally
 * in decibels as `librosa.power_to_db(M, ref=, amin=, top_db=)` (`db: true`). Shape (n_mels, frames).
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { powerToDb } from "../../core/dsp/db.ts";
import { applyFilterbank, melFilterbank } from "../../core/dsp/mel.ts";
import { spectrogramPower, stftFrameCount } from "../../core/dsp/stft.ts";
import { toBinsMajor, type FrameMatrix } from "../../core/dsp/spectrogram.ts";
import type { FeatureContext, Signal } from "../../core/plugin.ts";
import { melShape, stftShape } from "../../core/features/params.ts";
import { checkSignal, guard, melDb, melSpec, powerSpec } from "../../core/features/shared.ts";

const params = z.object({
  ...stftShape,
  ...melShape,
  power: z.number().positive().default(2.0).describe("exponent of the magnitude: 2 = power, 1 = energy"),
  norm: z.enum(["slaney"]).nullable().default("slaney").describe("filter normalisation: 'slaney' (area) or null"),
  db: z.boolean().default(false).describe("convert to decibels with power_to_db"),
  ref: z.union([z.number().positive(), z.literal("max")]).default(1.0).describe("power_to_db reference: a value, or 'max' (np.max)"),
  amin: z.number().positive().default(1e-10).describe("power_to_db floor"),
  top_db: z.number().min(0).nullable().default(80).describe("power_to_db: clamp to max - top_db over the clip; null = no clamp"),
});

export default defineFeature({
  name: "melspectrogram",
  description: "Mel-scaled power spectrogram, optionally in dB (librosa.feature.melspectrogram, power_to_db).",
  params,
  shape: (p, n) => [p.n_mels, stftFrameCount(n, p.n_fft, p.hop_length, p.center)],
  extract(signal, p, ctx) {
    checkSignal(signal, "melspectrogram", ctx);
    return guard("melspectrogram", () => {
      const sharedDb = p.power === 2 && p.ref === 1.0 && p.amin === 1e-10 && p.top_db === 80;
      if (p.db && sharedDb) return toBinsMajor(melDb(signal, p, ctx, p.norm)); // the one mfcc and onsets use
      let m = p.power === 2 ? melSpec(signal, p, ctx, p.norm) : melOfPower(signal, p, ctx);
      if (p.db) m = { ...m, data: powerToDb(m.data, { ref: p.ref, amin: p.amin, topDb: p.top_db }) };
      return toBinsMajor(m);
    });
  },
});

function melOfPower(signal: Signal, p: z.output<typeof params>, ctx: FeatureContext): FrameMatrix<Float32Array> {
  const fb = melFilterbank({ sr: signal.sr, nFft: p.n_fft, nMels: p.n_mels, fmin: p.fmin, fmax: p.fmax, htk: p.htk, norm: p.norm });
  return applyFilterbank(fb, spectrogramPower(powerSpec(signal, p, ctx), p.power));
}
