/**
 * The training losses and the accuracy metric of core/train/losses.ts, per example, each one wasm
 * kernel (and one for its gradient). As tfjs ops, Keras's cross-entropy −w Σ_c y_c log clip(p_c, ε,
 * 1 − ε) is six ops forward and ~20 backward (clip's masks, the log's division, the broadcast sum),
 * the mean squared error four and ~8, the accuracy five; for the small dense networks at batch 32
 * their dispatch through the engine cost more than the arithmetic of a layer.
 *
 * - `ClaveCrossEntropy` (yTrue, yPred [B, C]; attr `weight`) → [B]: w · −Σ_c y_c log clip(p_c, ε, 1 − ε),
 *   ε = 1e-7, the sum taken in float64. Its gradient `ClaveCrossEntropyGrad` (dy, yTrue, yPred; attrs
 *   `weight`, `wrt`): for yPred −w dy y_c / p_c where ε ≤ p_c ≤ 1 − ε (clip passes the gradient at its
 *   bounds, as tfjs's), 0 elsewhere; for yTrue −w dy log clip(p_c).
 * - `ClaveSquaredError` (yTrue, yPred [B, D]; attr `weight`) → [B]: w · mean_d (p_d − t_d)². Its
 *   gradient `ClaveSquaredErrorGrad`: ±2 w dy (p_d − t_d) / D for yPred (+) and yTrue (−).
 * - `ClaveAccuracy` (yTrue, yPred [B, C]) → [B]: 1 where the first index of each row's maximum is the
 *   same in both, else 0 (tfjs's argMax ties); no gradient.
 */
import type * as TF from "@tensorflow/tfjs";
import { type ClaveKernel, type KernelArgs, type Tf, f32 } from "./wasm.ts";

export const CROSS_ENTROPY = "ClaveCrossEntropy";
export const CROSS_ENTROPY_GRAD = "ClaveCrossEntropyGrad";
export const SQUARED_ERROR = "ClaveSquaredError";
export const SQUARED_ERROR_GRAD = "ClaveSquaredErrorGrad";
export const ACCURACY = "ClaveAccuracy";

/** Keras's ε, and 1 − ε, as the float32 bounds tfjs's clipByValue compares with. */
const LOW = Math.fround(1e-7);
const HIGH = Math.fround(1 - 1e-7);

export interface LossAttrs {
  /** Factor of the loss. */
  weight: number;
}

export interface LossGradAttrs extends LossAttrs {
  /** The input whose gradient is wanted. */
  wrt: "yTrue" | "yPred";
}

function checkPair(name: string, yTrue: { shape: number[] }, yPred: { shape: number[] }): [number, number] {
  if (yTrue.shape.length !== 2 || yPred.shape.length !== 2 || yTrue.shape[0] !== yPred.shape[0] || yTrue.shape[1] !== yPred.shape[1]) {
    throw new Error(`${name}: targets [${yTrue.shape.join(", ")}] and predictions [${yPred.shape.join(", ")}] must be the same [batch, values]`);
  }
  return [yPred.shape[0], yPred.shape[1]];
}

const clip = (p: number): number => (p < LOW ? LOW : p > HIGH ? HIGH : p);

export const crossEntropyKernel: ClaveKernel = {
  kernelName: CROSS_ENTROPY,
  reason: "the cross-entropy as tfjs ops is 6 kernels forward and ~20 backward",
  make: () => ({ inputs, backend, attrs }: KernelArgs<LossAttrs>) => {
    const [B, C] = checkPair(CROSS_ENTROPY, inputs.yTrue, inputs.yPred);
    const out = backend.makeOutput([B], "float32");
    const y = f32(backend, inputs.yTrue);
    const p = f32(backend, inputs.yPred);
    const o = f32(backend, out);
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let j = b * C; j < (b + 1) * C; j++) if (y[j] !== 0) s += y[j] * Math.fround(Math.log(clip(p[j])));
      o[b] = -s * attrs.weight;
    }
    return out;
  },
};

