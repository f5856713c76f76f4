/**
 * tfjs-layers' BatchNormalization in training as two wasm kernels. The stock layer computes the
 * batch statistics with `moments` (a mean, a difference, a square, another mean) and normalises with
 * FusedBatchNorm; its gradient then runs through all of them, a dozen full-size elementwise ops and
 * reductions per layer and direction: for cnn2d's first block ([32, 130, 128, 32]) ~150 ms a step.
 *
 * `ClaveBatchNormTrain`: inputs x [..., C] (float32), scale and offset [C]; attr `epsilon`. Outputs
 * y = γ (x − μ) / √(σ² + ε) + β, and the batch mean μ and biased variance σ² [C] over every axis but
 * the last (what `moments` gives): one pass over x for both statistics (sums in float64), one for y.
 * `ClaveBatchNormTrainGrad`: inputs dy, x, scale, mean, variance; attr `epsilon`. Outputs, from the
 * batch statistics (the gradient through μ and σ² included, as tfjs's through `moments`):
 *   dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)),  dγ = Σ dy · x̂,  dβ = Σ dy,   x̂ = (x − μ)/σ,
 * one pass for the two sums and one for dx, each an affine map per channel computed in float64.
 * With channels a multiple of 4 the passes run in wasm SIMD (batch-norm-simd.ts: float32 sums over
 * blocks of 256 rows added in float64, the statistics' sums about the first row's values); in
 * JavaScript otherwise.
 * The statistics outputs feed only the moving averages, which nothing differentiates: their
 * gradients are not propagated.
 *
 * `installFusedBatchNorm(tf)` routes the layer's training call through them (wasm with the kernels
 * registered, float32 input of rank 2-4 and size > 0, the normalised axis the last); the moving
 * averages are updated from the batch's μ and σ² with the stock layer's own ops and formula
 * (v − (v − s)(1 − momentum), the biased variance as tfjs-layers uses). Inference and anything else
 * keep the stock code; weights and serialisation are the stock layer's. The stock training call
 * reads γ and β even when the layer has none (and fails); here a missing γ is 1 and β 0.
 */
import type * as TF from "@tensorflow/tfjs";
import { type BatchNormSimd, batchNormSimd } from "./batch-norm-simd.ts";
import { type ClaveKernel, type KernelArgs, type TensorInfo, type Tf, type WasmBackend, f32, release, size, heapOffset } from "./wasm.ts";

export const BATCH_NORM_TRAIN = "ClaveBatchNormTrain";
export const BATCH_NORM_TRAIN_GRAD = "ClaveBatchNormTrainGrad";

export interface BatchNormAttrs {
  epsilon: number;
}

function channelsOf(kernel: string, x: { shape: number[]; dtype: string }, params: { shape: number[] }[]): { channels: number; n: number } {
  const channels = x.shape[x.shape.length - 1];
  const n = size(x.shape);
  if (x.dtype !== "float32" || x.shape.length < 2 || n === 0 || params.some((p) => size(p.shape) !== channels)) {
    throw new Error(`${kernel}: input must be float32 [..., C] of rank ≥ 2, non-empty, with [C] parameters (got ${x.dtype} [${x.shape.join(", ")}])`);
  }
  return { channels, n };
}

/** Rows per float32 block of the SIMD sums, each block's sums then added in float64. */
const BLOCK_ROWS = 256;

/**
 * The per-channel sums of `sums` over all rows into float64 `s1`, `s2`, a block of rows at a time;
 * `scratch` holds C floats at `at1` and at `at2` for a block's float32 sums.
 */
function blockSums(
  sums: BatchNormSimd["moments"],
  backend: WasmBackend,
  a: number,
  x: number,
  m: number,
  scratch: TensorInfo,
  C: number,
  rows: number,
  s1: Float64Array,
  s2: Float64Array,
): void {
  const base = heapOffset(backend, scratch);
  const at1 = base;
  const at2 = base + 4 * C;
  const view = f32(backend, scratch);
  const rowBytes = 4 * C;
  for (let start = 0; start < rows; start += BLOCK_ROWS) {
    const count = Math.min(BLOCK_ROWS, rows - start);
    view.fill(0, 0, 2 * C);
    sums(a + start * rowBytes, x + start * rowBytes, m, at1, at2, count, C);
    for (let c = 0; c < C; c++) {
      s1[c] += view[c];
      s2[c] += view[C + c];
    }
  }
}

