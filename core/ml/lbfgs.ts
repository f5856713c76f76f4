/**
 * Limited-memory BFGS for smooth unconstrained minimisation (Nocedal & Wright, Numerical Optimization,
 * 2nd ed., algorithms 7.4 and 7.5), with a line search that satisfies the strong Wolfe conditions
 * (algorithms 3.5 and 3.6, cubic interpolation):
 *
 *     d_k = −H_k ∇f(x_k)       (two-loop recursion over the last m pairs s = Δx, y = Δ∇f; H_0 = (s·y / y·y) I)
 *     x_{k+1} = x_k + α d_k,   f(x_k + α d) ≤ f(x_k) + c1 α ∇f·d,  |∇f(x_k + α d)·d| ≤ c2 |∇f(x_k)·d|
 *
 * Stops, as SciPy's L-BFGS-B does without bounds, when max_i |∇f_i| ≤ gtol, when the relative decrease
 * (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ ftol, or after maxIter iterations. The first step tries
 * α = 1 / ‖∇f‖ (the unit step of an unscaled gradient can be far too long), later ones α = 1.
 *
 * Options (defaults SciPy's): maxIter ≥ 1 (100), gtol ≥ 0 (1e-5), ftol ≥ 0 (2.22e-9 = 1e7·ε),
 * memory m ≥ 1 (10), c1 = 1e-4, c2 = 0.9 (0 < c1 < c2 < 1), maxLineSearch ≥ 1 (20 evaluations).
 */

export interface LbfgsOptions {
  readonly maxIter?: number;
  readonly gtol?: number;
  readonly ftol?: number;
  readonly memory?: number;
  readonly c1?: number;
  readonly c2?: number;
  readonly maxLineSearch?: number;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly iterations: number;
  /** Function and gradient evaluations. */
  readonly evaluations: number;
  /** Whether a tolerance was met (not the iteration limit or a failed line search). */
  readonly converged: boolean;
  readonly reason: "gtol" | "ftol" | "maxIter" | "lineSearch";
}

/** The objective: returns f(x) and writes ∇f(x) into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const maxIter = options.maxIter ?? 100;
  const gtol = options.gtol ?? 1e-5;
  const ftol = options.ftol ?? 2.220446049250313e-9;
  const m = options.memory ?? 10;
  const c1 = options.c1 ?? 1e-4;
  const c2 = options.c2 ?? 0.9;
  const maxLineSearch = options.maxLineSearch ?? 20;
  if (!(maxIter >= 1) || !(m >= 1) || !(gtol >= 0) || !(ftol >= 0) || !(c1 > 0 && c1 < c2 && c2 < 1) || !(maxLineSearch >= 1)) {
    throw new RangeError(`lbfgs: invalid options ${JSON.stringify(options)}`);
  }
  const n = x0.length;
  let x: Float64Array = x0.slice();
  let g: Float64Array = new Float64Array(n);
  let evaluations = 1;
  let f = objective(x, g);
  if (!Number.isFinite(f)) throw new RangeError(`lbfgs: the objective is ${f} at the starting point`);
  if (maxAbs(g) <= gtol) return { x, f, iterations: 0, evaluations, converged: true, reason: "gtol" };

  const S = new Float64Array(m * n);
  const Y = new Float64Array(m * n);
  const rho = new Float64Array(m);
  const alphas = new Float64Array(m);
  let stored = 0;
  let newest = -1;
  /** H_0 = gamma I, gamma = s·y / y·y of the newest pair. */
  let gamma = 1;
  const d = new Float64Array(n);
  const search = new LineSearch(objective, n, c1, c2, maxLineSearch);

  for (let iter = 1; iter <= maxIter; iter++) {
    // Two-loop recursion: d = −H g.
    for (let i = 0; i < n; i++) d[i] = -g[i];
    for (let t = 0; t < stored; t++) {
      const slot = (newest - t + m) % m;
      const a = rho[slot] * dot(S, slot * n, d, n);
      alphas[slot] = a;
      axpy(-a, Y, slot * n, d, n);
    }
    if (stored > 0) scale(d, gamma);
    for (let t = stored - 1; t >= 0; t--) {
      const slot = (newest - t + m) % m;
      const b = rho[slot] * dot(Y, slot * n, d, n);
      axpy(alphas[slot] - b, S, slot * n, d, n);
    }
    let slope = dot(d, 0, g, n);
    if (!(slope < 0)) {
      // Not a descent direction (curvature lost to rounding): forget the memory, go downhill.
      stored = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = -dot(g, 0, g, n);
    }
    const first = stored === 0 ? 1 / Math.sqrt(-slope) : 1;
    let step = search.run(x, f, g, d, slope, first);
    evaluations += search.evaluations;
    if (step === undefined && stored > 0) {
      stored = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = -dot(g, 0, g, n);
      step = search.run(x, f, g, d, slope, 1 / Math.sqrt(-slope));
      evaluations += search.evaluations;
    }
    if (step === undefined) return { x, f, iterations: iter - 1, evaluations, converged: false, reason: "lineSearch" };

    const xNew = search.x;
    const gNew = search.g;
    const fNew = search.f;
    newest = (newest + 1) % m;
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      const s = xNew[i] - x[i];
      const y = gNew[i] - g[i];
      S[newest * n + i] = s;
      Y[newest * n + i] = y;
      sy += s * y;
      yy += y * y;
    }
    if (sy > 2.220446049250313e-16 * yy) {
      rho[newest] = 1 / sy;
      gamma = sy / yy;
      stored = Math.min(stored + 1, m);
    } else {
      // A pair without positive curvature would break H's positive definiteness: drop it. Its slot
      // held the oldest pair when the memory was full, which is lost too.
      newest = (newest - 1 + m) % m;
      if (stored === m) stored--;
    }
    // Swap buffers: the line search owns the others next time.
    search.x = x;
    search.g = g;
    x = xNew;
    g = gNew;
    const fOld = f;
    f = fNew;
    if (maxAbs(g) <= gtol) return { x, f, iterations: iter, evaluations, converged: true, reason: "gtol" };
    if ((fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= ftol) return { x, f, iterations: iter, evaluations, converged: true, reason: "ftol" };
  }
  return { x, f, iterations: maxIter, evaluations, converged: false, reason: "maxIter" };
}

