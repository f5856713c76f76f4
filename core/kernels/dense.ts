/**
 * A dense layer's `y = f(x·W + b)` as one wasm kernel, and its backward pass as one more.
 *
 * In training, tfjs-layers' Dense runs a matMul, a bias add and the activation as separate ops (tfjs
 * fuses them only outside gradient mode, and never tanh), and their gradients as ~8 more (the
 * activation's, the bias add's sum and reshapes, two transposed products); each op goes through the
 * engine. For the small dense networks at batch 32 that dispatch, not the arithmetic, was most of a
 * step, and the input gradient of the first layer (dx of the standardised input, which nothing
 * trains) one product in three.
 *
 * `ClaveDense`: inputs x [B, F], kernel [F, U], bias [U] (optional); attr `activation`. One product
 * starting from the bias, in clave's SIMD loop (gemm-simd.ts: XNNPACK would first pack the kernel,
 * a new tensor after every update, which took as long as the product), the activation applied in
 * place after it (tanh in SIMD). Where the loop cannot run, XNNPACK's product with the bias and
 * ReLU's clamp fused.
 * `ClaveDenseGrad`: inputs dy, x, kernel and the forward output y; attrs `activation`,
 * `inputGradient`, `weightGradients`. From dz = dy ⊙ f'(y) (softmax: y ⊙ (dy − Σ dy·y)) it gives,
 * in this order, dW = xᵀ·dz and db = Σ_rows dz when `weightGradients`, and dx = (W·dzᵀ)ᵀ when
 * `inputGradient`: W is never transposed, only batch-sized operands are. The gradient asks for dx
 * only when the backward pass needs it (the input comes from a trained variable).
 *
 * `installFusedDense(tf)` routes tfjs-layers' Dense through the kernel when it applies (wasm with the
 * kernel registered, float32 input of rank 2, an activation below); weights, names and
 * serialisation stay the stock layer's. Differences from tfjs's ops: the bias is added inside the
 * product's accumulation, and the activation's derivative is taken from y in one rounding.
 */
import type * as TF from "@tensorflow/tfjs";
import { elementwiseSimd } from "./elementwise-simd.ts";
import { makeGemm, simdProduct } from "./gemm-simd.ts";
import { tanh } from "./rnn.ts";
import { type ClaveKernel, type KernelArgs, type TensorInfo, type Tf, type WasmBackend, type WasmKernelFunc, f32, release, required } from "./wasm.ts";

export const DENSE = "ClaveDense";
export const DENSE_GRAD = "ClaveDenseGrad";

export const DENSE_ACTIVATIONS = ["linear", "relu", "tanh", "sigmoid", "elu", "softmax"] as const;
export type DenseActivation = (typeof DENSE_ACTIVATIONS)[number];

export interface DenseAttrs {
  activation: DenseActivation;
}

export interface DenseGradAttrs extends DenseAttrs {
  inputGradient: boolean;
  weightGradients: boolean;
}

/** y = f(z) in place over rows of `units` values (`v` a view of the backend's heap). */
function activateInPlace(backend: WasmBackend, v: Float32Array, units: number, activation: DenseActivation): void {
  const n = v.length;
  switch (activation) {
    case "relu":
      for (let i = 0; i < n; i++) if (v[i] < 0) v[i] = 0;
      return;
    case "tanh": {
      // Four lanes at a time where SIMD runs (within 3 ulps), the rest one by one.
      const simd = elementwiseSimd(backend);
      const whole = simd ? n - (n % 4) : 0;
      if (whole > 0) simd!.tanh(v.byteOffset, v.byteOffset, whole * 4);
      for (let i = whole; i < n; i++) v[i] = tanh(v[i]);
      return;
    }
    case "sigmoid":
      for (let i = 0; i < n; i++) v[i] = 1 / (1 + Math.exp(-v[i]));
      return;
    case "elu":
      for (let i = 0; i < n; i++) if (v[i] < 0) v[i] = Math.expm1(v[i]);
      return;
    case "softmax":
      for (let row = 0; row < n; row += units) {
        let max = -Infinity;
        for (let j = row; j < row + units; j++) if (v[j] > max) max = v[j];
        let sum = 0;
        for (let j = row; j < row + units; j++) {
          const e = Math.exp(v[j] - max);
          v[j] = e;
          sum += e;
        }
        for (let j = row; j < row + units; j++) v[j] /= sum;
      }
      return;
    default:
      // linear
      return;
  }
}

