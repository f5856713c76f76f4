/**
 * SplitV reading the input in place: consecutive pieces of `x` along `axis`, sized by
 * `numOrSizeSplits` (a count of equal pieces, or the sizes with at most one -1). Stock wasm's SplitV
 * copies the whole input once per piece (via its Slice); RNN cells split their gates with it every step.
 */
import type * as TF from "@tensorflow/tfjs";
import { sliceInPlace } from "./slice.ts";
import type { ClaveKernel, KernelArgs } from "./wasm.ts";

export const splitV: ClaveKernel = {
  kernelName: "SplitV",
  reason: "stock SplitV copies the whole input once per piece (via Slice)",
  make(tf, stock) {
    const fallback = stock("SplitV");
    return ({ inputs, backend, attrs }: KernelArgs<{ numOrSizeSplits: number | number[]; axis: number | number[] }>) => {
      const x = inputs.x;
      if (x.dtype === "string" && fallback) return fallback({ inputs, backend, attrs });
      const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(x as unknown as TF.Tensor, attrs.numOrSizeSplits, axis);
      const begin = new Array<number>(x.shape.length).fill(0);
      return sizes.map((s) => {
        const shape = x.shape.slice();
        shape[axis] = s;
        const piece = sliceInPlace(backend, x, begin, shape);
        begin[axis] += s;
        return piece;
      });
    };
  },
};
