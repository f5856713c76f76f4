/**
 * Identity that shares the input's data (one more reference) instead of copying it, as the cpu and
 * webgl backends do. The engine clones every tensor it keeps for a gradient through Identity, so stock
 * wasm copied each saved activation (about 18 000 copies per LSTM training step). Tensor data is
 * never written in place, so sharing is safe (stock wasm's Reshape shares the same way).
 */
import type { ClaveKernel, KernelArgs, TensorInfo } from "./wasm.ts";

export const identity: ClaveKernel = {
  kernelName: "Identity",
  reason: "stock Identity copies the tensor; every tensor saved for a gradient goes through it",
  make(_tf, stock) {
    const fallback = stock("Identity");
    return ({ inputs, backend, attrs }: KernelArgs) => {
      const x = inputs.x;
      if (x.dtype === "string" && fallback) return fallback({ inputs, backend, attrs });
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype } satisfies TensorInfo;
    };
  },
};
