/** Using a recorded run: its model loaded back, evaluated on a labelled set, or predicting examples. */
import { join } from "node:path";
import { RunError } from "../errors.ts";
import { evaluateProbabilities, type Evaluation } from "../metrics/evaluate.ts";
import type { NdArray } from "../ndarray.ts";
import type { ModelPlugin } from "../plugin.ts";
import type { Registry } from "../registry.ts";
import type { SegmentSet } from "./data.ts";
import { readRun, type LoadedRun } from "./run.ts";

export interface RunModel extends LoadedRun {
  readonly plugin: ModelPlugin;
  readonly model: unknown;
}

/** A run with its model loaded by the model plugin that trained it. */
export async function loadRunModel(dir: string, registry: Registry): Promise<RunModel> {
  const run = await readRun(dir);
  const plugin = registry.model(run.config.model);
  let model: unknown;
  try {
    model = await plugin.load(join(dir, "model"));
  } catch (error) {
    throw new RunError(join(dir, "model"), `cannot load the ${plugin.name} model: ${(error as Error).message}`);
  }
  return { ...run, plugin, model };
}

/** Metrics of a run's model on a labelled set (labels indexed as the run's). */
export async function evaluateRunModel(run: RunModel, set: SegmentSet): Promise<Evaluation> {
  const probs = await run.plugin.predict(run.model, set.x);
  return evaluateProbabilities(probs, set.y, run.config.labels, set.tracks);
}

/** Class probabilities of a run's model, `[n, labels]`. */
export function predictRunModel(run: RunModel, x: NdArray<Float32Array>): Promise<NdArray<Float32Array>> {
  return run.plugin.predict(run.model, x);
}
