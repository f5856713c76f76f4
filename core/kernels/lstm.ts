/**
 * A whole LSTM sequence as one wasm kernel, forward and backward, with tfjs-layers' semantics
 * (implementation 2, gates in the order i, f, c, o):
 *
 *   z_t = x_t·K + (h_{t−1} ⊙ r)·R + b,   i, f, o = σ(z_i), σ(z_f), σ(z_o),   g = tanh(z_c)
 *   c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
 *   masked steps (m = 0) carry h and c over: h_t = m·h_t + (1 − m)·h_{t−1}, the same for c
 *
 * σ is the layer's recurrent activation (sigmoid or tfjs's default hardSigmoid, clip(0.2z + 0.5, 0, 1)),
 * r the recurrent dropout mask (ones when none). tfjs-layers runs ~190 small kernels per time step
 * (forward and backward), each through the engine; at batch 32 that overhead, not the arithmetic,
 * was most of an LSTM's training time. Here the input projection of every step is one GEMM
 * ([B·T, F]·K, on x as it is), each step is one GEMM (h·R) plus the gate arithmetic (in wasm SIMD,
 * lstm-simd.ts, when U is a multiple of 4; in JavaScript otherwise), and the backward pass is one
 * GEMM per step plus one over the whole sequence for dK, dR and db together (and dx, only when
 * something upstream trains, in the gradient function).
 *
 * Kernels: `ClaveLstmSequence` (outputs: the layer's output, then gate activations A [T, B, 4U],
 * cell states C [T, B, U] and hidden states H [T, B, U] in processing order, kept for the gradient)
 * and `ClaveLstmSequenceGrad` (outputs dZ [B·T, 4U] in the samples' order, row b·T + t, then dK, dR,
 * db); the gradient of the first is registered globally but the kernels exist for wasm only.
 * Differences from tfjs-layers' own path: sums are rounded once instead of per op (the SIMD path
 * rounds each operation, with σ and tanh within a few float32 ulps), db is summed in the product's
 * float32, and hardSigmoid's slope exactly at its clipping points (see rnn.ts).
 */
import { type ActivationKind, activate, activationSlope, registerSequenceGradient, repeatedProduct, stepOf, tanh } from "./rnn.ts";
import { makeGemm, type Gemm } from "./gemm-simd.ts";
import { lstmSimd } from "./lstm-simd.ts";
import { type ClaveKernel, type KernelArgs, type TensorInfo, type Tf, type WasmBackend, type WasmKernelFunc, f32, release, view, heapOffset } from "./wasm.ts";

export const LSTM_SEQUENCE = "ClaveLstmSequence";
export const LSTM_SEQUENCE_GRAD = "ClaveLstmSequenceGrad";

export type RecurrentActivation = ActivationKind;

export interface LstmSequenceAttrs {
  /** Process the steps last to first (outputs in processing order, as tfjs-layers). */
  goBackwards: boolean;
  /** Output every step's h ([B, T, U]) or only the last ([B, U]). */
  returnSequences: boolean;
  recurrentActivation: RecurrentActivation;
}

interface Shapes {
  B: number;
  T: number;
  F: number;
  U: number;
  G: number;
}


/** A step's rows [B, G] into their samples' rows b·T + t of [B·T, G]. */
function toSampleRows(backend: WasmBackend, step: TensorInfo, all: TensorInfo, t: number, B: number, T: number, G: number): void {
  const from = heapOffset(backend, step);
  const to = heapOffset(backend, all);
  const heap = backend.wasm.HEAPU8;
  for (let b = 0; b < B; b++) heap.copyWithin(to + 4 * (b * T + t) * G, from + 4 * b * G, from + 4 * (b + 1) * G);
}

/** The samples masked at each time step (most steps: none). */
function maskedSamples(backend: WasmBackend, mask: TensorInfo, B: number, T: number): number[][] {
  const mv = view(backend, mask);
  const out: number[][] = Array.from({ length: T }, () => []);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) if (mv[b * T + t] === 0) out[t].push(b);
  return out;
}

/** A zero-filled temporary of n floats. */
function zeros(backend: WasmBackend, n: number): TensorInfo {
  const t = backend.makeOutput([n], "float32");
  f32(backend, t).fill(0);
  return t;
}

