/**
 * The direct step of dense networks (core/train/dense-graph.ts) against the engine's step
 * (core/train/step.ts) on the same network, batch and weights: the same loss, accuracy and
 * gradients to float rounding, for every shape of network it takes (tanh and ReLU stacks with L2,
 * the autoencoders' two outputs and fan-out, a softmax activation layer, class weights, frozen
 * layers, inputs flattened); and it declines what it does not cover.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import type * as TF from "@tensorflow/tfjs";
import { loadTf } from "../../core/backend.ts";
import { registerClaveKernels } from "../../core/kernels/index.ts";
import { resolveParams } from "../../core/params.ts";
import type { ModelPlugin } from "../../core/plugin.ts";
import type { TfModel } from "../../core/tfmodel.ts";
import { DenseGraphStep } from "../../core/train/dense-graph.ts";
import type { OutputLoss } from "../../core/train/fit.ts";
import { installLeanBackward } from "../../core/train/gradients.ts";
import { StepGradients, type Stepper } from "../../core/train/step.ts";
import { builtinPlugins } from "../../plugins/index.ts";
import { blobs } from "../models/synthetic.ts";

let tf: typeof TF;
beforeAll(async () => {
  tf = await loadTf();
  if (tf.getBackend() !== "wasm") throw new Error(`these tests need the wasm backend, not ${tf.getBackend()}`);
  registerClaveKernels(tf);
  installLeanBackward(tf);
});

const plugin = (name: string) => builtinPlugins.find((p) => p.kind === "model" && p.name === name) as ModelPlugin<never, TfModel>;

async function build(name: string, params: Record<string, unknown>, inputShape: number[], classes = 3): Promise<TF.LayersModel> {
  const p = plugin(name);
  const model = await p.build({ inputShape, nClasses: classes, seed: 3 }, resolveParams(p, params));
  // Standardisation with statistics other than 0 and 1, as after `adapt`.
  const standardize = model.network.layers.find((l) => l.getClassName() === "ClaveStandardize") as unknown as { adapt(data: Float32Array): void } | undefined;
  standardize?.adapt(blobs(40, inputShape.reduce((a, b) => a * b, 1), classes, 11).x.data);
  return model.network;
}

/** A batch: inputs, one-hot labels, and per loss its target (labels, or the standardised input flattened). */
function batch(net: TF.LayersModel, losses: readonly OutputLoss[], n: number, classes: number, shape: number[]) {
  const data = blobs(n, shape.reduce((a, b) => a * b, 1), classes, 5);
  const x = tf.tensor(data.x.data, [n, ...shape]);
  const y = tf.oneHot(tf.tensor1d(data.y, "int32"), classes).toFloat();
  const standardize = net.layers.find((l) => l.getClassName() === "ClaveStandardize");
  const targets = losses.map((l) => (l.loss === "crossentropy" ? y : tf.reshape(standardize ? (standardize.apply(x) as TF.Tensor) : x, [n, -1])));
  return { x, targets, dispose: () => tf.dispose([x, y, ...targets]) };
}

function both(net: TF.LayersModel, losses: readonly OutputLoss[], shape: number[], classes = 3, classWeights?: number[]) {
  const direct = DenseGraphStep.compile(tf, net, losses, classWeights, (why) => {
    throw new Error(`not compiled: ${why}`);
  })!;
  const weights = classWeights ? tf.tensor1d(classWeights) : undefined;
  const engine = new StepGradients(tf, net, losses, weights);
  const b = batch(net, losses, 13, classes, shape);
  const run = (s: Stepper) => {
    const { grads, values } = s.gradients(b.x, b.targets);
    const out = { grads: grads.map((g) => ({ shape: g.shape, data: Array.from(g.dataSync()) })), values };
    tf.dispose(grads);
    return out;
  };
  const before = tf.memory().numTensors;
  const d = run(direct);
  const leaked = tf.memory().numTensors - before;
  const e = run(engine);
  b.dispose();
  weights?.dispose();
  return { d, e, leaked, variables: direct.variables().map((v) => v.name), engineVariables: engine.variables().map((v) => v.name) };
}

