/**
 * Transpose that keeps its trailing axes in place (perm[d] = d for the last axes, e.g. swapping
 * batch and time of [B, T, ...]): out is a permutation of contiguous blocks of x, copied whole.
 * Stock wasm moves element by element through index arithmetic for rank > 4 (60 ns a value);
 * tfjs-layers' TimeDistributed swaps batch and time of 5-D activations with it. Other
 * permutations go to the stock kernel.
 */
import { forEachRow, strides } from "./rows.ts";
import { type ClaveKernel, type KernelArgs, size, view } from "./wasm.ts";

/** Blocks shorter than this are left to the stock kernel. */
const MIN_BLOCK = 16;

export const transpose: ClaveKernel = {
  kernelName: "Transpose",
  reason: "stock Transpose is element by element for rank > 4; TimeDistributed swaps 5-D batch and time",
  make(_tf, stock) {
    const fallback = stock("Transpose");
    return (args: KernelArgs<{ perm: number[] }>) => {
      const { inputs, backend, attrs } = args;
      const x = inputs.x;
      const perm = attrs.perm;
      const rank = x.shape.length;
      // First axis of the trailing block that stays in place.
      let k = rank;
      while (k > 0 && perm[k - 1] === k - 1) k--;
      const block = size(x.shape.slice(k));
      if (x.dtype === "string" || k === 0 || block < MIN_BLOCK) {
        if (!fallback) throw new Error("clave kernels: the wasm backend has no stock Transpose kernel");
        return fallback(args);
      }
      const shape = perm.map((p) => x.shape[p]);
      const out = backend.makeOutput(shape, x.dtype);
      if (size(shape) === 0) return out;
      const src = view(backend, x);
      const dst = view(backend, out);
      const xs = strides(x.shape);
      // Walk the output's leading axes [0, k) as rows of whole blocks.
      const lead = [...shape.slice(0, k), block];
      forEachRow(lead, (r, coords) => {
        let from = 0;
        for (let d = 0; d < k; d++) from += coords[d] * xs[perm[d]];
        dst.set(src.subarray(from, from + block), r * block);
      });
      return out;
    };
  },
};
