/**
 * c = bias + a·b in 128-bit wasm SIMD on the wasm backend's heap (simd.ts, simd-code.ts): the product
 * every clave kernel takes (dense layers, LSTM and GRU, the convolutions' gradients, BatchMatMul).
 *
 * XNNPACK (behind tfjs's BatchMatMul) first packs the right operand into its own layout and keeps
 * the packing for that tensor: cheap for a constant, but a training step's kernel is a new tensor
 * every step, and packing one of 417 × 256 took ~160 µs, about as long as the product itself
 * (batch 32). This loop reads b in place, row-major, and ran at 42–52 GFLOP/s on one core where
 * XNNPACK's ran at 34–51 (bench/gemm.ts): each tile of 4 rows × 8 columns of c keeps eight
 * accumulators, starts from the bias, and adds a[r, k]·b[k, 0..8] for k in order (a multiply, then
 * an add, each rounded to float32, as XNNPACK's own kernel does).
 *
 *   gemm(a, b, c, init, rows, k, colBytes, lda, ldb, ldc, ldi): byte offsets of a [rows, k],
 *   b [k, ·], c [rows, ·] and the rows the accumulators start from (init + r·ldi: ldi 0 for a bias
 *   row, ldc with init = c to add onto c); `rows` a multiple of 4, `colBytes` of 32 (8 columns);
 *   lda, ldb, ldc the rows' strides in bytes. The caller does the edges (`simdProductAt`), and cuts
 *   a long k into blocks whose rows of b stay in cache.
 */
import { heapModule, leb, onHeap } from "./simd.ts";
import { Fn, I32, V128, add, addI, get, i32, increment, mul, mulI, set, simd, whileBelow } from "./simd-code.ts";
import { type TensorInfo, type WasmBackend, type WasmKernelFunc, heapOffset, release, required, stockTransposer } from "./wasm.ts";

export type GemmSimd = (a: number, b: number, c: number, init: number, rows: number, k: number, colBytes: number, lda: number, ldb: number, ldc: number, ldi: number) => void;

/** v128.load / v128.store at an address plus a constant offset. */
const loadAt = (address: number[], offset: number): number[] => [...address, ...simd(0x00), 0x00, ...leb(offset)];
const storeAt = (address: number[], offset: number, value: number[]): number[] => [...address, ...value, ...simd(0x0b), 0x00, ...leb(offset)];
/** f32.load at an address, splatted to four lanes. */
const splatLoad = (address: number[]): number[] => [...address, 0x2a, 0x02, 0x00, ...simd(0x13)];

function gemmFunction() {
  const params = Array(11).fill(I32);
  const [A, B, C, INIT, ROWS, K, COLBYTES, LDA, LDB, LDC, LDI] = params.map((_, i) => i);
  const fn = new Fn(params);
  const [i, j, kk, pb, pc, pi] = [0, 1, 2, 3, 4, 5].map(() => fn.local(I32));
  const pa = [0, 1, 2, 3].map(() => fn.local(I32));
  const acc = Array.from({ length: 8 }, () => fn.local(V128));
  const [b0, b1, s] = [0, 1, 2].map(() => fn.local(V128));
  const inner: number[] = [
    ...loadAt(get(pb), 0), ...set(b0),
    ...loadAt(get(pb), 16), ...set(b1),
    ...pa.flatMap((p, r) => [
      ...splatLoad(get(p)), ...set(s),
      ...add(get(acc[2 * r]), mul(get(s), get(b0))), ...set(acc[2 * r]),
      ...add(get(acc[2 * r + 1]), mul(get(s), get(b1))), ...set(acc[2 * r + 1]),
      ...increment(p, i32(4)),
    ]),
    ...increment(pb, get(LDB)),
  ];
  const tile: number[] = [
    // pi = init + i·ldi + j, then row after row
    ...get(INIT), ...get(i), ...get(LDI), ...mulI, ...addI, ...get(j), ...addI, ...set(pi),
    ...pa.flatMap((_, r) => [...loadAt(get(pi), 0), ...set(acc[2 * r]), ...loadAt(get(pi), 16), ...set(acc[2 * r + 1]), ...increment(pi, get(LDI))]),
    // pa[r] = a + (i + r)·lda
    ...get(A), ...get(i), ...get(LDA), ...mulI, ...addI, ...set(pa[0]),
    ...[1, 2, 3].flatMap((r) => [...get(pa[r - 1]), ...get(LDA), ...addI, ...set(pa[r])]),
    ...get(B), ...get(j), ...addI, ...set(pb),
    ...i32(0), ...set(kk),
    ...whileBelow(kk, get(K), increment(kk, i32(1)), inner),
    // pc = c + i·ldc + j, then row after row
    ...get(C), ...get(i), ...get(LDC), ...mulI, ...addI, ...get(j), ...addI, ...set(pc),
    ...pa.flatMap((_, r) => [
      ...storeAt(get(pc), 0, get(acc[2 * r])),
      ...storeAt(get(pc), 16, get(acc[2 * r + 1])),
      ...increment(pc, get(LDC)),
    ]),
  ];
  const body = [
    ...i32(0), ...set(i),
    ...whileBelow(i, get(ROWS), increment(i, i32(4)), [...i32(0), ...set(j), ...whileBelow(j, get(COLBYTES), increment(j, i32(32)), tile)]),
  ];
  return { name: "gemm", params, locals: fn.locals, body };
}

