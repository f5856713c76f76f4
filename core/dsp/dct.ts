/**
 * Discrete cosine transform, type II, as `scipy.fft.dct(x, type=2, norm=...)`:
 *
 *     y[k] = 2 sum_{n=0}^{N-1} x[n] cos(π k (2n + 1) / (2N))
 *
 * and with norm='ortho' each y[k] is scaled by sqrt(1/(4N)) for k = 0 and sqrt(1/(2N)) otherwise.
 * Only the first `nOut` coefficients are computed (MFCC keeps 13-20 of 128), as a small matrix product.
 */
import { frameMatrix, type FrameMatrix } from "./spectrogram.ts";

/** The (nOut x n) DCT-II matrix. */
export function dctMatrix(nOut: number, n: number, norm: "ortho" | null = "ortho"): Float64Array {
  if (nOut > n) throw new RangeError(`dctMatrix: ${nOut} coefficients from ${n} inputs`);
  const m = new Float64Array(nOut * n);
  for (let k = 0; k < nOut; k++) {
    const scale = norm === "ortho" ? Math.sqrt(1 / ((k === 0 ? 4 : 2) * n)) : 1;
    for (let i = 0; i < n; i++) m[k * n + i] = 2 * scale * Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n));
  }
  return m;
}

/** The first `nOut` DCT-II coefficients of each frame (row) of a frame-major matrix. */
export function dctFrames(x: FrameMatrix, nOut: number, norm: "ortho" | null = "ortho"): FrameMatrix<Float32Array> {
  const { data, nFrames, nBins: n } = x;
  const m = dctMatrix(nOut, n, norm);
  const out = new Float32Array(nFrames * nOut);
  for (let t = 0; t < nFrames; t++) {
    const row = t * n;
    for (let k = 0; k < nOut; k++) {
      let acc = 0;
      const mk = k * n;
      for (let i = 0; i < n; i++) acc += m[mk + i] * data[row + i];
      out[t * nOut + k] = acc;
    }
  }
  return frameMatrix(out, nFrames, nOut);
}
