/**
 * A whole GRU sequence as one wasm kernel, forward and backward, with tfjs-layers' semantics
 * (implementation 2, gates z, r, h; R = [R_zr | R_h]):
 *
 *   m_t = h_{t−1} ⊙ d   (d: the recurrent dropout mask, ones when none; tfjs uses m_t in the update too)
 *   [x_z, x_r, x_h] = x_t·K + b,   [i_z, i_r] = m_t·R_zr
 *   z = σ(x_z + i_z),   r = σ(x_r + i_r),   ĥ = tanh(x_h + (r ⊙ m_t)·R_h)
 *   h_t = z ⊙ m_t + (1 − z) ⊙ ĥ;   masked steps carry h_{t−1} over
 *
 * As lstm.ts: one GEMM for every step's input projection, two per step forward and backward, one
 * each over the whole sequence for dK, dR_zr, dR_h. Kernels `ClaveGruSequence` (outputs: the
 * layer's output, then gates A [T, B, 3U] = (z, r, ĥ) and hidden states H [T, B, U]) and
 * `ClaveGruSequenceGrad` (dZ [T·B, 3U], dK, dR, db).
 */
import { type ActivationKind, activate, activationSlope, inputWeightAndBiasGradients, registerSequenceGradient, tanh, timeMajor, stepOf } from "./rnn.ts";
import { makeGemm } from "./gemm-simd.ts";
import { type ClaveKernel, type KernelArgs, type TensorInfo, type Tf, type WasmKernelFunc, f32, release, view } from "./wasm.ts";

export const GRU_SEQUENCE = "ClaveGruSequence";
export const GRU_SEQUENCE_GRAD = "ClaveGruSequenceGrad";

export interface GruSequenceAttrs {
  goBackwards: boolean;
  returnSequences: boolean;
  recurrentActivation: ActivationKind;
}

