/**
 * A float32 tensor's values where they lie on the wasm backend's heap, without the copy `dataSync`
 * makes: a fresh array at every call, which for a data-parallel step of cnn2d_plain (a dense layer
 * of 8.6 M weights) was 35 MB per copy, several a step, left to the garbage collector. On other
 * backends, `dataSync`'s copy. A heap view is valid until the backend's next allocation.
 */
import type * as TF from "@tensorflow/tfjs";
import { type WasmBackend, f32 } from "../kernels/wasm.ts";

/** The wasm backend holding `t` as float32 on its heap, or undefined. */
function heapHolding(tf: typeof TF, t: TF.Tensor): WasmBackend | undefined {
  if (tf.getBackend() !== "wasm" || t.dtype !== "float32") return undefined;
  const backend = tf.backend() as unknown as WasmBackend;
  return backend.dataIdMap.has(t.dataId as object) ? backend : undefined;
}

const info = (t: TF.Tensor) => ({ dataId: t.dataId as object, shape: t.shape, dtype: t.dtype });

/** `t`'s values: a view of the wasm heap (read it before anything allocates), or a copy elsewhere. */
export function valuesOf(tf: typeof TF, t: TF.Tensor): Float32Array {
  const backend = heapHolding(tf, t);
  return backend ? f32(backend, info(t)) : (t.dataSync() as Float32Array);
}

/** A writable view of `t`'s values when `t` alone holds them on the wasm heap (no other tensor shares them), else undefined. */
export function ownValuesOf(tf: typeof TF, t: TF.Tensor): Float32Array | undefined {
  const backend = heapHolding(tf, t);
  return backend && (backend.dataIdMap.get(t.dataId as object)!.refCount ?? 1) === 1 ? f32(backend, info(t)) : undefined;
}