/** Equal to float rounding: each gradient within 1e-5 of the engine's largest magnitude in it. */
function expectSame(r: ReturnType<typeof both>) {
  expect(r.leaked).toBe(0);
  expect(r.variables).toEqual(r.engineVariables);
  expect(r.d.grads.length).toBe(r.e.grads.length);
  expect(r.d.grads.length).toBeGreaterThan(0);
  r.d.grads.forEach((g, i) => {
    expect(g.shape).toEqual(r.e.grads[i].shape);
    const scale = Math.max(1e-6, ...r.e.grads[i].data.map(Math.abs));
    const worst = Math.max(...g.data.map((v, j) => Math.abs(v - r.e.grads[i].data[j])));
    expect(worst / scale).toBeLessThan(1e-5);
  });
  expect(r.d.values.loss).toBeCloseTo(r.e.values.loss, 5);
  r.d.values.outputs.forEach((v, i) => expect(v).toBeCloseTo(r.e.values.outputs[i], 5));
  if (Number.isNaN(r.e.values.acc)) expect(r.d.values.acc).toBeNaN();
  else expect(r.d.values.acc).toBeCloseTo(r.e.values.acc, 6);
}

const CE: OutputLoss[] = [{ output: "probabilities", loss: "crossentropy", weight: 1 }];

describe("the direct step of dense networks equals the engine's", () => {
  test("dense2 (tanh), inputs of rank 2 flattened", async () => {
    const net = await build("dense2", {}, [4, 5]);
    expectSame(both(net, CE, [4, 5]));
    net.dispose();
  });

  test("mlp: ReLU stack with an L2 penalty on every hidden kernel, class weights", async () => {
    const net = await build("mlp", { hidden_units: [16, 8], l2: 0.01 }, [12]);
    expectSame(both(net, CE, [12], 3, [0.5, 2, 1.25]));
    net.dispose();
  });

  test("softmax_autoencoder: two weighted losses, the code feeding the decoder and the classifier, a softmax layer", async () => {
    const net = await build("softmax_autoencoder", { encoder_units: [10], code_units: 4, activation: "elu" }, [12]);
    const losses: OutputLoss[] = [
      { output: "probabilities", loss: "crossentropy", weight: 0.1 },
      { output: "reconstruction", loss: "mse", weight: 0.9 },
    ];
    expectSame(both(net, losses, [12]));
    net.dispose();
  });

  test("autoencoder: reconstruction alone, then the classifier with the encoder frozen", async () => {
    const network = await build("autoencoder", { encoder_units: [10], code_units: 4, activation: "sigmoid" }, [12]);
    const recon: OutputLoss[] = [{ output: "reconstruction", loss: "mse", weight: 1 }];
    expectSame(both(tf.model({ inputs: network.inputs, outputs: [network.getLayer("reconstruction").output as TF.SymbolicTensor] }), recon, [12]));
    for (const name of ["encoder_1", "code"]) network.getLayer(name).trainable = false;
    const classify = tf.model({ inputs: network.inputs, outputs: [network.getLayer("probabilities").output as TF.SymbolicTensor] });
    const r = both(classify, CE, [12]);
    // Only the logits layer trains: its kernel and bias.
    expect(r.variables.length).toBe(2);
    expectSame(r);
    network.dispose();
  });
});

describe("what the direct step declines", () => {
  test("dropout, convolutions and a dense layer over a sequence go to the engine, with the reason", async () => {
    const reasons: string[] = [];
    const dropout = await build("mlp", { hidden_units: [8], dropout: 0.2 }, [12]);
    expect(DenseGraphStep.compile(tf, dropout, CE, undefined, (r) => reasons.push(r))).toBeUndefined();
    const cnn = await build("cnn2d", { filters: [4], dense_units: 8 }, [16, 16]);
    expect(DenseGraphStep.compile(tf, cnn, CE, undefined, (r) => reasons.push(r))).toBeUndefined();
    // A dense layer over each step of a sequence (its input of rank 3).
    const input = tf.input({ shape: [5, 4] });
    const steps = tf.layers.dense({ units: 3, activation: "softmax", name: "probabilities" }).apply(input) as TF.SymbolicTensor;
    const sequence = tf.model({ inputs: input, outputs: steps });
    expect(DenseGraphStep.compile(tf, sequence, CE, undefined, (r) => reasons.push(r))).toBeUndefined();
    expect(reasons[0]).toContain("dropout");
    expect(reasons[1]).toMatch(/Conv2D|Reshape|layer/);
    expect(reasons[2]).toContain("rank 2 per example");
    dropout.dispose();
    cnn.dispose();
    sequence.dispose();
  });
});
