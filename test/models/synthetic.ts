/** Small labelled arrays for model tests, from a seed. */
import { mulberry32, ndarray, type LabelledArray } from "../../index.ts";

function gaussian(seed: number): () => number {
  const random = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Gaussian blobs in `dims` dimensions, class c shifted by `shift` on dimensions d ≡ c (mod k). */
export function blobs(n: number, dims: number, classes: number, seed: number, shift = 2.5): LabelledArray {
  const normal = gaussian(seed);
  const x = new Float32Array(n * dims);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let d = 0; d < dims; d++) x[i * dims + d] = normal() + (d % classes === y[i] ? shift : 0);
  }
  return { x: ndarray(x, [n, dims]), y };
}

/**
 * Frame sequences `[n, time, features]`: class c is a sinusoid of c + 1 cycles over the sequence,
 * phase-shifted per feature, plus 0.8 on the features f ≡ c (mod k), with noise and an offset; with `padded`, up to 30% of the last frames
 * of each sequence are zero (padding).
 */
export function sequences(n: number, time: number, features: number, classes: number, seed: number, padded = false): LabelledArray {
  const random = mulberry32(seed ^ 0x5bd1e995);
  const normal = gaussian(seed);
  const x = new Float32Array(n * time * features);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    y[i] = c;
    const pad = padded ? Math.floor(random() * time * 0.3) : 0;
    const phase = random() * 2 * Math.PI;
    for (let t = 0; t < time - pad; t++) {
      for (let f = 0; f < features; f++) {
        const cue = f % classes === c ? 0.8 : 0;
        x[(i * time + t) * features + f] = Math.sin((2 * Math.PI * (c + 1) * t) / time + phase + f) + cue + 0.4 * normal() + 3;
      }
    }
  }
  return { x: ndarray(x, [n, time, features]), y };
}

/** Accuracy of probabilities `[n, k]` against labels. */
export function accuracy(probs: { data: Float32Array; shape: readonly number[] }, y: Int32Array): number {
  const k = probs.shape[1];
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    const row = Array.from(probs.data.subarray(i * k, (i + 1) * k));
    if (row.indexOf(Math.max(...row)) === y[i]) correct++;
  }
  return correct / y.length;
}
