/**
 * Slice without copying the whole input. Stock wasm's Slice reads the entire input tensor out of the
 * heap (`readSync`, a full copy) for every slice; Unpack and SplitV call it once per output, so
 * unstacking a [T, batch, features] sequence into T steps copied the sequence T times (2.4 s of a
 * 6.5 s LSTM training step). Here the input is read in place.
 *
 * out[i0..ik] = x[begin0 + i0, ..., begink + ik], copied row by row along the last axis.
 */
import type * as TF from "@tensorflow/tfjs";
import { type ClaveKernel, type KernelArgs, type TensorInfo, type Tf, type WasmBackend, size, view } from "./wasm.ts";

/** `x[begin : begin + size]` into a new tensor on the heap. `begin`/`size` already parsed (no -1). */
export function sliceInPlace(backend: WasmBackend, x: TensorInfo, begin: readonly number[], outShape: readonly number[]): TensorInfo {
  const out = backend.makeOutput(outShape, x.dtype);
  const n = size(outShape);
  if (n === 0) return out;
  const xv = view(backend, x);
  const ov = view(backend, out);
  const rank = x.shape.length;
  if (rank === 0) {
    ov[0] = xv[0];
    return out;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * x.shape[d + 1];
  // Axes after `c` are taken whole, so each step of the axes before `c` copies one contiguous row.
  let c = rank - 1;
  while (c > 0 && outShape[c] === x.shape[c]) c--;
  let rowLen = 1;
  for (let d = c; d < rank; d++) rowLen *= outShape[d];
  let src = 0;
  for (let d = 0; d < rank; d++) src += begin[d] * strides[d];
  if (c === 0) {
    ov.set(xv.subarray(src, src + n));
    return out;
  }
  const idx = new Array<number>(c).fill(0);
  for (let dst = 0; dst < n; dst += rowLen) {
    if (rowLen >= 16) ov.set(xv.subarray(src, src + rowLen), dst);
    else for (let k = 0; k < rowLen; k++) ov[dst + k] = xv[src + k];
    let d = c - 1;
    idx[d]++;
    src += strides[d];
    while (d > 0 && idx[d] === outShape[d]) {
      src -= outShape[d] * strides[d];
      idx[d] = 0;
      d--;
      idx[d]++;
      src += strides[d];
    }
  }
  return out;
}

export const slice: ClaveKernel = {
  kernelName: "Slice",
  reason: "stock Slice copies the whole input out of the heap for every slice",
  make(tf: Tf, stock) {
    const fallback = stock("Slice");
    return ({ inputs, backend, attrs }: KernelArgs<{ begin: number | number[]; size: number | number[] }>) => {
      const x = inputs.x;
      if (x.dtype === "string" && fallback) return fallback({ inputs, backend, attrs });
      const [begin, sz] = tf.slice_util.parseSliceParams(x as unknown as TF.TensorInfo, attrs.begin, attrs.size);
      return sliceInPlace(backend, x, begin, sz);
    };
  },
};
