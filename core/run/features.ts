/**
 * From audio to model inputs: a track is cut into segments (3 s by default, as in the GTZAN
 * studies), one feature is extracted per segment (through the feature cache when given), and its
 * librosa layout `[features, frames]` is turned into the `[frames, features]` sequences models take
 * (1-D features stay vectors). The spec of this pipeline is stored with each run, so that evaluation
 * and prediction compute exactly the training inputs.
 */
import { segmentSignal } from "../audio/segment.ts";
import { UsageError } from "../errors.ts";
import { FeatureCache, hashSignal } from "../features/cache.ts";
import { extractFeatures } from "../features/extract.ts";
import { FEATURE_PRESETS } from "../features/presets.ts";
import { ndarray, sizeOf, type NdArray } from "../ndarray.ts";
import { resolveParams } from "../params.ts";
import type { FeaturePlugin, Signal } from "../plugin.ts";
import type { Registry } from "../registry.ts";

/** What turns a track into examples; stored in `config.json` of a run. */
export interface FeatureSpec {
  /** What was asked for: a preset (`stack417`) or a feature plugin's name (`melspectrogram`). */
  readonly name: string;
  /** The feature plugin that runs. */
  readonly plugin: string;
  /** Its params, defaults filled in. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Sampling rate the audio is loaded at. */
  readonly sr: number;
  /** Segment length in seconds; `null`: the whole track is one example. */
  readonly segment_s: number | null;
  /** Hop between segment starts in seconds (default: `segment_s`, no overlap). */
  readonly hop_s: number | null;
}

export interface FeatureSpecOptions {
  readonly sr?: number;
  readonly segment_s?: number | null;
  readonly hop_s?: number | null;
}

/**
 * The spec for `--features NAME`: a preset of one feature (`stack417`) or a feature plugin, with
 * `params` over the preset's or plugin's defaults.
 */
export function resolveFeatureSpec(
  registry: Registry,
  name: string,
  params: Readonly<Record<string, unknown>> = {},
  options: FeatureSpecOptions = {},
): FeatureSpec {
  const preset = FEATURE_PRESETS[name];
  let pluginName = name;
  let base: Record<string, unknown> = {};
  if (preset) {
    if (preset.length !== 1) {
      throw new UsageError(
        `--features ${name}: this preset gives ${preset.length} separate arrays (${preset.map((p) => p.as).join(", ")}); a model takes one — use a stack (e.g. stack417) or a single feature`,
      );
    }
    pluginName = preset[0].plugin;
    base = { ...preset[0].params };
  }
  const plugin = registry.feature(pluginName);
  const resolved = resolveParams(plugin, { ...base, ...params }) as Record<string, unknown>;
  const segment = options.segment_s === undefined ? 3 : options.segment_s;
  if (segment !== null && !(segment > 0)) throw new UsageError(`--segment ${segment}: expected a positive number of seconds`);
  const hop = options.hop_s ?? null;
  if (hop !== null && !(hop > 0)) throw new UsageError(`--hop ${hop}: expected a positive number of seconds`);
  const sr = options.sr ?? (typeof resolved.sr === "number" ? resolved.sr : 22050);
  return { name, plugin: plugin.name, params: resolved, sr, segment_s: segment, hop_s: segment === null ? null : hop };
}

/** Model layout of a feature array: `[rows, frames]` → `[frames, rows]`; other ranks unchanged. */
export function toModelLayout(array: NdArray): NdArray<Float32Array> {
  const data = array.data instanceof Float32Array ? array.data : Float32Array.from(array.data as ArrayLike<number>);
  if (array.shape.length !== 2) return ndarray(data, array.shape);
  const [rows, frames] = array.shape;
  const out = new Float32Array(rows * frames);
  for (let r = 0; r < rows; r++) for (let t = 0; t < frames; t++) out[t * rows + r] = data[r * frames + t];
  return ndarray(out, [frames, rows]);
}

/** Where one example comes from. */
export interface SegmentInfo {
  readonly index: number;
  readonly start_s: number;
  readonly end_s: number;
}

export interface TrackExamples {
  /** `[segments, ...exampleShape]`. */
  readonly x: NdArray<Float32Array>;
  readonly segments: SegmentInfo[];
}

/** The examples of one decoded track: its segments' features in model layout, stacked. */
export async function trackExamples(
  signal: Signal,
  trackId: string,
  spec: FeatureSpec,
  plugin: FeaturePlugin,
  options: { cache?: FeatureCache; source?: string } = {},
): Promise<TrackExamples> {
  const pieces =
    spec.segment_s === null
      ? [{ index: 0, start_s: 0, end_s: signal.y.length / signal.sr, y: signal.y }]
      : segmentSignal(signal, trackId, {
          duration: spec.segment_s,
          ...(spec.hop_s !== null ? { hop: spec.hop_s } : {}),
          pad: true,
          minDuration: spec.segment_s,
        });
  const arrays: NdArray<Float32Array>[] = [];
  for (const piece of pieces) {
    const segment: Signal = { y: piece.y, sr: signal.sr };
    const [result] = await extractFeatures(segment, [{ plugin, params: spec.params }], {
      ...(options.cache ? { cache: options.cache, audioHash: hashSignal(segment) } : {}),
      ...(options.source ? { source: options.source } : {}),
    });
    arrays.push(toModelLayout(result.array));
  }
  const shape = arrays[0].shape;
  const size = sizeOf(shape);
  const data = new Float32Array(arrays.length * size);
  arrays.forEach((a, i) => data.set(a.data, i * size));
  return {
    x: ndarray(data, [arrays.length, ...shape]),
    segments: pieces.map((p) => ({ index: p.index, start_s: p.start_s, end_s: p.end_s })),
  };
}
