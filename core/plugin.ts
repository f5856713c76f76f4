/**
 * Plugin contracts. A plugin is a plain typed object — a name, a description, a params schema and the
 * hooks of its kind — in the manner of Vite and Rollup plugins, so that adding one means writing one
 * file that default-exports `defineFeature({...})`, `defineSource({...})` or `defineModel({...})`.
 *
 * Params are a zod object schema: each field carries its default (`.default(...)`) and its help text
 * (`.describe(...)`); `clave plugins` lists them, and every value a user passes is validated by it.
 */
import { z } from "zod";
import type { NdArray } from "./ndarray.ts";
import { resolveParams } from "./params.ts";

export { z };

export type PluginKind = "source" | "feature" | "model";
export const PLUGIN_KINDS: readonly PluginKind[] = ["source", "feature", "model"];

/** A plugin's params: a zod object schema whose fields have defaults where a default makes sense. */
export type ParamsSchema = z.ZodObject;

/** Validated params of a schema, defaults filled in. */
export type ParamsOf<S extends ParamsSchema> = z.output<S>;

interface PluginBase<K extends PluginKind, S extends ParamsSchema> {
  readonly kind: K;
  /** Unique within its kind; lower-case words joined by `_` or `-` (`chroma_stft`, `folder`). */
  readonly name: string;
  /** One sentence, shown by `clave plugins`. */
  readonly description: string;
  readonly params: S;
}

// ---------------------------------------------------------------------------------------------- audio

/** A decoded signal: mono float32 samples and their sampling rate (what `librosa.load` returns). */
export interface Signal {
  readonly y: Float32Array;
  readonly sr: number;
}

// -------------------------------------------------------------------------------------------- sources

/** One track a source offers. `path` is relative to the source's root, or absolute. */
export interface Track {
  readonly id: string;
  readonly label: string;
  readonly path?: string;
  readonly artist?: string;
  readonly title?: string;
  readonly duration_s?: number;
  /** Source-specific columns, carried into the manifest as they are. */
  readonly extra?: Readonly<Record<string, string | number | boolean | null>>;
}

/** A track a source could not list (unreadable metadata, a corrupt file): reported, not fatal. */
export interface TrackProblem {
  readonly path: string;
  readonly reason: string;
}

export interface SourceContext {
  /** Report a problem with one item and carry on with the others. */
  problem(problem: TrackProblem): void;
  readonly abort?: AbortSignal;
  /** The folder of the manifest being built (the dataset root): sources that fetch audio put it there. */
  readonly root?: string;
  /** Tell the user something that is not a problem with one track (counts, where a report was written). */
  note?(message: string): void;
}

export interface SourcePlugin<S extends ParamsSchema = ParamsSchema> extends PluginBase<"source", S> {
  /** Every track of the collection the params describe. */
  list(params: ParamsOf<S>, ctx: SourceContext): Promise<Track[]> | AsyncIterable<Track>;
  /**
   * The audio of one track. Optional: without it, clave decodes `track.path` (resolved against
   * `root(params)`) with `loadAudio`. Sources whose audio is not a file (synthetic) implement it.
   */
  open?(track: Track, params: ParamsOf<S>, options: { sr: number }): Promise<Signal>;
  /** Folder that the tracks' relative paths are relative to. */
  root?(params: ParamsOf<S>): string;
}

// ------------------------------------------------------------------------------------------- features

/**
 * What the features of one clip share. `memo` computes a value once per clip and key, so that
 * extracting mfcc, chroma and contrast from one signal runs one STFT.
 */
export interface FeatureContext {
  memo<T>(key: string, compute: () => T): T;
}

export interface FeaturePlugin<S extends ParamsSchema = ParamsSchema> extends PluginBase<"feature", S> {
  /**
   * The shape `extract` returns for a signal of `nSamples` samples at rate `sr`, laid out as
   * librosa lays it out (features x frames; 1-D for onset strength; `[1]` for tempo).
   */
  shape(params: ParamsOf<S>, nSamples: number, sr: number): number[];
  extract(signal: Signal, params: ParamsOf<S>, ctx: FeatureContext): NdArray | Promise<NdArray>;
}

// --------------------------------------------------------------------------------------------- models

/** What a model is built for: the shape of one input example and the number of classes. */
export interface ModelIO {
  readonly inputShape: readonly number[];
  readonly nClasses: number;
  readonly seed: number;
}

