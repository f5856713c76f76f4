/**
 * The tree-structured Parzen estimator (Bergstra et al. 2011) as Optuna's default `TPESampler` does it
 * in Optuna 3.1 (`samplers/_tpe`; the version of Debian's python3-optuna, the reference the tests run):
 * univariate, each parameter on its own.
 *
 *   - fewer than `nStartupTrials` (10) finished trials: a uniform random draw
 *   - else the n finished trials, ordered by loss (the value to minimise; stable, so the earlier of
 *     equal losses first), are cut into the γ(n) = min(⌈0.1 n⌉, 25) best ("below") and the others
 *     ("above"); each side is a Parzen estimator over the parameter's range:
 *       numbers (log ones in log space, ranges widened by half a step for steps and integers): a
 *       truncated normal at each observation plus a prior N(mid, high − low); the observations' weights
 *       1 each (for more than 25, a ramp from 1/n up to 1 over the oldest n − 25), the prior's 1;
 *       σ of an observation = the larger gap to its neighbours among the sorted centres, the range's
 *       ends counted as neighbours (the first and last centre take their inner gap only), clipped to
 *       [(high − low) / min(100, 1 + centres), high − low]
 *       categories: per observation, its choice +1 over a prior of 1/(n + 1) on every choice, normalised
 *   - 24 candidates are drawn from "below"; the one maximising log l(x) − log g(x) (the densities of
 *     below and above; for steps and integers the probability mass of x's cell) is the suggestion.
 *
 * Truncated normals are drawn by inverting their CDF in log space (Optuna's `_truncnorm`), with Φ and
 * log Φ from an erfc accurate to a few ulps (the rational approximations of fdlibm's s_erf.c).
 *
 * Versions: a kernel's log density is 3.1's, φ(z) / mass[a, b] without the 1/σ of a scaled density
 * (Optuna 3.5 added it, "Fix logpdf for scaled truncnorm"; 4.x also leaves the prior out of the σ
 * neighbours). With 3.1's, clave needs the trials Optuna 3.1 needs on the test function (median 29
 * vs 28 over 60 seeds); with the 1/σ, 41 — the narrow kernels of the best trials then dominate.
 */

/** A parameter's range, in the terms TPE needs. */
export type Distribution =
  | { readonly type: "float"; readonly low: number; readonly high: number; readonly log: boolean; readonly step: number | null }
  | { readonly type: "int"; readonly low: number; readonly high: number; readonly log: boolean; readonly step: number }
  | { readonly type: "categorical"; readonly choices: number };

/** A finished trial: its parameters (numbers as they are, categories as the index of the choice) and its loss. */
export interface Observation {
  readonly params: Readonly<Record<string, number>>;
  /** The value to minimise (a maximised metric negated). */
  readonly loss: number;
}

export interface TpeOptions {
  readonly nStartupTrials?: number;
  readonly nEiCandidates?: number;
  readonly priorWeight?: number;
  readonly considerMagicClip?: boolean;
  readonly considerEndpoints?: boolean;
  readonly gamma?: (n: number) => number;
}

/** Optuna's default split: the best ⌈10 %⌉ of the trials, at most 25. */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Optuna's default weights: 1 each, the oldest of more than 25 ramped from 1/n. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = linspace(1 / n, 1, n - 25);
  return [...ramp, ...new Array<number>(25).fill(1)];
}

