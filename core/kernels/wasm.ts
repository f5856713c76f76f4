/**
 * What clave's kernels need from tfjs's wasm backend: tensor data lives in the backend's wasm heap,
 * `dataIdMap` maps a tensor to its heap offset, `makeOutput` allocates a result there.
 *
 * Heap views go stale when the heap grows (any allocation may grow it), so a kernel allocates every
 * output and temporary first and takes its views (`f32`) after the last allocation.
 */
import type * as TF from "@tensorflow/tfjs";

export type Tf = typeof TF;

/** A tensor as kernels see it: an opaque data id, a shape and a dtype. */
export interface TensorInfo {
  readonly dataId: object;
  shape: number[];
  readonly dtype: TF.DataType;
}

/** The parts of tfjs-backend-wasm's `BackendWasm` the kernels use. */
export interface WasmBackend {
  readonly dataIdMap: { get(dataId: object): { id: number; memoryOffset: number; refCount?: number } | undefined; has(dataId: object): boolean };
  readonly wasm: { readonly HEAPU8: Uint8Array };
  makeOutput(shape: readonly number[], dtype: TF.DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

export interface KernelArgs<A = Record<string, unknown>> {
  readonly inputs: Record<string, TensorInfo>;
  readonly backend: WasmBackend;
  readonly attrs: A;
}

export type WasmKernelFunc = (args: KernelArgs<any>) => TensorInfo | TensorInfo[];

/** One kernel of clave: the tfjs kernel it replaces or adds, and how to build it from the stock ones. */
export interface ClaveKernel {
  readonly kernelName: string;
  /** Why stock wasm needs it (shown in docs and `clave doctor`). */
  readonly reason: string;
  /** `stock` gives the wasm backend's own kernels, as registered before clave's (undefined if none). */
  make(tf: Tf, stock: (name: string) => WasmKernelFunc | undefined): WasmKernelFunc;
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Byte offset of a tensor's data on the wasm heap (what the SIMD modules take; stable while the tensor lives). */
export function heapOffset(backend: WasmBackend, t: TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error(`clave kernel: tensor data ${JSON.stringify(t.shape)} is not on the wasm backend`);
  return data.memoryOffset;
}

/** A float32 view of a tensor's data on the wasm heap (valid until the next allocation). */
export function f32(backend: WasmBackend, t: TensorInfo): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer, heapOffset(backend, t), size(t.shape));
}

/** A typed view of any numeric tensor's data on the heap (valid until the next allocation). */
export function view(backend: WasmBackend, t: TensorInfo): Float32Array | Int32Array | Uint8Array {
  const offset = heapOffset(backend, t);
  const buffer = backend.wasm.HEAPU8.buffer;
  const n = size(t.shape);
  switch (t.dtype) {
    case "float32":
      return new Float32Array(buffer, offset, n);
    case "int32":
      return new Int32Array(buffer, offset, n);
    case "bool":
      return new Uint8Array(buffer, offset, n);
    default:
      throw new Error(`clave kernel: dtype ${t.dtype} is not held on the wasm heap`);
  }
}

/** Release a temporary made inside a kernel. */
export function release(backend: WasmBackend, ...tensors: TensorInfo[]): void {
  for (const t of tensors) backend.disposeData(t.dataId);
}

/** A stock kernel that must exist (it does in every tfjs-backend-wasm 4.x). */
export function required(stock: (name: string) => WasmKernelFunc | undefined, name: string): WasmKernelFunc {
  const kernel = stock(name);
  if (kernel === undefined) throw new Error(`clave kernels: the wasm backend has no stock ${name} kernel`);
  return kernel;
}

/** The stock Transpose, applied to a tensor's data viewed with `shape`: `(backend, t, shape, perm) → transposed`. */
export function stockTransposer(
  stock: (name: string) => WasmKernelFunc | undefined,
): (backend: WasmBackend, t: TensorInfo, shape: number[], perm: number[]) => TensorInfo {
  const transpose = required(stock, "Transpose");
  return (backend, t, shape, perm) => transpose({ inputs: { x: { dataId: t.dataId, dtype: t.dtype, shape } }, backend, attrs: { perm } }) as TensorInfo;
}
