/**
 * `ablation`: which feature groups a model needs. The run's model is trained again, with the run's
 * own settings (model params, features, split, seed), once with every feature and once without each
 * group — a part of the run's stack (MFCC, chroma, contrast, onset, tempogram) or a named set of parts
 * (`groups=rhythm:onset_strength+tempogram`) — each over several seeds, and scored on the test
 * split. The drop of a group is the baseline's score minus the score without it; its spread is the
 * standard deviation over seeds of the paired drops. The features are computed once (through the
 * feature cache) and the groups' rows left out of the arrays, so each training sees exactly the
 * baseline's values for the rows it keeps.
 */
import * as aq from "arquero";
import { z } from "zod";
import { errorBarsChart } from "../charts/error-bars.ts";
import { ParamError, UsageError } from "../errors.ts";
import { evaluateProbabilities, type Evaluation } from "../metrics/evaluate.ts";
import { ndarray, type NdArray } from "../ndarray.ts";
import { resolveParams } from "../params.ts";
import type { ModelPlugin } from "../plugin.ts";
import { progress } from "../progress.ts";
import { datasetArrays, type SegmentSet } from "../run/data.ts";
import { datasetCache } from "../run/study.ts";
import { defineAnalysis, runAnalysis, type AnalysisOptions, type AnalysisResult } from "./analysis.ts";
import { runDataset, runFeatureSpec, stackParts, type StackPart } from "./data.ts";

export const ablationParams = z.object({
  seeds: z.number().int().min(1).default(3).describe("trainings per condition (seeds: the run's, then the next ones)"),
  groups: z
    .array(z.string())
    .default([])
    .describe("feature groups to drop, each a stack part or name:part+part (default: each part of the run's stack alone)"),
  metric: z.enum(["accuracy", "macro_f1"]).default("accuracy").describe("the score compared"),
  level: z.enum(["auto", "segment", "track"]).default("auto").describe("score per segment or per track (auto: track when tracks were scored)"),
});

/** A named set of a stack's parts. */
export interface FeatureGroup {
  readonly name: string;
  readonly parts: readonly string[];
}

/** `groups` as written (`rhythm:onset_strength+tempogram`, `mfcc`) checked against the stack's parts; none: each part alone. */
export function parseGroups(groups: readonly string[], parts: readonly StackPart[]): FeatureGroup[] {
  const known = parts.map((p) => p.name);
  if (groups.length === 0) return known.map((name) => ({ name, parts: [name] }));
  const out = groups.map((text) => {
    const colon = text.indexOf(":");
    const name = (colon >= 0 ? text.slice(0, colon) : text).trim();
    const members = (colon >= 0 ? text.slice(colon + 1) : text).split("+").map((s) => s.trim()).filter((s) => s !== "");
    if (name === "" || members.length === 0) throw new UsageError(`ablation: group ${JSON.stringify(text)}: expected part or name:part+part`);
    for (const m of members) if (!known.includes(m)) throw new UsageError(`ablation: group ${JSON.stringify(name)}: ${JSON.stringify(m)} is not a part of the run's stack (${known.join(", ")})`);
    if (members.length === known.length) throw new UsageError(`ablation: group ${JSON.stringify(name)} drops every feature`);
    return { name, parts: members };
  });
  const names = out.map((g) => g.name);
  if (new Set(names).size !== names.length) throw new UsageError("ablation: group names must be unique");
  return out;
}

/** `set` with the feature rows (last axis) at `keep` only. */
export function keepColumns(set: SegmentSet, keep: readonly number[]): SegmentSet {
  const shape = set.x.shape;
  const width = shape[shape.length - 1];
  const rows = set.x.data.length / width;
  const data = new Float32Array(rows * keep.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < keep.length; j++) data[r * keep.length + j] = set.x.data[r * width + keep[j]];
  return { ...set, x: ndarray(data, [...shape.slice(0, -1), keep.length]) };
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n − 1; 0 for one value). */
function std(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1));
}

/** Build, fit and score a model plugin once; its network freed after. */
async function trainOnce(plugin: ModelPlugin, params: Record<string, unknown>, labels: readonly string[], train: SegmentSet, validation: SegmentSet | undefined, test: SegmentSet, seed: number): Promise<Evaluation> {
  const model = await plugin.build({ inputShape: train.x.shape.slice(1), nClasses: labels.length, seed }, params);
  try {
    await plugin.fit(model, train, { seed, progress: false, ...(validation && validation.x.shape[0] > 0 ? { validation } : {}) });
    const probs = await plugin.predict(model, test.x);
    return evaluateProbabilities(probs as NdArray<Float32Array>, test.y, labels, test.tracks);
  } finally {
    // tfjs keeps a network's weights until disposed: many trainings in one process would pile them up.
    const network = (model as { network?: { dispose?: () => unknown } } | null)?.network;
    if (network && typeof network.dispose === "function") network.dispose();
  }
}

