/**
 * Global tempo, `librosa.feature.tempo(y=y, sr=sr)`: the lag of the mean 8-second autocorrelation
 * tempogram that best fits a log-normal prior around start_bpm. Shape (1,) (or (frames,) with
 * aggregate=null), float64, in BPM.
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { stftFrameCount } from "../../core/dsp/stft.ts";
import { tempo } from "../../core/dsp/tempo.ts";
import { checkSignal, defaultOnset, guard } from "../../core/features/shared.ts";

export default defineFeature({
  name: "tempo",
  description: "Global tempo in BPM from the onset autocorrelation (librosa.feature.tempo).",
  params: z.object({
    hop_length: z.number().int().positive().default(512).describe("samples between frames"),
    start_bpm: z.number().positive().default(120).describe("centre of the tempo prior (BPM)"),
    std_bpm: z.number().positive().default(1.0).describe("width of the prior in octaves"),
    ac_size: z.number().positive().default(8.0).describe("autocorrelation window in seconds"),
    max_tempo: z.number().positive().nullable().default(320.0).describe("tempi at or above this are excluded; null = none"),
    aggregate: z.enum(["mean"]).nullable().default("mean").describe("'mean' = one global tempo; null = one per frame"),
  }),
  shape: (p, n) => (p.aggregate === null ? [stftFrameCount(n, 2048, p.hop_length, true)] : [1]),
  extract(signal, p, ctx) {
    checkSignal(signal, "tempo", ctx);
    return guard("tempo", () => {
      const t = tempo(defaultOnset(signal, p.hop_length, "mean", ctx), {
        sr: signal.sr,
        hopLength: p.hop_length,
        startBpm: p.start_bpm,
        stdBpm: p.std_bpm,
        acSize: p.ac_size,
        maxTempo: p.max_tempo,
        aggregate: p.aggregate,
      });
      return ndarray(t, [t.length]);
    });
  },
});