function linspace(a: number, b: number, n: number): number[] {
  if (n === 1) return [a];
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

// ------------------------------------------------------------------------------- normal distribution

const ERX = 8.45062911510467529297e-1;
// |x| < 0.84375
const PP = [1.28379167095512558561e-1, -3.25042107247001499370e-1, -2.84817495755985104766e-2, -5.77027029648944159157e-3, -2.37630166566501626084e-5];
const QQ = [1, 3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3, 1.32494738004321644526e-4, -3.96022827877536812320e-6];
// 0.84375 <= |x| < 1.25
const PA = [-2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1, 3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2, -2.16637559486879084300e-3];
const QA = [1, 1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2, 1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.19844998467991074170e-2];
// 1.25 <= |x| < 1/0.35
const RA = [-9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1, -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2, -8.12874355063065934246e1, -9.81432934416914548592];
const SA = [1, 1.96512716674392571292e1, 1.37657754143519042600e2, 4.34565877475229228821e2, 6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2, 6.57024977031928170135, -6.04244152148580987438e-2];
// 1/0.35 <= |x| < 28
const RB = [-9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1, -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3, -4.83519191608651397019e2];
const SB = [1, 3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3, 3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2, -2.24409524465858183362e1];

function poly(c: readonly number[], x: number): number {
  let r = 0;
  for (let i = c.length - 1; i >= 0; i--) r = r * x + c[i];
  return r;
}

/** erfc(x) = 1 − erf(x), without the cancellation of 1 − erf for large x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 0.84375) {
    const z = x * x;
    return 1 - (x + x * (poly(PP, z) / poly(QQ, z)));
  }
  if (a < 1.25) {
    const s = a - 1;
    const e = ERX + poly(PA, s) / poly(QA, s);
    return x > 0 ? 1 - e : 1 + e;
  }
  if (a >= 28) return x > 0 ? 0 : 2;
  const s = 1 / (a * a);
  const rs = a < 1 / 0.35 ? poly(RA, s) / poly(SA, s) : poly(RB, s) / poly(SB, s);
  const r = (Math.exp(-a * a - 0.5625) * Math.exp(rs)) / a;
  return x > 0 ? r : 2 - r;
}

/** Φ(a), the standard normal CDF. */
export function ndtr(a: number): number {
  return 0.5 * erfc(-a / Math.SQRT2);
}

/** log Φ(a), accurate in both tails. */
export function logNdtr(a: number): number {
  if (a > 6) return -ndtr(-a);
  if (a > -20) return Math.log(ndtr(a));
  // Asymptotic series of the lower tail.
  const logLhs = -0.5 * a * a - Math.log(-a) - 0.5 * Math.log(2 * Math.PI);
  let last = 0;
  let rhs = 1;
  let numerator = 1;
  let denomFactor = 1;
  const denomCons = 1 / (a * a);
  let sign = 1;
  for (let i = 1; Math.abs(last - rhs) > Number.EPSILON && i < 200; i++) {
    last = rhs;
    sign = -sign;
    denomFactor *= denomCons;
    numerator *= 2 * i - 1;
    rhs += sign * numerator * denomFactor;
  }
  return logLhs + Math.log(rhs);
}

function logAddExp(p: number, q: number): number {
  const m = Math.max(p, q);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(p - m) + Math.exp(q - m));
}

function logDiff(p: number, q: number): number {
  return p + Math.log1p(-Math.exp(q - p));
}

/** log of the standard normal's mass on [a, b]. */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiff(logNdtr(-a), logNdtr(-b));
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

/** x with log Φ(x) = y, by bisection on [−100, 100]. */
function ndtriExp(y: number): number {
  let lo = -100;
  let hi = 100;
  let m = 0;
  for (let i = 0; i < 100; i++) {
    m = (lo + hi) / 2;
    if (logNdtr(m) < y) lo = m;
    else hi = m;
  }
  return m;
}

