/**
 * Conv2D and FusedConv2D (a bias and a ReLU folded in) of stride 1 as shifted-row products
 * (conv-shifts.ts) in clave's SIMD loop:
 *
 *   y[b, oh, ow, co] = act(bias[co] + Σ_{kh, kw, ci} x[b, oh + kh − padTop, ow + kw − padLeft, ci] · W[kh, kw, ci, co])
 *
 * Stock wasm's convolution is XNNPACK's, which packs the filter into its own layout and keeps the
 * packing for that filter tensor; in training the filter is a new tensor every step, so it packed
 * at every call. Other convolutions (strides, dilations, NCHW, an output channel count not a
 * multiple of 8, fewer than 4 input channels, other activations, a threaded build) go to the
 * stock kernel unchanged.
 */
import type * as TF from "@tensorflow/tfjs";
import { gemmSimd } from "./gemm-simd.ts";
import { type ShiftGeometry, padInto, paddedFloats, paddedHeight, paddedWidth, shiftedConv } from "./conv-shifts.ts";
import { entriesPerChunk } from "./patches.ts";
import { type ClaveKernel, type KernelArgs, type Tf, type TensorInfo, type WasmBackend, type WasmKernelFunc, f32, heapOffset, release, required } from "./wasm.ts";

/** Floats of padded input a call builds at once; the batch is cut into chunks below it. */
export const paddedLimit = { floats: 1 << 17 };

/** Fewest input channels (the products' inner dimension) worth a product per filter tap. */
export const MIN_IN_CHANNELS = 4;

interface Attrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | unknown;
  dataFormat: "NHWC" | "NCHW";
  dilations?: number | [number, number];
  dimRoundingMode?: "floor" | "round" | "ceil";
  activation?: string;
}

export type ConvInfo = ReturnType<Tf["backend_util"]["computeConv2DInfo"]>;

/** The shifted products' sizes of a convolution's forward pass (and of its filter gradient). */
export const shiftGeometry = (info: ConvInfo): ShiftGeometry => ({
  batch: info.batchSize,
  outHeight: info.outHeight,
  outWidth: info.outWidth,
  filterHeight: info.filterHeight,
  filterWidth: info.filterWidth,
  inChannels: info.inChannels,
  outChannels: info.outChannels,
});

/**
 * Whether a convolution's geometry fits the shifted products: stride 1, no dilation, NHWC, padding
 * that leaves the output on the padded grid. (Each caller checks its products' channel counts.)
 */
export function shiftsTake(info: ConvInfo): boolean {
  const p = info.padInfo;
  return (
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.dataFormat === "channelsLast" &&
    Math.min(p.top, p.bottom, p.left, p.right) >= 0 &&
    info.outHeight + info.filterHeight - 1 === info.inHeight + p.top + p.bottom &&
    info.outWidth + info.filterWidth - 1 === info.inWidth + p.left + p.right &&
    info.batchSize * info.outHeight * info.outWidth > 0
  );
}

/**
 * out = init + conv(x padded by (top, left)) through `g` (its batch the whole batch): the padded
 * input built a chunk of the batch at a time, or `x` read in place where it needs no padding.
 * Returns false, touching nothing, where the SIMD loop cannot run.
 */
export function convolveByShifts(backend: WasmBackend, x: TensorInfo, H: number, W: number, top: number, left: number, filter: TensorInfo, out: TensorInfo, bias: TensorInfo | undefined, g: ShiftGeometry): boolean {
  const gemm = gemmSimd(backend);
  if (!gemm) return false;
  const B = g.batch;
  const Hp = paddedHeight(g);
  const Wp = paddedWidth(g);
  const rows = Math.ceil(g.outWidth / 4) * 4;
  const inPlace = Hp === H && Wp === W && rows === g.outWidth;
  const chunk = inPlace ? B : entriesPerChunk(Hp * Wp * g.inChannels, B, paddedLimit.floats);
  const padded = inPlace ? undefined : backend.makeOutput([paddedFloats(g, chunk)], "float32");
  const scratch = rows === g.outWidth ? undefined : backend.makeOutput([rows * g.outChannels], "float32");
  const zeros = bias ? undefined : backend.makeOutput([g.outChannels], "float32");
  if (zeros) f32(backend, zeros).fill(0);
  const heap = () => new Float32Array(backend.wasm.HEAPU8.buffer);
  const at = (t: TensorInfo) => heapOffset(backend, t);
  const outEntry = g.outHeight * g.outWidth * g.outChannels * 4;
  for (let b0 = 0; b0 < B; b0 += chunk) {
    const b1 = Math.min(B, b0 + chunk);
    const part = { ...g, batch: b1 - b0 };
    if (padded) {
      const h = heap();
      const xv = h.subarray(at(x) / 4, at(x) / 4 + B * H * W * g.inChannels);
      const pv = h.subarray(at(padded) / 4, at(padded) / 4 + paddedFloats(g, chunk));
      padInto(xv, pv, part, H, W, top, left, b0, b1, true);
    }
    const p = padded ? at(padded) : at(x) + b0 * H * W * g.inChannels * 4;
    shiftedConv(gemm, heap, p, at(filter), at(out) + b0 * outEntry, bias ? at(bias) : at(zeros!), part, scratch ? at(scratch) : 0);
  }
  for (const t of [padded, scratch, zeros]) if (t) release(backend, t);
  return true;
}

