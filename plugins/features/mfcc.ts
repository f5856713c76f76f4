/**
 * Mel-frequency cepstral coefficients, `librosa.feature.mfcc(y=y, sr=sr, n_mfcc=...)`: the orthonormal
 * DCT-II of power_to_db(melspectrogram) (top_db 80 over the clip), first n_mfcc rows, optional
 * liftering. Shape (n_mfcc, frames), float32.
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { mfccFromMelDb } from "../../core/dsp/mfcc.ts";
import { toBinsMajor } from "../../core/dsp/spectrogram.ts";
import { stftFrameCount } from "../../core/dsp/stft.ts";
import { melShape, stftShape } from "../../core/features/params.ts";
import { checkSignal, guard, melDb } from "../../core/features/shared.ts";

export default defineFeature({
  name: "mfcc",
  description: "Mel-frequency cepstral coefficients (librosa.feature.mfcc).",
  params: z.object({
    n_mfcc: z.number().int().positive().default(20).describe("number of coefficients (librosa's default 20; many studies use 13)"),
    dct_type: z.literal(2).default(2).describe("DCT type (only type 2, librosa's default)"),
    norm: z.enum(["ortho"]).nullable().default("ortho").describe("DCT normalisation: 'ortho' or null"),
    lifter: z.number().min(0).default(0).describe("cepstral liftering coefficient; 0 = none"),
    mel_norm: z.enum(["slaney"]).nullable().default("slaney").describe("mel filter normalisation"),
    ...stftShape,
    ...melShape,
  }),
  shape: (p, n) => [p.n_mfcc, stftFrameCount(n, p.n_fft, p.hop_length, p.center)],
  extract(signal, p, ctx) {
    checkSignal(signal, "mfcc", ctx);
    return guard("mfcc", () => {
      if (p.n_mfcc > p.n_mels) throw new RangeError(`n_mfcc=${p.n_mfcc} exceeds n_mels=${p.n_mels}`);
      return toBinsMajor(mfccFromMelDb(melDb(signal, p, ctx, p.mel_norm), { nMfcc: p.n_mfcc, norm: p.norm, lifter: p.lifter }));
    });
  },
});
