/**
 * clave's Standardize layer (core/layers/index.ts), `(x − μ) / σ` with μ and σ per feature (the
 * trailing axes of x), as one wasm kernel: tfjs's subtraction and division are two broadcasting ops
 * through the engine, and their gradients keep two more copies. The same two roundings as tfjs's
 * (the difference, then the quotient).
 *
 * `ClaveStandardize`: inputs x [..., S], mean and std (S values in all, in x's trailing shape).
 * In wasm SIMD where it runs (elementwise-simd.ts, the same roundings), in JavaScript otherwise.
 * The gradient (tfjs ops, asked for rarely: nothing trains μ and σ, and the input seldom needs one)
 * is dy / σ for x, −Σ dy / σ for μ and −Σ dy (x − μ) / σ² for σ, summed over the leading axes.
 */
import type * as TF from "@tensorflow/tfjs";
import { elementwiseSimd } from "./elementwise-simd.ts";
import { type ClaveKernel, type KernelArgs, type Tf, f32, size, heapOffset } from "./wasm.ts";

export const STANDARDIZE = "ClaveStandardize";

export const standardizeKernel: ClaveKernel = {
  kernelName: STANDARDIZE,
  reason: "the standardisation of the input was two broadcasting ops (and two saved copies for their gradients)",
  make: () => ({ inputs, backend }: KernelArgs) => {
    const { x, mean, std } = inputs;
    const features = size(mean.shape);
    const n = size(x.shape);
    if (size(std.shape) !== features || features === 0 || n % features !== 0) {
      throw new Error(`${STANDARDIZE}: input [${x.shape.join(", ")}] does not end in the statistics' shape [${mean.shape.join(", ")}]`);
    }
    const out = backend.makeOutput(x.shape, "float32");
    const simd = elementwiseSimd(backend);
    if (simd) {
      const offset = (t: typeof x) => heapOffset(backend, t);
      simd.standardize(offset(x), offset(mean), offset(std), offset(out), n / features, features);
      return out;
    }
    const xv = f32(backend, x);
    const mv = f32(backend, mean);
    const sv = f32(backend, std);
    const ov = f32(backend, out);
    for (let base = 0; base < n; base += features) {
      for (let j = 0; j < features; j++) ov[base + j] = Math.fround(xv[base + j] - mv[j]) / sv[j];
    }
    return out;
  },
};

export function registerStandardizeGradient(tf: Tf): void {
  if (tf.getGradient(STANDARDIZE) !== undefined) return;
  tf.registerGradient({
    kernelName: STANDARDIZE,
    inputsToSave: ["x", "mean", "std"],
    gradFunc: (dys: TF.Tensor | TF.Tensor[], saved: TF.Tensor[]) => {
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const [x, mean, std] = saved;
      const leading = Array.from({ length: x.rank - mean.rank }, (_, i) => i);
      const overLeading = (t: TF.Tensor) => (leading.length > 0 ? tf.sum(t, leading) : t);
      return {
        x: () => tf.div(dy, std),
        mean: () => tf.neg(overLeading(tf.div(dy, std))),
        std: () => tf.neg(overLeading(tf.div(tf.mul(dy, tf.sub(x, mean)), tf.square(std)))),
      };
    },
  });
}
