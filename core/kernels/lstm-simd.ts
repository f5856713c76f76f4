/**
 * The fused LSTM's gate arithmetic (lstm.ts) in 128-bit wasm SIMD, four units at a time, on the
 * wasm backend's heap. In JavaScript a step's gates cost ~40 ns a unit and sample (four exponentials
 * through Math.exp, each a call), about a fifth of an LSTM layer's training time; here σ(z) is
 * 1 / (1 + exp(−z)) (or hardSigmoid clip(0.2z + 0.5, 0, 1)) and tanh a rational function, both
 * polynomial approximations in float32 within a few ulps (simd-code.ts), about 7 ns a unit.
 *
 * Each operation rounds to float32 (tfjs's own ops do too); the JavaScript path rounds once per
 * value, so the two differ by float rounding. The module assembles here and exports, over
 * byte offsets of rows of U units (U a multiple of 4; B rows, gate rows of 4U):
 *
 *   forward{Sigmoid,Hard}(zx, zxStride, zr, bias, cPrev, A, C, H, hIn, r, B, U): one step for every
 *     sample (zx's sample rows zxStride bytes apart, the others' contiguous):
 *     z = zx + zr + bias; A = (σ(z_i), σ(z_f), tanh(z_c), σ(z_o)); C = f·cPrev + i·g;
 *     H = o·tanh(C); hIn = H·r
 *   backward{Sigmoid,Hard}(dy, dyStride, dhNext, dcNext, A, C, cPrev, dz, B, U): one step back:
 *     dh = dhNext + dy; dc = dcNext + dh·o·(1 − tanh²C); dz = (dc·g·σ'(i), dc·cPrev·σ'(f),
 *     dc·i·(1 − g²), dh·tanh C·σ'(o)); dcNext = dc·f
 *   mul(a, b, out, bytes): out = a·b elementwise
 *
 * Masked samples are the caller's to fix up (lstm.ts).
 */
import { type WasmBackend } from "./wasm.ts";
import { heapModule, onHeap } from "./simd.ts";
import { type Code, Fn, I32, V128, add, addI, and, div, exp, forUp, get, gt, i32, increment, load, lt, max, min, mul, mulI, set, splat, store, sub, tanh, whileBelow } from "./simd-code.ts";

export type LstmForwardSimd = (zx: number, zxStride: number, zr: number, bias: number, cPrev: number, A: number, C: number, H: number, hIn: number, r: number, B: number, U: number) => void;
export type LstmBackwardSimd = (dy: number, dyStride: number, dhNext: number, dcNext: number, A: number, C: number, cPrev: number, dz: number, B: number, U: number) => void;
export interface LstmSimd {
  forwardSigmoid: LstmForwardSimd;
  forwardHard: LstmForwardSimd;
  backwardSigmoid: LstmBackwardSimd;
  backwardHard: LstmBackwardSimd;
  mul(a: number, b: number, out: number, bytes: number): void;
}

function sigma(fn: Fn, x: Code, hard: boolean): Code {
  if (hard) return min(max(add(mul(x, splat(0.2)), splat(0.5)), splat(0)), splat(1));
  const v = fn.local(V128);
  return [...x, ...set(v), ...div(splat(1), add(splat(1), exp(fn, sub(splat(0), get(v)))))];
}

/** dσ/dz from σ's output y (a local). */
function sigmaSlope(y: Code, hard: boolean): Code {
  if (hard) return and(splat(0.2), and(gt(y, splat(0)), lt(y, splat(1))));
  return mul(y, sub(splat(1), y));
}

/**
 * `for (b = 0; b < B; b++) for (u = 0; u < U·4 bytes; u += 16) body` with `gRow`/`uRow` (byte offsets
 * of sample b's gate row and unit row) and `u` as locals; `extra` runs at the end of each sample.
 */
function rows(fn: Fn, B: number, U: number, body: (l: { u: number; gRow: number; uRow: number; ub: number }) => Code, extra: (l: { uRow: number }) => Code = () => []): Code {
  const b = fn.local(I32);
  const u = fn.local(I32);
  const gRow = fn.local(I32);
  const uRow = fn.local(I32);
  const ub = fn.local(I32);
  return [
    ...get(U), ...i32(4), ...mulI, ...set(ub),
    ...i32(0), ...set(b), ...i32(0), ...set(gRow), ...i32(0), ...set(uRow),
    ...whileBelow(b, get(B), [...increment(gRow, [...get(ub), ...i32(4), ...mulI]), ...increment(uRow, get(ub)), ...increment(b, i32(1))], [
      ...forUp(u, get(ub), 16, body({ u, gRow, uRow, ub })),
      ...extra({ uRow }),
    ]),
  ];
}

/** Address base + row + u (+ k·ub). */
const at = (base: number, row: number, u: number, ub?: number, k = 0): Code => {
  const out = [...get(base), ...get(row), ...addI, ...get(u), ...addI];
  for (let i = 0; i < k; i++) out.push(...get(ub!), ...addI);
  return out;
};

