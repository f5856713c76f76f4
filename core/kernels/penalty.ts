/**
 * tfjs-layers' L1/L2 weight regularizer, `l1 Σ|w| + l2 Σw²`, as one wasm kernel and one for its
 * gradient `dy (l1 sign(w) + 2 l2 w)` (tfjs's sign of 0 in |w|'s gradient is −1, kept). As tfjs ops it
 * is six ops per regularized weight forward (zeros, square, mul, sum, add, reshape) and about as
 * many backward, each through the engine; the mlp's three L2-penalised kernels made a third of its
 * step's ops. `installFusedPenalty(tf)` routes `L1L2.apply` through the kernel where it applies
 * (wasm with the kernel registered, float32 weights); the regularizer's config and serialisation
 * stay tfjs's. The sums are taken in float64.
 */
import type * as TF from "@tensorflow/tfjs";
import { type ClaveKernel, type KernelArgs, type Tf, f32 } from "./wasm.ts";

export const PENALTY = "ClaveWeightPenalty";
export const PENALTY_GRAD = "ClaveWeightPenaltyGrad";

export interface PenaltyAttrs {
  l1: number;
  l2: number;
}

export const penaltyKernel: ClaveKernel = {
  kernelName: PENALTY,
  reason: "an L2 weight penalty ran six ops forward and as many backward per weight",
  make: () => ({ inputs, backend, attrs }: KernelArgs<PenaltyAttrs>) => {
    const out = backend.makeOutput([], "float32");
    const w = f32(backend, inputs.x);
    let abs = 0;
    let squares = 0;
    for (let i = 0; i < w.length; i++) {
      abs += Math.abs(w[i]);
      squares += w[i] * w[i];
    }
    f32(backend, out)[0] = (attrs.l1 !== 0 ? attrs.l1 * abs : 0) + (attrs.l2 !== 0 ? attrs.l2 * squares : 0);
    return out;
  },
};

export const penaltyGradKernel: ClaveKernel = {
  kernelName: PENALTY_GRAD,
  reason: "the fused weight penalty's gradient",
  make: () => ({ inputs, backend, attrs }: KernelArgs<PenaltyAttrs>) => {
    const out = backend.makeOutput(inputs.x.shape, "float32");
    const dy = f32(backend, inputs.dy)[0];
    const w = f32(backend, inputs.x);
    const o = f32(backend, out);
    const l1 = dy * attrs.l1;
    const l2 = 2 * dy * attrs.l2;
    for (let i = 0; i < w.length; i++) o[i] = (w[i] > 0 ? l1 : -l1) + l2 * w[i];
    return out;
  },
};

export function registerPenaltyGradient(tf: Tf): void {
  if (tf.getGradient(PENALTY) !== undefined) return;
  tf.registerGradient({
    kernelName: PENALTY,
    inputsToSave: ["x"],
    gradFunc: (dys: TF.Tensor | TF.Tensor[], saved: TF.Tensor[], attrs: TF.NamedAttrMap) => {
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const [x] = saved;
      return { x: () => tf.engine().runKernel(PENALTY_GRAD, { dy, x } as unknown as TF.NamedTensorMap, attrs) as TF.Tensor };
    },
  });
}

interface L1L2Like {
  l1: number;
  l2: number;
}

type Apply = (this: L1L2Like, x: TF.Tensor) => TF.Scalar;

const PATCHED = Symbol.for("clave.fusedPenalty");

/** Route tfjs-layers' L1L2 regularizer through `ClaveWeightPenalty` where it applies. Idempotent. */
export function installFusedPenalty(tf: Tf): void {
  const proto = Object.getPrototypeOf(tf.regularizers.l1l2({ l1: 0, l2: 0 })) as { apply: Apply; [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const original = proto.apply;
  proto.apply = function (this: L1L2Like, x) {
    if (x.dtype !== "float32" || tf.getBackend() !== "wasm" || tf.getKernel(PENALTY, "wasm") === undefined) return original.call(this, x);
    const attrs: PenaltyAttrs = { l1: this.l1, l2: this.l2 };
    return tf.engine().runKernel(PENALTY, { x } as unknown as TF.NamedTensorMap, attrs as unknown as TF.NamedAttrMap) as TF.Scalar;
  };
  proto[PATCHED] = true;
}
