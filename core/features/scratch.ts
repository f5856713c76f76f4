/**
 * Reused buffers for the large per-clip intermediates (|X|² and |X|: 5 MiB each for a 30 s clip), so
 * that a thread extracting clip after clip does not take ~10 MiB of fresh memory per clip. Fresh large
 * typed arrays cost page faults and zeroing, and under Node they count as external memory that brings
 * on a full (mark-compact) GC about once per clip; with one worker per core, those kernel and GC
 * threads take time from the other workers.
 *
 * Buffers are lent only to contexts that `extractFeatures` creates and ends itself (`lendScratch`); at
 * the end (`returnScratch`) every lent buffer that no result uses goes back to this thread's pool.
 * Contexts created elsewhere get fresh arrays, as before. The pool holds at most `POOL_BYTES`.
 */
import type { FeatureContext } from "../plugin.ts";

const POOL_BYTES = 32 * 2 ** 20;
const free: Float32Array[] = [];
let held = 0;
const lent = new WeakMap<FeatureContext, Float32Array[]>();

/** From now on, `ctx` borrows its large intermediates from the pool (until `returnScratch`). */
export function lendScratch(ctx: FeatureContext): void {
  lent.set(ctx, []);
}

/**
 * A float32 array of length n for an intermediate of `ctx`: a pooled buffer (contents undefined: the
 * caller overwrites every value) when `ctx` borrows, else a fresh one.
 */
export function scratchFloat32(ctx: FeatureContext, n: number): Float32Array {
  const list = lent.get(ctx);
  if (!list) return new Float32Array(n);
  // The smallest free buffer that fits without wasting more than half of it (clips differ in length).
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    const len = free[i].length;
    if (len >= n && len <= 2 * n && (best < 0 || len < free[best].length)) best = i;
  }
  let buffer: Float32Array;
  if (best >= 0) {
    buffer = free[best];
    free.splice(best, 1);
    held -= buffer.byteLength;
  } else {
    buffer = new Float32Array(n);
  }
  list.push(buffer);
  return buffer.length === n ? buffer : buffer.subarray(0, n);
}

/** End `ctx`'s borrowing: lent buffers that none of `keep` (the results) uses go back to the pool. */
export function returnScratch(ctx: FeatureContext, keep: readonly { data: ArrayBufferView }[]): void {
  const list = lent.get(ctx);
  if (!list) return;
  lent.delete(ctx);
  const kept = new Set(keep.map((a) => a.data.buffer));
  for (const buffer of list) {
    if (kept.has(buffer.buffer) || held + buffer.byteLength > POOL_BYTES) continue;
    free.push(buffer);
    held += buffer.byteLength;
  }
}
