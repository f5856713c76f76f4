/**
 * MaxPoolGrad: each output's gradient goes to the input cell that was the maximum of its window
 * (the first one scanned, rows then columns, on ties — as the cpu backend), summed where windows
 * overlap; padding cells never win. Stock wasm's MaxPoolGrad took 80x the time of the forward pool.
 *
 *   dx[b, ih, iw, c] = Σ_{oh, ow} [(ih, iw) = argmax_{window(oh, ow)} x[b, ·, ·, c]] · dy[b, oh, ow, c]
 */
import { type ClaveKernel, type KernelArgs, f32, view } from "./wasm.ts";

interface Attrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: "valid" | "same" | number | unknown;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

export const maxPoolGrad: ClaveKernel = {
  kernelName: "MaxPoolGrad",
  reason: "stock MaxPoolGrad is 80x slower than the forward pool",
  make(tf, stock) {
    const fallback = stock("MaxPoolGrad");
    return (args: KernelArgs<Attrs>) => {
      const { inputs, backend, attrs } = args;
      const { dy, input } = inputs;
      if (input.dtype !== "float32" && fallback) return fallback(args);
      const info = tf.backend_util.computePool2DInfo(
        input.shape as [number, number, number, number],
        attrs.filterSize,
        attrs.strides,
        1,
        attrs.pad as "valid",
        attrs.dimRoundingMode,
      );
      const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
      const KH = info.effectiveFilterHeight;
      const KW = info.effectiveFilterWidth;
      const dh = info.dilationHeight;
      const dw = info.dilationWidth;
      const dx = backend.makeOutput(input.shape, "float32");
      const out = f32(backend, dx);
      const x = view(backend, input);
      const g = f32(backend, dy);
      out.fill(0);
      const best = new Float32Array(C);
      const where = new Int32Array(C);
      let o = 0;
      for (let b = 0; b < B; b++) {
        for (let oh = 0; oh < OH; oh++) {
          const h0 = oh * info.strideHeight - info.padInfo.top;
          for (let ow = 0; ow < OW; ow++, o += C) {
            const w0 = ow * info.strideWidth - info.padInfo.left;
            best.fill(Number.NEGATIVE_INFINITY);
            where.fill(-1);
            for (let kh = 0; kh < KH; kh += dh) {
              const ih = h0 + kh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw += dw) {
                const iw = w0 + kw;
                if (iw < 0 || iw >= W) continue;
                const base = ((b * H + ih) * W + iw) * C;
                for (let c = 0; c < C; c++) {
                  const v = x[base + c];
                  if (v > best[c]) {
                    best[c] = v;
                    where[c] = base + c;
                  }
                }
              }
            }
            for (let c = 0; c < C; c++) if (where[c] >= 0) out[where[c]] += g[o + c];
          }
        }
      }
      return dx;
    };
  },
};
