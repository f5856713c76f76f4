/**
 * Conv2DBackpropFilter, the gradient of a 2-D convolution with respect to its filter, which stock
 * wasm lacks (so no convolution, 1-D or 2-D, could train on wasm):
 *
 *   dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·sh + kh − padTop, ow·sw + kw − padLeft, ci] · dy[b, oh, ow, co]
 *
 * computed as one GEMM per chunk of the batch: the input patches are laid out as rows
 * (im2col: cols[p, (kh, kw, ci)], zeros where the window leaves the input), then
 * dWᵀ = dyᵀ · cols on XNNPACK and transposed back to [kh, kw, ci, co]. Chunks bound the patch
 * matrix to about 32 MB. NCHW inputs are transposed to NHWC first.
 */
import { type ClaveKernel, type KernelArgs, type TensorInfo, type WasmBackend, f32, release, required, size } from "./wasm.ts";

interface Attrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | unknown;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

/** Largest patch matrix built at once, in floats (tests lower it to exercise the chunking). */
export const patchLimit = { floats: 8 << 20 };

export interface PatchGeometry {
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** im2col for batch entries [b0, b1) of NHWC `x` into `cols` ([(b1−b0)·OH·OW, KH·KW·Ci], row-major). */
export function im2col(x: Float32Array, cols: Float32Array, g: PatchGeometry, b0: number, b1: number): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = g;
  let dst = 0;
  for (let b = b0; b < b1; b++) {
    const xb = b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * g.strideHeight - g.padTop;
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * g.strideWidth - g.padLeft;
        for (let kh = 0; kh < KH; kh++) {
          const ih = ih0 + kh;
          if (ih < 0 || ih >= H) {
            cols.fill(0, dst, dst + KW * C);
            dst += KW * C;
            continue;
          }
          const xr = xb + ih * W * C;
          for (let kw = 0; kw < KW; kw++) {
            const iw = iw0 + kw;
            if (iw < 0 || iw >= W) {
              for (let c = 0; c < C; c++) cols[dst + c] = 0;
            } else {
              const src = xr + iw * C;
              if (C >= 32) cols.set(x.subarray(src, src + C), dst);
              else for (let c = 0; c < C; c++) cols[dst + c] = x[src + c];
            }
            dst += C;
          }
        }
      }
    }
  }
}

export const conv2DBackpropFilter: ClaveKernel = {
  kernelName: "Conv2DBackpropFilter",
  reason: "missing from stock wasm: convolutions cannot train",
  make(tf, stock) {
    const stockMatMul = required(stock, "BatchMatMul");
    const stockTranspose = required(stock, "Transpose");
    const transpose = (backend: WasmBackend, t: TensorInfo, shape: number[], perm: number[]): TensorInfo =>
      stockTranspose({ inputs: { x: { dataId: t.dataId, dtype: t.dtype, shape } }, backend, attrs: { perm } }) as TensorInfo;

    return ({ inputs, backend, attrs }: KernelArgs<Attrs>) => {
      const { filterShape, strides, dataFormat, dimRoundingMode } = attrs;
      const channelsFirst = dataFormat === "NCHW";
      const info = tf.backend_util.computeConv2DInfo(
        inputs.x.shape as [number, number, number, number],
        filterShape,
        strides,
        1,
        attrs.pad as "valid",
        dimRoundingMode,
        false,
        channelsFirst ? "channelsFirst" : "channelsLast",
      );
      const g: PatchGeometry = {
        inHeight: info.inHeight,
        inWidth: info.inWidth,
        inChannels: info.inChannels,
        outHeight: info.outHeight,
        outWidth: info.outWidth,
        filterHeight: info.filterHeight,
        filterWidth: info.filterWidth,
        strideHeight: info.strideHeight,
        strideWidth: info.strideWidth,
        padTop: info.padInfo.top,
        padLeft: info.padInfo.left,
      };
      const B = info.batchSize;
      const Co = info.outChannels;
      const patch = g.filterHeight * g.filterWidth * g.inChannels;
      const positions = g.outHeight * g.outWidth;
      if (size(filterShape) === 0 || B * positions === 0) {
        const zeros = backend.makeOutput(filterShape, "float32");
        f32(backend, zeros).fill(0);
        return zeros;
      }

      const x = channelsFirst ? transpose(backend, inputs.x, [B, g.inChannels, g.inHeight, g.inWidth], [0, 2, 3, 1]) : inputs.x;
      const dy = channelsFirst ? transpose(backend, inputs.dy, [B, Co, g.outHeight, g.outWidth], [0, 2, 3, 1]) : inputs.dy;
      const chunk = Math.max(1, Math.min(B, Math.floor(patchLimit.floats / Math.max(1, positions * patch))));
      const acc = chunk < B ? new Float32Array(Co * patch) : undefined;
      let last: TensorInfo | undefined;
      for (let b0 = 0; b0 < B; b0 += chunk) {
        const b1 = Math.min(B, b0 + chunk);
        const rows = (b1 - b0) * positions;
        const cols = backend.makeOutput([rows, patch], "float32");
        im2col(f32(backend, x), f32(backend, cols), g, b0, b1);
        let dyc: TensorInfo = dy;
        if (b1 - b0 < B) {
          dyc = backend.makeOutput([rows, Co], "float32");
          f32(backend, dyc).set(f32(backend, dy).subarray(b0 * positions * Co, b1 * positions * Co));
        }
        const dycT = transpose(backend, dyc, [rows, Co], [1, 0]);
        if (dyc !== dy) release(backend, dyc);
        const part = stockMatMul({
          inputs: { a: { dataId: dycT.dataId, dtype: "float32", shape: [1, Co, rows] }, b: { dataId: cols.dataId, dtype: "float32", shape: [1, rows, patch] } },
          backend,
          attrs: { transposeA: false, transposeB: false },
        }) as TensorInfo;
        release(backend, dycT, cols);
        if (acc) {
          const p = f32(backend, part);
          for (let i = 0; i < acc.length; i++) acc[i] += p[i];
          release(backend, part);
        } else {
          last = part;
        }
      }
      // dWᵀ [Co, KH·KW·Ci] → dW [KH·KW·Ci, Co].
      let dwT = last;
      if (acc) {
        dwT = backend.makeOutput([Co, patch], "float32");
        f32(backend, dwT).set(acc);
      }
      const dw = transpose(backend, dwT as TensorInfo, [Co, patch], [1, 0]);
      release(backend, dwT as TensorInfo);
      if (x !== inputs.x) release(backend, x);
      if (dy !== inputs.dy) release(backend, dy);
      dw.shape = [...filterShape];
      return dw;
    };
  },
};