function simdForward(
  backend: WasmBackend,
  simd: BatchNormSimd,
  x: TensorInfo,
  scale: TensorInfo,
  offset: TensorInfo,
  y: TensorInfo,
  meanOut: TensorInfo,
  varianceOut: TensorInfo,
  epsilon: number,
): void {
  const C = x.shape[x.shape.length - 1];
  const rows = size(x.shape) / C;
  // Scratch: two blocks' sums, the shift, a and b (C each).
  const scratch = backend.makeOutput([5 * C], "float32");
  const sv = f32(backend, scratch);
  const xv = f32(backend, x);
  const base = heapOffset(backend, scratch);
  const [shiftAt, aAt, bAt] = [2, 3, 4].map((k) => base + 4 * k * C);
  // Sums about the first row's values: their float32 squares do not cancel against the mean's.
  const shift = Float64Array.from(xv.subarray(0, C));
  sv.set(xv.subarray(0, C), 2 * C);
  const s1 = new Float64Array(C);
  const s2 = new Float64Array(C);
  const xAt = heapOffset(backend, x);
  blockSums(simd.moments, backend, xAt, xAt, shiftAt, scratch, C, rows, s1, s2);
  const gamma = f32(backend, scale);
  const beta = f32(backend, offset);
  const mv = f32(backend, meanOut);
  const vv = f32(backend, varianceOut);
  for (let c = 0; c < C; c++) {
    const centredMean = s1[c] / rows;
    mv[c] = shift[c] + centredMean;
    vv[c] = Math.max(0, s2[c] / rows - centredMean * centredMean);
    sv[3 * C + c] = gamma[c] / Math.sqrt(vv[c] + epsilon);
    sv[4 * C + c] = beta[c];
  }
  simd.normalize(0, xAt, heapOffset(backend, meanOut), 0, aAt, bAt, heapOffset(backend, y), rows, C);
  release(backend, scratch);
}

function simdBackward(
  backend: WasmBackend,
  simd: BatchNormSimd,
  dy: TensorInfo,
  x: TensorInfo,
  scale: TensorInfo,
  mean: TensorInfo,
  variance: TensorInfo,
  dx: TensorInfo,
  dScale: TensorInfo,
  dOffset: TensorInfo,
  epsilon: number,
): void {
  const C = x.shape[x.shape.length - 1];
  const rows = size(x.shape) / C;
  // Scratch: two blocks' sums, then p, q, r (C each).
  const scratch = backend.makeOutput([5 * C], "float32");
  const base = heapOffset(backend, scratch);
  const [pAt, qAt, rAt] = [2, 3, 4].map((k) => base + 4 * k * C);
  const sumDy = new Float64Array(C);
  const sumDyCentred = new Float64Array(C);
  const dyAt = heapOffset(backend, dy);
  const xAt = heapOffset(backend, x);
  const meanAt = heapOffset(backend, mean);
  blockSums(simd.gradientSums, backend, dyAt, xAt, meanAt, scratch, C, rows, sumDy, sumDyCentred);
  const sv = f32(backend, scratch);
  const gamma = f32(backend, scale);
  const vv = f32(backend, variance);
  const dsv = f32(backend, dScale);
  const dov = f32(backend, dOffset);
  for (let c = 0; c < C; c++) {
    const inverse = 1 / Math.sqrt(vv[c] + epsilon);
    const sumDyNormed = sumDyCentred[c] * inverse;
    dsv[c] = sumDyNormed;
    dov[c] = sumDy[c];
    const k = gamma[c] * inverse;
    sv[2 * C + c] = k;
    sv[3 * C + c] = (-k * inverse * sumDyNormed) / rows;
    sv[4 * C + c] = (-k * sumDy[c]) / rows;
  }
  simd.inputGradient(dyAt, xAt, meanAt, pAt, qAt, rAt, heapOffset(backend, dx), rows, C);
  release(backend, scratch);
}

