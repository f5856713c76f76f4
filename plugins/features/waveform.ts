/**
 * The raw waveform, average-pooled: out[j] = (1/P) · sum_{n=0}^{P-1} y[j·P + n] for P = pool_size
 * (a trailing partial window is dropped). With `n_samples` set, the signal is first cut or zero-padded
 * to that many samples, so every clip gives the same shape (what raw-waveform models need).
 * Shape (1, floor(len / pool_size)), float32.
 */
import { z } from "zod";
import { defineFeature } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { checkSignal } from "../../core/features/shared.ts";

export function poolWaveform(y: Float32Array, poolSize: number, nSamples: number | null): Float32Array {
  const n = nSamples ?? y.length;
  const out = new Float32Array(Math.floor(n / poolSize));
  const avail = Math.min(n, y.length);
  for (let j = 0; j < out.length; j++) {
    let s = 0;
    const from = j * poolSize;
    const to = Math.min(from + poolSize, avail);
    for (let i = from; i < to; i++) s += y[i];
    out[j] = s / poolSize;
  }
  return out;
}

export default defineFeature({
  name: "waveform",
  description: "The raw samples, average-pooled over pool_size samples, optionally cut or padded to n_samples.",
  params: z.object({
    pool_size: z.number().int().positive().default(1).describe("samples averaged into one value (1 = raw samples)"),
    n_samples: z.number().int().positive().nullable().default(null).describe("cut or zero-pad the signal to this many samples first; null = as is"),
  }),
  shape: (p, n) => [1, Math.floor((p.n_samples ?? n) / p.pool_size)],
  extract(signal, p, ctx) {
    checkSignal(signal, "waveform", ctx);
    const out = poolWaveform(signal.y, p.pool_size, p.n_samples);
    return ndarray(out, [1, out.length]);
  },
});
