/** Shared pieces of the fused recurrent kernels (lstm.ts, gru.ts). */
import type * as TF from "@tensorflow/tfjs";
import type { FirstOutputGradConfig } from "../train/gradients.ts";
import { type Gemm, simdProductAt, simdTakes } from "./gemm-simd.ts";
import { type TensorInfo, type Tf, type WasmBackend, f32, release, heapOffset } from "./wasm.ts";

/** A layer's recurrent activation: sigmoid, or tfjs-layers' default hardSigmoid, clip(0.2z + 0.5, 0, 1). */
export type ActivationKind = "sigmoid" | "hardSigmoid";

/** Input time step of processing step s. */
export const stepOf = (s: number, T: number, goBackwards: boolean): number => (goBackwards ? T - 1 - s : s);

/** tanh through one exp (Math.tanh is about 3x slower in V8 and JSC); exact to float32 rounding. */
export function tanh(x: number): number {
  if (x > 20) return 1;
  if (x < -20) return -1;
  const e = Math.exp(2 * x);
  return (e - 1) / (e + 1);
}

export function activate(z: number, kind: ActivationKind): number {
  if (kind === "sigmoid") return 1 / (1 + Math.exp(-z));
  const y = 0.2 * z + 0.5;
  return y <= 0 ? 0 : y >= 1 ? 1 : y;
}

/**
 * dσ/dz from σ's output. hardSigmoid's is taken as 0 where the output is exactly 0 or 1 (tfjs passes
 * the gradient when 0.2z + 0.5 lands exactly on 0 or 1, a set of measure zero).
 */
export function activationSlope(y: number, kind: ActivationKind): number {
  if (kind === "sigmoid") return y * (1 - y);
  return y > 0 && y < 1 ? 0.2 : 0;
}

/** x [B, T, F] → time-major rows [T·B, F] in processing order. */
export function timeMajor(x: Float32Array, out: Float32Array, B: number, T: number, F: number, goBackwards: boolean): void {
  for (let s = 0; s < T; s++) {
    const t = stepOf(s, T, goBackwards);
    for (let b = 0; b < B; b++) {
      const from = (b * T + t) * F;
      out.set(x.subarray(from, from + F), (s * B + b) * F);
    }
  }
}

/** One product a [m, k]·b [k, n] run again at every step into the same output (`out`), on operands updated in place. */
export interface RepeatedProduct {
  readonly out: TensorInfo;
  run(): void;
  release(): void;
}

interface RawWasm {
  _BatchMatMul?: (a: number, aShape: number, aRank: number, b: number, bShape: number, bRank: number, transposeA: number, transposeB: number, out: number) => void;
  _malloc?: (bytes: number) => number;
  _free?: (pointer: number) => void;
  HEAP32?: Int32Array;
}

/**
 * The per-step products of a sequence (h·R forward, dz·Rᵀ back): in clave's SIMD loop where it runs
 * (gemm-simd.ts), else straight through the backend's wasm BatchMatMul, which XNNPACK runs: the
 * stock kernel's JavaScript (two reshapes, an output allocated and freed, its shapes marshalled)
 * cost ~4 µs a call, as much as a batch of 16's product itself. The tensors keep their heap ids, so
 * the same call serves every step. Through the stock kernel, with a copy, where the backend does
 * not expose the function.
 */
export function repeatedProduct(ops: Gemm, backend: WasmBackend, a: TensorInfo, b: TensorInfo, m: number, k: number, n: number): RepeatedProduct {
  const out = backend.makeOutput([m, n], "float32");
  if (simdTakes(backend, m, k, n)) {
    // Clave's SIMD product (gemm-simd.ts), from a zero bias made once; the operands' heap offsets
    // hold as long as the heap does not grow, so they are looked up at each step.
    const zeros = backend.makeOutput([n], "float32");
    f32(backend, zeros).fill(0);
    return {
      out,
      run: () => void simdProductAt(backend, heapOffset(backend, a), heapOffset(backend, b), heapOffset(backend, out), m, k, n, heapOffset(backend, zeros)),
      release: () => release(backend, out, zeros),
    };
  }
  const raw = backend.wasm as unknown as RawWasm;
  const id = (t: TensorInfo) => backend.dataIdMap.get(t.dataId)!.id;
  if (raw._BatchMatMul && raw._malloc && raw._free && raw.HEAP32) {
    const batchMatMul = raw._BatchMatMul;
    const free = raw._free;
    const shapes = raw._malloc(24);
    raw.HEAP32.set([1, m, k, 1, k, n], shapes >> 2);
    const [aId, bId, outId] = [id(a), id(b), id(out)];
    return {
      out,
      run: () => batchMatMul(aId, shapes, 3, bId, shapes + 12, 3, 0, 0, outId),
      release: () => {
        free(shapes);
        release(backend, out);
      },
    };
  }
  return {
    out,
    run: () => {
      const product = ops.gemm(backend, a, b, m, k, n);
      f32(backend, out).set(f32(backend, product));
      release(backend, product);
    },
    release: () => release(backend, out),
  };
}