/** Strong-Wolfe line search along d from x; on success `x`, `g`, `f` hold the accepted point. */
class LineSearch {
  x: Float64Array;
  g: Float64Array;
  f = NaN;
  evaluations = 0;
  private readonly trialX: Float64Array;
  private readonly trialG: Float64Array;

  constructor(
    private readonly objective: Objective,
    private readonly n: number,
    private readonly c1: number,
    private readonly c2: number,
    private readonly maxEvaluations: number,
  ) {
    this.x = new Float64Array(n);
    this.g = new Float64Array(n);
    this.trialX = new Float64Array(n);
    this.trialG = new Float64Array(n);
  }

  /** Returns the accepted step, or undefined when no step satisfying the conditions was found. */
  run(x0: Float64Array, f0: number, g0: Float64Array, d: Float64Array, slope0: number, first: number): number | undefined {
    this.evaluations = 0;
    const { c1, c2 } = this;
    let aPrev = 0, fPrev = f0, sPrev = slope0;
    let a = first;
    for (let i = 0; this.evaluations < this.maxEvaluations; i++) {
      const [fa, sa] = this.evaluate(x0, d, a);
      if (!Number.isFinite(fa) || fa > f0 + c1 * a * slope0 || (i > 0 && fa >= fPrev)) {
        return this.zoom(x0, f0, d, slope0, aPrev, fPrev, sPrev, a, fa, sa);
      }
      if (Math.abs(sa) <= -c2 * slope0) return this.accept(a, fa);
      this.keepTrial(fa);
      if (sa >= 0) return this.zoom(x0, f0, d, slope0, a, fa, sa, aPrev, fPrev, sPrev);
      aPrev = a;
      fPrev = fa;
      sPrev = sa;
      a *= 4;
    }
    return undefined;
  }

  private zoom(
    x0: Float64Array,
    f0: number,
    d: Float64Array,
    slope0: number,
    aLo: number,
    fLo: number,
    sLo: number,
    aHi: number,
    fHi: number,
    sHi: number,
  ): number | undefined {
    const { c1, c2 } = this;
    while (this.evaluations < this.maxEvaluations) {
      const width = aHi - aLo;
      let a = Number.isFinite(fHi) ? cubicMinimizer(aLo, fLo, sLo, aHi, fHi, sHi) : NaN;
      // Keep the trial inside the bracket and away from its ends, else bisect.
      const lo = Math.min(aLo, aHi) + 0.1 * Math.abs(width);
      const hi = Math.max(aLo, aHi) - 0.1 * Math.abs(width);
      if (!(a >= lo && a <= hi)) a = aLo + 0.5 * width;
      if (Math.abs(width) < 1e-16 * Math.max(1, Math.abs(aLo))) break;
      const [fa, sa] = this.evaluate(x0, d, a);
      if (!Number.isFinite(fa) || fa > f0 + c1 * a * slope0 || fa >= fLo) {
        aHi = a;
        fHi = fa;
        sHi = sa;
      } else {
        if (Math.abs(sa) <= -c2 * slope0) return this.accept(a, fa);
        if (sa * (aHi - aLo) >= 0) {
          aHi = aLo;
          fHi = fLo;
          sHi = sLo;
        }
        this.keepTrial(fa);
        aLo = a;
        fLo = fa;
        sLo = sa;
      }
    }
    // Out of evaluations: a point with sufficient decrease still beats stopping.
    return aLo > 0 && fLo < f0 ? aLo : undefined;
  }

  /** f and the directional derivative at x0 + a d (trial buffers). */
  private evaluate(x0: Float64Array, d: Float64Array, a: number): [number, number] {
    const { trialX, trialG, n } = this;
    for (let i = 0; i < n; i++) trialX[i] = x0[i] + a * d[i];
    this.evaluations++;
    const fa = this.objective(trialX, trialG);
    return [fa, dot(trialG, 0, d, n)];
  }

  /** The current trial becomes the best point so far (zoom's low end). */
  private keepTrial(fa: number): void {
    this.x.set(this.trialX);
    this.g.set(this.trialG);
    this.f = fa;
  }

  private accept(a: number, fa: number): number {
    this.keepTrial(fa);
    return a;
  }
}

/** Minimiser of the cubic through (a, fa, slope sa) and (b, fb, slope sb); NaN when it has none. */
function cubicMinimizer(a: number, fa: number, sa: number, b: number, fb: number, sb: number): number {
  const d1 = sa + sb - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - sa * sb;
  if (!(disc >= 0)) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - ((b - a) * (sb + d2 - d1)) / (sb - sa + 2 * d2);
}

function dot(a: Float64Array, offset: number, b: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[offset + i] * b[i];
  return s;
}

function axpy(alpha: number, a: Float64Array, offset: number, out: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] += alpha * a[offset + i];
}

function scale(v: Float64Array, s: number): void {
  for (let i = 0; i < v.length; i++) v[i] *= s;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}
