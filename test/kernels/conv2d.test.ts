/**
 * Conv2D layers without bias or activation run the plain Conv2D op on wasm (core/kernels/conv2d.ts,
 * installPlainConv2d): the same values and gradients as tfjs's fused op on cpu, and no gradient for
 * the network's input, which nothing asks for.
 */
import { describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { mulberry32 } from "../../core/random.ts";
import { expectClose, on, onWasmWithClaveKernels } from "./backends.ts";

onWasmWithClaveKernels();

const random = mulberry32(5);
const values = (n: number) => Float32Array.from({ length: n }, () => 2 * random() - 1);

/** A model of `layers` convolutions (3×3 same, the first without bias) on [6, 8, 1] inputs, flattened into 3 scores; its loss and every weight's gradient on one batch. */
function lossAndGradients(x: Float32Array, withSecond: boolean): () => tf.Tensor[] {
  return () => {
    const input = tf.input({ shape: [6, 8, 1] });
    let h = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: "same", useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
    if (withSecond) h = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), biasInitializer: "ones" }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const batch = tf.tensor4d(x, [4, 6, 8, 1]);
    const { value, grads } = tf.variableGrads(() => (model.apply(batch, { training: true }) as tf.Tensor).square().mean() as tf.Scalar);
    return [value, ...model.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name])];
  };
}

describe("Conv2D layers on wasm", () => {
  test("a first convolution without bias or activation: the plain op, no input gradient, the values of tfjs's fused op on cpu", async () => {
    const x = values(4 * 6 * 8);
    const watched = ["Conv2D", "FusedConv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"];
    const wasm = await on("wasm", watched, lossAndGradients(x, false));
    const cpu = await on("cpu", [], lossAndGradients(x, false));
    expectClose(wasm.outputs, cpu.outputs, 1e-5);
    expect([...wasm.ran].sort()).toEqual(["Conv2D", "Conv2DBackpropFilter"]);
  });

  test("after it, one with bias and ReLU (tfjs's own layer code): the first's output gets its gradient", async () => {
    const x = values(4 * 6 * 8);
    const watched = ["Conv2DBackpropInput"];
    const wasm = await on("wasm", watched, lossAndGradients(x, true));
    const cpu = await on("cpu", [], lossAndGradients(x, true));
    expectClose(wasm.outputs, cpu.outputs, 1e-5);
    expect(wasm.ran.has("Conv2DBackpropInput")).toBe(true);
  });
});
