/**
 * Chromagram, `librosa.feature.chroma_stft(y=y, sr=sr)`: the chroma filterbank (tuned by
 * `estimate_tuning` on the power spectrogram unless `tuning` is given) applied to |STFT|², each frame
 * divided by its max. Shape (n_chroma, frames), float32.
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { chromaFilterbank, chromaFromPower } from "../../core/dsp/chroma.ts";
import { estimateTuning } from "../../core/dsp/pitch.ts";
import { toBinsMajor } from "../../core/dsp/spectrogram.ts";
import { stftFrameCount } from "../../core/dsp/stft.ts";
import { normParam, normValue, stftShape, type StftParams } from "../../core/features/params.ts";
import { checkSignal, guard, powerSpec } from "../../core/features/shared.ts";
import type { FeatureContext, Signal } from "../../core/plugin.ts";

/** The tuning chroma_stft uses: `estimate_tuning(S=|X|², bins_per_octave=n_chroma)`, shared per clip. */
export function chromaTuning(signal: Signal, p: StftParams, nChroma: number, ctx: FeatureContext): number {
  return ctx.memo(`tuning:${p.n_fft}/${p.hop_length}/${p.win_length}/${p.window}/${p.center}/${p.pad_mode}/${nChroma}`, () =>
    estimateTuning(powerSpec(signal, p, ctx), { sr: signal.sr, nFft: p.n_fft, binsPerOctave: nChroma }),
  );
}

export default defineFeature({
  name: "chroma_stft",
  description: "Chromagram from the power spectrogram, with librosa's tuning estimation (librosa.feature.chroma_stft).",
  params: z.object({
    n_chroma: z.number().int().positive().default(12).describe("number of chroma bins per octave"),
    tuning: z.number().min(-0.5).max(0.5).nullable().default(null).describe("deviation from A440 in fractions of a bin; null = estimate"),
    norm: normParam.default("inf").describe("per-frame normalisation: 'inf' (max), a p-norm, or null"),
    ctroct: z.number().default(5.0).describe("centre octave of the octave weighting"),
    octwidth: z.number().positive().nullable().default(2).describe("width of the octave weighting (octaves); null = flat"),
    base_c: z.boolean().default(true).describe("row 0 is C (else A)"),
    ...stftShape,
  }),
  shape: (p, n) => [p.n_chroma, stftFrameCount(n, p.n_fft, p.hop_length, p.center)],
  extract(signal, p, ctx) {
    checkSignal(signal, "chroma_stft", ctx);
    return guard("chroma_stft", () => {
      const power = powerSpec(signal, p, ctx);
      const tuning = p.tuning ?? chromaTuning(signal, p, p.n_chroma, ctx);
      const fb = chromaFilterbank({
        sr: signal.sr,
        nFft: p.n_fft,
        nChroma: p.n_chroma,
        tuning,
        ctroct: p.ctroct,
        octwidth: p.octwidth,
        baseC: p.base_c,
      });
      return toBinsMajor(chromaFromPower(power, fb, p.n_chroma, normValue(p.norm)));
    });
  },
});
