/**
 * Reverse along `dims`: out[..., i, ...] = x[..., n − 1 − i, ...] on each reversed axis, a row at a
 * time. Stock wasm's Reverse computes every element's source index (about 40 ns a value);
 * Bidirectional RNNs reverse their backward half's sequence (and its gradient) with it.
 */
import { forEachRow, strides } from "./rows.ts";
import { type ClaveKernel, type KernelArgs, size, view } from "./wasm.ts";

export const reverse: ClaveKernel = {
  kernelName: "Reverse",
  reason: "stock Reverse computes a source index per element; Bidirectional RNNs reverse with it",
  make(tf, stock) {
    const fallback = stock("Reverse");
    return (args: KernelArgs<{ dims: number | number[] }>) => {
      const { inputs, backend, attrs } = args;
      const x = inputs.x;
      if (x.dtype === "string" && fallback) return fallback(args);
      const rank = x.shape.length;
      const out = backend.makeOutput(x.shape, x.dtype);
      if (size(x.shape) === 0) return out;
      const src = view(backend, x);
      const dst = view(backend, out);
      if (rank === 0) {
        dst[0] = src[0];
        return out;
      }
      const flip = new Array<boolean>(rank).fill(false);
      for (const d of tf.util.parseAxisParam(attrs.dims, x.shape)) flip[d] = true;
      const xs = strides(x.shape);
      const n = x.shape[rank - 1];
      forEachRow(x.shape, (r, coords) => {
        let from = 0;
        for (let d = 0; d < rank - 1; d++) from += (flip[d] ? x.shape[d] - 1 - coords[d] : coords[d]) * xs[d];
        const to = r * n;
        if (flip[rank - 1]) for (let k = 0; k < n; k++) dst[to + k] = src[from + n - 1 - k];
        else if (n >= 16) dst.set(src.subarray(from, from + n), to);
        else for (let k = 0; k < n; k++) dst[to + k] = src[from + k];
      });
      return out;
    };
  },
};