const KEY = {};

/** Floats of b (512 kB) whose rows stay in cache while every group of 4 rows of a passes over them. */
export const CACHE_FLOATS = 1 << 17;

/** Rows of a right operand `n` wide that fit in `CACHE_FLOATS` (at least 8): the product's blocks of its inner dimension. */
export const rowsInCache = (n: number): number => Math.max(8, Math.floor(CACHE_FLOATS / n));

/** The product on `backend`'s heap, or undefined where SIMD cannot run. */
export function gemmSimd(backend: WasmBackend): GemmSimd | undefined {
  return onHeap<{ gemm: GemmSimd }>(backend, KEY, () => heapModule([gemmFunction()]))?.gemm;
}

/** Multiply-adds left to JavaScript (the last n mod 8 columns) above which XNNPACK takes the product. */
const MAX_EDGE = 1 << 16;

/**
 * Whether `simdProductAt` takes a [m, k]·b [k, n] here: SIMD runs, and the columns past the last
 * whole 8 (done one by one in JavaScript) are few (a column vector, n < 8, goes to XNNPACK).
 */
export function simdTakes(backend: WasmBackend, m: number, k: number, n: number): boolean {
  return fewEdges(m, k, n) && gemmSimd(backend) !== undefined;
}

const fewEdges = (m: number, k: number, n: number): boolean => n >= 8 && m * k * (n % 8) <= MAX_EDGE;

/**
 * out = bias + a·b for a [m, k] and b [k, n] row-major at byte offsets of the heap (bias [n], or
 * 0 for none): the SIMD loop over whole tiles, the last m mod 4 rows through it too (copied into a
 * block of 4 rows padded with zeros), the last n mod 8 columns here, in the same order and
 * roundings. Returns false, touching nothing, where `simdTakes` says no (then the caller uses
 * XNNPACK). `out` must not overlap a or b.
 */
