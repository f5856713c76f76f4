/**
 * A float32 tensor's values where they lie on the wasm backend's heap, without the copy `dataSync`
 * makes: a fresh array at every call, which for a data-parallel step of cnn2d_plain (a dense layer
 * of 8.6 M weights) was 35 MB per copy, several a step, left to the garbage collector. On other
 * backends, `dataSync`'s copy. A heap view is valid until the backend's next allocation.
 */
import type * as TF from "@tensorflow/tfjs";

interface HeapBackend {
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number; refCount?: number } | undefined };
  readonly wasm: { readonly HEAPU8: Uint8Array };
}

function heapEntry(tf: typeof TF, t: TF.Tensor): { view: Float32Array; refCount: number } | undefined {
  if (tf.getBackend() !== "wasm" || t.dtype !== "float32") return undefined;
  const backend = tf.backend() as unknown as HeapBackend;
  const data = backend.dataIdMap.get(t.dataId as object);
  if (data === undefined) return undefined;
  return { view: new Float32Array(backend.wasm.HEAPU8.buffer, data.memoryOffset, t.size), refCount: data.refCount ?? 1 };
}

/** `t`'s values: a view of the wasm heap (read it before anything allocates), or a copy elsewhere. */
export function valuesOf(tf: typeof TF, t: TF.Tensor): Float32Array {
  return heapEntry(tf, t)?.view ?? (t.dataSync() as Float32Array);
}

/** A writable view of `t`'s values when `t` alone holds them on the wasm heap (no other tensor shares them), else undefined. */
export function ownValuesOf(tf: typeof TF, t: TF.Tensor): Float32Array | undefined {
  const entry = heapEntry(tf, t);
  return entry && entry.refCount === 1 ? entry.view : undefined;
}
