/**
 * Tanh of float32 tensors in wasm SIMD (elementwise-simd.ts, within 3 float32 ulps of tanh), the last
 * size mod 4 values in JavaScript. Stock wasm's Tanh calls the C library's per value, ~12 ns each: the
 * attention layers' tanh(W h + b) over every time step was a couple of milliseconds per batch. Other
 * dtypes, or no SIMD, go to the stock kernel.
 */
import { elementwiseSimd } from "./elementwise-simd.ts";
import { tanh as tanhOf } from "./rnn.ts";
import { type ClaveKernel, type KernelArgs, f32, size, heapOffset } from "./wasm.ts";

export const tanh: ClaveKernel = {
  kernelName: "Tanh",
  reason: "stock Tanh runs the C library's tanh value by value; the attention layers apply it to every step",
  make(_tf, stock) {
    const fallback = stock("Tanh");
    return (args: KernelArgs) => {
      const { inputs, backend } = args;
      const x = inputs.x;
      const simd = x.dtype === "float32" ? elementwiseSimd(backend) : undefined;
      if (!simd) {
        if (!fallback) throw new Error("clave kernels: the wasm backend has no stock Tanh kernel");
        return fallback(args);
      }
      const out = backend.makeOutput(x.shape, "float32");
      const n = size(x.shape);
      const vectorized = n & ~3;
      const offset = (t: typeof x) => heapOffset(backend, t);
      if (vectorized > 0) simd.tanh(offset(x), offset(out), 4 * vectorized);
      const xv = f32(backend, x);
      const ov = f32(backend, out);
      for (let i = vectorized; i < n; i++) ov[i] = tanhOf(xv[i]);
      return out;
    };
  },
};
