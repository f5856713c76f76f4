/**
 * Element loops in 128-bit wasm SIMD on the wasm backend's heap (simd.ts, simd-code.ts), four float32
 * lanes at a time, over byte offsets:
 *
 *   tanh(x, out, bytes): out = tanh(x) (simd-code.ts's, within 3 ulps), bytes a multiple of 16;
 *     stock wasm's Tanh takes ~12 ns a value (the attention layers' tanh(W h + b));
 *   standardize(x, mean, std, out, rows, features): out = (x − μ) / σ per feature, rows of
 *     `features` values, the last features mod 4 of each row one at a time: float32 subtraction
 *     then division, the same two roundings as the JavaScript loop it replaces (standardize.ts).
 */
import { heapModule, onHeap } from "./simd.ts";
import { Fn, I32, addI, div, forUp, get, i32, increment, load, mulI, set, store, sub, tanh, whileBelow } from "./simd-code.ts";
import type { WasmBackend } from "./wasm.ts";

export interface ElementwiseSimd {
  tanh(x: number, out: number, bytes: number): void;
  standardize(x: number, mean: number, std: number, out: number, rows: number, features: number): void;
}

const at = (base: number, offset: number): number[] => [...get(base), ...get(offset), ...addI];

function tanhFunction() {
  const params = [I32, I32, I32];
  const [X, OUT, BYTES] = [0, 1, 2];
  const fn = new Fn(params);
  const i = fn.local(I32);
  const body = forUp(i, get(BYTES), 16, store(at(OUT, i), tanh(fn, load(at(X, i)))));
  return { name: "tanh", params, locals: fn.locals, body };
}

function standardizeFunction() {
  const params = [I32, I32, I32, I32, I32, I32];
  const [X, MEAN, STD, OUT, ROWS, FEATURES] = [0, 1, 2, 3, 4, 5];
  const fn = new Fn(params);
  const [r, j, row, rowBytes, vectorBytes] = [0, 1, 2, 3, 4].map(() => fn.local(I32));
  /** x[row + j], μ[j], σ[j] as scalars: f32.load at an address. */
  const scalar = (address: number[]): number[] => [...address, 0x2a, 0x02, 0x00];
  const body = [
    ...get(FEATURES), ...i32(4), ...mulI, ...set(rowBytes),
    // Bytes of the row's whole vectors: features & ~3, times 4.
    ...get(FEATURES), 0x41, 0x7c, 0x71, ...i32(4), ...mulI, ...set(vectorBytes), // i32.const −4, i32.and
    ...i32(0), ...set(r), ...i32(0), ...set(row),
    ...whileBelow(r, get(ROWS), [...increment(row, get(rowBytes)), ...increment(r, i32(1))], [
      // Vectors.
      ...forUp(j, get(vectorBytes), 16, store([...at(OUT, row), ...get(j), ...addI], div(sub(load([...at(X, row), ...get(j), ...addI]), load(at(MEAN, j))), load(at(STD, j))))),
      // The rest, one value at a time.
      ...whileBelow(j, get(rowBytes), increment(j, i32(4)), [
        ...at(OUT, row), ...get(j), ...addI,
        ...scalar([...at(X, row), ...get(j), ...addI]), ...scalar(at(MEAN, j)), 0x93, ...scalar(at(STD, j)), 0x95,
        0x38, 0x02, 0x00, // f32.store
      ]),
    ]),
  ];
  return { name: "standardize", params, locals: fn.locals, body };
}

const KEY = {};

/** The loops on `backend`'s heap, or undefined where SIMD cannot run. */
export function elementwiseSimd(backend: WasmBackend): ElementwiseSimd | undefined {
  return onHeap<ElementwiseSimd>(backend, KEY, () => heapModule([tanhFunction(), standardizeFunction()]));
}
