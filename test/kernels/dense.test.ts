/**
 * The fused kernels of the small dense networks (core/kernels/dense.ts, losses.ts, standardize.ts,
 * penalty.ts) against tfjs's own ops on the `cpu` backend: values and every gradient, on random
 * inputs, and that the fused kernel is what runs on wasm (the stock code when unregistered).
 */
import { describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { DENSE, DENSE_ACTIVATIONS, DENSE_GRAD } from "../../core/kernels/dense.ts";
import { registerClaveKernels, unregisterClaveKernels } from "../../core/kernels/index.ts";
import { ACCURACY, CROSS_ENTROPY, SQUARED_ERROR } from "../../core/kernels/losses.ts";
import { PENALTY } from "../../core/kernels/penalty.ts";
import { STANDARDIZE } from "../../core/kernels/standardize.ts";
import { claveLayers } from "../../core/layers/index.ts";
import { mulberry32 } from "../../core/random.ts";
import { expectClose, on as onBackend, onWasmWithClaveKernels } from "./backends.ts";
import { accuracyMetric, lossFunction } from "../../core/train/losses.ts";

const random = mulberry32(4172);
function randn(shape: number[], scale = 1): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

/** `f`'s outputs on a backend (inputs made inside `f`), and which of this file's kernels ran. */
const on = (backend: "wasm" | "cpu", f: () => tf.Tensor[]) => onBackend(backend, [DENSE, DENSE_GRAD, CROSS_ENTROPY, SQUARED_ERROR, ACCURACY, STANDARDIZE, PENALTY], f);

/** `f` on wasm with clave's kernels and on cpu; returns the clave kernels that ran on wasm. */
async function expectSameAsCpu(f: () => tf.Tensor[], rtol = 1e-5): Promise<Set<string>> {
  const wasm = await on("wasm", f);
  const cpu = await on("cpu", f);
  expectClose(wasm.outputs, cpu.outputs, rtol);
  return wasm.ran;
}

onWasmWithClaveKernels();

describe("fused dense layer", () => {
  const [B, F, U] = [6, 9, 5];
  const x = randn([B, F], 2);
  const w = randn([B, U]);
  /** Output, then the gradients of sum(out · w): x's when it is a variable, the kernel's and the bias's. */
  const run = (activation: (typeof DENSE_ACTIVATIONS)[number], useBias: boolean, inputTrained: boolean) => () => {
    const layer = tf.layers.dense({
      units: U,
      activation,
      useBias,
      kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }),
      biasInitializer: tf.initializers.randomNormal({ seed: 12, stddev: 0.5 }),
    });
    const input = inputTrained ? tf.variable(tf.tensor2d(x, [B, F])) : tf.tensor2d(x, [B, F]);
    const out = layer.apply(input) as tf.Tensor;
    const weights = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
    const targets = inputTrained ? [input as tf.Variable, ...weights] : weights;
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, tf.tensor2d(w, [B, U]))), targets);
    return [out, ...targets.map((v) => grads[v.name])];
  };
  for (const activation of DENSE_ACTIVATIONS) {
    for (const [useBias, inputTrained] of [
      [true, false],
      [true, true],
      [false, true],
    ] as const) {
      test(`${activation}, ${useBias ? "bias" : "no bias"}, input ${inputTrained ? "trained" : "not trained"}: output and gradients as tfjs's ops`, async () => {
        const ran = await expectSameAsCpu(run(activation, useBias, inputTrained), 2e-5);
        expect([...ran].filter((k) => k === DENSE || k === DENSE_GRAD).sort()).toEqual([DENSE, DENSE_GRAD]);
      });
    }
  }

  test("a rank-3 input, an unsupported activation and unregistered kernels take the stock code", async () => {
    const cases: [number[], string][] = [
      [[2, 3, F], "tanh"],
      [[B, F], "softplus"],
    ];
    for (const [shape, activation] of cases) {
      const f = () => [tf.layers.dense({ units: U, activation: activation as "tanh", kernelInitializer: tf.initializers.ones() }).apply(tf.ones(shape)) as tf.Tensor];
      const ran = await expectSameAsCpu(f);
      expect(ran.has(DENSE)).toBe(false);
    }
    unregisterClaveKernels(tf);
    try {
      const { ran, outputs } = await on("wasm", run("tanh", true, true));
      expect(ran.size).toBe(0);
      expectClose(outputs, (await on("cpu", run("tanh", true, true))).outputs, 2e-5);
    } finally {
      await tf.setBackend("wasm");
      registerClaveKernels(tf);
    }
  });
});

