/**
 * Spectral bandwidth, `librosa.feature.spectral_bandwidth(y=y, sr=sr)`: the p-th root of the
 * magnitude-weighted p-th moment about the centroid. Shape (1, frames), float64.
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { spectralBandwidth } from "../../core/dsp/spectralShape.ts";
import { stftFrameCount } from "../../core/dsp/stft.ts";
import { stftShape } from "../../core/features/params.ts";
import { checkSignal, guard, magSpec } from "../../core/features/shared.ts";
import { centroidOf } from "./spectral_centroid.ts";

export default defineFeature({
  name: "spectral_bandwidth",
  description: "Spectral bandwidth in Hz around the centroid (librosa.feature.spectral_bandwidth).",
  params: z.object({
    p: z.number().positive().default(2).describe("order of the moment"),
    norm: z.boolean().default(true).describe("normalise each frame's spectrum to sum 1"),
    ...stftShape,
  }),
  shape: (p, n) => [1, stftFrameCount(n, p.n_fft, p.hop_length, p.center)],
  extract(signal, p, ctx) {
    checkSignal(signal, "spectral_bandwidth", ctx);
    return guard("spectral_bandwidth", () => {
      const bw = spectralBandwidth(magSpec(signal, p, ctx), {
        sr: signal.sr,
        nFft: p.n_fft,
        p: p.p,
        norm: p.norm,
        centroid: centroidOf(signal, p, ctx),
      });
      return ndarray(bw, [1, bw.length]);
    });
  },
});
