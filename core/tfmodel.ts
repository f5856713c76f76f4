/**
 * Models written with TensorFlow.js layers. `defineTfModel` turns a `build` function returning a
 * `tf.LayersModel` into a full model plugin: training (Keras's `fit`), prediction, and saving in the
 * standard tfjs format (`model.json` + `weights.bin`, what `tf.loadLayersModel` reads).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type * as TF from "@tensorflow/tfjs";
import { loadTf } from "./backend.ts";
import { writeFileAtomic } from "./fsutil.ts";
import { ndarray, type NdArray } from "./ndarray.ts";
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

type Tf = typeof TF;

export interface TfModelDefinition<S extends ParamsSchema> {
  readonly name: string;
  readonly description: string;
  readonly params: S;
  /** Build and compile the network. `tf` has the chosen backend ready; unseeded initialisers are seeded from `io.seed`. */
  build(io: ModelIO, params: ParamsOf<S>, tf: Tf): TF.LayersModel;
}

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

/** Load what `saveLayersModel` (or tfjs-node's `file://` handler) wrote. */
export async function loadLayersModel(dir: string): Promise<TF.LayersModel> {
  const tf = await loadTf();
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

/** Train a compiled layers model on labelled arrays, reproducibly from `options.seed`. */
export async function fitLayersModel(model: TF.LayersModel, data: LabelledArray, options: FitOptions): Promise<History> {
  const tf = await loadTf();
  const history: History = {};
  await withSeededRandom(options.seed, async () => {
    const x = tf.tensor(data.x.data, [...data.x.shape]);
    const y = tf.tensor1d(data.y, "float32");
    const validation = options.validation
      ? ([tf.tensor(options.validation.x.data, [...options.validation.x.shape]), tf.tensor1d(options.validation.y, "float32")] as [TF.Tensor, TF.Tensor])
      : undefined;
    try {
      await model.fit(x, y, {
        epochs: options.epochs,
        batchSize: options.batchSize ?? 32,
        shuffle: true,
        verbose: 0,
        ...(validation ? { validationData: validation } : {}),
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
    } finally {
      tf.dispose([x, y, ...(validation ?? [])]);
    }
  });
  return history;
}

/** Class probabilities from a layers model whose output is a softmax. */
export async function predictLayersModel(model: TF.LayersModel, x: NdArray<Float32Array>): Promise<NdArray<Float32Array>> {
  const tf = await loadTf();
  const input = tf.tensor(x.data, [...x.shape]);
  const output = model.predict(input) as TF.Tensor;
  const data = (await output.data()) as Float32Array;
  const shape = output.shape;
  tf.dispose([input, output]);
  return ndarray(data, shape);
}

/** A model plugin from a tfjs layers network. */
export function defineTfModel<S extends ParamsSchema>(definition: TfModelDefinition<S>): ModelPlugin<S, TF.LayersModel> {
  return defineModel<S, TF.LayersModel>({
    name: definition.name,
    description: definition.description,
    params: definition.params,
    async build(io, params) {
      const tf = await loadTf();
      return withSeededRandom(io.seed, () => definition.build(io, params, tf));
    },
    fit: fitLayersModel,
    predict: predictLayersModel,
    save: saveLayersModel,
    load: loadLayersModel,
  });
}
