/**
 * Autocorrelation tempogram, `librosa.feature.tempogram(y=y, sr=sr)`: the windowed autocorrelation of
 * the onset strength envelope around each frame, normalised per frame. Shape (win_length, frames),
 * float64.
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { stftFrameCount } from "../../core/dsp/stft.ts";
import { tempogram } from "../../core/dsp/tempogram.ts";
import { WINDOW_NAMES } from "../../core/dsp/window.ts";
import { normParam, normValue } from "../../core/features/params.ts";
import { checkSignal, defaultOnset, guard } from "../../core/features/shared.ts";

export default defineFeature({
  name: "tempogram",
  description: "Autocorrelation tempogram of the onset strength envelope (librosa.feature.tempogram).",
  params: z.object({
    hop_length: z.number().int().positive().default(512).describe("samples between frames"),
    win_length: z.number().int().positive().default(384).describe("autocorrelation window in frames (384 = 8.9 s at 22050 Hz)"),
    center: z.boolean().default(true).describe("centre the windows, padding the envelope with linear ramps"),
    window: z.enum(WINDOW_NAMES).default("hann").describe("window applied to each envelope frame"),
    norm: normParam.default("inf").describe("per-frame normalisation: 'inf' (max), a p-norm, or null"),
  }),
  shape: (p, n) => {
    const frames = stftFrameCount(n, 2048, p.hop_length, true);
    return [p.win_length, p.center ? frames : Math.max(0, frames - p.win_length + 1)];
  },
  extract(signal, p, ctx) {
    checkSignal(signal, "tempogram", ctx);
    return guard("tempogram", () => {
      const tg = tempogram(defaultOnset(signal, p.hop_length, "mean", ctx), {
        winLength: p.win_length,
        center: p.center,
        window: p.window,
        norm: normValue(p.norm),
      });
      return ndarray(tg.data, [tg.nLags, tg.nFrames]);
    });
  },
});
