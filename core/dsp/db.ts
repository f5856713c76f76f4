/**
 * Decibels of a power quantity, `librosa.power_to_db`:
 *
 *     db = 10 log10(max(amin, S)) - 10 log10(max(amin, ref))
 *     db = max(db, max(db) - top_db)          (when top_db is not null)
 *
 * The top_db clamp takes the maximum over the whole array (the whole clip), as librosa does.
 * `ref: "max"` is librosa's `ref=np.max` (ref = max |S| over the array).
 */

export interface PowerToDbOptions {
  readonly ref?: number | "max";
  readonly amin?: number;
  readonly topDb?: number | null;
}

export function powerToDb<T extends Float32Array | Float64Array>(s: T, o: PowerToDbOptions = {}): T {
  const amin = o.amin ?? 1e-10;
  const topDb = o.topDb === undefined ? 80 : o.topDb;
  if (!(amin > 0)) throw new RangeError(`powerToDb: amin=${amin} must be strictly positive`);
  if (topDb !== null && !(topDb >= 0)) throw new RangeError(`powerToDb: top_db=${topDb} must be non-negative`);
  let ref = o.ref ?? 1.0;
  if (ref === "max") {
    ref = 0;
    for (let i = 0; i < s.length; i++) ref = Math.max(ref, Math.abs(s[i]));
  }
  const offset = 10 * Math.log10(Math.max(amin, Math.abs(ref)));
  const k = 10 / Math.LN10; // 10 log10(x) = k ln(x); ln is the faster of the two
  const out = new (s.constructor as { new (n: number): T })(s.length);
  let max = -Infinity;
  for (let i = 0; i < s.length; i++) {
    const v = k * Math.log(Math.max(amin, s[i])) - offset;
    out[i] = v;
    if (out[i] > max) max = out[i];
  }
  if (topDb !== null) {
    const floor = max - topDb;
    for (let i = 0; i < out.length; i++) if (out[i] < floor) out[i] = floor;
  }
  return out;
}
