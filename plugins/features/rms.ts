/**
 * Root-mean-square energy per frame, as `librosa.feature.rms(y=y)`:
 *
 *     rms[t] = sqrt( (1/N) * sum_{n=0}^{N-1} x_t[n]^2 )
 *
 * where x_t is frame t of the signal zero-padded by N/2 on each side (`center=True`, constant
 * padding), N = `frame_length`, frames every `hop_length` samples, no window. Output: (1, frames).
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";

export function rms(y: Float32Array, frameLength: number, hopLength: number, center: boolean): Float32Array {
  const pad = center ? Math.floor(frameLength / 2) : 0;
  const nFrames = center ? 1 + Math.floor(y.length / hopLength) : Math.max(0, 1 + Math.floor((y.length - frameLength) / hopLength));
  const out = new Float32Array(nFrames);
  for (let t = 0; t < nFrames; t++) {
    const start = t * hopLength - pad;
    const from = Math.max(0, start);
    const to = Math.min(y.length, start + frameLength);
    let sum = 0;
    for (let i = from; i < to; i++) sum += y[i] * y[i];
    out[t] = Math.sqrt(sum / frameLength);
  }
  return out;
}

export default defineFeature({
  name: "rms",
  description: "Root-mean-square energy per frame (librosa.feature.rms).",
  params: z.object({
    frame_length: z.number().int().positive().default(2048).describe("samples per frame"),
    hop_length: z.number().int().positive().default(512).describe("samples between frame starts"),
    center: z.boolean().default(true).describe("pad frame_length/2 zeros on each side so frame t is centred at t*hop_length"),
  }),
  shape: (p, n) => [1, p.center ? 1 + Math.floor(n / p.hop_length) : Math.max(0, 1 + Math.floor((n - p.frame_length) / p.hop_length))],
  extract: ({ y }, p) => {
    const values = rms(y, p.frame_length, p.hop_length, p.center);
    return ndarray(values, [1, values.length]);
  },
});
