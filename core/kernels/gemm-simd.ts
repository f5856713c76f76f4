/**
 * c = bias + a·b in 128-bit wasm SIMD on the wasm backend's heap (simd.ts, simd-code.ts), for a
 * product whose right operand is used once, such as a dense layer's kernel in training (new after
 * every update).
 *
 * XNNPACK (behind tfjs's BatchMatMul) first packs the right operand into its own layout and keeps
 * the packing for that tensor: cheap for a constant, but a training step's kernel is a new tensor
 * every step, and packing one of 417 × 256 took ~160 µs, about as long as the product itself
 * (batch 32). This loop reads b in place, row-major: each tile of 4 rows × 8 columns of c keeps eight
 * accumulators, starts from the bias, and adds a[r, k]·b[k, 0..8] for k in order (a multiply, then
 * an add, each rounded to float32, as XNNPACK's own kernel does).
 *
 *   gemm(a, b, c, bias, rows, k, colBytes, lda, ldb, ldc): byte offsets of a [rows, k], b [k, ·],
 *   c [rows, ·] and bias [·]; `rows` a multiple of 4, `colBytes` of 32 (8 columns); lda, ldb, ldc the
 *   rows' strides in bytes. The caller does the edges (`denseProduct`).
 */
import { heapModule, leb, onHeap } from "./simd.ts";
import { Fn, I32, V128, add, addI, get, i32, increment, mul, mulI, set, simd, whileBelow } from "./simd-code.ts";
import { f32, type TensorInfo, type WasmBackend } from "./wasm.ts";

export type GemmSimd = (a: number, b: number, c: number, bias: number, rows: number, k: number, colBytes: number, lda: number, ldb: number, ldc: number) => void;

/** v128.load / v128.store at an address plus a constant offset. */
const loadAt = (address: number[], offset: number): number[] => [...address, ...simd(0x00), 0x00, ...leb(offset)];
const storeAt = (address: number[], offset: number, value: number[]): number[] => [...address, ...value, ...simd(0x0b), 0x00, ...leb(offset)];
/** f32.load at an address, splatted to four lanes. */
const splatLoad = (address: number[]): number[] => [...address, 0x2a, 0x02, 0x00, ...simd(0x13)];

function gemmFunction() {
  const params = Array(10).fill(I32);
  const [A, B, C, BIAS, ROWS, K, COLBYTES, LDA, LDB, LDC] = params.map((_, i) => i);
  const fn = new Fn(params);
  const [i, j, kk, pb, pc] = [0, 1, 2, 3, 4].map(() => fn.local(I32));
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
    ...pa.flatMap((_, r) => [...get(BIAS), ...get(j), ...addI, ...simd(0x00), 0x00, 0x00, ...set(acc[2 * r]), ...loadAt([...get(BIAS), ...get(j), ...addI], 16), ...set(acc[2 * r + 1])]),
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

/** The product on `backend`'s heap, or undefined where SIMD cannot run. */
export function gemmSimd(backend: WasmBackend): GemmSimd | undefined {
  return onHeap<{ gemm: GemmSimd }>(backend, KEY, () => heapModule([gemmFunction()]))?.gemm;
}

/**
 * Whether the SIMD loop is the faster way to a [m, k]·b [k, n]: when b fits in a core's cache (up
 * to 2¹⁸ values, 1 MB), or the product is short enough (m ≤ 64) that XNNPACK's packing of b would
 * cost about as much as the product. A larger b read in place, column block after column block, for
 * each group of 4 rows of a, comes from memory again and again; XNNPACK's packed copy does not (the
 * LSTM's kernel gradient, [546, 4160]·[4160, 512], ran at a third of XNNPACK's speed).
 */
export function simdFits(m: number, k: number, n: number): boolean {
  return k * n <= 1 << 18 || m <= 64;
}

/**
 * out = bias + a·b for a [m, k] and b [k, n] row-major on the heap (bias [n], or none): the SIMD
 * loop over whole tiles, the last m mod 4 rows and n mod 8 columns here, in the same order and
 * roundings. Returns false, touching nothing, where the SIMD loop cannot run (then the caller uses
 * XNNPACK). `out` must not overlap a or b.
 */
export function simdProduct(backend: WasmBackend, a: TensorInfo, b: TensorInfo, out: TensorInfo, m: number, k: number, n: number, bias?: TensorInfo): boolean {
  const gemm = gemmSimd(backend);
  if (!gemm) return false;
  // A zero bias when there is none: the loop starts every tile from one.
  const zeros = bias ? undefined : backend.makeOutput([n], "float32");
  const biasInfo = bias ?? zeros!;
  const offset = (t: TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
  const m4 = m - (m % 4);
  const n8 = n - (n % 8);
  const [av, bv, ov, biasv] = [a, b, out, biasInfo].map((t) => f32(backend, t));
  if (zeros) biasv.fill(0);
  if (m4 > 0 && n8 > 0) gemm(offset(a), offset(b), offset(out), offset(biasInfo), m4, k, n8 * 4, k * 4, n * 4, n * 4);
  const edge = (r: number, c: number) => {
    let acc = biasv[c];
    for (let q = 0, ai = r * k, bi = c; q < k; q++, ai++, bi += n) acc = Math.fround(acc + Math.fround(av[ai] * bv[bi]));
    ov[r * n + c] = acc;
  };
  for (let r = 0; r < m; r++) for (let c = n8; c < n; c++) edge(r, c);
  for (let r = m4; r < m; r++) for (let c = 0; c < n8; c++) edge(r, c);
  if (zeros) backend.disposeData(zeros.dataId);
  return true;
}
