/**
 * Models written with TensorFlow.js layers. `defineTfModel` turns a `build` function returning a
 * `tf.LayersModel` into a full model plugin: training with clave's engine (core/train: AdamW,
 * schedules, early stopping, class weights, several outputs), prediction, intermediate outputs
 * (attention weights, embeddings, codes), transfer learning, and saving in the standard tfjs format
 * (`model.json` + `weights.bin`, what `tf.loadLayersModel` reads) plus `clave-model.json` (plugin,
 * params, input shape).
 *
 * Conventions a network follows: its class probabilities come from a softmax layer named
 * `probabilities` (else its last output is taken); a `ClaveStandardize` layer, when present, is
 * adapted to the training set before the first training (`standardize` param).
 *
 * Training, prediction and intermediate outputs run batch by batch from the typed arrays
 * (core/train/batches.ts): the backend holds one batch of examples at a time.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type * as TF from "@tensorflow/tfjs";
import { z } from "zod";
import { loadTf } from "./backend.ts";
import { InputShapeError, ParamError } from "./errors.ts";
import { writeFileAtomic } from "./fsutil.ts";
import { claveLayers, type ClaveLayers, type StandardizeLayer } from "./layers/index.ts";
import { ndarray, type NdArray } from "./ndarray.ts";
import { resolveParams } from "./params.ts";
import { ORTHOGONAL_WARNING, quietly } from "./text.ts";
import {
  defineModel,
  type FitOptions,
  type History,
  type LabelledArray,
  type ModelIO,
  type ModelPlugin,
  type ParamsOf,
  type ParamsSchema,
} from "./plugin.ts";
import { withSeededRandom } from "./random.ts";
import { augmentProblem } from "./train/augment.ts";
import { batchRanges, exampleOrder, exampleSize, gatherRows, predictInBatches, shuffledIndices } from "./train/batches.ts";
import { fitNetwork, type OutputLoss, type TrainingPhase } from "./train/fit.ts";
import { installLeanBackward } from "./train/gradients.ts";
import { pickTrainingParams, trainingParamsShape, type TrainingDefaults, type TrainingParams } from "./train/params.ts";

type Tf = typeof TF;

/** The name of the layer whose output is the class probabilities. */
export const PROBABILITIES = "probabilities";
/** The dense layer before a softmax `probabilities` activation layer, when the head is split. */
export const LOGITS = "logits";
const STANDARDIZE_CLASS = "ClaveStandardize";
const META_FILE = "clave-model.json";

/** A trained (or built) tfjs model: the network and what it was built from. */
export interface TfModel<P = Record<string, unknown>> {
  /** The model plugin's name. */
  readonly plugin: string;
  readonly network: TF.LayersModel;
  readonly io: ModelIO;
  readonly params: P;
  /** Layers frozen by transfer learning: no phase trains them. */
  readonly frozen: readonly string[];
}

type TrainingShape = ReturnType<typeof trainingParamsShape>;
/** A model's params schema: the training settings, then the architecture's own fields (which win). */
export type TfParamsSchema<S extends ParamsSchema> = z.ZodObject<Omit<TrainingShape, keyof S["shape"]> & S["shape"]>;
export type TfParams<S extends ParamsSchema> = ParamsOf<TfParamsSchema<S>>;

/** What `build` gets besides `tf`: clave's layers and the usual input stem. */
export interface BuildKit {
  readonly layers: ClaveLayers;
  /** The input, shaped `io.inputShape`, named `features`. */
  input(): TF.SymbolicTensor;
  /**
   * `x` standardised per feature by a `ClaveStandardize` layer, the statistics of each feature row
   * (a mel band; a band and channel of `[time, bins, channels]`) pooled over time and examples;
   * frames all `ignoreValue` are left out of them.
   */
  standardize(x: TF.SymbolicTensor, options?: { ignoreValue?: number | null }): TF.SymbolicTensor;
  /** A softmax dense layer named `probabilities` for `io.nClasses` classes, applied to `x`. */
  head(x: TF.SymbolicTensor): TF.SymbolicTensor;
}