/**
 * The weight gradients' operand [F + U + 1, B·T] (column b·T + t: sample b at time t): rows
 * 0..F − 1 xᵀ (the stock transpose of x as [B·T, F]), rows F..F + U − 1 h_{s−1}[b] ⊙ r[b] of the
 * step s before time t's (0 at the first step), row F + U ones.
 */
function weightOperand(backend: WasmBackend, transpose2d: Gemm["transpose2d"], x: TensorInfo, H: TensorInfo, r: TensorInfo, { B, T, F, U }: Shapes, goBackwards: boolean): TensorInfo {
  const N = B * T;
  const operand = backend.makeOutput([F + U + 1, N], "float32");
  const xT = transpose2d(backend, x, N, F);
  const out = f32(backend, operand);
  out.set(f32(backend, xT));
  release(backend, xT);
  const hv = f32(backend, H);
  const rv = f32(backend, r);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const c = b * T + t;
      const s = stepOf(t, T, goBackwards);
      if (s === 0) for (let u = 0; u < U; u++) out[(F + u) * N + c] = 0;
      else {
        const h = ((s - 1) * B + b) * U;
        for (let u = 0; u < U; u++) out[(F + u) * N + c] = hv[h + u] * rv[b * U + u];
      }
    }
  }
  out.fill(1, (F + U) * N, (F + U + 1) * N);
  return operand;
}

/** The layer's output from the hidden states H [T, B, U]: every step's [B, T, U], or the last [B, U]. */
function output(backend: WasmBackend, H: TensorInfo, { B, T, U }: Shapes, returnSequences: boolean): TensorInfo {
  if (!returnSequences) {
    const out = backend.makeOutput([B, U], "float32");
    f32(backend, out).set(f32(backend, H).subarray((T - 1) * B * U, T * B * U));
    return out;
  }
  const out = backend.makeOutput([B, T, U], "float32");
  const [from, to] = [heapOffset(backend, H), heapOffset(backend, out)];
  const heap = backend.wasm.HEAPU8;
  for (let s = 0; s < T; s++) for (let b = 0; b < B; b++) heap.copyWithin(to + 4 * (b * T + s) * U, from + 4 * (s * B + b) * U, from + 4 * (s * B + b + 1) * U);
  return out;
}

function shapes(x: TensorInfo, recurrentKernel: TensorInfo): Shapes {
  const [B, T, F] = x.shape;
  const U = recurrentKernel.shape[0];
  return { B, T, F, U, G: 4 * U };
}

