/**
 * Training streams its batches: the tensors alive during a fit do not grow with the dataset (no
 * whole-set tensor, no whole-set prediction), nothing is left behind; the lean backward pass gives
 * tfjs's gradients with less memory; prediction in batches gives what one call gives.
 */
import { describe, expect, test } from "bun:test";
import {
  batchRanges,
  builtinPlugins,
  fitLayersModel,
  gatherRows,
  installLeanBackward,
  loadTf,
  ndarray,
  oneHotRows,
  predictInBatches,
  predictLayersModel,
  resolveParams,
  shuffledIndices,
  mulberry32,
  uninstallLeanBackward,
  type ModelPlugin,
  type TfModel,
} from "../../index.ts";
import { BATCH_NORM_TRAIN } from "../../core/kernels/batch-norm.ts";
import { registerClaveKernels } from "../../core/kernels/index.ts";
import { accuracy, blobs, sequences } from "../models/synthetic.ts";

const model = (name: string) => builtinPlugins.find((p) => p.kind === "model" && p.name === name) as ModelPlugin<never, TfModel>;

describe("batches from typed arrays", () => {
  test("ranges, seeded orders, rows and one-hot targets", () => {
    expect(batchRanges(10, 4)).toEqual([
      [0, 4],
      [4, 8],
      [8, 10],
    ]);
    expect(() => batchRanges(10, 0)).toThrow("batch size 0");
    const a = shuffledIndices(50, mulberry32(3));
    expect(Array.from(a).sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(shuffledIndices(50, mulberry32(3)))).toEqual(Array.from(a));
    expect(Array.from(shuffledIndices(50, mulberry32(4)))).not.toEqual(Array.from(a));

    const x = ndarray(Float32Array.from({ length: 5 * 6 }, (_, i) => i), [5, 2, 3]);
    const buffer = new Float32Array(4 * 6).fill(-1);
    expect(Array.from(gatherRows(x, [4, 1], buffer))).toEqual([24, 25, 26, 27, 28, 29, 6, 7, 8, 9, 10, 11]);
    expect(Array.from(oneHotRows(Int32Array.from([2, 0, 1, 2, 0]), [3, 1], 3, new Float32Array(12)))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(() => oneHotRows(Int32Array.from([5]), [0], 3, new Float32Array(3))).toThrow("label 5 of example 0");
  });

  test("prediction batch by batch equals one call on the whole set", async () => {
    const tf = await loadTf();
    const plugin = model("crnn");
    const m = await plugin.build({ inputShape: [20, 8], nClasses: 3, seed: 1 }, resolveParams(plugin, { filters: [4], rnn_units: 8 }));
    const data = sequences(23, 20, 8, 3, 5);
    const whole = m.network.predict(tf.tensor(data.x.data, [...data.x.shape])) as import("@tensorflow/tfjs").Tensor;
    const [batched] = await predictInBatches(tf, m.network, data.x, 5);
    expect(batched.shape).toEqual([23, 3]);
    Array.from(whole.dataSync()).forEach((v, i) => expect(batched.data[i]).toBeCloseTo(v, 6));
    whole.dispose();
  });
});

describe("memory while training", () => {
  test("the tensors alive during a fit do not grow with the dataset, and none are left after it", async () => {
    const tf = await loadTf();
    const plugin = model("cnn2d");
    // Examples of 8 KB, batches of 4: the sets are much larger than a batch's activations.
    const params = resolveParams(plugin, { filters: [2], batch_size: 4, epochs: 2, early_stopping: 0 });
    const peak = async (n: number) => {
      const m = await plugin.build({ inputShape: [64, 32], nClasses: 3, seed: 1 }, params);
      const train = sequences(n, 64, 32, 3, 1);
      const validation = sequences(n / 2, 64, 32, 3, 2);
      const before = tf.memory().numTensors;
      const profile = await tf.profile(async () => {
        await plugin.fit(m, train, { seed: 1, validation, progress: false });
        await plugin.predict(m, validation.x);
        return [] as never;
      });
      expect(tf.memory().numTensors).toBe(before);
      m.network.dispose();
      return { peak: profile.peakBytes, setBytes: train.x.data.byteLength + validation.x.data.byteLength };
    };
    const one = await peak(24);
    const four = await peak(96);
    // (peakBytes counts every live tensor, these and any made before.) Holding either set as a
    // tensor, or predicting it at once, would add at least 600 KB to the peak at 4x.
    expect(four.setBytes - one.setBytes).toBeGreaterThan(600_000);
    expect(four.peak - one.peak).toBeLessThan(0.05 * (four.setBytes - one.setBytes));
  }, 120_000);

  test("the lean backward pass gives tfjs's gradients through conv, batch norm, pooling and dense layers, with a lower peak", async () => {
    const tf = await loadTf();
    const plugin = model("cnn2d");
    const m = await plugin.build({ inputShape: [24, 16], nClasses: 3, seed: 2 }, resolveParams(plugin, { filters: [6, 8], dropout: 0, pooling: "max", dense_units: 5 }));
    const data = sequences(16, 24, 16, 3, 3);
    const x = tf.tensor(data.x.data, [...data.x.shape]);
    const y = tf.oneHot(tf.tensor1d(data.y, "int32"), 3).toFloat();
    const variables = m.network.trainableWeights.map((w) => w.read() as import("@tensorflow/tfjs").Variable);
    const loss = () => tf.losses.softmaxCrossEntropy(y, m.network.apply(x, { training: true }) as import("@tensorflow/tfjs").Tensor) as import("@tensorflow/tfjs").Scalar;
    const gradients = async () => {
      let grads: number[][] = [];
      // peakBytes counts every live tensor, those of earlier tests in this process too: measure above them.
      const before = tf.memory().numBytes;
      const profile = await tf.profile(() => {
        const { value, grads: g } = tf.variableGrads(loss, variables);
        grads = variables.map((v) => Array.from(g[v.name].dataSync()));
        tf.dispose([value, ...Object.values(g)]);
        return [] as never;
      });
      return { grads, peak: profile.peakBytes - before };
    };
    // Batch norm through tfjs-layers' own ops: with clave's fused batch-norm kernel both passes would
    // differentiate it alike (core/kernels/batch-norm.ts), and this compares the passes themselves.
    const fusedBatchNorm = tf.getKernel(BATCH_NORM_TRAIN, "wasm") !== undefined;
    if (fusedBatchNorm) tf.unregisterKernel(BATCH_NORM_TRAIN, "wasm");
    let stock: Awaited<ReturnType<typeof gradients>>;
    let lean: Awaited<ReturnType<typeof gradients>>;
    try {
      uninstallLeanBackward(tf);
      stock = await gradients();
      installLeanBackward(tf);
      lean = await gradients();
    } finally {
      installLeanBackward(tf);
      if (fusedBatchNorm) registerClaveKernels(tf, [BATCH_NORM_TRAIN]);
    }
    expect(lean.grads.length).toBe(stock.grads.length);
    lean.grads.forEach((g, i) => {
      const scale = Math.max(1e-6, ...stock.grads[i].map(Math.abs));
      g.forEach((v, j) => expect(Math.abs(v - stock.grads[i][j]) / scale).toBeLessThan(1e-4));
    });
    expect(lean.peak).toBeLessThan(0.8 * stock.peak);
    tf.dispose([x, y]);
  }, 60_000);
});

describe("zeros for the gradients of outputs nothing differentiates", () => {
  /**
   * Gradients of `loss` with respect to `variables` under tfjs's pass and the lean one, the sizes
   * of the tensors each made from JavaScript arrays (engine.makeTensor) and of those its Fill
   * kernels made, while it ran.
   */
  async function bothPasses(tf: typeof import("@tensorflow/tfjs"), loss: () => import("@tensorflow/tfjs").Scalar, variables: import("@tensorflow/tfjs").Variable[]) {
    const engine = tf.engine() as unknown as { makeTensor: (...args: unknown[]) => import("@tensorflow/tfjs").Tensor };
    const make = engine.makeTensor;
    const run = async () => {
      const made: number[] = [];
      let out: number[][] = [];
      engine.makeTensor = function (this: unknown, ...args: unknown[]) {
        const t = make.apply(this, args);
        made.push(t.size);
        return t;
      };
      try {
        const profile = await tf.profile(() => {
          const { value, grads } = tf.variableGrads(loss, variables);
          out = variables.map((v) => Array.from(grads[v.name].dataSync()));
          tf.dispose([value, ...Object.values(grads)]);
          return [] as never;
        });
        const filled = profile.kernels.filter((k) => k.name === "Fill").map((k) => k.outputShapes[0].reduce((a, b) => a * b, 1));
        return { grads: out, made, filled };
      } finally {
        engine.makeTensor = make;
      }
    };
    try {
      uninstallLeanBackward(tf);
      const stock = await run();
      installLeanBackward(tf);
      return { stock, lean: await run() };
    } finally {
      installLeanBackward(tf);
    }
  }

  const expectSameGradients = (lean: number[][], stock: number[][]) => {
    expect(lean.length).toBe(stock.length);
    lean.forEach((g, i) => {
      const scale = Math.max(1e-6, ...stock[i].map(Math.abs));
      g.forEach((v, j) => expect(Math.abs(v - stock[i][j]) / scale).toBeLessThan(1e-5));
    });
  };

  test("the fused LSTM (both directions) and GRU: tfjs's gradients, and no zeros the size of their saved states", async () => {
    const tf = await loadTf();
    expect(tf.getBackend()).toBe("wasm");
    const cases = [
      { name: "bilstm_attention", params: { units: 8, attention_units: 4, dropout: 0 }, input: [20, 6], states: 20 * 5 * 4 * 8 },
      { name: "crnn", params: { filters: [4], rnn_units: 8, rnn_dropout: 0 }, input: [24, 16], states: 12 * 5 * 3 * 8 },
    ];
    for (const c of cases) {
      const plugin = model(c.name);
      const m = await plugin.build({ inputShape: c.input, nClasses: 3, seed: 5 }, resolveParams(plugin, c.params));
      const data = sequences(5, c.input[0], c.input[1], 3, 6);
      const x = tf.tensor(data.x.data, [...data.x.shape]);
      const y = tf.oneHot(tf.tensor1d(data.y, "int32"), 3).toFloat();
      const variables = m.network.trainableWeights.map((w) => w.read() as import("@tensorflow/tfjs").Variable);
      const loss = () => tf.losses.softmaxCrossEntropy(y, m.network.apply(x, { training: true }) as import("@tensorflow/tfjs").Tensor) as import("@tensorflow/tfjs").Scalar;
      const { stock, lean } = await bothPasses(tf, loss, variables);
      expectSameGradients(lean.grads, stock.grads);
      // The gate pre-activations [T, B, 4U] (LSTM) or [T, B, 3U] (GRU) of the steps after pooling:
      // tfjs's pass makes zeros of that size in JavaScript for them; the lean pass makes none.
      expect(stock.made).toContain(c.states);
      expect(lean.made).not.toContain(c.states);
      expect(lean.filled).not.toContain(c.states);
      tf.dispose([x, y]);
      m.network.dispose();
    }
  }, 60_000);

  test("an output left unused (one part of a split): zeros filled on the backend, tfjs's gradients", async () => {
    const tf = await loadTf();
    const w = tf.variable(tf.tensor2d([0.5, -1, 2, 0.25, 1.5, -0.75], [2, 3]), true, "split_w");
    const x = tf.tensor2d([1, 2, -1, 0.5, 3, 1, -2, 0.5], [4, 2]);
    const loss = () =>
      tf.tidy(() => {
        const [first] = tf.split(tf.matMul(x, w), [2, 1], 1);
        return tf.sum(tf.square(first)) as import("@tensorflow/tfjs").Scalar;
      });
    const { stock, lean } = await bothPasses(tf, loss, [w]);
    expectSameGradients(lean.grads, stock.grads);
    // The unused part, [4, 1]: zeros from JavaScript in tfjs's pass, from the Fill kernel in the lean one.
    expect(stock.made).toContain(4);
    expect(lean.made).not.toContain(4);
    expect(lean.filled).toContain(4);
    expect(lean.grads[0].some((v) => v !== 0)).toBe(true);
    tf.dispose([w, x]);
  });
});

describe("plain layers models", () => {
  test("fitLayersModel streams batches through tfjs's fitDataset: its own loss, class weights, validation; seeded", async () => {
    const tf = await loadTf();
    const make = () => {
      const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [12], units: 8, activation: "relu" }), tf.layers.dense({ units: 3, activation: "softmax" })] });
      m.compile({ optimizer: tf.train.adam(0.05), loss: "sparseCategoricalCrossentropy", metrics: ["acc"] });
      return m;
    };
    const train = blobs(60, 12, 3, 1);
    const validation = blobs(30, 12, 3, 2);
    const before = tf.memory().numTensors;
    const run = async (classWeights?: number[]) => {
      const m = await withSeed(make);
      const history = await fitLayersModel(m, train, { seed: 4, epochs: 6, batchSize: 16, validation, ...(classWeights ? { classWeights } : {}) });
      return { m, history };
    };
    const a = await run();
    expect(Object.keys(a.history)).toEqual(expect.arrayContaining(["loss", "acc", "val_loss", "val_acc"]));
    expect(a.history.loss).toHaveLength(6);
    expect(a.history.loss.at(-1)!).toBeLessThan(a.history.loss[0]);
    expect(accuracy(await predictLayersModel(a.m, validation.x, 7), validation.y)).toBeGreaterThan(0.8);
    const b = await run();
    expect(b.history).toEqual(a.history);
    const weighted = await run([3, 3, 3]);
    expect(weighted.history.loss[0]).toBeCloseTo(3 * a.history.loss[0], 3);
    for (const m of [a.m, b.m, weighted.m]) {
      m.optimizer.dispose();
      m.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});

/** Build with seeded initialisers (tfjs draws them from Math.random). */
async function withSeed<T>(fn: () => T): Promise<T> {
  const { withSeededRandom } = await import("../../index.ts");
  return withSeededRandom(9, fn);
}
