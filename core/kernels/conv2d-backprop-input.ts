/**
 * Conv2DBackpropInput, the gradient of a 2-D convolution with respect to its input:
 *
 *   dx[b, ih, iw, ci] = Σ_{oh, ow, kh, kw, co} [ih = oh·sh + kh − padTop, iw = ow·sw + kw − padLeft] · dy[b, oh, ow, co] · W[kh, kw, ci, co]
 *
 * At stride 1 this is a convolution of dy, padded by (KH − 1 − padTop, KW − 1 − padLeft), with the
 * filter flipped and transposed, run as shifted-row products (conv-shifts.ts). Otherwise it is
 * a GEMM and a scatter: the patch gradients cols = dy · W_matᵀ (W_mat = W as [KH·KW·Ci, Co];
 * gemm-simd.ts), then col2im adds each patch row back onto the input positions it came from. Stock wasm
 * runs the sum as a scalar loop, 10–15x slower than the forward convolution. Chunks of the batch
 * bound the patch matrix (patches.ts); NCHW data is transposed to NHWC and back.
 */
import { batchChunk, col2im, patchGeometry } from "./patches.ts";
import { makeGemm } from "./gemm-simd.ts";
import { type ConvInfo, MIN_IN_CHANNELS, convolveByShifts, shiftsTake } from "./conv2d.ts";
import { flippedFilter } from "./conv-shifts.ts";
import { type ClaveKernel, type KernelArgs, type TensorInfo, type WasmBackend, f32, release, size, stockTransposer } from "./wasm.ts";

interface Attrs {
  inputShape: [number, number, number, number];
  strides: number | [number, number];
  pad: "valid" | "same" | number | unknown;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** dx of a stride-1 convolution as the shifted products of the padded dy with the flipped filter; false where they do not take it. */
function byShifts(backend: WasmBackend, info: ConvInfo, dy: TensorInfo, filter: TensorInfo, dx: TensorInfo): boolean {
  const { filterHeight: KH, filterWidth: KW, inChannels: Ci, outChannels: Co } = info;
  const top = KH - 1 - info.padInfo.top;
  const left = KW - 1 - info.padInfo.left;
  if (!shiftsTake(info) || Ci % 8 !== 0 || Co < MIN_IN_CHANNELS || Math.min(top, left, KH - 1 - info.padInfo.bottom, KW - 1 - info.padInfo.right) < 0) return false;
  const flipped = backend.makeOutput([KH, KW, Co, Ci], "float32");
  flippedFilter(f32(backend, filter), f32(backend, flipped), KH, KW, Ci, Co);
  const g = { batch: info.batchSize, outHeight: info.inHeight, outWidth: info.inWidth, filterHeight: KH, filterWidth: KW, inChannels: Co, outChannels: Ci };
  const done = convolveByShifts(backend, dy, info.outHeight, info.outWidth, top, left, flipped, dx, undefined, g);
  release(backend, flipped);
  return done;
}

export const conv2DBackpropInput: ClaveKernel = {
  kernelName: "Conv2DBackpropInput",
  reason: "stock Conv2DBackpropInput is a scalar loop, 10-15x slower than the forward convolution",
  make(tf, stock) {
    const { gemm } = makeGemm(stock);
    const transpose = stockTransposer(stock);

    return ({ inputs, backend, attrs }: KernelArgs<Attrs>) => {
      const { filter } = inputs;
      const channelsFirst = attrs.dataFormat === "NCHW";
      const info = tf.backend_util.computeConv2DInfo(
        attrs.inputShape,
        filter.shape as [number, number, number, number],
        attrs.strides,
        1,
        attrs.pad as "valid",
        attrs.dimRoundingMode,
        false,
        channelsFirst ? "channelsFirst" : "channelsLast",
      );
      const g = patchGeometry(info);
      const B = info.batchSize;
      const Co = info.outChannels;
      const patch = g.filterHeight * g.filterWidth * g.inChannels;
      const positions = g.outHeight * g.outWidth;
      const nhwc = [B, g.inHeight, g.inWidth, g.inChannels];
      const dx = backend.makeOutput(nhwc, "float32");
      if (!channelsFirst && byShifts(backend, info, inputs.dy, filter, dx)) return dx;
      if (size(nhwc) > 0) f32(backend, dx).fill(0);
      if (size(nhwc) > 0 && B * positions * Co * patch > 0) {
        const dy = channelsFirst ? transpose(backend, inputs.dy, [B, Co, g.outHeight, g.outWidth], [0, 2, 3, 1]) : inputs.dy;
        // W_matᵀ [Co, KH·KW·Ci]: the product's right-hand side.
        const wT = transpose(backend, filter, [patch, Co], [1, 0]);
        const chunk = batchChunk(g, B);
        for (let b0 = 0; b0 < B; b0 += chunk) {
          const b1 = Math.min(B, b0 + chunk);
          const rows = (b1 - b0) * positions;
          let dyc: TensorInfo = dy;
          if (b1 - b0 < B) {
            dyc = backend.makeOutput([rows, Co], "float32");
            f32(backend, dyc).set(f32(backend, dy).subarray(b0 * positions * Co, b1 * positions * Co));
          }
          const cols = gemm(backend, dyc, wT, rows, Co, patch);
          if (dyc !== dy) release(backend, dyc);
          col2im(f32(backend, cols), f32(backend, dx), g, b0, b1);
          release(backend, cols);
        }
        release(backend, wT);
        if (dy !== inputs.dy) release(backend, dy);
      }
      if (!channelsFirst) return dx;
      const out = transpose(backend, dx, nhwc, [0, 3, 1, 2]);
      release(backend, dx);
      return out;
    };
  },
};