export interface TfModelDefinition<S extends ParamsSchema> {
  readonly name: string;
  readonly description: string;
  /** The architecture's params; clave adds the training settings (`epochs`, `learning_rate`, ...). */
  readonly params: S;
  /** This architecture's defaults for the training settings (its study's batch size, class weights...). */
  readonly training?: Partial<TrainingDefaults>;
  /**
   * Input ranks (without the batch axis) the network takes, and how to say it: `{ ranks: [2],
   * describe: "[time, features]" }`. Other shapes are refused before building. Default: any.
   */
  readonly input?: { readonly ranks: readonly number[]; readonly describe: string };
  /** Build the network (compiled or not: the engine compiles it). Initialisers are seeded from `io.seed`. */
  build(io: ModelIO, params: TfParams<S>, tf: Tf, kit: BuildKit): TF.LayersModel;
  /** The losses of the outputs; default: cross-entropy on `probabilities`. */
  losses?(params: TfParams<S>): OutputLoss[];
  /** Training phases; default: one phase of `epochs` with `losses`. `epochs` is the last phase's length. */
  phases?(params: TfParams<S>, epochs: number): TrainingPhase[];
  /** Intermediate outputs `inspect` returns, name → layer name (`{ attention: "attention_weights" }`). */
  readonly taps?: Readonly<Record<string, string>>;
}

// ------------------------------------------------------------------------------------ save and load

/** Save a layers model as `dir/model.json` and `dir/weights.bin`. */
export async function saveLayersModel(model: TF.LayersModel, dir: string): Promise<void> {
  const tf = await loadTf();
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData;
      const bytes = weights instanceof ArrayBuffer ? new Uint8Array(weights) : new Uint8Array(await new Blob(weights ?? []).arrayBuffer());
      const { weightData: _data, weightSpecs, ...rest } = artifacts;
      const json = { ...rest, weightsManifest: [{ paths: ["weights.bin"], weights: weightSpecs ?? [] }] };
      await writeFileAtomic(join(dir, "weights.bin"), bytes);
      await writeFileAtomic(join(dir, "model.json"), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
}

/** Load what `saveLayersModel` (or tfjs-node's `file://` handler) wrote; clave's custom layers are known. */
export async function loadLayersModel(dir: string): Promise<TF.LayersModel> {
  const tf = await loadTf();
  claveLayers(tf);
  const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as TF.io.ModelJSON;
  const buffers = await Promise.all(json.weightsManifest.flatMap((group) => group.paths.map((p) => readFile(join(dir, p)))));
  const total = Buffer.concat(buffers);
  const weightData = total.buffer.slice(total.byteOffset, total.byteOffset + total.byteLength);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      weightData,
      ...(json.trainingConfig ? { trainingConfig: json.trainingConfig } : {}),
    }),
  );
}

// ---------------------------------------------------------------------------- plain layers helpers

/**
 * Train a compiled layers model on labelled arrays with tfjs's `fitDataset` (its own loss, metrics
 * and class weights), reproducibly from `options.seed`: batches are made from the typed arrays as
 * the dataset is read, in a new seeded order each epoch; validation runs batch by batch too.
 */
export async function fitLayersModel(model: TF.LayersModel, data: LabelledArray, options: FitOptions): Promise<History> {
  const tf = await loadTf();
  installLeanBackward(tf);
  const history: History = {};
  const batchSize = Math.max(1, options.batchSize ?? 32);
  const order = exampleOrder(options.seed);
  const batches = (set: LabelledArray, shuffle: boolean) =>
    tf.data.generator(function* () {
      const n = set.x.shape[0];
      const rows = shuffle ? shuffledIndices(n, order) : Int32Array.from({ length: n }, (_, i) => i);
      for (const [start, end] of batchRanges(n, batchSize)) {
        const batch = rows.subarray(start, end);
        // A fresh array per batch: a backend may keep the array a tensor was made from.
        const x = gatherRows(set.x, batch, new Float32Array(batch.length * exampleSize(set.x)));
        yield { xs: tf.tensor(x, [batch.length, ...set.x.shape.slice(1)]), ys: tf.tensor1d(Float32Array.from(batch, (i) => set.y[i])) };
      }
    });
  await withSeededRandom(options.seed, async () => {
    await model.fitDataset(batches(data, true), {
      epochs: options.epochs ?? 10,
      verbose: 0,
      ...(options.validation ? { validationData: batches(options.validation, false) } : {}),
      ...(options.classWeights ? { classWeight: Object.fromEntries(options.classWeights.map((w, i) => [i, w])) } : {}),
      callbacks: {
        onEpochEnd: async (epoch, logs) => {
          const values: Record<string, number> = {};
          for (const [key, value] of Object.entries(logs ?? {})) {
            values[key] = Number(value);
            (history[key] ??= []).push(Number(value));
          }
          options.onEpoch?.(epoch, values);
        },
      },
    });
  });
  return history;
}

/** Examples per prediction batch when the model has no `batch_size` param. */
const PREDICT_BATCH = 32;

