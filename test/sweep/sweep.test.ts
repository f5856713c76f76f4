/** Sweeps: W&B sweep files, trials as runs, the ranking, parallel worker processes, resuming. */
import { describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../core/errors.ts";
import { Registry } from "../../core/registry.ts";
import { scanRuns } from "../../core/run/run.ts";
import { gridPoint, gridSize, parseSweepSpec, parseSweepText } from "../../core/sweep/spec.ts";
import { sweep, type SweepState } from "../../core/sweep/sweep.ts";
import { builtinPlugins } from "../../plugins/index.ts";
import { ROOT, runClave, tempDir } from "../helpers.ts";
import { writeGtzanLike } from "../run/table-fixtures.ts";

const registry = new Registry(builtinPlugins.map((plugin) => ({ plugin, origin: "builtin" })));
const dir = tempDir("clave-sweep-");
const csv = writeGtzanLike(join(dir, "features.csv"), { tracks: 12, seed: 5, separation: 0.5 });
const quiet = () => undefined;

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const state = (folder: string) => JSON.parse(readFileSync(join(folder, "sweep.json"), "utf8")) as SweepState;

describe("sweep files in W&B's format", () => {
  test("distributions inferred as W&B infers them; grids enumerated with the last parameter fastest", () => {
    const spec = parseSweepText(
      "method: grid\nmetric:\n  name: accuracy\n  goal: maximize\nparameters:\n  model: { value: knn }\n  n_neighbors: { min: 1, max: 3 }\n  weights: { values: [uniform, distance] }\nprogram: train.py\n",
      "s.yaml",
    );
    expect(spec.parameters.n_neighbors).toEqual({ distribution: "int_uniform", min: 1, max: 3 });
    expect(spec.parameters.model).toEqual({ distribution: "constant", value: "knn" });
    expect(gridSize(spec)).toBe(6);
    expect(gridPoint(spec, 1)).toEqual({ model: "knn", n_neighbors: 1, weights: "distance" });
    expect(gridPoint(spec, 4)).toEqual({ model: "knn", n_neighbors: 3, weights: "uniform" });
    expect(parseSweepSpec({ method: "random", metric: { name: "loss" }, parameters: { lr: { min: 0.1, max: 0.5 } } }, "x").parameters.lr).toEqual({ distribution: "uniform", min: 0.1, max: 0.5 });
  });

  test("what a method cannot take, and malformed files, are refused naming the file and the key", () => {
    const bad = (raw: unknown, message: string) => {
      expect(() => parseSweepSpec(raw, "sweep.yaml")).toThrow(ConfigError);
      expect(() => parseSweepSpec(raw, "sweep.yaml")).toThrow(message);
    };
    const metric = { name: "accuracy", goal: "maximize" };
    bad({ method: "hyperband", metric, parameters: { a: { value: 1 } } }, 'sweep.yaml: method: "hyperband" is not one of grid, random, bayes');
    bad({ method: "grid", metric, parameters: { a: { min: 0.1, max: 1.5 } } }, "parameters.a: grid cannot enumerate a uniform parameter");
    bad({ method: "bayes", metric, parameters: { a: { distribution: "normal", mu: 0, sigma: 1 } } }, "parameters.a: bayes (TPE) needs a bounded parameter");
    bad({ method: "random", metric: { name: "x", goal: "up" }, parameters: { a: { value: 1 } } }, 'metric.goal: "up" is not minimize or maximize');
    bad({ method: "random", metric, parameters: { a: { min: 2, max: 1 } } }, "parameters.a: min (2) must be below max (1)");
    bad({ method: "random", metric, parameters: { a: { value: 1 } }, run_cap: 0 }, "run_cap: 0 is not a positive integer");
    bad({ method: "random", metric, parameters: { a: { value: 1 } }, budget: 3 }, 'unknown key "budget"');
    expect(() => parseSweepText("method: [grid", "s.yaml")).toThrow("s.yaml: not valid YAML");
  });
});

describe("running a sweep", () => {
  const gridFile = file(
    "grid.yaml",
    `method: grid
metric: { name: accuracy, goal: maximize }
parameters:
  model: { value: knn }
  table: { value: ${JSON.stringify(csv)} }
  n_neighbors: { values: [1, 5, 9] }
  weights: { values: [uniform, distance] }
`,
  );

  test("a grid: every point a recorded run in the sweep's folder, ranked by the metric", async () => {
    const folder = join(dir, "grid");
    const result = await sweep({ sweep: gridFile, runs: folder, registry, onWarning: quiet });
    expect(result.trials).toHaveLength(6);
    expect(result.trials.every((t) => t.status === "done")).toBe(true);
    expect(result.trials.map((t) => t.params)).toEqual([
      { n_neighbors: 1, weights: "uniform" },
      { n_neighbors: 1, weights: "distance" },
      { n_neighbors: 5, weights: "uniform" },
      { n_neighbors: 5, weights: "distance" },
      { n_neighbors: 9, weights: "uniform" },
      { n_neighbors: 9, weights: "distance" },
    ]);
    const listing = await scanRuns(folder);
    expect(listing.runs.map((r) => r.id).sort()).toEqual(result.trials.map((t) => t.run!).sort());
    expect(listing.damaged).toEqual([]);
    for (const t of result.trials) expect(t.value).toBe(listing.runs.find((r) => r.id === t.run)!.segment.accuracy);
    const values = result.table.array("accuracy") as number[];
    expect([...values]).toEqual([...values].sort((a, b) => b - a));
    expect(result.best!.value).toBe(Math.max(...values));
    expect(readFileSync(join(folder, "summary.csv"), "utf8").split("\n")[0]).toBe("rank,trial,accuracy,n_neighbors,weights,time_s,run");
    expect(state(folder).owner).toBeNull();
    // Run again: nothing left to do, the same trials.
    const again = await sweep({ sweep: gridFile, runs: folder, registry, onWarning: quiet });
    expect(again.trials.map((t) => t.run)).toEqual(result.trials.map((t) => t.run));
  });

  test("an interrupted sweep resumes: finished trials kept, the one that was running run again with its parameters", async () => {
    const folder = join(dir, "resume");
    const first = await sweep({ sweep: gridFile, runs: folder, registry, runCap: 3, onWarning: quiet });
    expect(first.trials).toHaveLength(3);
    // As a process killed during trial 2 leaves it.
    const s = state(folder);
    Object.assign(s.trials[2], { status: "running", run: undefined, value: undefined });
    s.owner = { pid: 2 ** 22 + 12345, host: hostname() };
    writeFileSync(join(folder, "sweep.json"), JSON.stringify(s));
    const warnings: string[] = [];
    const resumed = await sweep({ sweep: gridFile, runs: folder, registry, onWarning: (w) => warnings.push(w) });
    expect(warnings.join("\n")).toContain("2 trials finished, 1 interrupted to run again");
    expect(resumed.trials).toHaveLength(6);
    expect(resumed.trials.slice(0, 2).map((t) => t.run)).toEqual(first.trials.slice(0, 2).map((t) => t.run));
    expect(resumed.trials[2].params).toEqual(first.trials[2].params);
    expect(resumed.trials[2].run).not.toBe(first.trials[2].run);
    expect((await scanRuns(folder)).runs).toHaveLength(7);
  });

  test("a folder of another sweep, or of a sweep a live process runs, is refused", async () => {
    const folder = join(dir, "grid");
    await expect(sweep({ sweep: gridFile, runs: folder, registry, seed: 1, onWarning: quiet })).rejects.toThrow("this folder holds another sweep");
    const s = state(folder);
    s.owner = { pid: process.ppid, host: hostname() };
    writeFileSync(join(folder, "sweep.json"), JSON.stringify(s));
    await expect(sweep({ sweep: gridFile, runs: folder, registry, onWarning: quiet })).rejects.toThrow(`process ${process.ppid} is running this sweep`);
  });

  test("bayes with cross-validated trials: the metric is the mean over folds; trials failing are recorded, the others go on", async () => {
    const spec = parseSweepSpec(
      {
        method: "bayes",
        metric: { name: "accuracy", goal: "maximize" },
        run_cap: 4,
        parameters: {
          model: { value: "svm" },
          table: { value: csv },
          folds: { value: 3 },
          C: { distribution: "log_uniform_values", min: 0.1, max: 100 },
        },
      },
      "inline",
    );
    const result = await sweep({ sweep: spec, runs: join(dir, "bayes"), registry, onWarning: quiet });
    expect(result.trials.map((t) => t.status)).toEqual(["done", "done", "done", "done"]);
    for (const t of result.trials) {
      const cv = JSON.parse(readFileSync(join(dir, "bayes", t.run!, "cv.json"), "utf8")) as { summary: { accuracy: { mean: number } }; params: { C: number } };
      expect(t.value).toBe(cv.summary.accuracy.mean);
      expect(cv.params.C).toBe(t.params.C as number);
      expect(t.metrics!.accuracy_std).toBeGreaterThanOrEqual(0);
    }
    const failing = parseSweepSpec(
      { method: "grid", metric: { name: "val_accuracy", goal: "maximize" }, parameters: { model: { value: "knn" }, table: { value: csv }, n_neighbors: { values: [3, 10000] } } },
      "inline",
    );
    const failed = await sweep({ sweep: failing, runs: join(dir, "failing"), registry, onWarning: quiet });
    expect(failed.trials.map((t) => t.status)).toEqual(["failed", "failed"]);
    expect(failed.trials[0].error).toContain('"val_accuracy" is not among the trial\'s metrics (accuracy, test_accuracy');
    expect(failed.trials[1].error).toContain('knn: parameter "k": 10000 exceeds the');
  });
});

describe("a sweep over a dataset's features", () => {
  test("feature params as <feature>.<param>, a network's training settings fixed, the validation loss as the metric", async () => {
    const spec = parseSweepSpec(
      {
        method: "grid",
        metric: { name: "val_loss", goal: "minimize" },
        parameters: {
          model: { value: "dense2" },
          dataset: { value: join(ROOT, "data", "tour", "manifest.csv") },
          features: { value: "mfcc" },
          segment: { value: 1 },
          cache: { value: join(dir, "cache") },
          epochs: { value: 3 },
          units: { value: 16 },
          "mfcc.n_mfcc": { values: [8, 13] },
        },
      },
      "inline",
    );
    const result = await sweep({ sweep: spec, runs: join(dir, "audio"), registry, onWarning: quiet });
    expect(result.trials.map((t) => t.status)).toEqual(["done", "done"]);
    const runs = (await scanRuns(join(dir, "audio"))).runs;
    for (const t of result.trials) {
      const config = JSON.parse(readFileSync(join(dir, "audio", t.run!, "config.json"), "utf8")) as { features: { params: { n_mfcc: number } }; input_shape: number[]; params: { units: number; epochs: number } };
      expect(config.features.params.n_mfcc).toBe(t.params["mfcc.n_mfcc"] as number);
      expect(config.input_shape[1]).toBe(t.params["mfcc.n_mfcc"] as number);
      expect(config.params).toMatchObject({ units: 16, epochs: 3 });
      const history = JSON.parse(readFileSync(join(dir, "audio", t.run!, "history.json"), "utf8")) as { val_loss: number[] };
      expect(t.value).toBe(Math.min(...history.val_loss));
    }
    expect(runs).toHaveLength(2);
  }, 120_000);
});

describe("clave sweep", () => {
  test("trials in parallel worker processes; a failed trial named, exit 1; the ranking printed", () => {
    const yaml = file(
      "random.yaml",
      `method: random
metric: { name: macro_f1, goal: maximize }
run_cap: 4
parameters:
  model: { value: logistic_regression }
  table: { value: ${JSON.stringify(csv)} }
  C: { distribution: log_uniform_values, min: 0.01, max: 10 }
  max_iter: { values: [50, -1] }
early_terminate: { type: hyperband, min_iter: 3 }
`,
    );
    const folder = join(dir, "parallel");
    const r = runClave(["sweep", yaml, "--runs", folder, "--parallel", "2", "--seed", "3"]);
    expect(r.stderr).toContain("early_terminate is not supported");
    const s = state(folder);
    expect(s.trials).toHaveLength(4);
    const bad = s.trials.filter((t) => t.params.max_iter === -1);
    expect(bad.length).toBeGreaterThan(0);
    for (const t of bad) expect(t.error).toContain('logistic_regression: parameter "max_iter"');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`sweep random on macro_f1 (maximize): ${4 - bad.length} trials finished, ${bad.length} failed`);
    expect(r.stdout).toMatch(/rank +trial +macro_f1 +C +max_iter/);
    for (const t of s.trials.filter((x) => x.status === "done")) expect(existsSync(join(folder, t.run!, "model", "classical.json"))).toBe(true);
    expect(existsSync(join(folder, ".trials"))).toBe(false);
  }, 120_000);

  test("killed during a trial (SIGKILL), the same command resumes the sweep to its end", async () => {
    const yaml = file(
      "killed.yaml",
      `method: grid
metric: { name: val_loss, goal: minimize }
parameters:
  model: { value: mlp }
  table: { value: ${JSON.stringify(csv)} }
  ratios: { value: [0.7, 0.1, 0.2] }
  epochs: { value: 40 }
  learning_rate: { values: [0.001, 0.003, 0.01] }
`,
    );
    const folder = join(dir, "killed");
    const args = [join(ROOT, "bin", "clave.ts"), "sweep", yaml, "--runs", folder];
    const child = spawn(join(ROOT, "node_modules", ".bin", "bun"), args, { stdio: "ignore", env: { ...process.env, CLAVE_PROGRESS: "0" } });
    // Wait (at most 2 minutes) until trial 0 is done and trial 1 is running, then kill the process.
    const deadline = Date.now() + 120_000;
    let killedAt: SweepState | null = null;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      if (!existsSync(join(folder, "sweep.json"))) continue;
      let s: SweepState;
      try {
        s = state(folder);
      } catch {
        continue;
      }
      if (s.trials[0]?.status === "done" && s.trials[1]?.status === "running") {
        child.kill("SIGKILL");
        killedAt = s;
        break;
      }
    }
    await new Promise((r) => child.once("exit", r));
    expect(killedAt).not.toBeNull();
    const resumed = runClave(["sweep", yaml, "--runs", folder]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain("resuming the sweep");
    const s = state(folder);
    expect(s.trials.map((t) => t.status)).toEqual(["done", "done", "done"]);
    expect(s.trials[0].run).toBe(killedAt!.trials[0].run);
    expect(s.trials.map((t) => t.params.learning_rate)).toEqual([0.001, 0.003, 0.01]);
    // The killed trial's half-written run is not a run.
    expect((await scanRuns(folder)).runs).toHaveLength(3);
  }, 240_000);
});
