/**
 * Beat tracking, `librosa.beat.beat_track(y=y, sr=sr)` (units='frames'): the frame index of each beat,
 * from Ellis's dynamic programme over the median-aggregated onset envelope. Shape (n_beats,), int64;
 * the number of beats depends on the audio (`shape` declares it as -1). `beat_tempo` gives the tempo
 * beat_track returns alongside.
 */
import { z } from "zod";
import { defineFeature, type FeatureContext, type Signal } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { beatTrack, type BeatTrack } from "../../core/dsp/beat.ts";
import { checkSignal, defaultOnset, guard } from "../../core/features/shared.ts";

export const beatParams = z.object({
  hop_length: z.number().int().positive().default(512).describe("samples between frames"),
  start_bpm: z.number().positive().default(120.0).describe("centre of the tempo prior (BPM)"),
  tightness: z.number().positive().default(100).describe("how strictly beats follow the tempo"),
  trim: z.boolean().default(true).describe("drop weak leading and trailing beats"),
  bpm: z.number().positive().nullable().default(null).describe("use this tempo instead of estimating it"),
});

/** beat_track's result for the clip, shared by beat_track and beat_tempo. */
export function beatsOf(signal: Signal, p: z.output<typeof beatParams>, ctx: FeatureContext, feature: string): BeatTrack {
  checkSignal(signal, feature, ctx);
  return ctx.memo(`beats:${p.hop_length}/${p.start_bpm}/${p.tightness}/${p.trim}/${p.bpm}`, () =>
    guard(feature, () =>
      beatTrack(defaultOnset(signal, p.hop_length, "median", ctx), {
        sr: signal.sr,
        hopLength: p.hop_length,
        startBpm: p.start_bpm,
        tightness: p.tightness,
        trim: p.trim,
        bpm: p.bpm,
      }),
    ),
  );
}

export default defineFeature({
  name: "beat_track",
  description: "Beat positions in frames from dynamic-programming beat tracking (librosa.beat.beat_track).",
  params: beatParams,
  shape: () => [-1],
  extract(signal, p, ctx) {
    const { beats } = beatsOf(signal, p, ctx, "beat_track");
    return ndarray(BigInt64Array.from(beats, (b) => BigInt(b)), [beats.length]);
  },
});