export function makeLstmKernels(stock: (name: string) => WasmKernelFunc | undefined): { forward: WasmKernelFunc; backward: WasmKernelFunc } {
  const ops = makeGemm(stock);
  const { gemm, transpose2d } = ops;

  const forward: WasmKernelFunc = ({ inputs, backend, attrs }: KernelArgs<LstmSequenceAttrs>) => {
    const { x, kernel, recurrentKernel, bias, mask, recurrentMask } = inputs;
    const d = shapes(x, recurrentKernel);
    const { B, T, F, U, G } = d;
    const kind = attrs.recurrentActivation;

    // Every step's input projection in one product, in x's own order: row b·T + t.
    const zx = gemm(backend, x, kernel, B * T, F, G);

    const A = backend.makeOutput([T, B, G], "float32");
    const C = backend.makeOutput([T, B, U], "float32");
    const H = backend.makeOutput([T, B, U], "float32");
    const hIn = backend.makeOutput([B, U], "float32");
    const simd = U % 4 === 0 ? lstmSimd(backend) : undefined;
    if (simd) {
      forwardSimd(simd, backend, { zx, recurrentKernel, bias, mask, recurrentMask, A, C, H, hIn }, d, attrs);
      release(backend, zx, hIn);
      return [output(backend, H, d, attrs.returnSequences), A, C, H];
    }
    const noRecurrence = new Float32Array(B * G);
    const noState = new Float32Array(B * U);
    for (let s = 0; s < T; s++) {
      const t = stepOf(s, T, attrs.goBackwards);
      const zr = s > 0 ? gemm(backend, hIn, recurrentKernel, B, U, G) : undefined;
      // Views after the step's last allocation.
      const zxv = f32(backend, zx);
      const zrv = zr ? f32(backend, zr) : noRecurrence;
      const bv = f32(backend, bias);
      const mv = view(backend, mask);
      const rv = f32(backend, recurrentMask);
      const av = f32(backend, A);
      const cv = f32(backend, C);
      const hv = f32(backend, H);
      const hin = f32(backend, hIn);
      // Previous states: the step before's rows, or zeros before the first step.
      const prevC = s > 0 ? cv : noState;
      const prevH = s > 0 ? hv : noState;
      const prevBase = s > 0 ? (s - 1) * B * U : 0;
      for (let b = 0; b < B; b++) {
        const srow = (s * B + b) * U;
        const prow = prevBase + b * U;
        const arow = (s * B + b) * G;
        const zrow = (b * T + t) * G;
        if (mv[b * T + t] === 0) {
          // A masked step carries h and c over; its gate values are never read.
          for (let u = 0; u < U; u++) {
            cv[srow + u] = prevC[prow + u];
            hv[srow + u] = prevH[prow + u];
          }
          av.fill(0, arow, arow + G);
        } else {
          const rrow = b * G;
          for (let u = 0; u < U; u++) {
            const i = Math.fround(activate(zxv[zrow + u] + zrv[rrow + u] + bv[u], kind));
            const f = Math.fround(activate(zxv[zrow + U + u] + zrv[rrow + U + u] + bv[U + u], kind));
            const g = Math.fround(tanh(zxv[zrow + 2 * U + u] + zrv[rrow + 2 * U + u] + bv[2 * U + u]));
            const o = Math.fround(activate(zxv[zrow + 3 * U + u] + zrv[rrow + 3 * U + u] + bv[3 * U + u], kind));
            const c = Math.fround(f * prevC[prow + u] + i * g);
            av[arow + u] = i;
            av[arow + U + u] = f;
            av[arow + 2 * U + u] = g;
            av[arow + 3 * U + u] = o;
            cv[srow + u] = c;
            hv[srow + u] = o * tanh(c);
          }
        }
        for (let u = 0; u < U; u++) hin[b * U + u] = hv[srow + u] * rv[b * U + u];
      }
      if (zr) release(backend, zr);
    }
    release(backend, zx, hIn);
    return [output(backend, H, d, attrs.returnSequences), A, C, H];
  };

  /** The steps of the backward pass with the gate arithmetic in SIMD (lstm-simd.ts): dZ of every step. */
  function backwardSimd(
    simd: NonNullable<ReturnType<typeof lstmSimd>>,
    backend: WasmBackend,
    t: Record<"dy" | "mask" | "recurrentMask" | "A" | "C" | "dZ" | "dzt" | "rT", TensorInfo>,
    { B, T, U, G }: Shapes,
    attrs: LstmSequenceAttrs,
  ): void {
    const step = attrs.recurrentActivation === "sigmoid" ? simd.backwardSigmoid : simd.backwardHard;
    const none = zeros(backend, B * G); // no dy, and c before the first step
    const dhNext = zeros(backend, B * U);
    const dcNext = zeros(backend, B * U);
    // What masked samples pass back unchanged: dh (h was carried over) and dc (saved before the step).
    const pass = new Float32Array(B * U);
    const carried = new Float32Array(B * U);
    const back = repeatedProduct(ops, backend, t.dzt, t.rT, B, G, U);
    const [dy, A, C, dzt, dh, dc, zero, dhIn, r] = [t.dy, t.A, t.C, t.dzt, dhNext, dcNext, none, back.out, t.recurrentMask].map((x) => heapOffset(backend, x));
    const maskedAt = maskedSamples(backend, t.mask, B, T);
    for (let s = T - 1; s >= 0; s--) {
      const time = stepOf(s, T, attrs.goBackwards);
      const fromOutput = attrs.returnSequences || s === T - 1;
      const dyRow = !fromOutput ? zero : attrs.returnSequences ? dy + 4 * s * U : dy;
      const dyStride = !fromOutput ? 0 : attrs.returnSequences ? 4 * T * U : 4 * U;
      const masked = maskedAt[time];
      if (masked.length > 0) {
        const dyv = f32(backend, t.dy);
        const dhv = f32(backend, dhNext);
        const dcv = f32(backend, dcNext);
        for (const b of masked) {
          for (let u = 0; u < U; u++) {
            const k = b * U + u;
            pass[k] = dhv[k] + (fromOutput ? dyv[attrs.returnSequences ? (b * T + s) * U + u : k] : 0);
            carried[k] = dcv[k];
          }
        }
      }
      step(dyRow, dyStride, dh, dc, A + 4 * s * B * G, C + 4 * s * B * U, s > 0 ? C + 4 * (s - 1) * B * U : zero, dzt, B, U);
      if (masked.length > 0) {
        const dzv = f32(backend, t.dzt);
        const dcv = f32(backend, dcNext);
        for (const b of masked) {
          dzv.fill(0, b * G, (b + 1) * G);
          dcv.set(carried.subarray(b * U, (b + 1) * U), b * U);
        }
      }
      toSampleRows(backend, t.dzt, t.dZ, time, B, T, G);
      if (s > 0) {
        // dh_{t−1} = (dz·Rᵀ) ⊙ r + what masked samples pass through.
        back.run();
        simd.mul(dhIn, r, dh, 4 * B * U);
        if (masked.length > 0) {
          const dhv = f32(backend, dhNext);
          for (const b of masked) for (let k = b * U; k < (b + 1) * U; k++) dhv[k] += pass[k];
        }
      }
    }
    back.release();
    release(backend, none, dhNext, dcNext);
  }

  /** The steps of the forward pass with the gate arithmetic in SIMD (lstm-simd.ts). */
  function forwardSimd(
    simd: NonNullable<ReturnType<typeof lstmSimd>>,
    backend: WasmBackend,
    t: Record<"zx" | "recurrentKernel" | "bias" | "mask" | "recurrentMask" | "A" | "C" | "H" | "hIn", TensorInfo>,
    { B, T, U, G }: Shapes,
    attrs: LstmSequenceAttrs,
  ): void {
    const step = attrs.recurrentActivation === "sigmoid" ? simd.forwardSigmoid : simd.forwardHard;
    const none = zeros(backend, B * G); // h·R and c before the first step
    const recurrence = repeatedProduct(ops, backend, t.hIn, t.recurrentKernel, B, U, G);
    // Heap offsets stay put while the tensors live.
    const [zx, zr, bias, A, C, H, hIn, r, zero] = [t.zx, recurrence.out, t.bias, t.A, t.C, t.H, t.hIn, t.recurrentMask, none].map((x) => heapOffset(backend, x));
    const masked = maskedSamples(backend, t.mask, B, T);
    for (let s = 0; s < T; s++) {
      if (s > 0) recurrence.run();
      const cPrev = s > 0 ? C + 4 * (s - 1) * B * U : zero;
      const time = stepOf(s, T, attrs.goBackwards);
      step(zx + 4 * time * G, 4 * T * G, s > 0 ? zr : zero, bias, cPrev, A + 4 * s * B * G, C + 4 * s * B * U, H + 4 * s * B * U, hIn, r, B, U);
      // A masked step carries h and c over; its gate values are never read.
      for (const b of masked[time]) {
        const [av, cv, hv, hin, rv] = [t.A, t.C, t.H, t.hIn, t.recurrentMask].map((x) => f32(backend, x));
        const row = (s * B + b) * U;
        for (let u = 0; u < U; u++) {
          cv[row + u] = s > 0 ? cv[row - B * U + u] : 0;
          hv[row + u] = s > 0 ? hv[row - B * U + u] : 0;
          hin[b * U + u] = hv[row + u] * rv[b * U + u];
        }
        av.fill(0, (s * B + b) * G, (s * B + b + 1) * G);
      }
    }
    recurrence.release();
    release(backend, none);
  }

  const backward: WasmKernelFunc = ({ inputs, backend, attrs }: KernelArgs<LstmSequenceAttrs>) => {
    const { dy, x, recurrentKernel, mask, recurrentMask, A, C, H } = inputs;
    const d = shapes(x, recurrentKernel);
    const { B, T, F, U, G } = d;
    const kind = attrs.recurrentActivation;

    const dZ = backend.makeOutput([B * T, G], "float32");
    const dzt = backend.makeOutput([B, G], "float32");
    const rT = transpose2d(backend, recurrentKernel, U, G); // Rᵀ [4U, U]
    const simd = U % 4 === 0 ? lstmSimd(backend) : undefined;
    if (simd) backwardSimd(simd, backend, { dy, mask, recurrentMask, A, C, dZ, dzt, rT }, d, attrs);
    else {
      const dhNext = new Float32Array(B * U);
      const dcNext = new Float32Array(B * U);
      for (let s = T - 1; s >= 0; s--) {
        const t = stepOf(s, T, attrs.goBackwards);
        const dyv = f32(backend, dy);
        const mv = view(backend, mask);
        const av = f32(backend, A);
        const cv = f32(backend, C);
        const dz = f32(backend, dzt);
        const pass = new Float32Array(B * U);
        for (let b = 0; b < B; b++) {
          const keep = mv[b * T + t] !== 0;
          const arow = (s * B + b) * G;
          const srow = (s * B + b) * U;
          const prow = ((s - 1) * B + b) * U;
          const yrow = attrs.returnSequences ? (b * T + s) * U : b * U;
          const fromOutput = attrs.returnSequences || s === T - 1;
          for (let u = 0; u < U; u++) {
            const k = b * U + u;
            const dh = dhNext[k] + (fromOutput ? dyv[yrow + u] : 0);
            if (!keep) {
              pass[k] = dh;
              dz[b * G + u] = dz[b * G + U + u] = dz[b * G + 2 * U + u] = dz[b * G + 3 * U + u] = 0;
              continue;
            }
            const i = av[arow + u];
            const f = av[arow + U + u];
            const g = av[arow + 2 * U + u];
            const o = av[arow + 3 * U + u];
            const c = cv[srow + u];
            const cPrev = s > 0 ? cv[prow + u] : 0;
            const tc = tanh(c);
            const dc = dcNext[k] + dh * o * (1 - tc * tc);
            dz[b * G + u] = dc * g * activationSlope(i, kind);
            dz[b * G + U + u] = dc * cPrev * activationSlope(f, kind);
            dz[b * G + 2 * U + u] = dc * i * (1 - g * g);
            dz[b * G + 3 * U + u] = dh * tc * activationSlope(o, kind);
            dcNext[k] = dc * f;
            pass[k] = 0;
          }
        }
        toSampleRows(backend, dzt, dZ, t, B, T, G);
        if (s > 0) {
          // dh_{t−1} = (dz·Rᵀ) ⊙ r + what masked samples pass through.
          const back = gemm(backend, dzt, rT, B, G, U);
          const bv = f32(backend, back);
          const rv = f32(backend, recurrentMask);
          for (let k = 0; k < B * U; k++) dhNext[k] = bv[k] * rv[k] + pass[k];
          release(backend, back);
        }
        // Masked samples carried c over unchanged: dcNext already holds their gradient.
      }
    }
    release(backend, dzt, rT);

    // dK = Σ xᵀ dz, dR = Σ (h_{t−1} ⊙ r)ᵀ dz (h_{−1} = 0) and db = Σ dz over every step and sample,
    // as one product: [xᵀ; (h_{t−1} ⊙ r)ᵀ; 1] [F + U + 1, B·T] · dZ [B·T, 4U]: dZ is packed once,
    // not twice, and the bias row sums in the product's float32.
    const operand = weightOperand(backend, transpose2d, x, H, recurrentMask, d, attrs.goBackwards);
    const all = gemm(backend, operand, dZ, F + U + 1, B * T, G);
    release(backend, operand);
    const dK = backend.makeOutput([F, G], "float32");
    const dR = backend.makeOutput([U, G], "float32");
    const db = backend.makeOutput([G], "float32");
    {
      const av = f32(backend, all);
      f32(backend, dK).set(av.subarray(0, F * G));
      f32(backend, dR).set(av.subarray(F * G, (F + U) * G));
      f32(backend, db).set(av.subarray((F + U) * G));
    }
    release(backend, all);
    return [dZ, dK, dR, db];
  };
  return { forward, backward };
}

/** The gradient of `ClaveLstmSequence` (see registerSequenceGradient). */
export function registerLstmGradient(tf: Tf): void {
  registerSequenceGradient(tf, LSTM_SEQUENCE, LSTM_SEQUENCE_GRAD, ["A", "C", "H"], "samples");
}

/** The two kernels as clave kernels (index.ts registers them with the others). */
export const lstmSequenceKernel: ClaveKernel = {
  kernelName: LSTM_SEQUENCE,
  reason: "an LSTM layer ran ~190 engine-dispatched kernels per time step; fused, one GEMM per step",
  make: (_tf, stock) => makeLstmKernels(stock).forward,
};

export const lstmSequenceGradKernel: ClaveKernel = {
  kernelName: LSTM_SEQUENCE_GRAD,
  reason: "the fused LSTM's backward pass",
  make: (_tf, stock) => makeLstmKernels(stock).backward,
};
