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
 * ([T·B, F]·K), each step is one GEMM (h·R) plus the gate arithmetic in JS on the heap, and the
 * backward pass is one GEMM per step plus three GEMMs over the whole sequence (dK, dR, and dx only
 * when x needs a gradient).
 *
 * Kernels: `ClaveLstmSequence` (outputs: the layer's output, then gate activations A [T, B, 4U],
 * cell states C [T, B, U] and hidden states H [T, B, U] in processing order, kept for the gradient)
 * and `ClaveLstmSequenceGrad` (outputs dZ [T·B, 4U] time-major, dK, dR, db); the gradient of the
 * first is registered globally but the kernels exist for wasm only. Differences from tfjs-layers'
 * own path: sums are rounded once instead of per op, and hardSigmoid's slope exactly at its
 * clipping points (see rnn.ts).
 */
import { type ActivationKind, activate, activationSlope, inputWeightAndBiasGradients, registerSequenceGradient, makeGemm, stepOf, tanh, timeMajor } from "./rnn.ts";
import { type ClaveKernel, type KernelArgs, type TensorInfo, type Tf, type WasmKernelFunc, f32, release, view } from "./wasm.ts";

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

    const xt = backend.makeOutput([T * B, F], "float32");
    timeMajor(f32(backend, x), f32(backend, xt), B, T, F, attrs.goBackwards);
    const zx = gemm(backend, xt, kernel, T * B, F, G);
    release(backend, xt);

    const A = backend.makeOutput([T, B, G], "float32");
    const C = backend.makeOutput([T, B, U], "float32");
    const H = backend.makeOutput([T, B, U], "float32");
    const hIn = backend.makeOutput([B, U], "float32");
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
        if (mv[b * T + t] === 0) {
          // A masked step carries h and c over; its gate values are never read.
          for (let u = 0; u < U; u++) {
            cv[srow + u] = prevC[prow + u];
            hv[srow + u] = prevH[prow + u];
          }
          av.fill(0, arow, arow + G);
        } else {
          const zrow = (s * B + b) * G;
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

    let out: TensorInfo;
    if (attrs.returnSequences) {
      out = backend.makeOutput([B, T, U], "float32");
      const ov = f32(backend, out);
      const hv = f32(backend, H);
      for (let s = 0; s < T; s++) for (let b = 0; b < B; b++) ov.set(hv.subarray((s * B + b) * U, (s * B + b + 1) * U), (b * T + s) * U);
    } else {
      out = backend.makeOutput([B, U], "float32");
      f32(backend, out).set(f32(backend, H).subarray((T - 1) * B * U, T * B * U));
    }
    return [out, A, C, H];
  };

  const backward: WasmKernelFunc = ({ inputs, backend, attrs }: KernelArgs<LstmSequenceAttrs>) => {
    const { dy, x, recurrentKernel, mask, recurrentMask, A, C, H } = inputs;
    const d = shapes(x, recurrentKernel);
    const { B, T, F, U, G } = d;
    const kind = attrs.recurrentActivation;

    const dZ = backend.makeOutput([T * B, G], "float32");
    const dzt = backend.makeOutput([B, G], "float32");
    const rT = transpose2d(backend, recurrentKernel, U, G); // Rᵀ [4U, U]
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
      f32(backend, dZ).set(f32(backend, dzt), s * B * G);
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
    release(backend, dzt, rT);

    // dR = Σ_t (h_{t−1} ⊙ r)ᵀ dz_t, with h_{−1} = 0: one GEMM over all steps.
    const hPrevT = backend.makeOutput([U, T * B], "float32");
    {
      const hp = f32(backend, hPrevT);
      const hv = f32(backend, H);
      const rv = f32(backend, recurrentMask);
      for (let u = 0; u < U; u++) {
        const row = u * T * B;
        for (let b = 0; b < B; b++) hp[row + b] = 0;
        for (let s = 1; s < T; s++) for (let b = 0; b < B; b++) hp[row + s * B + b] = hv[((s - 1) * B + b) * U + u] * rv[b * U + u];
      }
    }
    const dR = gemm(backend, hPrevT, dZ, U, T * B, G);
    release(backend, hPrevT);

    const [dK, db] = inputWeightAndBiasGradients(ops, backend, x, dZ, { B, T, F, G }, attrs.goBackwards);
    return [dZ, dK, dR, db];
  };
  return { forward, backward };
}

/** The gradient of `ClaveLstmSequence` (see registerSequenceGradient). */
export function registerLstmGradient(tf: Tf): void {
  registerSequenceGradient(tf, LSTM_SEQUENCE, LSTM_SEQUENCE_GRAD, ["A", "C", "H"]);
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