/**
 * The gradients shared by every fused sequence kernel, from dZ [T·B, G] (time-major gate
 * pre-activation gradients): dK = Xᵀ·dZ over the time-major inputs, and db = Σ_rows dZ (summed in
 * float64).
 */
export function inputWeightAndBiasGradients(
  ops: Gemm,
  backend: WasmBackend,
  x: TensorInfo,
  dZ: TensorInfo,
  dims: { B: number; T: number; F: number; G: number },
  goBackwards: boolean,
): [dK: TensorInfo, db: TensorInfo] {
  const { B, T, F, G } = dims;
  const xt = backend.makeOutput([T * B, F], "float32");
  timeMajor(f32(backend, x), f32(backend, xt), B, T, F, goBackwards);
  const xT = ops.transpose2d(backend, xt, T * B, F);
  release(backend, xt);
  const dK = ops.gemm(backend, xT, dZ, F, T * B, G);
  release(backend, xT);

  const db = backend.makeOutput([G], "float32");
  const acc = new Float64Array(G);
  const dzv = f32(backend, dZ);
  for (let r = 0; r < T * B; r++) for (let j = 0; j < G; j++) acc[j] += dzv[r * G + j];
  f32(backend, db).set(acc);
  return [dK, db];
}

/**
 * The gradient of a fused sequence kernel: its backward kernel gives dZ (the gate pre-activations'
 * gradient), dK, dR and db from the saved inputs and the forward pass's saved states (`states`, the
 * forward outputs after the first: LSTM's A, C, H; GRU's A, H); dx, only when something asks for it
 * (tfjs asks only for inputs that a trained variable reaches), is dZ·Kᵀ put back in [B, T, F] order.
 * `dZRows`: "samples" when dZ's row b·T + t holds sample b at time t (then dZ·Kᵀ is dx as it is),
 * "steps" when row s·B + b holds processing step s.
 */
export function registerSequenceGradient(tf: Tf, forward: string, backward: string, states: readonly string[], dZRows: "samples" | "steps"): void {
  if (tf.getGradient(forward) !== undefined) return;
  const config: FirstOutputGradConfig = {
    kernelName: forward,
    // The states are outputs only to be saved: nothing differentiates them (core/train/gradients.ts).
    firstOutputOnly: true,
    inputsToSave: ["x", "kernel", "recurrentKernel", "mask", "recurrentMask"],
    outputsToSave: [false, ...states.map(() => true)],
    gradFunc: (dys: TF.Tensor | TF.Tensor[], saved: TF.Tensor[], attrs: TF.NamedAttrMap) => {
      const [x, kernel, recurrentKernel, mask, recurrentMask, ...saveds] = saved;
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const inputs: Record<string, TF.Tensor> = { dy, x, kernel, recurrentKernel, mask, recurrentMask };
      states.forEach((name, i) => (inputs[name] = saveds[i]));
      const [dZ, dK, dR, db] = tf.engine().runKernel(backward, inputs as unknown as TF.NamedTensorMap, attrs) as TF.Tensor[];
      const [B, T, F] = x.shape;
      const goBackwards = Boolean(attrs.goBackwards);
      return {
        x: () =>
          tf.tidy(() => {
            if (dZRows === "samples") return tf.reshape(tf.matMul(dZ, kernel, false, true), [B, T, F]);
            const steps = tf.reshape(tf.matMul(dZ, kernel, false, true), [T, B, F]);
            return tf.transpose(goBackwards ? tf.reverse(steps, 0) : steps, [1, 0, 2]);
          }),
        kernel: () => dK,
        recurrentKernel: () => dR,
        bias: () => db,
        mask: () => tf.zerosLike(mask),
        recurrentMask: () => tf.zerosLike(recurrentMask),
      };
    },
  };
  tf.registerGradient(config);
}