function forward(hard: boolean) {
  const params = Array(12).fill(I32);
  const [ZX, ZXSTRIDE, ZR, BIAS, CPREV, A, C, H, HIN, R, B, U] = params.map((_, i) => i);
  const fn = new Fn(params);
  const [gi, gf, gg, go, c, h] = [0, 1, 2, 3, 4, 5].map(() => fn.local(V128));
  const zero = fn.local(I32);
  const zxRow = fn.local(I32);
  const body = rows(fn, B, U, ({ u, gRow, uRow, ub }) => {
    const z = (k: number) => add(add(load(at(ZX, zxRow, u, ub, k)), load(at(ZR, gRow, u, ub, k))), load(at(BIAS, zero, u, ub, k)));
    return [
      ...sigma(fn, z(0), hard), ...set(gi),
      ...sigma(fn, z(1), hard), ...set(gf),
      ...tanh(fn, z(2)), ...set(gg),
      ...sigma(fn, z(3), hard), ...set(go),
      ...store(at(A, gRow, u, ub, 0), get(gi)),
      ...store(at(A, gRow, u, ub, 1), get(gf)),
      ...store(at(A, gRow, u, ub, 2), get(gg)),
      ...store(at(A, gRow, u, ub, 3), get(go)),
      ...add(mul(get(gf), load(at(CPREV, uRow, u))), mul(get(gi), get(gg))), ...set(c),
      ...store(at(C, uRow, u), get(c)),
      ...mul(get(go), tanh(fn, get(c))), ...set(h),
      ...store(at(H, uRow, u), get(h)),
      ...store(at(HIN, uRow, u), mul(get(h), load(at(R, uRow, u)))),
    ];
  }, () => [...get(zxRow), ...get(ZXSTRIDE), ...addI, ...set(zxRow)]);
  return { name: hard ? "forwardHard" : "forwardSigmoid", params, locals: fn.locals, body: [...i32(0), ...set(zero), ...i32(0), ...set(zxRow), ...body] };
}

function backward(hard: boolean) {
  const params = Array(10).fill(I32);
  const [DY, DYSTRIDE, DHNEXT, DCNEXT, A, C, CPREV, DZ, B, U] = params.map((_, i) => i);
  const fn = new Fn(params);
  const [gi, gf, gg, go, dh, tc, dc] = [0, 1, 2, 3, 4, 5, 6].map(() => fn.local(V128));
  const dyRow = fn.local(I32);
  const body = rows(
    fn,
    B,
    U,
    ({ u, gRow, uRow, ub }) => [
      ...load(at(A, gRow, u, ub, 0)), ...set(gi),
      ...load(at(A, gRow, u, ub, 1)), ...set(gf),
      ...load(at(A, gRow, u, ub, 2)), ...set(gg),
      ...load(at(A, gRow, u, ub, 3)), ...set(go),
      ...add(load(at(DHNEXT, uRow, u)), load(at(DY, dyRow, u))), ...set(dh),
      ...tanh(fn, load(at(C, uRow, u))), ...set(tc),
      ...add(load(at(DCNEXT, uRow, u)), mul(mul(get(dh), get(go)), sub(splat(1), mul(get(tc), get(tc))))), ...set(dc),
      ...store(at(DZ, gRow, u, ub, 0), mul(mul(get(dc), get(gg)), sigmaSlope(get(gi), hard))),
      ...store(at(DZ, gRow, u, ub, 1), mul(mul(get(dc), load(at(CPREV, uRow, u))), sigmaSlope(get(gf), hard))),
      ...store(at(DZ, gRow, u, ub, 2), mul(mul(get(dc), get(gi)), sub(splat(1), mul(get(gg), get(gg))))),
      ...store(at(DZ, gRow, u, ub, 3), mul(mul(get(dh), get(tc)), sigmaSlope(get(go), hard))),
      ...store(at(DCNEXT, uRow, u), mul(get(dc), get(gf))),
    ],
    () => [...get(dyRow), ...get(DYSTRIDE), ...addI, ...set(dyRow)],
  );
  return { name: hard ? "backwardHard" : "backwardSigmoid", params, locals: fn.locals, body: [...i32(0), ...set(dyRow), ...body] };
}

function mulFunction() {
  const params = Array(4).fill(I32);
  const [Aa, Bb, OUT, BYTES] = [0, 1, 2, 3];
  const fn = new Fn(params);
  const i = fn.local(I32);
  const body = forUp(i, get(BYTES), 16, store([...get(OUT), ...get(i), ...addI], mul(load([...get(Aa), ...get(i), ...addI]), load([...get(Bb), ...get(i), ...addI]))));
  return { name: "mul", params, locals: fn.locals, body };
}

export function lstmModule(): Uint8Array {
  return heapModule([forward(false), forward(true), backward(false), backward(true), mulFunction()]);
}

const KEY = {};

/** The LSTM gate functions on `backend`'s heap, or undefined where SIMD cannot run. */
export function lstmSimd(backend: WasmBackend): LstmSimd | undefined {
  return onHeap<LstmSimd>(backend, KEY, lstmModule);
}