function makeConv(name: "Conv2D" | "FusedConv2D"): ClaveKernel["make"] {
  return (tf, stock) => {
    const stockConv: WasmKernelFunc = required(stock, name);
    return (args: KernelArgs<Attrs>) => {
      const { inputs, backend, attrs } = args;
      const { x, filter, bias, preluActivationWeights } = inputs;
      const activation = attrs.activation ?? "linear";
      if (attrs.dataFormat !== "NHWC" || preluActivationWeights || (activation !== "linear" && activation !== "relu") || (bias && bias.shape.length !== 1)) return stockConv(args);
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        attrs.strides,
        attrs.dilations ?? 1,
        attrs.pad as "valid",
        attrs.dimRoundingMode,
      );
      const N = info.outChannels;
      const C = info.inChannels;
      if (!shiftsTake(info) || N % 8 !== 0 || C < MIN_IN_CHANNELS) return stockConv(args);
      const out = backend.makeOutput(info.outShape, "float32");
      if (!convolveByShifts(backend, x, info.inHeight, info.inWidth, info.padInfo.top, info.padInfo.left, filter, out, bias, shiftGeometry(info))) {
        release(backend, out);
        return stockConv(args);
      }
      if (activation === "relu") {
        const v = new Float32Array(backend.wasm.HEAPU8.buffer, heapOffset(backend, out), info.batchSize * info.outHeight * info.outWidth * N);
        for (let i = 0; i < v.length; i++) if (v[i] < 0) v[i] = 0;
      }
      return out;
    };
  };
}

export const conv2D: ClaveKernel = {
  kernelName: "Conv2D",
  reason: "stock Conv2D (XNNPACK) packs the filter anew at every training step; stride-1 convolutions run as shifted-row SIMD products",
  make: makeConv("Conv2D"),
};

export const fusedConv2D: ClaveKernel = {
  kernelName: "FusedConv2D",
  reason: "stock FusedConv2D (XNNPACK) packs the filter anew at every training step; stride-1 convolutions run as shifted-row SIMD products",
  make: makeConv("FusedConv2D"),
};

const PLAIN = Symbol.for("clave.plainConv2d");

interface Conv2dLayerLike {
  rank: number;
  bias: unknown;
  kernel: { read(): TF.Tensor };
  activation: { getClassName(): string } | null;
  dataFormat: string;
  padding: string;
  strides: number[];
  dilationRate: number | number[];
}
type ConvCall = (this: Conv2dLayerLike, inputs: TF.Tensor | TF.Tensor[], kwargs: Record<string, unknown>) => TF.Tensor | TF.Tensor[];

/**
 * tfjs-layers' Conv2D layer without a bias or an activation through the plain Conv2D op rather than
 * the fused one. The fused op's gradient computes the input's gradient whether or not anything asks
 * for it; the plain op's computes it only when a trained variable reaches the input, so a network's
 * first convolution no longer computes a gradient for the batch itself (24 ms of cnn2d's step). Same
 * kernels, same values. On the wasm backend only; other layers and backends keep tfjs's code.
 */
export function installPlainConv2d(tf: Tf): void {
  const proto = Object.getPrototypeOf(tf.layers.conv2d({ filters: 1, kernelSize: 1 })) as { call: ConvCall; [PLAIN]?: true };
  if (proto[PLAIN]) return;
  const original = proto.call;
  proto.call = function (this: Conv2dLayerLike, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const plain =
      (!Array.isArray(inputs) || inputs.length === 1) &&
      this.rank === 2 &&
      this.bias == null &&
      (this.activation === null || this.activation.getClassName() === "linear") &&
      this.dataFormat === "channelsLast" &&
      (this.padding === "same" || this.padding === "valid") &&
      x.rank === 4 &&
      tf.getBackend() === "wasm";
    if (!plain) return original.call(this, inputs, kwargs);
    return tf.conv2d(x as TF.Tensor4D, this.kernel.read() as TF.Tensor4D, this.strides as [number, number], this.padding as "same", "NHWC", this.dilationRate as [number, number]);
  };
  proto[PLAIN] = true;
}
