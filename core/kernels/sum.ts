/**
 * Sum and Mean over one contiguous block of axes, read in place: with the shape seen as [outer, mid,
 * inner] (mid = the reduced axes), out[o, j] = Σ_m x[o, m, j] (÷ mid for Mean), accumulated in
 * float64 as the cpu backend does. Stock wasm transposes the reduced axes innermost first; a bias
 * gradient (sum over batch and positions of a conv activation) took 16 ns per element, and batch
 * norm's statistics (two means over batch, time and frequency of every activation) were a tenth of a
 * CNN's training step. Other axis sets and dtypes go to the stock kernel.
 */
import { type ClaveKernel, type KernelArgs, type Tf, type WasmKernelFunc, f32, size } from "./wasm.ts";

type ReduceArgs = KernelArgs<{ axis: number | number[]; keepDims: boolean }>;

/** The kernel `name` (Sum or Mean): Σ over the axes, times `1 / count` for Mean. */
function contiguousReduction(tf: Tf, fallback: WasmKernelFunc | undefined, name: string, mean: boolean): WasmKernelFunc {
  return (args: ReduceArgs) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
    const contiguous = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
    if (x.dtype !== "float32" || !contiguous) {
      if (!fallback) throw new Error(`clave kernels: the wasm backend has no stock ${name} kernel`);
      return fallback(args);
    }
    const first = axes.length > 0 ? axes[0] : rank;
    const end = axes.length > 0 ? axes[axes.length - 1] + 1 : rank;
    const outer = size(x.shape.slice(0, first));
    const mid = size(x.shape.slice(first, end));
    const inner = size(x.shape.slice(end));
    const scale = mean ? 1 / mid : 1;
    const shape = attrs.keepDims ? x.shape.map((d, i) => (i >= first && i < end ? 1 : d)) : x.shape.filter((_, i) => i < first || i >= end);
    const result = backend.makeOutput(shape, "float32");
    const out = f32(backend, result);
    const src = f32(backend, x);
    if (inner === 1) {
      for (let o = 0; o < outer; o++) {
        let s = 0;
        const base = o * mid;
        for (let m = 0; m < mid; m++) s += src[base + m];
        out[o] = s * scale;
      }
      return result;
    }
    const acc = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      acc.fill(0);
      let p = o * mid * inner;
      for (let m = 0; m < mid; m++, p += inner) for (let j = 0; j < inner; j++) acc[j] += src[p + j];
      for (let j = 0; j < inner; j++) out[o * inner + j] = acc[j] * scale;
    }
    return result;
  };
}

export const sum: ClaveKernel = {
  kernelName: "Sum",
  reason: "stock Sum copies the input through a transpose unless the summed axes are innermost",
  make: (tf, stock) => contiguousReduction(tf, stock("Sum"), "Sum", false),
};

export const mean: ClaveKernel = {
  kernelName: "Mean",
  reason: "stock Mean copies the input through a transpose unless the averaged axes are innermost (batch norm's statistics)",
  make: (tf, stock) => contiguousReduction(tf, stock("Mean"), "Mean", true),
};
