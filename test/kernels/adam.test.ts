/**
 * The fused Adam(W) step (core/kernels/adam.ts through core/train/optimizer.ts) against tfjs's own
 * AdamOptimizer ops on the same backend: the same weights and moments after several steps on random
 * shapes, with and without weight decay, a changed learning rate, and an optimizer state saved after fused steps that stock steps continue from (and the reverse).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { ADAM_UPDATE } from "../../core/kernels/adam.ts";
import { registerClaveKernels, unregisterClaveKernels } from "../../core/kernels/index.ts";
import { mulberry32 } from "../../core/random.ts";
import { adamW } from "../../core/train/optimizer.ts";

const random = mulberry32(31337);
const randn = (n: number) => Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));

const SHAPES = [[417, 128], [128], [3, 3, 1, 32], [7, 5], [1]];

/** Weights and gradients of one run: the same start and the same gradient per step for both paths. */
function problem(steps: number) {
  const start = SHAPES.map((s) => randn(s.reduce((a, b) => a * b, 1)));
  const grads = Array.from({ length: steps }, () => SHAPES.map((s) => randn(s.reduce((a, b) => a * b, 1))));
  return { start, grads };
}

function setFused(on: boolean): void {
  unregisterClaveKernels(tf);
  if (on) registerClaveKernels(tf, [ADAM_UPDATE]);
  expect(tf.getKernel(ADAM_UPDATE, "wasm") !== undefined).toBe(on);
}

/** Train variables on the given gradients. */
async function run(
  fused: boolean,
  p: ReturnType<typeof problem>,
  options: { weightDecay: number; lrAt?: number; switchAt?: number },
): Promise<{ values: Float32Array[]; moments: Float32Array[] }> {
  setFused(fused);
  const variables = p.start.map((v, i) => tf.variable(tf.tensor(v, SHAPES[i]), true, `w${i}_${fused}_${random()}`));
  let opt = adamW(tf, { learningRate: 1e-2, weightDecay: options.weightDecay });
  for (let step = 0; step < p.grads.length; step++) {
    if (step === options.lrAt) opt.setLearningRate(3e-3);
    if (step === options.switchAt) {
      // Save the state, continue in a new optimizer on the other path.
      const saved = await opt.getWeights();
      const copies = saved.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
      const lr = opt.getLearningRate();
      opt.dispose();
      setFused(!fused);
      opt = adamW(tf, { learningRate: lr, weightDecay: options.weightDecay });
      await opt.setWeights(copies);
    }
    const grads: Record<string, tf.Tensor> = {};
    variables.forEach((v, i) => {
      grads[v.name] = tf.tensor(p.grads[step][i], SHAPES[i]);
    });
    opt.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const values = variables.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  const moments = (await opt.getWeights()).slice(1).map((w) => Float32Array.from(w.tensor.dataSync() as Float32Array));
  opt.dispose();
  tf.dispose(variables);
  return { values, moments };
}

function expectClose(a: Float32Array[], b: Float32Array[], tolerance: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    expect(x.length).toBe(b[i].length);
    let worst = 0;
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j] - b[i][j]) / (1 + Math.abs(b[i][j])));
    expect(worst).toBeLessThan(tolerance);
  });
}

let original: string | undefined;
beforeAll(async () => {
  original = tf.getBackend() || undefined;
  await tf.setBackend("wasm");
});
afterAll(async () => {
  registerClaveKernels(tf);
  if (original) await tf.setBackend(original);
});

describe("fused Adam step", () => {
  for (const weightDecay of [0, 0.01]) {
    test(`equals tfjs's Adam ops over 12 steps (weight decay ${weightDecay}, learning rate changed)`, async () => {
      const p = problem(12);
      const options = { weightDecay, lrAt: 5 };
      const fused = await run(true, p, options);
      const stock = await run(false, p, options);
      expectClose(fused.values, stock.values, 2e-6);
      expectClose(fused.moments, stock.moments, 2e-6);
      // The weights moved: the comparison is not of two untouched copies.
      expect(Math.abs(fused.values[0][0] - p.start[0][0])).toBeGreaterThan(1e-3);
    });
  }

  test("a state saved by fused steps continues under stock steps, and the reverse, as an uninterrupted run", async () => {
    const p = problem(8);
    const straight = await run(false, p, { weightDecay: 0.01 });
    expectClose((await run(true, p, { weightDecay: 0.01, switchAt: 4 })).values, straight.values, 2e-6);
    expectClose((await run(false, p, { weightDecay: 0.01, switchAt: 4 })).values, straight.values, 2e-6);
  });

  test("refuses moments of another shape", () => {
    setFused(true);
    const [value, m, v, g] = [[3, 2], [3, 2], [2, 3], [3, 2]].map((s) => tf.zeros(s));
    expect(() => tf.engine().runKernel(ADAM_UPDATE, { value, m, v, gradient: g }, { learningRate: 1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, correction1: 0.1, correction2: 0.001, decay: 1 })).toThrow("shapes differ");
    tf.dispose([value, m, v, g]);
  });
});
