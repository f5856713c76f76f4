/**
 * The convolutional models' presets and options: cnn2d's default is the CNN the PyTorch MIR courses
 * teach (its twin built by torch has the same trainable parameters), its plain layout is reachable
 * by params; batch norm and global pooling in crnn and cnn_token_attention; batch-norm models save
 * and load to equal predictions; inputs are standardised per band with training statistics.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { builtinPlugins, resolveParams, type ModelPlugin, type StandardizeLayer, type TfModel } from "../../index.ts";
import { python, tempDir } from "../helpers.ts";
import { sequences } from "./synthetic.ts";

const model = (name: string) => builtinPlugins.find((p) => p.kind === "model" && p.name === name) as ModelPlugin<never, TfModel>;
const dir = tempDir("clave-model-options-");

/** Trainable parameters of a network (what torch's `parameters()` counts). */
function trainable(m: TfModel): number {
  return m.network.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}

/** Layers as `class name output-shape`, the standardisation and input left out. */
function layout(m: TfModel): string[] {
  return m.network.layers
    .filter((l) => !["InputLayer", "ClaveStandardize"].includes(l.getClassName()))
    .map((l) => `${l.getClassName()} ${l.name} [${(l.outputShape as (number | null)[]).slice(1).join(",")}]`);
}

const torchCount = (net: string) =>
  Number(
    python(`
import torch.nn as nn
def block(i, o, bn):
    return [nn.Conv2d(i, o, 3, padding=1, bias=not bn)] + ([nn.BatchNorm2d(o)] if bn else []) + [nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
${net}
print(sum(p.numel() for p in net.parameters() if p.requires_grad))
`).trim(),
  );

