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
import { batchChunk, im2col, patchGeometry, type PatchGeometry } from "./patches.ts";
import { type ClaveKernel, type KernelArgs, type TensorInfo, type WasmBackend, f32, release, required, size } from "./wasm.ts";

interface Attrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | unknown;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
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
      const g: PatchGeometry = patchGeometry(info);
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
      const chunk = batchChunk(g, B);
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
