/**
 * Onset strength envelope, `librosa.onset.onset_strength(y=y, sr=sr)`: the positive spectral flux of
 * the dB mel spectrogram, aggregated over bands, shifted by lag + n_fft/(2 hop) frames. Shape
 * (frames,), float32 (1-D, as librosa returns it).
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { stftFrameCount } from "../../core/dsp/stft.ts";
import { defaultStft, melShape } from "../../core/features/params.ts";
import { checkSignal, guard, onsetEnvelope } from "../../core/features/shared.ts";

export default defineFeature({
  name: "onset_strength",
  description: "Onset strength envelope: spectral flux of the dB mel spectrogram (librosa.onset.onset_strength).",
  params: z.object({
    n_fft: z.number().int().min(2).default(2048).describe("FFT size of the mel spectrogram"),
    hop_length: z.number().int().positive().default(512).describe("samples between frames"),
    lag: z.number().int().positive().default(1).describe("time lag (frames) of the difference"),
    max_size: z.number().int().positive().default(1).describe("size of the local max filter over frequency; 1 = none"),
    detrend: z.boolean().default(false).describe("remove the DC component with a leaky differentiator"),
    center: z.boolean().default(true).describe("shift the envelope to frame centres (n_fft // (2 hop_length) frames)"),
    aggregate: z.enum(["mean", "median"]).default("mean").describe("how bands are combined (beat_track uses median)"),
    ...melShape,
  }),
  // The STFT under the envelope is always centred, so there is one value per STFT frame.
  shape: (p, n) => [stftFrameCount(n, p.n_fft, p.hop_length, true)],
  extract(signal, p, ctx) {
    checkSignal(signal, "onset_strength", ctx);
    return guard("onset_strength", () => {
      const stft = { ...defaultStft(p.n_fft, p.hop_length), n_mels: p.n_mels, fmin: p.fmin, fmax: p.fmax, htk: p.htk };
      const env = onsetEnvelope(signal, stft, p, ctx);
      return ndarray(Float32Array.from(env), [env.length]);
    });
  },
});