export const crossEntropyGradKernel: ClaveKernel = {
  kernelName: CROSS_ENTROPY_GRAD,
  reason: "the fused cross-entropy's gradient",
  make: () => ({ inputs, backend, attrs }: KernelArgs<LossGradAttrs>) => {
    const [B, C] = checkPair(CROSS_ENTROPY_GRAD, inputs.yTrue, inputs.yPred);
    const out = backend.makeOutput([B, C], "float32");
    const dy = f32(backend, inputs.dy);
    const y = f32(backend, inputs.yTrue);
    const p = f32(backend, inputs.yPred);
    const o = f32(backend, out);
    const w = attrs.weight;
    for (let b = 0; b < B; b++) {
      const g = -w * dy[b];
      for (let j = b * C; j < (b + 1) * C; j++) {
        if (attrs.wrt === "yTrue") o[j] = g * Math.fround(Math.log(clip(p[j])));
        else o[j] = p[j] >= LOW && p[j] <= HIGH ? (g * y[j]) / p[j] : 0;
      }
    }
    return out;
  },
};

export const squaredErrorKernel: ClaveKernel = {
  kernelName: SQUARED_ERROR,
  reason: "the mean squared error as tfjs ops is 4 kernels forward and ~8 backward",
  make: () => ({ inputs, backend, attrs }: KernelArgs<LossAttrs>) => {
    const [B, D] = checkPair(SQUARED_ERROR, inputs.yTrue, inputs.yPred);
    const out = backend.makeOutput([B], "float32");
    const t = f32(backend, inputs.yTrue);
    const p = f32(backend, inputs.yPred);
    const o = f32(backend, out);
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let j = b * D; j < (b + 1) * D; j++) {
        const d = Math.fround(p[j] - t[j]);
        s += d * d;
      }
      o[b] = (s / D) * attrs.weight;
    }
    return out;
  },
};

export const squaredErrorGradKernel: ClaveKernel = {
  kernelName: SQUARED_ERROR_GRAD,
  reason: "the fused mean squared error's gradient",
  make: () => ({ inputs, backend, attrs }: KernelArgs<LossGradAttrs>) => {
    const [B, D] = checkPair(SQUARED_ERROR_GRAD, inputs.yTrue, inputs.yPred);
    const out = backend.makeOutput([B, D], "float32");
    const dy = f32(backend, inputs.dy);
    const t = f32(backend, inputs.yTrue);
    const p = f32(backend, inputs.yPred);
    const o = f32(backend, out);
    const sign = attrs.wrt === "yPred" ? 1 : -1;
    for (let b = 0; b < B; b++) {
      const g = (sign * 2 * attrs.weight * dy[b]) / D;
      for (let j = b * D; j < (b + 1) * D; j++) o[j] = g * Math.fround(p[j] - t[j]);
    }
    return out;
  },
};

/** Index of the first maximum of values [from, from + n). */
function argMax(v: Float32Array, from: number, n: number): number {
  let best = 0;
  let max = v[from];
  for (let j = 1; j < n; j++) {
    if (v[from + j] > max) {
      max = v[from + j];
      best = j;
    }
  }
  return best;
}

export const accuracyKernel: ClaveKernel = {
  kernelName: ACCURACY,
  reason: "the accuracy as tfjs ops is 5 kernels (two argMax, equal, cast)",
  make: () => ({ inputs, backend }: KernelArgs) => {
    const [B, C] = checkPair(ACCURACY, inputs.yTrue, inputs.yPred);
    const out = backend.makeOutput([B], "float32");
    const y = f32(backend, inputs.yTrue);
    const p = f32(backend, inputs.yPred);
    const o = f32(backend, out);
    for (let b = 0; b < B; b++) o[b] = argMax(y, b * C, C) === argMax(p, b * C, C) ? 1 : 0;
    return out;
  },
};

/** The gradients of the two losses (each input's only when asked for). */
export function registerLossGradients(tf: Tf): void {
  for (const [forward, backward] of [
    [CROSS_ENTROPY, CROSS_ENTROPY_GRAD],
    [SQUARED_ERROR, SQUARED_ERROR_GRAD],
  ] as const) {
    if (tf.getGradient(forward) !== undefined) continue;
    tf.registerGradient({
      kernelName: forward,
      inputsToSave: ["yTrue", "yPred"],
      gradFunc: (dys: TF.Tensor | TF.Tensor[], saved: TF.Tensor[], attrs: TF.NamedAttrMap) => {
        const dy = Array.isArray(dys) ? dys[0] : dys;
        const [yTrue, yPred] = saved;
        const weight = (attrs as unknown as LossAttrs).weight;
        const grad = (wrt: LossGradAttrs["wrt"]) => () =>
          tf.engine().runKernel(backward, { dy, yTrue, yPred } as unknown as TF.NamedTensorMap, { weight, wrt } as unknown as TF.NamedAttrMap) as TF.Tensor;
        return { yTrue: grad("yTrue"), yPred: grad("yPred") };
      },
    });
  }
}
