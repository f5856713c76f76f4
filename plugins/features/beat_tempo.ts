/**
 * The tempo `librosa.beat.beat_track(y=y, sr=sr)` returns with its beats: `feature.tempo` of the
 * median-aggregated onset envelope (0 when there is no onset). Shape (1,), float64, in BPM.
 */
import { defineFeature } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { beatParams, beatsOf } from "./beat_track.ts";

export default defineFeature({
  name: "beat_tempo",
  description: "The tempo (BPM) beat_track estimates alongside its beats (librosa.beat.beat_track).",
  params: beatParams,
  shape: () => [1],
  extract(signal, p, ctx) {
    return ndarray(Float64Array.of(beatsOf(signal, p, ctx, "beat_tempo").tempo), [1]);
  },
});
