/**
 * One training step of a network of dense layers run on the wasm backend's kernels directly, past
 * tfjs's engine: the same kernels `StepGradients` (core/train/step.ts) reaches through the engine
 * (clave's fused dense layer, losses, accuracy, weight penalty and standardisation), called in
 * the same order on the same data, so the gradients are the same to float rounding.
 *
 * Why: a step of the small dense networks (dense2, mlp, the autoencoders) at batch 32 takes well
 * under a millisecond of arithmetic, and the engine's bookkeeping around each of its 40–100 kernel
 * calls (tensor objects, the tape, scopes, the layers' `apply`) was a third of the step again, plus
 * the garbage the collector's threads then spent as much time on. Here a step makes a few dozen
 * small objects.
 *
 * Which networks: every layer one of Input, clave's Standardize (with nothing trained before it),
 * Flatten, Dense (an activation the fused kernel knows; no bias regulariser, activity regulariser or
 * constraint; a kernel regulariser only L1L2), Dropout of rate 0, and Activation (softmax or
 * linear); each layer called once, on one input; the losses are on layers of the network.
 * Anything else (dropout, convolutions, a shared layer, the cpu backend, clave's kernels not
 * registered) is stepped by `StepGradients`: `denseGraphStep` returns undefined for it.
 */
import type * as TF from "@tensorflow/tfjs";
import { ACCURACY, CROSS_ENTROPY, CROSS_ENTROPY_GRAD, SQUARED_ERROR, SQUARED_ERROR_GRAD, type LossAttrs, type LossGradAttrs } from "../kernels/losses.ts";
import { DENSE, DENSE_ACTIVATIONS, DENSE_GRAD, type DenseActivation, type DenseAttrs, type DenseGradAttrs } from "../kernels/dense.ts";
import { PENALTY, PENALTY_GRAD, type PenaltyAttrs } from "../kernels/penalty.ts";
import { STANDARDIZE } from "../kernels/standardize.ts";
import { f32, type TensorInfo, type WasmBackend, type WasmKernelFunc } from "../kernels/wasm.ts";
import type { OutputLoss } from "./fit.ts";
import type { StepValues } from "./step.ts";

type Tf = typeof TF;

interface LayerVariableLike {
  read(): TF.Variable;
  readonly shape: number[];
}

interface RegularizerLike {
  getClassName(): string;
  l1?: number;
  l2?: number;
}

interface LayerLike {
  name: string;
  trainable: boolean;
  trainableWeights: LayerVariableLike[];
  getClassName(): string;
  inboundNodes: { inboundLayers: LayerLike[] }[];
  outputShape: (number | null)[] | (number | null)[][];
  // Dense
  activation?: { getClassName(): string } | null;
  kernel?: LayerVariableLike;
  bias?: LayerVariableLike | null;
  kernelRegularizer?: RegularizerLike | null;
  biasRegularizer?: RegularizerLike | null;
  activityRegularizer?: RegularizerLike | null;
  kernelConstraint?: unknown;
  biasConstraint?: unknown;
  // Dropout
  rate?: number;
  // Standardize
  mean?: LayerVariableLike;
  std?: LayerVariableLike;
}

/** One layer of the step's plan. */
type Node =
  | { kind: "input"; layer: LayerLike }
  | { kind: "alias"; layer: LayerLike; input: number; flatten: boolean }
  | { kind: "standardize"; layer: LayerLike; input: number }
  | { kind: "dense"; layer: LayerLike; input: number; activation: DenseActivation; trains: boolean; penalty?: PenaltyAttrs; inputGradient: boolean }
  | { kind: "softmax"; layer: LayerLike; input: number; inputGradient: boolean };

const kernelsUsed = [DENSE, DENSE_GRAD, CROSS_ENTROPY, CROSS_ENTROPY_GRAD, SQUARED_ERROR, SQUARED_ERROR_GRAD, ACCURACY, PENALTY, PENALTY_GRAD, STANDARDIZE, "Softmax"];

