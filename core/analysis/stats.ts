/**
 * Each feature's association with a class label, as scikit-learn measures it:
 *
 * - `fClassif`: the one-way ANOVA F of each column and its p-value (`sklearn.feature_selection.f_classif`),
 *   computed with the same sums in float64, so the values agree to rounding;
 * - `mutualInfoClassif`: the mutual information between each column and the label in nats, by
 *   Ross's k-nearest-neighbour estimator (`mutual_info_classif`, 3 neighbours). Like scikit-learn,
 *   each column is scaled to unit variance and jittered by 1e-10 of its mean magnitude, so that tied
 *   values do not share a neighbourhood; the jitter comes from `seed`. On columns without ties the
 *   jitter changes no neighbourhood and the result equals scikit-learn's; with ties (discrete
 *   values), or a spread tiny beside the values' magnitude (the jitter is relative to the mean
 *   magnitude after scaling; near-constant columns are not scaled), it depends on the draw, in clave as in scikit-learn, and the same seed
 *   gives the same value.
 */
import { mulberry32 } from "../random.ts";

/** A row-major table `[n, d]` of numbers. */
export interface Matrix {
  readonly data: ArrayLike<number>;
  readonly shape: readonly [number, number];
}

// ---------------------------------------------------------------------------------- special functions

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; relative error about 1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ψ(x), the digamma function, for x > 0: recurrence up to 10, then the asymptotic series. */
export function digamma(x: number): number {
  let result = 0;
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return result + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132)))));
}

/** The continued fraction of the incomplete beta function (Lentz's method). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-16) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(a: number, b: number, x: number): number {
  if (!(x > 0)) return 0;
  if (!(x < 1)) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The fraction converges fast on the side of the mean; the other side by symmetry.
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(a, b, x)) / a;
  return 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(F > f) for an F distribution with (dfn, dfd) degrees of freedom (scipy's `fdtrc`). */
export function fSurvival(dfn: number, dfd: number, f: number): number {
  if (Number.isNaN(f)) return NaN;
  if (f <= 0) return 1;
  if (f === Infinity) return 0;
  return incompleteBeta(dfd / 2, dfn / 2, dfd / (dfd + dfn * f));
}

// ---------------------------------------------------------------------------------------- ANOVA F

export interface FClassif {
  /** F statistic per column (NaN for a column constant within every class and overall). */
  readonly f: Float64Array;
  /** Its p-value. */
  readonly p: Float64Array;
}

function checkTable(table: Matrix, y: ArrayLike<number>): [number, number] {
  const [n, d] = table.shape;
  if (table.data.length !== n * d) throw new RangeError(`${table.data.length} values for a table [${n}, ${d}]`);
  if (y.length !== n) throw new RangeError(`${n} rows but ${y.length} labels`);
  return [n, d];
}

/** `sklearn.feature_selection.f_classif(X, y)`: one-way ANOVA of each column across the classes in `y`. */
export function fClassif(table: Matrix, y: ArrayLike<number>): FClassif {
  const [n, d] = checkTable(table, y);
  const classes = [...new Set(Array.from(y))].sort((a, b) => a - b);
  const index = new Map(classes.map((c, i) => [c, i]));
  const k = classes.length;
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) counts[index.get(y[i])!]++;
  const f = new Float64Array(d);
  const p = new Float64Array(d);
  const sums = new Float64Array(k);
  const squares = new Float64Array(k);
  for (let j = 0; j < d; j++) {
    sums.fill(0);
    squares.fill(0);
    for (let i = 0; i < n; i++) {
      const v = table.data[i * d + j];
      const c = index.get(y[i])!;
      sums[c] += v;
      squares[c] += v * v;
    }
    // The sums in scikit-learn's order (each class's, then over the classes), so rounding agrees.
    let ss = 0;
    let total = 0;
    for (let c = 0; c < k; c++) {
      ss += squares[c];
      total += sums[c];
    }
    const sstot = ss - (total * total) / n;
    let ssbn = 0;
    for (let c = 0; c < k; c++) ssbn += (sums[c] * sums[c]) / counts[c];
    ssbn -= (total * total) / n;
    const sswn = sstot - ssbn;
    const msb = ssbn / (k - 1);
    const msw = sswn / (n - k);
    f[j] = msb / msw;
    p[j] = fSurvival(k - 1, n - k, f[j]);
  }
  return { f, p };
}

// ------------------------------------------------------------------------------ mutual information

/** A standard normal draw (Box–Muller) from a uniform generator. */
export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * Values of `sorted` within `radius` of `centre`, `|v - centre| <= radius` as a subtraction (which
 * is monotone in floating point, unlike comparing with `centre ± radius`).
 */
