/**
 * Feature standardisation whose statistics come from the training part only, so that nothing of
 * the validation or test tracks leaks into the model through its input scaling:
 *
 *     mean_f = (1/M) Σ x[n, f, ...]                 over training examples n and every other axis
 *     std_f  = sqrt( (1/M) Σ (x[n, f, ...] − mean_f)² )   (population std, as sklearn's StandardScaler)
 *     x'     = (x − mean_f) / std_f                 (std_f = 0 is taken as 1)
 */
import { ndarray, sizeOf, type NdArray } from "../ndarray.ts";

export interface NormalizationStats {
  /** Axis of `x` that indexes features (default 1: `[n, features]` or `[n, features, frames]`). */
  readonly featureAxis: number;
  readonly mean: Float64Array;
  readonly std: Float64Array;
  /** Training examples the statistics were computed on. */
  readonly count: number;
}

function layout(shape: readonly number[], featureAxis: number) {
  if (shape.length < 2) throw new RangeError(`normalisation needs an array of examples [n, features, ...], got shape [${shape.join(", ")}]`);
  if (featureAxis < 1 || featureAxis >= shape.length) throw new RangeError(`featureAxis ${featureAxis} is not an axis after the examples' one in [${shape.join(", ")}]`);
  const perExample = sizeOf(shape.slice(1));
  const inner = sizeOf(shape.slice(featureAxis + 1));
  return { perExample, inner, features: shape[featureAxis] };
}

/**
 * Per-feature mean and std of the examples whose split is `part` (default `train`). `splits[n]` is
 * example n's split: for segments, their track's (see `splitOfSegments`).
 */
export function fitNormalization(
  x: NdArray,
  splits: readonly string[],
  options: { featureAxis?: number; part?: string } = {},
): NormalizationStats {
  const featureAxis = options.featureAxis ?? 1;
  const part = options.part ?? "train";
  const n = x.shape[0];
  if (splits.length !== n) throw new RangeError(`normalisation: ${splits.length} splits for ${n} examples`);
  const { perExample, inner, features } = layout(x.shape, featureAxis);
  const data = x.data as ArrayLike<number>;
  const sum = new Float64Array(features);
  const count = new Float64Array(features);
  let examples = 0;
  for (let i = 0; i < n; i++) {
    if (splits[i] !== part) continue;
    examples++;
    const base = i * perExample;
    for (let e = 0; e < perExample; e++) {
      const f = Math.floor(e / inner) % features;
      sum[f] += Number(data[base + e]);
      count[f]++;
    }
  }
  if (examples === 0) throw new RangeError(`normalisation: no example is in the ${JSON.stringify(part)} part`);
  const mean = sum.map((s, f) => s / count[f]);
  const sq = new Float64Array(features);
  for (let i = 0; i < n; i++) {
    if (splits[i] !== part) continue;
    const base = i * perExample;
    for (let e = 0; e < perExample; e++) {
      const f = Math.floor(e / inner) % features;
      const d = Number(data[base + e]) - mean[f];
      sq[f] += d * d;
    }
  }
  const std = sq.map((s, f) => Math.sqrt(s / count[f]));
  return { featureAxis, mean, std, count: examples };
}

/** `(x − mean) / std` per feature, as float32. */
export function applyNormalization(x: NdArray, stats: NormalizationStats): NdArray<Float32Array> {
  const { perExample, inner, features } = layout(x.shape, stats.featureAxis);
  if (features !== stats.mean.length) {
    throw new RangeError(`normalisation: statistics are for ${stats.mean.length} features, the array has ${features}`);
  }
  const data = x.data as ArrayLike<number>;
  const out = new Float32Array(data.length);
  for (let k = 0; k < data.length; k++) {
    const f = Math.floor((k % perExample) / inner) % features;
    const s = stats.std[f] === 0 ? 1 : stats.std[f];
    out[k] = (Number(data[k]) - stats.mean[f]) / s;
  }
  return ndarray(out, x.shape);
}
