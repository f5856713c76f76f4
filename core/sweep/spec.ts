/**
 * Sweep files in W&B's format (https://docs.wandb.ai/guides/sweeps/sweep-config-keys):
 *
 *     method: bayes                  # grid | random | bayes (bayes: TPE, tpe.ts)
 *     metric: { name: val_accuracy, goal: maximize }
 *     run_cap: 40
 *     parameters:
 *       model: { value: crnn }                                   # fixed settings: a single value
 *       table: { value: features_30_sec.csv }                    # or dataset + features
 *       learning_rate: { distribution: log_uniform_values, min: 1e-4, max: 1e-2 }
 *       batch_size: { values: [16, 32, 64] }
 *       dropout: { min: 0.0, max: 0.5 }                          # uniform (floats) / int_uniform (integers)
 *
 * Distributions: constant (`value`), categorical (`values`, optional `probabilities`), int_uniform,
 * uniform, q_uniform, log_uniform (bounds are exponents: e^min..e^max), log_uniform_values,
 * q_log_uniform, q_log_uniform_values, inv_log_uniform_values, normal, q_normal, log_normal,
 * q_log_normal. Without `distribution`, W&B's inference: `values` → categorical, `value` → constant,
 * integer min/max → int_uniform, else uniform. `grid` takes categorical, constant, int_uniform and
 * q_uniform parameters (the last two enumerated); `bayes` takes the bounded ones (not the normals).
 * Keys W&B uses for its own service (`program`, `command`, `project`, `entity`, `early_terminate`,
 * ...) are read and ignored (early_terminate with a warning).
 */
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../errors.ts";
import type { Distribution } from "./tpe.ts";

export const SWEEP_METHODS = ["grid", "random", "bayes"] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];

/** A JSON value a parameter can take. */
export type ParamValue = string | number | boolean | null | ParamValue[] | { [key: string]: ParamValue };

export type ParameterSpec =
  | { readonly distribution: "constant"; readonly value: ParamValue }
  | { readonly distribution: "categorical"; readonly values: readonly ParamValue[]; readonly probabilities?: readonly number[] }
  | { readonly distribution: "int_uniform"; readonly min: number; readonly max: number }
  | { readonly distribution: "uniform" | "log_uniform" | "log_uniform_values" | "inv_log_uniform_values"; readonly min: number; readonly max: number }
  | { readonly distribution: "q_uniform" | "q_log_uniform" | "q_log_uniform_values"; readonly min: number; readonly max: number; readonly q: number }
  | { readonly distribution: "normal" | "log_normal"; readonly mu: number; readonly sigma: number }
  | { readonly distribution: "q_normal" | "q_log_normal"; readonly mu: number; readonly sigma: number; readonly q: number };

export interface SweepSpec {
  readonly method: SweepMethod;
  readonly metric: { readonly name: string; readonly goal: "minimize" | "maximize" };
  readonly parameters: Readonly<Record<string, ParameterSpec>>;
  /** Most trials to run (random and bayes never end without one). */
  readonly run_cap?: number;
  readonly name?: string;
  readonly description?: string;
}

