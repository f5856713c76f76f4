/**
 * Mel-frequency cepstral coefficients, `librosa.feature.mfcc`:
 *
 *     mfcc = DCT-II(power_to_db(melspectrogram), norm='ortho')[:n_mfcc]
 *
 * over the mel axis, then, when lifter > 0, mfcc[k] *= 1 + (lifter / 2) sin(π (k + 1) / lifter).
 * The input is the dB mel spectrogram (with librosa's top_db=80 clamp over the clip, which matters on
 * real music), frame-major.
 */
import { dctFrames } from "./dct.ts";
import type { FrameMatrix } from "./spectrogram.ts";

export interface MfccOptions {
  readonly nMfcc?: number;
  readonly norm?: "ortho" | null;
  readonly lifter?: number;
}

export function mfccFromMelDb(melDb: FrameMatrix, o: MfccOptions = {}): FrameMatrix<Float32Array> {
  const nMfcc = o.nMfcc ?? 20;
  const lifter = o.lifter ?? 0;
  if (lifter < 0) throw new RangeError(`mfcc: lifter=${lifter} must be non-negative`);
  const out = dctFrames(melDb, nMfcc, o.norm === undefined ? "ortho" : o.norm);
  if (lifter > 0) {
    const lift = new Float64Array(nMfcc);
    for (let k = 0; k < nMfcc; k++) lift[k] = 1 + (lifter / 2) * Math.sin((Math.PI * (k + 1)) / lifter);
    for (let t = 0; t < out.nFrames; t++) for (let k = 0; k < nMfcc; k++) out.data[t * nMfcc + k] *= lift[k];
  }
  return out;
}
