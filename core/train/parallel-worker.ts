/**
 * The body of a data-parallel training worker (see parallel.ts): rebuild the network from its
 * topology and weights, then for each step copy the current weights in, take the gradients of its
 * part of the batch and write them out.
 */
import type * as TF from "@tensorflow/tfjs";
import { parentPort, workerData } from "node:worker_threads";
import { loadTf } from "../backend.ts";
import { claveLayers } from "../layers/index.ts";
import { mulberry32 } from "../random.ts";
import { ORTHOGONAL_WARNING, quietly } from "../text.ts";
import { installLeanBackward } from "./gradients.ts";
import type { TrainPhaseMessage, TrainStepMessage, TrainWorkerData, TrainWorkerReply } from "./parallel.ts";
import { DenseGraphStep } from "./dense-graph.ts";
import { StepGradients, type Stepper } from "./step.ts";
import { valuesOf } from "./tensor-values.ts";

interface Phase {
  readonly stepper: Stepper;
  readonly variables: TF.Variable[];
  readonly weights: Float32Array;
  readonly grads: Float32Array;
  readonly x: Float32Array;
  readonly targets: Float32Array[];
  readonly control: Int32Array;
  readonly exampleShape: readonly number[];
  readonly targetSizes: readonly number[];
  readonly classWeights?: TF.Tensor;
}

/** Serve steps on `parentPort`. Called in the worker by the bootstrap with clave's library entry. */
export async function runTrainWorker(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("runTrainWorker: not in a worker thread");
  const data = workerData as TrainWorkerData;
  const reply = (message: TrainWorkerReply) => port.postMessage(message);
  process.env.CLAVE_BACKEND = data.backend;
  const tf = await loadTf();
  if (tf.getBackend() !== data.backend) throw new Error(`backend ${tf.getBackend()}, not the calling thread's ${data.backend}`);
  installLeanBackward(tf);
  claveLayers(tf);
  // Dropout masks: this worker's own seeded stream.
  Math.random = mulberry32(data.seed);
  // Building a network from its topology runs its initialisers again.
  const network = await quietly(ORTHOGONAL_WARNING, () => tf.models.modelFromJSON({ modelTopology: data.topology as TF.io.ModelJSON["modelTopology"] }));
  let offset = 0;
  const values = data.weightShapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(data.weights.subarray(offset, offset + size), shape);
    offset += size;
    return t;
  });
  network.setWeights(values);
  tf.dispose(values);

  let phase: Phase | undefined;
  port.on("message", (message: TrainPhaseMessage | TrainStepMessage) => {
    try {
      if (message.type === "phase") {
        if (phase) tf.dispose(phase.classWeights);
        phase = setUp(tf, network, message);
        reply({ type: "phase-ready" });
      } else if (message.type === "step") {
        if (!phase) throw new Error("a step before any phase");
        reply({ type: "done", step: message.step, values: step(tf, phase, message) });
      }
    } catch (error) {
      const e = error as Error;
      reply({ type: "fatal", reason: e.message, ...(e.stack ? { stack: e.stack } : {}) });
    }
  });
  reply({ type: "ready" });
}

function setUp(tf: typeof TF, network: TF.LayersModel, message: TrainPhaseMessage): Phase {
  const trainable = new Set(message.trainable);
  for (const layer of network.layers) layer.trainable = trainable.has(layer.name);
  for (const [name, all] of Object.entries(message.layerWeights)) {
    const layer = network.getLayer(name);
    let offset = 0;
    const values = layer.weights.map((w) => {
      const shape = w.shape.map((d) => d ?? 1);
      const t = tf.tensor(all.subarray(offset, offset + shape.reduce((a, b) => a * b, 1)), shape);
      offset += t.size;
      return t;
    });
    if (offset !== all.length) throw new Error(`layer ${name}: ${all.length} weights sent, ${offset} in the replica`);
    layer.setWeights(values);
    tf.dispose(values);
  }
  const outputs = message.losses.map((l) => network.getLayer(l.output).output as TF.SymbolicTensor);
  const names = network.outputs.map((o) => o.sourceLayer.name);
  const same = outputs.length === names.length && message.losses.every((l, i) => names[i] === l.output);
  const net = same ? network : tf.model({ inputs: network.inputs, outputs });
  const classWeights = message.classWeights ? tf.tensor1d([...message.classWeights]) : undefined;
  const stepper: Stepper = DenseGraphStep.compile(tf, net, message.losses, message.classWeights ?? undefined) ?? new StepGradients(tf, net, message.losses, classWeights);
  const variables = stepper.variables();
  const sizes = variables.map((v) => v.size);
  if (sizes.length !== message.variableSizes.length || sizes.some((s, i) => s !== message.variableSizes[i])) {
    throw new Error(`the replica's trainable variables (${sizes.join(", ")}) differ from the calling thread's (${message.variableSizes.join(", ")})`);
  }
  return {
    stepper,
    variables,
    weights: new Float32Array(message.weights),
    grads: new Float32Array(message.grads),
    x: new Float32Array(message.x),
    targets: message.targets.map((t) => new Float32Array(t)),
    control: new Int32Array(message.control),
    exampleShape: message.exampleShape,
    targetSizes: message.targetSizes,
    ...(classWeights ? { classWeights } : {}),
  };
}

function step(tf: typeof TF, phase: Phase, message: TrainStepMessage) {
  // Pairs with the calling thread's store after it wrote the weights and this part.
  if (Atomics.load(phase.control, 0) !== message.step) throw new Error(`step ${message.step}: the data is not there`);
  const m = message.m;
  let offset = 0;
  for (const v of phase.variables) {
    const value = tf.tensor(phase.weights.subarray(offset, offset + v.size), v.shape);
    v.assign(value);
    value.dispose();
    offset += v.size;
  }
  const exampleSize = phase.exampleShape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(phase.x.subarray(0, m * exampleSize), [m, ...phase.exampleShape]);
  const targets = phase.targets.map((t, i) => tf.tensor2d(t.subarray(0, m * phase.targetSizes[i]), [m, phase.targetSizes[i]]));
  try {
    const { grads, values } = phase.stepper.gradients(x, targets);
    offset = 0;
    grads.forEach((g, i) => {
      phase.grads.set(valuesOf(tf, g), offset);
      offset += phase.variables[i].size;
    });
    tf.dispose(grads);
    Atomics.store(phase.control, 1, message.step);
    return values;
  } finally {
    tf.dispose([x, ...targets]);
  }
}
