/**
 * Tile: out[i0, ..., ik] = x[i0 mod n0, ..., ik mod nk], built a row at a time (each output row is
 * its source row repeated). Stock wasm's Tile computes every element's source index (about 60 ns a
 * value); tfjs's batch-norm gradient tiles the per-channel scale over the whole activation with it.
 */
import { forEachRow, strides } from "./rows.ts";
import { type ClaveKernel, type KernelArgs, size, view } from "./wasm.ts";

export const tile: ClaveKernel = {
  kernelName: "Tile",
  reason: "stock Tile computes a source index per element; the batch-norm gradient tiles with it",
  make(_tf, stock) {
    const fallback = stock("Tile");
    return (args: KernelArgs<{ reps: number[] }>) => {
      const { inputs, backend, attrs } = args;
      const x = inputs.x;
      if (x.dtype === "string" && fallback) return fallback(args);
      const rank = x.shape.length;
      const shape = x.shape.map((n, d) => n * attrs.reps[d]);
      const out = backend.makeOutput(shape, x.dtype);
      if (size(shape) === 0) return out;
      const src = view(backend, x);
      const dst = view(backend, out);
      if (rank === 0) {
        dst[0] = src[0];
        return out;
      }
      const xs = strides(x.shape);
      const n = x.shape[rank - 1];
      const width = shape[rank - 1];
      forEachRow(shape, (r, coords) => {
        let from = 0;
        for (let d = 0; d < rank - 1; d++) from += (coords[d] % x.shape[d]) * xs[d];
        const to = r * width;
        if (n >= 16) for (let k = 0; k < width; k += n) dst.set(src.subarray(from, from + n), to + k);
        else for (let k = 0; k < width; k++) dst[to + k] = src[from + (k % n)];
      });
      return out;
    };
  },
};
