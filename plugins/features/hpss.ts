/**
 * The harmonic or the percussive part of the signal, as `librosa.effects.hpss(y)` returns them (median
 * filters of 31 frames and 31 bins on the STFT magnitude, soft masks of power 2 and margin 1, inverse
 * STFT to the signal's length; core/dsp/hpss.ts). Shape (samples,), float32. Both parts come from one
 * separation per clip, so asking for both (GTZAN's harmony and perceptr columns) costs one.
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { hpss } from "../../core/dsp/hpss.ts";
import { checkSignal, guard } from "../../core/features/shared.ts";

export default defineFeature({
  name: "hpss",
  description: "Harmonic or percussive part of the signal (librosa.effects.hpss: median-filter separation, soft masks, inverse STFT).",
  params: z.object({
    component: z.enum(["harmonic", "percussive"]).default("harmonic").describe("which part to return"),
    kernel_size: z.number().int().positive().refine((k) => k % 2 === 1, "must be odd").default(31).describe("median filter width, in frames (harmonic) and bins (percussive)"),
    power: z.number().positive().default(2).describe("soft-mask exponent"),
    margin: z.number().min(1).default(1).describe("mask margin (1: the parts sum to the signal)"),
    n_fft: z.number().int().min(4).refine((n) => (n & (n - 1)) === 0, "must be a power of two").default(2048).describe("FFT size"),
    hop_length: z.number().int().positive().default(512).describe("samples between frames"),
  }),
  shape: (_p, n) => [n],
  extract(signal, p, ctx) {
    checkSignal(signal, "hpss", ctx);
    const parts = ctx.memo(`hpss:${p.kernel_size}/${p.power}/${p.margin}/${p.n_fft}/${p.hop_length}`, () =>
      guard("hpss", () => hpss(signal.y, { kernelSize: p.kernel_size, power: p.power, margin: p.margin, nFft: p.n_fft, hopLength: p.hop_length })),
    );
    const y = p.component === "harmonic" ? parts.harmonic : parts.percussive;
    return ndarray(y, [y.length]);
  },
});