describe("fused losses and accuracy", () => {
  const [B, C] = [7, 4];
  // Probabilities with exact 0 and 1 (clipped: no gradient) and ties for argMax.
  const probs = () => {
    const logits = randn([B, C], 3);
    const p = Array.from({ length: B }, (_, b) => {
      const e = Array.from(logits.subarray(b * C, (b + 1) * C), Math.exp);
      const sum = e.reduce((a, v) => a + v, 0);
      return e.map((v) => v / sum);
    });
    p[1] = [0, 1, 0, 0];
    p[2] = [0.25, 0.25, 0.25, 0.25];
    p[3] = [0.5, 0.5, 0, 0];
    return p;
  };
  const p = probs();
  const labels = [0, 1, 2, 1, 3, 0, 2];
  const oneHot: number[][] = labels.map((l) => Array.from({ length: C }, (_, c) => (c === l ? 1 : 0)));
  // Mixed targets (mixup-style) too.
  oneHot[5] = [0.3, 0, 0.7, 0];

  for (const [label, spec, classWeights] of [
    ["crossentropy", { output: "p", loss: "crossentropy", weight: 0.7 }, undefined],
    ["crossentropy with class weights", { output: "p", loss: "crossentropy", weight: 1 }, [0.5, 2, 1, 3]],
    ["mse", { output: "p", loss: "mse", weight: 0.9 }, undefined],
  ] as const) {
    test(`${label}: per-example values and the gradients of both inputs as tfjs's ops`, async () => {
      const f = () => {
        const yTrue = tf.variable(tf.tensor2d(oneHot));
        const yPred = tf.variable(tf.tensor2d(p));
        const weights = classWeights ? tf.tensor1d([...classWeights]) : undefined;
        const loss = lossFunction(tf, spec, weights);
        const perExample = loss(yTrue, yPred);
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(loss(yTrue, yPred), tf.range(1, B + 1))), [yTrue, yPred]);
        return [perExample, grads[yTrue.name], grads[yPred.name]];
      };
      const ran = await expectSameAsCpu(f, 1e-5);
      expect(ran.has(spec.loss === "mse" ? SQUARED_ERROR : CROSS_ENTROPY)).toBe(true);
    });
  }

  test("accuracy: first maximum of each row, ties included", async () => {
    const ran = await expectSameAsCpu(() => [accuracyMetric(tf)(tf.tensor2d(oneHot), tf.tensor2d(p))]);
    expect(ran.has(ACCURACY)).toBe(true);
  });
});

describe("fused standardisation and weight penalty", () => {
  for (const featureAxes of [1, 2]) {
    test(`standardize (featureAxes ${featureAxes}): output and the input's gradient as tfjs's ops`, async () => {
      const shape = [3, 4, 5];
      const x = randn(shape, 4);
      const data = randn([20 * 4 * 5], 3).map((v, i) => v + (i % 5));
      const f = () => {
        const layer = claveLayers(tf).standardize({ featureAxes });
        const input = tf.variable(tf.tensor(x, shape));
        layer.apply(input);
        layer.adapt(data);
        const out = layer.apply(input) as tf.Tensor;
        const { grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(input) as tf.Tensor)), [input]);
        return [out, grads[input.name]];
      };
      const ran = await expectSameAsCpu(f, 1e-5);
      expect(ran.has(STANDARDIZE)).toBe(true);
    });
  }

  test("the statistics' gradients as tfjs's ops", async () => {
    const x = randn([3, 4], 2);
    const f = () => {
      const input = tf.tensor2d(x, [3, 4]);
      const mean = tf.variable(tf.tensor1d([0.5, -1, 2, 0]));
      const std = tf.variable(tf.tensor1d([1, 2, 0.5, 3]));
      const value = (): tf.Scalar => tf.sum(tf.square(tf.engine().runKernel(STANDARDIZE, { x: input, mean, std }) as tf.Tensor));
      const stock = (): tf.Scalar => tf.sum(tf.square(tf.div(tf.sub(input, mean), std)));
      const { grads } = tf.variableGrads(tf.getBackend() === "wasm" ? value : stock, [mean, std]);
      return [grads[mean.name], grads[std.name]];
    };
    await expectSameAsCpu(f, 1e-5);
  });

  for (const [l1, l2] of [
    [0, 1e-3],
    [1e-2, 0],
    [3e-3, 2e-2],
  ]) {
    test(`L1/L2 regularizer l1=${l1} l2=${l2}: penalty and gradient as tfjs's ops (a zero weight included)`, async () => {
      const w = randn([6, 5]);
      w[3] = 0;
      const f = () => {
        const weight = tf.variable(tf.tensor2d(w, [6, 5]));
        const regularizer = tf.regularizers.l1l2({ l1, l2 });
        const { value, grads } = tf.variableGrads(() => regularizer.apply(weight), [weight]);
        return [value, grads[weight.name]];
      };
      const ran = await expectSameAsCpu(f, 1e-5);
      expect(ran.has(PENALTY)).toBe(true);
    });
  }
});
