/**
 * GatherV2 as row copies: with x seen as [batch, outer, dim, slice] (axis = dim), out[b, o, i] =
 * x[b, o, indices[b, i]], each a contiguous run of `slice` values. Stock wasm gathers element by
 * element with index arithmetic (about 30 ns a value); tfjs-layers' fit gathers every training
 * batch out of the whole dataset this way. Out-of-range indices throw, as stock does.
 */
import type * as TF from "@tensorflow/tfjs";
import { type ClaveKernel, type KernelArgs, size, view } from "./wasm.ts";

export const gatherV2: ClaveKernel = {
  kernelName: "GatherV2",
  reason: "stock GatherV2 copies element by element; every training batch is gathered with it",
  make(tf, stock) {
    const fallback = stock("GatherV2");
    return (args: KernelArgs<{ axis: number; batchDims: number }>) => {
      const { inputs, backend, attrs } = args;
      const { x, indices } = inputs;
      if ((x.dtype === "string" || indices.dtype !== "int32") && fallback) return fallback(args);
      const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
      const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(x as unknown as TF.Tensor, indices as unknown as TF.Tensor, axis, attrs.batchDims ?? 0);
      const out = backend.makeOutput(info.outputShape, x.dtype);
      if (size(info.outputShape) === 0) return out;
      const src = view(backend, x);
      const dst = view(backend, out);
      const idx = view(backend, indices);
      const { batchSize, outerSize, dimSize, sliceSize } = info;
      const perBatch = idx.length / batchSize;
      for (let i = 0; i < idx.length; i++) {
        if (idx[i] < 0 || idx[i] >= dimSize) throw new Error(`GatherV2: the index value ${idx[i]} is not in [0, ${dimSize - 1}]`);
      }
      let o = 0;
      for (let b = 0; b < batchSize; b++) {
        for (let r = 0; r < outerSize; r++) {
          const base = (b * outerSize + r) * dimSize * sliceSize;
          for (let i = 0; i < perBatch; i++, o += sliceSize) {
            const from = base + idx[b * perBatch + i] * sliceSize;
            if (sliceSize >= 16) dst.set(src.subarray(from, from + sliceSize), o);
            else for (let k = 0; k < sliceSize; k++) dst[o + k] = src[from + k];
          }
        }
      }
      return out;
    };
  },
};