/** The outputs of `network` for `x` at the layers named `layerNames`, batch by batch. */
async function layerOutputs(
  network: TF.LayersModel,
  x: NdArray<Float32Array>,
  layerNames: readonly string[],
  batchSize = PREDICT_BATCH,
): Promise<NdArray<Float32Array>[]> {
  const tf = await loadTf();
  const outputs = layerNames.map((name) => network.getLayer(name).output as TF.SymbolicTensor);
  const sameAsNetwork = outputs.length === network.outputs.length && outputs.every((o, i) => o === network.outputs[i]);
  const model = sameAsNetwork ? network : tf.model({ inputs: network.inputs, outputs });
  return predictInBatches(tf, model, x, batchSize);
}

/** Class probabilities from a layers model (its `probabilities` layer, else its last output), `batchSize` examples at a time. */
export async function predictLayersModel(model: TF.LayersModel, x: NdArray<Float32Array>, batchSize = PREDICT_BATCH): Promise<NdArray<Float32Array>> {
  return (await layerOutputs(model, x, [probabilitiesLayerName(model)], batchSize))[0];
}

/** Names of the layers whose outputs are the network's outputs (a loaded Sequential has no `outputNames`). */
export function outputLayerNames(network: TF.LayersModel): string[] {
  return network.outputs.map((o) => o.sourceLayer.name);
}

function probabilitiesLayerName(network: TF.LayersModel): string {
  const names = outputLayerNames(network);
  return names.includes(PROBABILITIES) ? PROBABILITIES : names[names.length - 1];
}

// ------------------------------------------------------------------------------------ defineTfModel

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function checkInput(name: string, io: ModelIO, shape: readonly number[], what: string): void {
  const actual = shape.slice(1);
  if (actual.length !== io.inputShape.length || actual.some((d, i) => d !== io.inputShape[i])) {
    throw new InputShapeError(name, `${what} has examples of shape ${shapeText(actual)} but the model was built for ${shapeText(io.inputShape)}`);
  }
}

function standardizeLayers(network: TF.LayersModel): StandardizeLayer[] {
  return network.layers.filter((l) => l.getClassName() === STANDARDIZE_CLASS) as unknown as StandardizeLayer[];
}

/** Examples per batch of a model's prediction: its training batch size, whose activations fit where its training's did. */
function batchSizeOf(model: TfModel<unknown>): number {
  return pickTrainingParams(model.params as Record<string, unknown>).batch_size;
}

