/**
 * A stride-1 convolution as KH·KW products of shifted input rows, without a patch matrix. With the
 * input zero-padded to P [B, Hp, Wp, C] (Hp = OH + KH − 1, Wp = OW + KW − 1),
 *
 *   out[b, oh, ow, :] = init + Σ_{kh, kw} P[b, oh + kh, ow + kw, :] · K[kh, kw]        K[kh, kw]: [C, N]
 *
 * and for one (b, oh, kh, kw) the OW rows P[b, oh + kh, kw .. kw + OW, :] lie one after another in
 * memory: a [OW, C] matrix read in place, whose product with K[kh, kw] gemm-simd.ts's loop adds
 * onto the output row (`shiftedConv`). The forward convolution is this, and so is its input gradient
 * (a convolution of the padded dy with the filter flipped and transposed, `flippedFilter`). The
 * filter gradient is its adjoint (`shiftedFilterGradient`):
 *
 *   dK[kh, kw] = Σ_q Pᵀ[:, q + kh·Wp + kw] · dy'[q, :]
 *
 * over the rows q of dy laid out on P's grid (dy', zero off the output), KH·KW products of Pᵀ's
 * shifted columns with the same block of dy' while it is in cache.
 *
 * Why: im2col (patches.ts) copies every input value KH·KW times before its product, and XNNPACK's
 * convolution (stock wasm's forward) packs the filter anew whenever it is a new tensor, which in
 * training is every step; on cnn2d's layers they ran at 28–46 GFLOP/s of the loop's ~50.
 */
import { CACHE_FLOATS, type GemmSimd, rowsInCache } from "./gemm-simd.ts";

/** The sizes of a stride-1 convolution over a padded input (see the module comment). */
export interface ShiftGeometry {
  batch: number;
  /** Output rows and columns; the padded input is (OH + KH − 1) × (OW + KW − 1). */
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  /** C, the input channels (the products' inner dimension). */
  inChannels: number;
  /** N, the output channels: a multiple of 8 (the loop's tile width). */
  outChannels: number;
}

/** Floats of dy' per block of the filter gradient's inner dimension (512 kB, in cache across the shifts); tests lower it. */
export const filterBlock = { floats: CACHE_FLOATS };

/** Calls of each routine so far (tests check which convolutions took this path; the rest went to im2col or XNNPACK). */
export const shiftedCalls = { conv: 0, filterGradient: 0 };

export const paddedHeight = (g: ShiftGeometry): number => g.outHeight + g.filterHeight - 1;
export const paddedWidth = (g: ShiftGeometry): number => g.outWidth + g.filterWidth - 1;

/** Rows of slack after a padded input: the last output row's product reads up to 3 rows past its end (OW rounded up to 4). */
export const SLACK_ROWS = 4;

/** Floats of the padded input of `batch` entries, slack included. */
export function paddedFloats(g: ShiftGeometry, batch = g.batch): number {
  return (batch * paddedHeight(g) * paddedWidth(g) + SLACK_ROWS) * g.inChannels;
}

/**
 * Copy NHWC `x` [B, H, W, C] (entries [b0, b1)) into `p` at rows (top, left) of the padded grid of
 * `g`, zero around it (and in the slack rows after it, with `slack`).
 */
export function padInto(x: Float32Array, p: Float32Array, g: ShiftGeometry, H: number, W: number, top: number, left: number, b0: number, b1: number, slack: boolean): void {
  const C = g.inChannels;
  const Hp = paddedHeight(g);
  const Wp = paddedWidth(g);
  const row = W * C;
  let dst = 0;
  for (let b = b0; b < b1; b++) {
    for (let hp = 0; hp < Hp; hp++, dst += Wp * C) {
      const ih = hp - top;
      if (ih < 0 || ih >= H) {
        p.fill(0, dst, dst + Wp * C);
        continue;
      }
      p.fill(0, dst, dst + left * C);
      const src = (b * H + ih) * row;
      p.set(x.subarray(src, src + row), dst + left * C);
      p.fill(0, dst + left * C + row, dst + Wp * C);
    }
  }
  if (slack) p.fill(0, dst, dst + SLACK_ROWS * C);
}

/**
 * out[b, oh, ow, :] = init + Σ P[b, oh + kh, ow + kw, :] · K[kh, kw] for b in [0, g.batch): byte
 * offsets of the padded input `p` (with its slack rows), the filter `k` [KH, KW, C, N], the output
 * [B, OH, OW, N] and the row [N] every output starts from (a bias, or zeros). `scratch` is a byte
 * offset of [4·⌈OW/4⌉, N] floats, used (and copied out of through `heap`) when OW is not a multiple
 * of 4: each row's product then covers ⌈OW/4⌉·4 rows, the extra ones landing on the output rows
 * after it (computed after it, from init), except where they would pass the output's end.
 */
