/**
 * A leaner backward pass for tfjs: the same gradients, with memory given back as the pass goes, as
 * PyTorch's autograd does. Stock tfjs 4.x (`engine.gradients`) keeps until the whole backward pass
 * has ended every forward tensor saved for a gradient, the gradient of every intermediate tensor, and
 * whatever a gradient function computes outside its per-input closures (batch norm's centred input,
 * scaled gradient and tiled scale: several copies of each activation). Training a 4-block CNN with
 * batch norm on 32 log-mel images of 128 x 130 peaked at 2.6 GB of tensors that way; here a node's
 * saved tensors and its outputs' gradients are released as soon as the node has been differentiated,
 * and each node's gradient runs in its own scope that keeps only the gradients of its inputs.
 *
 * Three gradients are replaced too. Batch norm's (kernel `FusedBatchNorm`) broadcasts its
 * per-channel factors rather than tiling them over the whole activation, and shares the one
 * reduction Σ dy·(x − μ) between the scale and variance gradients. Sum's and Mean's broadcast dy
 * against a tensor filled on the backend, where tfjs's multiply it by `ones(x.shape)` made as a
 * JavaScript array: batch norm's statistics (two means per layer) made ~240 MB of such arrays each
 * step of the CNN above, garbage the collector of Bun's engine left for later.
 *
 * An output nothing downstream differentiates gets zeros as its gradient, filled on the backend,
 * where tfjs made each as a JavaScript array and copied it in; none at all for a kernel whose
 * gradient config says it reads only its first output's (FirstOutputGradConfig).
 *
 * Nested gradients (a gradient taken inside a gradient function) use the stock pass.
 */
import type * as TF from "@tensorflow/tfjs";

type Tf = typeof TF;

/**
 * A gradient config whose function reads only the gradient of the kernel's first output: a fused
 * kernel whose other outputs are states saved for its backward pass (core/kernels/rnn.ts). The
 * backward pass hands it a scalar in place of the others' gradients, which tfjs would make as
 * zeros the size of each state: for a bidirectional LSTM over 130 steps, 6 MB a step.
 */
export interface FirstOutputGradConfig extends TF.GradConfig {
  readonly firstOutputOnly: true;
}

/** Whether `kernelName`'s registered gradient reads only its first output's gradient. */
function readsFirstOutputOnly(tf: Tf, kernelName: string): boolean {
  return (tf.getGradient(kernelName) as Partial<FirstOutputGradConfig> | undefined)?.firstOutputOnly === true;
}

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, TF.Tensor>;
  outputs: TF.Tensor[];
  gradient?: (dys: (TF.Tensor | null)[]) => Record<string, () => TF.Tensor>;
  saved?: (TF.Tensor | null | undefined)[];
}

type Gradients = (
  f: () => TF.Tensor,
  xs: TF.Tensor[],
  dy?: TF.Tensor,
  allowNoGradients?: boolean,
) => { value: TF.Tensor; grads: TF.Tensor[] };

interface Engine {
  state: { gradientDepth: number; activeTape: TapeNode[] | null };
  gradients: Gradients;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends TF.TensorContainer>(name: string | (() => T), f?: () => T): T;
}

interface Installed {
  readonly gradients: Gradients;
  /** The stock gradient configs replaced, by kernel name. */
  readonly configs: ReadonlyMap<string, TF.GradConfig | undefined>;
}

const installed = new WeakMap<object, Installed>();

/** The tape nodes on a path from `xs` to `y`, inputs not from `xs` pruned (tfjs's getFilteredNodesXToY). */
function nodesFromXsToY(tape: readonly TapeNode[], xs: readonly TF.Tensor[], y: TF.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      for (const output of node.outputs) fromX.add(output.id);
      nodesFromX.add(node.id);
    }
  }
  const toY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => toY.has(o.id))) {
      for (const input of Object.values(node.inputs)) toY.add(input.id);
      nodesToY.add(node.id);
    }
  }
  const filtered: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, TF.Tensor> = {};
    for (const [name, input] of Object.entries(node.inputs)) if (fromX.has(input.id)) inputs[name] = input;
    filtered.push({ ...node, inputs });
  }
  return filtered;
}

function disposeSaved(node: TapeNode): void {
  for (const t of node.saved ?? []) t?.dispose();
}

/** The batch-norm gradient with broadcast factors; the same partial derivatives as tfjs's. */
function batchNormGradient(tf: Tf): TF.GradConfig {
  return {
    kernelName: "FusedBatchNorm",
    inputsToSave: ["x", "mean", "variance", "scale"],
    gradFunc: (dy, saved, attrs) => {
      const g = dy as TF.Tensor;
      const [x, mean, variance, scale] = saved;
      const epsilon = (attrs as { varianceEpsilon: number }).varianceEpsilon;
      const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
      // 1/σ and γ/σ, per channel (mean's shape, broadcast against x).
      const inverse = tf.rsqrt(tf.add(variance, epsilon));
      const factor = scale ? tf.mul(inverse, scale) : inverse;
      const reduce = (t: TF.Tensor) => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
      // Σ dy·(x − μ) over the reduced axes, shared by the scale and variance gradients; its
      // full-size intermediates end with the tidy.
      const dyCentred = tf.tidy(() => reduce(tf.mul(g, tf.sub(x, mean))));
      return {
        x: () => tf.reshape(tf.mul(g, factor), x.shape),
        mean: () => tf.neg(tf.mul(reduce(g), factor)),
        // ∂/∂σ² of γ(x − μ)/√(σ² + ε) + β: −½ γ (σ² + ε)^(−3/2) (x − μ)
        variance: () => tf.mul(dyCentred, tf.mul(tf.mul(factor, tf.square(inverse)), -0.5)),
        scale: () => tf.mul(dyCentred, inverse),
        offset: () => reduce(g),
      };
    },
  };
}