/** The q-quantile of the standard normal truncated to [a, b]. */
export function truncnormPpf(q: number, a: number, b: number): number {
  if (a === b) return NaN;
  if (q === 0) return a;
  if (q === 1) return b;
  if (a < 0) return ndtriExp(logAddExp(logNdtr(a), Math.log(q) + logGaussMass(a, b)));
  return -ndtriExp(logAddExp(logNdtr(-b), Math.log1p(-q) + logGaussMass(a, b)));
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

// ----------------------------------------------------------------------------------- Parzen estimator

interface NumericParzen {
  readonly kind: "numeric";
  readonly low: number;
  readonly high: number;
  /** Cell width for steps and integers (in the estimator's space), else null. */
  readonly q: number | null;
  readonly mus: Float64Array;
  readonly sigmas: Float64Array;
}

interface CategoricalParzen {
  readonly kind: "categorical";
  /** Row per component: probabilities over the choices. */
  readonly probs: Float64Array[];
}

/** A mixture over one parameter: component weights and their kernels. */
export interface ParzenEstimator {
  readonly weights: Float64Array;
  readonly kernel: NumericParzen | CategoricalParzen;
}

/** The range TPE works in: log space for log parameters, widened by half a cell for steps and integers. */
function bounds(d: Exclude<Distribution, { type: "categorical" }>): { low: number; high: number; q: number | null } {
  if (d.type === "float") {
    if (d.log) return { low: Math.log(d.low), high: Math.log(d.high), q: null };
    if (d.step !== null) return { low: d.low - 0.5 * d.step, high: d.high + 0.5 * d.step, q: d.step };
    return { low: d.low, high: d.high, q: null };
  }
  if (d.log) return { low: Math.log(d.low - 0.5), high: Math.log(d.high + 0.5), q: null };
  return { low: d.low - 0.5 * d.step, high: d.high + 0.5 * d.step, q: d.step };
}

/** The estimator of one parameter from its observed values (internal representation). */
export function parzenEstimator(d: Distribution, observed: readonly number[], options: Required<Omit<TpeOptions, "gamma" | "nStartupTrials" | "nEiCandidates">>): ParzenEstimator {
  const n = observed.length;
  const w = defaultWeights(n);
  const weights = new Float64Array(n + 1);
  weights.set(w);
  weights[n] = options.priorWeight;
  const total = weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i <= n; i++) weights[i] /= total;
  if (d.type === "categorical") {
    const value = options.priorWeight / (n + 1);
    const probs = Array.from({ length: n + 1 }, (_, i) => {
      const row = new Float64Array(d.choices).fill(value);
      if (i < n) row[observed[i]] += 1;
      const sum = row.reduce((a, b) => a + b, 0);
      for (let c = 0; c < row.length; c++) row[c] /= sum;
      return row;
    });
    return { weights, kernel: { kind: "categorical", probs } };
  }
  const { low, high, q } = bounds(d);
  const values = d.log ? observed.map(Math.log) : observed;
  const mus = new Float64Array(n + 1);
  mus.set(values);
  mus[n] = 0.5 * (low + high);
  const order = Array.from(mus.keys()).sort((a, b) => mus[a] - mus[b] || a - b);
  const sorted = [low, ...order.map((i) => mus[i]), high];
  const sortedSigmas = order.map((_, k) => Math.max(sorted[k + 1] - sorted[k], sorted[k + 2] - sorted[k + 1]));
  if (!options.considerEndpoints && sorted.length >= 4) {
    sortedSigmas[0] = sorted[2] - sorted[1];
    sortedSigmas[sortedSigmas.length - 1] = sorted[sorted.length - 2] - sorted[sorted.length - 3];
  }
  const sigmas = new Float64Array(n + 1);
  order.forEach((i, k) => (sigmas[i] = sortedSigmas[k]));
  const maxSigma = high - low;
  const minSigma = options.considerMagicClip ? (high - low) / Math.min(100, 1 + mus.length) : 1e-12;
  for (let i = 0; i <= n; i++) sigmas[i] = Math.min(Math.max(sigmas[i], minSigma), maxSigma);
  sigmas[n] = high - low;
  return { weights, kernel: { kind: "numeric", low, high, q, mus, sigmas } };
}

/** Pick a component index by its weight. */
function choose(weights: ArrayLike<number>, random: () => number): number {
  const u = random();
  let cum = 0;
  for (let i = 0; i < weights.length; i++) {
    cum += weights[i];
    if (u < cum) return i;
  }
  return weights.length - 1;
}

/** Draw one value (in the estimator's space: log for log parameters, category index for categories). */
export function sampleParzen(p: ParzenEstimator, random: () => number): number {
  const c = choose(p.weights, random);
  if (p.kernel.kind === "categorical") return choose(p.kernel.probs[c], random);
  const { low, high, mus, sigmas } = p.kernel;
  const a = (low - mus[c]) / sigmas[c];
  const b = (high - mus[c]) / sigmas[c];
  return truncnormPpf(random(), a, b) * sigmas[c] + mus[c];
}

/** log density (or, for steps and integers, log mass of x's cell) of the mixture at x (estimator space). */
export function logPdfParzen(p: ParzenEstimator, x: number): number {
  const { weights } = p;
  if (p.kernel.kind === "categorical") {
    let sum = 0;
    for (let c = 0; c < weights.length; c++) sum += weights[c] * p.kernel.probs[c][x];
    return Math.log(sum);
  }
  const { low, high, q, mus, sigmas } = p.kernel;
  let max = -Infinity;
  const terms = new Float64Array(weights.length);
  for (let c = 0; c < weights.length; c++) {
    const mu = mus[c], sigma = sigmas[c];
    const a = (low - mu) / sigma, b = (high - mu) / sigma;
    let t: number;
    if (q === null) {
      const z = (x - mu) / sigma;
      // Optuna 3.1's density: no − log σ (see the header).
      t = z < a || z > b ? -Infinity : -0.5 * z * z - LOG_SQRT_2PI - logGaussMass(a, b);
    } else {
      const upper = Math.min(x + q / 2, high), lower = Math.max(x - q / 2, low);
      t = logGaussMass((lower - mu) / sigma, (upper - mu) / sigma) - logGaussMass(a, b);
    }
    terms[c] = t + Math.log(weights[c]);
    max = Math.max(max, terms[c]);
  }
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return max + Math.log(sum);
}

