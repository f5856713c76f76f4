/**
 * BatchMatMul that always reaches a fast product (clave's SIMD loop or XNNPACK, gemm-simd.ts).
 * out[i] = op(a[i]) · op(b[i]), op = transpose or identity, batch axes broadcast. Stock wasm sends a
 * product to XNNPACK's GEMM only when neither side is transposed and the batch is 1; everything
 * else (every gradient: dA = dy·Bᵀ, dB = Aᵀ·dy, and every batched product, e.g. attention) runs a
 * scalar triple loop about 20x slower. Here the transposed side is transposed explicitly first
 * (stock Transpose, cheap next to the product) and a batch is folded into the rows when b is shared,
 * or run one product per batch entry (the SIMD loop reads each entry where it lies).
 *
 * A transposed b is usually a weight matrix reused at every step of a sequence (dh = dz·Wᵀ in an
 * RNN's backward pass), so the last few transposed b's are kept, by their source tensor: the copy is
 * made once, and XNNPACK, which caches its packed weights by b's tensor id, packs it once too.
 */
import { makeGemm, simdProductAt, simdTakes } from "./gemm-simd.ts";
import { type ClaveKernel, type KernelArgs, type TensorInfo, type WasmBackend, type WasmKernelFunc, f32, release, required, size, heapOffset } from "./wasm.ts";

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** Transposed copies of the b operands seen last, keyed by the source tensor's data id (tfjs never writes tensor data in place). */
class TransposedCache {
  private readonly entries = new Map<object, { backend: WasmBackend; shape: string; t: TensorInfo }>();
  constructor(
    private readonly capacity: number,
    private readonly maxFloats: number,
  ) {}

  get(backend: WasmBackend, source: TensorInfo, make: () => TensorInfo): { t: TensorInfo; cached: boolean } {
    const key = source.shape.join(",");
    const hit = this.entries.get(source.dataId);
    if (hit && hit.backend === backend && hit.shape === key) {
      // Most recently used last.
      this.entries.delete(source.dataId);
      this.entries.set(source.dataId, hit);
      return { t: hit.t, cached: true };
    }
    const t = make();
    if (size(source.shape) > this.maxFloats) return { t, cached: false };
    if (hit) this.drop(source.dataId);
    // Sources disposed since go first, then the least recently used.
    for (const [id, entry] of this.entries) if (entry.backend !== backend || !backend.dataIdMap.has(id)) this.drop(id);
    while (this.entries.size >= this.capacity) this.drop(this.entries.keys().next().value as object);
    this.entries.set(source.dataId, { backend, shape: key, t });
    return { t, cached: true };
  }

  private drop(id: object): void {
    const entry = this.entries.get(id);
    this.entries.delete(id);
    if (entry && entry.backend.dataIdMap.has(entry.t.dataId)) release(entry.backend, entry.t);
  }
}

/** Batch index of an operand for each output batch index, with numpy broadcasting of the batch axes. */
function batchIndex(outer: readonly number[], outOuter: readonly number[]): number[] {
  const n = size(outOuter);
  const map = new Array<number>(n);
  const offset = outOuter.length - outer.length;
  for (let i = 0; i < n; i++) {
    let rest = i;
    let index = 0;
    let stride = 1;
    for (let d = outOuter.length - 1; d >= 0; d--) {
      const coord = rest % outOuter[d];
      rest = (rest - coord) / outOuter[d];
      const own = d - offset;
      if (own >= 0) {
        const dim = outer[own];
        index += (dim === 1 ? 0 : coord) * stride;
        stride *= dim;
      }
    }
    map[i] = index;
  }
  return map;
}