/** The plan of `net`'s layers, or why it cannot be stepped directly. */
function plan(net: TF.LayersModel): Node[] | string {
  const layers = net.layers as unknown as LayerLike[];
  const index = new Map<LayerLike, number>();
  const nodes: Node[] = [];
  /** Whether a node's output depends on a trained variable. */
  const trained: boolean[] = [];
  for (const layer of layers) {
    const cls = layer.getClassName();
    if (layer.inboundNodes.length !== 1) return `layer ${layer.name} is called ${layer.inboundNodes.length} times`;
    const inbound = layer.inboundNodes[0].inboundLayers;
    let input = -1;
    if (cls !== "InputLayer") {
      if (inbound.length !== 1 || !index.has(inbound[0])) return `layer ${layer.name} does not take one input of the network`;
      input = index.get(inbound[0])!;
    }
    let node: Node;
    switch (cls) {
      case "InputLayer":
        node = { kind: "input", layer };
        break;
      case "Flatten":
        node = { kind: "alias", layer, input, flatten: true };
        break;
      case "Dropout":
        if (layer.rate !== 0) return `layer ${layer.name}: dropout`;
        node = { kind: "alias", layer, input, flatten: false };
        break;
      case "ClaveStandardize":
        if (trained[input]) return `layer ${layer.name}: standardisation after a trained layer`;
        node = { kind: "standardize", layer, input };
        break;
      case "Activation": {
        const activation = layer.activation?.getClassName();
        if (activation === "linear") node = { kind: "alias", layer, input, flatten: false };
        else if (activation === "softmax") node = { kind: "softmax", layer, input, inputGradient: trained[input] };
        else return `layer ${layer.name}: activation ${activation}`;
        break;
      }
      case "Dense": {
        const inputRank = (inbound[0].outputShape as unknown[]).length;
        if (inputRank !== 2) return `layer ${layer.name}: dense over an input of rank ${inputRank - 1} per example`;
        const activation = layer.activation ? layer.activation.getClassName() : "linear";
        if (!(DENSE_ACTIVATIONS as readonly string[]).includes(activation)) return `layer ${layer.name}: activation ${activation}`;
        if (layer.biasRegularizer || layer.activityRegularizer || layer.kernelConstraint || layer.biasConstraint) return `layer ${layer.name}: a bias or activity regulariser or a constraint`;
        const regularizer = layer.kernelRegularizer;
        if (regularizer && regularizer.getClassName() !== "L1L2") return `layer ${layer.name}: regulariser ${regularizer.getClassName()}`;
        const trains = layer.trainable && layer.trainableWeights.length > 0;
        node = {
          kind: "dense",
          layer,
          input,
          activation: activation as DenseActivation,
          trains,
          inputGradient: trained[input],
          ...(regularizer ? { penalty: { l1: regularizer.l1 ?? 0, l2: regularizer.l2 ?? 0 } } : {}),
        };
        break;
      }
      default:
        return `layer ${layer.name}: ${cls}`;
    }
    if (node.kind !== "dense" && layer.trainable && layer.trainableWeights.length > 0) return `layer ${layer.name} has trained weights`;
    trained.push(node.kind === "dense" ? node.trains || trained[input] : input >= 0 && trained[input]);
    index.set(layer, nodes.length);
    nodes.push(node);
  }
  if (nodes.filter((n) => n.kind === "input").length !== 1) return "not one input";
  return nodes;
}

/**
 * Floating-point operations of one training step of `net` on `batch` examples, when it is a network
 * of dense layers the direct step takes (undefined otherwise): each kernel's multiply-adds, forward
 * and both gradients (6 per weight per example).
 */
export function denseStepFlop(net: TF.LayersModel, batch: number): number | undefined {
  const nodes = plan(net);
  if (typeof nodes === "string") return undefined;
  let weights = 0;
  for (const n of nodes) if (n.kind === "dense" && n.layer.kernel) weights += n.layer.kernel.shape.reduce((a, b) => a * b, 1);
  return 6 * weights * batch;
}

