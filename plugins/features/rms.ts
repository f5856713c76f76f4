/**
 * Root-mean-square energy per frame, as `librosa.feature.rms(y=y)`:
 *
 *     rms[t] = sqrt( (1/N) * sum_{n=0}^{N-1} x_t[n]^2 )
 *
 * where x_t is frame t of the signal padded by N/2 on each side (`center=True`, zeros by default), N =
 * `frame_length`, frames every `hop_length` samples, no window. Output: (1, frames), float32.
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { PAD_MODES } from "../../core/dsp/pad.ts";
import { rms } from "../../core/dsp/rms.ts";
import { stftFrameCount } from "../../core/dsp/stft.ts";
import { checkSignal, guard } from "../../core/features/shared.ts";

export default defineFeature({
  name: "rms",
  description: "Root-mean-square energy per frame (librosa.feature.rms).",
  params: z.object({
    frame_length: z.number().int().positive().default(2048).describe("samples per frame"),
    hop_length: z.number().int().positive().default(512).describe("samples between frame starts"),
    center: z.boolean().default(true).describe("pad frame_length/2 samples on each side so frame t is centred at t*hop_length"),
    pad_mode: z.enum(PAD_MODES).default("constant").describe("padding when center=true (librosa: constant zeros)"),
  }),
  shape: (p, n) => [1, stftFrameCount(n, p.frame_length, p.hop_length, p.center)],
  extract(signal, p, ctx) {
    checkSignal(signal, "rms", ctx);
    return guard("rms", () => {
      const values = rms(signal.y, { frameLength: p.frame_length, hopLength: p.hop_length, center: p.center, padMode: p.pad_mode });
      return ndarray(values, [1, values.length]);
    });
  },
});
