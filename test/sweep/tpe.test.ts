/**
 * TPE (core/sweep/tpe.ts) against random search and against Optuna 3.1's TPESampler (Debian's
 * python3-optuna) on known functions: trials until the optimum is reached, over several seeds.
 */
import { describe, expect, test } from "bun:test";
import { mulberry32 } from "../../core/random.ts";
import { parseSweepSpec } from "../../core/sweep/spec.ts";
import { propose, type Trial } from "../../core/sweep/sweep.ts";
import { erfc, logGaussMass, truncnormPpf, tpeSuggest, type Distribution, type Observation } from "../../core/sweep/tpe.ts";
import { python } from "../helpers.ts";

const SEEDS = 10;
const CAP = 200;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};

describe("the normal distribution TPE draws from", () => {
  test("erfc, the truncated normal's quantiles and log mass agree with Python's math and SciPy", () => {
    const xs = [-30, -5, -1, -0.5, 0, 0.3, 0.9, 1.1, 2, 3, 5, 10, 27];
    const cases = [[0.3, -1, 2], [0.9, 0.5, 3], [0.2, -30, -25], [0.7, -2, -1.5], [0.01, 4, 9]];
    const out = JSON.parse(
      python(`
import json, math
from scipy.stats import truncnorm, norm
cases = ${JSON.stringify(cases)}
print(json.dumps({"erfc": [math.erfc(x) for x in ${JSON.stringify(xs)}], "ppf": [truncnorm.ppf(q, a, b) for q, a, b in cases],
  "mass": [math.log(norm.cdf(b) - norm.cdf(a)) for q, a, b in cases[:2]]}))`),
    ) as { erfc: number[]; ppf: number[]; mass: number[] };
    xs.forEach((x, i) => expect(Math.abs(erfc(x) - out.erfc[i])).toBeLessThanOrEqual(4e-16 * Math.max(out.erfc[i], 1e-300) + 1e-320));
    cases.forEach(([q, a, b], i) => expect(truncnormPpf(q, a, b)).toBeCloseTo(out.ppf[i], 9));
    expect(logGaussMass(-1, 2)).toBeCloseTo(out.mass[0], 12);
    expect(logGaussMass(0.5, 3)).toBeCloseTo(out.mass[1], 12);
  });
});

describe("TPE reaches a known optimum in fewer trials than random search", () => {
  // f(x, y) = (x − 2)² + (y + 1)² on [−10, 10]²; reached when f < 0.5 (a disc of 0.4 % of the square).
  const space: Record<string, Distribution> = {
    x: { type: "float", low: -10, high: 10, log: false, step: null },
    y: { type: "float", low: -10, high: 10, log: false, step: null },
  };
  const f = (p: Record<string, number>) => (p.x - 2) ** 2 + (p.y + 1) ** 2;
  const trialsToReach = (tpe: boolean, seed: number) => {
    const observations: Observation[] = [];
    for (let t = 0; t < CAP; t++) {
      const random = mulberry32((seed * 1_000_003 + t * 7919 + 1) >>> 0);
      const p = tpeSuggest(space, tpe ? observations : [], random);
      const loss = f(p);
      observations.push({ params: p, loss });
      if (loss < 0.5) return t + 1;
    }
    return CAP;
  };
  const ours = Array.from({ length: SEEDS }, (_, s) => trialsToReach(true, s));
  const random = Array.from({ length: SEEDS }, (_, s) => trialsToReach(false, s));
  const optuna = JSON.parse(
    python(`
import json, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
def run(sampler):
    study = optuna.create_study(sampler=sampler)
    for t in range(${CAP}):
        trial = study.ask()
        v = (trial.suggest_float("x", -10, 10) - 2) ** 2 + (trial.suggest_float("y", -10, 10) + 1) ** 2
        study.tell(trial, v)
        if v < 0.5:
            return t + 1
    return ${CAP}
print(json.dumps({"tpe": [run(optuna.samplers.TPESampler(seed=s)) for s in range(${SEEDS})],
                  "random": [run(optuna.samplers.RandomSampler(seed=s)) for s in range(${SEEDS})]}))`),
  ) as { tpe: number[]; random: number[] };

  test(`over ${SEEDS} seeds: TPE's median trials below random search's, and near Optuna's TPESampler's`, () => {
    console.log(`trials to reach f < 0.5 (median of ${SEEDS} seeds): clave TPE ${median(ours)}, clave random ${median(random)}, optuna TPE ${median(optuna.tpe)}, optuna random ${median(optuna.random)}`);
    expect(median(ours)).toBeLessThan(median(random) / 2);
    expect(median(ours)).toBeLessThan(median(optuna.random) / 2);
    // Optuna's TPE is the reference: within half again of its median (the draws differ, not the method).
    expect(median(ours)).toBeLessThanOrEqual(1.5 * median(optuna.tpe));
    expect(ours.filter((n) => n === CAP)).toHaveLength(0);
  });

  test("a W&B space (log-uniform, integer, categorical) through the sweep's proposals: bayes beats random", () => {
    const spec = (method: string) =>
      parseSweepSpec(
        {
          method,
          metric: { name: "score", goal: "maximize" },
          parameters: {
            model: { value: "mlp" },
            learning_rate: { distribution: "log_uniform_values", min: 1e-5, max: 1e-1 },
            units: { min: 8, max: 256 },
            activation: { values: ["relu", "tanh", "elu", "sigmoid"] },
          },
        },
        "sweep.yaml",
      );
    // Best score 0 at learning_rate 1e-3, units 64, relu; reached above −0.05.
    const score = (p: Record<string, unknown>) =>
      -((Math.log10(p.learning_rate as number) + 3) ** 2) - ((p.units as number) - 64) ** 2 / 2000 - (p.activation === "relu" ? 0 : 1);
    const reach = (method: string, seed: number) => {
      const s = spec(method);
      const trials: Trial[] = [];
      for (let n = 0; n < CAP; n++) {
        const params = propose(s, seed, n, trials);
        expect(Number.isInteger(params.units)).toBe(true);
        expect(params.units as number).toBeGreaterThanOrEqual(8);
        expect(params.learning_rate as number).toBeLessThanOrEqual(0.1);
        const value = score(params);
        trials.push({ number: n, params, status: "done", value });
        if (value > -0.05) return n + 1;
      }
      return CAP;
    };
    const bayes = Array.from({ length: SEEDS }, (_, s) => reach("bayes", s));
    const rand = Array.from({ length: SEEDS }, (_, s) => reach("random", s));
    console.log(`W&B space: trials to reach the optimum (median): bayes ${median(bayes)}, random ${median(rand)}`);
    expect(median(bayes)).toBeLessThan(median(rand));
  });
});
