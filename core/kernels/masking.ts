/**
 * tfjs-layers' Masking layer as two wasm kernels. The stock layer compares every input value with
 * the mask value and reduces along the features (NotEqual, then Any) in its call and again in each
 * computeMask, three times per training step, and multiplies the whole input by the result: for the
 * LSTMs' [32, 130, 417] inputs about 20 ms a batch. A frame is padding only when all its values
 * equal the mask value, so here the scan of a frame stops at its first differing value (one read
 * for a frame of real features), and an input without padded frames passes through unchanged.
 *
 * `ClaveMaskRows`: input x [..., F] (float32), attr `maskValue` → bool [...]: whether any value of
 * the frame differs from the mask value (NaN differs from everything, as in NotEqual).
 * `ClaveMasking`: the layer's output, x with its padded frames multiplied by 0 (as the stock layer's
 * product, so −0 for a negative mask value); x's own data, shared, when no frame is padded. Its
 * gradient is dy with the padded frames' rows zeroed.
 *
 * `installFusedMasking(tf)` routes the Masking layer through them on wasm with the kernels
 * registered and a float32 input of rank ≥ 2; anything else keeps the stock code. The mask value is
 * compared as float32, as the stock layer's scalar tensor holds it.
 */
import type * as TF from "@tensorflow/tfjs";
import { type ClaveKernel, type KernelArgs, type TensorInfo, type Tf, type WasmBackend, f32, size, view } from "./wasm.ts";

export const MASK_ROWS = "ClaveMaskRows";
export const MASKING = "ClaveMasking";

export interface MaskingAttrs {
  maskValue: number;
}

/** Per frame (a run of `features` values), whether any value differs from `value`; how many do not. */
function scanRows(x: Float32Array, features: number, value: number, keep: Uint8Array): number {
  let padded = 0;
  const rows = keep.length;
  for (let r = 0; r < rows; r++) {
    const base = r * features;
    let j = 0;
    // NaN equals nothing, so a NaN (or a NaN mask value) keeps the frame, as NotEqual does.
    while (j < features && x[base + j] === value) j++;
    keep[r] = j < features ? 1 : 0;
    if (j === features) padded++;
  }
  return padded;
}

function frames(x: TensorInfo, kernel: string): { rows: number; features: number } {
  if (x.dtype !== "float32" || x.shape.length < 2) throw new Error(`${kernel}: input must be float32 of rank ≥ 2 (got ${x.dtype} [${x.shape.join(", ")}])`);
  const features = x.shape[x.shape.length - 1];
  return { rows: features === 0 ? 0 : size(x.shape) / features, features };
}

export const maskRowsKernel: ClaveKernel = {
  kernelName: MASK_ROWS,
  reason: "the Masking layer compared every input value with the mask value three times per step",
  make: () => ({ inputs, backend, attrs }: KernelArgs<MaskingAttrs>) => {
    const { x } = inputs;
    const { rows, features } = frames(x, MASK_ROWS);
    const out = backend.makeOutput(x.shape.slice(0, -1), "bool");
    if (rows > 0) scanRows(f32(backend, x), features, Math.fround(attrs.maskValue), view(backend, out) as Uint8Array);
    return out;
  },
};

function maskedInput(backend: WasmBackend, x: TensorInfo, maskValue: number): TensorInfo {
  const { rows, features } = frames(x, MASKING);
  const keep = new Uint8Array(rows);
  const padded = rows > 0 ? scanRows(f32(backend, x), features, Math.fround(maskValue), keep) : 0;
  if (padded === 0) {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: "float32" };
  }
  const out = backend.makeOutput(x.shape, "float32");
  const xv = f32(backend, x);
  const ov = f32(backend, out);
  ov.set(xv);
  for (let r = 0; r < rows; r++) if (keep[r] === 0) for (let j = r * features; j < (r + 1) * features; j++) ov[j] = xv[j] * 0;
  return out;
}

export const maskingKernel: ClaveKernel = {
  kernelName: MASKING,
  reason: "the Masking layer multiplied the whole input by its mask; unpadded frames pass unchanged",
  make: () => ({ inputs, backend, attrs }: KernelArgs<MaskingAttrs>) => maskedInput(backend, inputs.x, attrs.maskValue),
};

export function registerMaskingGradient(tf: Tf): void {
  if (tf.getGradient(MASKING) !== undefined) return;
  tf.registerGradient({
    kernelName: MASKING,
    inputsToSave: ["x"],
    gradFunc: (dys: TF.Tensor | TF.Tensor[], saved: TF.Tensor[], attrs: TF.NamedAttrMap) => {
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const [x] = saved;
      return {
        x: () =>
          tf.tidy(() => {
            const keep = tf.engine().runKernel(MASK_ROWS, { x } as unknown as TF.NamedTensorMap, attrs) as TF.Tensor;
            return tf.mul(dy, tf.expandDims(tf.cast(keep, "float32"), -1));
          }),
      };
    },
  });
}

interface MaskingLike {
  maskValue: number;
  invokeCallHook(inputs: TF.Tensor | TF.Tensor[], kwargs: unknown): void;
}

type Call = (this: MaskingLike, inputs: TF.Tensor | TF.Tensor[], kwargs: unknown) => TF.Tensor | TF.Tensor[];
type ComputeMask = (this: MaskingLike, inputs: TF.Tensor | TF.Tensor[], mask?: TF.Tensor | TF.Tensor[]) => TF.Tensor;

const PATCHED = Symbol.for("clave.fusedMasking");

/** Route tfjs-layers' Masking through the kernels where they apply (see above). Idempotent. */
export function installFusedMasking(tf: Tf): void {
  const proto = Object.getPrototypeOf(tf.layers.masking({ maskValue: 0 })) as { call: Call; computeMask: ComputeMask; [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const originalCall = proto.call;
  const originalMask = proto.computeMask;
  const input = (inputs: TF.Tensor | TF.Tensor[]): TF.Tensor | undefined => {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const fusable =
      x !== undefined && x.dtype === "float32" && x.rank >= 2 && tf.getBackend() === "wasm" && tf.getKernel(MASKING, "wasm") !== undefined;
    return fusable ? x : undefined;
  };
  proto.call = function (this: MaskingLike, inputs, kwargs) {
    const x = input(inputs);
    if (!x) return originalCall.call(this, inputs, kwargs);
    this.invokeCallHook(inputs, kwargs);
    const attrs: MaskingAttrs = { maskValue: this.maskValue };
    return tf.engine().runKernel(MASKING, { x } as unknown as TF.NamedTensorMap, attrs as unknown as TF.NamedAttrMap) as TF.Tensor;
  };
  proto.computeMask = function (this: MaskingLike, inputs, mask) {
    const x = input(inputs);
    if (!x) return originalMask.call(this, inputs, mask);
    const attrs: MaskingAttrs = { maskValue: this.maskValue };
    return tf.engine().runKernel(MASK_ROWS, { x } as unknown as TF.NamedTensorMap, attrs as unknown as TF.NamedAttrMap) as TF.Tensor;
  };
  proto[PATCHED] = true;
}