/** dz = dy ⊙ f'(y), from the output y. */
function activationGradient(dy: Float32Array, y: Float32Array, dz: Float32Array, units: number, activation: DenseActivation): void {
  const n = dy.length;
  switch (activation) {
    case "linear":
      dz.set(dy);
      return;
    case "relu":
      for (let i = 0; i < n; i++) dz[i] = y[i] > 0 ? dy[i] : 0;
      return;
    case "tanh":
      for (let i = 0; i < n; i++) dz[i] = dy[i] * (1 - y[i] * y[i]);
      return;
    case "sigmoid":
      for (let i = 0; i < n; i++) dz[i] = dy[i] * y[i] * (1 - y[i]);
      return;
    case "elu":
      // tfjs's EluGrad: dy where y ≥ 0, dy·(y + 1) below.
      for (let i = 0; i < n; i++) dz[i] = y[i] >= 0 ? dy[i] : dy[i] * (y[i] + 1);
      return;
    case "softmax":
      for (let row = 0; row < n; row += units) {
        let dot = 0;
        for (let j = row; j < row + units; j++) dot += dy[j] * y[j];
        for (let j = row; j < row + units; j++) dz[j] = y[j] * (dy[j] - dot);
      }
      return;
  }
}

export function makeDenseKernels(stock: (name: string) => WasmKernelFunc | undefined): { forward: WasmKernelFunc; backward: WasmKernelFunc } {
  const fusedMatMul = required(stock, "_FusedMatMul");
  const { gemm, transpose2d: transposed } = makeGemm(stock);

  const forward: WasmKernelFunc = ({ inputs, backend, attrs }: KernelArgs<DenseAttrs>) => {
    const { x, kernel, bias } = inputs;
    const [B, F] = x.shape;
    const U = kernel.shape[1];
    if (kernel.shape[0] !== F) throw new Error(`${DENSE}: input [${x.shape.join(", ")}] and kernel [${kernel.shape.join(", ")}] do not match`);
    const product = backend.makeOutput([B, U], "float32");
    if (simdProduct(backend, x, kernel, product, B, F, U, bias)) {
      activateInPlace(backend, f32(backend, product), U, attrs.activation);
      return product;
    }
    release(backend, product);
    const out = fusedMatMul({
      inputs: {
        a: { dataId: x.dataId, dtype: "float32", shape: [1, B, F] },
        b: { dataId: kernel.dataId, dtype: "float32", shape: [1, F, U] },
        ...(bias ? { bias } : {}),
      },
      backend,
      attrs: { transposeA: false, transposeB: false, activation: attrs.activation === "relu" ? "relu" : "linear", leakyreluAlpha: 0 },
    }) as TensorInfo;
    out.shape = [B, U];
    // ReLU was clamped in the product.
    activateInPlace(backend, f32(backend, out), U, attrs.activation === "relu" ? "linear" : attrs.activation);
    return out;
  };

  const backward: WasmKernelFunc = ({ inputs, backend, attrs }: KernelArgs<DenseGradAttrs>) => {
    const { dy, x, kernel, y } = inputs;
    const [B, F] = x.shape;
    const U = kernel.shape[1];
    const dz = backend.makeOutput([B, U], "float32");
    activationGradient(f32(backend, dy), f32(backend, y), f32(backend, dz), U, attrs.activation);
    const outputs: TensorInfo[] = [];
    if (attrs.weightGradients) {
      const xT = transposed(backend, x, B, F);
      outputs.push(gemm(backend, xT, dz, F, B, U));
      release(backend, xT);
      const db = backend.makeOutput([U], "float32");
      const sums = new Float64Array(U);
      const dzv = f32(backend, dz);
      for (let b = 0; b < B; b++) for (let u = 0; u < U; u++) sums[u] += dzv[b * U + u];
      f32(backend, db).set(sums);
      outputs.push(db);
    }
    if (attrs.inputGradient) {
      const dzT = transposed(backend, dz, B, U);
      const dxT = gemm(backend, kernel, dzT, F, U, B);
      release(backend, dzT);
      outputs.push(transposed(backend, dxT, F, B));
      release(backend, dxT);
    }
    release(backend, dz);
    return outputs;
  };
  return { forward, backward };
}