describe("cnn2d", () => {
  test("the default is the course CNN: 4 x [conv 3x3 no bias → BN → ReLU → max-pool 2], 32-64-128-128, global average pooling, dropout 0.3, linear", async () => {
    const plugin = model("cnn2d");
    const params = resolveParams(plugin, {});
    expect(params).toMatchObject({ filters: [32, 64, 128, 128], batch_norm: true, pooling: "average", dropout: 0.3, dense_units: 0, block_dropout: 0 });
    expect(params).toMatchObject({ learning_rate: 1e-3, batch_size: 32, early_stopping: 6, restore_best: true, weight_decay: 0 });
    const m = await plugin.build({ inputShape: [130, 128], nClasses: 10, seed: 1 }, params);
    const blocks = [
      [32, 65, 64],
      [64, 33, 32],
      [128, 17, 16],
      [128, 9, 8],
    ].flatMap(([c, t, f], i) => {
      const full = [[130, 128], [65, 64], [33, 32], [17, 16]][i];
      return [
        `Conv2D conv_${i + 1} [${full[0]},${full[1]},${c}]`,
        `BatchNormalization batch_norm_${i + 1} [${full[0]},${full[1]},${c}]`,
        `Activation relu_${i + 1} [${full[0]},${full[1]},${c}]`,
        `MaxPooling2D pool_${i + 1} [${t},${f},${c}]`,
      ];
    });
    expect(layout(m)).toEqual([
      "Reshape add_channel [130,128,1]",
      ...blocks,
      "GlobalAveragePooling2D global_pool [128]",
      "Dropout dropout [128]",
      "Dense probabilities [10]",
    ]);
    for (let i = 1; i <= 4; i++) expect(m.network.getLayer(`conv_${i}`).getWeights()).toHaveLength(1); // no bias
    const net = "net = nn.Sequential(*block(1, 32, True), *block(32, 64, True), *block(64, 128, True), *block(128, 128, True), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(128, 10))";
    expect(trainable(m)).toBe(torchCount(net));
  }, 60_000);

  test("the plain layout (conv + ReLU, pool, dropout per block, flatten, dense 128) by params", async () => {
    const plugin = model("cnn2d");
    const params = resolveParams(plugin, { filters: [32, 64], batch_norm: false, pooling: "flatten", block_dropout: 0.3, dense_units: 128 });
    const m = await plugin.build({ inputShape: [130, 128], nClasses: 10, seed: 1 }, params);
    expect(layout(m)).toEqual([
      "Reshape add_channel [130,128,1]",
      "Conv2D conv_1 [130,128,32]",
      "MaxPooling2D pool_1 [65,64,32]",
      "Dropout dropout_1 [65,64,32]",
      "Conv2D conv_2 [65,64,64]",
      "MaxPooling2D pool_2 [33,32,64]",
      "Dropout dropout_2 [33,32,64]",
      "Flatten flatten [67584]",
      "Dense dense [128]",
      "Dropout dropout [128]",
      "Dense probabilities [10]",
    ]);
    expect((m.network.getLayer("conv_1").getConfig() as { activation: string }).activation).toBe("relu");
    const net =
      "net = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True), nn.Flatten(), nn.Linear(64 * 33 * 32, 128), nn.ReLU(), nn.Linear(128, 10))";
    expect(trainable(m)).toBe(torchCount(net));
    const max = await plugin.build({ inputShape: [130, 128], nClasses: 10, seed: 1 }, resolveParams(plugin, { pooling: "max" }));
    expect(layout(max)).toContain("GlobalMaxPooling2D global_pool [128]");
  }, 60_000);

  test("a batch-norm model saves and loads to equal predictions, its running statistics learnt", async () => {
    const plugin = model("cnn2d");
    const m = await plugin.build({ inputShape: [24, 16], nClasses: 3, seed: 2 }, resolveParams(plugin, { filters: [8, 16], epochs: 2, batch_size: 8 }));
    const train = sequences(32, 24, 16, 3, 1);
    const heldOut = sequences(12, 24, 16, 3, 2);
    await plugin.fit(m, train, { seed: 2, progress: false });
    // The second block's (the first's input is standardised, so its convolution's mean is ~0).
    const [, , movingMean, movingVariance] = m.network.getLayer("batch_norm_2").getWeights().map((w) => Array.from(w.dataSync()));
    expect(movingMean.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    expect(movingVariance.some((v) => Math.abs(v - 1) > 1e-3)).toBe(true);
    const probs = await plugin.predict(m, heldOut.x);
    const path = join(dir, "cnn2d-bn");
    await plugin.save(m, path);
    const loaded = await plugin.load(path);
    expect(Array.from((await plugin.predict(loaded, heldOut.x)).data)).toEqual(Array.from(probs.data));
    expect(loaded.network.getLayer("batch_norm_2").getWeights().map((w) => Array.from(w.dataSync()))[2]).toEqual(movingMean);
  }, 60_000);
});

describe("batch norm and global pooling in crnn and cnn_token_attention", () => {
  const train = sequences(24, 20, 8, 3, 1);
  const heldOut = sequences(9, 20, 8, 3, 2);
  const io = { inputShape: [20, 8], nClasses: 3, seed: 1 };

  const cases: { name: string; params: Record<string, unknown>; expected: string[] }[] = [
    {
      name: "crnn",
      params: { conv: "2d", filters: [4, 8], batch_norm: true, pooling: "average", rnn_units: 6 },
      expected: ["Conv2D conv_1 [20,8,4]", "BatchNormalization batch_norm_1 [20,8,4]", "Activation relu_1 [20,8,4]", "MaxPooling2D pool_1 [10,4,4]", "GRU gru [5,6]", "GlobalAveragePooling1D time_pool [6]"],
    },
    {
      name: "crnn",
      params: { conv: "1d", filters: [4], batch_norm: true, pooling: "max", rnn: "lstm", rnn_units: 6 },
      expected: ["Conv1D conv_1 [20,4]", "BatchNormalization batch_norm_1 [20,4]", "LSTM lstm [10,6]", "GlobalMaxPooling1D time_pool [6]"],
    },
    {
      name: "cnn_token_attention",
      params: { tokens: 4, filters: [4], batch_norm: true, token_pooling: "average", embedding_units: 16 },
      expected: ["TimeDistributed token_batch_norm_1 [4,5,8,4]", "TimeDistributed token_global_pool [4,4]", "TimeDistributed token_embeddings [4,16]"],
    },
    {
      name: "cnn_token_attention",
      params: { tokens: 4, filters: [4], token_pooling: "max", embedding_units: 16 },
      expected: ["TimeDistributed token_global_pool [4,4]"],
    },
  ];
  for (const c of cases) {
    test(`${c.name} ${JSON.stringify(c.params)}: the layers, training, save → load → equal predictions`, async () => {
      const plugin = model(c.name);
      const m = await plugin.build(io, resolveParams(plugin, { ...c.params, epochs: 2, batch_size: 8 }));
      const layers = layout(m);
      for (const line of c.expected) expect(layers).toContain(line);
      const conv = m.network.getLayer(c.name === "crnn" ? "conv_1" : "token_conv_1");
      expect(conv.getWeights()).toHaveLength(c.params.batch_norm ? 1 : 2);
      const history = await plugin.fit(m, train, { seed: 1, validation: heldOut, progress: false });
      expect(history.loss).toHaveLength(2);
      const probs = await plugin.predict(m, heldOut.x);
      const path = join(dir, `${c.name}-${Object.values(c.params).join("-")}`);
      await plugin.save(m, path);
      expect(Array.from((await plugin.predict(await plugin.load(path), heldOut.x)).data)).toEqual(Array.from(probs.data));
    }, 60_000);
  }

  test("the defaults are the studies' layouts (no batch norm, the last state, flattened tokens)", () => {
    expect(resolveParams(model("crnn"), {})).toMatchObject({ batch_norm: false, pooling: "last" });
    expect(resolveParams(model("cnn_token_attention"), {})).toMatchObject({ batch_norm: false, token_pooling: "flatten" });
  });
});

describe("standardisation per feature row, from the training set", () => {
  const stats = (x: { data: Float32Array; shape: readonly number[] }, rowsPerFrame: number) =>
    JSON.parse(
      python(`
import json, numpy as np
x = np.array(${JSON.stringify(Array.from(x.data))}, dtype=np.float64).reshape(-1, ${rowsPerFrame})
print(json.dumps([x.mean(0).tolist(), x.std(0).tolist()]))
`),
    ) as [number[], number[]];

  test("per mel band of [time, bands] examples and per band and channel of [time, bands, channels], saved and loaded", async () => {
    const plugin = model("cnn2d");
    for (const shape of [
      [12, 6],
      [12, 6, 2],
    ]) {
      const data = sequences(10, 12, 12, 3, 4);
      const x = { data: data.x.data, shape: [10, ...shape] };
      const m = await plugin.build({ inputShape: shape, nClasses: 3, seed: 1 }, resolveParams(plugin, { filters: [2], epochs: 1 }));
      await plugin.fit(m, { x, y: data.y }, { seed: 1, progress: false });
      const layer = m.network.getLayer("standardize") as unknown as StandardizeLayer;
      const rows = shape.slice(1).reduce((a, b) => a * b, 1);
      const [mean, std] = stats(x, rows);
      const got = layer.statistics();
      expect(got.mean).toHaveLength(rows);
      Array.from(got.mean).forEach((v, i) => expect(v).toBeCloseTo(mean[i], 4));
      Array.from(got.std).forEach((v, i) => expect(v).toBeCloseTo(std[i], 4));
      expect(layer.getWeights()[0].shape).toEqual(shape.slice(1));
      const path = join(dir, `standardize-${shape.length}`);
      await plugin.save(m, path);
      const loaded = (await plugin.load(path)).network.getLayer("standardize") as unknown as StandardizeLayer;
      expect(Array.from(loaded.statistics().mean)).toEqual(Array.from(got.mean));
      expect(Array.from((await plugin.predict(await plugin.load(path), x)).data)).toEqual(Array.from((await plugin.predict(m, x)).data));
    }
  }, 60_000);
});
