/**
 * From class probabilities to predictions: the most probable class, the cross-entropy of the true
 * class, and track-level probabilities as the mean of a track's segment probabilities.
 */
import { ndarray, type NdArray } from "../ndarray.ts";

function dims(probs: NdArray): [number, number] {
  if (probs.shape.length !== 2) throw new RangeError(`probabilities must be [n, nClasses], got [${probs.shape.join(", ")}]`);
  return [probs.shape[0], probs.shape[1]];
}

/** `argmax_c p[i, c]` for each row (the first maximum on ties, as NumPy's argmax). */
export function argmaxRows(probs: NdArray<Float32Array | Float64Array>): Int32Array {
  const [n, k] = dims(probs);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs.data[i * k + c] > probs.data[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * Mean cross-entropy of the true classes, `-(1/n) Σ_i log(clip(p[i, y_i], ε, 1 - ε))` with Keras's
 * ε = 1e-7: the test loss of a classifier, whatever loss it was trained with.
 */
export function crossEntropy(probs: NdArray<Float32Array | Float64Array>, y: ArrayLike<number>, epsilon = 1e-7): number {
  const [n, k] = dims(probs);
  if (y.length !== n) throw new RangeError(`crossEntropy: ${n} rows of probabilities but ${y.length} labels`);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(1 - epsilon, Math.max(epsilon, probs.data[i * k + y[i]]));
    sum -= Math.log(p);
  }
  return n > 0 ? sum / n : 0;
}

export interface GroupedProbabilities {
  /** The groups (tracks) in order of first appearance. */
  readonly groups: string[];
  /** Mean probabilities per group, `[groups.length, nClasses]`. */
  readonly probs: NdArray<Float64Array>;
  /** The label of each group (its segments must agree). */
  readonly y: Int32Array;
  /** How many segments each group has. */
  readonly counts: Int32Array;
}

/**
 * Track-level probabilities: `P(track) = (1/m) Σ_s P(segment s)` over the track's `m` segments.
 * Throws when one track's segments carry different labels.
 */
export function meanByGroup(
  probs: NdArray<Float32Array | Float64Array>,
  y: ArrayLike<number>,
  groups: readonly string[],
): GroupedProbabilities {
  const [n, k] = dims(probs);
  if (groups.length !== n || y.length !== n) {
    throw new RangeError(`meanByGroup: ${n} rows, ${y.length} labels, ${groups.length} group ids`);
  }
  const index = new Map<string, number>();
  const order: string[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const g = groups[i];
    const at = index.get(g);
    if (at === undefined) {
      index.set(g, order.length);
      order.push(g);
      labels.push(y[i]);
    } else if (labels[at] !== y[i]) {
      throw new RangeError(`meanByGroup: track ${JSON.stringify(g)} has segments labelled ${labels[at]} and ${y[i]}`);
    }
  }
  const m = order.length;
  const sums = new Float64Array(m * k);
  const counts = new Int32Array(m);
  for (let i = 0; i < n; i++) {
    const g = index.get(groups[i])!;
    counts[g]++;
    for (let c = 0; c < k; c++) sums[g * k + c] += probs.data[i * k + c];
  }
  for (let g = 0; g < m; g++) for (let c = 0; c < k; c++) sums[g * k + c] /= counts[g];
  return { groups: order, probs: ndarray(sums, [m, k]), y: Int32Array.from(labels), counts };
}
