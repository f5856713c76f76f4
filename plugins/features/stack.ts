/**
 * Several features concatenated along the feature axis, frame by frame: the input of the sequence
 * models in the studies clave reproduces. 1-D features (onset_strength) count as one row. The default
 * is the 417-dimensional set, MFCC (13) + chroma (12) + spectral contrast (7) + onset strength (1) +
 * tempogram (384), so `{ name: "stack" }` is that set and other sets are one line of config:
 *
 *     { name: "stack", params: { features: [{ name: "mfcc", params: { n_mfcc: 20 } }, "rms"] } }
 *
 * The stacked features are looked up among the plugins the stack was created with:
 * `createStackFeature(plugins)` builds a stack over any list (yours included); the default export
 * knows clave's built-in features. They run in the same per-clip context, so they share one STFT.
 * Output float32, shape (sum of rows, frames).
 */
import { z } from "zod";
import { FeatureError } from "../../core/errors.ts";
import { runFeature } from "../../core/features/extract.ts";
import { STACK_417_FEATURES } from "../../core/features/presets.ts";
import { ndarray } from "../../core/ndarray.ts";
import { resolveParams } from "../../core/params.ts";
import { defineFeature, type FeaturePlugin } from "../../core/plugin.ts";
import beat_tempo from "./beat_tempo.ts";
import beat_track from "./beat_track.ts";
import chroma_stft from "./chroma_stft.ts";
import melspectrogram from "./melspectrogram.ts";
import mfcc from "./mfcc.ts";
import onset_strength from "./onset_strength.ts";
import rms from "./rms.ts";
import spectral_bandwidth from "./spectral_bandwidth.ts";
import spectral_centroid from "./spectral_centroid.ts";
import spectral_contrast from "./spectral_contrast.ts";
import spectral_rolloff from "./spectral_rolloff.ts";
import tempo from "./tempo.ts";
import tempogram from "./tempogram.ts";
import waveform from "./waveform.ts";
import hpss from "./hpss.ts";
import zero_crossing_rate from "./zero_crossing_rate.ts";

const entry = z.union([
  z.string(),
  z.object({ name: z.string(), params: z.record(z.string(), z.unknown()).default({}) }),
]);
export type StackEntry = z.input<typeof entry>;

/** The 417-dimensional frame features: MFCC 13 + chroma 12 + contrast 7 + onset 1 + tempogram 384. */
export const STACK_417: StackEntry[] = STACK_417_FEATURES.map((e) => (typeof e === "string" ? e : { name: e.name, params: { ...e.params } }));

/** A `stack` feature that can stack any of `available` (by name). */
export function createStackFeature(available: readonly FeaturePlugin[], name = "stack"): FeaturePlugin {
  const byName = new Map(available.map((p) => [p.name, p]));
  const lookup = (e: z.output<typeof entry>): [FeaturePlugin, Record<string, unknown>] => {
    const entryName = typeof e === "string" ? e : e.name;
    const plugin = byName.get(entryName);
    if (!plugin) {
      throw new FeatureError(name, undefined, `cannot stack unknown feature ${JSON.stringify(entryName)} (known: ${[...byName.keys()].join(", ")})`);
    }
    return [plugin, typeof e === "string" ? {} : e.params];
  };
  // Rows and frames of one stacked part: 1-D [frames] is one row; 2-D [rows, frames] as is.
  const rowsOf = (plugin: FeaturePlugin, shape: readonly number[]): [number, number] => {
    if (shape.length === 1 && shape[0] !== -1) return [1, shape[0]];
    if (shape.length === 2 && shape[1] !== -1) return [shape[0], shape[1]];
    throw new FeatureError(name, undefined, `cannot stack ${plugin.name}: its shape [${shape.join(", ")}] is not (rows, frames)`);
  };
  const shapeOf = (features: z.output<typeof entry>[], n: number, sr: number): number[] => {
    let rows = 0;
    let frames = -1;
    for (const e of features) {
      const [plugin, raw] = lookup(e);
      const [r, t] = rowsOf(plugin, plugin.shape(resolveParams(plugin, raw) as never, n, sr));
      if (frames >= 0 && t !== frames) {
        throw new FeatureError(name, undefined, `cannot stack ${plugin.name}: ${t} frames where the others have ${frames} (use the same hop_length)`);
      }
      frames = t;
      rows += r;
    }
    return [rows, Math.max(frames, 0)];
  };
  return defineFeature({
    name,
    description: "Several features concatenated along the feature axis (default: the 417-dim MFCC+chroma+contrast+onset+tempogram set).",
    params: z.object({
      features: z
        .array(entry)
        .min(1)
        .default(STACK_417 as z.output<typeof entry>[])
        .describe("features to stack, in order: names, or {name, params}"),
    }),
    shape: (p, n, sr) => shapeOf(p.features, n, sr),
    async extract(signal, p, ctx) {
      const [rows, frames] = shapeOf(p.features, signal.y.length, signal.sr);
      const out = new Float32Array(rows * frames);
      let row = 0;
      for (const e of p.features) {
        const [plugin, raw] = lookup(e);
        const part = await runFeature(plugin, raw, signal, ctx);
        const [r] = rowsOf(plugin, part.shape);
        const data = part.data as ArrayLike<number>;
        for (let i = 0; i < r * frames; i++) out[row * frames + i] = data[i];
        row += r;
      }
      return ndarray(out, [rows, frames]);
    },
  });
}

/** Every built-in feature except `stack` itself. */
export const stackableBuiltins: readonly FeaturePlugin[] = [
  melspectrogram,
  mfcc,
  chroma_stft,
  spectral_contrast,
  onset_strength,
  tempogram,
  tempo,
  beat_track,
  beat_tempo,
  zero_crossing_rate,
  rms,
  spectral_centroid,
  spectral_bandwidth,
  spectral_rolloff,
  waveform,
  hpss,
] as FeaturePlugin[];

export default createStackFeature(stackableBuiltins);