function countWithin(sorted: Float64Array, centre: number, radius: number): number {
  // First index whose value is not too far below the centre...
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (sorted[m] < centre && centre - sorted[m] > radius) a = m + 1;
    else b = m;
  }
  const first = a;
  // ...and first index too far above it.
  b = sorted.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (sorted[m] <= centre || sorted[m] - centre <= radius) a = m + 1;
    else b = m;
  }
  return a - first;
}

/** Distance from `sorted[i]` to its k-th nearest other value in `sorted` (1-D, both sides). */
function kthDistance(sorted: Float64Array, i: number, k: number): number {
  let left = i - 1;
  let right = i + 1;
  let distance = 0;
  for (let taken = 0; taken < k; taken++) {
    const dl = left >= 0 ? sorted[i] - sorted[left] : Infinity;
    const dr = right < sorted.length ? sorted[right] - sorted[i] : Infinity;
    if (dl <= dr) {
      distance = dl;
      left--;
    } else {
      distance = dr;
      right++;
    }
  }
  return distance;
}

/** The largest double below `x` (numpy's `nextafter(x, 0)` for x > 0). */
function below(x: number): number {
  if (x <= 0) return x;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) - 1n);
  return view.getFloat64(0);
}

/** Ross's estimator of I(c; d) for one continuous column `c` and class labels (scikit-learn's `_compute_mi_cd`). */
function miContinuousDiscrete(c: Float64Array, y: ArrayLike<number>, neighbours: number): number {
  const n = c.length;
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = members.get(y[i]);
    if (list) list.push(i);
    else members.set(y[i], [i]);
  }
  const radius = new Float64Array(n);
  const kAll = new Float64Array(n);
  const labelCounts = new Float64Array(n);
  for (const rows of members.values()) {
    const count = rows.length;
    for (const i of rows) labelCounts[i] = count;
    if (count < 2) continue;
    const k = Math.min(neighbours, count - 1);
    const order = rows.slice().sort((a, b) => c[a] - c[b] || a - b);
    const sorted = Float64Array.from(order, (i) => c[i]);
    order.forEach((i, at) => {
      radius[i] = below(kthDistance(sorted, at, k));
      kAll[i] = k;
    });
  }
  // Points whose label is unique take no part.
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (labelCounts[i] > 1) kept.push(i);
  const m = kept.length;
  if (m === 0) return 0;
  const all = Float64Array.from(kept, (i) => c[i]).sort();
  let sumK = 0;
  let sumLabel = 0;
  let sumM = 0;
  for (const i of kept) {
    sumK += digamma(kAll[i]);
    sumLabel += digamma(labelCounts[i]);
    // Neighbours within the radius, the point itself included (KDTree.query_radius counts it).
    sumM += digamma(countWithin(all, c[i], radius[i]));
  }
  const mi = digamma(m) + sumK / m - sumLabel / m - sumM / m;
  return Math.max(0, mi);
}

export interface MutualInfoOptions {
  /** Neighbours of the estimator (default 3, as scikit-learn). */
  readonly neighbours?: number;
  /** Seed of the jitter that breaks ties (default 0). */
  readonly seed?: number;
}

/** `sklearn.feature_selection.mutual_info_classif(X, y)` for continuous columns: nats per column. */
export function mutualInfoClassif(table: Matrix, y: ArrayLike<number>, options: MutualInfoOptions = {}): Float64Array {
  const [n, d] = checkTable(table, y);
  const neighbours = options.neighbours ?? 3;
  if (!(Number.isInteger(neighbours) && neighbours >= 1)) throw new RangeError(`neighbours ${neighbours}: expected a positive integer`);
  const normal = gaussian(mulberry32(options.seed ?? 0));
  // Columns are scaled first, then jittered row by row, in scikit-learn's order of draws.
  const columns = Array.from({ length: d }, (_, j) => {
    const column = new Float64Array(n);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += table.data[i * d + j];
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) {
      const v = table.data[i * d + j] - mean;
      variance += v * v;
    }
    const std = Math.sqrt(variance / n);
    // scikit-learn leaves near-constant columns unscaled (a deviation below 10 machine epsilons).
    const scale = std < 10 * Number.EPSILON ? 1 : std;
    let magnitude = 0;
    for (let i = 0; i < n; i++) {
      column[i] = table.data[i * d + j] / scale;
      magnitude += Math.abs(column[i]);
    }
    return { column, jitter: 1e-10 * Math.max(1, magnitude / n) };
  });
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) columns[j].column[i] += columns[j].jitter * normal();
  return Float64Array.from(columns, ({ column }) => miContinuousDiscrete(column, y, neighbours));
}
