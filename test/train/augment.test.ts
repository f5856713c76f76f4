/**
 * Augmentation: each operation on small batches (what it changes and what it leaves), seeded
 * determinism, and — through real training — that it reaches training batches only: validation
 * logs, prediction and evaluation see the features as they are.
 */
import { describe, expect, test } from "bun:test";
import {
  BatchAugmenter,
  betaSymmetric,
  builtinPlugins,
  crossEntropy,
  mulberry32,
  ParamError,
  resolveParams,
  type AugmentSettings,
  type ModelPlugin,
  type TfModel,
} from "../../index.ts";
import { python } from "../helpers.ts";
import { blobs, sequences } from "../models/synthetic.ts";

const OFF: AugmentSettings = {
  augment_time_shift: 0,
  augment_gain_db: 0,
  augment_gain_scale: "db",
  augment_time_masks: 0,
  augment_time_mask_frames: 16,
  augment_freq_masks: 0,
  augment_freq_mask_bins: 16,
  mixup: 0,
};

/** A batch of `n` examples `[frames, bins]` with distinct values, and one-hot targets of 3 classes. */
function batch(n: number, frames: number, bins: number, seed = 1): { x: Float32Array; y: Float32Array } {
  const random = mulberry32(seed);
  const x = Float32Array.from({ length: n * frames * bins }, () => 10 + random());
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) y[i * 3 + (i % 3)] = 1;
  return { x, y };
}

function augment(settings: Partial<AugmentSettings>, seed: number, n = 4, frames = 10, bins = 6, fill?: Float32Array) {
  const { x, y } = batch(n, frames, bins);
  const before = x.slice();
  new BatchAugmenter({ ...OFF, ...settings }, { seed, exampleShape: [frames, bins], ...(fill ? { fill } : {}) }).apply(x, y, n, 3);
  return { before, x, y };
}

const frame = (x: Float32Array, i: number, t: number, frames = 10, bins = 6) => Array.from(x.subarray((i * frames + t) * bins, (i * frames + t + 1) * bins));

describe("augmentation operations", () => {
  test("time shift rolls each example along time by whole frames", () => {
    const { before, x } = augment({ augment_time_shift: 3 }, 5);
    let moved = 0;
    for (let i = 0; i < 4; i++) {
      const shifts = [-3, -2, -1, 0, 1, 2, 3].filter((k) => Array.from({ length: 10 }, (_, t) => t).every((t) => frame(x, i, (t + k + 10) % 10).join() === frame(before, i, t).join()));
      expect(shifts).toHaveLength(1);
      if (shifts[0] !== 0) moved++;
    }
    expect(moved).toBeGreaterThan(0);
  });

  test("gain adds decibels to dB features, multiplies power and amplitude features", () => {
    for (const scale of ["db", "power", "amplitude"] as const) {
      const { before, x } = augment({ augment_gain_db: 6, augment_gain_scale: scale }, 2, 4);
      for (let i = 0; i < 4; i++) {
        const a = before.subarray(i * 60, (i + 1) * 60);
        const b = x.subarray(i * 60, (i + 1) * 60);
        // One gain per example, within ±6 dB.
        const gains = Array.from(a, (v, j) => (scale === "db" ? b[j] - v : (scale === "power" ? 10 : 20) * Math.log10(b[j] / v)));
        for (const g of gains) expect(g).toBeCloseTo(gains[0], 3);
        expect(Math.abs(gains[0])).toBeLessThanOrEqual(6 + 1e-4);
      }
    }
  });

  test("SpecAugment masks set whole frames and whole bins to the fill (the training mean), nothing else", () => {
    const fill = Float32Array.from({ length: 6 }, (_, j) => -j - 1);
    const timed = augment({ augment_time_masks: 2, augment_time_mask_frames: 4 }, 3, 4, 10, 6, fill);
    let maskedFrames = 0;
    for (let i = 0; i < 4; i++) {
      for (let t = 0; t < 10; t++) {
        const got = frame(timed.x, i, t);
        if (got.join() === Array.from(fill).join()) maskedFrames++;
        else expect(got).toEqual(frame(timed.before, i, t));
      }
    }
    expect(maskedFrames).toBeGreaterThan(0);
    expect(maskedFrames).toBeLessThanOrEqual(4 * 2 * 4);

    const binned = augment({ augment_freq_masks: 1, augment_freq_mask_bins: 3 }, 4, 4, 10, 6, fill);
    for (let i = 0; i < 4; i++) {
      // The same bins are masked in every frame of an example, and only those.
      const masked = (t: number) => frame(binned.x, i, t).map((v, j) => v === fill[j]);
      for (let t = 0; t < 10; t++) expect(masked(t)).toEqual(masked(0));
      const width = masked(0).filter(Boolean).length;
      expect(width).toBeLessThanOrEqual(3);
      frame(binned.x, i, 0).forEach((v, j) => {
        if (!masked(0)[j]) expect(v).toBe(binned.before[i * 60 + j]);
      });
    }
  });

  test("mixup mixes inputs and targets with one λ per batch, partners drawn within the batch", () => {
    // One class per example, so that a target row tells the partner and λ.
    const n = 6;
    const { x } = batch(n, 10, 6);
    const before = x.slice();
    const y = new Float32Array(n * n);
    for (let i = 0; i < n; i++) y[i * n + i] = 1;
    new BatchAugmenter({ ...OFF, mixup: 0.4 }, { seed: 9, exampleShape: [10, 6] }).apply(x, y, n, n);
    const lambdas: number[] = [];
    let mixed = 0;
    for (let i = 0; i < n; i++) {
      const row = Array.from(y.subarray(i * n, (i + 1) * n));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      const lambda = row[i];
      const partner = row[i] === 1 ? i : row.findIndex((v, j) => j !== i && v > 0);
      if (partner !== i) {
        lambdas.push(lambda);
        mixed++;
      }
      for (let k = 0; k < 60; k++) expect(x[i * 60 + k]).toBeCloseTo(lambda * before[i * 60 + k] + (1 - lambda) * before[partner * 60 + k], 4);
    }
    expect(mixed).toBeGreaterThan(0);
    for (const l of lambdas) expect(l).toBeCloseTo(lambdas[0], 6);
  });

  test("Beta(α, α) draws have the mean and variance scipy gives", () => {
    const random = mulberry32(4);
    const draws = Array.from({ length: 20000 }, () => betaSymmetric(0.4, random));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length;
    const [m, v] = JSON.parse(python("import json; from scipy.stats import beta; print(json.dumps(list(map(float, beta.stats(0.4, 0.4, moments='mv')))))")) as number[];
    expect(Math.abs(mean - m)).toBeLessThan(0.01);
    expect(Math.abs(variance - v)).toBeLessThan(0.01);
    for (const d of draws) expect(d >= 0 && d <= 1).toBe(true);
  });

  test("the same seed gives the same augmented batch, another seed another", () => {
    const all: Partial<AugmentSettings> = { augment_time_shift: 2, augment_gain_db: 3, augment_time_masks: 1, augment_freq_masks: 1, mixup: 0.2 };
    const a = augment(all, 7);
    const b = augment(all, 7);
    const c = augment(all, 8);
    expect(Array.from(b.x)).toEqual(Array.from(a.x));
    expect(Array.from(b.y)).toEqual(Array.from(a.y));
    expect(Array.from(c.x)).not.toEqual(Array.from(a.x));
    // Off, nothing changes.
    const off = augment({}, 7);
    expect(Array.from(off.x)).toEqual(Array.from(off.before));
  });
});

