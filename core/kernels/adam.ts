/**
 * One Adam(W) step of one variable as one wasm kernel. tfjs's AdamOptimizer runs ~14 kernels per
 * variable per step (moments, bias corrections, square root, division, update), each a pass over the
 * variable through the engine; for the small dense networks at batch 32 those passes and calls were a
 * quarter of a training step. Here one pass computes, for θ, m, v and the gradient g:
 *
 *   θ ← θ · decay                                (AdamW's decoupled decay; 1 without)
 *   m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
 *   θ ← θ − lr · (m / c1) / (√(v / c2) + ε),     c1 = 1 − β1^t, c2 = 1 − β2^t
 *
 * as tfjs computes it, the bias corrections folded into constants, in wasm SIMD four elements at a
 * time (simd.ts; each operation rounded to float32, as tfjs's ops), the last few elements (or all,
 * where SIMD cannot run) in JavaScript, rounded once per value. Outputs: the new θ, m and v (the
 * optimizer assigns them).
 */
import { adamSimd } from "./simd.ts";
import { type ClaveKernel, type KernelArgs, f32, size, heapOffset } from "./wasm.ts";

export const ADAM_UPDATE = "ClaveAdamUpdate";

export interface AdamUpdateAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β1^t and 1 − β2^t of this step. */
  correction1: number;
  correction2: number;
  /** Factor θ is multiplied by before the update (AdamW: 1 − lr·λ). */
  decay: number;
}

export const adamUpdate: ClaveKernel = {
  kernelName: ADAM_UPDATE,
  reason: "tfjs's Adam runs ~14 kernels per variable and step; the small dense networks spent a quarter of a step there",
  make() {
    return ({ inputs, backend, attrs }: KernelArgs<AdamUpdateAttrs>) => {
      const { value, m, v, gradient } = inputs;
      for (const t of [m, v, gradient]) {
        if (t.shape.length !== value.shape.length || t.shape.some((d, i) => d !== value.shape[i])) {
          throw new Error(`${ADAM_UPDATE}: shapes differ ([${value.shape.join(", ")}] and [${t.shape.join(", ")}])`);
        }
      }
      const outValue = backend.makeOutput(value.shape, "float32");
      const outM = backend.makeOutput(value.shape, "float32");
      const outV = backend.makeOutput(value.shape, "float32");
      const { learningRate: lr, beta1, beta2, epsilon, correction1, correction2, decay } = attrs;
      const tensors = [value, m, v, gradient, outValue, outM, outV];
      // Whole groups of four elements in SIMD (simd.ts), the rest here.
      const simd = adamSimd(backend);
      const vectorized = simd ? size(value.shape) & ~3 : 0;
      if (simd && vectorized > 0) {
        const [a, b, c, d, e, f, g] = tensors.map((t) => heapOffset(backend, t));
        simd(a, b, c, d, e, f, g, vectorized * 4, beta1, 1 - beta1, beta2, 1 - beta2, epsilon, lr / correction1, 1 / correction2, decay);
      }
      // Views after the last allocation (an allocation may grow the heap).
      const [th, m0, v0, g, th1, m1, v1] = tensors.map((t) => f32(backend, t).subarray(vectorized));
      adamLoop(th, m0, v0, g, th1, m1, v1, beta1, beta2, epsilon, lr / correction1, 1 / correction2, decay);
      return [outValue, outM, outV];
    };
  },
};

/** The step over every element; the bias corrections folded into two constants (one division per element, not three). */
function adamLoop(
  th: Float32Array,
  m0: Float32Array,
  v0: Float32Array,
  g: Float32Array,
  th1: Float32Array,
  m1: Float32Array,
  v1: Float32Array,
  beta1: number,
  beta2: number,
  epsilon: number,
  step: number,
  inverseCorrection2: number,
  decay: number,
): void {
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const n = th.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = beta1 * m0[i] + a1 * gi;
    const vi = beta2 * v0[i] + a2 * gi * gi;
    m1[i] = mi;
    v1[i] = vi;
    th1[i] = th[i] * decay - (step * mi) / (Math.sqrt(vi * inverseCorrection2) + epsilon);
  }
}