export const batchNormTrainKernel: ClaveKernel = {
  kernelName: BATCH_NORM_TRAIN,
  reason: "batch norm in training ran its statistics and gradient as a dozen full-size ops per layer; one kernel each way",
  make: () => ({ inputs, backend, attrs }: KernelArgs<BatchNormAttrs>) => {
    const { x, scale, offset } = inputs;
    const { channels: C, n } = channelsOf(BATCH_NORM_TRAIN, x, [scale, offset]);
    const y = backend.makeOutput(x.shape, "float32");
    const meanOut = backend.makeOutput([C], "float32");
    const varianceOut = backend.makeOutput([C], "float32");
    const simd = C % 4 === 0 ? batchNormSimd(backend) : undefined;
    if (simd) {
      simdForward(backend, simd, x, scale, offset, y, meanOut, varianceOut, attrs.epsilon);
      return [y, meanOut, varianceOut];
    }
    const xv = f32(backend, x);
    const sum = new Float64Array(C);
    const squares = new Float64Array(C);
    for (let base = 0; base < n; base += C) {
      for (let c = 0; c < C; c++) {
        const v = xv[base + c];
        sum[c] += v;
        squares[c] += v * v;
      }
    }
    const count = n / C;
    const gamma = f32(backend, scale);
    const beta = f32(backend, offset);
    const mv = f32(backend, meanOut);
    const vv = f32(backend, varianceOut);
    // y = x·a + b per channel: a = γ/√(σ² + ε), b = β − μ·a.
    const a = new Float64Array(C);
    const b = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const mean = sum[c] / count;
      const variance = Math.max(0, squares[c] / count - mean * mean);
      mv[c] = mean;
      vv[c] = variance;
      a[c] = gamma[c] / Math.sqrt(variance + attrs.epsilon);
      b[c] = beta[c] - mean * a[c];
    }
    const yv = f32(backend, y);
    for (let base = 0; base < n; base += C) {
      for (let c = 0; c < C; c++) yv[base + c] = xv[base + c] * a[c] + b[c];
    }
    return [y, meanOut, varianceOut];
  },
};

export const batchNormTrainGradKernel: ClaveKernel = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  reason: "the backward pass of batch norm in training, dx, dγ and dβ in two passes",
  make: () => ({ inputs, backend, attrs }: KernelArgs<BatchNormAttrs>) => {
    const { dy, x, scale, mean, variance } = inputs;
    const { channels: C, n } = channelsOf(BATCH_NORM_TRAIN_GRAD, x, [scale, mean, variance]);
    const dx = backend.makeOutput(x.shape, "float32");
    const dScale = backend.makeOutput([C], "float32");
    const dOffset = backend.makeOutput([C], "float32");
    const simd = C % 4 === 0 ? batchNormSimd(backend) : undefined;
    if (simd) {
      simdBackward(backend, simd, dy, x, scale, mean, variance, dx, dScale, dOffset, attrs.epsilon);
      return [dx, dScale, dOffset];
    }
    const xv = f32(backend, x);
    const dyv = f32(backend, dy);
    const mv = f32(backend, mean);
    const inverse = new Float64Array(C);
    const vv = f32(backend, variance);
    for (let c = 0; c < C; c++) inverse[c] = 1 / Math.sqrt(vv[c] + attrs.epsilon);
    // Σ dy and Σ dy·(x − μ) per channel; Σ dy·x̂ = inverse·Σ dy·(x − μ).
    const sumDy = new Float64Array(C);
    const sumDyCentred = new Float64Array(C);
    for (let base = 0; base < n; base += C) {
      for (let c = 0; c < C; c++) {
        const g = dyv[base + c];
        sumDy[c] += g;
        sumDyCentred[c] += g * (xv[base + c] - mv[c]);
      }
    }
    const count = n / C;
    const gamma = f32(backend, scale);
    const dsv = f32(backend, dScale);
    const dov = f32(backend, dOffset);
    // dx = k·(dy − Σdy/N − x̂·Σdy·x̂/N), k = γ/σ, as dx = p·dy + q·x + r per channel.
    const p = new Float64Array(C);
    const q = new Float64Array(C);
    const r = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const sumDyNormed = sumDyCentred[c] * inverse[c];
      dsv[c] = sumDyNormed;
      dov[c] = sumDy[c];
      const k = gamma[c] * inverse[c];
      p[c] = k;
      q[c] = (-k * inverse[c] * sumDyNormed) / count;
      r[c] = (-k * sumDy[c]) / count - q[c] * mv[c];
    }
    const dxv = f32(backend, dx);
    for (let base = 0; base < n; base += C) {
      for (let c = 0; c < C; c++) dxv[base + c] = p[c] * dyv[base + c] + q[c] * xv[base + c] + r[c];
    }
    return [dx, dScale, dOffset];
  },
};

