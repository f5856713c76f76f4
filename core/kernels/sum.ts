/**
 * Sum over one contiguous block of axes, read in place: with the shape seen as [outer, mid, inner]
 * (mid = the summed axes), out[o, j] = Σ_m x[o, m, j], accumulated in float64 as the cpu backend
 * does. Stock wasm transposes the summed axes innermost first; a bias gradient (sum over batch and
 * positions of a conv activation) took 16 ns per element. Other axis sets and dtypes go to the stock kernel.
 */
import { type ClaveKernel, type KernelArgs, f32, size } from "./wasm.ts";

export const sum: ClaveKernel = {
  kernelName: "Sum",
  reason: "stock Sum copies the input through a transpose unless the summed axes are innermost",
  make(tf, stock) {
    const fallback = stock("Sum");
    return (args: KernelArgs<{ axis: number | number[]; keepDims: boolean }>) => {
      const { inputs, backend, attrs } = args;
      const x = inputs.x;
      const rank = x.shape.length;
      const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
      const contiguous = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
      if (x.dtype !== "float32" || !contiguous) {
        if (!fallback) throw new Error("clave kernels: the wasm backend has no stock Sum kernel");
        return fallback(args);
      }
      const first = axes.length > 0 ? axes[0] : rank;
      const end = axes.length > 0 ? axes[axes.length - 1] + 1 : rank;
      const outer = size(x.shape.slice(0, first));
      const mid = size(x.shape.slice(first, end));
      const inner = size(x.shape.slice(end));
      const shape = attrs.keepDims ? x.shape.map((d, i) => (i >= first && i < end ? 1 : d)) : x.shape.filter((_, i) => i < first || i >= end);
      const result = backend.makeOutput(shape, "float32");
      const out = f32(backend, result);
      const src = f32(backend, x);
      if (inner === 1) {
        for (let o = 0; o < outer; o++) {
          let s = 0;
          const base = o * mid;
          for (let m = 0; m < mid; m++) s += src[base + m];
          out[o] = s;
        }
        return result;
      }
      const acc = new Float64Array(inner);
      for (let o = 0; o < outer; o++) {
        acc.fill(0);
        let p = o * mid * inner;
        for (let m = 0; m < mid; m++, p += inner) for (let j = 0; j < inner; j++) acc[j] += src[p + j];
        for (let j = 0; j < inner; j++) out[o * inner + j] = acc[j];
      }
      return result;
    };
  },
};