/** The trained variables of `net` (a layers model's), in tfjs's order. */
const trainableOf = (net: TF.LayersModel): LayerVariableLike[] => (net as unknown as { trainableWeights: LayerVariableLike[] }).trainableWeights;

/** a + b as a new heap tensor, in float32 (as tfjs's Add, which the engine's backward pass sums with). */
function sum(backend: WasmBackend, a: TensorInfo, b: TensorInfo): TensorInfo {
  const out = backend.makeOutput(a.shape, "float32");
  const [av, bv, ov] = [a, b, out].map((t) => f32(backend, t));
  for (let j = 0; j < ov.length; j++) ov[j] = Math.fround(av[j] + bv[j]);
  return out;
}

const info = (t: TF.Tensor): TensorInfo => ({ dataId: t.dataId as object, shape: t.shape.slice(), dtype: t.dtype });

/** A training net of dense layers with its phase's losses, stepped on the kernels directly. */
export class DenseGraphStep {
  private readonly kernels: Record<string, WasmKernelFunc>;
  private readonly outputs: number[];
  private readonly probs: number;

  private constructor(
    private readonly tf: Tf,
    private readonly net: TF.LayersModel,
    private readonly nodes: Node[],
    private readonly losses: readonly OutputLoss[],
    private readonly classWeights: Float32Array | undefined,
  ) {
    this.kernels = Object.fromEntries(kernelsUsed.map((name) => [name, tf.getKernel(name, "wasm")!.kernelFunc as unknown as WasmKernelFunc]));
    const byName = new Map(nodes.map((n, i) => [n.layer.name, i]));
    this.outputs = losses.map((l) => byName.get(l.output)!);
    this.probs = losses.findIndex((l) => l.loss === "crossentropy");
  }

  /**
   * The direct step of `net` with `losses` (each the name of one of its layers), or undefined when
   * it has a layer, a backend or a kernel this step does not cover (the reason goes to `why`).
   */
  static compile(tf: Tf, net: TF.LayersModel, losses: readonly OutputLoss[], classWeights?: readonly number[], why?: (reason: string) => void): DenseGraphStep | undefined {
    const refuse = (reason: string) => {
      why?.(reason);
      return undefined;
    };
    if (tf.getBackend() !== "wasm") return refuse(`backend ${tf.getBackend()}`);
    const missing = kernelsUsed.filter((name) => tf.getKernel(name, "wasm") === undefined);
    if (missing.length > 0) return refuse(`kernels ${missing.join(", ")} not registered`);
    const nodes = plan(net);
    if (typeof nodes === "string") return refuse(nodes);
    const names = new Set(nodes.map((n) => n.layer.name));
    const unknown = losses.find((l) => !names.has(l.output));
    if (unknown) return refuse(`output ${unknown.output} is not a layer of the network`);
    // Every trained variable must be a dense layer's kernel or bias.
    const covered = new Set<LayerVariableLike>();
    for (const n of nodes) if (n.kind === "dense" && n.trains) for (const w of n.layer.trainableWeights) covered.add(w);
    if (trainableOf(net).some((w) => !covered.has(w))) return refuse("a trained variable outside the dense layers");
    return new DenseGraphStep(tf, net, nodes, losses, classWeights ? Float32Array.from(classWeights) : undefined);
  }

  /** The variables gradients are taken for, in the order `gradients` returns them. */
  variables(): TF.Variable[] {
    return trainableOf(this.net).map((w) => w.read());
  }