/** A model plugin from a tfjs layers network. */
export function defineTfModel<S extends ParamsSchema>(definition: TfModelDefinition<S>): ModelPlugin<TfParamsSchema<S>, TfModel<TfParams<S>>> {
  type P = TfParams<S>;
  const params = z.object({ ...trainingParamsShape(definition.training), ...definition.params.shape }) as unknown as TfParamsSchema<S>;
  const name = definition.name;

  const losses = (p: P, network: TF.LayersModel): OutputLoss[] =>
    definition.losses?.(p) ?? [{ output: probabilitiesLayerName(network), loss: "crossentropy", weight: 1 }];

  const save = async (model: TfModel<P>, dir: string): Promise<void> => {
    await saveLayersModel(model.network, dir);
    const meta = { format: "clave-tfmodel", version: 1, plugin: model.plugin, io: model.io, params: model.params, frozen: model.frozen };
    await writeFileAtomic(join(dir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
  };

  return defineModel<TfParamsSchema<S>, TfModel<P>>({
    name,
    description: definition.description,
    params,

    async build(io, given) {
      // Called directly (not through trainRun), params may lack their defaults.
      const p = resolveParams({ name, params }, given) as P;
      const tf = await loadTf();
      if (definition.input && !definition.input.ranks.includes(io.inputShape.length)) {
        throw new InputShapeError(
          name,
          `examples of shape ${shapeText(io.inputShape)} (rank ${io.inputShape.length}); ${name} takes ${definition.input.describe}`,
        );
      }
      const layers = claveLayers(tf);
      const kit: BuildKit = {
        layers,
        input: () => tf.input({ shape: [...io.inputShape], name: "features" }),
        standardize: (x, options = {}) =>
          layers
            .standardize({ name: "standardize", ignoreValue: options.ignoreValue ?? null, featureAxes: Math.max(1, x.shape.length - 2) })
            .apply(x) as TF.SymbolicTensor,
        head: (x) => tf.layers.dense({ units: io.nClasses, activation: "softmax", name: PROBABILITIES }).apply(x) as TF.SymbolicTensor,
      };
      const network = await withSeededRandom(io.seed, () => quietly(ORTHOGONAL_WARNING, () => definition.build(io, p, tf, kit)));
      return { plugin: name, network, io: { ...io, inputShape: [...io.inputShape] }, params: p, frozen: [] };
    },

    async fit(model, data, options) {
      const tf = await loadTf();
      checkInput(name, model.io, data.x.shape, "the training set");
      if (options.validation) checkInput(name, model.io, options.validation.x.shape, "the validation set");
      const settings: TrainingParams = pickTrainingParams(model.params as Record<string, unknown>);
      const epochs = options.epochs ?? settings.epochs;
      const network = model.network;
      const problem = augmentProblem(settings, model.io.inputShape);
      if (problem) throw new ParamError(name, problem.field, problem.reason);
      const standardizers = standardizeLayers(network);
      if (settings.standardize) {
        for (const layer of standardizers) if (!layer.isAdapted()) layer.adapt(data.x.data);
      }
      const phases = definition.phases?.(model.params, epochs) ?? [{ name: "", epochs, losses: losses(model.params, network) }];
      const standardizer = standardizers[0];
      return fitNetwork(tf, network, data, {
        settings,
        phases,
        seed: options.seed,
        batchSize: options.batchSize ?? settings.batch_size,
        ...(options.validation ? { validation: options.validation } : {}),
        ...(options.classWeights ? { classWeights: options.classWeights } : {}),
        ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
        frozen: new Set(model.frozen),
        reconstructionTarget: (x) =>
          tf.tidy(() => {
            const z = standardizer ? (standardizer.apply(x) as TF.Tensor) : x;
            return tf.reshape(z, [x.shape[0], -1]);
          }),
        ...(options.checkpointDir ? { onImprovement: async () => save(model, options.checkpointDir!) } : {}),
        progress: options.progress ?? true,
        label: name,
      });
    },

    async predict(model, x) {
      checkInput(name, model.io, x.shape, "the input");
      return predictLayersModel(model.network, x, batchSizeOf(model));
    },

    async inspect(model, x) {
      checkInput(name, model.io, x.shape, "the input");
      const taps = { ...(definition.taps ?? {}), probabilities: probabilitiesLayerName(model.network) };
      const names = Object.keys(taps);
      const arrays = await layerOutputs(model.network, x, Object.values(taps), batchSizeOf(model));
      return Object.fromEntries(names.map((n, i) => [n, arrays[i]]));
    },

    async transfer(model, target, options) {
      const tf = await loadTf();
      const network = model.network;
      const oldHead = network.getLayer(probabilitiesLayerName(network));
      // A head split into `logits` (dense) → `probabilities` (softmax) is replaced whole.
      const split = oldHead.getClassName() === "Activation" && network.layers.some((l) => l.name === LOGITS);
      const features = (split ? network.getLayer(LOGITS).input : oldHead.input) as TF.SymbolicTensor;
      const newHead = await withSeededRandom(target.seed, () => {
        if (!split) return tf.layers.dense({ units: target.nClasses, activation: "softmax", name: PROBABILITIES }).apply(features) as TF.SymbolicTensor;
        const logits = tf.layers.dense({ units: target.nClasses, name: LOGITS }).apply(features);
        return tf.layers.activation({ activation: "softmax", name: PROBABILITIES }).apply(logits) as TF.SymbolicTensor;
      });
      const oldHeadOutput = oldHead.output as TF.SymbolicTensor;
      const outputs = network.outputs.map((o) => (o === oldHeadOutput ? newHead : o));
      const transferred = tf.model({ inputs: network.inputs, outputs, name: `${network.name}_transfer` });
      const head = new Set([PROBABILITIES, LOGITS]);
      const frozen = options.freeze ? transferred.layers.filter((l) => !head.has(l.name)).map((l) => l.name) : [];
      return { plugin: name, network: transferred, io: { ...model.io, nClasses: target.nClasses, seed: target.seed }, params: model.params, frozen };
    },

    save,

    async load(dir) {
      const network = await loadLayersModel(dir);
      const metaPath = join(dir, META_FILE);
      if (!existsSync(metaPath)) {
        const inputShape = (network.inputs[0].shape.slice(1) as number[]).map(Number);
        const nClasses = (network.getLayer(probabilitiesLayerName(network)).outputShape as number[]).at(-1)!;
        return { plugin: name, network, io: { inputShape, nClasses, seed: 0 }, params: resolveParams({ name, params }, {}) as P, frozen: [] };
      }
      const meta = JSON.parse(await readFile(metaPath, "utf8")) as { io: ModelIO; params: Record<string, unknown>; frozen?: string[] };
      return {
        plugin: name,
        network,
        io: meta.io,
        params: resolveParams({ name, params }, meta.params) as P,
        frozen: meta.frozen ?? [],
      };
    },
  });
}
