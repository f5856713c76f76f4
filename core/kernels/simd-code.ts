/**
 * Expressions for the small wasm SIMD modules assembled in code (simd.ts): each helper returns the
 * instruction bytes that leave its value on the stack, so `add(mul(get(a), splat(2)), load(p))`
 * reads as the arithmetic it emits. Lanes are four float32; every operation rounds to float32.
 * `exp` and `tanh` are polynomial approximations within a few float32 ulps (see their comments).
 */
import { leb } from "./simd.ts";

export const I32 = 0x7f;
export const V128 = 0x7b;

export type Code = number[];
export const get = (i: number): Code => [0x20, ...leb(i)];
export const set = (i: number): Code => [0x21, ...leb(i)];
export const simd = (op: number): Code => [0xfd, ...leb(op)];
export const i32 = (n: number): Code => {
  // Signed LEB128 of a small non-negative constant.
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if (n === 0 && (byte & 0x40) === 0) return [0x41, ...out, byte];
    out.push(byte | 0x80);
  }
};
export const f32 = (x: number): Code => [0x43, ...new Uint8Array(new Float32Array([x]).buffer)];
export const addI: Code = [0x6a];
export const mulI: Code = [0x6c];
/**
 * `while (counter < limit) { body; step }` (signed comparison; the counter is not reset): block,
 * loop, `br_if` out when counter ≥ limit, the body, the step, `br` to the loop, end, end.
 */
export const whileBelow = (counter: number, limit: Code, step: Code, body: Code): Code => [
  0x02, 0x40, 0x03, 0x40,
  ...get(counter), ...limit, 0x4e, 0x0d, 0x01,
  ...body,
  ...step,
  0x0c, 0x00, 0x0b, 0x0b,
];
/** `counter += by`. */
export const increment = (counter: number, by: Code): Code => [...get(counter), ...by, ...addI, ...set(counter)];
/** `for (counter = 0; counter < limit; counter += by) body`. */
export const forUp = (counter: number, limit: Code, by: number, body: Code): Code => [...i32(0), ...set(counter), ...whileBelow(counter, limit, increment(counter, i32(by)), body)];
export const load = (address: Code): Code => [...address, ...simd(0x00), 0x00, 0x00];
export const store = (address: Code, value: Code): Code => [...address, ...value, ...simd(0x0b), 0x00, 0x00];
export const splat = (x: number): Code => [...f32(x), ...simd(0x13)];
export const add = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe4)];
export const sub = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe5)];
export const mul = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe6)];
export const div = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe7)];
/** a, or b where b < a (f32x4.pmin: one instruction; min's NaN rules cost several). */
export const min = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xea)];
/** a, or b where a < b (f32x4.pmax). */
export const max = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xeb)];
export const abs = (a: Code): Code => [...a, ...simd(0xe0)];
export const lt = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x43)];
export const gt = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x44)];
export const and = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x4e)];
/** a where mask, else b. */
export const select = (a: Code, b: Code, mask: Code): Code => [...a, ...b, ...mask, ...simd(0x52)];
export const nearest = (a: Code): Code => [...a, ...simd(0x6a)];
/**
 * 2ⁿ for a vector of integral floats n in [−126, 127]: n + 2²³ + 127 holds n + 127 in its low mantissa
 * bits, which the shift moves into the exponent (a float-to-int conversion costs several instructions).
 */
export const pow2 = (n: Code): Code => [...add(n, splat(8388735)), ...i32(23), ...simd(0xab)];

/** Locals of a function under construction: params first, then i32 and v128 scratch. */
export class Fn {
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

/**
 * exp(x), Cephes' expf: x clamped to [−87, 88], reduced by n·ln 2 (n = round(x·log₂e), ln 2 in two
 * parts), a degree-5 polynomial, times 2ⁿ built in the exponent bits; within 1 ulp. Scratch locals
 * from `fn`.
 */
export function exp(fn: Fn, x: Code): Code {
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

/**
 * tanh(x), Eigen's float rational approximation: odd degree 13 over even degree 6 on x clamped to
 * ±7.9053 (where tanh rounds to ±1), x itself where |x| < 0.0004; within 3 ulps. NaN stays NaN.
 */
export function tanh(fn: Fn, x: Code): Code {
  const v = fn.local(V128);
  const c = fn.local(V128);
  const x2 = fn.local(V128);
  const p = fn.local(V128);
  const q = fn.local(V128);
  const alpha = [-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-8, 1.48572235717979e-5, 6.37261928875436e-4, 4.89352455891786e-3];
  const beta = [1.19825839466702e-6, 1.18534705686654e-4, 2.268434632439e-3, 4.89352518554385e-3];
  return [
    ...x, ...set(v),
    ...min(max(get(v), splat(-7.90531110763549805)), splat(7.90531110763549805)), ...set(c),
    ...mul(get(c), get(c)), ...set(x2),
    ...splat(alpha[0]), ...set(p),
    ...alpha.slice(1).flatMap((c) => [...add(mul(get(p), get(x2)), splat(c)), ...set(p)]),
    ...splat(beta[0]), ...set(q),
    ...beta.slice(1).flatMap((c) => [...add(mul(get(q), get(x2)), splat(c)), ...set(q)]),
    // p·x / q with x clamped; x itself where |x| < 0.0004.
    ...select(get(v), div(mul(get(p), get(c)), get(q)), lt(abs(get(v)), splat(4e-4))),
  ];
}
