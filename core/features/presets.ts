/**
 * Named feature sets, usable wherever a feature name is (`clave features extract --features stack417`):
 *
 * - `stack417`: MFCC (13) + chroma (12) + spectral contrast (7) + onset strength (1) + tempogram (384),
 *   stacked frame by frame into one 417 x frames array (the `stack` feature's default).
 * - `gtzan`: the features behind the 57 feature columns of GTZAN's `features_30_sec.csv` (chroma_stft,
 *   rms, centroid, bandwidth, rolloff, zero_crossing_rate, harmony and perceptr — the harmonic and
 *   percussive signals of `hpss` —, tempo, mfcc 1-20), as separate arrays for `aggregate`.
 */

/** One feature of a preset: the plugin, its params, and the name its output goes by. */
export interface PresetFeature {
  readonly as: string;
  readonly plugin: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** The stacked 417-dim set, as `stack`'s `features` param. */
export const STACK_417_FEATURES = [
  { name: "mfcc", params: { n_mfcc: 13 } },
  "chroma_stft",
  "spectral_contrast",
  "onset_strength",
  "tempogram",
] as const;

export const FEATURE_PRESETS: Readonly<Record<string, readonly PresetFeature[]>> = {
  stack417: [{ as: "stack417", plugin: "stack", params: { features: STACK_417_FEATURES } }],
  gtzan: [
    { as: "chroma_stft", plugin: "chroma_stft", params: {} },
    { as: "rms", plugin: "rms", params: {} },
    { as: "spectral_centroid", plugin: "spectral_centroid", params: {} },
    { as: "spectral_bandwidth", plugin: "spectral_bandwidth", params: {} },
    { as: "spectral_rolloff", plugin: "spectral_rolloff", params: {} },
    { as: "zero_crossing_rate", plugin: "zero_crossing_rate", params: {} },
    { as: "harmony", plugin: "hpss", params: { component: "harmonic" } },
    { as: "perceptr", plugin: "hpss", params: { component: "percussive" } },
    { as: "tempo", plugin: "tempo", params: {} },
    { as: "mfcc", plugin: "mfcc", params: { n_mfcc: 20 } },
  ],
};
