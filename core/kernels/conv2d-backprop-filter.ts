/**
 * Conv2DBackpropFilter, the gradient of a 2-D convolution with respect to its filter, which stock
 * wasm lacks (so no convolution, 1-D or 2-D, could train on wasm):
 *
 *   dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·sh + kh − padTop, ow·sw + kw − padLeft, ci] · dy[b, oh, ow, co]
 *
 * At stride 1 with whole tiles of channels, as KH·KW products of the padded input's transpose,
 * shifted, with dy laid out on the padded grid (conv-shifts.ts). Otherwise as one GEMM per chunk of
 * the batch: the input patches laid out as columns
 * (colsᵀ[(kh, kw, ci), p], zeros where the window leaves the input; built from x transposed to
 * channel planes, so each row is a run of input row segments), then dW = colsᵀ · dy (gemm-simd.ts:
 * clave's SIMD product, or XNNPACK's) with the big patch matrix as its left operand, one block of
 * output rows at a time. NCHW data is read through a transpose.
 */
import { entriesPerChunk, im2colT, patchGeometry, type PatchGeometry } from "./patches.ts";
import { gemmSimd, makeGemm } from "./gemm-simd.ts";
import { type ConvInfo, shiftGeometry, shiftsTake } from "./conv2d.ts";
import { padInto, paddedHeight, paddedWidth, shiftedFilterGradient, wideRows, widen } from "./conv-shifts.ts";
import { type ClaveKernel, type KernelArgs, type TensorInfo, type WasmBackend, f32, heapOffset, release, size, stockTransposer } from "./wasm.ts";

/** Floats of the temporaries (padded input, its transpose, dy on its grid) a shifted gradient builds at once. */
export const shiftedLimit = { floats: 1 << 17 };

type Transposer = ReturnType<typeof stockTransposer>;

/** dW of a stride-1 NHWC convolution by shifted products into `dw` [KH, KW, Ci, Co]; false, touching nothing, where they do not take it. */
function byShifts(backend: WasmBackend, transpose: Transposer, info: ConvInfo, x: TensorInfo, dy: TensorInfo, dw: TensorInfo): boolean {
  const gemm = gemmSimd(backend);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: Ci, outChannels: Co } = info;
  if (!gemm || !shiftsTake(info) || Ci % 4 !== 0 || Co % 8 !== 0) return false;
  const g = shiftGeometry(info);
  const grid = paddedHeight(g) * paddedWidth(g);
  const chunk = entriesPerChunk(grid * (2 * Ci + Co), B, shiftedLimit.floats);
  const padded = backend.makeOutput([chunk * grid * Ci], "float32");
  const wide = backend.makeOutput([wideRows({ ...g, batch: chunk }) * Co], "float32");
  const zeros = backend.makeOutput([Co], "float32");
  f32(backend, zeros).fill(0);
  for (let b0 = 0; b0 < B; b0 += chunk) {
    const b1 = Math.min(B, b0 + chunk);
    const part = { ...g, batch: b1 - b0 };
    padInto(f32(backend, x), f32(backend, padded), part, H, W, info.padInfo.top, info.padInfo.left, b0, b1, false);
    const columns = part.batch * grid;
    const paddedT = transpose(backend, { ...padded, shape: [columns, Ci] }, [columns, Ci], [1, 0]);
    widen(f32(backend, dy), f32(backend, wide).subarray(0, wideRows(part) * Co), part, b0, b1);
    shiftedFilterGradient(gemm, heapOffset(backend, paddedT), columns, heapOffset(backend, wide), heapOffset(backend, dw), heapOffset(backend, zeros), part, b0 === 0);
    release(backend, paddedT);
  }
  release(backend, padded, wide, zeros);
  return true;
}

/** Floats of the patch matrix per GEMM, and the fewest columns (tests lower them to exercise the blocking). */
export const blockColumns = { floats: 1 << 18, min: 512 };

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
    const { gemm } = makeGemm(stock);
    const transpose = stockTransposer(stock);

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

      if (!channelsFirst) {
        const dw = backend.makeOutput(filterShape, "float32");
        if (byShifts(backend, transpose, info, inputs.x, inputs.dy, dw)) return dw;
        release(backend, dw);
      }
      // x as [Ci, B, H, W] (channel planes), dy as NHWC rows [B·OH·OW, Co].
      const xT = channelsFirst
        ? transpose(backend, inputs.x, [B, g.inChannels, g.inHeight * g.inWidth], [1, 0, 2])
        : transpose(backend, inputs.x, [B * g.inHeight * g.inWidth, g.inChannels], [1, 0]);
      const dy = channelsFirst ? transpose(backend, inputs.dy, [B, Co, positions], [0, 2, 1]) : inputs.dy;
      // Blocks of output rows with about `blockColumns` patch columns: the product walks the whole
      // inner dimension for each tile, so a block that fits in cache keeps it compute-bound.
      const outRows = B * g.outHeight;
      const columns = Math.max(blockColumns.min, Math.min(16384, blockColumns.floats / patch));
      const rowsPerBlock = Math.max(1, Math.min(outRows, Math.round(columns / g.outWidth)));
      const acc = new Float64Array(patch * Co);
      for (let r0 = 0; r0 < outRows; r0 += rowsPerBlock) {
        const r1 = Math.min(outRows, r0 + rowsPerBlock);
        const cols = (r1 - r0) * g.outWidth;
        const colsT = backend.makeOutput([patch, cols], "float32");
        const dyc = backend.makeOutput([cols, Co], "float32");
        f32(backend, dyc).set(f32(backend, dy).subarray(r0 * g.outWidth * Co, r1 * g.outWidth * Co));
        im2colT(f32(backend, xT), f32(backend, colsT), g, B, r0, r1);
        // dW [KH·KW·Ci, Co] += colsᵀ · dy: the patch block the left operand, read in place.
        const part = gemm(backend, colsT, dyc, patch, cols, Co);
        const add = f32(backend, part);
        for (let i = 0; i < acc.length; i++) acc[i] += add[i];
        release(backend, part, colsT, dyc);
      }
      release(backend, xT);
      if (dy !== inputs.dy) release(backend, dy);
      const dw = backend.makeOutput(filterShape, "float32");
      f32(backend, dw).set(acc);
      return dw;
    };
  },
};