export function simdProductAt(backend: WasmBackend, a: number, b: number, out: number, m: number, k: number, n: number, bias = 0): boolean {
  const gemm = fewEdges(m, k, n) ? gemmSimd(backend) : undefined;
  if (!gemm) return false;
  const m4 = m - (m % 4);
  const n8 = n - (n % 8);
  const rest = m - m4;
  // Temporaries first (an allocation may grow the heap), views after: a zero bias when there is
  // none (the loop starts every tile from one), and the last rows' padded block.
  const zeros = bias ? undefined : backend.makeOutput([n], "float32");
  const padA = rest > 0 ? backend.makeOutput([4, k], "float32") : undefined;
  const padOut = rest > 0 ? backend.makeOutput([4, n], "float32") : undefined;
  const at = (t: TensorInfo) => heapOffset(backend, t);
  const biasAt = bias || at(zeros!);
  const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
  const view = (offset: number, length: number) => new Float32Array(heap, offset, length);
  const [av, bv, ov, biasv] = [view(a, m * k), view(b, k * n), view(out, m * n), view(biasAt, n)];
  if (zeros) biasv.fill(0);
  /** Rows [0, rows) of c at `c` from a at `from`: blocks of k whose rows of b stay in cache (`rowsInCache`), each block after the first added onto c. */
  const tiles = (from: number, c: number, rows: number) => {
    const block = rowsInCache(n);
    for (let k0 = 0; k0 < k; k0 += block) {
      const first = k0 === 0;
      gemm(from + 4 * k0, b + 4 * k0 * n, c, first ? biasAt : c, rows, Math.min(block, k - k0), n8 * 4, k * 4, n * 4, n * 4, first ? 0 : n * 4);
    }
  };
  if (m4 > 0 && n8 > 0) tiles(a, out, m4);
  if (padA && padOut && n8 > 0) {
    const pa = view(at(padA), 4 * k);
    pa.fill(0);
    pa.set(av.subarray(m4 * k, m * k));
    tiles(at(padA), at(padOut), 4);
    const po = view(at(padOut), 4 * n);
    for (let r = 0; r < rest; r++) ov.set(po.subarray(r * n, r * n + n8), (m4 + r) * n);
  }
  for (let r = 0; r < m; r++) {
    for (let c = n8; c < n; c++) {
      let acc = biasv[c];
      for (let q = 0, ai = r * k, bi = c; q < k; q++, ai++, bi += n) acc = Math.fround(acc + Math.fround(av[ai] * bv[bi]));
      ov[r * n + c] = acc;
    }
  }
  for (const t of [zeros, padA, padOut]) if (t) backend.disposeData(t.dataId);
  return true;
}

/** `simdProductAt` on whole heap tensors. */
export function simdProduct(backend: WasmBackend, a: TensorInfo, b: TensorInfo, out: TensorInfo, m: number, k: number, n: number, bias?: TensorInfo): boolean {
  const at = (t: TensorInfo) => heapOffset(backend, t);
  return simdProductAt(backend, at(a), at(b), at(out), m, k, n, bias ? at(bias) : 0);
}

/** The products clave's kernels take: a [m, k]·b [k, n] → a new heap tensor, and 2-D transposes. */
export interface Gemm {
  gemm(backend: WasmBackend, a: TensorInfo, b: TensorInfo, m: number, k: number, n: number): TensorInfo;
  transpose2d(backend: WasmBackend, t: TensorInfo, rows: number, cols: number): TensorInfo;
}

/**
 * Products in clave's SIMD loop where it runs (it matched or beat XNNPACK on every shape of the
 * benchmarked networks: 42–52 GFLOP/s against 34–51), else XNNPACK's through
 * the stock BatchMatMul (which caches b's packing by its tensor id); transposes on the stock kernel.
 */
export function makeGemm(stock: (name: string) => WasmKernelFunc | undefined): Gemm {
  const stockMatMul = required(stock, "BatchMatMul");
  const transpose = stockTransposer(stock);
  return {
    gemm(backend, a, b, m, k, n) {
      const product = backend.makeOutput([m, n], "float32");
      if (simdProduct(backend, a, b, product, m, k, n)) return product;
      release(backend, product);
      const out = stockMatMul({
        inputs: { a: { dataId: a.dataId, dtype: "float32", shape: [1, m, k] }, b: { dataId: b.dataId, dtype: "float32", shape: [1, k, n] } },
        backend,
        attrs: { transposeA: false, transposeB: false },
      }) as TensorInfo;
      out.shape = [m, n];
      return out;
    },
    transpose2d: (backend, t, rows, cols) => transpose(backend, t, [rows, cols], [1, 0]),
  };
}
