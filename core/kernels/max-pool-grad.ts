/**
 * MaxPoolGrad: each output's gradient goes to the input cell that was the maximum of its window
 * (the first one scanned, rows then columns, on ties — as the cpu backend), summed where windows
 * overlap; padding cells never win. Stock wasm's MaxPoolGrad took 80x the time of the forward pool;
 * this loop in JavaScript took 50–100 ms a step of cnn2d's first block, the SIMD loop below 14.
 *
 *   dx[b, ih, iw, c] = Σ_{oh, ow} [(ih, iw) = argmax_{window(oh, ow)} x[b, ·, ·, c]] · dy[b, oh, ow, c]
 */
import { heapModule, onHeap } from "./simd.ts";
import { type Code, Fn, I32, V128, add, addI, and, get, gt, increment, i32, load, mulI, select, set, simd, splat, store, whileBelow } from "./simd-code.ts";
import { type ClaveKernel, type KernelArgs, type WasmBackend, f32, heapOffset, view } from "./wasm.ts";

/**
 * grad(x, dx, dy, count, rows, kw, rowStride, cell, step, channelBytes): for `count` outputs of one
 * row whose windows lie wholly inside the input (`rows` × `kw` cells, byte strides `rowStride`
 * between rows and `cell` between columns, `step` from one window to the next; x and dx at the first
 * window's first cell), four channels at a time: the first cell holding the window's maximum (cells
 * numbered in scan order, a strict > as the JavaScript loop), then dx of every cell += dy where it
 * is that cell (dy masked to 0 elsewhere).
 */
type PoolGradSimd = (x: number, dx: number, dy: number, count: number, rows: number, kw: number, rowStride: number, cell: number, step: number, channelBytes: number) => void;

function poolGradFunction() {
  const params = Array(10).fill(I32);
  const [X, DX, DY, COUNT, ROWS, KW, ROWSTRIDE, CELL, STEP, CH] = params.map((_, i) => i);
  const fn = new Fn(params);
  const [o, cb, r, k, idx, row, p] = [0, 1, 2, 3, 4, 5, 6].map(() => fn.local(I32));
  const [v, best, win, g, m] = [0, 1, 2, 3, 4].map(() => fn.local(V128));
  const splatIdx: Code = [...get(idx), ...simd(0x11)];
  /** For each cell of the window from `base`: `cellBody` with p at the cell, idx its number. */
  const cells = (base: Code, cellBody: Code): Code => [
    ...i32(0), ...set(idx), ...i32(0), ...set(r),
    // row = base + o·step + cb
    ...base, ...get(o), ...get(STEP), ...mulI, ...addI, ...get(cb), ...addI, ...set(row),
    ...whileBelow(r, get(ROWS), [...increment(row, get(ROWSTRIDE)), ...increment(r, i32(1))], [
      ...get(row), ...set(p), ...i32(0), ...set(k),
      ...whileBelow(k, get(KW), [...increment(p, get(CELL)), ...increment(k, i32(1)), ...increment(idx, i32(1))], cellBody),
    ]),
  ];
  const body: Code = [
    ...i32(0), ...set(o),
    ...whileBelow(o, get(COUNT), increment(o, i32(1)), [
      ...i32(0), ...set(cb),
      ...whileBelow(cb, get(CH), increment(cb, i32(16)), [
        ...splat(Number.NEGATIVE_INFINITY), ...set(best),
        0x41, 0x7f, ...simd(0x11), ...set(win), // i32x4.splat(−1): no winner yet
        ...cells(get(X), [
          ...load(get(p)), ...set(v),
          ...gt(get(v), get(best)), ...set(m),
          ...select(get(v), get(best), get(m)), ...set(best),
          ...select(splatIdx, get(win), get(m)), ...set(win),
        ]),
        // g = dy[o, cb..cb + 4]
        ...load([...get(DY), ...get(o), ...get(CH), ...mulI, ...addI, ...get(cb), ...addI]), ...set(g),
        ...cells(get(DX), store(get(p), add(load(get(p)), and(get(g), [...get(win), ...splatIdx, ...simd(0x37)])))),
      ]),
    ]),
  ];
  return { name: "grad", params, locals: fn.locals, body };
}

const KEY = {};
const poolGradSimd = (backend: WasmBackend): PoolGradSimd | undefined => onHeap<{ grad: PoolGradSimd }>(backend, KEY, () => heapModule([poolGradFunction()]))?.grad;

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
      /** One window, one channel at a time (windows that cross the padding, or no SIMD). */
      const scalar = (b: number, oh: number, ow: number) => {
        const o = ((b * OH + oh) * OW + ow) * C;
        const h0 = oh * info.strideHeight - info.padInfo.top;
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
      };
      // Four channels at a time in SIMD over the outputs whose windows lie inside the input's columns.
      const simd = C % 4 === 0 && dh === 1 && dw === 1 && input.dtype === "float32" ? poolGradSimd(backend) : undefined;
      const sw = info.strideWidth;
      const owLo = Math.min(OW, Math.max(0, Math.ceil(info.padInfo.left / sw)));
      const owHi = Math.max(owLo, Math.min(OW, Math.floor((W - KW + info.padInfo.left) / sw) + 1));
      const [xAt, dxAt, dyAt] = [input, dx, dy].map((t) => heapOffset(backend, t));
      for (let b = 0; b < B; b++) {
        for (let oh = 0; oh < OH; oh++) {
          const h0 = oh * info.strideHeight - info.padInfo.top;
          const kh0 = Math.max(0, -h0);
          const kh1 = Math.min(KH, H - h0);
          if (!simd || kh1 <= kh0 || owHi <= owLo) {
            for (let ow = 0; ow < OW; ow++) scalar(b, oh, ow);
            continue;
          }
          for (let ow = 0; ow < owLo; ow++) scalar(b, oh, ow);
          const first = ((b * H + h0 + kh0) * W + owLo * sw - info.padInfo.left) * C * 4;
          simd(xAt + first, dxAt + first, dyAt + ((b * OH + oh) * OW + owLo) * C * 4, owHi - owLo, kh1 - kh0, KW, W * C * 4, C * 4, sw * C * 4, C * 4);
          for (let ow = owHi; ow < OW; ow++) scalar(b, oh, ow);
        }
      }
      return dx;
    };
  },
};
