/**
 * Order statistics without sorting: `numpy.median` semantics (mean of the two middle values for an even
 * count) by quickselect, and the means of the q smallest / q largest values of a range by keeping two
 * small sorted buffers (q is small: spectral contrast uses q = round(0.02 · band size)).
 */

/** In-place quickselect: afterwards a[k] is the k-th smallest of a[from..to), smaller ones before it. */
export function selectKth(a: Float64Array | Float32Array, k: number, from = 0, to = a.length): number {
  let lo = from, hi = to - 1;
  while (hi > lo) {
    // Median of three as pivot.
    const mid = (lo + hi) >> 1;
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}

function swap(a: Float64Array | Float32Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * `numpy.median` of a[from..to) (reorders that range). For an even count, the mean of the two middle
 * values; `float32` computes that mean as numpy does for float32 input.
 */
export function medianInPlace(a: Float64Array | Float32Array, from = 0, to = a.length, float32 = false): number {
  const n = to - from;
  if (n <= 0) return NaN;
  const k = from + (n >> 1);
  const hi = selectKth(a, k, from, to);
  if (n % 2 === 1) return hi;
  // The lower middle is the max of the part left of k.
  let lo = -Infinity;
  for (let i = from; i < k; i++) if (a[i] > lo) lo = a[i];
  return float32 ? Math.fround(Math.fround(lo + hi) / 2) : (lo + hi) / 2;
}

/**
 * Sums of the q smallest and q largest values of x[from..to) (q clamped to the count), written to
 * `sums[0]` (smallest) and `sums[1]` (largest); returns the q used (0 for an empty range, sums NaN).
 * `low` and `high` are scratch buffers of length >= q.
 */
export function extremeSums(
  x: Float32Array,
  from: number,
  to: number,
  q: number,
  low: Float64Array,
  high: Float64Array,
  sums: Float64Array,
): number {
  const n = to - from;
  if (q > n) q = n;
  if (q <= 0) {
    sums[0] = sums[1] = NaN;
    return 0;
  }
  if (q === 1) {
    let mn = x[from], mx = mn;
    for (let i = from + 1; i < to; i++) {
      const v = x[i];
      if (v < mn) mn = v;
      else if (v > mx) mx = v;
    }
    sums[0] = mn;
    sums[1] = mx;
    return 1;
  }
  // low: ascending, the q smallest so far; high: ascending, the q largest so far. Spectra slope, so a
  // band read in order would displace a buffer entry at nearly every bin: read it with a stride, so
  // the first values sample the whole band and the buffers are close to final after a few.
  const stride = n > 256 ? 16 : 1;
  let filled = 0;
  let lowTop = 0, highBottom = 0;
  for (let r = 0; r < stride; r++) {
    for (let i = from + r; i < to; i += stride) {
      const v = x[i];
      if (filled < q) {
        let j = filled - 1;
        while (j >= 0 && low[j] > v) {
          low[j + 1] = low[j];
          high[j + 1] = high[j];
          j--;
        }
        low[j + 1] = v;
        high[j + 1] = v;
        if (++filled === q) {
          lowTop = low[q - 1];
          highBottom = high[0];
        }
        continue;
      }
      if (v < lowTop) {
        let j = q - 2;
        while (j >= 0 && low[j] > v) {
          low[j + 1] = low[j];
          j--;
        }
        low[j + 1] = v;
        lowTop = low[q - 1];
      }
      if (v > highBottom) {
        let j = 1;
        while (j < q && high[j] < v) {
          high[j - 1] = high[j];
          j++;
        }
        high[j - 1] = v;
        highBottom = high[0];
      }
    }
  }
  let sl = 0, sh = 0;
  for (let j = 0; j < q; j++) {
    sl += low[j];
    sh += high[j];
  }
  sums[0] = sl;
  sums[1] = sh;
  return q;
}