export function makeGruKernels(stock: (name: string) => WasmKernelFunc | undefined): { forward: WasmKernelFunc; backward: WasmKernelFunc } {
  const ops = makeGemm(stock);
  const { gemm, transpose2d } = ops;

  /** R [U, 3U] → R_zr [U, 2U] and R_h [U, U] as their own tensors. */
  const splitR = (backend: Parameters<WasmKernelFunc>[0]["backend"], R: TensorInfo, U: number): [TensorInfo, TensorInfo] => {
    const rzr = backend.makeOutput([U, 2 * U], "float32");
    const rh = backend.makeOutput([U, U], "float32");
    const src = f32(backend, R);
    const a = f32(backend, rzr);
    const b = f32(backend, rh);
    for (let u = 0; u < U; u++) {
      a.set(src.subarray(u * 3 * U, u * 3 * U + 2 * U), u * 2 * U);
      b.set(src.subarray(u * 3 * U + 2 * U, (u + 1) * 3 * U), u * U);
    }
    return [rzr, rh];
  };

  const forward: WasmKernelFunc = ({ inputs, backend, attrs }: KernelArgs<GruSequenceAttrs>) => {
    const { x, kernel, recurrentKernel, bias, mask, recurrentMask } = inputs;
    const [B, T, F] = x.shape;
    const U = recurrentKernel.shape[0];
    const G = 3 * U;
    const kind = attrs.recurrentActivation;

    const xt = backend.makeOutput([T * B, F], "float32");
    timeMajor(f32(backend, x), f32(backend, xt), B, T, F, attrs.goBackwards);
    const zx = gemm(backend, xt, kernel, T * B, F, G);
    release(backend, xt);
    const [rzr, rh] = splitR(backend, recurrentKernel, U);

    const A = backend.makeOutput([T, B, G], "float32");
    const H = backend.makeOutput([T, B, U], "float32");
    const m = backend.makeOutput([B, U], "float32");
    const rm = backend.makeOutput([B, U], "float32");
    const none = new Float32Array(B * 2 * U);
    const zeros = new Float32Array(B * U);
    for (let s = 0; s < T; s++) {
      const t = stepOf(s, T, attrs.goBackwards);
      // m = h_{t−1} ⊙ d (zeros before the first step).
      {
        const mv = f32(backend, m);
        if (s === 0) mv.fill(0);
        else {
          const hv = f32(backend, H);
          const dv = f32(backend, recurrentMask);
          const base = (s - 1) * B * U;
          for (let k = 0; k < B * U; k++) mv[k] = hv[base + k] * dv[k];
        }
      }
      const inner = s > 0 ? gemm(backend, m, rzr, B, U, 2 * U) : undefined;
      {
        const zxv = f32(backend, zx);
        const iv = inner ? f32(backend, inner) : none;
        const bv = f32(backend, bias);
        const av = f32(backend, A);
        const mv = f32(backend, m);
        const rmv = f32(backend, rm);
        for (let b = 0; b < B; b++) {
          const zrow = (s * B + b) * G;
          const irow = b * 2 * U;
          const arow = (s * B + b) * G;
          for (let u = 0; u < U; u++) {
            const z = Math.fround(activate(zxv[zrow + u] + iv[irow + u] + bv[u], kind));
            const r = Math.fround(activate(zxv[zrow + U + u] + iv[irow + U + u] + bv[U + u], kind));
            av[arow + u] = z;
            av[arow + U + u] = r;
            rmv[b * U + u] = r * mv[b * U + u];
          }
        }
      }
      const recH = s > 0 ? gemm(backend, rm, rh, B, U, U) : undefined;
      {
        const zxv = f32(backend, zx);
        const rv = recH ? f32(backend, recH) : zeros;
        const bv = f32(backend, bias);
        const av = f32(backend, A);
        const hv = f32(backend, H);
        const mv = f32(backend, m);
        const maskv = view(backend, mask);
        for (let b = 0; b < B; b++) {
          const zrow = (s * B + b) * G;
          const arow = (s * B + b) * G;
          const srow = (s * B + b) * U;
          const keep = maskv[b * T + t] !== 0;
          for (let u = 0; u < U; u++) {
            const hh = Math.fround(tanh(zxv[zrow + 2 * U + u] + rv[b * U + u] + bv[2 * U + u]));
            av[arow + 2 * U + u] = hh;
            const z = av[arow + u];
            const hPrev = s > 0 ? hv[srow - B * U + u] : 0;
            hv[srow + u] = keep ? z * mv[b * U + u] + (1 - z) * hh : hPrev;
          }
        }
      }
      if (inner) release(backend, inner);
      if (recH) release(backend, recH);
    }
    release(backend, zx, m, rm, rzr, rh);

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
    return [out, A, H];
  };

  const backward: WasmKernelFunc = ({ inputs, backend, attrs }: KernelArgs<GruSequenceAttrs>) => {
    const { dy, x, recurrentKernel, mask, recurrentMask, A, H } = inputs;
    const [B, T, F] = x.shape;
    const U = recurrentKernel.shape[0];
    const G = 3 * U;
    const kind = attrs.recurrentActivation;

    const [rzr, rh] = splitR(backend, recurrentKernel, U);
    const rzrT = transpose2d(backend, rzr, U, 2 * U); // [2U, U]
    const rhT = transpose2d(backend, rh, U, U);
    release(backend, rzr, rh);
    const dZ = backend.makeOutput([T * B, G], "float32");
    // Per-step operands of the whole-sequence weight GEMMs: m_t and r ⊙ m_t, time-major.
    const M = backend.makeOutput([T * B, U], "float32");
    const RM = backend.makeOutput([T * B, U], "float32");
    const dRecH = backend.makeOutput([B, U], "float32");
    const dInner = backend.makeOutput([B, 2 * U], "float32");
    const dhNext = new Float32Array(B * U);
    const dm = new Float32Array(B * U);
    const pass = new Float32Array(B * U);
    for (let s = T - 1; s >= 0; s--) {
      const t = stepOf(s, T, attrs.goBackwards);
      {
        const dyv = f32(backend, dy);
        const maskv = view(backend, mask);
        const av = f32(backend, A);
        const hv = f32(backend, H);
        const dv = f32(backend, recurrentMask);
        const mv = f32(backend, M);
        const rmv = f32(backend, RM);
        const dz = f32(backend, dZ);
        const drh = f32(backend, dRecH);
        const fromOutput = attrs.returnSequences || s === T - 1;
        for (let b = 0; b < B; b++) {
          const keep = maskv[b * T + t] !== 0;
          const arow = (s * B + b) * G;
          const srow = (s * B + b) * U;
          const yrow = attrs.returnSequences ? (b * T + s) * U : b * U;
          for (let u = 0; u < U; u++) {
            const k = b * U + u;
            const mt = s > 0 ? hv[srow - B * U + u] * dv[k] : 0;
            const r = av[arow + U + u];
            mv[srow + u] = mt;
            rmv[srow + u] = r * mt;
            const dh = dhNext[k] + (fromOutput ? dyv[yrow + u] : 0);
            if (!keep) {
              pass[k] = dh;
              dm[k] = 0;
              dz[arow + u] = dz[arow + U + u] = dz[arow + 2 * U + u] = 0;
              drh[k] = 0;
              continue;
            }
            pass[k] = 0;
            const z = av[arow + u];
            const hh = av[arow + 2 * U + u];
            const dpreH = dh * (1 - z) * (1 - hh * hh);
            dz[arow + u] = dh * (mt - hh) * activationSlope(z, kind);
            dz[arow + 2 * U + u] = dpreH;
            drh[k] = dpreH;
            dm[k] = dh * z;
          }
        }
      }
      // d(r ⊙ m) = dĥ_pre · R_hᵀ → dr, and more of dm.
      const dRM = gemm(backend, dRecH, rhT, B, U, U);
      {
        const drm = f32(backend, dRM);
        const av = f32(backend, A);
        const mv = f32(backend, M);
        const dz = f32(backend, dZ);
        const di = f32(backend, dInner);
        for (let b = 0; b < B; b++) {
          const arow = (s * B + b) * G;
          const srow = (s * B + b) * U;
          for (let u = 0; u < U; u++) {
            const k = b * U + u;
            const r = av[arow + U + u];
            const dr = drm[k] * mv[srow + u];
            // Masked samples have dĥ_pre = 0, so dr and this dm share are 0 for them.
            dz[arow + U + u] = dr * activationSlope(r, kind);
            dm[k] += drm[k] * r;
            di[b * 2 * U + u] = dz[arow + u];
            di[b * 2 * U + U + u] = dz[arow + U + u];
          }
        }
      }
      release(backend, dRM);
      if (s > 0) {
        // dh_{t−1} = (dm + dInner · R_zrᵀ) ⊙ d + what masked samples pass through.
        const back = gemm(backend, dInner, rzrT, B, 2 * U, U);
        const bv = f32(backend, back);
        const dv = f32(backend, recurrentMask);
        for (let k = 0; k < B * U; k++) dhNext[k] = (dm[k] + bv[k]) * dv[k] + pass[k];
        release(backend, back);
      }
    }
    release(backend, rzrT, rhT, dRecH, dInner);

    // dR_zr = Mᵀ · dZ[:, :2U], dR_h = RMᵀ · dZ[:, 2U:], over all steps.
    const dzZR = backend.makeOutput([T * B, 2 * U], "float32");
    const dzH = backend.makeOutput([T * B, U], "float32");
    {
      const dz = f32(backend, dZ);
      const a = f32(backend, dzZR);
      const b = f32(backend, dzH);
      for (let row = 0; row < T * B; row++) {
        a.set(dz.subarray(row * G, row * G + 2 * U), row * 2 * U);
        b.set(dz.subarray(row * G + 2 * U, (row + 1) * G), row * U);
      }
    }
    const MT = transpose2d(backend, M, T * B, U);
    const RMT = transpose2d(backend, RM, T * B, U);
    release(backend, M, RM);
    const dRzr = gemm(backend, MT, dzZR, U, T * B, 2 * U);
    const dRh = gemm(backend, RMT, dzH, U, T * B, U);
    release(backend, MT, RMT, dzZR, dzH);
    const dR = backend.makeOutput([U, G], "float32");
    {
      const out = f32(backend, dR);
      const a = f32(backend, dRzr);
      const b = f32(backend, dRh);
      for (let u = 0; u < U; u++) {
        out.set(a.subarray(u * 2 * U, (u + 1) * 2 * U), u * G);
        out.set(b.subarray(u * U, (u + 1) * U), u * G + 2 * U);
      }
    }
    release(backend, dRzr, dRh);

    const [dK, db] = inputWeightAndBiasGradients(ops, backend, x, dZ, { B, T, F, G }, attrs.goBackwards);
    return [dZ, dK, dR, db];
  };
  return { forward, backward };
}

/** The gradient of `ClaveGruSequence` (see registerSequenceGradient). */
export function registerGruGradient(tf: Tf): void {
  registerSequenceGradient(tf, GRU_SEQUENCE, GRU_SEQUENCE_GRAD, ["A", "H"], "steps");
}

export const gruSequenceKernel: ClaveKernel = {
  kernelName: GRU_SEQUENCE,
  reason: "a GRU layer ran dozens of engine-dispatched kernels per time step; fused, two GEMMs per step",
  make: (_tf, stock) => makeGruKernels(stock).forward,
};

export const gruSequenceGradKernel: ClaveKernel = {
  kernelName: GRU_SEQUENCE_GRAD,
  reason: "the fused GRU's backward pass",
  make: (_tf, stock) => makeGruKernels(stock).backward,
};