export function shiftedConv(gemm: GemmSimd, heap: () => Float32Array, p: number, k: number, out: number, init: number, g: ShiftGeometry, scratch: number): void {
  shiftedCalls.conv++;
  const { batch: B, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW, inChannels: C, outChannels: N } = g;
  const Hp = paddedHeight(g);
  const Wp = paddedWidth(g);
  const rows = Math.ceil(OW / 4) * 4;
  const outRow = OW * N * 4;
  const block = rowsInCache(N);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      // The rows past OW land on the output rows after this one (computed later, from init);
      // near the end they would land past the output, so those rows go to the scratch block.
      const last = ((b * OH + oh) * OW + rows) > B * OH * OW;
      const target = out + (b * OH + oh) * outRow;
      const c = last ? scratch : target;
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const a = p + ((b * Hp + oh + kh) * Wp + kw) * C * 4;
          const ks = k + (kh * KW + kw) * C * N * 4;
          // A filter slice too big for cache in blocks of its rows, each added onto c like a shift.
          for (let c0 = 0; c0 < C; c0 += block) {
            const first = kh === 0 && kw === 0 && c0 === 0;
            gemm(a + c0 * 4, ks + c0 * N * 4, c, first ? init : c, rows, Math.min(block, C - c0), N * 4, C * 4, N * 4, N * 4, first ? 0 : N * 4);
          }
        }
      }
      if (last) {
        const h = heap();
        h.copyWithin(target / 4, scratch / 4, scratch / 4 + OW * N);
      }
    }
  }
}

/**
 * The filter gradient's part from `g.batch` entries, added onto `dk` [KH, KW, C, N] (or written over
 * it when `first`): byte offsets of `pT` [C, columns] (the padded input transposed, its row stride
 * `columns` ≥ B·Hp·Wp), `dyWide` [q, N] (dy on P's grid: row b·Hp·Wp + oh·Wp + ow, zero elsewhere,
 * `wideRows(g)` rows) and `zeros` (N floats of 0). C must be a multiple of 4.
 */
export function shiftedFilterGradient(gemm: GemmSimd, pT: number, columns: number, dyWide: number, dk: number, zeros: number, g: ShiftGeometry, first: boolean): void {
  shiftedCalls.filterGradient++;
  const { filterHeight: KH, filterWidth: KW, inChannels: C, outChannels: N } = g;
  const Wp = paddedWidth(g);
  const entry = paddedHeight(g) * Wp;
  // Each entry's rows up to its last output position: where the padding rows between two entries
  // are many (on a 3-row output, 2 of every 5), each entry's range on its own, skipping them (they
  // are zero in dy'); else one range over all entries, whose longer products run faster.
  const span = (g.outHeight - 1) * Wp + g.outWidth;
  const ranges: [number, number][] =
    (entry - span) * 8 > entry ? Array.from({ length: g.batch }, (_, b) => [b * entry, b * entry + span]) : [[0, wideRows(g)]];
  const block = Math.max(1, Math.floor(filterBlock.floats / N));
  let fresh = first;
  for (const [from, to] of ranges) {
    for (let q0 = from; q0 < to; q0 += block) {
      const rows = Math.min(block, to - q0);
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const c = dk + (kh * KW + kw) * C * N * 4;
          gemm(pT + (q0 + kh * Wp + kw) * 4, dyWide + q0 * N * 4, c, fresh ? zeros : c, C, rows, N * 4, columns * 4, N * 4, N * 4, fresh ? 0 : N * 4);
        }
      }
      fresh = false;
    }
  }
}

/** Rows of dy on P's grid that the filter gradient sums over: up to the last output position. */
export function wideRows(g: ShiftGeometry): number {
  return ((g.batch - 1) * paddedHeight(g) + g.outHeight - 1) * paddedWidth(g) + g.outWidth;
}

/** dy [B, OH, OW, N] (entries [b0, b1)) onto P's grid in `wide` (`wideRows` rows of N), zeros elsewhere. */
export function widen(dy: Float32Array, wide: Float32Array, g: ShiftGeometry, b0: number, b1: number): void {
  const { outHeight: OH, outWidth: OW, outChannels: N } = g;
  const Hp = paddedHeight(g);
  const Wp = paddedWidth(g);
  wide.fill(0);
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const src = ((b * OH + oh) * OW) * N;
      wide.set(dy.subarray(src, src + OW * N), (((b - b0) * Hp + oh) * Wp) * N);
    }
  }
}

/** The input gradient's filter: Kf[kh, kw] = K[KH − 1 − kh, KW − 1 − kw]ᵀ, [KH, KW, Co, Ci] from K [KH, KW, Ci, Co]. */
export function flippedFilter(k: Float32Array, out: Float32Array, KH: number, KW: number, Ci: number, Co: number): void {
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const src = ((KH - 1 - kh) * KW + (KW - 1 - kw)) * Ci * Co;
      const dst = (kh * KW + kw) * Co * Ci;
      for (let ci = 0; ci < Ci; ci++) for (let co = 0; co < Co; co++) out[dst + co * Ci + ci] = k[src + ci * Co + co];
    }
  }
}
