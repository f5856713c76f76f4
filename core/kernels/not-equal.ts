/**
 * NotEqual (a ≠ b → bool) for same-shaped operands or one of a single value, read in place; other
 * broadcasts go to the stock kernel. Stock wasm took 8 ns a value against a scalar; the Masking
 * layer compares every input value with the mask value, several times per batch.
 */
import { type ClaveKernel, type KernelArgs, size, view } from "./wasm.ts";

export const notEqual: ClaveKernel = {
  kernelName: "NotEqual",
  reason: "stock NotEqual against a scalar is slow; Masking compares every input value with it",
  make(tf, stock) {
    const fallback = stock("NotEqual");
    return (args: KernelArgs) => {
      const { inputs, backend } = args;
      const { a, b } = inputs;
      const na = size(a.shape);
      const nb = size(b.shape);
      const same = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
      if (a.dtype === "string" || b.dtype === "string" || !(same || na === 1 || nb === 1) || na === 0 || nb === 0) {
        if (!fallback) throw new Error("clave kernels: the wasm backend has no stock NotEqual kernel");
        return fallback(args);
      }
      const shape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const out = backend.makeOutput(shape, "bool");
      const av = view(backend, a);
      const bv = view(backend, b);
      const ov = view(backend, out);
      const n = size(shape);
      if (nb === 1 && !same) {
        const s = bv[0];
        for (let i = 0; i < n; i++) ov[i] = av[i] !== s ? 1 : 0;
      } else if (na === 1 && !same) {
        const s = av[0];
        for (let i = 0; i < n; i++) ov[i] = s !== bv[i] ? 1 : 0;
      } else {
        for (let i = 0; i < n; i++) ov[i] = av[i] !== bv[i] ? 1 : 0;
      }
      return out;
    };
  },
};