/** A value of the estimator's space back in the parameter's: exp for logs, rounded to the step, clipped. */
export function fromEstimatorSpace(d: Distribution, x: number): number {
  if (d.type === "categorical") return x;
  if (d.type === "float") {
    if (d.log) return Math.exp(x);
    if (d.step !== null) return Math.min(Math.max(Math.round((x - d.low) / d.step) * d.step + d.low, d.low), d.high);
    return x;
  }
  if (d.log) return Math.min(Math.max(Math.round(Math.exp(x)), d.low), d.high);
  return Math.min(Math.max(Math.round((x - d.low) / d.step) * d.step + d.low, d.low), d.high);
}

/** A uniform draw from the parameter's range (the startup trials'). */
export function sampleUniform(d: Distribution, random: () => number): number {
  if (d.type === "categorical") return Math.min(d.choices - 1, Math.floor(random() * d.choices));
  if (d.type === "float") {
    if (d.log) return Math.exp(Math.log(d.low) + random() * (Math.log(d.high) - Math.log(d.low)));
    if (d.step !== null) {
      const cells = Math.floor((d.high - d.low) / d.step + 1e-9);
      return d.low + Math.min(cells, Math.floor(random() * (cells + 1))) * d.step;
    }
    return d.low + random() * (d.high - d.low);
  }
  if (d.log) return Math.min(Math.max(Math.round(Math.exp(Math.log(d.low - 0.5) + random() * (Math.log(d.high + 0.5) - Math.log(d.low - 0.5)))), d.low), d.high);
  const cells = Math.floor((d.high - d.low) / d.step);
  return d.low + Math.min(cells, Math.floor(random() * (cells + 1))) * d.step;
}

/** Indices of the best `nBelow` observations and of the rest, each in the order the trials finished. */
export function splitObservations(losses: readonly number[], nBelow: number): { below: number[]; above: number[] } {
  const order = Array.from(losses.keys()).sort((a, b) => losses[a] - losses[b] || a - b);
  const below = order.slice(0, nBelow).sort((a, b) => a - b);
  const above = order.slice(nBelow).sort((a, b) => a - b);
  return { below, above };
}

/**
 * The next point to try: each parameter of `space` drawn by TPE from the observations (a random draw
 * while there are fewer than `nStartupTrials`). Values are in each distribution's terms (category
 * indices for categories).
 */
export function tpeSuggest(
  space: Readonly<Record<string, Distribution>>,
  observations: readonly Observation[],
  random: () => number,
  options: TpeOptions = {},
): Record<string, number> {
  const finished = observations.filter((o) => Number.isFinite(o.loss));
  const nStartup = options.nStartupTrials ?? 10;
  const out: Record<string, number> = {};
  if (finished.length < nStartup) {
    for (const [name, d] of Object.entries(space)) out[name] = sampleUniform(d, random);
    return out;
  }
  const parzen = {
    priorWeight: options.priorWeight ?? 1,
    considerMagicClip: options.considerMagicClip ?? true,
    considerEndpoints: options.considerEndpoints ?? false,
  };
  const nCandidates = options.nEiCandidates ?? 24;
  const { below, above } = splitObservations(
    finished.map((o) => o.loss),
    (options.gamma ?? defaultGamma)(finished.length),
  );
  for (const [name, d] of Object.entries(space)) {
    // Trials without the parameter (added to the sweep later) are left out of its estimators.
    const values = (rows: number[]) => rows.map((i) => finished[i].params[name]).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
    const l = parzenEstimator(d, values(below), parzen);
    const g = parzenEstimator(d, values(above), parzen);
    let best = NaN;
    let bestScore = -Infinity;
    for (let i = 0; i < nCandidates; i++) {
      // Candidates are scored as they would be used: rounded to their step, back in log space.
      const value = fromEstimatorSpace(d, sampleParzen(l, random));
      const x = d.type !== "categorical" && d.log ? Math.log(value) : value;
      const score = logPdfParzen(l, x) - logPdfParzen(g, x);
      if (score > bestScore || Number.isNaN(best)) {
        best = value;
        bestScore = score;
      }
    }
    out[name] = best;
  }
  return out;
}