const IGNORED_KEYS = ["program", "command", "project", "entity", "controller", "imports", "job", "image", "early_terminate", "name", "description"];
const DISTRIBUTIONS = [
  "constant",
  "categorical",
  "int_uniform",
  "uniform",
  "q_uniform",
  "log_uniform",
  "log_uniform_values",
  "q_log_uniform",
  "q_log_uniform_values",
  "inv_log_uniform_values",
  "normal",
  "q_normal",
  "log_normal",
  "q_log_normal",
] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parameter(file: string, name: string, raw: unknown): ParameterSpec {
  const fail = (reason: string): never => {
    throw new ConfigError(file, `parameters.${name}: ${reason}`);
  };
  if (!isRecord(raw)) return fail("expected a mapping such as { value: 3 }, { values: [1, 2] } or { min: 0, max: 1 }");
  if ("parameters" in raw) fail("nested parameters are not supported: give each as its own parameter");
  const number = (key: string): number => {
    const v = raw[key];
    if (typeof v !== "number" || !Number.isFinite(v)) return fail(`${key} must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const known = new Set(["distribution", "value", "values", "probabilities", "min", "max", "q", "mu", "sigma", "a", "b"]);
  for (const key of Object.keys(raw)) if (!known.has(key)) fail(`unknown key ${JSON.stringify(key)}`);
  let distribution = raw.distribution as string | undefined;
  if (distribution === undefined) {
    if ("value" in raw) distribution = "constant";
    else if ("values" in raw) distribution = "categorical";
    else if ("min" in raw && "max" in raw) distribution = Number.isInteger(raw.min) && Number.isInteger(raw.max) ? "int_uniform" : "uniform";
    else return fail("give value, values, or min and max (or a distribution)");
  }
  if (!(DISTRIBUTIONS as readonly string[]).includes(distribution)) return fail(`distribution ${JSON.stringify(distribution)} is not one of ${DISTRIBUTIONS.join(", ")}`);
  switch (distribution) {
    case "constant":
      if (!("value" in raw)) fail("constant needs value");
      return { distribution, value: raw.value as ParamValue };
    case "categorical": {
      const values = raw.values;
      if (!Array.isArray(values) || values.length === 0) return fail("values must be a non-empty list");
      const probabilities = raw.probabilities;
      if (probabilities !== undefined) {
        if (!Array.isArray(probabilities) || probabilities.length !== values.length || probabilities.some((p) => typeof p !== "number" || !(p >= 0))) {
          fail(`probabilities must be ${values.length} non-negative numbers`);
        }
        const sum = (probabilities as number[]).reduce((a, b) => a + b, 0);
        if (Math.abs(sum - 1) > 1e-6) fail(`probabilities must sum to 1, not ${sum}`);
      }
      return { distribution, values: values as ParamValue[], ...(probabilities ? { probabilities: probabilities as number[] } : {}) };
    }
    case "normal":
    case "log_normal":
    case "q_normal":
    case "q_log_normal": {
      const mu = "mu" in raw ? number("mu") : 0;
      const sigma = "sigma" in raw ? number("sigma") : 1;
      if (!(sigma > 0)) fail("sigma must be positive");
      if (distribution === "q_normal" || distribution === "q_log_normal") {
        const q = "q" in raw ? number("q") : 1;
        if (!(q > 0)) fail("q must be positive");
        return { distribution, mu, sigma, q };
      }
      return { distribution, mu, sigma };
    }
    default: {
      const min = number("min");
      const max = number("max");
      if (!(min < max)) fail(`min (${min}) must be below max (${max})`);
      if (distribution === "int_uniform") {
        if (!Number.isInteger(min) || !Number.isInteger(max)) fail("int_uniform needs integer min and max");
        return { distribution, min, max };
      }
      if ((distribution === "log_uniform_values" || distribution === "inv_log_uniform_values" || distribution === "q_log_uniform_values") && !(min > 0)) {
        fail(`${distribution} needs min > 0`);
      }
      if (distribution === "q_uniform" || distribution === "q_log_uniform" || distribution === "q_log_uniform_values") {
        const q = "q" in raw ? number("q") : 1;
        if (!(q > 0)) fail("q must be positive");
        return { distribution, min, max, q };
      }
      return { distribution: distribution as "uniform", min, max };
    }
  }
}

/** Check and normalise a sweep configuration (the parsed YAML or JSON); `file` names it in errors. */
export function parseSweepSpec(raw: unknown, file: string, onWarning?: (message: string) => void): SweepSpec {
  if (!isRecord(raw)) throw new ConfigError(file, "a sweep file is a mapping with method, metric and parameters");
  const method = raw.method;
  if (typeof method !== "string" || !(SWEEP_METHODS as readonly string[]).includes(method)) {
    throw new ConfigError(file, `method: ${JSON.stringify(method)} is not one of ${SWEEP_METHODS.join(", ")}`);
  }
  const metric = raw.metric;
  if (!isRecord(metric) || typeof metric.name !== "string" || metric.name === "") throw new ConfigError(file, "metric: expected { name: <metric>, goal: minimize | maximize }");
  const goal = metric.goal ?? "minimize";
  if (goal !== "minimize" && goal !== "maximize") throw new ConfigError(file, `metric.goal: ${JSON.stringify(goal)} is not minimize or maximize`);
  if (!isRecord(raw.parameters) || Object.keys(raw.parameters).length === 0) throw new ConfigError(file, "parameters: expected a mapping of parameter names to their values or distributions");
  const parameters: Record<string, ParameterSpec> = {};
  for (const [name, value] of Object.entries(raw.parameters)) parameters[name] = parameter(file, name, value);
  for (const key of Object.keys(raw)) {
    if (["method", "metric", "parameters", "run_cap"].includes(key)) continue;
    if (!IGNORED_KEYS.includes(key)) throw new ConfigError(file, `unknown key ${JSON.stringify(key)} (a sweep has method, metric, parameters, run_cap)`);
    if (key === "early_terminate") onWarning?.(`${file}: early_terminate is not supported; every trial runs to its end`);
  }
  const runCap = raw.run_cap;
  if (runCap !== undefined && !(typeof runCap === "number" && Number.isInteger(runCap) && runCap > 0)) throw new ConfigError(file, `run_cap: ${JSON.stringify(runCap)} is not a positive integer`);
  const spec: SweepSpec = {
    method: method as SweepMethod,
    metric: { name: metric.name, goal },
    parameters,
    ...(runCap !== undefined ? { run_cap: runCap as number } : {}),
    ...(typeof raw.name === "string" ? { name: raw.name } : {}),
    ...(typeof raw.description === "string" ? { description: raw.description } : {}),
  };
  if (spec.method === "grid") gridSize(spec, file);
  if (spec.method === "bayes") {
    for (const [name, p] of Object.entries(spec.parameters)) tpeDistribution(p, `${file}: parameters.${name}`);
  }
  return spec;
}

/** A sweep file (YAML or JSON). */
export function parseSweepText(text: string, file: string, onWarning?: (message: string) => void): SweepSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(file, `not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  return parseSweepSpec(raw, file, onWarning);
}

// ------------------------------------------------------------------------------------------ sampling

/** The values of a parameter a grid enumerates. */
function gridValues(p: ParameterSpec, where: string): ParamValue[] {
  switch (p.distribution) {
    case "constant":
      return [p.value];
    case "categorical":
      return [...p.values];
    case "int_uniform":
      return Array.from({ length: p.max - p.min + 1 }, (_, i) => p.min + i);
    case "q_uniform": {
      const out: number[] = [];
      for (let k = Math.ceil(p.min / p.q - 1e-9); k * p.q <= p.max + 1e-9; k++) out.push(Number((k * p.q).toPrecision(12)));
      return out;
    }
    default:
      throw new ConfigError(where, `grid cannot enumerate a ${p.distribution} parameter (use values, int_uniform or q_uniform)`);
  }
}

/** Number of points of a grid sweep. */
export function gridSize(spec: SweepSpec, file = "sweep"): number {
  return Object.entries(spec.parameters).reduce((n, [name, p]) => n * gridValues(p, `${file}: parameters.${name}`).length, 1);
}

/** Point `index` of the grid (the last parameter varies fastest, as W&B's grid search does). */
export function gridPoint(spec: SweepSpec, index: number): Record<string, ParamValue> {
  const entries = Object.entries(spec.parameters).map(([name, p]) => [name, gridValues(p, name)] as const);
  const out: Record<string, ParamValue> = {};
  let rest = index;
  for (let i = entries.length - 1; i >= 0; i--) {
    const [name, values] = entries[i];
    out[name] = values[rest % values.length];
    rest = Math.floor(rest / values.length);
  }
  return Object.fromEntries(entries.map(([name]) => [name, out[name]]));
}

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** One draw of a parameter as W&B's random search draws it. */
export function sampleParameter(p: ParameterSpec, random: () => number): ParamValue {
  const quantise = (x: number, q: number) => Number((Math.round(x / q) * q).toPrecision(12));
  switch (p.distribution) {
    case "constant":
      return p.value;
    case "categorical": {
      const probabilities = p.probabilities ?? p.values.map(() => 1 / p.values.length);
      const u = random();
      let cum = 0;
      for (let i = 0; i < p.values.length; i++) {
        cum += probabilities[i];
        if (u < cum) return p.values[i];
      }
      return p.values[p.values.length - 1];
    }
    case "int_uniform":
      return p.min + Math.min(p.max - p.min, Math.floor(random() * (p.max - p.min + 1)));
    case "uniform":
      return p.min + random() * (p.max - p.min);
    case "q_uniform":
      return quantise(p.min + random() * (p.max - p.min), p.q);
    case "log_uniform":
      return Math.exp(p.min + random() * (p.max - p.min));
    case "q_log_uniform":
      return quantise(Math.exp(p.min + random() * (p.max - p.min)), p.q);
    case "log_uniform_values":
      return Math.exp(Math.log(p.min) + random() * (Math.log(p.max) - Math.log(p.min)));
    case "q_log_uniform_values":
      return quantise(Math.exp(Math.log(p.min) + random() * (Math.log(p.max) - Math.log(p.min))), p.q);
    case "inv_log_uniform_values":
      return 1 / Math.exp(Math.log(1 / p.max) + random() * (Math.log(1 / p.min) - Math.log(1 / p.max)));
    case "normal":
      return p.mu + p.sigma * normal(random);
    case "q_normal":
      return quantise(p.mu + p.sigma * normal(random), p.q);
    case "log_normal":
      return Math.exp(p.mu + p.sigma * normal(random));
    case "q_log_normal":
      return quantise(Math.exp(p.mu + p.sigma * normal(random)), p.q);
  }
}

/**
 * The TPE range of a parameter (null for constants): W&B's bounded distributions in Optuna's terms —
 * uniform → float, q_uniform → float with step q from min, int_uniform → int, log_uniform(_values)
 * and q_log_uniform(_values) → log float (the q applied after), categorical → categorical.
 */
export function tpeDistribution(p: ParameterSpec, where: string): Distribution | null {
  switch (p.distribution) {
    case "constant":
      return null;
    case "categorical":
      return { type: "categorical", choices: p.values.length };
    case "int_uniform":
      return { type: "int", low: p.min, high: p.max, log: false, step: 1 };
    case "uniform":
      return { type: "float", low: p.min, high: p.max, log: false, step: null };
    case "q_uniform":
      return { type: "float", low: p.min, high: p.min + Math.floor((p.max - p.min) / p.q + 1e-9) * p.q, log: false, step: p.q };
    case "log_uniform":
    case "q_log_uniform":
      return { type: "float", low: Math.exp(p.min), high: Math.exp(p.max), log: true, step: null };
    case "log_uniform_values":
    case "q_log_uniform_values":
      return { type: "float", low: p.min, high: p.max, log: true, step: null };
    default:
      throw new ConfigError(where, `bayes (TPE) needs a bounded parameter; ${p.distribution} has no bounds (use uniform, log_uniform_values, int_uniform, q_uniform or values)`);
  }
}

/** A TPE value (category index for categories) as the parameter's value. */
export function fromTpeValue(p: ParameterSpec, value: number): ParamValue {
  switch (p.distribution) {
    case "categorical":
      return p.values[value];
    case "q_log_uniform":
    case "q_log_uniform_values":
      return Number((Math.round(value / p.q) * p.q).toPrecision(12));
    case "q_uniform":
      return Number(value.toPrecision(12));
    default:
      return value;
  }
}

/** A parameter's value in TPE's terms (category index), or null when it is not in the search space. */
export function toTpeValue(p: ParameterSpec, value: ParamValue): number | null {
  if (p.distribution === "categorical") {
    const key = JSON.stringify(value);
    const i = p.values.findIndex((v) => JSON.stringify(v) === key);
    return i >= 0 ? i : null;
  }
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}
