/**
 * Cast between float32, int32 and bool on the heap. The data is shared when the dtype does not change
 * (stock wasm copies it). To bool is `x ≠ 0` (stock wasm truncates to a byte: −1.5 became 255 and 0.5
 * became 0, where the cpu backend gives 1 and 1); to int32 truncates toward zero, as the cpu backend.
 * Other dtypes (complex64, string) go to the stock kernel.
 */
import { type ClaveKernel, type KernelArgs, view } from "./wasm.ts";

const NUMERIC = new Set(["float32", "int32", "bool"]);

export const cast: ClaveKernel = {
  kernelName: "Cast",
  reason: "stock Cast copies the tensor even when the dtype is unchanged, and casts to bool by byte truncation",
  make(_tf, stock) {
    const fallback = stock("Cast");
    return (args: KernelArgs<{ dtype: "float32" | "int32" | "bool" }>) => {
      const { inputs, backend, attrs } = args;
      const x = inputs.x;
      if (!NUMERIC.has(x.dtype) || !NUMERIC.has(attrs.dtype)) {
        if (!fallback) throw new Error(`clave kernels: cannot cast ${x.dtype} to ${attrs.dtype} on wasm`);
        return fallback(args);
      }
      if (x.dtype === attrs.dtype) {
        backend.incRef(x.dataId);
        return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
      }
      const out = backend.makeOutput(x.shape, attrs.dtype);
      const src = view(backend, x);
      const dst = view(backend, out);
      if (attrs.dtype === "bool") for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
      else dst.set(src); // float32 → int32 truncates (ToInt32); int32/bool → float32 is exact.
      return out;
    };
  },
};
