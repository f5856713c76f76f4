/**
 * tfjs-layers' BatchNormalization in training on clave's kernels (core/kernels/batch-norm.ts)
 * against the stock layer on the `cpu` backend: output, moving mean and variance after several
 * steps, and the gradients of x, γ and β, for inputs of rank 2 and 4 (and 3), with and without γ/β;
 * in JavaScript and (channels a multiple of 4) in wasm SIMD; with clave's lean backward pass too; and that inference and unregistered kernels take the stock code.
 */
import { describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from "../../core/kernels/batch-norm.ts";
import { batchNormSimd } from "../../core/kernels/batch-norm-simd.ts";
import { registerClaveKernels, unregisterClaveKernels } from "../../core/kernels/index.ts";
import type { WasmBackend } from "../../core/kernels/wasm.ts";
import { mulberry32 } from "../../core/random.ts";
import { expectClose, on as onBackend, onWasmWithClaveKernels } from "./backends.ts";
import { installLeanBackward, uninstallLeanBackward } from "../../core/train/gradients.ts";

const random = mulberry32(9051);
function randn(n: number, scale = 1, shift = 0): Float32Array {
  return Float32Array.from({ length: n }, () => shift + scale * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

/** `f`'s outputs on a backend (inputs made inside `f`), and which of this file's kernels ran. */
const on = (backend: "wasm" | "cpu", f: () => tf.Tensor[]) => onBackend(backend, [BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, "FusedBatchNorm"], f, { tidy: false });

interface Case {
  shape: number[];
  scale: boolean;
  center: boolean;
}

const STEPS = 3;

/**
 * `STEPS` training calls of a batch-norm layer, each on its own input, with the gradients of
 * Σ y·w: per step y, dx, dγ (scale), dβ (center); then the moving mean and variance.
 * `stockParams`: the layer has γ and β even when the case has none, fixed at 1 and 0 and not
 * differentiated (the stock layer's training call fails without them; the same arithmetic).
 */
function training(c: Case, stockParams: boolean): () => tf.Tensor[] {
  const seed = mulberry32(c.shape.reduce((a, b) => a * 31 + b, 7) + (c.scale ? 1 : 0) + (c.center ? 2 : 0));
  const n = c.shape.reduce((a, b) => a * b, 1);
  const C = c.shape[c.shape.length - 1];
  const draw = (count: number, scale = 1, shift = 0) =>
    Float32Array.from({ length: count }, () => shift + scale * Math.sqrt(-2 * Math.log(1 - seed())) * Math.cos(2 * Math.PI * seed()));
  const inputs = Array.from({ length: STEPS }, () => draw(n, 1.5, 0.7));
  const weights = Array.from({ length: STEPS }, () => draw(n));
  const gamma = draw(C, 0.3, 1);
  const beta = draw(C, 0.5);
  return () => {
    const layer = tf.layers.batchNormalization({
      momentum: 0.9,
      epsilon: 1e-5,
      scale: c.scale || stockParams,
      center: c.center || stockParams,
      movingVarianceInitializer: tf.initializers.constant({ value: 0.5 }),
    });
    layer.build(c.shape);
    const named = (part: string) => layer.weights.find((w) => w.originalName.endsWith(part));
    if (c.scale) named("gamma")!.write(tf.tensor1d(gamma));
    if (c.center) named("beta")!.write(tf.tensor1d(beta));
    const trained = [c.scale ? named("gamma") : undefined, c.center ? named("beta") : undefined]
      .filter((w) => w !== undefined)
      .map((w) => (w as unknown as { val: tf.Variable }).val);
    const out: tf.Tensor[] = [];
    for (let step = 0; step < STEPS; step++) {
      const x = tf.variable(tf.tensor(inputs[step], c.shape));
      const w = tf.tensor(weights[step], c.shape);
      let y: tf.Tensor | undefined;
      const { grads } = tf.variableGrads(() => {
        y = tf.keep(layer.apply(x, { training: true }) as tf.Tensor);
        return tf.sum(tf.mul(y, w));
      }, [x, ...trained]);
      out.push(y!, grads[x.name], ...trained.map((v) => grads[v.name]));
      x.dispose();
      w.dispose();
    }
    out.push(named("moving_mean")!.read().clone(), named("moving_variance")!.read().clone());
    for (const v of layer.weights) v.dispose();
    return out;
  };
}

onWasmWithClaveKernels();

describe("batch norm in training", () => {
  const cases: Case[] = [
    { shape: [12, 7], scale: true, center: true },
    { shape: [4, 6, 5, 8], scale: true, center: true },
    { shape: [3, 10, 6], scale: true, center: true },
    { shape: [4, 6, 5, 8], scale: false, center: true },
    { shape: [4, 6, 5, 8], scale: true, center: false },
    { shape: [12, 7], scale: false, center: false },
    // Channels a multiple of 4 run in wasm SIMD, over blocks of 256 rows.
    { shape: [600, 12], scale: true, center: true },
    { shape: [4, 6, 5, 8], scale: false, center: false },
  ];
  for (const c of cases) {
    test(`[${c.shape.join(", ")}]${c.scale ? "" : " no scale"}${c.center ? "" : " no center"}: output, gradients and moving statistics as the stock layer's`, async () => {
      const wasm = await on("wasm", training(c, false));
      const cpu = await on("cpu", training(c, true));
      expectClose(wasm.outputs, cpu.outputs, 2e-5);
      expect([...wasm.ran].sort()).toEqual([BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD]);
    });
  }

  test("with clave's lean backward pass, the same", async () => {
    const c: Case = { shape: [4, 6, 5, 8], scale: true, center: true };
    installLeanBackward(tf);
    let wasm;
    try {
      wasm = await on("wasm", training(c, false));
    } finally {
      uninstallLeanBackward(tf);
    }
    expectClose(wasm.outputs, (await on("cpu", training(c, true))).outputs, 2e-5);
    expect([...wasm.ran].sort()).toEqual([BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD]);
  });

  test("the SIMD passes run on this engine", async () => {
    await tf.setBackend("wasm");
    expect(batchNormSimd(tf.backend() as unknown as WasmBackend)).toBeDefined();
  });

  for (const shape of [
    [64, 3],
    [600, 4],
  ]) {
    test(`statistics of an input far from zero ([${shape.join(", ")}]): the variance stays exact`, async () => {
      const x = randn(shape[0] * shape[1], 0.01, 300);
      const f = () => [tf.layers.batchNormalization({ epsilon: 1e-5 }).apply(tf.tensor(x, shape), { training: true }) as tf.Tensor];
      expectClose((await on("wasm", f)).outputs, (await on("cpu", f)).outputs, 2e-3);
    });
  }

  test("inference, another axis and unregistered kernels take the stock code", async () => {
    const x = randn(4 * 5 * 6, 1, 0.3);
    const inference = () => [tf.layers.batchNormalization({}).apply(tf.tensor(x, [4, 5, 6])) as tf.Tensor];
    const otherAxis = () => [tf.layers.batchNormalization({ axis: 1 }).apply(tf.tensor(x, [4, 5, 6]), { training: true }) as tf.Tensor];
    for (const f of [inference, otherAxis]) {
      const wasm = await on("wasm", f);
      expect(wasm.ran.has(BATCH_NORM_TRAIN)).toBe(false);
      expectClose(wasm.outputs, (await on("cpu", f)).outputs, 2e-5);
    }
    unregisterClaveKernels(tf);
    try {
      const c: Case = { shape: [12, 7], scale: true, center: true };
      const wasm = await on("wasm", training(c, true));
      expect(wasm.ran.has(BATCH_NORM_TRAIN)).toBe(false);
      expectClose(wasm.outputs, (await on("cpu", training(c, true))).outputs, 2e-5);
    } finally {
      await tf.setBackend("wasm");
      registerClaveKernels(tf);
    }
  });
});
