/**
 * Clave's SIMD product (core/kernels/gemm-simd.ts) against a float64 reference: whole tiles, the
 * edge rows and columns done in JavaScript, with and without a bias, operands read in place.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import { loadTf } from "../../core/backend.ts";
import { gemmSimd, simdProduct, simdTakes } from "../../core/kernels/gemm-simd.ts";
import type { TensorInfo, WasmBackend } from "../../core/kernels/wasm.ts";
import { mulberry32 } from "../../core/random.ts";

let backend: WasmBackend;
beforeAll(async () => {
  const t = await loadTf();
  if (t.getBackend() !== "wasm") throw new Error(`this test needs the wasm backend, not ${t.getBackend()}`);
  backend = t.backend() as unknown as WasmBackend;
});

const random = mulberry32(3);
const values = (n: number) => Float32Array.from({ length: n }, () => 2 * random() - 1);
const info = (t: tf.Tensor): TensorInfo => ({ dataId: t.dataId as object, shape: t.shape, dtype: "float32" });

describe("clave's SIMD product", () => {
  test("runs on this engine's wasm SIMD; a column vector, or many columns past the last 8, go to XNNPACK", () => {
    expect(gemmSimd(backend)).toBeFunction();
    expect(simdTakes(backend, 32, 417, 128)).toBe(true);
    expect(simdTakes(backend, 130, 256, 1)).toBe(false);
    expect(simdTakes(backend, 4160, 128, 12)).toBe(false);
  });

  for (const [m, k, n, withBias] of [
    [32, 417, 128, true],
    [13, 7, 10, false],
    [4, 1, 8, true],
    [3, 5, 8, true],
    [9, 33, 17, false],
    // 9 rows: the last one through the SIMD loop in a zero-padded block of 4.
    [9, 1000, 24, true],
    // k cut into blocks (each block's rows of b in cache), the later ones added onto c.
    [6, 700, 512, true],
  ] as const) {
    test(`[${m}, ${k}]·[${k}, ${n}]${withBias ? " + bias" : ""} equals the float64 product to float rounding`, () => {
      const [a, b, bias] = [values(m * k), values(k * n), values(n)];
      const at = tf.tensor2d(a, [m, k]);
      const bt = tf.tensor2d(b, [k, n]);
      const biasT = tf.tensor1d(bias);
      const out = backend.makeOutput([m, n], "float32");
      expect(simdProduct(backend, info(at), info(bt), out, m, k, n, withBias ? info(biasT) : undefined)).toBe(true);
      const got = Float32Array.from(new Float32Array((backend.wasm.HEAPU8.buffer as ArrayBuffer), backend.dataIdMap.get(out.dataId)!.memoryOffset, m * n));
      backend.disposeData(out.dataId);
      // The operands are unchanged (read in place).
      expect(Array.from(at.dataSync())).toEqual(Array.from(a));
      expect(Array.from(bt.dataSync())).toEqual(Array.from(b));
      tf.dispose([at, bt, biasT]);
      let worst = 0;
      for (let r = 0; r < m; r++) {
        for (let c = 0; c < n; c++) {
          let s = withBias ? bias[c] : 0;
          for (let q = 0; q < k; q++) s += a[r * k + q] * b[q * n + c];
          worst = Math.max(worst, Math.abs(got[r * n + c] - s));
        }
      }
      // k products of values in [−1, 1), each rounded: a few ulps of the sum's size.
      expect(worst).toBeLessThan(1e-6 * Math.max(8, k));
    });
  }
});
