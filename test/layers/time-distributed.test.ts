/**
 * `TimeDistributed` folds time into the batch (core/layers/time-distributed.ts): the wrapped layer
 * runs once on `[batch·time, ...]`, with the numbers of tfjs's per-step loop for layers that treat
 * examples apart, and Keras's batch statistics (over batch and time) for batch normalisation.
 */
import { describe, expect, test } from "bun:test";
import type * as TF from "@tensorflow/tfjs";
import { loadTf } from "../../core/backend.ts";
import { claveLayers } from "../../core/layers/index.ts";
import { mulberry32 } from "../../core/random.ts";

function filled(tf: typeof TF, shape: number[], seed: number): TF.Tensor {
  const random = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => 2 * random() - 1), shape);
}

function expectClose(a: TF.Tensor, b: TF.Tensor, tolerance: number) {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = [a.dataSync(), b.dataSync()];
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  expect(worst).toBeLessThan(tolerance);
}

describe("TimeDistributed, time folded into the batch", () => {
  test("a convolution, pooling and dense stack gives each step's own result, and the same kernel gradient", async () => {
    const tf = await loadTf();
    claveLayers(tf);
    const conv = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: "glorotUniform" });
    const pool = tf.layers.maxPooling2d({ poolSize: 2, padding: "same" });
    const input = tf.input({ shape: [4, 6, 8, 1] });
    let y = tf.layers.timeDistributed({ layer: conv }).apply(input) as TF.SymbolicTensor;
    y = tf.layers.timeDistributed({ layer: pool }).apply(y) as TF.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    const x = filled(tf, [3, 4, 6, 8, 1], 1);
    const folded = model.apply(x, { training: true }) as TF.Tensor;
    // Each step by hand: what tfjs's loop computes.
    const steps = tf.unstack(x, 1).map((xt) => pool.apply(conv.apply(xt)) as TF.Tensor);
    const looped = tf.stack(steps, 1);
    expectClose(folded, looped, 1e-6);
    expect(folded.shape).toEqual([3, 4, 3, 4, 5]);

    const kernel = conv.trainableWeights[0].read() as TF.Variable;
    const gFolded = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as TF.Tensor)) as TF.Scalar, [kernel]).grads[kernel.name];
    const gLooped = tf.variableGrads(
      () => tf.sum(tf.square(tf.stack(tf.unstack(x, 1).map((xt) => pool.apply(conv.apply(xt)) as TF.Tensor), 1))) as TF.Scalar,
      [kernel],
    ).grads[kernel.name];
    expectClose(gFolded, gLooped, 1e-4);
    tf.dispose([x, folded, looped, ...steps, gFolded, gLooped]);
    model.dispose();
  });

  test("batch norm inside normalises over batch and time together and updates its moving mean once, as Keras", async () => {
    const tf = await loadTf();
    claveLayers(tf);
    const momentum = 0.9;
    const bn = tf.layers.batchNormalization({ momentum, epsilon: 1e-5 });
    const input = tf.input({ shape: [5, 3] });
    const model = tf.model({ inputs: input, outputs: tf.layers.timeDistributed({ layer: bn }).apply(input) as TF.SymbolicTensor });
    const x = filled(tf, [4, 5, 3], 2);
    const out = model.apply(x, { training: true }) as TF.Tensor;
    // Statistics per feature over all 20 (example, step) rows.
    const rows = tf.reshape(x, [20, 3]);
    const { mean, variance } = tf.moments(rows, 0);
    const expected = tf.reshape(tf.div(tf.sub(rows, mean), tf.sqrt(tf.add(variance, 1e-5))), [4, 5, 3]);
    expectClose(out, expected, 1e-5);
    const movingMean = bn.getWeights()[2];
    // One update from zero: (1 − momentum) · μ. The per-step loop would have applied five.
    expectClose(movingMean, tf.mul(mean, 1 - momentum), 1e-6);
    tf.dispose([x, out, rows, mean, variance, expected]);
    model.dispose();
  });

  test("a masked input keeps tfjs's per-step loop (the mask reaches each step)", async () => {
    const tf = await loadTf();
    claveLayers(tf);
    const dense = tf.layers.dense({ units: 2, kernelInitializer: "ones" });
    const td = tf.layers.timeDistributed({ layer: dense });
    const x = filled(tf, [2, 3, 4], 3);
    const mask = tf.tensor2d([[1, 1, 0], [1, 0, 0]], [2, 3], "bool");
    const y = td.apply(x, { mask }) as TF.Tensor;
    const byHand = tf.stack(tf.unstack(x, 1).map((xt) => dense.apply(xt) as TF.Tensor), 1);
    expectClose(y, byHand, 1e-6);
    tf.dispose([x, mask, y, byHand]);
  });
});
