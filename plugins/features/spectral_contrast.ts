/**
 * Spectral contrast, `librosa.feature.spectral_contrast(y=y, sr=sr)`: per octave band, dB of the mean
 * of the top quantile minus dB of the mean of the bottom quantile of the magnitude spectrum.
 * Shape (n_bands + 1, frames), float64.
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { spectralContrast } from "../../core/dsp/contrast.ts";
import { toBinsMajor } from "../../core/dsp/spectrogram.ts";
import { stftFrameCount } from "../../core/dsp/stft.ts";
import { stftShape } from "../../core/features/params.ts";
import { checkSignal, guard, magSpec } from "../../core/features/shared.ts";

export default defineFeature({
  name: "spectral_contrast",
  description: "Octave-band spectral contrast in dB (librosa.feature.spectral_contrast).",
  params: z.object({
    fmin: z.number().positive().default(200.0).describe("upper edge of the first band (Hz)"),
    n_bands: z.number().int().positive().default(6).describe("number of octave bands above the first"),
    quantile: z.number().gt(0).lt(1).default(0.02).describe("fraction of each band taken as peak and as valley"),
    linear: z.boolean().default(false).describe("peak - valley instead of the dB difference"),
    ...stftShape,
  }),
  shape: (p, n) => [p.n_bands + 1, stftFrameCount(n, p.n_fft, p.hop_length, p.center)],
  extract(signal, p, ctx) {
    checkSignal(signal, "spectral_contrast", ctx);
    return guard("spectral_contrast", () =>
      toBinsMajor(
        spectralContrast(magSpec(signal, p, ctx), {
          sr: signal.sr,
          nFft: p.n_fft,
          fmin: p.fmin,
          nBands: p.n_bands,
          quantile: p.quantile,
          linear: p.linear,
        }),
      ),
    );
  },
});
