/**
 * Every architecture learns a small synthetic set well above chance in seconds, and save → load →
 * predict gives identical outputs. Data: 60 sequences of 20 frames x 8 features, 3 classes (chance 1/3).
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { builtinPlugins, resolveParams, type ModelPlugin, type TfModel } from "../../index.ts";
import { tempDir } from "../helpers.ts";
import { accuracy, sequences } from "./synthetic.ts";

const model = (name: string) => builtinPlugins.find((p) => p.kind === "model" && p.name === name) as ModelPlugin<never, TfModel>;

const train = sequences(60, 20, 8, 3, 1);
const heldOut = sequences(30, 20, 8, 3, 2);
const io = { inputShape: [20, 8], nClasses: 3, seed: 1 };
const dir = tempDir();

interface Case {
  name: string;
  label?: string;
  params: Record<string, unknown>;
}

const cases: Case[] = [
  { name: "lstm", params: { epochs: 15, learning_rate: 3e-3 } },
  { name: "bilstm_attention", params: { epochs: 12, learning_rate: 3e-3 } },
  { name: "bilstm_attention_bn", params: { epochs: 12, learning_rate: 3e-3 } },
  { name: "crnn", label: "crnn cnn1d+gru", params: { epochs: 15, learning_rate: 3e-3, conv: "1d", rnn: "gru" } },
  { name: "crnn", label: "crnn cnn1d+lstm", params: { epochs: 15, learning_rate: 3e-3, conv: "1d", rnn: "lstm" } },
  { name: "crnn", label: "crnn cnn2d+lstm", params: { epochs: 15, learning_rate: 3e-3, conv: "2d", rnn: "lstm" } },
  { name: "crnn", label: "crnn cnn2d+gru", params: { epochs: 15, learning_rate: 3e-3, conv: "2d", rnn: "gru" } },
  { name: "cnn_token_attention", params: { epochs: 15, learning_rate: 3e-3, tokens: 4 } },
  // Two batches an epoch are too few for batch norm's running statistics to settle before early
  // stopping (patience 6) judges the validation loss: train all 15 epochs.
  { name: "cnn2d", params: { epochs: 15, learning_rate: 3e-3, early_stopping: 0 } },
  { name: "dense2", params: { epochs: 15 } },
  { name: "autoencoder", params: { epochs: 25, pretrain_epochs: 10, learning_rate: 1e-2 } },
  { name: "softmax_autoencoder", params: { epochs: 15, learning_rate: 3e-3, gamma: 0.5 } },
  { name: "mlp", params: { epochs: 15, learning_rate: 3e-3 } },
];

describe("architectures on a small synthetic set", () => {
  for (const c of cases) {
    test(`${c.label ?? c.name}: learns well above chance; save → load → predict is identical`, async () => {
      const plugin = model(c.name);
      const params = resolveParams(plugin, c.params);
      const m = await plugin.build(io, params);
      const history = await plugin.fit(m, train, { seed: 1, validation: heldOut, progress: false });
      expect(history.loss.at(-1)!).toBeLessThan(history.loss[0]);
      const probs = await plugin.predict(m, heldOut.x);
      expect(probs.shape).toEqual([30, 3]);
      expect(accuracy(probs, heldOut.y)).toBeGreaterThan(0.6);

      const path = join(dir, c.label ?? c.name);
      await plugin.save(m, path);
      const loaded = await plugin.load(path);
      expect(loaded.params).toEqual(m.params);
      expect(loaded.io).toEqual(m.io);
      expect(Array.from((await plugin.predict(loaded, heldOut.x)).data)).toEqual(Array.from(probs.data));
    }, 60_000);
  }
});

describe("what the studies' architectures expose", () => {
  test("study defaults: lstm uses balanced class weights and batches of 32, the attention models batches of 16", () => {
    expect(resolveParams(model("lstm"), {})).toMatchObject({ class_weight: "balanced", batch_size: 32, units: [128, 64], dropout: 0.3, dense_units: 64 });
    expect(resolveParams(model("bilstm_attention"), {})).toMatchObject({ batch_size: 16 });
    expect(resolveParams(model("bilstm_attention_bn"), {})).toMatchObject({ batch_size: 16, dense_units: [128, 64], dropout: [0.4, 0.3] });
    expect(resolveParams(model("softmax_autoencoder"), {})).toMatchObject({ gamma: 0.9, code_units: 64 });
    expect(resolveParams(model("cnn_token_attention"), {})).toMatchObject({ tokens: 20, embedding_units: 128 });
    expect(resolveParams(model("dense2"), {})).toMatchObject({ units: 128, activation: "tanh" });
    expect(resolveParams(model("cnn2d"), {})).toMatchObject({ dropout: 0.3, strides: 2 });
  });

  test("attention weights per sample (over time steps), before and after loading", async () => {
    const plugin = model("bilstm_attention");
    const m = await plugin.build(io, resolveParams(plugin, { epochs: 1 }));
    await plugin.fit(m, train, { seed: 1, progress: false });
    const out = await plugin.inspect!(m, heldOut.x);
    expect(out.attention.shape).toEqual([30, 20]);
    for (let i = 0; i < 30; i++) {
      const row = out.attention.data.subarray(i * 20, (i + 1) * 20);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(Math.min(...row)).toBeGreaterThanOrEqual(0);
    }
    expect(out.probabilities.shape).toEqual([30, 3]);
    const path = join(dir, "attention");
    await plugin.save(m, path);
    const again = await plugin.inspect!(await plugin.load(path), heldOut.x);
    expect(Array.from(again.attention.data)).toEqual(Array.from(out.attention.data));
  });

  test("token embeddings (128-d per token) and attention over tokens", async () => {
    const plugin = model("cnn_token_attention");
    const m = await plugin.build(io, resolveParams(plugin, { tokens: 5 }));
    const out = await plugin.inspect!(m, heldOut.x);
    expect(out.embeddings.shape).toEqual([30, 5, 128]);
    expect(out.attention.shape).toEqual([30, 5]);
    expect(out.attention.data.subarray(0, 5).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  test("autoencoder codes, logits and reconstructions", async () => {
    const plugin = model("softmax_autoencoder");
    const m = await plugin.build(io, resolveParams(plugin, { encoder_units: [64], code_units: 16 }));
    const out = await plugin.inspect!(m, heldOut.x);
    expect(out.code.shape).toEqual([30, 16]);
    expect(out.logits.shape).toEqual([30, 3]);
    expect(out.reconstruction.shape).toEqual([30, 160]);
    // softmax(logits) = probabilities
    const row = Array.from(out.logits.data.subarray(0, 3));
    const exp = row.map((v) => Math.exp(v - Math.max(...row)));
    exp.forEach((v, c) => expect(out.probabilities.data[c]).toBeCloseTo(v / exp.reduce((a, b) => a + b, 0), 5));
  });

  test("masking: padded frames do not change an lstm's output", async () => {
    const plugin = model("lstm");
    const params = resolveParams(plugin, { units: [16, 8], dense_units: 8, epochs: 1 });
    const long = await plugin.build(io, params);
    await plugin.fit(long, sequences(30, 20, 8, 3, 3, true), { seed: 1, progress: false });
    // The same weights on 15-frame inputs; 15 real frames + 5 padding frames must give the same output.
    const short = await plugin.build({ ...io, inputShape: [15, 8] }, params);
    short.network.setWeights(long.network.getWeights());
    const real = heldOut.x.data.slice(0, 4 * 20 * 8);
    const padded = new Float32Array(4 * 20 * 8);
    const cropped = new Float32Array(4 * 15 * 8);
    for (let i = 0; i < 4; i++) {
      padded.set(real.subarray(i * 160, i * 160 + 120), i * 160);
      cropped.set(real.subarray(i * 160, i * 160 + 120), i * 120);
    }
    const a = await plugin.predict(long, { data: padded, shape: [4, 20, 8] });
    const b = await plugin.predict(short, { data: cropped, shape: [4, 15, 8] });
    Array.from(a.data).forEach((v, i) => expect(v).toBeCloseTo(b.data[i], 5));
  });

  test("transfer learning: a new head for a new label set, the rest frozen", async () => {
    const plugin = model("bilstm_attention");
    const source = await plugin.build(io, resolveParams(plugin, { epochs: 8, learning_rate: 3e-3, units: 16 }));
    await plugin.fit(source, train, { seed: 1, progress: false });
    // New task: 2 classes (class 2 vs the others).
    const relabel = (y: Int32Array) => Int32Array.from(y, (c) => (c === 2 ? 1 : 0));
    const target = await plugin.transfer!(source, { nClasses: 2, seed: 2 }, { freeze: true });
    expect(target.io.nClasses).toBe(2);
    const frozenBefore = target.network.layers
      .filter((l) => l.name !== "probabilities")
      .flatMap((l) => l.getWeights().map((w) => Array.from(w.dataSync())));
    const headBefore = Array.from(target.network.getLayer("probabilities").getWeights()[0].dataSync());
    await plugin.fit(target, { x: train.x, y: relabel(train.y) }, { seed: 2, epochs: 10, progress: false });
    const frozenAfter = target.network.layers
      .filter((l) => l.name !== "probabilities")
      .flatMap((l) => l.getWeights().map((w) => Array.from(w.dataSync())));
    expect(frozenAfter).toEqual(frozenBefore);
    expect(Array.from(target.network.getLayer("probabilities").getWeights()[0].dataSync())).not.toEqual(headBefore);
    const probs = await plugin.predict(target, heldOut.x);
    expect(probs.shape).toEqual([30, 2]);
    expect(accuracy(probs, relabel(heldOut.y))).toBeGreaterThan(0.7);
    // Saved and loaded, the frozen layers stay frozen.
    const path = join(dir, "transfer");
    await plugin.save(target, path);
    expect((await plugin.load(path)).frozen).toEqual(target.frozen);
  });

  test("shapes a model cannot take are refused with a clear message", async () => {
    await expect(model("lstm").build({ inputShape: [417], nClasses: 3, seed: 0 }, resolveParams(model("lstm"), {}))).rejects.toThrow(
      "lstm: examples of shape [417] (rank 1); lstm takes frame sequences [time, features]",
    );
    await expect(
      model("cnn_token_attention").build({ inputShape: [10, 8], nClasses: 3, seed: 0 }, resolveParams(model("cnn_token_attention"), {})),
    ).rejects.toThrow("10 frames cannot be cut into 20 tokens");
    const dense2 = model("dense2");
    const m = await dense2.build(io, resolveParams(dense2, {}));
    await expect(dense2.fit(m, sequences(10, 12, 8, 3, 1), { seed: 0, progress: false })).rejects.toThrow(
      "dense2: the training set has examples of shape [12, 8] but the model was built for [20, 8]",
    );
    expect(() => resolveParams(model("crnn"), { conv: "3d" })).toThrow('crnn: parameter "conv"');
  });
});