  /**
   * Loss, metrics and the gradient of each trainable variable (the caller disposes them) of one
   * batch `x` with a target per loss; the same values as `StepGradients.gradients`.
   */
  gradients(x: TF.Tensor, targets: readonly TF.Tensor[]): { grads: TF.Tensor[]; values: StepValues } {
    const tf = this.tf;
    const backend = tf.backend() as unknown as WasmBackend;
    const k = this.kernels;
    const run = (name: string, inputs: Record<string, TensorInfo>, attrs: object = {}) => k[name]({ inputs, backend, attrs });
    const one = (name: string, inputs: Record<string, TensorInfo>, attrs: object = {}) => run(name, inputs, attrs) as TensorInfo;
    const owned: TensorInfo[] = [];
    const own = <T extends TensorInfo>(t: T): T => {
      owned.push(t);
      return t;
    };
    const B = x.shape[0];
    // Gradients made but not yet handed over as tensors (freed if the step fails).
    const weightGrads = new Map<LayerVariableLike, TensorInfo>();
    try {
      // Forward, layer by layer; `values[i]` is node i's output.
      const values: TensorInfo[] = [];
      for (const node of this.nodes) {
        switch (node.kind) {
          case "input":
            values.push(info(x));
            break;
          case "alias": {
            const from = values[node.input];
            values.push(node.flatten ? { ...from, shape: [from.shape[0], from.shape.slice(1).reduce((a, b) => a * b, 1)] } : from);
            break;
          }
          case "standardize":
            values.push(own(one(STANDARDIZE, { x: values[node.input], mean: info(node.layer.mean!.read()), std: info(node.layer.std!.read()) })));
            break;
          case "dense": {
            const input = values[node.input];
            if (input.shape.length !== 2) throw new Error(`${node.layer.name}: input of rank ${input.shape.length}`);
            const inputs: Record<string, TensorInfo> = { x: input, kernel: info(node.layer.kernel!.read()) };
            if (node.layer.bias) inputs.bias = info(node.layer.bias.read());
            const attrs: DenseAttrs = { activation: node.activation };
            values.push(own(one(DENSE, inputs, attrs)));
            break;
          }
          case "softmax":
            values.push(own(one("Softmax", { logits: values[node.input] }, { dim: values[node.input].shape.length - 1 })));
            break;
        }
      }

      // Losses: Σ_i mean_b(L_i) (+ penalties); each mean's gradient 1/B per example (× class weight).
      const targetInfos = targets.map(info);
      const inv = Math.fround(1 / B);
      const outputs: number[] = [];
      const dOut = new Map<number, TensorInfo>();
      let total = 0;
      this.losses.forEach((loss, i) => {
        const p = values[this.outputs[i]];
        const t = targetInfos[i];
        const attrs: LossAttrs = { weight: loss.weight };
        const perExample = own(one(loss.loss === "crossentropy" ? CROSS_ENTROPY : SQUARED_ERROR, { yTrue: t, yPred: p }, attrs));
        const dy = own(backend.makeOutput([B], "float32"));
        const cw = loss.loss === "crossentropy" ? this.labelWeights(backend, t) : undefined;
        const lv = f32(backend, perExample);
        const dv = f32(backend, dy);
        let sum = 0;
        for (let b = 0; b < B; b++) {
          sum += cw ? Math.fround(lv[b] * cw[b]) : lv[b];
          dv[b] = cw ? Math.fround(inv * cw[b]) : inv;
        }
        outputs.push(sum / B);
        total += sum / B;
        const gradAttrs: LossGradAttrs = { weight: loss.weight, wrt: "yPred" };
        this.accumulate(backend, dOut, this.outputs[i], own(one(loss.loss === "crossentropy" ? CROSS_ENTROPY_GRAD : SQUARED_ERROR_GRAD, { dy, yTrue: t, yPred: p }, gradAttrs)), owned);
      });
      let acc = Number.NaN;
      if (this.probs >= 0) {
        const hits = f32(backend, own(one(ACCURACY, { yTrue: targetInfos[this.probs], yPred: values[this.outputs[this.probs]] })));
        let sum = 0;
        for (let b = 0; b < B; b++) sum += hits[b];
        acc = sum / B;
      }

      // Backward, in reverse; a dense layer's weight gradients (with its penalty's) and, when
      // something trained lies before it, its input's gradient.
      const one1 = own(backend.makeOutput([], "float32"));
      f32(backend, one1)[0] = 1;
      for (let i = this.nodes.length - 1; i >= 0; i--) {
        const node = this.nodes[i];
        if (node.kind === "dense" && node.penalty) {
          // Every layer's penalty counts in the loss (tfjs's calculateLosses); trained ones get its gradient.
          const kernel = info(node.layer.kernel!.read());
          total += f32(backend, own(one(PENALTY, { x: kernel }, node.penalty)))[0];
        }
        const dy = dOut.get(i);
        if (!dy) continue;
        switch (node.kind) {
          case "alias":
            this.accumulate(backend, dOut, node.input, { ...dy, shape: values[node.input].shape }, owned);
            break;
          case "softmax": {
            if (!node.inputGradient) break;
            // tfjs's Softmax gradient: dy·y − (Σ dy·y)·y, per row, in float32.
            const y = values[i];
            const dz = own(backend.makeOutput(y.shape, "float32"));
            const yv = f32(backend, y);
            const dv = f32(backend, dy);
            const zv = f32(backend, dz);
            const C = y.shape[y.shape.length - 1];
            for (let row = 0; row < yv.length; row += C) {
              let dot = 0;
              for (let j = row; j < row + C; j++) dot = Math.fround(dot + Math.fround(dv[j] * yv[j]));
              for (let j = row; j < row + C; j++) zv[j] = Math.fround(Math.fround(dv[j] * yv[j]) - Math.fround(dot * yv[j]));
            }
            this.accumulate(backend, dOut, node.input, dz, owned);
            break;
          }
          case "dense": {
            if (!node.trains && !node.inputGradient) break;
            const kernel = info(node.layer.kernel!.read());
            const attrs: DenseGradAttrs = { activation: node.activation, inputGradient: node.inputGradient, weightGradients: node.trains };
            const grads = run(DENSE_GRAD, { dy, x: values[node.input], kernel, y: values[i] }, attrs) as TensorInfo[];
            let next = 0;
            if (node.trains) {
              let dW = grads[next++];
              const db = grads[next++];
              if (node.penalty) {
                const dPenalty = own(one(PENALTY_GRAD, { dy: one1, x: kernel }, node.penalty));
                dW = sum(backend, own(dW), dPenalty);
              }
              weightGrads.set(node.layer.kernel!, dW);
              if (node.layer.bias) weightGrads.set(node.layer.bias, db);
              else own(db);
            }
            if (node.inputGradient) this.accumulate(backend, dOut, node.input, own(grads[next]), owned);
            break;
          }
        }
      }
      const grads = trainableOf(this.net).map((w) => {
        const g = weightGrads.get(w);
        if (!g) throw new Error(`dense step: no gradient for ${w.read().name}`);
        weightGrads.delete(w);
        return tf.engine().makeTensorFromTensorInfo(g as unknown as Parameters<ReturnType<Tf["engine"]>["makeTensorFromTensorInfo"]>[0]);
      });
      return { grads, values: { loss: total, outputs, acc } };
    } finally {
      for (const t of [...owned, ...weightGrads.values()]) backend.disposeData(t.dataId);
    }
  }

  /** Each example's class weight (Σ_c y_c w_c of its one-hot or mixed target), or undefined without. */
  private labelWeights(backend: WasmBackend, target: TensorInfo): Float32Array | undefined {
    const w = this.classWeights;
    if (!w) return undefined;
    const [B, C] = target.shape;
    const y = f32(backend, target);
    const out = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let c = 0; c < C; c++) s = Math.fround(s + Math.fround(y[b * C + c] * w[c]));
      out[b] = s;
    }
    return out;
  }

  /** Add `grad` to node `i`'s output gradient (a layer whose output feeds several). */
  private accumulate(backend: WasmBackend, dOut: Map<number, TensorInfo>, i: number, grad: TensorInfo, owned: TensorInfo[]): void {
    const current = dOut.get(i);
    if (!current) {
      dOut.set(i, grad);
      return;
    }
    const total = sum(backend, current, grad);
    owned.push(total);
    dOut.set(i, total);
  }
}
