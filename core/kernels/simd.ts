/**
 * Adam's element loop (core/kernels/adam.ts) in 128-bit wasm SIMD, four float32 lanes at a time,
 * on the wasm backend's own heap. JavaScript runs the loop one double at a time (~3 ns an element:
 * a square root and a division each); the small dense networks have 55k-300k weights, and their
 * optimizer step was a sixth to a quarter of a training step.
 *
 * The module is 200-odd bytes assembled here (no toolchain, no binary in the repository), imports
 * the backend's `WebAssembly.Memory` and exports `adam(θ, m, v, g, θ', m', v', bytes, β1, 1 − β1,
 * β2, 1 − β2, ε, step, 1/c2, decay)` over byte offsets, a multiple of 16 bytes of elements; the
 * caller does the rest. Each operation rounds to float32, as tfjs's own Adam ops do. Undefined when
 * the backend's memory is not reachable or the engine has no wasm SIMD: the caller keeps its
 * JavaScript loop.
 */
import type { WasmBackend } from "./wasm.ts";

export type AdamSimd = (
  th: number,
  m0: number,
  v0: number,
  g: number,
  th1: number,
  m1: number,
  v1: number,
  bytes: number,
  beta1: number,
  a1: number,
  beta2: number,
  a2: number,
  epsilon: number,
  step: number,
  inverseCorrection2: number,
  decay: number,
) => void;

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

/** Unsigned LEB128. */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
export const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
export const name = (s: string): number[] => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// Instructions.
const get = (i: number) => [0x20, ...leb(i)];
const set = (i: number) => [0x21, ...leb(i)];
const simd = (op: number) => [0xfd, ...leb(op)];
/** v128.load / store at (local `base` + local `i`). */
const load = (base: number, i: number) => [...get(base), ...get(i), 0x6a, ...simd(0x00), 0x00, 0x00];
const store = (base: number, i: number, value: number[]) => [...get(base), ...get(i), 0x6a, ...value, ...simd(0x0b), 0x00, 0x00];
const splat = [...simd(0x13)];
const sqrt = simd(0xe3);
const add = simd(0xe4);
const sub = simd(0xe5);
const mul = simd(0xe6);
const div = simd(0xe7);

/** The module's bytes. Params 0-7: θ, m, v, g, θ', m', v', bytes (i32); 8-15 the f32 constants. */
function adamModule(): Uint8Array {
  const params = [...Array(8).fill(I32), ...Array(8).fill(F32)];
  const [TH, M0, V0, G, TH1, M1, V1, BYTES] = [0, 1, 2, 3, 4, 5, 6, 7];
  // Locals after the params: i (i32), then v128: the eight splatted constants, g, m, v.
  const I = 16;
  const K = (k: number) => 17 + k; // splat of param 8 + k
  const [GV, MV, VV] = [25, 26, 27];
  const body: number[] = [];
  for (let k = 0; k < 8; k++) body.push(...get(8 + k), ...splat, ...set(K(k)));
  const [B1, A1, B2, A2, EPS, STEP, IC2, DECAY] = [0, 1, 2, 3, 4, 5, 6, 7].map(K);
  body.push(
    0x02, 0x40, // block
    0x03, 0x40, // loop
    ...get(I), ...get(BYTES), 0x4f, 0x0d, 0x01, // i >= bytes: br_if out
    ...load(G, I), ...set(GV),
    // m = β1 m0 + (1 − β1) g
    ...get(B1), ...load(M0, I), ...mul, ...get(A1), ...get(GV), ...mul, ...add, ...set(MV),
    // v = β2 v0 + (1 − β2) g²
    ...get(B2), ...load(V0, I), ...mul, ...get(A2), ...get(GV), ...mul, ...get(GV), ...mul, ...add, ...set(VV),
    ...store(M1, I, get(MV)),
    ...store(V1, I, get(VV)),
    // θ' = θ decay − step m / (√(v / c2) + ε)
    ...store(TH1, I, [
      ...load(TH, I), ...get(DECAY), ...mul,
      ...get(STEP), ...get(MV), ...mul,
      ...get(VV), ...get(IC2), ...mul, ...sqrt, ...get(EPS), ...add,
      ...div, ...sub,
    ]),
    ...get(I), 0x41, ...leb(16), 0x6a, ...set(I), // i += 16
    0x0c, 0x00, // br loop
    0x0b, 0x0b, // end loop, end block
    0x0b, // end function
  );
  const locals = vec([
    [...leb(1), I32],
    [...leb(11), V128],
  ]);
  const code = [...locals, ...body];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(params.map((p) => [p])), 0x00]])),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0x00]])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...name("adam"), 0x00, 0x00]])),
    ...section(10, vec([[...leb(code.length), ...code]])),
  ];
  return Uint8Array.from(bytes);
}

/** A module's bytes: the given functions (type, locals, body) over the imported `env.memory`, exported by name. */
export function heapModule(functions: { name: string; params: number[]; locals: [count: number, type: number][]; body: number[] }[]): Uint8Array {
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(functions.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0x00]))),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0x00]])),
    ...section(3, vec(functions.map((_, i) => leb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...leb(i)]))),
    ...section(
      10,
      vec(
        functions.map((f) => {
          const code = [...vec(f.locals.map(([count, type]) => [...leb(count), type])), ...f.body, 0x0b];
          return [...leb(code.length), ...code];
        }),
      ),
    ),
  ];
  return Uint8Array.from(bytes);
}

/**
 * A module's exports instantiated on `backend`'s heap (once per heap and `key`), or undefined when
 * the heap is not reachable or the engine refuses the module (no wasm SIMD).
 */
export function onHeap<E>(backend: WasmBackend, key: object, bytes: () => Uint8Array): E | undefined {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return undefined;
  let perHeap = made.get(memory);
  if (!perHeap) made.set(memory, (perHeap = new Map()));
  let exports = perHeap.get(key);
  if (exports === undefined) {
    try {
      exports = new WebAssembly.Instance(new WebAssembly.Module(bytes()), { env: { memory } }).exports as Record<string, unknown>;
    } catch {
      exports = null;
    }
    perHeap.set(key, exports);
  }
  return (exports ?? undefined) as E | undefined;
}

const made = new WeakMap<object, Map<object, Record<string, unknown> | null>>();
const ADAM = {};

/** The SIMD loop on `backend`'s heap, or undefined where it cannot run. */
export function adamSimd(backend: WasmBackend): AdamSimd | undefined {
  return onHeap<{ adam: AdamSimd }>(backend, ADAM, adamModule)?.adam;
}
