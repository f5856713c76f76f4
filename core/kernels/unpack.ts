/**
 * Unpack (unstack) reading the input in place: out[i] = x[..., i, ...] along `axis`. Stock wasm's
 * Unpack slices through its Slice, which copies the whole input once per output (see slice.ts);
 * tfjs-layers' RNNs unstack every sequence into its time steps, so this dominated LSTM training.
 */
import { sliceInPlace } from "./slice.ts";
import type { ClaveKernel, KernelArgs, TensorInfo } from "./wasm.ts";

export const unpack: ClaveKernel = {
  kernelName: "Unpack",
  reason: "stock Unpack copies the whole input once per output (via Slice)",
  make(_tf, stock) {
    const fallback = stock("Unpack");
    return ({ inputs, backend, attrs }: KernelArgs<{ axis: number }>) => {
      const x = inputs.value;
      if (x.dtype === "string" && fallback) return fallback({ inputs, backend, attrs });
      const rank = x.shape.length;
      const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
      const outShape = x.shape.filter((_, d) => d !== axis);
      const begin = new Array<number>(rank).fill(0);
      const sliceShape = x.shape.slice();
      sliceShape[axis] = 1;
      const outs: TensorInfo[] = [];
      for (let i = 0; i < x.shape[axis]; i++) {
        begin[axis] = i;
        const out = sliceInPlace(backend, x, begin, sliceShape);
        outs.push({ dataId: out.dataId, dtype: out.dtype, shape: outShape });
      }
      return outs;
    };
  },
};
