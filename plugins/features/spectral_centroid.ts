/**
 * Spectral centroid, `librosa.feature.spectral_centroid(y=y, sr=sr)`: the magnitude-weighted mean
 * frequency of each frame. Shape (1, frames), float64.
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { spectralCentroid } from "../../core/dsp/spectralShape.ts";
import { stftFrameCount } from "../../core/dsp/stft.ts";
import { stftShape, type StftParams } from "../../core/features/params.ts";
import { checkSignal, guard, magSpec } from "../../core/features/shared.ts";
import type { FeatureContext, Signal } from "../../core/plugin.ts";

/** The centroid of the clip for these STFT params, shared with spectral_bandwidth. */
export function centroidOf(signal: Signal, p: StftParams, ctx: FeatureContext): Float64Array {
  return ctx.memo(`centroid:${p.n_fft}/${p.hop_length}/${p.win_length}/${p.window}/${p.center}/${p.pad_mode}`, () =>
    spectralCentroid(magSpec(signal, p, ctx), { sr: signal.sr, nFft: p.n_fft }),
  );
}

export default defineFeature({
  name: "spectral_centroid",
  description: "Spectral centroid in Hz (librosa.feature.spectral_centroid).",
  params: z.object({ ...stftShape }),
  shape: (p, n) => [1, stftFrameCount(n, p.n_fft, p.hop_length, p.center)],
  extract(signal, p, ctx) {
    checkSignal(signal, "spectral_centroid", ctx);
    return guard("spectral_centroid", () => {
      const c = centroidOf(signal, p, ctx);
      return ndarray(Float64Array.from(c), [1, c.length]);
    });
  },
});
