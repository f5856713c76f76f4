/**
 * Zero-crossing rate, `librosa.feature.zero_crossing_rate(y)`: the fraction of sign changes per frame
 * (edge-padded frames; zero counts as positive). Shape (1, frames), float64.
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { stftFrameCount } from "../../core/dsp/stft.ts";
import { zeroCrossingRate } from "../../core/dsp/zcr.ts";
import { checkSignal, guard } from "../../core/features/shared.ts";

export default defineFeature({
  name: "zero_crossing_rate",
  description: "Fraction of zero crossings per frame (librosa.feature.zero_crossing_rate).",
  params: z.object({
    frame_length: z.number().int().positive().default(2048).describe("samples per frame"),
    hop_length: z.number().int().positive().default(512).describe("samples between frame starts"),
    center: z.boolean().default(true).describe("edge-pad frame_length/2 samples on each side"),
    threshold: z.number().min(0).default(1e-10).describe("|x| at or below this counts as 0"),
  }),
  shape: (p, n) => [1, stftFrameCount(n, p.frame_length, p.hop_length, p.center)],
  extract(signal, p, ctx) {
    checkSignal(signal, "zero_crossing_rate", ctx);
    return guard("zero_crossing_rate", () => {
      const z = zeroCrossingRate(signal.y, { frameLength: p.frame_length, hopLength: p.hop_length, center: p.center, threshold: p.threshold });
      return ndarray(z, [1, z.length]);
    });
  },
});
