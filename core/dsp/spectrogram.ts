/**
 * The matrix every spectral function here passes around: `nFrames` rows of `nBins` values, frame-major
 * (row t = frame t, `data[t * nBins + k]`), which is how an STFT produces it and how per-frame
 * reductions read it. librosa lays the same matrix out bins-major (`S[k, t]`); `toBinsMajor` gives that
 * layout for output.
 */
import { ndarray, type NdArray } from "../ndarray.ts";

export interface FrameMatrix<T extends Float32Array | Float64Array = Float32Array | Float64Array> {
  readonly data: T;
  readonly nFrames: number;
  readonly nBins: number;
}

export function frameMatrix<T extends Float32Array | Float64Array>(data: T, nFrames: number, nBins: number): FrameMatrix<T> {
  if (data.length !== nFrames * nBins) {
    throw new RangeError(`frameMatrix: ${data.length} values for ${nFrames} frames x ${nBins} bins`);
  }
  return { data, nFrames, nBins };
}

/** The transpose as librosa lays it out: an NdArray of shape [nBins, nFrames]. */
export function toBinsMajor<T extends Float32Array | Float64Array>(m: FrameMatrix<T>): NdArray<T> {
  const { data, nFrames, nBins } = m;
  const out = new (data.constructor as { new (n: number): T })(data.length);
  for (let t = 0; t < nFrames; t++) {
    const row = t * nBins;
    for (let k = 0; k < nBins; k++) out[k * nFrames + t] = data[row + k];
  }
  return ndarray(out, [nBins, nFrames]);
}