export function registerBatchNormGradient(tf: Tf): void {
  if (tf.getGradient(BATCH_NORM_TRAIN) !== undefined) return;
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN,
    inputsToSave: ["x", "scale"],
    outputsToSave: [false, true, true],
    gradFunc: (dys: TF.Tensor | TF.Tensor[], saved: TF.Tensor[], attrs: TF.NamedAttrMap) => {
      const [x, scale, mean, variance] = saved;
      const dy = (Array.isArray(dys) ? dys[0] : dys) ?? tf.zerosLike(x);
      const [dx, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x, scale, mean, variance } as unknown as TF.NamedTensorMap, attrs) as TF.Tensor[];
      return { x: () => dx, scale: () => dScale, offset: () => dOffset };
    },
  });
}

interface BatchNormLike {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma?: TF.LayerVariable | null;
  beta?: TF.LayerVariable | null;
  movingMean: TF.LayerVariable;
  movingVariance: TF.LayerVariable;
}

type Kwargs = { training?: boolean | null } | undefined;
type Call = (this: BatchNormLike, inputs: TF.Tensor | TF.Tensor[], kwargs: Kwargs) => TF.Tensor | TF.Tensor[];

const PATCHED = Symbol.for("clave.fusedBatchNorm");

/** Route tfjs-layers' BatchNormalization in training through the kernels where they apply (see above). Idempotent. */
export function installFusedBatchNorm(tf: Tf): void {
  const proto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: Call; [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const original = proto.call;
  proto.call = function (this: BatchNormLike, inputs, kwargs) {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const fusable =
      x !== undefined &&
      Boolean(kwargs?.training) &&
      x.dtype === "float32" &&
      x.rank >= 2 &&
      x.rank <= 4 &&
      x.size > 0 &&
      (this.axis === -1 || this.axis === x.rank - 1) &&
      tf.getBackend() === "wasm" &&
      tf.getKernel(BATCH_NORM_TRAIN, "wasm") !== undefined;
    if (!fusable) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const C = x.shape[x.rank - 1];
      const scale = this.gamma ? this.gamma.read() : tf.ones([C]);
      const offset = this.beta ? this.beta.read() : tf.zeros([C]);
      const attrs: BatchNormAttrs = { epsilon: this.epsilon };
      const [y, mean, variance] = tf.engine().runKernel(
        BATCH_NORM_TRAIN,
        { x, scale, offset } as unknown as TF.NamedTensorMap,
        attrs as unknown as TF.NamedAttrMap,
      ) as TF.Tensor[];
      // tfjs-layers' doMovingAverage, op for op.
      const movingAverage = (variable: TF.LayerVariable, value: TF.Tensor, momentum: number) =>
        tf.tidy(() => {
          const decay = 1 - momentum;
          const origValue = variable.read();
          const updateDelta = tf.mul(tf.sub(origValue, value), decay);
          variable.write(tf.sub(origValue, updateDelta));
        });
      movingAverage(this.movingMean, mean, this.momentum);
      movingAverage(this.movingVariance, variance, this.momentum);
      return y;
    });
  };
  proto[PATCHED] = true;
}
