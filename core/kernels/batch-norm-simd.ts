/**
 * Batch norm's passes (batch-norm.ts) in 128-bit wasm SIMD on the wasm backend's heap, four channels
 * at a time, over byte offsets; rows of `channels` values, `channels` a multiple of 4:
 *
 *   moments(x, _, shift, s1, s2, rows, channels):  s1 += x − shift, s2 += (x − shift)² per channel;
 *   gradientSums(dy, x, mean, s1, s2, rows, channels):  s1 += dy, s2 += dy·(x − μ) per channel;
 *   normalize(_, x, mean, _, a, b, out, rows, channels):  out = (x − μ)·a + b;
 *   inputGradient(dy, x, mean, p, q, r, out, rows, channels):  out = dy·p + (x − μ)·q + r.
 *
 * The sums are float32 lanes; the caller runs them over blocks of a few hundred rows and adds each
 * block's into float64, so that no float32 sum runs long.
 */
import { heapModule, onHeap } from "./simd.ts";
import { Fn, I32, V128, add, addI, forUp, get, i32, increment, load, mul, mulI, set, store, sub, whileBelow } from "./simd-code.ts";
import type { WasmBackend } from "./wasm.ts";

type Pass = (a: number, x: number, m: number, p: number, q: number, r: number, out: number, rows: number, channels: number) => void;
type Sums = (a: number, x: number, m: number, s1: number, s2: number, rows: number, channels: number) => void;

export interface BatchNormSimd {
  moments: Sums;
  gradientSums: Sums;
  normalize: Pass;
  inputGradient: Pass;
}

const at = (base: number, offset: number): number[] => [...get(base), ...get(offset), ...addI];
const at2 = (base: number, row: number, j: number): number[] => [...get(base), ...get(row), ...addI, ...get(j), ...addI];

/** for r < rows (row += rowBytes): for j < rowBytes (j += 16): inner. */
function rowsLoop(rows: number, channels: number, [r, j, row, rowBytes]: number[], inner: number[]): number[] {
  return [
    ...get(channels), ...i32(4), ...mulI, ...set(rowBytes),
    ...i32(0), ...set(r), ...i32(0), ...set(row),
    ...whileBelow(r, get(rows), [...increment(row, get(rowBytes)), ...increment(r, i32(1))], forUp(j, get(rowBytes), 16, inner)),
  ];
}

function sumsFunction(name: "moments" | "gradientSums") {
  const params = Array(7).fill(I32);
  const [A, X, M, S1, S2, ROWS, CHANNELS] = [0, 1, 2, 3, 4, 5, 6];
  const fn = new Fn(params);
  const counters = [0, 1, 2, 3].map(() => fn.local(I32));
  const [, j, row] = counters;
  const v = fn.local(V128);
  const inner =
    name === "moments"
      ? [
          ...sub(load(at2(A, row, j)), load(at(M, j))), ...set(v),
          ...store(at(S1, j), add(load(at(S1, j)), get(v))),
          ...store(at(S2, j), add(load(at(S2, j)), mul(get(v), get(v)))),
        ]
      : [
          ...load(at2(A, row, j)), ...set(v),
          ...store(at(S1, j), add(load(at(S1, j)), get(v))),
          ...store(at(S2, j), add(load(at(S2, j)), mul(get(v), sub(load(at2(X, row, j)), load(at(M, j)))))),
        ];
  return { name, params, locals: fn.locals, body: rowsLoop(ROWS, CHANNELS, counters, inner) };
}

function passFunction(name: "normalize" | "inputGradient") {
  const params = Array(9).fill(I32);
  const [A, X, M, P, Q, R, OUT, ROWS, CHANNELS] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const fn = new Fn(params);
  const counters = [0, 1, 2, 3].map(() => fn.local(I32));
  const [, j, row] = counters;
  const centred = mul(sub(load(at2(X, row, j)), load(at(M, j))), load(at(Q, j)));
  const value = name === "normalize" ? add(centred, load(at(R, j))) : add(add(mul(load(at2(A, row, j)), load(at(P, j))), centred), load(at(R, j)));
  return { name, params, locals: fn.locals, body: rowsLoop(ROWS, CHANNELS, counters, store(at2(OUT, row, j), value)) };
}

const KEY = {};

/** The passes on `backend`'s heap, or undefined where SIMD cannot run. */
export function batchNormSimd(backend: WasmBackend): BatchNormSimd | undefined {
  return onHeap<BatchNormSimd>(backend, KEY, () =>
    heapModule([sumsFunction("moments"), sumsFunction("gradientSums"), passFunction("normalize"), passFunction("inputGradient")]),
  );
}
