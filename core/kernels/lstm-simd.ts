/**
 * The fused LSTM's gate arithmetic (lstm.ts) in 128-bit wasm SIMD, four units at a time, on the
 * wasm backend's heap. In JavaScript a step's gates cost ~40 ns a unit and sample (four exponentials
 * through Math.exp, each a call), about a fifth of an LSTM layer's training time; here σ and tanh
 * are polynomials in float32:
 *
 *   exp: Cephes' expf (range reduction by ln 2, a degree-5 polynomial, 2ⁿ built in the exponent bits),
 *        the argument clamped to [−87, 88];
 *   tanh: Eigen's rational approximation (odd degree 13 over even degree 6, clamped at ±7.9053, x
 *        itself below |x| < 0.0004), within a few float32 ulps;
 *   σ(z) = 1 / (1 + exp(−z)), or hardSigmoid clip(0.2z + 0.5, 0, 1).
 *
 * Each operation rounds to float32 (tfjs's own ops do too); the JavaScript path rounds once per
 * value, so the two differ by float rounding. The module assembles here (simd.ts) and exports, over
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
import { heapModule, leb, onHeap } from "./simd.ts";

export type LstmForwardSimd = (zx: number, zxStride: number, zr: number, bias: number, cPrev: number, A: number, C: number, H: number, hIn: number, r: number, B: number, U: number) => void;
export type LstmBackwardSimd = (dy: number, dyStride: number, dhNext: number, dcNext: number, A: number, C: number, cPrev: number, dz: number, B: number, U: number) => void;
export interface LstmSimd {
  forwardSigmoid: LstmForwardSimd;
  forwardHard: LstmForwardSimd;
  backwardSigmoid: LstmBackwardSimd;
  backwardHard: LstmBackwardSimd;
  mul(a: number, b: number, out: number, bytes: number): void;
}

const I32 = 0x7f;
const V128 = 0x7b;

type Code = number[];
const get = (i: number): Code => [0x20, ...leb(i)];
const set = (i: number): Code => [0x21, ...leb(i)];
const simd = (op: number): Code => [0xfd, ...leb(op)];
const i32 = (n: number): Code => {
  // Signed LEB128 of a small non-negative constant.
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if (n === 0 && (byte & 0x40) === 0) return [0x41, ...out, byte];
    out.push(byte | 0x80);
  }
};
const f32 = (x: number): Code => [0x43, ...new Uint8Array(new Float32Array([x]).buffer)];
const addI: Code = [0x6a];
const mulI: Code = [0x6c];
const load = (address: Code): Code => [...address, ...simd(0x00), 0x00, 0x00];
const store = (address: Code, value: Code): Code => [...address, ...value, ...simd(0x0b), 0x00, 0x00];
const splat = (x: number): Code => [...f32(x), ...simd(0x13)];
const add = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe4)];
const sub = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe5)];
const mul = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe6)];
const div = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe7)];
const min = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe8)];
const max = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe9)];
const abs = (a: Code): Code => [...a, ...simd(0xe0)];
const lt = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x43)];
const gt = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x44)];
const and = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x4e)];
/** a where mask, else b. */
const select = (a: Code, b: Code, mask: Code): Code => [...a, ...b, ...mask, ...simd(0x52)];
const nearest = (a: Code): Code => [...a, ...simd(0x6a)];
/** 2ⁿ for a vector of integral floats n in [−126, 127]. */
const pow2 = (n: Code): Code => [...n, ...simd(0xf8), ...i32(127), ...simd(0x11), ...simd(0xae), ...i32(23), ...simd(0xab)];

/** Locals of a function under construction: params first, then i32 and v128 scratch. */
class Fn {
  readonly locals: [number, number][] = [];
  private next: number;
  constructor(readonly params: number[]) {
    this.next = params.length;
  }
  local(type: number): number {
    this.locals.push([1, type]);
    return this.next++;
  }
}

/** exp(x) (Cephes expf), x a v128 local; scratch locals from `fn`. */
function exp(fn: Fn, x: Code): Code {
  const v = fn.local(V128);
  const n = fn.local(V128);
  const r = fn.local(V128);
  const p = fn.local(V128);
  return [
    ...min(max(x, splat(-87)), splat(88)), ...set(v),
    ...nearest(mul(get(v), splat(Math.LOG2E))), ...set(n),
    ...sub(sub(get(v), mul(get(n), splat(0.693359375))), mul(get(n), splat(-2.12194440e-4))), ...set(r),
    ...splat(1.9875691500e-4), ...set(p),
    ...[1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1].flatMap((c) => [...add(mul(get(p), get(r)), splat(c)), ...set(p)]),
    // (p·r² + r + 1)·2ⁿ
    ...mul(add(add(mul(get(p), mul(get(r), get(r))), get(r)), splat(1)), pow2(get(n))),
  ];
}

/** tanh(x) (Eigen's float rational approximation). */
function tanh(fn: Fn, x: Code): Code {
  const v = fn.local(V128);
  const x2 = fn.local(V128);
  const p = fn.local(V128);
  const q = fn.local(V128);
  const alpha = [-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-8, 1.48572235717979e-5, 6.37261928875436e-4, 4.89352455891786e-3];
  const beta = [1.19825839466702e-6, 1.18534705686654e-4, 2.268434632439e-3, 4.89352518554385e-3];
  return [
    ...x, ...set(v),
    ...min(max(get(v), splat(-7.90531110763549805)), splat(7.90531110763549805)), ...set(x2),
    ...mul(get(x2), get(x2)), ...set(x2),
    ...splat(alpha[0]), ...set(p),
    ...alpha.slice(1).flatMap((c) => [...add(mul(get(p), get(x2)), splat(c)), ...set(p)]),
    ...splat(beta[0]), ...set(q),
    ...beta.slice(1).flatMap((c) => [...add(mul(get(q), get(x2)), splat(c)), ...set(q)]),
    // p·x / q with x clamped; x itself where |x| < 0.0004.
    ...select(get(v), div(mul(get(p), min(max(get(v), splat(-7.90531110763549805)), splat(7.90531110763549805))), get(q)), lt(abs(get(v)), splat(4e-4))),
  ];
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
    0x02, 0x40, 0x03, 0x40, // block, loop (samples)
    ...get(b), ...get(B), 0x4e, 0x0d, 0x01, // b >= B: out (i32.ge_s)
    ...i32(0), ...set(u),
    0x02, 0x40, 0x03, 0x40, // block, loop (units)
    ...get(u), ...get(ub), 0x4e, 0x0d, 0x01,
    ...body({ u, gRow, uRow, ub }),
    ...get(u), ...i32(16), ...addI, ...set(u),
    0x0c, 0x00, 0x0b, 0x0b, // br loop, end loop, end block
    ...extra({ uRow }),
    ...get(gRow), ...get(ub), ...i32(4), ...mulI, ...addI, ...set(gRow),
    ...get(uRow), ...get(ub), ...addI, ...set(uRow),
    ...get(b), ...i32(1), ...addI, ...set(b),
    0x0c, 0x00, 0x0b, 0x0b,
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
  const body = [
    ...i32(0), ...set(i),
    0x02, 0x40, 0x03, 0x40,
    ...get(i), ...get(BYTES), 0x4e, 0x0d, 0x01,
    ...store([...get(OUT), ...get(i), ...addI], mul(load([...get(Aa), ...get(i), ...addI]), load([...get(Bb), ...get(i), ...addI]))),
    ...get(i), ...i32(16), ...addI, ...set(i),
    0x0c, 0x00, 0x0b, 0x0b,
  ];
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