/** Sum's or Mean's gradient: dy broadcast over the reduced axes (÷ their size for Mean). */
function reductionGradient(tf: Tf, kernelName: "Sum" | "Mean"): TF.GradConfig {
  return {
    kernelName,
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const size = kernelName === "Mean" ? axes.reduce((n, a) => n * x.shape[a], 1) : 1;
      return { x: () => tf.mul(tf.reshape(dy as TF.Tensor, expanded), tf.fill(x.shape, 1 / size)) };
    },
  };
}

/**
 * Use the lean backward pass and batch-norm gradient in `tf` (idempotent). They replace tfjs's for
 * every gradient taken from then on, in and out of clave's training.
 */
export function installLeanBackward(tf: Tf): void {
  const engine = tf.engine() as unknown as Engine;
  if (installed.has(engine)) return;
  const stock = engine.gradients;
  const replacements = [batchNormGradient(tf), reductionGradient(tf, "Sum"), reductionGradient(tf, "Mean")];
  installed.set(engine, { gradients: stock, configs: new Map(replacements.map((g) => [g.kernelName, tf.getGradient(g.kernelName)])) });
  for (const g of replacements) tf.registerGradient(g);

  engine.gradients = function (this: Engine, f, xs, dy, allowNoGradients = false) {
    if (this.state.gradientDepth !== 0) return stock.call(this, f, xs, dy, allowNoGradients);
    if (dy != null && dy.dtype !== "float32") throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
    const y = this.scopedRun(
      () => this.startTape(),
      () => this.endTape(),
      () => this.tidy("forward", f),
    );
    const tape = this.state.activeTape ?? [];
    const filtered = nodesFromXsToY(tape, xs, y);
    if (!allowNoGradients && filtered.length === 0 && xs.length > 0) {
      throw new Error("Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.");
    }
    const keepIds = new Set(xs.map((x) => x.id));
    return this.tidy("backward", () => {
      const accumulated = new Map<number, TF.Tensor>();
      const seed = dy ?? tf.onesLike(y);
      accumulated.set(y.id, seed);
      let unread: TF.Tensor | undefined;
      for (let i = filtered.length - 1; i >= 0; i--) {
        const node = filtered[i];
        if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
        const names = Object.keys(node.inputs);
        const firstOnly = node.outputs.length > 1 && readsFirstOutputOnly(tf, node.kernelName);
        // Made in this pass's scope, not the node's below, so that it outlives the node.
        if (firstOnly) unread ??= tf.scalar(0);
        // Everything the gradient function makes besides the input gradients ends with this scope.
        const dxs = this.tidy(() => {
          const dys = node.outputs.map((o, k) => {
            const grad = accumulated.get(o.id);
            if (grad) return grad;
            if (firstOnly && k > 0) return unread!;
            return tf.fill(o.shape, 0, o.dtype);
          });
          const fns = node.gradient!(dys);
          const out: Record<string, TF.Tensor> = {};
          for (const name of names) {
            if (!(name in fns)) throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(fns)}.`);
            out[name] = fns[name]();
          }
          return out;
        });
        for (const name of names) {
          const dx = dxs[name];
          const x = node.inputs[name];
          if (dx.dtype !== "float32") {
            throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
          }
          if (dx.shape.length !== x.shape.length || dx.shape.some((d, k) => d !== x.shape[k])) {
            throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
          }
          const current = accumulated.get(x.id);
          if (!current) {
            accumulated.set(x.id, dx);
          } else {
            accumulated.set(x.id, tf.add(current, dx));
            const live = new Set(accumulated.values());
            if (!live.has(current)) current.dispose();
            if (!live.has(dx)) dx.dispose();
          }
        }
        // This node alone made its outputs: their gradients and its saved tensors are done with
        // (unless a gradient function passed an output's gradient on as an input's, the same tensor).
        const done: TF.Tensor[] = [];
        for (const o of node.outputs) {
          const grad = accumulated.get(o.id);
          if (!grad || keepIds.has(o.id)) continue;
          accumulated.delete(o.id);
          if (grad !== dy) done.push(grad);
        }
        if (done.length > 0) {
          const live = new Set(accumulated.values());
          for (const grad of done) if (!live.has(grad)) grad.dispose();
        }
        disposeSaved(node);
      }
      const grads = xs.map((x) => accumulated.get(x.id)!);
      for (const node of tape) disposeSaved(node);
      this.state.activeTape = null;
      return { value: y, grads } as unknown as TF.TensorContainer;
    }) as unknown as { value: TF.Tensor; grads: TF.Tensor[] };
  };
}

/** Back to tfjs's own backward pass and gradients (for comparisons). */
export function uninstallLeanBackward(tf: Tf): void {
  const engine = tf.engine() as unknown as Engine;
  const stock = installed.get(engine);
  if (!stock) return;
  engine.gradients = stock.gradients;
  for (const config of stock.configs.values()) if (config) tf.registerGradient(config);
  installed.delete(engine);
}
