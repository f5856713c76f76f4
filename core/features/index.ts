/** Feature extraction: the per-clip runner and context, the cache, presets, aggregates, datasets. */
export {
  createFeatureContext,
  extractFeatures,
  runFeature,
  shapeMatches,
  type ExtractOptions,
  type FeatureRequest,
  type FeatureResult,
  type RecordingFeatureContext,
} from "./extract.ts";
export { FeatureCache, FEATURES_VERSION, canonicalJson, hashSignal, paramsKey } from "./cache.ts";
export { FEATURE_PRESETS, STACK_417_FEATURES, type PresetFeature } from "./presets.ts";
export {
  aggregateFeatures,
  aggregateTable,
  GTZAN_COLUMN_NAMES,
  type AggregateOptions,
  type ClipFeatures,
  type FeatureArrays,
} from "./aggregate.ts";
export { runFeatureWorker } from "./worker.ts";
export {
  extractDataset,
  workerModuleUrls,
  type ClipFailure,
  type ClipJob,
  type ClipOutcome,
  type DatasetExtractOptions,
  type DatasetExtractResult,
  type FeatureJobSpec,
} from "./dataset.ts";
/** Shared per-clip intermediates, for feature plugins that want to reuse the clip's one STFT. */
export { STFT_KEY, checkSignal, defaultOnset, magSpec, melDb, melSpec, onsetEnvelope, powerSpec, type OnsetParams } from "./shared.ts";
export { stftShape, melShape, normParam, defaultStft, type MelParams, type StftParams } from "./params.ts";
export * as dsp from "../dsp/index.ts";
export * from "./store.ts";
