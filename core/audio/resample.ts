/**
 * `librosa.resample(y, orig_sr=..., target_sr=..., res_type='soxr_hq')`: libsoxr's HQ resampler (see
 * soxr.ts), then `fix_length` to ceil(n · target/orig) samples (zeros appended if libsoxr, which
 * rounds, returned one fewer). Equal rates return a copy of `y`, as librosa returns `y`.
 */
import { planResample, runPlan, type ResamplePlan, type SoxrQuality } from "./soxr.ts";

export type { SoxrQuality };

export interface ResampleOptions {
  /** libsoxr recipe, as librosa's `res_type` (default `soxr_hq`, librosa's default). */
  readonly resType?: SoxrQuality;
}

const plans = new Map<string, ResamplePlan>();

function planFor(origSr: number, targetSr: number, quality: SoxrQuality): ResamplePlan {
  const key = `${origSr}/${targetSr}/${quality}`;
  let plan = plans.get(key);
  if (!plan) {
    plan = planResample(origSr / targetSr, quality);
    if (plans.size > 64) plans.clear();
    plans.set(key, plan);
  }
  return plan;
}

/** Resample a mono float32 signal from `origSr` to `targetSr` Hz. */
export function resample(y: Float32Array, origSr: number, targetSr: number, options: ResampleOptions = {}): Float32Array {
  if (!(origSr > 0) || !(targetSr > 0)) {
    throw new RangeError(`resample: sampling rates must be positive (orig_sr=${origSr}, target_sr=${targetSr})`);
  }
  if (origSr === targetSr) return y.slice();
  const n = Math.ceil(y.length * (targetSr / origSr));
  if (y.length === 0) return new Float32Array(0);
  const out = runPlan(planFor(origSr, targetSr, options.resType ?? "soxr_hq"), y);
  if (out.length === n) return out;
  const fixed = new Float32Array(n);
  fixed.set(out.length > n ? out.subarray(0, n) : out);
  return fixed;
}
