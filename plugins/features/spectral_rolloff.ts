/**
 * Spectral rolloff, `librosa.feature.spectral_rolloff(y=y, sr=sr)`: the lowest bin frequency below
 * which roll_percent of the frame's magnitude lies. Shape (1, frames), float64.
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { spectralRolloff } from "../../core/dsp/spectralShape.ts";
import { stftFrameCount } from "../../core/dsp/stft.ts";
import { stftShape } from "../../core/features/params.ts";
import { checkSignal, guard, magSpec } from "../../core/features/shared.ts";

export default defineFeature({
  name: "spectral_rolloff",
  description: "Spectral rolloff frequency in Hz (librosa.feature.spectral_rolloff).",
  params: z.object({
    roll_percent: z.number().gt(0).lt(1).default(0.85).describe("fraction of the magnitude below the rolloff"),
    ...stftShape,
  }),
  shape: (p, n) => [1, stftFrameCount(n, p.n_fft, p.hop_length, p.center)],
  extract(signal, p, ctx) {
    checkSignal(signal, "spectral_rolloff", ctx);
    return guard("spectral_rolloff", () => {
      const r = spectralRolloff(magSpec(signal, p, ctx), { sr: signal.sr, nFft: p.n_fft, rollPercent: p.roll_percent });
      return ndarray(r, [1, r.length]);
    });
  },
});