/**
 * The gradient of `ClaveDense`: the weights' gradients at once (tfjs's stock backward pass asks for
 * each input's gradient in a scope of its own, so nothing computed for one input may serve another),
 * the input's only when asked for, from a second backward kernel (dz is recomputed, a pass over [B, U]).
 */
export function registerDenseGradient(tf: Tf): void {
  if (tf.getGradient(DENSE) !== undefined) return;
  tf.registerGradient({
    kernelName: DENSE,
    inputsToSave: ["x", "kernel"],
    outputsToSave: [true],
    gradFunc: (dys: TF.Tensor | TF.Tensor[], saved: TF.Tensor[], attrs: TF.NamedAttrMap) => {
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const [x, kernel, y] = saved;
      const activation = (attrs as unknown as DenseAttrs).activation;
      const run = (inputGradient: boolean, weightGradients: boolean): TF.Tensor[] => {
        const gradAttrs: DenseGradAttrs = { activation, inputGradient, weightGradients };
        return tf.engine().runKernel(DENSE_GRAD, { dy, x, kernel, y } as unknown as TF.NamedTensorMap, gradAttrs as unknown as TF.NamedAttrMap) as TF.Tensor[];
      };
      const [dW, db] = run(false, true);
      return {
        x: () => run(true, false)[0],
        kernel: () => dW,
        bias: () => db,
      };
    },
  });
}

export const denseKernel: ClaveKernel = {
  kernelName: DENSE,
  reason: "a dense layer in training ran ~12 engine-dispatched ops forward and backward; fused, one kernel each way",
  make: (_tf, stock) => makeDenseKernels(stock).forward,
};

export const denseGradKernel: ClaveKernel = {
  kernelName: DENSE_GRAD,
  reason: "the fused dense layer's backward pass (no input gradient where nothing upstream trains)",
  make: (_tf, stock) => makeDenseKernels(stock).backward,
};

interface DenseLike {
  activation: { getClassName(): string } | null;
  kernel: { read(): TF.Tensor };
  bias?: { read(): TF.Tensor } | null;
  invokeCallHook(inputs: TF.Tensor | TF.Tensor[], kwargs: unknown): void;
}

type Call = (this: DenseLike, inputs: TF.Tensor | TF.Tensor[], kwargs: unknown) => TF.Tensor | TF.Tensor[];

const PATCHED = Symbol.for("clave.fusedDense");

function fusedActivation(layer: DenseLike): DenseActivation | undefined {
  const name = layer.activation ? layer.activation.getClassName() : "linear";
  return (DENSE_ACTIVATIONS as readonly string[]).includes(name) ? (name as DenseActivation) : undefined;
}

/** Route tfjs-layers' Dense through `ClaveDense` where it applies (see above). Idempotent. */
export function installFusedDense(tf: Tf): void {
  const proto = Object.getPrototypeOf(tf.layers.dense({ units: 1 })) as { call: Call; [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const original = proto.call;
  proto.call = function (this: DenseLike, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const activation = fusedActivation(this);
    const fusable =
      activation !== undefined &&
      (!Array.isArray(inputs) || inputs.length === 1) &&
      x.rank === 2 &&
      x.dtype === "float32" &&
      x.shape[0] > 0 &&
      tf.getBackend() === "wasm" &&
      tf.getKernel(DENSE, "wasm") !== undefined;
    if (!fusable) return original.call(this, inputs, kwargs);
    this.invokeCallHook(inputs, kwargs);
    const bias = this.bias ? this.bias.read() : undefined;
    const attrs: DenseAttrs = { activation };
    return tf.engine().runKernel(
      DENSE,
      (bias ? { x, kernel: this.kernel.read(), bias } : { x, kernel: this.kernel.read() }) as unknown as TF.NamedTensorMap,
      attrs as unknown as TF.NamedAttrMap,
    ) as TF.Tensor;
  };
  proto[PATCHED] = true;
}