describe("augmentation in training", () => {
  const cnn = builtinPlugins.find((p) => p.kind === "model" && p.name === "cnn2d") as ModelPlugin<never, TfModel>;
  const train = sequences(24, 12, 8, 3, 1);
  const validation = sequences(12, 12, 8, 3, 2);
  const io = { inputShape: [12, 8], nClasses: 3, seed: 1 };
  // Small and without batch norm, so that a training step's loss depends on its inputs only.
  const small = { filters: [4], batch_norm: false, dropout: 0, batch_size: 8, epochs: 2, early_stopping: 0 };
  const heavy = { augment_gain_db: 30, augment_time_masks: 2, augment_time_mask_frames: 4, augment_freq_masks: 1, augment_freq_mask_bins: 3, mixup: 0.4 };

  async function fit(params: Record<string, unknown>, seed = 1) {
    const m = await cnn.build(io, resolveParams(cnn, { ...small, ...params }));
    const history = await cnn.fit(m, train, { seed, validation, progress: false });
    return { m, history, weights: m.network.getWeights().map((w) => Array.from(w.dataSync())) };
  }

  test("training batches are augmented; validation logs and predictions see the features as they are", async () => {
    // A learning rate too small to move the weights: every difference is the inputs'.
    const plain = await fit({ learning_rate: 1e-12 });
    const augmented = await fit({ learning_rate: 1e-12, ...heavy });
    expect(augmented.history.loss[0]).not.toBeCloseTo(plain.history.loss[0], 3);
    expect(augmented.history.val_loss).toEqual(plain.history.val_loss);
    const probs = await cnn.predict(augmented.m, validation.x);
    expect(crossEntropy(probs, validation.y)).toBeCloseTo(augmented.history.val_loss.at(-1)!, 5);
    expect(Array.from((await cnn.predict(augmented.m, validation.x)).data)).toEqual(Array.from(probs.data));
    expect(Array.from(probs.data)).toEqual(Array.from((await cnn.predict(plain.m, validation.x)).data));
  }, 60_000);

  test("the same seed gives the same weights with augmentation; another seed, or none, others", async () => {
    const a = await fit(heavy, 3);
    const b = await fit(heavy, 3);
    expect(b.weights).toEqual(a.weights);
    expect(b.history).toEqual(a.history);
    expect((await fit(heavy, 4)).weights).not.toEqual(a.weights);
    expect((await fit({}, 3)).weights).not.toEqual(a.weights);
  }, 60_000);

  test("time and frequency augmentations on examples without a time axis are refused, naming the param", async () => {
    const dense2 = builtinPlugins.find((p) => p.kind === "model" && p.name === "dense2") as ModelPlugin<never, TfModel>;
    const m = await dense2.build({ inputShape: [20], nClasses: 3, seed: 1 }, resolveParams(dense2, { augment_time_masks: 1 }));
    const fitting = dense2.fit(m, blobs(12, 20, 3, 1), { seed: 1, progress: false });
    await expect(fitting).rejects.toThrow(ParamError);
    await expect(dense2.fit(m, blobs(12, 20, 3, 1), { seed: 1, progress: false })).rejects.toThrow(
      'dense2: parameter "augment_time_masks": needs examples with a time and a frequency axis ([time, bins, ...]); these are [20]',
    );
    // Gain and mixup apply to vectors.
    const ok = await dense2.build({ inputShape: [20], nClasses: 3, seed: 1 }, resolveParams(dense2, { augment_gain_db: 3, mixup: 0.2, epochs: 1 }));
    expect((await dense2.fit(ok, blobs(12, 20, 3, 1), { seed: 1, progress: false })).loss).toHaveLength(1);
    expect(() => resolveParams(dense2, { augment_gain_scale: "bel" })).toThrow("augment_gain_scale");
    expect(() => resolveParams(dense2, { mixup: -1 })).toThrow("mixup");
  }, 60_000);
});