/** Training data: `x` has shape `[n, ...inputShape]`, `y` holds class indices. */
export interface LabelledArray {
  readonly x: NdArray<Float32Array>;
  readonly y: Int32Array;
}

export interface FitOptions {
  /** Epochs to train; default: the model's `epochs` param when it has one. */
  readonly epochs?: number;
  /** Default: the model's `batch_size` param when it has one. */
  readonly batchSize?: number;
  readonly validation?: LabelledArray;
  readonly seed: number;
  /** Loss weight of each class; default: what the model's params say (e.g. `class_weight=balanced`). */
  readonly classWeights?: readonly number[];
  readonly onEpoch?: (epoch: number, logs: Readonly<Record<string, number>>) => void;
  /** Folder where the best weights so far are saved (as `save` writes them) each time they improve. */
  readonly checkpointDir?: string;
  /** Draw a per-epoch progress bar on a terminal (default true; silent when not a terminal). */
  readonly progress?: boolean;
}

/** Per-epoch values of each logged quantity (`loss`, `acc`, `val_loss`, ...), as Keras's History. */
export type History = Record<string, number[]>;

export interface ModelPlugin<S extends ParamsSchema = ParamsSchema, M = unknown> extends PluginBase<"model", S> {
  build(io: ModelIO, params: ParamsOf<S>): M | Promise<M>;
  fit(model: M, data: LabelledArray, options: FitOptions): Promise<History>;
  /** Class probabilities, shape `[n, nClasses]`. */
  predict(model: M, x: NdArray<Float32Array>): Promise<NdArray<Float32Array>>;
  save(model: M, dir: string): Promise<void>;
  load(dir: string): Promise<M>;
  /**
   * Optional: named intermediate outputs for `x` (attention weights `[n, time]`, token embeddings,
   * autoencoder codes...), with `probabilities` among them.
   */
  inspect?(model: M, x: NdArray<Float32Array>): Promise<Record<string, NdArray<Float32Array>>>;
  /**
   * Optional transfer learning: a copy of a trained `model` whose classification head is replaced by
   * a fresh one for `nClasses` classes and, with `freeze`, every other layer frozen.
   */
  transfer?(model: M, target: { nClasses: number; seed: number }, options: { freeze: boolean }): Promise<M>;
}

// ------------------------------------------------------------------------------------------ factories

export type Plugin = SourcePlugin | FeaturePlugin | ModelPlugin;

type Definition<P extends { kind: PluginKind }> = Omit<P, "kind">;

/** A source plugin: lists tracks (and optionally opens their audio). */
export function defineSource<S extends ParamsSchema>(plugin: Definition<SourcePlugin<S>>): SourcePlugin<S> {
  // Hooks called directly (not through buildManifest) get their params' defaults all the same.
  // A bad param is a rejection of the listing or opening, as an async hook's own error would be.
  const filled = (given: ParamsOf<S>) => resolveParams(plugin, given as Record<string, unknown>) as ParamsOf<S>;
  const { list, open, root } = plugin;
  return {
    kind: "source",
    ...plugin,
    list: (params, ctx) => {
      let p: ParamsOf<S>;
      try {
        p = filled(params);
      } catch (error) {
        return Promise.reject(error);
      }
      return list.call(plugin, p, ctx);
    },
    ...(open ? { open: async (track: Track, params: ParamsOf<S>, options: { sr: number }) => open.call(plugin, track, filled(params), options) } : {}),
    ...(root ? { root: (params: ParamsOf<S>) => root.call(plugin, filled(params)) } : {}),
  };
}

/** A feature plugin: turns a signal into an array of a declared shape. */
export function defineFeature<S extends ParamsSchema>(plugin: Definition<FeaturePlugin<S>>): FeaturePlugin<S> {
  return { kind: "feature", ...plugin };
}

/** A model plugin: builds, trains, predicts, saves and loads. */
export function defineModel<S extends ParamsSchema, M>(plugin: Definition<ModelPlugin<S, M>>): ModelPlugin<S, M> {
  return { kind: "model", ...plugin };
}

/** The hooks each kind must have; the registry refuses a plugin that lacks one. */
export const REQUIRED_HOOKS: Readonly<Record<PluginKind, readonly string[]>> = {
  source: ["list"],
  feature: ["shape", "extract"],
  model: ["build", "fit", "predict", "save", "load"],
};
