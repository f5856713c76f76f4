/**
 * Batches streamed from a dataset's typed arrays. Training, evaluation and prediction build each
 * batch's tensor from the rows it takes and dispose of it after the step, so the backend holds one
 * batch of inputs however large the set is: no whole-set tensor (36 MB for 540 log-mel examples,
 * plus tfjs's per-batch gathers from it), no prediction of a whole set at once (whose activations,
 * at 256 examples a call, took over a gigabyte for a 4-block CNN).
 */
import type * as TF from "@tensorflow/tfjs";
import { ndarray, sizeOf, type NdArray } from "../ndarray.ts";
import { mulberry32 } from "../random.ts";

type Tf = typeof TF;

/** Floats in one example of `x` (`[n, ...example]`). */
export function exampleSize(x: NdArray): number {
  return sizeOf(x.shape.slice(1));
}

/**
 * The generator of the examples' order, epoch after epoch, from a training seed: a stream of its
 * own, apart from the one (Math.random) initialisers and dropout masks draw from.
 */
export function exampleOrder(seed: number): () => number {
  return mulberry32((seed ^ 0x0ba7c4e5) >>> 0);
}

/** `[0, n)` in a random order drawn from `random` (Fisher–Yates). */
export function shuffledIndices(n: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** When the event loop last turned during training. */
let lastTurn = 0;

/**
 * Let the event loop turn, at most every 50 ms of work. Training awaits only promises that settle at
 * once (a batch's loss), so without this it never reaches the event loop; Bun's garbage collector
 * runs from there, and each step's garbage (tfjs's bookkeeping, 10–15 MB a step for the
 * token-attention CNN) piled up until the fit ended: a peak that grew with the number of steps,
 * hence with the dataset. Every 50 ms, not every step: a turn costs about a millisecond, as much as
 * a whole step of a small dense network.
 */
export async function yieldToEventLoop(): Promise<void> {
  if (performance.now() - lastTurn < 50) return;
  await new Promise((resolve) => setTimeout(resolve, 0));
  lastTurn = performance.now();
}

/** `[start, end)` of each batch of `batchSize` over `n` examples; the last one may be smaller. */
export function batchRanges(n: number, batchSize: number): [number, number][] {
  if (!(batchSize >= 1)) throw new RangeError(`batch size ${batchSize}: expected a positive integer`);
  const out: [number, number][] = [];
  for (let start = 0; start < n; start += batchSize) out.push([start, Math.min(n, start + batchSize)]);
  return out;
}

/** Copy the examples `rows` of `x` one after another into `out` (which must hold them); returns the filled part. */
export function gatherRows(x: NdArray<Float32Array>, rows: ArrayLike<number>, out: Float32Array): Float32Array {
  const size = exampleSize(x);
  const filled = out.subarray(0, rows.length * size);
  for (let i = 0; i < rows.length; i++) filled.set(x.data.subarray(rows[i] * size, (rows[i] + 1) * size), i * size);
  return filled;
}

/** One-hot rows `[rows.length, classes]` of the labels `y[rows]` into `out`; returns the filled part. */
export function oneHotRows(y: Int32Array, rows: ArrayLike<number>, classes: number, out: Float32Array): Float32Array {
  const filled = out.subarray(0, rows.length * classes);
  filled.fill(0);
  for (let i = 0; i < rows.length; i++) {
    const label = y[rows[i]];
    if (!(label >= 0 && label < classes)) throw new RangeError(`label ${label} of example ${rows[i]}: expected 0..${classes - 1}`);
    filled[i * classes + label] = 1;
  }
  return filled;
}

/**
 * Run `fn` on consecutive batches of `x` (in order), each a tensor made for the call and disposed
 * after it, with the batch's `[start, end)`.
 */
export async function forEachBatch(
  tf: Tf,
  x: NdArray<Float32Array>,
  batchSize: number,
  fn: (batch: TF.Tensor, start: number, end: number) => void | Promise<void>,
): Promise<void> {
  const size = exampleSize(x);
  const shape = x.shape.slice(1);
  for (const [start, end] of batchRanges(x.shape[0], batchSize)) {
    const batch = tf.tensor(x.data.subarray(start * size, end * size), [end - start, ...shape]);
    try {
      await fn(batch, start, end);
    } finally {
      batch.dispose();
    }
    await yieldToEventLoop();
  }
}

/** The outputs of `model` (inference mode) for `x`, computed batch by batch into typed arrays. */
export async function predictInBatches(tf: Tf, model: TF.LayersModel, x: NdArray<Float32Array>, batchSize: number): Promise<NdArray<Float32Array>[]> {
  const n = x.shape[0];
  let outputs: { data: Float32Array; shape: number[]; size: number }[] | undefined;
  if (n === 0) {
    return model.outputs.map((o) => ndarray(new Float32Array(0), [0, ...(o.shape.slice(1) as number[])]));
  }
  await forEachBatch(tf, x, batchSize, async (batch, start) => {
    const result = model.predict(batch);
    const list = Array.isArray(result) ? result : [result];
    try {
      outputs ??= list.map((t) => {
        const shape = [n, ...t.shape.slice(1)];
        const size = sizeOf(t.shape.slice(1));
        return { data: new Float32Array(n * size), shape, size };
      });
      for (let i = 0; i < list.length; i++) outputs[i].data.set((await list[i].data()) as Float32Array, start * outputs[i].size);
    } finally {
      tf.dispose(list);
    }
  });
  return outputs!.map((o) => ndarray(o.data, o.shape));
}

/**
 * Mean and standard deviation of each of the `features` values that make up a frame (the trailing
 * axes of `data`'s examples, laid out frame after frame), over every frame of every example; frames
 * whose values are all `ignoreValue` (padding) are left out. A constant feature gets σ = 1.
 */
export function featureStatistics(
  data: Float32Array,
  features: number,
  ignoreValue: number | null = null,
): { mean: Float32Array; std: Float32Array; frames: number } {
  const sum = new Float64Array(features);
  const sq = new Float64Array(features);
  let frames = 0;
  for (let off = 0; off + features <= data.length; off += features) {
    if (ignoreValue !== null) {
      let all = true;
      for (let f = 0; f < features && all; f++) all = data[off + f] === ignoreValue;
      if (all) continue;
    }
    for (let f = 0; f < features; f++) {
      const v = data[off + f];
      sum[f] += v;
      sq[f] += v * v;
    }
    frames++;
  }
  const mean = new Float32Array(features);
  const std = new Float32Array(features).fill(1);
  if (frames > 0) {
    for (let f = 0; f < features; f++) {
      mean[f] = sum[f] / frames;
      const variance = Math.max(0, sq[f] / frames - (sum[f] / frames) ** 2);
      // A constant feature keeps σ = 1 rather than dividing by ~0.
      std[f] = variance > 1e-12 ? Math.sqrt(variance) : 1;
    }
  }
  return { mean, std, frames };
}