export const batchMatMul: ClaveKernel = {
  kernelName: "BatchMatMul",
  reason: "stock BatchMatMul runs transposed and batched products in a scalar loop",
  make(tf, stock) {
    const stockMatMul = required(stock, "BatchMatMul");
    const stockTranspose = required(stock, "Transpose");
    const cache = new TransposedCache(8, 1 << 20);

    /** [..., r, c] → [..., c, r] as a new heap tensor (`rows`, `cols` of each matrix; `batch` matrices). */
    const transposeLast = (backend: WasmBackend, t: TensorInfo, batch: number, rows: number, cols: number): TensorInfo => {
      const shaped: TensorInfo = { dataId: t.dataId, dtype: t.dtype, shape: batch === 1 ? [rows, cols] : [batch, rows, cols] };
      const out = stockTranspose({ inputs: { x: shaped }, backend, attrs: { perm: batch === 1 ? [1, 0] : [0, 2, 1] } }) as TensorInfo;
      return out;
    };

    const { gemm } = makeGemm(stock);

    const kernel: WasmKernelFunc = ({ inputs, backend, attrs }: KernelArgs<MatMulAttrs>) => {
      const { a, b } = inputs;
      const { transposeA, transposeB } = attrs;
      if (a.dtype !== "float32" || b.dtype !== "float32") return stockMatMul({ inputs, backend, attrs });
      const aRank = a.shape.length;
      const bRank = b.shape.length;
      const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
      const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
      const kb = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
      const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
      if (k !== kb) {
        throw new Error(
          `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
        );
      }
      const aOuter = a.shape.slice(0, -2);
      const bOuter = b.shape.slice(0, -2);
      const outOuter = tf.broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
      const outShape = [...outOuter, m, n];
      const batchA = size(aOuter);
      const batchB = size(bOuter);
      const batch = size(outOuter);
      if (m === 0 || n === 0 || batch === 0 || k === 0) {
        const out = backend.makeOutput(outShape, "float32");
        if (size(outShape) > 0) f32(backend, out).fill(0);
        return out;
      }

      const aT = transposeA ? transposeLast(backend, a, batchA, k, m) : a;
      let bT = b;
      let bCached = false;
      if (transposeB) {
        ({ t: bT, cached: bCached } = cache.get(backend, b, () => transposeLast(backend, b, batchB, n, k)));
      }
      try {
        if (batchB === 1) {
          // One product: a's matrices are contiguous rows (after the transpose), b is shared.
          const out = gemm(backend, aT, bT, batchA * m, k, n);
          out.shape = outShape;
          return out;
        }
        const mapA = batchIndex(aOuter, outOuter);
        const mapB = batchIndex(bOuter, outOuter);
        const out = backend.makeOutput(outShape, "float32");
        if (simdTakes(backend, m, k, n)) {
          // One SIMD product per output batch entry, on the matrices where they lie.
          const [aAt, bAt, outAt] = [aT, bT, out].map((t) => heapOffset(backend, t));
          for (let i = 0; i < batch; i++) simdProductAt(backend, aAt + 4 * mapA[i] * m * k, bAt + 4 * mapB[i] * k * n, outAt + 4 * i * m * n, m, k, n);
          return out;
        }
        // One XNNPACK product per output batch entry, each on its own copy of the two matrices. XNNPACK
        // caches its packed weights by b's tensor id, so every entry gets a fresh b.
        const ai = backend.makeOutput([m, k], "float32");
        for (let i = 0; i < batch; i++) {
          const bi = backend.makeOutput([k, n], "float32");
          f32(backend, ai).set(f32(backend, aT).subarray(mapA[i] * m * k, (mapA[i] + 1) * m * k));
          f32(backend, bi).set(f32(backend, bT).subarray(mapB[i] * k * n, (mapB[i] + 1) * k * n));
          const oi = gemm(backend, ai, bi, m, k, n);
          f32(backend, out).set(f32(backend, oi), i * m * n);
          release(backend, oi, bi);
        }
        release(backend, ai);
        return out;
      } finally {
        if (aT !== a) release(backend, aT);
        if (bT !== b && !bCached) release(backend, bT);
      }
    };
    return kernel;
  },
};