export const ablationAnalysis = defineAnalysis({
  name: "ablation",
  description: "retrain without each feature group (stack parts, or name:part+part), over several seeds, with the run's settings (other params override the model's: epochs=5); baseline, drops and spread",
  params: ablationParams,
  modelParams: true,
  async compute(context, p, overrides) {
    const run = context.run;
    const spec = runFeatureSpec(run);
    const parts = stackParts(spec, context.registry);
    if (!parts) throw new UsageError(`ablation drops parts of a stack feature; run ${run.id} was trained on ${spec.name} (${spec.plugin})`);
    const groups = parseGroups(p.groups, parts);
    const plugin = context.registry.model(run.config.model);
    let params: Record<string, unknown>;
    try {
      params = resolveParams(plugin, { ...run.config.params, ...overrides }) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof ParamError) throw new UsageError(`ablation: ${error.message}`);
      throw error;
    }
    const ds = await runDataset(context);
    const cache = datasetCache(context.cache, ds.file);
    const data = await datasetArrays(ds.manifest, ds.file, spec, context.registry.feature(spec.plugin), { labels: run.labels, ...(cache ? { cache } : {}), label: "features" });
    context.problems.push(...data.problems);
    if (!data.train || !data.test) throw new UsageError(`ablation: ${ds.file} has no ${data.train ? "test" : "training"} examples`);
    const width = data.train.x.shape[data.train.x.shape.length - 1];
    const total = parts.reduce((s, q) => s + q.rows, 0);
    if (total !== width) throw new UsageError(`ablation: the stack's parts have ${total} rows but the examples ${width}`);
    const offsets = new Map<string, [number, number]>();
    let at = 0;
    for (const q of parts) {
      offsets.set(q.name, [at, at + q.rows]);
      at += q.rows;
    }
    const level = p.level === "auto" ? (data.test.tracks.length > 0 ? "track" : "segment") : p.level;
    const seeds = Array.from({ length: p.seeds }, (_, i) => run.config.seed + i);
    const conditions = [{ name: "baseline", parts: [] as readonly string[] }, ...groups.map((g) => ({ name: `without ${g.name}`, parts: g.parts }))];
    const scores: Record<string, string | number>[] = [];
    const byCondition = new Map<string, number[]>();
    const bar = context.progress ? progress(conditions.length * seeds.length, "ablation") : undefined;
    try {
      for (const condition of conditions) {
        const dropped = new Set<number>();
        for (const part of condition.parts) {
          const [a, b] = offsets.get(part)!;
          for (let j = a; j < b; j++) dropped.add(j);
        }
        const keep = Array.from({ length: width }, (_, j) => j).filter((j) => !dropped.has(j));
        const cut = (set: SegmentSet | undefined) => (set ? (dropped.size === 0 ? set : keepColumns(set, keep)) : undefined);
        const [train, validation, test] = [cut(data.train)!, cut(data.validation), cut(data.test)!];
        const values: number[] = [];
        for (const seed of seeds) {
          const evaluation = await trainOnce(plugin, params, run.labels, train, validation, test, seed);
          const m = evaluation[level] ?? evaluation.segment;
          const value = p.metric === "accuracy" ? m.accuracy : m.macroF1;
          values.push(value);
          scores.push({
            condition: condition.name,
            dropped: condition.parts.join("+"),
            seed,
            segment_accuracy: evaluation.segment.accuracy,
            segment_macro_f1: evaluation.segment.macroF1,
            track_accuracy: evaluation.track?.accuracy ?? NaN,
            track_macro_f1: evaluation.track?.macroF1 ?? NaN,
          });
          bar?.tick(1, `${condition.name} seed ${seed}`);
        }
        byCondition.set(condition.name, values);
      }
    } finally {
      bar?.stop();
    }
    const baseline = byCondition.get("baseline")!;
    const rows = conditions.map((c) => {
      const values = byCondition.get(c.name)!;
      const drops = values.map((v, i) => baseline[i] - v);
      const m = mean(values);
      return {
        condition: c.name,
        dropped: c.parts.join("+"),
        features: width - c.parts.reduce((s, part) => s + (offsets.get(part)![1] - offsets.get(part)![0]), 0),
        mean: m,
        std: std(values),
        min: Math.min(...values),
        max: Math.max(...values),
        drop: mean(baseline) - m,
        drop_std: std(drops),
        relative_drop: mean(baseline) > 0 ? (mean(baseline) - m) / mean(baseline) : NaN,
      };
    });
    const metricName = `${level} ${p.metric === "accuracy" ? "accuracy" : "macro F1"}`;
    const chart = errorBarsChart(
      rows.map((r) => ({ name: r.condition, mean: r.mean, error: r.std, values: byCondition.get(r.condition)!, group: r.condition === "baseline" ? "all features" : "a group dropped" })),
      {
        title: `Ablation: ${run.config.model} on ${spec.name}`,
        yTitle: `${metricName} (mean ± std, ${seeds.length} seed${seeds.length > 1 ? "s" : ""})`,
        format: ".0%",
        reference: { value: mean(baseline), label: "baseline" },
        domain: [0, 1],
      },
    );
    const notes = [
      `${seeds.length} training(s) per condition (seeds ${seeds.join(", ")}), with the run's model params${Object.keys(overrides).length > 0 ? ` and ${Object.entries(overrides).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}` : ""}`,
      `the recorded run's ${metricName}: ${(run.evaluation[level] ?? run.evaluation.segment)[p.metric === "accuracy" ? "accuracy" : "macroF1"].toFixed(4)}`,
    ];
    if (run.config.transfer) notes.push(`run ${run.id} was transferred from ${run.config.transfer.from}; the ablation trains its architecture from scratch`);
    return { tables: { ablation: aq.from(rows), scores: aq.from(scores) }, charts: { ablation: chart }, notes };
  },
});

export type AblationOptions = AnalysisOptions & Partial<z.input<typeof ablationParams>> & {
  /** The model's params over the run's (`{ epochs: 5 }`). */
  readonly params?: Readonly<Record<string, unknown>>;
};

/**
 * Retrain without each feature group and compare.
 * @example (await ablation(run, { seeds: 3, params: { epochs: 10 } })).tables.ablation
 */
export function ablation(run: Parameters<typeof runAnalysis>[1], options: AblationOptions = {}): Promise<AnalysisResult> {
  return runAnalysis(ablationAnalysis, run, options);
}
