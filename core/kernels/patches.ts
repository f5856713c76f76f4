/**
 * Patches of a 2-D convolution over NHWC data, as rows of a matrix (im2col) and back (col2im):
 * row p = (b, oh, ow) holds the input window x[b, oh·sh − padTop + kh, ow·sw − padLeft + kw, ci] for
 * every (kh, kw, ci), in that order (the layout of a [KH, KW, Ci, Co] filter's rows), zero outside.
 */

/** Largest patch matrix a kernel builds at once, in floats; batches are cut into chunks below it (tests lower it). */
export const patchLimit = { floats: 8 << 20 };

/** Batch entries per chunk so that a chunk's temporaries (`floatsPerEntry` each) stay under `limit` floats (at least 1). */
export function entriesPerChunk(floatsPerEntry: number, batch: number, limit: number): number {
  return Math.max(1, Math.min(batch, Math.floor(limit / Math.max(1, floatsPerEntry))));
}

/** Batch entries per chunk so that a chunk's patch matrix stays under `patchLimit`. */
export function batchChunk(g: PatchGeometry, batch: number): number {
  return entriesPerChunk(g.outHeight * g.outWidth * g.filterHeight * g.filterWidth * g.inChannels, batch, patchLimit.floats);
}

/** The sizes of one convolution, as `backend_util.computeConv2DInfo` gives them. */
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

/** PatchGeometry from tfjs's Conv2DInfo (dilation 1). */
export function patchGeometry(info: {
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padInfo: { top: number; left: number };
}): PatchGeometry {
  return {
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
}

/**
 * col2im, the adjoint of im2col: dx[b, ih, iw, ci] += cols[p, (kh, kw, ci)] for batch entries
 * [b0, b1) (cols rows start at b0); window cells outside the input are dropped.
 */
export function col2im(cols: Float32Array, dx: Float32Array, g: PatchGeometry, b0: number, b1: number): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = g;
  let src = 0;
  for (let b = b0; b < b1; b++) {
    const xb = b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * g.strideHeight - g.padTop;
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * g.strideWidth - g.padLeft;
        for (let kh = 0; kh < KH; kh++) {
          const ih = ih0 + kh;
          if (ih < 0 || ih >= H) {
            src += KW * C;
            continue;
          }
          const xr = xb + ih * W * C;
          for (let kw = 0; kw < KW; kw++) {
            const iw = iw0 + kw;
            if (iw >= 0 && iw < W) {
              const dst = xr + iw * C;
              for (let c = 0; c < C; c++) dx[dst + c] += cols[src + c];
            }
            src += C;
          }
        }
      }
    }
  }
}

/**
 * Transposed im2col from channel-major input: xT is x as [Ci, B, H, W]; cols receives the patch
 * matrix transposed, [(kh, kw, ci), (r, ow)] for output rows r = b·OH + oh in [r0, r1), zero outside
 * the input. Each of its rows is a run of input row segments (contiguous when the column stride is 1).
 */
export function im2colT(xT: Float32Array, cols: Float32Array, g: PatchGeometry, batch: number, r0: number, r1: number): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = g;
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  // Row copies within one heap view (copyWithin): a subarray per row made ~1.4 million short-lived
  // views per training step of a 4-block CNN, ~140 MB of garbage that the GC collected late.
  const heap = xT.buffer === cols.buffer ? new Float32Array(xT.buffer) : undefined;
  const xBase = xT.byteOffset / 4;
  const colsBase = cols.byteOffset / 4;
  let dst = 0;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      // Output columns whose window column iw = ow·sw + kw − padLeft falls inside the input.
      const shift = kw - g.padLeft;
      const owLo = Math.min(OW, Math.max(0, Math.ceil(-shift / sw)));
      const owHi = Math.max(owLo, Math.min(OW, Math.floor((W - 1 - shift) / sw) + 1));
      for (let c = 0; c < C; c++) {
        const plane = c * batch * H * W;
        for (let r = r0; r < r1; r++, dst += OW) {
          const b = Math.floor(r / OH);
          const ih = (r - b * OH) * sh + kh - g.padTop;
          if (ih < 0 || ih >= H) {
            cols.fill(0, dst, dst + OW);
            continue;
          }
          const src = plane + (b * H + ih) * W + shift;
          for (let ow = 0; ow < owLo; ow++) cols[dst + ow] = 0;
          if (sw === 1) {
            if (owHi - owLo < 16) for (let ow = owLo; ow < owHi; ow++) cols[dst + ow] = xT[src + ow];
            else if (heap) heap.copyWithin(colsBase + dst + owLo, xBase + src + owLo, xBase + src + owHi);
            else cols.set(xT.subarray(src + owLo, src + owHi), dst + owLo);
          } else {
            for (let ow = owLo; ow < owHi; ow++) cols[dst + ow] = xT[src + ow * sw];
          }
          for (let ow = owHi; ow < OW; ow++) cols[dst + ow] = 0;
        }
      }
    }
  }
}
